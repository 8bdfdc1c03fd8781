"""The animators' side of a project: ``/enquete projet`` creates it (name, indicator set,
anonymity), ``/enquete partenaire N NOM`` adds a partner organisation and gives its code,
``/enquete partenaires N`` lists them, ``/enquete repondant N`` names a member of the pôle as a
partner's respondent, ``/enquete calendrier N`` and ``/enquete anonyme N`` set its waves.

A project is named by its number (« /enquete suivi 3 »); a pôle with a single project may leave
it out. Every query goes through the pôle: another pôle's number is unknown here.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Person, SurveyPartner, SurveyProject
from bot.storage.session import Session
from content.surveys.models import project_sets
from content.text import fold
from handlers.actions import Action, Run
from handlers.audiences import recipient_of
from handlers.language import texts_for
from handlers.validation import clean_line

PROJECT_FLOW = "survey_project"
RESPONDENT_FLOW = "survey_respondent"
NAME_MAX = 120
PARTNER_MAX = 150
# Members shown for a typed name; more means typing more of it.
MATCHES_SHOWN = 8
ANONYMOUS, NAMED = "anonymous", "named"
_DAY = re.compile(r"(\d{1,2})/(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})[:h](\d{2})")
MIN_DAYS, MAX_DAYS = 1, 90
NO_CALENDAR_WORDS = frozenset({"manuel", "manual", "aucun", "none"})
YES_WORDS, NO_WORDS = frozenset({"oui", "yes"}), frozenset({"non", "no"})


async def chosen_project(
    context: Context, args: Sequence[str], usage_key: str
) -> tuple[SurveyProject, list[str]] | Reply:
    """The project named by ``args[0]`` (its number) and the remaining arguments; the pôle's
    only project when no number is given; else why not, with the pôle's projects."""
    projects = await repo.pole_survey_projects(context.session, pole_id=context.pole_id)
    if args and args[0].isdigit():
        wanted = int(args[0])
        project = next((p for p in projects if p.id == wanted), None)
        if project is not None:
            return project, list(args[1:])
        return listing(context, "survey.projects.unknown", projects, number=wanted)
    if len(projects) == 1:
        return projects[0], list(args)
    return listing(context, usage_key, projects)


ProjectRun = Callable[[Context, SurveyProject, Sequence[str]], Awaitable[list[Reply]]]


def on_project(usage_key: str, run: ProjectRun) -> Run:
    """An action on one of the pôle's projects: ``run`` gets the project ``chosen_project``
    found and the arguments after its number; the person is told why when none is found."""

    async def action(context: Context, args: Sequence[str]) -> list[Reply]:
        found = await chosen_project(context, args, usage_key)
        if isinstance(found, Reply):
            return [found]
        return await run(context, *found)

    return action


def listing(
    context: Context, key: str, projects: Sequence[SurveyProject], **values: object
) -> Reply:
    """The text of ``key`` above the pôle's projects, one line each."""
    lines = [context.texts(key, **values)]
    if projects:
        lines += [project_line(context, project) for project in projects]
    else:
        lines.append(context.texts("survey.projects.none"))
    return Reply(Text.join(lines))


def project_line(context: Context, project: SurveyProject) -> Text:
    survey = context.content.surveys.get(project.survey)
    title = survey.title(context.locale) if survey else project.survey
    return context.texts("survey.projects.line", number=project.id, name=project.name, set=title)


def calendar_text(context: Context, project: SurveyProject) -> Text:
    """« les 15/03 et 15/09 à 09:00, ouverte 21 jours », or waves opened by hand only."""
    if not project.wave_dates:
        return context.texts("survey.projects.calendar_manual", days=project.wave_days)
    days = [f"{d[3:]}/{d[:2]}" for d in project.wave_dates]
    return context.texts(
        "survey.projects.calendar",
        dates=", ".join(days),
        time=project.wave_time,
        days=project.wave_days,
    )


# --- /enquete projet ---------------------------------------------------------------------------


async def start_project(context: Context, args: Sequence[str]) -> list[Reply]:
    context.start_flow(PROJECT_FLOW)
    return []


async def ask_name(context: Context) -> Reply:
    """Asks the project's name."""
    return context.say("survey.projects.ask_name", maximum=NAME_MAX)


