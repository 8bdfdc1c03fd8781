"""The date poll of a club meeting, in the chat: at the date step of /club reunion the animator
offers 2 to 6 slots and a deadline; every member is sent the meeting with three buttons per
slot (oui / si nécessaire / non, changeable until the poll closes); /club sondage N shows the
animators the tally and who has not answered, closes it, and fixes the date on the best slot
or another; the meeting's invitations then go to every member, and everyone who voted is told.
The per-minute job sends the one reminder halfway and, at the deadline, the proposal to the
animators, each once across restarts and instances (campaign keys, see bot.outbox.enqueue)."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.conversation import Answer, Context, Done, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.outbox import enqueue
from bot.storage import repositories as repo
from bot.storage.models import POLL_CHOICES, Campaign, Club, Event, Person, Pole, PollSlot, utcnow
from bot.storage.session import Session
from content.loader import Content, Texts
from content.text import fold
from handlers.actions import Action
from handlers.audiences import recipient_of
from handlers.club.draft import DURATION, described_meeting, parse_moment
from handlers.events import invitations, polling
from handlers.events.invitations import details, local_time
from handlers.events.poll import MAX_SLOTS, MIN_SLOTS, Closed, InvalidPoll, PollProblem, open_poll
from handlers.events.polling import StoredPoll
from handlers.language import texts_for

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

# Campaign kinds.
INVITATION = "poll_invitation"
REMINDER = "poll_reminder"
PROPOSAL = "poll_proposal"
RESULT = "poll_result"
# What « /club dispo N CRÉNEAU MOT » and the poll's buttons say, folded, to the stored choice.
CHOICE_WORDS = {
    "oui": "yes",
    "yes": "yes",
    "sinecessaire": "if_needed",
    "ifneeded": "if_needed",
    "non": "no",
    "no": "no",
}
_BUTTON_WORDS = {"yes": "oui", "if_needed": "sinecessaire", "no": "non"}
# Slots typed one a line or separated by « ; ».
_SLOT_SEPARATORS = re.compile(r"[;\n]")
# Members have a week after the poll's deadline to arrange their diary, when there is room.
DEADLINE_BEFORE_FIRST_SLOT = timedelta(days=7)
# Problems about the slots (asked again), the others being about the deadline.
_SLOT_PROBLEMS = frozenset(
    {
        PollProblem.TOO_FEW_SLOTS,
        PollProblem.TOO_MANY_SLOTS,
        PollProblem.NO_TIME_ZONE,
        PollProblem.SAME_SLOT_TWICE,
        PollProblem.SLOT_PASSED,
    }
)


def refusal(texts: Texts, settings: Settings, error: InvalidPoll | Closed) -> Text:
    """Why the poll cannot open or take an answer: ``events.poll.<problem>``, dates where the
    bot runs."""
    values = error.values if isinstance(error, InvalidPoll) else {"when": error.at}
    shown = {
        name: local_time(settings, value) if isinstance(value, datetime) else value
        for name, value in values.items()
    }
    return texts(f"events.poll.{error.problem.value}", **shown)


def default_deadline(first_slot: datetime, *, now: datetime, settings: Settings) -> datetime:
    """A week before the first slot, but no sooner than halfway from now to it, so that
    members have time to answer; on the hour where the bot runs, unless that has passed."""
    halfway = now + (first_slot - now) / 2
    deadline = max(first_slot - DEADLINE_BEFORE_FIRST_SLOT, halfway)
    on_the_hour = deadline.astimezone(settings.tz).replace(minute=0, second=0, microsecond=0)
    return on_the_hour if on_the_hour > now else deadline


# The steps /club reunion takes after « Sondage de dates » (its flow includes them).


async def ask_slots(context: Context) -> Reply:
    """Asks for the slots."""
    return context.say("club.date_poll.ask_slots", minimum=MIN_SLOTS, maximum=MAX_SLOTS)


async def answer_slots(context: Context, answer: Answer) -> Outcome:
    typed = [part.strip() for part in _SLOT_SEPARATORS.split(answer.text) if part.strip()]
    slots = []
    for part in typed:
        slot = parse_moment(part, context.settings.tz)
        if slot is None:
            return Retry(context.say("club.date_poll.bad_slot", typed=part))
        slots.append(slot)
    now = utcnow()
    try:
        # The slots' own checks, before the deadline is asked: with the first slot as deadline
        # (none when there is no slot: too few, said first), the deadline cannot be at fault.
        open_poll(slots, deadline=min(slots, default=now), now=now)
    except InvalidPoll as error:
        return Retry(Reply(refusal(context.texts, context.settings, error)))
    context.data["slots"] = [slot.isoformat() for slot in sorted(slots)]
    return Next("poll_deadline")


def _slots(context: Context) -> list[datetime]:
    return [datetime.fromisoformat(slot) for slot in context.data["slots"]]


async def ask_deadline(context: Context) -> Reply:
    """Asks until when members may answer, offering a default."""
    first = _slots(context)[0]
    proposed = default_deadline(first, now=utcnow(), settings=context.settings)
    # Kept so that the pressed button means the date it showed.
    context.data["proposed_deadline"] = proposed.isoformat()
    button = context.choice(
        context.texts.label(
            "club.date_poll.deadline_button", when=local_time(context.settings, proposed)
        ),
        "proposed",
    )
    return context.say(
        "club.date_poll.ask_deadline",
        first_slot=local_time(context.settings, first),
        buttons=[button],
    )


async def answer_deadline(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "proposed":
        deadline: datetime | None = datetime.fromisoformat(context.data["proposed_deadline"])
    else:
        deadline = parse_moment(answer.text, context.settings.tz)
    if deadline is None:
        return Retry(context.say("club.date_poll.bad_deadline"))
    try:
        open_poll(_slots(context), deadline=deadline, now=utcnow())
    except InvalidPoll as error:
        told = Reply(refusal(context.texts, context.settings, error))
        if error.problem in _SLOT_PROBLEMS:
            # A slot passed while the animator chose the deadline.
            return Next("poll_slots", [told])
        return Retry(told)
    context.data["poll_deadline"] = deadline.isoformat()
    return Next("poll_confirm")


async def ask_confirm(context: Context) -> Reply:
    """Shows the meeting, its slots and deadline, and how many members will be asked."""
    club = await context.session.get(Club, context.data["club_id"])
    assert club is not None and club.id is not None
    asked = await repo.club_member_ids(context.session, pole_id=club.pole_id, club_id=club.id)
    texts, settings = context.texts, context.settings
    draft = described_meeting(context.data, pole_id=club.pole_id)
    lines = [
        texts("broadcast.preview"),
        details(texts, settings, draft, club=club.name),
        Text.join(
            [texts("club.date_poll.preview_slots")]
            + [
                texts("club.date_poll.slot_line", number=n, when=local_time(settings, slot))
                for n, slot in enumerate(_slots(context), 1)
            ]
        ),
        texts(
            "club.date_poll.preview_deadline",
            when=local_time(settings, datetime.fromisoformat(context.data["poll_deadline"])),
        ),
        texts(
            "club.date_poll.preview_members" if asked else "club.meeting_nobody", count=len(asked)
        ),
    ]
    buttons = [context.choice(texts.label("broadcast.cancel"), "cancel")]
    if asked:
        buttons.insert(
            0, context.choice(texts.label("club.date_poll.send", count=len(asked)), "send")
        )
    return Reply(Text.join(lines, "\n\n"), tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.meeting_dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    club = await context.session.get(Club, context.data["club_id"])
    assert club is not None
    try:
        stored = await polling.open_poll(
            context.session,
            event=described_meeting(context.data, pole_id=club.pole_id),
            slots=_slots(context),
            deadline=datetime.fromisoformat(context.data["poll_deadline"]),
            now=utcnow(),
        )
    except InvalidPoll as error:
        # Time went by on the preview: a slot or the deadline passed.
        told = Reply(refusal(context.texts, context.settings, error))
        return Next("poll_slots" if error.problem in _SLOT_PROBLEMS else "poll_deadline", [told])
    sent = await _ask_members(context.session, context.settings, context.content, stored, club)
    number = stored.event.id
    return Done(
        [
            context.say(
                "club.date_poll.opened",
                number=number,
                count=sent,
                deadline=local_time(context.settings, stored.closes_at()),
                buttons=[
                    context.command_button(
                        context.texts.label("club.date_poll.see_answers"), f"club sondage {number}"
                    )
                ],
            )
        ]
    )


STEPS = {
    "poll_slots": Step(ask_slots, answer_slots),
    "poll_deadline": Step(ask_deadline, answer_deadline),
    "poll_confirm": Step(ask_confirm, answer_confirm),
}


# What members see and press.


def answers_view(texts: Texts, settings: Settings, stored: StoredPoll, person_id: int) -> Text:
    """The person's answer for every slot, numbered as in the buttons."""
    given = stored.answers_of(person_id)
    lines = [
        texts(
            "club.date_poll.answer_line",
            number=n,
            when=local_time(settings, slot.starts_at),
            choice=texts.label(f"club.date_poll.choices.{given[slot.id or 0]}")
            if slot.id in given
            else texts.label("club.date_poll.no_answer"),
        )
        for n, slot in enumerate(stored.slots, 1)
    ]
    return Text.join(lines)


