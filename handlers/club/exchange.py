"""``/echange``: the clubs' non-commercial service exchange, for their members only.

``/echange offre TEXTE`` and ``/echange demande TEXTE`` post an offer or a request in one of the
person's clubs (chosen by buttons, with a reminder that the exchange is non-commercial, as the
charter says); ``/echange`` lists the open posts of their clubs and their own, ``/echange retirer
N`` closes one of theirs. Posts are shown without their author: people meet through an
introduction (handlers/club/introductions.py), which each side accepts first.

A new request is answered with the matching offers and the directory's entries and members to
contact, a new offer with the matching requests, each with its introduction button; those
buttons are about the request, so that an accepted introduction counts as its match. A request
still without one after ESCALATE_AFTER goes to the pôle's animators, once, who can refer its
author to a consultant (handlers/club/consultants.py).

Someone who is not a current member of a club gets the same answer to everything, whatever
exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.conversation import Answer, Context, Done, Flow, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage import search
from bot.storage.models import Campaign, Club, ExchangePost, utcnow
from bot.storage.session import Session
from content.loader import Content
from content.text import fold
from handlers.actions import Action, by_word, run_action
from handlers.audiences import recipient_of
from handlers.club.admin import member_clubs, person_label
from handlers.club.directory import matching_entries
from handlers.club.introductions import request_command
from handlers.validation import clean_line

if TYPE_CHECKING:
    from bot.app import App

logger = logging.getLogger(__name__)

POST_FLOW = "club_exchange_post"
TEXT_MAX = 500
# Open posts listed per kind and club, newest first; suggestions per kind.
LIST_MAX = 10
SUGGESTIONS = 3
# Ranked by the search before the closed, the person's own and the departed are left out.
_SEARCHED = 20
ESCALATE_AFTER = timedelta(days=7)
# A post is a sentence, and the search takes its first few words (search.MAX_WORDS), any of
# which matches: the words that say nothing of the service asked or offered go first. Folded.
_FILLER_WORDS = """
    les des une aux sur pour par dans avec sans sous chez entre vers notre nos votre vos
    leur leurs mon mes ton tes son ses nous vous ils elle elles lui qui que quoi dont quel
    quelle quels quelles est sont etre avoir fait faire peut peux pouvons veux voudrais
    aimerais aimerions cherche cherchons recherche recherchons besoin avant apres tres plus
    moins bien aussi mais donc car comme tout tous toute toutes cette ces cet autre autres
    quelqu quelque quelques propose proposons offre offrons demande pret prete pretons retour
    experience the and for with our your their from about into need needs looking want would
    like can could help offer request
"""
_FILLER = frozenset(_FILLER_WORDS.split())
_WORD = re.compile(r"[a-z0-9]+")
KIND_ESCALATION = "exchange_escalation"


async def _clubs(context: Context) -> list[Club]:
    return [club for club, _ in await member_clubs(context)]


async def exchange(context: Context) -> list[Reply]:
    """``/echange [offre|demande TEXTE | retirer N]``: the open posts of the person's clubs,
    or the action named."""
    if not await _clubs(context):
        return [context.say("club.exchange.no_club")]
    replies = await run_action(
        context, EXCHANGE_ACTIONS, context.incoming.args, "club.exchange.usage"
    )
    return await overview(context) if replies is None else replies


async def _open_posts(context: Context, club: Club) -> list[ExchangePost]:
    """The club's open posts whose author is still one of its members."""
    members = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=club.id or 0
    )
    posts = await repo.open_exchange_posts(context.session, club_ids=[club.id or 0])
    return [post for post in posts if post.person_id in members]


def _day(context: Context, moment: datetime) -> str:
    return moment.astimezone(context.settings.tz).strftime("%d/%m/%Y")


def _line(context: Context, post: ExchangePost) -> Text:
    return context.texts(
        "club.exchange.line", number=post.id, text=post.text, day=_day(context, post.created_at)
    )


def _introduce(context: Context, post: ExchangePost) -> Button:
    label = context.texts.label("club.exchange.introduce", number=post.id)
    return context.command_button(label, request_command(post.person_id, post_id=post.id))


