"""Animators turn requests into a workshop. ``/atelier demandes``: the pôle's open requests
ranked by the number of members who asked, each with « Planifier »; ``/atelier planifier N``
(N a request of the group) asks the title (the theme's by default), date and time, place or
visio link, capacity and audience (the whole pôle, or only those who asked), shows the
invitation and sends it. The workshop is an event of handlers/events (kind « workshop », no
club): its invitations, answers with capacity and waiting list, calendar files, e-mails,
reminders and attendance are theirs. Those who asked are told it is planned, and their
requests are answered."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Event, utcnow
from handlers.actions import Action
from handlers.club.draft import parse_moment
from handlers.events import invitations
from handlers.validation import clean_line
from handlers.workshops.notify import tell

FLOW = "workshop_plan"
LIMITS = {"title": 200, "place": 300}
CAPACITY_MAX = 500
# How long it lasts: a workshop a morning, a thematic day from 9 to 17.
DURATIONS = {"workshop": timedelta(hours=3), "thematic_day": timedelta(hours=8)}
DEMAND_SHOWN = 10
AUDIENCES = ("pole", "requesters")


async def demand(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/atelier demandes``: the open requests, the most asked first, with how many members
    asked (each member once, whatever they typed), and « Planifier » for each."""
    ranked = await repo.workshop_demand(context.session, pole_id=context.pole_id)
    texts = context.texts
    if not ranked:
        return [context.say("workshops.demand.none")]
    lines = [texts("workshops.demand.title")]
    buttons = []
    for number, group in enumerate(ranked[:DEMAND_SHOWN], start=1):
        theme = context.content.workshops.get(group.theme or "")
        subject = theme.title(context.locale) if theme else group.text
        kind = "theme" if theme else "words"
        lines.append(
            texts(
                f"workshops.demand.line.{kind}", number=number, subject=subject, count=group.members
            )
        )
        label = texts.label("workshops.demand.plan_button", number=number)
        buttons.append(context.command_button(label, f"atelier planifier {group.first_id}"))
    return [Reply(Text.join(lines), tuple(buttons))]


