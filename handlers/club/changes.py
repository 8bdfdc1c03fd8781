"""Changing or cancelling a club meeting (animators of the pôle): ``/club modifier N`` changes
its date and time, its place, both, its theme or its agenda and, after a preview, sends every
invited member what changed with a new calendar file (a new date asks everyone to answer
again); ``/club annuler N`` cancels it, after a reason and a confirmation, telling everyone
invited, those who declined too. Without N, each lists the pôle's meetings to come."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, Event, utcnow
from handlers.actions import Action
from handlers.club.meetings import parse_when, text_step
from handlers.events import invitations
from handlers.events.invitations import Changes
from handlers.validation import clean_line

CHANGE_FLOW = "club_change"
CANCEL_FLOW = "club_cancel"
# What « Que voulez-vous changer ? » offers, and the step each choice asks first.
WHAT = {"when": "when", "place": "place", "both": "when", "theme": "theme", "agenda": "agenda"}
REASON_MAX = 300
# A meeting's theme in a button, cut: buttons show one short line.
_LABEL_THEME = 40


async def _club_name(context: Context, event: Event) -> str:
    club = await context.session.get(Club, event.club_id) if event.club_id is not None else None
    assert context.pole is not None
    return club.name if club else context.pole.name


async def _changeable(context: Context, event_id: int) -> Event | Reply:
    """The pôle's meeting ``event_id`` if it can still change, else what to say."""
    event = await repo.pole_event(context.session, pole_id=context.pole_id, event_id=event_id)
    # The same answer for another pôle's meeting as for none: it tells nothing of it.
    if event is None:
        return context.say("club.changes.unknown")
    if event.status == "polling" or event.starts_at is None:
        return context.say("club.changes.polling", theme=event.title)
    when = invitations.local_time(context.settings, event.starts_at)
    if event.status == "cancelled":
        return context.say("club.changes.already_cancelled", when=when)
    if event.starts_at <= utcnow():
        return context.say("club.changes.past", when=when)
    return event


async def _begin(context: Context, args: Sequence[str], flow: str, word: str) -> list[Reply]:
    """Start ``flow`` on the meeting ``args[0]``; without it, the meetings to come as buttons
    of ``/club WORD N``."""
    if not args:
        return [await _pick(context, word)]
    if len(args) != 1 or not args[0].isdigit():
        return [context.say("club.changes.usage", word=word)]
    found = await _changeable(context, int(args[0]))
    if isinstance(found, Reply):
        return [found]
    context.start_flow(flow, {"event_id": found.id})
    return []


async def _pick(context: Context, word: str) -> Reply:
    events = await repo.upcoming_pole_events(
        context.session, pole_id=context.pole_id, after=utcnow()
    )
    if not events:
        return context.say("club.changes.none_upcoming")
    buttons = []
    for event in events:
        assert event.starts_at is not None
        when = invitations.local_time(context.settings, event.starts_at)
        theme = event.title
        if len(theme) > _LABEL_THEME:
            theme = theme[: _LABEL_THEME - 1] + "…"
        label = f"{when} · {await _club_name(context, event)} : {theme}"
        buttons.append(context.command_button(label, f"club {word} {event.id}"))
    return context.say("club.changes.pick", buttons=buttons)