def vote_buttons(texts: Texts, settings: Settings, stored: StoredPoll) -> list[Button]:
    """Three buttons per slot: oui, si nécessaire, non."""
    return [
        Button(
            texts.label(
                "club.date_poll.button",
                when=local_time(settings, slot.starts_at),
                choice=texts.label(f"club.date_poll.choices.{choice}"),
            ),
            f"/club dispo {stored.event.id} {n} {_BUTTON_WORDS[choice]}",
        )
        for n, slot in enumerate(stored.slots, 1)
        for choice in POLL_CHOICES
    ]


async def _ask(
    session: Session,
    texts: Texts,
    settings: Settings,
    stored: StoredPoll,
    person: Person,
    lead: list[Text],
    *,
    kind: str,
    dedupe_key: str | None = None,
) -> int:
    """Queue to ``person`` ``lead``, their answers so far and the buttons to answer each slot:
    one campaign, about them (their answers show in it)."""
    assert person.id is not None
    event = stored.event
    body = Text.join([*lead, answers_view(texts, settings, stored, person.id)], "\n\n")
    campaign = Campaign(
        pole_id=event.pole_id,
        kind=kind,
        subject_id=person.id,
        audience=f"poll:{event.id}:{kind}:{person.id}",
        text=str(body),
        buttons=[[b.label, b.value] for b in vote_buttons(texts, settings, stored)],
    )
    return await _tell(session, person=person, campaign=campaign, dedupe_key=dedupe_key)


