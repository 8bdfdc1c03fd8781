"""/veille: the latest watch digest, subscribing (a member with the themes they choose, or a
group or channel by its animator), searching the archive, and the pôle's feeds (animators)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import select

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
from bot.messages import Attachment, Platform, Reply, Text
from bot.opml import OpmlError, Outline, read_opml, write_opml
from bot.outbound import internal_address
from bot.schedules import ScheduleError
from bot.storage.models import DigestSubscription, Edition, Feed, FeedItem, utcnow
from handlers import digest, digest_calendar

FLOW = "veille"
OPML_FLOW = "veille_opml"
CHANNEL_FLOW = "veille_canal"
ALL = "all"
FOUND_MAX = 10
SEARCH_MAX = 100
SEARCHED = 2000


async def veille(context: Context) -> list[Reply]:
    """``/veille``: the latest edition; ``abonner``, ``desabonner``, ``cherche MOT``,
    ``horaire`` (the calendar; animators change it); for animators ``sources``,
    ``ajouter URL [thème]``, ``retirer N``, ``export``, ``import``."""
    args = context.incoming.args
    word = fold(args[0]) if args else ""
    match word:
        case "abonner" | "subscribe":
            return await _subscribe(context)
        case "desabonner" | "unsubscribe":
            return [await _unsubscribe(context)]
        case "cherche" | "chercher" | "search":
            return [await _search(context, " ".join(args[1:]))]
        case "horaire" | "horaires" | "calendrier" | "schedule":
            return [await _schedule(context, args[1:])]
        case "canal" | "channel":
            if refusal := _animator_refusal(context):
                return [refusal]
            if context.incoming.platform is not Platform.TELEGRAM or context.incoming.is_group:
                return [context.say("veille.channel_elsewhere")]
            context.start_flow(CHANNEL_FLOW)
            return []
        case "sources" | "ajouter" | "retirer" | "export" | "import":
            if refusal := _animator_refusal(context):
                return [refusal]
            if word == "sources":
                return [await _sources(context)]
            if word == "ajouter":
                return [await _add_feed(context, args[1:])]
            if word == "export":
                return [await _export(context)]
            if word == "import":
                context.start_flow(OPML_FLOW)
                return []
            return [await _remove_feed(context, args[1:])]
    return [await _latest(context)]


async def _latest(context: Context) -> Reply:
    assert context.pole is not None and context.pole.id is not None
    edition = await context.session.scalar(
        select(Edition)
        .where(Edition.pole_id == context.pole.id)
        .order_by(Edition.created_at.desc(), Edition.id.desc())
        .limit(1)
    )
    subscribe = context.command_button(
        context.texts.label("veille.subscribe_button"), "veille abonner"
    )
    if edition is None:
        return context.say(
            "veille.no_edition",
            pole=context.pole.name,
            calendar=await _calendar_summary(context),
            buttons=[subscribe],
        )
    items = list(
        await context.session.scalars(select(FeedItem).where(FeedItem.id.in_(edition.item_ids)))
    )
    shown = digest.Draft(context.pole, edition.kind, digest.group(context.content, items))
    text = digest.render(context.content, shown, locale=context.locale)
    return Reply(Text.parse(text), (subscribe,))


async def _subscription(context: Context, chat_id: str | None = None) -> DigestSubscription | None:
    """The subscription of this conversation (or of ``chat_id`` on this platform), if any."""
    assert context.pole is not None
    return await context.session.scalar(
        select(DigestSubscription).where(
            DigestSubscription.pole_id == context.pole.id,
            DigestSubscription.platform == context.incoming.platform.value,
            DigestSubscription.chat_id == (chat_id or context.incoming.chat_id),
        )
    )


def _animator_refusal(context: Context) -> Reply | None:
    """Why a member who is not an animator cannot do this; None for an animator."""
    if context.has_role("animator"):
        return None
    return context.say("errors.role_required", role=context.texts.label("roles.animator"))


async def _subscribe(context: Context) -> list[Reply]:
    assert context.pole is not None and context.pole.id is not None
    if context.incoming.is_group:
        if not context.has_role("animator"):
            return [context.say("veille.group_animators_only")]
        if await _subscription(context) is None:
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
                calendar=await _calendar_summary(context),
            )
        ]
    existing = await _subscription(context)
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
    subscription = await _subscription(context) or DigestSubscription(
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
                calendar=await _calendar_summary(context),
            )
        ]
    )


async def _calendar_summary(context: Context) -> str:
    assert context.pole is not None and context.pole.id is not None
    planned = await digest_calendar.calendar(
        context.session, context.content, pole_id=context.pole.id
    )
    return digest_calendar.summary(context.texts, planned)


async def _schedule(context: Context, args: Sequence[str]) -> Reply:
    """The pôle's calendar; ``note|lettre JOURS HEURE`` (or ``aucune``, ``défaut``) changes
    it, for animators."""
    assert context.pole is not None and context.pole.id is not None
    now, zone = utcnow(), context.settings.tz
    kind = digest_calendar.KIND_WORDS.get(fold(args[0])) if args else None
    # « /veille horaire lettre » alone asks to see the calendar, not to change it.
    if not args or (kind is not None and len(args) == 1):
        planned = await digest_calendar.calendar(
            context.session, context.content, pole_id=context.pole.id
        )
        text = digest_calendar.calendar_text(
            context.texts, context.pole, planned, now=now, zone=zone
        )
        return Reply(Text.join([text, context.texts("veille.calendar_help")]))
    if refusal := _animator_refusal(context):
        return refusal
    if kind is None:
        return context.say("veille.schedule_usage")
    try:
        planned = await digest_calendar.change(
            context.session,
            context.content,
            pole_id=context.pole.id,
            kind=kind,
            words=" ".join(args[1:]),
            now=now,
        )
    except ScheduleError as error:
        return context.say(error.key, **error.values)
    edition = context.texts.label(f"digest.names.{kind}")
    if planned.schedule is None:
        return context.say(
            "veille.schedule_off", edition=edition, pole=context.pole.name, word=args[0]
        )
    return context.say(
        "veille.schedule_set",
        edition=edition,
        pole=context.pole.name,
        when=digest_calendar.describe(context.texts, planned.schedule),
        next=digest_calendar.moment(context.texts, planned.schedule.next_time(now, zone), zone),
    )


async def _unsubscribe(context: Context) -> Reply:
    if context.incoming.is_group and not context.has_role("animator"):
        return context.say("veille.group_animators_only")
    subscription = await _subscription(context)
    if subscription is None:
        return context.say("veille.not_subscribed")
    await context.session.delete(subscription)
    return context.say("veille.unsubscribed")


async def _search(context: Context, words: str) -> Reply:
    assert context.pole is not None
    wanted = fold(words).split()
    if not wanted:
        return context.say("veille.search_usage")
    if len(words) > SEARCH_MAX:
        return context.say("errors.too_long", length=len(words), maximum=SEARCH_MAX)
    recent = await context.session.scalars(
        select(FeedItem)
        .where(FeedItem.pole_id == context.pole.id)
        .order_by(FeedItem.first_seen_at.desc())
        .limit(SEARCHED)
    )
    found = [i for i in recent if all(w in fold(f"{i.title} {i.summary}") for w in wanted)]
    if not found:
        return context.say("veille.search_none", words=words)
    lines = [str(context.texts("veille.search_found", count=len(found), words=words))]
    for item in found[:FOUND_MAX]:
        when = (item.published_at or item.first_seen_at).strftime("%d/%m/%Y")
        lines.append(digest.item_line(item, when))
    return Reply(Text.parse("\n".join(lines)))


async def _feeds(context: Context) -> list[Feed]:
    assert context.pole is not None
    return list(
        await context.session.scalars(
            select(Feed).where(Feed.pole_id == context.pole.id).order_by(Feed.id)
        )
    )


async def _sources(context: Context) -> Reply:
    assert context.pole is not None
    feeds, texts, now = await _feeds(context), context.texts, utcnow()
    if not feeds:
        return context.say("veille.no_sources", pole=context.pole.name)
    lines = [texts("veille.sources_title", pole=context.pole.name, count=len(feeds))]
    for number, feed in enumerate(feeds, start=1):
        if feed.failures == 0:
            health = (
                texts.label("veille.health_ok")
                if feed.last_ok_at
                else texts.label("veille.health_new")
            )
        elif digest.failing(feed, now):
            health = texts.label("veille.health_failing", error=feed.last_error or "?")
        else:
            health = texts.label(
                "veille.health_error", count=feed.failures, error=feed.last_error or "?"
            )
        lines.append(
            texts(
                "veille.source_line",
                number=number,
                name=feed.title or feed.url,
                url=feed.url,
                health=health,
            )
        )
    lines.append(texts("veille.sources_help"))
    return Reply(Text.join(lines))


async def _add_feed(context: Context, args: tuple[str, ...] | list[str]) -> Reply:
    assert context.pole is not None and context.pole.id is not None
    url = args[0] if args else ""
    theme = fold(args[1]) if len(args) > 1 else None
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        return context.say("veille.add_usage")
    if theme is not None and theme not in context.content.themes.ids:
        return context.say(
            "veille.unknown_theme", theme=args[1], themes=", ".join(context.content.themes.ids)
        )
    if any(feed.url == url for feed in await _feeds(context)):
        return context.say("veille.already_there")
    if not context.settings.feeds_allow_private and (address := await internal_address(url)):
        return context.say("veille.address_refused", url=url, address=address)
    context.session.add(Feed(pole_id=context.pole.id, url=url, theme=theme))
    return context.say("veille.added", url=url)


async def _remove_feed(context: Context, args: tuple[str, ...] | list[str]) -> Reply:
    feeds = await _feeds(context)
    number = args[0] if args else ""
    if not number.isdigit() or not 1 <= int(number) <= len(feeds):
        return context.say("veille.remove_usage", count=len(feeds))
    feed = feeds[int(number) - 1]
    await context.session.execute(delete(Feed).where(Feed.id == feed.id))
    return context.say("veille.removed", name=feed.title or feed.url)


async def _export(context: Context) -> Reply:
    assert context.pole is not None
    outlines = [Outline(f.url, f.title, f.theme) for f in await _feeds(context)]
    data = write_opml(f"Veille RSE — {context.pole.name}", outlines)
    opml = Attachment("veille-rse.opml", "text/x-opml", data)
    return context.say("veille.exported", count=len(outlines), attachments=[opml])


async def ask_opml(context: Context) -> Reply:
    """Asks for the OPML file of a feed reader."""
    return context.say("veille.ask_opml")


async def answer_opml(context: Context, answer: Answer) -> Outcome:
    assert context.pole is not None and context.pole.id is not None
    if not answer.files:
        return Retry(context.say("veille.opml_expected"))
    try:
        outlines = read_opml(await answer.files[0].fetch())
    except OpmlError as exc:
        return Retry(context.say("veille.opml_unreadable", reason=str(exc)))
    except Exception:
        return Retry(context.say("broadcast.attachment_failed"))
    imported = await digest.add_feeds(
        context.session,
        context.content,
        pole_id=context.pole.id,
        outlines=outlines,
        allow_private=context.settings.feeds_allow_private,
    )
    replies = [context.say("veille.imported", added=imported.added, known=imported.known)]
    if imported.refused:
        refused = ", ".join(f"{url} ({address})" for url, address in imported.refused)
        replies.append(context.say("veille.imported_refused", refused=refused))
    return Done(replies)


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
    if await _subscription(context, channel.chat_id) is not None:
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
                calendar=await _calendar_summary(context),
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
    subscription = await _subscription(context, context.data["chat_id"])
    if subscription is not None:
        await context.session.delete(subscription)
    return Done([context.say("veille.channel_stopped", channel=channel)])


feature = Feature(
    commands=[Command("veille", veille, "help.veille", role="member", starts_flow=FLOW)],
    flows=[
        Flow(FLOW, "veille.flow_title", "themes", {"themes": Step(ask_themes, answer_themes)}),
        Flow(
            CHANNEL_FLOW,
            "veille.channel_title",
            "channel",
            {
                "channel": Step(ask_channel, answer_channel),
                "stop": Step(ask_stop_channel, answer_stop_channel),
            },
        ),
        Flow(
            OPML_FLOW,
            "veille.opml_title",
            "file",
            {"file": Step(ask_opml, answer_opml, takes_files=True)},
        ),
    ],
)
