"""A project's waves: opened on its calendar (15 March and 15 September at 09:00 by default) or
by hand (``/enquete ouvrir``), their invitations, the reminders at +7 and +14 days to the
partners that have not submitted, the close and the results, all through the outbox.

A job runs every minute (scheduler/jobs.py, ``survey-waves``). Each step happens once across
restarts and instances: a scheduled wave is stored under its opening moment (unique per
project), the close is a conditional update only one transaction makes, and every message is a
campaign with a once-only key (``survey:wave:12:reminder:7:34:fr``: wave, what, partner,
language). A run missed while the bot was down happens late: the opening as long as its wave
would still be open, a reminder while the wave is, only the latest reminder due.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.conversation import Context, Flow
from bot.messages import Reply
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign, Person, SurveyPartner, SurveyProject, SurveyWave, utcnow
from bot.storage.session import Session
from content.loader import Content
from handlers.actions import Action
from handlers.audiences import recipient_of
from handlers.events.invitations import local_time
from handlers.survey import reports
from handlers.survey.projects import on_project

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

REMINDER_DAYS: tuple[int, ...] = (7, 14)
# What /enquete ouvrir accepts for a wave's length.
MIN_DAYS, MAX_DAYS = 1, 90
# HYDREOS' 26 statements take about ten minutes, comments included: some 24 seconds each.
SECONDS_PER_STATEMENT = 24


def minutes_to_answer(statements: int) -> int:
    """About how long a response takes, as the invitation says it: 26 statements, 10 minutes;
    a short set of 6, 2."""
    return max(2, round(statements * SECONDS_PER_STATEMENT / 60))


# What goes to each partner's respondents, by text key (survey.waves.invite…).
PARTNER_MESSAGES: tuple[str, ...] = ("invite", "reminder")
KINDS = {
    "invite": "survey_invitation",
    "reminder": "survey_reminder",
    "results": "survey_results",
}


def openings(project: SurveyProject, year: int, zone: tzinfo) -> list[datetime]:
    """The moments (UTC) the project's scheduled waves open in ``year``, in order."""
    hour, minute = (int(part) for part in project.wave_time.split(":"))
    moments = []
    for day in project.wave_dates:
        month, dom = (int(part) for part in day.split("-"))
        local = datetime.combine(datetime(year, month, dom).date(), time(hour, minute), zone)
        moments.append(local.astimezone(UTC))
    return sorted(moments)


def due_opening(
    project: SurveyProject, waves: Sequence[SurveyWave], *, now: datetime, zone: tzinfo
) -> datetime | None:
    """The scheduled opening to make at ``now``, if any: the latest one come, set after the
    project was created, whose wave would still be open, and that no wave covers already
    (opened then or later, or still open then: a wave opened by hand takes its place)."""
    local_year = now.astimezone(zone).year
    come = [
        moment
        for year in (local_year - 1, local_year)
        for moment in openings(project, year, zone)
        if project.created_at <= moment <= now
    ]
    if not come:
        return None
    latest = max(come)
    if now >= latest + timedelta(days=project.wave_days):
        return None
    for wave in waves:
        if wave.opened_at >= latest or (wave.closed_at or wave.closes_at) > latest:
            return None
    return latest


async def open_wave(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    project: SurveyProject,
    opened_at: datetime,
    days: int,
) -> SurveyWave | None:
    """Open the project's next wave and invite every partner's respondents; None when a wave
    is open already or another instance opened this one first."""
    assert project.id is not None
    partners = await repo.survey_partners(session, project_id=project.id)
    wave = await repo.open_survey_wave(
        session,
        project=project,
        opened_at=opened_at,
        closes_at=opened_at + timedelta(days=days),
        invited=len(partners),
    )
    if wave is None:
        return None
    await _to_partners(session, settings, content, project, wave, partners, "invite")
    return wave