async def plan(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/atelier planifier N``: describe the workshop answering request N and its like."""
    request = None
    if len(args) == 1 and args[0].isdigit():
        request = await repo.pole_workshop_request(
            context.session, pole_id=context.pole_id, request_id=int(args[0])
        )
    if request is None:
        return [context.say("workshops.plan.unknown_request")]
    context.start_flow(FLOW, {"key": request.key, "theme": request.theme, "text": request.text})
    return []


def _default_title(context: Context) -> str:
    theme = context.content.workshops.get(context.data.get("theme") or "")
    if theme is not None:
        return theme.title(context.locale)
    # A member's words, as a title.
    text: str = context.data["text"]
    return text[:1].upper() + text[1:]


async def ask_title(context: Context) -> Reply:
    title = _default_title(context)
    keep = context.choice(
        context.texts.label("workshops.plan.keep_title", title=title[:40]), "keep"
    )
    return context.say(
        "workshops.plan.ask_title", title=title, maximum=LIMITS["title"], buttons=[keep]
    )


async def answer_title(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "keep":
        context.data["title"] = _default_title(context)[: LIMITS["title"]]
        return Next("when")
    cleaned = clean_line(context, answer.text, max_length=LIMITS["title"])
    if isinstance(cleaned, Retry):
        return cleaned
    context.data["title"] = cleaned.value
    return Next("when")


async def ask_when(context: Context) -> Reply:
    return context.say("workshops.plan.ask_when")


async def answer_when(context: Context, answer: Answer) -> Outcome:
    start = parse_moment(answer.text, context.settings.tz)
    if start is None:
        return Retry(context.say("workshops.plan.bad_date"))
    if start <= utcnow():
        return Retry(context.say("workshops.plan.past_date"))
    context.data["starts_at"] = start.isoformat()
    return Next("place")


async def ask_place(context: Context) -> Reply:
    return context.say("workshops.plan.ask_place", maximum=LIMITS["place"])


async def answer_place(context: Context, answer: Answer) -> Outcome:
    cleaned = clean_line(context, answer.text, max_length=LIMITS["place"])
    if isinstance(cleaned, Retry):
        return cleaned
    context.data["place"] = cleaned.value
    return Next("capacity")


async def ask_capacity(context: Context) -> Reply:
    unlimited = context.choice(context.texts.label("workshops.plan.unlimited"), "none")
    return context.say("workshops.plan.ask_capacity", buttons=[unlimited])


async def answer_capacity(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "none":
        context.data["capacity"] = None
        return Next("audience")
    typed = answer.text.strip()
    if not typed.isdigit() or not 1 <= int(typed) <= CAPACITY_MAX:
        return Retry(context.say("workshops.plan.bad_capacity", maximum=CAPACITY_MAX))
    context.data["capacity"] = int(typed)
    return Next("audience")


async def _requesters(context: Context) -> list[int]:
    return await repo.workshop_requesters(
        context.session, pole_id=context.pole_id, key=context.data["key"]
    )


async def ask_audience(context: Context) -> Reply:
    """The whole pôle or those who asked, with how many people each is."""
    members = await repo.pole_member_ids(context.session, pole_id=context.pole_id)
    asked = await _requesters(context)
    texts = context.texts
    return context.say(
        "workshops.plan.ask_audience",
        buttons=[
            context.choice(texts.label("workshops.plan.audience.pole", count=len(members)), "pole"),
            context.choice(
                texts.label("workshops.plan.audience.requesters", count=len(asked)), "requesters"
            ),
        ],
    )


async def answer_audience(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in AUDIENCES:
        return Retry(context.say("errors.pick_a_button"))
    context.data["audience"] = answer.choice
    return Next("confirm")


def _event(context: Context) -> Event:
    """The workshop described in this flow, not stored yet."""
    start = datetime.fromisoformat(context.data["starts_at"])
    theme = context.content.workshops.get(context.data.get("theme") or "")
    duration = DURATIONS[theme.kind if theme else "workshop"]
    return Event(
        pole_id=context.pole_id,
        kind="workshop",
        uid=f"{uuid.uuid4()}@rse-bot",
        title=context.data["title"],
        place=context.data["place"],
        agenda=theme.summary(context.locale) if theme else "",
        capacity=context.data.get("capacity"),
        starts_at=start,
        ends_at=start + duration,
        dated_at=utcnow(),
        guests_only=context.data["audience"] == "requesters",
    )


async def _invited(context: Context) -> list[int]:
    if context.data["audience"] == "requesters":
        return await _requesters(context)
    return sorted(await repo.pole_member_ids(context.session, pole_id=context.pole_id))


async def ask_confirm(context: Context) -> Reply:
    """The invitation as it will read, how many are invited, and « Envoyer »."""
    assert context.pole is not None
    invited = await _invited(context)
    texts = context.texts
    details = invitations.details(texts, context.settings, _event(context), club=context.pole.name)
    summary = texts("workshops.plan.invited", count=len(invited))
    buttons = [context.choice(texts.label("workshops.plan.cancel"), "cancel")]
    if invited:
        buttons.insert(
            0, context.choice(texts.label("workshops.plan.send", count=len(invited)), "send")
        )
    body = Text.join([texts("workshops.plan.preview"), details, summary], "\n\n")
    return Reply(body, tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("workshops.plan.dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    assert context.pole is not None
    event = _event(context)
    guests = await _invited(context) if event.guests_only else []
    _, asked = await repo.create_workshop(
        context.session,
        event=event,
        key=context.data["key"],
        theme=context.data.get("theme"),
        guests=guests,
    )
    assert event.starts_at is not None
    when = invitations.local_time(context.settings, event.starts_at)
    await tell(
        context.session,
        context.settings,
        context.content,
        pole_id=context.pole_id,
        people=asked,
        kind="workshop_planned",
        key="workshops.plan.planned",
        values={"title": event.title, "when": when},
        audience=f"workshop:{event.id}:planned",
    )
    sent = await invitations.invite(
        context.session,
        context.settings,
        context.content,
        event=event,
        pole=context.pole,
        intro="workshops.invitation",
    )
    return Done(
        [
            context.say(
                "workshops.plan.sent", number=event.id, count=sent, asked=len(asked), when=when
            )
        ]
    )


ACTIONS = (
    Action(("demandes", "requests"), demand, role="animator"),
    Action(("planifier", "plan"), plan, role="animator"),
)
FLOWS = (
    Flow(
        FLOW,
        "workshops.plan.flow_title",
        "title",
        {
            "title": Step(ask_title, answer_title),
            "when": Step(ask_when, answer_when),
            "place": Step(ask_place, answer_place),
            "capacity": Step(ask_capacity, answer_capacity),
            "audience": Step(ask_audience, answer_audience),
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="animator",
    ),
)
