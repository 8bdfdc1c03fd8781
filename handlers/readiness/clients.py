"""The Label Numérique Responsable's client survey (its predecessor ENR added one to the audit of
practices): a member sends the partner survey of handlers/survey/ to their own clients. Their
project is theirs, not the pôle's (``SurveyProject.owner_id``): ``/pret client NOM`` adds a
client and gives the code its contact signs up with (respondents need not be members of the
pôle), ``/pret envoyer`` opens a wave now (the scheduled ones open twice a year), ``/pret
resultats`` shows the closed waves' results, only once enough clients answered (the survey's
anonymity rule), and to this member alone: the pôle's animators never see the project."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context, Retry
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import SurveyProject, utcnow
from handlers.actions import Action
from handlers.events.invitations import local_time
from handlers.survey import reports, waves
from handlers.survey.projects import PARTNER_MAX, new_partner
from handlers.validation import clean_line

SURVEY = "clients_numerique_responsable"


async def _project(context: Context) -> SurveyProject | None:
    return await repo.client_survey(context.session, owner_id=context.person_id, survey=SURVEY)


async def overview(context: Context, _args: Sequence[str] = ()) -> list[Reply]:
    """``/pret clients``: what the survey is, then the member's clients, their codes, the wave
    under way and what to do next."""
    texts = context.texts
    project = await _project(context)
    lines = [texts("readiness.clients.title"), texts("readiness.clients.what"), Text()]
    if project is None or project.id is None:
        lines.append(texts("readiness.clients.none"))
        return [Reply(Text.join(lines))]
    partners = await repo.survey_partners(context.session, project_id=project.id)
    respondents = await repo.project_respondents(context.session, project_id=project.id)
    lines.append(texts("readiness.clients.clients_title", count=len(partners)))
    for partner in partners:
        joined = sum(p.id == partner.id for p, _ in respondents)
        lines.append(
            texts(
                "readiness.clients.client_line",
                client=partner.name,
                code=partner.code,
                joined=joined,
            )
        )
    wave = await repo.current_wave(context.session, project_id=project.id)
    buttons = []
    if wave is not None and wave.id is not None and wave.closes_at > utcnow():
        answered = len(await repo.wave_responses(context.session, wave_id=wave.id))
        lines.append(
            texts(
                "readiness.clients.wave_open",
                wave=wave.number,
                closes=local_time(context.settings, wave.closes_at),
                answered=answered,
                invited=wave.invited,
            )
        )
    else:
        lines.append(texts("readiness.clients.no_wave"))
        buttons.append(
            context.command_button(texts.label("readiness.clients.send_button"), "pret envoyer")
        )
    if any(w.closed_at for w in await repo.project_waves(context.session, project_id=project.id)):
        buttons.append(
            context.command_button(
                texts.label("readiness.clients.results_button"), "pret resultats"
            )
        )
    return [Reply(Text.join(lines), tuple(buttons))]


async def add_client(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/pret client NOM``: a client organisation, and the code its contact answers with; the
    member's survey is made with the first one."""
    cleaned = clean_line(context, " ".join(args), max_length=PARTNER_MAX)
    if isinstance(cleaned, Retry):
        return [context.say("readiness.clients.client_usage"), cleaned.reply]
    project = await _project(context)
    if project is None:
        assert context.person is not None
        name = context.texts.label(
            "readiness.clients.project_name",
            company=context.person.company or context.person.display_name or "?",
            name=context.person.display_name or "?",
        )
        try:
            project = await repo.create_client_survey(
                context.session,
                pole_id=context.pole_id,
                owner_id=context.person_id,
                name=name,
                survey=SURVEY,
            )
        except repo.SurveyNameTaken:
            return [context.say("readiness.clients.name_taken", name=name)]
    try:
        partner = await new_partner(context.session, project=project, name=cleaned.value)
    except repo.SurveyNameTaken:
        return [context.say("readiness.clients.client_taken", client=cleaned.value)]
    return [context.say("readiness.clients.client_added", client=partner.name, code=partner.code)]


# /pret envoyer says it in the words of a member's own clients.
CLIENT_WAVE = waves.OpeningTexts(
    no_partner="readiness.clients.none",
    already_open="readiness.clients.already_open",
    opened="readiness.clients.sent",
)


async def send(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/pret envoyer [JOURS]``: open a wave now, inviting the clients' contacts who joined;
    those who join later answer it too."""
    project = await _project(context)
    if project is None or project.id is None:
        return [context.say("readiness.clients.none")]
    return await waves.open_now(context, project, args, CLIENT_WAVE)


async def results(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/pret resultats [VAGUE]``: the survey's results as the partner survey shows them to
    whoever may read them (here the member, once enough clients answered)."""
    project = await _project(context)
    if project is None or project.id is None:
        return [context.say("readiness.clients.none")]
    return await reports.show_results(context, [str(project.id), *args])


ACTIONS = (
    Action(("clients", "customers"), overview),
    Action(("client", "customer"), add_client),
    Action(("envoyer", "send"), send),
    Action(("resultats", "results"), results),
)