async def _to_partners(
    session: Session,
    settings: Settings,
    content: Content,
    project: SurveyProject,
    wave: SurveyWave,
    partners: Iterable[SurveyPartner],
    what: str,
    *,
    days: int = 0,
) -> int:
    """The invitation (``what`` "invite") or a reminder to each partner's respondents, in
    their language, with the button that opens the partner's response."""
    survey = content.surveys[project.survey]
    respondents = await repo.project_respondents(session, project_id=project.id or 0)
    queued = 0
    for partner in partners:
        people = [person for p, person in respondents if p.id == partner.id]
        for locale, recipients in (await _by_locale(session, settings, people)).items():
            texts = content.texts(locale)
            text = texts(
                f"survey.waves.{what}",
                project=project.name,
                partner=partner.name,
                wave=wave.number,
                count=len(survey.indicators),
                minutes=minutes_to_answer(len(survey.indicators)),
                closes=local_time(settings, wave.closes_at),
                days=days,
            )
            campaign = Campaign(
                pole_id=project.pole_id,
                kind=KINDS[what],
                audience=f"partner:{partner.id}",
                text=str(text),
                buttons=[
                    [texts.label("survey.waves.answer_button"), f"/enquete repondre {partner.id}"]
                ],
            )
            suffix = f"{days}:" if what == "reminder" else ""
            queued += await enqueue(
                session,
                campaign=campaign,
                recipients=recipients,
                dedupe_key=f"survey:wave:{wave.id}:{what}:{suffix}{partner.id}:{locale}",
            )
    return queued


async def _by_locale(
    session: Session, settings: Settings, people: Iterable[Person]
) -> dict[str, list[Recipient]]:
    """Where to write to each person first, grouped by their language."""
    grouped: dict[str, list[Recipient]] = {}
    for person in people:
        recipient = await recipient_of(session, person_id=person.id or 0)
        if recipient is not None:
            grouped.setdefault(person.locale or settings.locale, []).append(recipient)
    return dict(sorted(grouped.items()))


def due_reminder(wave: SurveyWave, *, now: datetime) -> int | None:
    """The reminder to send at ``now``: the latest of REMINDER_DAYS come, while the wave is
    open (a missed earlier one is superseded)."""
    if wave.closed_at is not None or now >= wave.closes_at:
        return None
    come = [days for days in REMINDER_DAYS if wave.opened_at + timedelta(days=days) <= now]
    return max(come, default=None)


async def close_wave(
    session: Session, settings: Settings, content: Content, *, wave: SurveyWave, now: datetime
) -> bool:
    """Close the wave and send its results: to every partner's respondents when enough
    partners answered (else the participation alone), to the pôle's animators always; a
    member's client survey only to that member, as its partners would read them. False when
    another transaction closed it first."""
    assert wave.id is not None
    if not await repo.close_survey_wave(session, wave_id=wave.id, now=now):
        return False
    wave.closed_at = now
    project = await session.get(SurveyProject, wave.project_id)
    assert project is not None and project.id is not None
    survey = content.surveys[project.survey]
    respondents = [
        person for _, person in await repo.project_respondents(session, project_id=project.id)
    ]
    audiences: tuple[tuple[str, list[Person]], ...]
    if project.owner_id is None:
        animators = await repo.pole_animators(session, pole_id=project.pole_id)
        audiences = (("partners", respondents), ("animators", animators))
    else:
        # A member's survey of their clients: its results are the member's alone, under the
        # same rule as the partners' (enough clients answered), and the clients get none.
        owner = await session.get(Person, project.owner_id)
        audiences = (("owner", [owner] if owner is not None else []),)
    for audience, people in audiences:
        for locale, recipients in (await _by_locale(session, settings, people)).items():
            texts = content.texts(locale)
            figures = await reports.closed_figures(
                session,
                project=project,
                survey=survey,
                texts=texts,
                zone=settings.tz,
                minimum=settings.min_group_size,
            )
            latest = figures[-1]
            if audience == "animators" or latest.shared is not None:
                results = latest.all if audience == "animators" else latest.shared
                assert results is not None
                earlier = [f.all if audience == "animators" else f.shared for f in figures[:-1]]
                previous = next((r for r in reversed(earlier) if r is not None), None)
                text = reports.summary(
                    texts, project=project, survey=survey, results=results, previous=previous
                )
            else:
                text = reports.participation_only(texts, project=project, results=latest.all)
            campaign = Campaign(
                pole_id=project.pole_id,
                kind=KINDS["results"],
                audience=f"survey:{project.id}:{audience}",
                text=str(text),
                buttons=[
                    [
                        texts.label("survey.results.button"),
                        f"/enquete resultats {project.id} {wave.number}",
                    ]
                ],
            )
            await enqueue(
                session,
                campaign=campaign,
                recipients=recipients,
                dedupe_key=f"survey:wave:{wave.id}:results:{audience}:{locale}",
            )
    return True