async def answer_name(context: Context, answer: Answer) -> Outcome:
    if answer.choice is not None:
        return Retry(context.say("errors.type_an_answer"))
    cleaned = clean_line(context, answer.text, max_length=NAME_MAX)
    if isinstance(cleaned, Retry):
        return cleaned
    taken = await repo.survey_project_by_name(
        context.session, pole_id=context.pole_id, name=cleaned.value
    )
    if taken is not None:
        return Retry(context.say("survey.projects.name_taken", name=taken.name))
    context.data["name"] = cleaned.value
    return Next("set")


async def ask_set(context: Context) -> Reply:
    """Asks which indicator set the partners answer."""
    surveys = project_sets(context.content.surveys).values()
    lines = [context.texts("survey.projects.ask_set")]
    lines += [
        context.texts(
            "survey.projects.set_line",
            title=s.title(context.locale),
            count=len(s.indicators),
            axes=len(s.axes),
        )
        for s in surveys
    ]
    buttons = [context.choice(s.title(context.locale), s.id) for s in surveys]
    return Reply(Text.join(lines), tuple(buttons))


async def answer_set(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in project_sets(context.content.surveys):
        return Retry(context.say("errors.pick_a_button"))
    context.data["set"] = answer.choice
    return Next("anonymity")


async def ask_anonymity(context: Context) -> Reply:
    """Asks whether the animators may see each partner's answers."""
    return context.say(
        "survey.projects.ask_anonymity",
        minimum=context.settings.min_group_size,
        buttons=[
            context.choice(context.texts.label("survey.projects.anonymous"), ANONYMOUS),
            context.choice(context.texts.label("survey.projects.named"), NAMED),
        ],
    )


async def answer_anonymity(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in (ANONYMOUS, NAMED):
        return Retry(context.say("errors.pick_a_button"))
    try:
        project = await repo.create_survey_project(
            context.session,
            pole_id=context.pole_id,
            name=context.data["name"],
            survey=context.data["set"],
            anonymous=answer.choice == ANONYMOUS,
        )
    except repo.SurveyNameTaken:
        return Next("name", [context.say("survey.projects.name_taken", name=context.data["name"])])
    survey = context.content.surveys[project.survey]
    return Done(
        [
            context.say(
                "survey.projects.created",
                name=project.name,
                number=project.id,
                set=survey.title(context.locale),
                count=len(survey.indicators),
                anonymity=context.texts.label(
                    "survey.projects.anonymous" if project.anonymous else "survey.projects.named"
                ),
                calendar=calendar_text(context, project),
            )
        ]
    )


# --- partners ----------------------------------------------------------------------------------


async def add_partner(context: Context, project: SurveyProject, rest: Sequence[str]) -> list[Reply]:
    """``/enquete partenaire N NOM``: a partner organisation and its respondents' code."""
    cleaned = clean_line(context, " ".join(rest), max_length=PARTNER_MAX)
    if isinstance(cleaned, Retry):
        return [context.say("survey.projects.partner_usage"), cleaned.reply]
    try:
        partner = await new_partner(context.session, project=project, name=cleaned.value)
    except repo.SurveyNameTaken:
        return [context.say("survey.projects.partner_taken", name=cleaned.value)]
    return [
        context.say(
            "survey.projects.partner_added",
            partner=partner.name,
            project=project.name,
            code=partner.code,
            number=project.id,
        )
    ]


async def new_partner(session: Session, *, project: SurveyProject, name: str) -> SurveyPartner:
    """A new partner of the project, invited to the wave under way if there is one (its
    respondents answer it once they join); SurveyNameTaken when the project has one so named."""
    assert project.id is not None
    partner = await repo.add_survey_partner(session, project_id=project.id, name=name)
    current = await repo.current_wave(session, project_id=project.id)
    if current is not None:
        current.invited += 1
        session.add(current)
    return partner


async def list_partners(
    context: Context, project: SurveyProject, _rest: Sequence[str]
) -> list[Reply]:
    """``/enquete partenaires N``: the partners, their codes and respondents."""
    assert project.id is not None
    partners = await repo.survey_partners(context.session, project_id=project.id)
    respondents = await repo.project_respondents(context.session, project_id=project.id)
    lines = [
        context.texts("survey.projects.partners_title", project=project.name, number=project.id),
        calendar_text(context, project),
    ]
    if not partners:
        lines.append(context.texts("survey.projects.no_partner", number=project.id))
    for partner in partners:
        people = [person_label(person) for p, person in respondents if p.id == partner.id]
        lines.append(
            context.texts(
                "survey.projects.partner_line",
                partner=partner.name,
                code=partner.code,
                respondents=", ".join(people) or context.texts.label("survey.projects.nobody"),
            )
        )
    return [Reply(Text.join(lines))]


def person_label(person: Person) -> str:
    return f"{person.display_name or '?'} ({person.company or '?'})"


# --- /enquete repondant: naming a member of the pôle ---------------------------------------------


async def start_respondent(
    context: Context, project: SurveyProject, _rest: Sequence[str]
) -> list[Reply]:
    assert project.id is not None
    if not await repo.survey_partners(context.session, project_id=project.id):
        return [context.say("survey.projects.no_partner", number=project.id)]
    context.start_flow(RESPONDENT_FLOW, {"project_id": project.id})
    return []


async def _flow_project(context: Context) -> SurveyProject | None:
    return await repo.survey_project(
        context.session, pole_id=context.pole_id, project_id=context.data["project_id"]
    )


async def ask_partner(context: Context) -> Reply:
    """Asks for which partner."""
    project = await _flow_project(context)
    partners = await repo.survey_partners(context.session, project_id=project.id if project else 0)
    return context.say(
        "survey.projects.ask_partner",
        project=project.name if project else "?",
        buttons=[context.choice(p.name, str(p.id)) for p in partners],
    )


async def answer_partner(context: Context, answer: Answer) -> Outcome:
    project = await _flow_project(context)
    if project is None:
        return Done([context.say("survey.projects.gone")])
    partners = await repo.survey_partners(context.session, project_id=project.id or 0)
    partner = next((p for p in partners if str(p.id) == answer.choice), None)
    if partner is None:
        return Retry(context.say("errors.pick_a_button"))
    context.data["partner_id"] = partner.id
    return Next("person")


async def ask_person(context: Context) -> Reply:
    """Asks for the member's name, then offers those matching it."""
    search = context.data.get("search")
    if not search:
        return context.say("survey.projects.ask_person")
    matches = await _matching(context, search)
    return context.say(
        "survey.projects.pick_person",
        search=search,
        buttons=[context.choice(person_label(p), str(p.id)) for p in matches],
    )


async def _matching(context: Context, search: str) -> list[Person]:
    members = await repo.members_of(context.session, pole_id=context.pole_id)
    return [p for p, _ in members if fold(search) in fold(person_label(p))][:MATCHES_SHOWN]


async def answer_person(context: Context, answer: Answer) -> Outcome:
    if answer.choice is None:
        cleaned = clean_line(context, answer.text, max_length=NAME_MAX)
        if isinstance(cleaned, Retry):
            return cleaned
        if not await _matching(context, cleaned.value):
            return Retry(context.say("survey.projects.no_match", search=cleaned.value))
        context.data["search"] = cleaned.value
        return Next("person")
    members = await repo.members_of(context.session, pole_id=context.pole_id)
    person = next((p for p, _ in members if str(p.id) == answer.choice), None)
    project = await _flow_project(context)
    if person is None or project is None or person.id is None:
        return Retry(context.say("errors.pick_a_button"))
    partners = await repo.survey_partners(context.session, project_id=project.id or 0)
    partner = next(p for p in partners if p.id == context.data["partner_id"])
    assert partner.id is not None
    await repo.add_respondent(context.session, partner_id=partner.id, person_id=person.id)
    recipient = await recipient_of(context.session, person_id=person.id)
    if recipient is not None:
        texts = texts_for(context.content, context.settings, person)
        await enqueue(
            context.session,
            campaign=Campaign(
                pole_id=project.pole_id,
                kind="survey_respondent",
                audience=f"partner:{partner.id}",
                subject_id=person.id,
                text=str(
                    texts("survey.projects.named_you", partner=partner.name, project=project.name)
                ),
                buttons=[[texts.label("survey.projects.see_button"), "/enquete"]],
            ),
            recipients=[recipient],
        )
    return Done(
        [
            context.say(
                "survey.projects.respondent_added",
                person=person_label(person),
                partner=partner.name,
            )
        ]
    )


# --- calendar and anonymity ----------------------------------------------------------------------


async def set_calendar(
    context: Context, project: SurveyProject, rest: Sequence[str]
) -> list[Reply]:
    """``/enquete calendrier N 15/03 15/09 09:00 21``, or ``manuel`` for waves by hand only."""
    if not rest:
        return [
            context.say("survey.projects.calendar_now", project=project.name),
            Reply(calendar_text(context, project)),
            context.say("survey.projects.calendar_usage"),
        ]
    dates: list[str] = []
    hour = project.wave_time
    days = project.wave_days
    for word in rest:
        if fold(word) in NO_CALENDAR_WORDS:
            dates = []
            continue
        if (day := _DAY.fullmatch(word)) is not None:
            dom, month = int(day[1]), int(day[2])
            if not _valid_day(dom, month):
                return [context.say("survey.projects.bad_day", day=word)]
            dates.append(f"{month:02d}-{dom:02d}")
        elif (clock := _TIME.fullmatch(word)) is not None:
            if int(clock[1]) > 23 or int(clock[2]) > 59:
                return [context.say("survey.projects.bad_time", time=word)]
            hour = f"{int(clock[1]):02d}:{clock[2]}"
        elif word.isdigit() and MIN_DAYS <= int(word) <= MAX_DAYS:
            days = int(word)
        else:
            return [
                context.say("survey.projects.bad_calendar", word=word[:30]),
                context.say("survey.projects.calendar_usage"),
            ]
    if len(set(dates)) != len(dates):
        return [context.say("survey.projects.same_day")]
    project.wave_dates, project.wave_time, project.wave_days = sorted(dates), hour, days
    context.session.add(project)
    return [
        context.say("survey.projects.calendar_set", project=project.name),
        Reply(calendar_text(context, project)),
    ]


def _valid_day(dom: int, month: int) -> bool:
    # 29 February is refused: most years have none, and a wave would be skipped then.
    lengths = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    return 1 <= month <= 12 and 1 <= dom <= lengths[month - 1]


async def set_anonymity(
    context: Context, project: SurveyProject, rest: Sequence[str]
) -> list[Reply]:
    """``/enquete anonyme N oui|non``: from the next wave, whether animators see each
    partner's answers (« non »)."""
    word = fold(rest[0]) if rest else ""
    if word not in YES_WORDS | NO_WORDS:
        return [context.say("survey.projects.anonymity_usage")]
    project.anonymous = word in YES_WORDS
    context.session.add(project)
    current = await repo.current_wave(context.session, project_id=project.id or 0)
    key = "survey.projects.now_anonymous" if project.anonymous else "survey.projects.now_named"
    replies = [context.say(key, project=project.name)]
    if current is not None:
        replies.append(context.say("survey.projects.current_keeps", wave=current.number))
    return replies


ACTIONS = (
    Action(("projet", "project"), start_project, role="animator"),
    Action(
        ("partenaire", "partner"),
        on_project("survey.projects.partner_usage", add_partner),
        role="animator",
    ),
    Action(
        ("partenaires", "partners"),
        on_project("survey.projects.partners_usage", list_partners),
        role="animator",
    ),
    Action(
        ("repondant", "respondent"),
        on_project("survey.projects.respondent_usage", start_respondent),
        role="animator",
    ),
    Action(
        ("calendrier", "calendar"),
        on_project("survey.projects.calendar_usage", set_calendar),
        role="animator",
    ),
    Action(
        ("anonyme", "anonymous"),
        on_project("survey.projects.anonymity_usage", set_anonymity),
        role="animator",
    ),
)
FLOWS = (
    Flow(
        PROJECT_FLOW,
        "survey.projects.flow_title",
        "name",
        {
            "name": Step(ask_name, answer_name),
            "set": Step(ask_set, answer_set),
            "anonymity": Step(ask_anonymity, answer_anonymity),
        },
        role="animator",
    ),
    Flow(
        RESPONDENT_FLOW,
        "survey.projects.respondent_title",
        "partner",
        {"partner": Step(ask_partner, answer_partner), "person": Step(ask_person, answer_person)},
        role="animator",
    ),
)
