"""Who receives the pôle's watch: a member with the themes they tick, a group or a Slack channel
its animator subscribes from within, a Telegram channel subscribed by forwarding one of its
posts."""

from __future__ import annotations

from bot.conversation import Answer, Context, Done, Next, Outcome, Retry
from bot.messages import Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import DigestSubscription
from handlers.veille.calendar import calendar_summary

FLOW = "veille"
CHANNEL_FLOW = "veille_canal"
ALL = "all"


async def subscription_of(
    context: Context, chat_id: str | None = None
) -> DigestSubscription | None:
    """The subscription of this conversation (or of ``chat_id`` on this platform), if any."""
    assert context.pole is not None and context.pole.id is not None
    return await repo.digest_subscription(
        context.session,
        pole_id=context.pole.id,
        platform=context.incoming.platform.value,
        chat_id=chat_id or context.incoming.chat_id,
    )


async def subscribe(context: Context) -> list[Reply]:
    """``/veille abonner``: a group subscribed by its animator, or a member asked their themes."""
    assert context.pole is not None and context.pole.id is not None
    if context.incoming.is_group:
        if not context.has_role("animator"):
            return [context.say("veille.group_animators_only")]
        if await subscription_of(context) is None:
            context.session.add(
                DigestSubscription(
                    pole_id=context.pole.id,
                    platform=context.incoming.platform.value,
                    chat_id=context.incoming.chat_id,
                )
            )
        return [
            context.say(
                "veille.group_subscribed",
                pole=context.pole.name,
                calendar=await calendar_summary(context),
            )
        ]
    existing = await subscription_of(context)
    context.start_flow(FLOW, {"themes": list(existing.themes) if existing else []})
    return []


async def ask_themes(context: Context) -> Reply:
    """Lists the themes, numbered, those chosen ticked; none chosen means all of them."""
    themes, texts, chosen = context.content.themes, context.texts, set(context.data["themes"])
    lines = [texts("veille.ask_themes")]
    for number, theme in enumerate(themes.ids, start=1):
        mark = "☑" if theme in chosen else "☐"
        lines.append(
            texts(
                "veille.theme_line",
                mark=mark,
                number=number,
                theme=themes.label(theme, context.locale),
            )
        )
    buttons = [context.choice(str(n), str(n)) for n in range(1, len(themes.ids) + 1)]
    buttons.append(context.choice(texts.label("veille.all_themes"), ALL))
    if chosen:
        buttons.append(context.choice(texts.label("veille.validate", count=len(chosen)), "ok"))
    return Reply(Text.join(lines), tuple(buttons))


async def answer_themes(context: Context, answer: Answer) -> Outcome:
    ids = context.content.themes.ids
    chosen: list[str] = context.data["themes"]
    if answer.choice == ALL:
        chosen.clear()
    elif answer.choice == "ok" and chosen:
        pass
    elif (
        answer.choice is not None
        and answer.choice.isdigit()
        and 1 <= int(answer.choice) <= len(ids)
    ):
        theme = ids[int(answer.choice) - 1]
        if theme in chosen:
            chosen.remove(theme)
        else:
            chosen.append(theme)
        return Next("themes")
    else:
        return Retry(context.say("veille.pick_themes"))
    assert context.person is not None and context.pole is not None and context.pole.id is not None
    subscription = await subscription_of(context) or DigestSubscription(
        pole_id=context.pole.id,
        person_id=context.person.id,
        platform=context.incoming.platform.value,
        chat_id=context.incoming.chat_id,
    )
    subscription.themes = [theme for theme in ids if theme in chosen]
    context.session.add(subscription)
    labels = ", ".join(context.content.themes.label(t, context.locale) for t in subscription.themes)
    return Done(
        [
            context.say(
                "veille.subscribed",
                themes=labels or context.texts.label("veille.every_theme"),
                calendar=await calendar_summary(context),
            )
        ]
    )


async def unsubscribe(context: Context) -> Reply:
    """``/veille desabonner``: this conversation receives the watch no more."""
    if context.incoming.is_group and not context.has_role("animator"):
        return context.say("veille.group_animators_only")
    subscription = await subscription_of(context)
    if subscription is None:
        return context.say("veille.not_subscribed")
    await context.session.delete(subscription)
    return context.say("veille.unsubscribed")


async def ask_channel(context: Context) -> Reply:
    """Asks for a post forwarded from the Telegram channel: in a channel the bot cannot tell who
    writes, so an animator shows it the channel from their private chat."""
    assert context.pole is not None
    return context.say("veille.ask_channel", pole=context.pole.name)


async def answer_channel(context: Context, answer: Answer) -> Outcome:
    assert context.pole is not None and context.pole.id is not None
    channel = answer.forwarded_from
    if channel is None:
        return Retry(context.say("veille.channel_expected"))
    if await subscription_of(context, channel.chat_id) is not None:
        context.data.update(chat_id=channel.chat_id, title=channel.title)
        return Next("stop")
    context.session.add(
        DigestSubscription(
            pole_id=context.pole.id,
            platform=context.incoming.platform.value,
            chat_id=channel.chat_id,
        )
    )
    return Done(
        [
            context.say(
                "veille.channel_subscribed",
                channel=channel.title,
                pole=context.pole.name,
                calendar=await calendar_summary(context),
            )
        ]
    )


async def ask_stop_channel(context: Context) -> Reply:
    """The channel already receives the watch: stop it, or keep it."""
    return context.yes_no(
        "veille.channel_already",
        "veille.channel_stop",
        "veille.channel_keep",
        channel=context.data["title"],
    )


async def answer_stop_channel(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in ("yes", "no"):
        return Retry(context.say("veille.channel_stop_or_keep"))
    channel = context.data["title"]
    if answer.choice == "no":
        return Done([context.say("veille.channel_kept", channel=channel)])
    subscription = await subscription_of(context, context.data["chat_id"])
    if subscription is not None:
        await context.session.delete(subscription)
    return Done([context.say("veille.channel_stopped", channel=channel)])
