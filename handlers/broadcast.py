"""/diffuser: an animator writes to the members of their pôle, on Telegram and Slack, with a
preview and a confirmation; /diffuser statut reports how the last broadcasts were delivered."""

from __future__ import annotations

from bot.conversation import (
    Answer,
    Command,
    Context,
    Done,
    Feature,
    Flow,
    Next,
    Outcome,
    Retry,
    Step,
    fold,
)
from bot.messages import Platform, Reply, Text
from bot.outbox import enqueue, recent_campaigns, report
from bot.storage.models import Campaign, Person
from handlers.audiences import AUDIENCES, REACHABLE_FIRST, Audience, resolve

FLOW = "broadcast"
KIND = "broadcast"
# Telegram cuts at 4,096 characters: a broadcast stays one message there.
TEXT_MAX = 4000
EVERY_PLATFORM = "any"
STATUS_WORDS = frozenset({"statut", "status", "etat", "rapport", "report"})


async def start(context: Context) -> list[Reply]:
    """Compose a broadcast, or ``/diffuser statut``: the last ones' delivery."""
    if context.incoming.args and fold(context.incoming.args[0]) in STATUS_WORDS:
        return [await delivery_status(context)]
    assert context.pole is not None
    context.start_flow(FLOW)
    return [context.say("broadcast.intro", pole=context.pole.name)]


async def ask_text(context: Context) -> Reply:
    """Asks for the message, formatting allowed."""
    return context.say("broadcast.ask_text", maximum=TEXT_MAX)


async def answer_text(context: Context, answer: Answer) -> Outcome:
    if answer.choice is not None:
        return Retry(context.say("errors.type_an_answer"))
    text = "".join(ch for ch in answer.text if ch.isprintable() or ch in "\n\t").strip()
    if not text:
        return Retry(context.say("errors.empty_answer"))
    if len(text) > TEXT_MAX:
        return Retry(context.say("errors.too_long", length=len(text), maximum=TEXT_MAX))
    context.data["text"] = text
    if len(AUDIENCES) == 1:
        context.data["audience"] = next(iter(AUDIENCES))
        return Next("platform")
    return Next("audience")


async def ask_audience(context: Context) -> Reply:
    """Asks who receives it."""
    assert context.pole is not None
    label = context.texts.label
    buttons = [
        context.choice(label(f"broadcast.audiences.{name}", pole=context.pole.name), name)
        for name in AUDIENCES
    ]
    return context.say("broadcast.ask_audience", buttons=buttons)