async def run_due(session: Session, settings: Settings, content: Content, *, now: datetime) -> int:
    """Open, remind and close what is due at ``now`` in every pôle; return how many steps."""
    done = 0
    for project in await repo.every_survey_project(session):
        assert project.id is not None
        if project.survey not in content.surveys:
            logger.error("Project %d: no indicator set %r", project.id, project.survey)
            continue
        waves = await repo.project_waves(session, project_id=project.id)
        opening = due_opening(project, waves, now=now, zone=settings.tz)
        if opening is not None:
            wave = await open_wave(
                session,
                settings,
                content,
                project=project,
                opened_at=opening,
                days=project.wave_days,
            )
            done += wave is not None
    for wave in await repo.unclosed_waves(session):
        if now >= wave.closes_at:
            done += await close_wave(session, settings, content, wave=wave, now=now)
            continue
        days = due_reminder(wave, now=now)
        if days is None:
            continue
        project = await session.get(SurveyProject, wave.project_id)
        assert project is not None and wave.id is not None
        submitted = {r.partner_id for r in await repo.wave_responses(session, wave_id=wave.id)}
        silent = [
            partner
            for partner in await repo.survey_partners(session, project_id=project.id or 0)
            if partner.id not in submitted
        ]
        done += bool(
            await _to_partners(
                session, settings, content, project, wave, silent, "reminder", days=days
            )
        )
    return done


async def send_due(app: App) -> None:
    """The waves' job, every minute."""
    async with app.database.transaction() as session:
        done = await run_due(session, app.settings, app.content, now=utcnow())
    if done:
        logger.info("Survey waves: %d step(s) done", done)


@dataclass(frozen=True, slots=True)
class OpeningTexts:
    """What ``open_now`` says, by text key: to the animators of a pôle's project (/enquete
    ouvrir), or to a member about their own client survey (/pret envoyer)."""

    no_partner: str = "survey.waves.no_partner"
    already_open: str = "survey.waves.already_open"
    opened: str = "survey.waves.opened"


async def open_now(
    context: Context,
    project: SurveyProject,
    rest: Sequence[str],
    texts: OpeningTexts = OpeningTexts(),
) -> list[Reply]:
    """``/enquete ouvrir N [JOURS]`` (or ``/pret envoyer [JOURS]``): open the project's next
    wave now, for JOURS days or the project's usual duration."""
    days = project.wave_days
    if rest:
        if not rest[0].isdigit() or not MIN_DAYS <= int(rest[0]) <= MAX_DAYS:
            return [context.say("survey.waves.bad_days", low=MIN_DAYS, high=MAX_DAYS)]
        days = int(rest[0])
    assert project.id is not None
    named = {"project": project.name, "number": project.id}
    if not await repo.survey_partners(context.session, project_id=project.id):
        return [context.say(texts.no_partner, **named)]
    wave = await open_wave(
        context.session,
        context.settings,
        context.content,
        project=project,
        opened_at=utcnow(),
        days=days,
    )
    if wave is None:
        current = await repo.current_wave(context.session, project_id=project.id)
        closes = local_time(context.settings, current.closes_at) if current else "?"
        return [context.say(texts.already_open, closes=closes, **named)]
    respondents = await repo.project_respondents(context.session, project_id=project.id)
    return [
        context.say(
            texts.opened,
            wave=wave.number,
            closes=local_time(context.settings, wave.closes_at),
            partners=wave.invited,
            respondents=len({person.id for _, person in respondents}),
            minimum=context.settings.min_group_size,
            **named,
        )
    ]


ACTIONS = (
    Action(("ouvrir", "open"), on_project("survey.waves.open_usage", open_now), role="animator"),
)
FLOWS: tuple[Flow, ...] = ()