async def overview(context: Context) -> list[Reply]:
    """Each club's open offers and requests of others, with their introduction buttons, and
    the person's own open posts with the button that closes each."""
    texts = context.texts
    replies = []
    mine: list[ExchangePost] = []
    for club in await _clubs(context):
        posts = await _open_posts(context, club)
        mine += [post for post in posts if post.person_id == context.person_id]
        others = [post for post in posts if post.person_id != context.person_id]
        lines = [texts("club.exchange.title", club=club.name)]
        buttons = []
        for kind, title in (
            ("offer", "club.exchange.offers"),
            ("request", "club.exchange.requests"),
        ):
            shown = [post for post in others if post.kind == kind][:LIST_MAX]
            if shown:
                lines.append(texts(title))
                lines += [_line(context, post) for post in shown]
                buttons += [_introduce(context, post) for post in shown]
        if len(lines) == 1:
            lines.append(texts("club.exchange.nothing_open"))
        replies.append(Reply(Text.join(lines), tuple(buttons)))
    if mine:
        lines = [texts("club.exchange.mine")]
        lines += [
            texts(f"club.exchange.mine_line.{post.kind}", number=post.id, text=post.text)
            for post in mine
        ]
        buttons = [
            context.command_button(
                texts.label("club.exchange.close_button", number=post.id),
                f"echange retirer {post.id}",
            )
            for post in mine
        ]
        replies.append(Reply(Text.join(lines), tuple(buttons)))
    replies.append(context.say("club.exchange.hint"))
    return replies


async def _post(context: Context, kind: str, args: Sequence[str]) -> list[Reply]:
    if not args:
        return [context.say(f"club.exchange.post_usage.{kind}")]
    cleaned = clean_line(context, " ".join(args), max_length=TEXT_MAX)
    if isinstance(cleaned, Retry):
        return [cleaned.reply]
    context.start_flow(POST_FLOW, {"kind": kind, "text": cleaned.value})
    return []