async def answer_audience(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in AUDIENCES:
        return Retry(context.say("errors.pick_a_button"))
    context.data["audience"] = answer.choice
    return Next("platform")


async def _audience(context: Context, platform: str | None = None) -> Audience:
    assert context.pole is not None and context.pole.id is not None
    chosen = platform or context.data.get("platform", EVERY_PLATFORM)
    return await resolve(
        context.session,
        audience=context.data["audience"],
        pole_id=context.pole.id,
        platform=None if chosen == EVERY_PLATFORM else Platform(chosen),
    )


async def ask_platform(context: Context) -> Reply:
    """Asks on which platforms, with the number of people reachable on each."""
    everyone = await _audience(context, EVERY_PLATFORM)
    counts = everyone.by_platform()
    buttons = [
        context.choice(
            context.texts.label("broadcast.every_platform", count=everyone.reachable),
            EVERY_PLATFORM,
        )
    ]
    for platform in REACHABLE_FIRST:
        label = context.texts.label(f"broadcast.only.{platform.value}", count=counts[platform])
        buttons.append(context.choice(label, platform.value))
    return context.say("broadcast.ask_platform", buttons=buttons)


async def answer_platform(context: Context, answer: Answer) -> Outcome:
    allowed = {EVERY_PLATFORM, *(p.value for p in REACHABLE_FIRST)}
    if answer.choice not in allowed:
        return Retry(context.say("errors.pick_a_button"))
    context.data["platform"] = answer.choice
    return Next("confirm")


async def ask_confirm(context: Context) -> Reply:
    """Shows the message as it will go out, the recipients per platform, and asks to send."""
    audience = await _audience(context)
    texts = context.texts
    summary = texts(
        "broadcast.recipients",
        total=audience.reachable,
        telegram=audience.count(Platform.TELEGRAM),
        slack=audience.count(Platform.SLACK),
    )
    if audience.unreachable:
        summary = summary + "\n" + texts("broadcast.unreachable", count=audience.unreachable)
    buttons = []
    if audience.reachable:
        buttons.append(
            context.choice(texts.label("broadcast.send", count=audience.reachable), "send")
        )
    buttons += [
        context.choice(texts.label("broadcast.edit"), "edit"),
        context.choice(texts.label("broadcast.change_platform"), "platform"),
        context.choice(texts.label("broadcast.cancel"), "cancel"),
    ]
    preview = Text.join(
        [texts("broadcast.preview"), Text.parse(context.data["text"]), summary], "\n\n"
    )
    return Reply(preview, tuple(buttons))


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    match answer.choice:
        case "edit":
            return Next("text")
        case "platform":
            return Next("platform")
        case "cancel":
            return Done([context.say("broadcast.cancelled")])
        case "send":
            return await _send(context)
    return Retry(context.say("errors.pick_a_button"))


async def _send(context: Context) -> Outcome:
    audience = await _audience(context)
    if not audience.reachable:
        return Retry(context.say("broadcast.nobody"))
    assert context.pole is not None and context.pole.id is not None
    campaign = Campaign(
        pole_id=context.pole.id,
        kind=KIND,
        author_id=context.person.id if context.person else None,
        audience=f"{context.data['audience']}:{context.data.get('platform', EVERY_PLATFORM)}",
        text=context.data["text"],
    )
    await enqueue(context.session, campaign=campaign, recipients=audience.recipients)
    return Done([context.say("broadcast.queued", number=campaign.id, count=audience.reachable)])


async def delivery_status(context: Context) -> Reply:
    """The last broadcasts of the pôle: sent, pending, failed and unreachable, with reasons."""
    assert context.pole is not None and context.pole.id is not None
    session, texts = context.session, context.texts
    campaigns = await recent_campaigns(session, pole_id=context.pole.id, kind=KIND)
    if not campaigns:
        return context.say("broadcast.status_none", pole=context.pole.name)
    lines = [texts("broadcast.status_title", pole=context.pole.name)]
    for campaign in campaigns:
        delivery = await report(session, campaign=campaign)
        author = await session.get(Person, campaign.author_id) if campaign.author_id else None
        excerpt = " ".join(campaign.text.split())
        lines.append(
            texts(
                "broadcast.status_line",
                number=campaign.id,
                date=campaign.created_at.astimezone(context.settings.tz).strftime("%d/%m %H:%M"),
                author=(author and author.display_name) or texts.label("broadcast.no_author"),
                excerpt=excerpt if len(excerpt) <= 60 else excerpt[:59] + "…",
            )
        )
        counts = delivery.counts
        lines.append(
            texts(
                "broadcast.status_counts",
                sent=counts.get("sent", 0),
                total=delivery.total,
                pending=counts.get("pending", 0),
                failed=counts.get("failed", 0),
                unreachable=counts.get("unreachable", 0),
            )
        )
        for status, reason, count in delivery.reasons[:3]:
            lines.append(
                texts(
                    "broadcast.status_reason",
                    status=texts.label(f"broadcast.statuses.{status}"),
                    reason=reason,
                    count=count,
                )
            )
    return Reply(Text.join(lines))


feature = Feature(
    commands=[
        Command(
            "diffuser",
            start,
            "help.diffuser",
            role="animator",
            starts_flow=FLOW,
            aliases=("broadcast",),
            private_only=True,
        )
    ],
    flows=[
        Flow(
            FLOW,
            "broadcast.title",
            "text",
            {
                "text": Step(ask_text, answer_text),
                "audience": Step(ask_audience, answer_audience),
                "platform": Step(ask_platform, answer_platform),
                "confirm": Step(ask_confirm, answer_confirm),
            },
        )
    ],
)