async def _tell(
    session: Session,
    *,
    person: Person,
    campaign: Campaign,
    dedupe_key: str | None = None,
) -> int:
    """Queue ``campaign`` to ``person``'s chat account."""
    assert person.id is not None
    recipient = await recipient_of(session, person_id=person.id)
    if recipient is None:
        return 0
    return await enqueue(session, campaign=campaign, recipients=[recipient], dedupe_key=dedupe_key)


async def _ask_members(
    session: Session, settings: Settings, content: Content, stored: StoredPoll, club: Club
) -> int:
    """Send every member the meeting and the slots with their buttons: one campaign each,
    about them (their answers show in the replies). Returns how many were queued."""
    event = stored.event
    queued = 0
    audience = await repo.event_audience(session, event=event)
    for person in await repo.people_by_id(session, ids=audience):
        texts = texts_for(content, settings, person)
        deadline = local_time(settings, stored.closes_at())
        lead = [
            details(texts, settings, event, club=club.name),
            texts("club.date_poll.invitation", deadline=deadline),
        ]
        queued += await _ask(session, texts, settings, stored, person, lead, kind=INVITATION)
    return queued


# /club dispo: a member's answers.


async def vote(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club dispo N CRÉNEAU oui|sinecessaire|non`` (the poll's buttons): the member's
    availability for one slot, changeable until the poll closes; shows all their answers."""
    return [await _vote(context, args)]


async def _vote(context: Context, args: Sequence[str]) -> Reply:
    if len(args) == 1 and args[0].isdigit():
        return await _my_answers(context, int(args[0]))
    if len(args) != 3 or not args[0].isdigit() or not args[1].isdigit():
        return context.say("club.date_poll.vote_usage")
    choice = CHOICE_WORDS.get(fold(args[2]).replace(" ", ""))
    if choice is None:
        return context.say("club.date_poll.vote_usage")
    assert context.person is not None and context.person.id is not None
    stored = await _poll_for(context, int(args[0]), person_id=context.person.id)
    if stored is None:
        return context.say("club.date_poll.unknown")
    number = int(args[1])
    if not 1 <= number <= len(stored.slots):
        return context.say("club.date_poll.vote_usage")
    answered = await polling.vote(
        context.session,
        stored=stored,
        person_id=context.person.id,
        slot=stored.slots[number - 1],
        choice=choice,
        now=utcnow(),
    )
    texts, settings = context.texts, context.settings
    if isinstance(answered, Closed):
        return Reply(refusal(texts, settings, answered))
    body = Text.join(
        [
            texts(
                "club.date_poll.noted",
                theme=stored.event.title,
                deadline=local_time(settings, answered.closes_at()),
            ),
            answers_view(texts, settings, answered, context.person.id),
        ]
    )
    return Reply(body, tuple(vote_buttons(texts, settings, answered)))


async def _my_answers(context: Context, event_id: int) -> Reply:
    """``/club dispo N`` (the button of /club): the member's answers so far, with the buttons
    to give or change them while the poll is open."""
    assert context.person is not None and context.person.id is not None
    stored = await _poll_for(context, event_id, person_id=context.person.id)
    if stored is None:
        return context.say("club.date_poll.unknown")
    texts, settings = context.texts, context.settings
    if stored.is_closed(now=utcnow()):
        return Reply(refusal(texts, settings, Closed(stored.closes_at())))
    club = await context.session.get(Club, stored.event.club_id)
    body = Text.join(
        [
            details(texts, settings, stored.event, club=club.name if club else ""),
            texts("club.date_poll.invitation", deadline=local_time(settings, stored.closes_at())),
            answers_view(texts, settings, stored, context.person.id),
        ],
        "\n\n",
    )
    return Reply(body, tuple(vote_buttons(texts, settings, stored)))


async def _poll_for(context: Context, event_id: int, *, person_id: int | None) -> StoredPoll | None:
    """The poll of event ``event_id`` in the person's pôle, for one of its audience (or, with
    ``person_id`` None, for its animators); None otherwise, whether it exists or not."""
    pole = context.pole
    assert pole is not None and pole.id is not None
    if person_id is None:
        event = await repo.locked_event(context.session, event_id=event_id)
        if event is None or event.pole_id != pole.id:
            return None
    else:
        event = await repo.event_for(
            context.session, event_id=event_id, person_id=person_id, pole_id=pole.id
        )
    if event is None or event.poll_deadline is None:
        return None
    return await polling.load(context.session, event=event)


# /club sondage: the animators' view.


async def poll_view(
    session: Session,
    texts: Texts,
    settings: Settings,
    stored: StoredPoll,
    *,
    now: datetime,
    names: bool = True,
) -> Reply:
    """The tally per slot and, with ``names``, who has not answered; once closed, the best slot
    proposed with a button to fix it and one for each other slot; while open, a button to close
    it."""
    event = stored.event
    club = await session.get(Club, event.club_id) if event.club_id is not None else None
    members = await polling.members(session, event=event)
    tallies = polling.tally(stored, members)
    lines = [
        texts(
            "club.date_poll.tally_title",
            number=event.id,
            club=club.name if club else "",
            theme=event.title,
        )
    ]
    if event.status == "scheduled" and event.starts_at is not None:
        lines.append(
            texts("club.date_poll.tally_fixed", when=local_time(settings, event.starts_at))
        )
    elif stored.is_closed(now=now):
        lines.append(
            texts("club.date_poll.tally_closed", when=local_time(settings, stored.closes_at()))
        )
    else:
        lines.append(
            texts("club.date_poll.tally_open", when=local_time(settings, stored.closes_at()))
        )
    lines += [
        texts(
            "club.date_poll.tally_line",
            when=local_time(settings, tally.slot),
            yes=tally.yes,
            if_needed=tally.if_needed,
            no=tally.no,
            unanswered=len(tally.unanswered),
        )
        for tally in tallies
    ]
    waiting = polling.awaiting(stored, members)
    if waiting and not names:
        lines.append(texts("club.date_poll.awaiting_count", count=len(waiting), number=event.id))
    elif waiting:
        names = [
            person.display_name or "?" for person in await repo.people_by_id(session, ids=waiting)
        ]
        lines.append(texts("club.date_poll.awaiting", names=", ".join(names)))
    else:
        lines.append(texts("club.date_poll.all_answered"))
    if event.status != "polling":
        return Reply(Text.join(lines))
    if not stored.is_closed(now=now):
        close = Button(
            texts.label("club.date_poll.close_button"), f"/club sondage {event.id} clore"
        )
        return Reply(Text.join(lines), (close,))
    best = polling.best_slot(stored, members)
    best_tally = next(t for t in tallies if t.slot == best.starts_at)
    lines.append(
        texts(
            "club.date_poll.best",
            when=local_time(settings, best.starts_at),
            available=best_tally.available,
            yes=best_tally.yes,
        )
    )
    # The best slot's button first, then the others in their order (sorted is stable).
    ordered = sorted(enumerate(stored.slots, 1), key=lambda numbered: numbered[1] is not best)
    buttons = [
        Button(
            texts.label(
                "club.date_poll.confirm_button" if slot is best else "club.date_poll.other_button",
                when=local_time(settings, slot.starts_at),
            ),
            f"/club sondage {event.id} fixer {n}",
        )
        for n, slot in ordered
    ]
    return Reply(Text.join(lines), tuple(buttons))


async def manage(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club sondage``: the pôle's open polls; ``/club sondage N``: its tally; ``… N clore``
    closes it and proposes the best slot; ``… N fixer CRÉNEAU`` fixes the date and invites."""
    pole = context.pole
    assert pole is not None and pole.id is not None
    if not args:
        return [await _open_polls(context, pole)]
    if not args[0].isdigit():
        return [context.say("club.date_poll.manage_usage")]
    stored = await _poll_for(context, int(args[0]), person_id=None)
    if stored is None:
        return [context.say("club.date_poll.unknown")]
    now = utcnow()
    what = [fold(arg) for arg in args[1:]]
    # A poll whose date is fixed only shows it.
    if not what or stored.event.status != "polling":
        return [await poll_view(context.session, context.texts, context.settings, stored, now=now)]
    if what in (["clore"], ["close"]):
        closed = await polling.close(context.session, stored=stored, now=now)
        return [
            context.say("club.date_poll.closed_now"),
            await poll_view(context.session, context.texts, context.settings, closed, now=now),
        ]
    if len(what) == 2 and what[0] in ("fixer", "fix") and what[1].isdigit():
        number = int(what[1])
        if 1 <= number <= len(stored.slots):
            return [await _fix(context, pole, stored, stored.slots[number - 1], now=now)]
    return [context.say("club.date_poll.manage_usage")]


async def _open_polls(context: Context, pole: Pole) -> Reply:
    assert pole.id is not None
    events = await repo.polling_events(context.session, pole_id=pole.id)
    if not events:
        return context.say("club.date_poll.no_polls")
    lines = [context.texts("club.date_poll.open_polls")]
    buttons = []
    for event in events:
        assert event.poll_deadline is not None
        lines.append(
            context.texts(
                "club.date_poll.open_poll_line",
                number=event.id,
                theme=event.title,
                deadline=local_time(context.settings, event.poll_closed_at or event.poll_deadline),
            )
        )
        buttons.append(
            context.command_button(
                context.texts.label(
                    "club.date_poll.open_poll_button", number=event.id, theme=event.title
                ),
                f"club sondage {event.id}",
            )
        )
    return Reply(Text.join(lines), tuple(buttons))


async def _fix(
    context: Context, pole: Pole, stored: StoredPoll, slot: PollSlot, *, now: datetime
) -> Reply:
    """Fix the meeting on ``slot``: its invitations go to every member, and everyone who
    voted is told the date."""
    session, settings, content = context.session, context.settings, context.content
    event = await polling.fix(session, stored=stored, slot=slot, duration=DURATION, now=now)
    invited = await invitations.invite(session, settings, content, event=event, pole=pole)
    club = await session.get(Club, event.club_id) if event.club_id is not None else None
    voters = polling.voters(stored)
    for person in await repo.people_by_id(session, ids=voters):
        texts = texts_for(content, settings, person)
        campaign = Campaign(
            pole_id=event.pole_id,
            kind=RESULT,
            subject_id=person.id,
            audience=f"poll:{event.id}:result:{person.id}",
            text=texts.label(
                "club.date_poll.result",
                theme=event.title,
                club=club.name if club else pole.name,
                when=local_time(settings, slot.starts_at),
            ),
        )
        await _tell(session, person=person, campaign=campaign)
    return context.say(
        "club.date_poll.fixed",
        when=local_time(settings, slot.starts_at),
        count=invited,
        voters=len(voters),
    )


# The per-minute job.


async def send_due(app: App) -> None:
    """Send what the open polls are due (every minute): the one reminder halfway to members
    who left a slot unanswered, and, at the deadline, the proposal of the best slot to the
    pôle's animators; each once, whichever instance decides it and however often."""
    now = utcnow()
    async with app.database.transaction() as session:
        ids = [event.id for event in await repo.polling_events(session)]
    queued = 0
    for event_id in ids:
        try:
            async with app.database.transaction() as session:
                queued += await _send_due_one(session, app.settings, app.content, event_id, now=now)
        except Exception:
            # The other polls go on; this one is tried again at the next minute.
            logger.exception("Date poll of event %s: reminder or proposal failed", event_id)
    if queued:
        logger.info("Queued %d date poll message(s)", queued)


async def _send_due_one(
    session: Session, settings: Settings, content: Content, event_id: int, *, now: datetime
) -> int:
    event = await session.get(Event, event_id)
    if event is None or event.status != "polling" or event.poll_deadline is None:
        return 0
    stored = await polling.load(session, event=event)
    if polling.reminder_due(stored, now=now):
        return await _remind(session, settings, content, stored)
    # Closed early, the animator who closed it saw the proposal; at the deadline, all are told.
    if now >= event.poll_deadline and event.poll_closed_at is None:
        return await _propose(session, settings, content, stored, now=now)
    return 0


async def _remind(
    session: Session, settings: Settings, content: Content, stored: StoredPoll
) -> int:
    """The one reminder, to each member who left a slot unanswered, with their answers."""
    event = stored.event
    prefix = f"poll:{event.id}:reminder:"
    members = await polling.members(session, event=event)
    awaiting = await repo.people_by_id(session, ids=polling.awaiting(stored, members))
    # Decided in one transaction: any of these keys stored means the reminders went out.
    if await repo.stored_dedupe_keys(session, keys=[f"{prefix}{p.id}" for p in awaiting]):
        return 0
    club = await session.get(Club, event.club_id) if event.club_id is not None else None
    queued = 0
    for person in awaiting:
        texts = texts_for(content, settings, person)
        lead = [
            texts(
                "club.date_poll.reminder",
                theme=event.title,
                club=club.name if club else "",
                deadline=local_time(settings, stored.closes_at()),
            )
        ]
        queued += await _ask(
            session,
            texts,
            settings,
            stored,
            person,
            lead,
            kind=REMINDER,
            dedupe_key=f"{prefix}{person.id}",
        )
    return queued


async def _propose(
    session: Session,
    settings: Settings,
    content: Content,
    stored: StoredPoll,
    *,
    now: datetime,
) -> int:
    """The deadline's proposal of the best slot, to each animator of the pôle."""
    event = stored.event
    prefix = f"poll:{event.id}:proposal:"
    animators = await repo.pole_animators(session, pole_id=event.pole_id)
    if await repo.stored_dedupe_keys(session, keys=[f"{prefix}{p.id}" for p in animators]):
        return 0
    queued = 0
    for person in animators:
        texts = texts_for(content, settings, person)
        # Without the names of those who did not answer: the message stays when they are
        # erased, and /club sondage shows them.
        view = await poll_view(session, texts, settings, stored, now=now, names=False)
        campaign = Campaign(
            pole_id=event.pole_id,
            kind=PROPOSAL,
            audience=f"poll:{event.id}:proposal:{person.id}",
            text=str(Text.join([texts("club.date_poll.proposal"), view.text], "\n\n")),
            buttons=[[b.label, b.value] for b in view.buttons],
        )
        queued += await _tell(
            session, person=person, campaign=campaign, dedupe_key=f"{prefix}{person.id}"
        )
    return queued


ACTIONS = (
    Action(("dispo", "availability"), vote),
    Action(("sondage", "poll"), manage, role="animator"),
)
# Its steps belong to /club reunion's flow (handlers/club/meetings.py).
FLOWS = ()