async def offer(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/echange offre TEXTE``: offer a service; asks in which club."""
    return await _post(context, "offer", args)


async def request(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/echange demande TEXTE``: ask for a service; asks in which club."""
    return await _post(context, "request", args)


async def ask_club(context: Context) -> Reply:
    """The post as it will be shown, the reminder that the exchange is non-commercial, and a
    button to publish it in each of the person's clubs."""
    texts = context.texts
    clubs = await _clubs(context)
    if len(clubs) == 1:
        buttons = [context.choice(texts.label("club.exchange.publish"), str(clubs[0].id))]
    else:
        buttons = [
            context.choice(texts.label("club.exchange.publish_in", club=club.name), str(club.id))
            for club in clubs
        ]
    buttons.append(context.choice(texts.label("club.exchange.cancel"), "cancel"))
    kind = context.data["kind"]
    return context.say(f"club.exchange.preview.{kind}", text=context.data["text"], buttons=buttons)


async def answer_club(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.exchange.dropped")])
    club = next((c for c in await _clubs(context) if str(c.id) == answer.choice), None)
    if club is None:
        return Retry(context.say("errors.pick_a_button"))
    kind = context.data["kind"]
    post = await repo.add_exchange_post(
        context.session,
        club_id=club.id or 0,
        person_id=context.person_id,
        kind=kind,
        text=context.data["text"],
    )
    done = context.say(f"club.exchange.posted.{kind}", club=club.name, number=post.id)
    return Done([done, await suggestions(context, club, post)])


def search_words(text: str) -> str:
    """The words of a post that say what it is about, for the search."""
    return " ".join(w for w in _WORD.findall(fold(text)) if len(w) > 2 and w not in _FILLER)


async def suggestions(context: Context, club: Club, post: ExchangePost) -> Reply:
    """What may answer a new post in its club: for a request, the matching offers and the
    directory's entries with their members; for an offer, the matching requests. Each with
    the button asking for an introduction about the post."""
    texts = context.texts
    wanted = "offer" if post.kind == "request" else "request"
    members = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=club.id or 0
    )
    others = members - {context.person_id}
    query = search_words(post.text)
    ranked = await search.ranked(
        context.session, search.EXCHANGE, query=query, club_ids=[club.id or 0], limit=_SEARCHED
    )
    found = {
        p.id: p
        for p in await repo.open_exchange_posts(
            context.session, club_ids=[club.id or 0], kind=wanted, ids=ranked
        )
        if p.person_id in others
    }
    matches = [found[i] for i in ranked if i in found][:SUGGESTIONS]
    lines: list[Text] = []
    buttons: list[Button] = []
    if matches:
        lines.append(texts(f"club.exchange.matching.{wanted}"))
        for match in matches:
            lines.append(_line(context, match))
            about = post if post.kind == "request" else match
            label = texts.label("club.exchange.introduce", number=match.id)
            command = request_command(match.person_id, post_id=about.id)
            buttons.append(context.command_button(label, command))
    if post.kind == "request":
        # The person's other clubs' entries are left out: an introduction stays in one club.
        entries = [
            (entry, contacts)
            for entry, contacts in await matching_entries(
                context, query, limit=SUGGESTIONS * len(await _clubs(context))
            )
            if entry.club_id == club.id
        ]
        for entry, contacts in entries[:SUGGESTIONS]:
            people = [person for person in contacts if person.id in others]
            if not people:
                continue
            names = ", ".join(person_label(person) for person in people)
            lines.append(texts("club.exchange.entry", subject=entry.subject, names=names))
            for person in people:
                label = texts.label("club.exchange.introduce_to", person=person_label(person))
                command = request_command(person.id or 0, entry_id=entry.id, post_id=post.id)
                buttons.append(context.command_button(label, command))
    if not lines:
        key = (
            "club.exchange.no_match_request"
            if post.kind == "request"
            else "club.exchange.no_match_offer"
        )
        return context.say(key, days=ESCALATE_AFTER.days)
    return Reply(Text.join([texts("club.exchange.suggestions"), *lines]), tuple(buttons))


async def close(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/echange retirer N``: close one of the person's own open posts."""
    if len(args) != 1 or not args[0].isdigit():
        return [context.say("club.exchange.close_usage")]
    clubs = await _clubs(context)
    post = await repo.close_exchange_post(
        context.session,
        post_id=int(args[0]),
        person_id=context.person_id,
        club_ids=[club.id or 0 for club in clubs],
    )
    if post is None:
        return [context.say("club.exchange.close_unknown", number=args[0][:10])]
    return [context.say("club.exchange.closed", number=post.id)]


# The requests without a match, to the animators.


async def escalate(app: App) -> None:
    """Pass to the animators the requests still without a match after a week (hourly)."""
    async with app.database.transaction() as session:
        queued = await queue_escalations(session, app.settings, app.content, now=utcnow())
    if queued:
        logger.info("Queued %d unanswered exchange request message(s)", queued)


async def queue_escalations(
    session: Session, settings: Settings, content: Content, *, now: datetime
) -> int:
    """Tell the pôle's animators of each open request posted more than ESCALATE_AFTER before
    ``now`` that no accepted introduction is about, once per request; return how many
    messages."""
    queued = 0
    for post, club in await repo.requests_to_escalate(session, before=now - ESCALATE_AFTER):
        if not await repo.mark_escalated(session, post=post, now=now):
            continue
        animators: dict[str, list[Recipient]] = {}
        for person in await repo.pole_animators(session, pole_id=club.pole_id):
            recipient = await recipient_of(session, person_id=person.id or 0)
            if recipient is not None:
                animators.setdefault(person.locale or settings.locale, []).append(recipient)
        day = post.created_at.astimezone(settings.tz).strftime("%d/%m/%Y")
        for locale, recipients in sorted(animators.items()):
            texts = content.texts(locale)
            campaign = Campaign(
                pole_id=club.pole_id,
                kind=KIND_ESCALATION,
                audience="animators",
                text=texts.label(
                    "club.exchange.escalated", club=club.name, text=post.text, day=day
                ),
                buttons=[[texts.label("club.exchange.refer_button"), f"/club orienter {post.id}"]],
            )
            queued += await enqueue(
                session,
                campaign=campaign,
                recipients=recipients,
                dedupe_key=f"exchange:{post.id}:escalated:{locale}",
            )
    return queued


# What follows /echange; /club itself gets no action of this module.
EXCHANGE_ACTIONS = by_word(
    [
        Action(("offre", "offer"), offer),
        Action(("demande", "request"), request),
        Action(("retirer", "close"), close),
    ]
)
ACTIONS: tuple[Action, ...] = ()
FLOWS = (
    Flow(
        POST_FLOW,
        "club.exchange.post_title",
        "club",
        {"club": Step(ask_club, answer_club)},
        role="member",
    ),
)
