"""The watch digest ("veille"): ``/veille`` and its words, and the flows they start.

The feature in one package: ``editions`` (fetching, building, publishing, the latest),
``subscriptions`` (members, groups, channels), ``sources`` (the pôle's feeds), ``calendar``
(when editions go out, retries), ``alerts`` (what animators are told), ``search``; their
queries are in the veille section of bot/storage/repositories.py.
"""

from __future__ import annotations

from bot.conversation import Command, Context, Feature, Flow, Step
from bot.messages import Platform, Reply
from content.text import fold
from handlers.veille import calendar, editions, search, sources, subscriptions
from handlers.veille.access import animator_refusal


async def veille(context: Context) -> list[Reply]:
    """``/veille``: the latest edition; ``abonner``, ``desabonner``, ``cherche MOT``,
    ``horaire`` (the calendar; animators change it); for animators ``sources``,
    ``ajouter URL [thème]``, ``retirer N``, ``export``, ``import``."""
    args = context.incoming.args
    word = fold(args[0]) if args else ""
    match word:
        case "abonner" | "subscribe":
            return await subscriptions.subscribe(context)
        case "desabonner" | "unsubscribe":
            return [await subscriptions.unsubscribe(context)]
        case "cherche" | "chercher" | "search":
            return [await search.search(context, " ".join(args[1:]))]
        case "horaire" | "horaires" | "calendrier" | "schedule":
            return [await calendar.schedule(context, args[1:])]
        case "canal" | "channel":
            if refusal := animator_refusal(context):
                return [refusal]
            if context.incoming.platform is not Platform.TELEGRAM or context.incoming.is_group:
                return [context.say("veille.channel_elsewhere")]
            context.start_flow(subscriptions.CHANNEL_FLOW)
            return []
        case "sources" | "ajouter" | "retirer" | "export" | "import":
            if refusal := animator_refusal(context):
                return [refusal]
            if word == "sources":
                return [await sources.sources(context)]
            if word == "ajouter":
                return [await sources.add_feed(context, args[1:])]
            if word == "export":
                return [await sources.export(context)]
            if word == "import":
                context.start_flow(sources.OPML_FLOW)
                return []
            return [await sources.remove_feed(context, args[1:])]
    return [await editions.latest(context)]


feature = Feature(
    commands=[
        Command("veille", veille, "help.veille", role="member", starts_flow=subscriptions.FLOW)
    ],
    flows=[
        Flow(
            subscriptions.FLOW,
            "veille.flow_title",
            "themes",
            {"themes": Step(subscriptions.ask_themes, subscriptions.answer_themes)},
            role="member",
        ),
        Flow(
            subscriptions.CHANNEL_FLOW,
            "veille.channel_title",
            "channel",
            {
                "channel": Step(subscriptions.ask_channel, subscriptions.answer_channel),
                "stop": Step(subscriptions.ask_stop_channel, subscriptions.answer_stop_channel),
            },
            role="animator",
        ),
        Flow(
            sources.OPML_FLOW,
            "veille.opml_title",
            "file",
            {"file": Step(sources.ask_opml, sources.answer_opml, takes_files=True)},
            role="animator",
        ),
    ],
)