async def change(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club modifier N``: change a meeting to come; asks what changes."""
    return await _begin(context, args, CHANGE_FLOW, "modifier")


async def cancel(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club annuler N``: cancel a meeting to come; asks why."""
    return await _begin(context, args, CANCEL_FLOW, "annuler")


async def _event(context: Context) -> Event | Reply:
    """This flow's meeting, checked again: another animator may have cancelled it, or it may
    have begun, since the flow started."""
    return await _changeable(context, context.data["event_id"])


async def _shown(context: Context, event: Event) -> Text:
    return invitations.details(
        context.texts, context.settings, event, club=await _club_name(context, event)
    )


async def ask_what(context: Context) -> Reply:
    """Shows the meeting and asks what changes."""
    event = await _event(context)
    if isinstance(event, Reply):
        return event
    texts = context.texts
    buttons = [context.choice(texts.label(f"club.changes.what.{w}"), w) for w in WHAT]
    buttons.append(context.choice(texts.label("club.changes.drop"), "drop"))
    body = Text.join([await _shown(context, event), texts("club.changes.ask_what")], "\n\n")
    return Reply(body, tuple(buttons))


async def answer_what(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "drop":
        return Done([context.say("club.changes.change_dropped")])
    if answer.choice not in WHAT:
        return Retry(context.say("errors.pick_a_button"))
    event = await _event(context)
    if isinstance(event, Reply):
        return Done([event])
    context.data["what"] = answer.choice
    return Next(WHAT[answer.choice])


async def ask_when(context: Context) -> Reply:
    """Asks the new date and time."""
    event = await _event(context)
    if isinstance(event, Reply):
        return event
    assert event.starts_at is not None
    return context.say(
        "club.changes.ask_when", when=invitations.local_time(context.settings, event.starts_at)
    )


async def answer_when(context: Context, answer: Answer) -> Outcome:
    start = parse_when(answer.text, context)
    if isinstance(start, str):
        return Retry(context.say(start))
    event = await _event(context)
    if isinstance(event, Reply):
        return Done([event])
    if start == event.starts_at:
        return Retry(context.say("club.changes.same_date"))
    context.data["starts_at"] = start.isoformat()
    return Next("place" if context.data["what"] == "both" else "confirm")


ask_place, answer_place = text_step("place", "confirm")
ask_theme, answer_theme = text_step("theme", "confirm")
ask_agenda, answer_agenda = text_step("agenda", "confirm")


def _changes(context: Context) -> Changes:
    data = context.data
    return Changes(
        starts_at=datetime.fromisoformat(data["starts_at"]) if "starts_at" in data else None,
        place=data.get("place"),
        title=data.get("theme"),
        agenda=data.get("agenda"),
    )


async def ask_confirm(context: Context) -> Reply:
    """Shows what changes (old → new) and who will be told, and asks to send the update."""
    event = await _event(context)
    if isinstance(event, Reply):
        return event
    texts = context.texts
    current, changes = Changes.of(event), _changes(context)
    lines = invitations.change_lines(texts, context.settings, current, changes)
    drop = context.choice(texts.label("club.changes.drop"), "drop")
    if not lines:
        return Reply(texts("club.changes.nothing"), (drop,))
    invited = len(await repo.event_audience(context.session, event=event))
    new_date = "starts_at" in invitations.differences(current, changes)
    body = Text.join(
        [
            Text.join([texts("club.changes.preview"), *lines]),
            texts(
                "club.changes.preview_reset" if new_date else "club.changes.preview_kept",
                count=invited,
            ),
        ],
        "\n\n",
    )
    send = context.choice(texts.label("club.changes.send"), "send")
    return Reply(body, (send, drop))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "drop":
        return Done([context.say("club.changes.change_dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    event = await _event(context)
    if isinstance(event, Reply):
        return Done([event])
    assert context.pole is not None
    sent = await invitations.update(
        context.session,
        context.settings,
        context.content,
        event=event,
        pole=context.pole,
        changes=_changes(context),
    )
    return Done([context.say("club.changes.updated", count=sent)])


async def ask_reason(context: Context) -> Reply:
    """Shows the meeting and asks why it is cancelled (optional)."""
    event = await _event(context)
    if isinstance(event, Reply):
        return event
    texts = context.texts
    body = Text.join(
        [await _shown(context, event), texts("club.changes.ask_reason", maximum=REASON_MAX)],
        "\n\n",
    )
    buttons = (
        context.choice(texts.label("club.changes.no_reason"), "skip"),
        context.choice(texts.label("club.changes.keep"), "keep"),
    )
    return Reply(body, buttons)


async def answer_reason(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "keep":
        return Done([context.say("club.changes.cancel_dropped")])
    event = await _event(context)
    if isinstance(event, Reply):
        return Done([event])
    reason = ""
    if answer.choice != "skip":
        cleaned = clean_line(context, answer.text, max_length=REASON_MAX)
        if isinstance(cleaned, Retry):
            return cleaned
        reason = cleaned.value
    context.data["reason"] = reason
    return Next("confirm")


async def ask_cancel(context: Context) -> Reply:
    """Shows the meeting, the reason and who will be told, and asks to confirm."""
    event = await _event(context)
    if isinstance(event, Reply):
        return event
    texts = context.texts
    invited = len(await repo.event_audience(context.session, event=event))
    parts = [await _shown(context, event)]
    if context.data["reason"]:
        parts.append(texts("events.invitations.cancellation_reason", reason=context.data["reason"]))
    parts.append(texts("club.changes.confirm_cancel", count=invited))
    buttons = (
        context.choice(texts.label("club.changes.do_cancel"), "cancel"),
        context.choice(texts.label("club.changes.keep"), "keep"),
    )
    return Reply(Text.join(parts, "\n\n"), buttons)


async def answer_cancel(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "keep":
        return Done([context.say("club.changes.cancel_dropped")])
    if answer.choice != "cancel":
        return Retry(context.say("errors.pick_a_button"))
    event = await _event(context)
    if isinstance(event, Reply):
        return Done([event])
    assert context.pole is not None and event.starts_at is not None
    sent = await invitations.cancel(
        context.session,
        context.settings,
        context.content,
        event=event,
        pole=context.pole,
        reason=context.data["reason"],
    )
    when = invitations.local_time(context.settings, event.starts_at)
    return Done([context.say("club.changes.cancelled", count=sent, when=when)])


ACTIONS = (
    Action(("modifier", "change"), change, role="animator"),
    Action(("annuler", "cancel"), cancel, role="animator"),
)
FLOWS = (
    Flow(
        CHANGE_FLOW,
        "club.changes.change_title",
        "what",
        {
            "what": Step(ask_what, answer_what),
            "when": Step(ask_when, answer_when),
            "place": Step(ask_place, answer_place),
            "theme": Step(ask_theme, answer_theme),
            "agenda": Step(ask_agenda, answer_agenda),
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="animator",
    ),
    Flow(
        CANCEL_FLOW,
        "club.changes.cancel_title",
        "reason",
        {
            "reason": Step(ask_reason, answer_reason),
            "confirm": Step(ask_cancel, answer_cancel),
        },
        role="animator",
    ),
)
