"""``/enquete suivi N``: where the project's wave stands, for its animators at any time: each
partner's participation (sent, being filled in, not started), never what a partner answered."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation import Context, Flow
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import SurveyProject
from handlers.actions import Action
from handlers.events.invitations import local_time
from handlers.survey.projects import calendar_text, on_project
from handlers.survey.scoring import participation_rate, percent


async def follow(context: Context, project: SurveyProject, _rest: Sequence[str]) -> list[Reply]:
    """Each partner's participation in the project's latest wave."""
    assert project.id is not None
    waves = await repo.project_waves(context.session, project_id=project.id)
    texts = context.texts
    if not waves:
        return [
            Reply(
                Text.join(
                    [
                        texts("survey.follow.no_wave", project=project.name, number=project.id),
                        calendar_text(context, project),
                    ]
                )
            )
        ]
    wave = waves[-1]
    assert wave.id is not None
    partners = await repo.survey_partners(context.session, project_id=project.id)
    respondents = await repo.project_respondents(context.session, project_id=project.id)
    sent = {r.partner_id: r for r in await repo.wave_responses(context.session, wave_id=wave.id)}
    key = "survey.follow.closed" if wave.closed_at is not None else "survey.follow.open"
    invited = max(wave.invited, len(sent))
    lines = [
        texts(
            key,
            project=project.name,
            wave=wave.number,
            closes=local_time(context.settings, wave.closed_at or wave.closes_at),
        ),
        texts(
            "survey.follow.participation",
            submitted=len(sent),
            invited=invited,
            rate=percent(participation_rate(len(sent), invited), decimals=0),
        ),
    ]
    counts = {
        partner.id: sum(1 for p, _ in respondents if p.id == partner.id) for partner in partners
    }
    for partner in partners:
        assert partner.id is not None
        count = counts[partner.id]
        if partner.id in sent:
            status = texts(
                "survey.follow.sent",
                when=local_time(context.settings, sent[partner.id].submitted_at),
            )
        elif drafts := await repo.partner_drafts(
            context.session, wave_id=wave.id, partner_id=partner.id
        ):
            status = texts("survey.follow.started", count=len(drafts))
        else:
            status = texts("survey.follow.silent")
        lines.append(
            texts("survey.follow.line", partner=partner.name, respondents=count, status=status)
        )
    if 0 in counts.values():
        lines.append(texts("survey.follow.no_respondent", number=project.id))
    return [Reply(Text.join(lines))]


ACTIONS = (Action(("suivi", "follow"), on_project("survey.follow.usage", follow), role="animator"),)
FLOWS: tuple[Flow, ...] = ()
