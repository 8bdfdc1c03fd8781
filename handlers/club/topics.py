"""Topics and problems a club's members bring to it (``/club sujet``), in their name or
anonymously, with no follow-up ever asked of them; support for them, one per member and
withdrawable (``/club soutenir N``, ``/club retirer-soutien N``); the ranking every member and
animator sees (``/club sujets``); and, for the pôle's animators, a topic put on a meeting's
agenda, shown in its invitation (``/club sujets N ordre-du-jour``), and marked treated
(``/club sujets N traite``).

An anonymous topic stores no link to its author at all: no author, and the day it was proposed
without the hour. Its draft lives only in the conversation state, which the end of the flow
clears; nothing else receives it: no message to anyone, no log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, ClubTopic, Event, utcnow
from content.text import fold
from handlers.actions import Action
from handlers.club.admin import member_clubs, person_label, pick_club
from handlers.events.invitations import local_time
from handlers.validation import clean_line

FLOW = "club_topic"
TEXT_MAX = 500
# What follows « /club sujets »: the treated topics, or what an animator does with topic N.
TREATED_WORDS = ("traites", "traite", "treated")
AGENDA_WORDS = ("ordre-du-jour", "agenda")
SUPPORT_WORDS = ("soutenir", "support")
WITHDRAW_WORDS = ("retirer-soutien", "unsupport")
# Treated topics shown under the ranking; older ones are in « /club sujets traites ».
RECENTLY = timedelta(days=90)
RECENT_MAX = 5
# Topics of the ranking given buttons, the most supported: Telegram takes 100 buttons at most.
WITH_BUTTONS = 20


# /club sujet: the flow.


async def propose(context: Context, args: Sequence[str] = ()) -> list[Reply]:
    """``/club sujet``: bring a topic to one of the person's clubs; asks which club (if they
    are in several), the topic, in their name or anonymously, then shows it before sending."""
    clubs = await member_clubs(context)
    if not clubs:
        return [context.say("club.admin.none")]
    context.start_flow(FLOW)
    if len(clubs) == 1:
        context.data["club_id"] = clubs[0][0].id
        context.state.step = "text"
    return []


async def _flow_club(context: Context) -> Club | None:
    """The flow's club, while the person is still its member under its current charter."""
    wanted = context.data.get("club_id")
    return next((club for club, _ in await member_clubs(context) if club.id == wanted), None)


async def ask_club(context: Context) -> Reply:
    """Asks to which of the person's clubs."""
    buttons = [context.choice(club.name, str(club.id)) for club, _ in await member_clubs(context)]
    return context.say("club.topics.ask_club", buttons=buttons)


async def answer_club(context: Context, answer: Answer) -> Outcome:
    clubs = {str(club.id): club for club, _ in await member_clubs(context)}
    if answer.choice not in clubs:
        return Retry(context.say("errors.pick_a_button"))
    context.data["club_id"] = clubs[answer.choice].id
    return Next("text")


async def ask_text(context: Context) -> Reply:
    """Asks for the topic or problem, saying that nobody will ask to follow it up."""
    club = await _flow_club(context)
    name = club.name if club is not None else ""
    return context.say("club.topics.ask_text", club=name, maximum=TEXT_MAX)


async def answer_text(context: Context, answer: Answer) -> Outcome:
    cleaned = clean_line(context, answer.text, max_length=TEXT_MAX)
    if isinstance(cleaned, Retry):
        return cleaned
    context.data["text"] = cleaned.value
    return Next("signed")


async def ask_signed(context: Context) -> Reply:
    """Asks whether in their name or anonymously, telling first what anonymous means."""
    texts = context.texts
    return context.say(
        "club.topics.ask_signed",
        name=person_label(context.person) if context.person is not None else "",
        buttons=[
            context.choice(texts.label("club.topics.named"), "named"),
            context.choice(texts.label("club.topics.anonymous"), "anonymous"),
        ],
    )


async def answer_signed(context: Context, answer: Answer) -> Outcome:
    if answer.choice not in ("named", "anonymous"):
        return Retry(context.say("errors.pick_a_button"))
    context.data["anonymous"] = answer.choice == "anonymous"
    return Next("confirm")


async def ask_confirm(context: Context) -> Reply:
    """Shows the topic as the club will see it, and asks to send it or not."""
    texts = context.texts
    club = await _flow_club(context)
    name = club.name if club is not None else ""
    if context.data["anonymous"]:
        preview = texts("club.topics.preview_anonymous", club=name, text=context.data["text"])
    else:
        assert context.person is not None
        preview = texts(
            "club.topics.preview_named",
            club=name,
            text=context.data["text"],
            name=person_label(context.person),
        )
    buttons = (
        context.choice(texts.label("club.topics.send"), "send"),
        context.choice(texts.label("club.topics.cancel"), "cancel"),
    )
    return Reply(Text.join([preview, texts("club.topics.preview_outro")], "\n\n"), buttons)


async def answer_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "cancel":
        return Done([context.say("club.topics.dropped")])
    if answer.choice != "send":
        return Retry(context.say("errors.pick_a_button"))
    club = await _flow_club(context)
    if club is None:
        return Done([context.say("club.topics.gone")])
    anonymous = context.data["anonymous"]
    topic = await repo.add_club_topic(
        context.session,
        club_id=club.id or 0,
        author_id=None if anonymous else context.person_id,
        text=context.data["text"],
        # The day where the bot runs, never the hour: an hour could point at the author.
        proposed_on=utcnow().astimezone(context.settings.tz).date(),
    )
    see = context.command_button(
        context.texts.label("club.topics.see_topics"), f"club sujets {club.id}"
    )
    key = "club.topics.sent_anonymous" if anonymous else "club.topics.sent_named"
    # Done ends the flow, which empties the state holding the draft.
    return Done([context.say(key, club=club.name, number=topic.id, buttons=[see])])


# /club sujets: the ranking, the treated topics, and what animators do with a topic.


async def topics(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club sujets [CLUB]``: the club's open topics, most supported first, with the buttons
    to support them; ``/club sujets traites [CLUB]``: those treated; ``/club sujets N
    ordre-du-jour [M]`` and ``/club sujets N traite``: an animator's actions on topic N."""
    if len(args) >= 2 and args[0].isdigit():
        return [await _on_topic(context, int(args[0]), args[1:])]
    treated = bool(args) and fold(args[0]) in TREATED_WORDS
    if treated:
        args = args[1:]
    command = f"club sujets {TREATED_WORDS[0]}" if treated else "club sujets"
    club = await _chosen_club(context, args, command)
    if not isinstance(club, Club):
        return [club]
    return [await (_treated(context, club) if treated else _ranking(context, club))]


async def _visible_clubs(context: Context) -> list[Club]:
    """Every club of the pôle for its animators; for a member, those whose current charter
    they accepted."""
    if context.has_role("animator"):
        return [club for club, _ in await repo.pole_clubs(context.session, pole_id=context.pole_id)]
    return [club for club, _ in await member_clubs(context)]


async def _chosen_club(context: Context, args: Sequence[str], command: str) -> Club | Reply:
    """The club ``args`` name among those the person may see, the only one, or why not: the
    same answers whether a club of that name exists elsewhere or not."""
    clubs = await _visible_clubs(context)
    if not clubs:
        animator = context.has_role("animator")
        return context.say("club.admin.no_club" if animator else "club.admin.none")
    if args:
        club = pick_club(clubs, " ".join(args))
        return club if club is not None else context.say("club.topics.unknown_club")
    if len(clubs) == 1:
        return clubs[0]
    buttons = [context.command_button(club.name, f"{command} {club.id}") for club in clubs]
    return context.say("club.topics.which", buttons=buttons)


async def _is_member(context: Context, club: Club) -> bool:
    return any(mine.id == club.id for mine, _ in await member_clubs(context))


async def _ranking(context: Context, club: Club) -> Reply:
    """The open topics, most supported first, each with its number, text, author or
    « anonyme », supporters and meeting; support buttons for the club's members, agenda and
    treated buttons for animators; then the topics treated lately."""
    texts = context.texts
    assert club.id is not None
    ranked = await repo.open_club_topics(context.session, club_id=club.id)
    member = await _is_member(context, club)
    animator = context.has_role("animator")
    mine: set[int] = set()
    if member:
        mine = await repo.supported_topics(
            context.session, club_id=club.id, person_id=context.person_id
        )
    authors = {
        person.id: person_label(person)
        for person in await repo.people_by_id(
            context.session, ids={t.author_id for t, _ in ranked if t.author_id is not None}
        )
    }
    if ranked:
        lines = [texts("club.topics.open_title", club=club.name, count=len(ranked))]
    else:
        lines = [texts("club.topics.none_open", club=club.name)]
    buttons: list[Button] = []
    for place, (topic, votes) in enumerate(ranked):
        author = authors.get(topic.author_id or 0)
        lines.append(
            texts(
                "club.topics.line",
                number=topic.id,
                text=topic.text,
                author=(
                    texts.label("club.topics.by", name=author)
                    if author is not None
                    else texts.label("club.topics.by_anonymous")
                ),
                votes=votes,
                mine=texts.label("club.topics.yours") if topic.id in mine else "",
            )
        )
        if topic.event_id is not None:
            meeting = await repo.pole_event(
                context.session, pole_id=club.pole_id, event_id=topic.event_id
            )
            if meeting is not None and meeting.status != "cancelled":
                lines.append(
                    texts("club.topics.on_agenda", meeting=_meeting_label(context, meeting))
                )
        if place < WITH_BUTTONS:
            buttons += _topic_buttons(context, topic, supported=topic.id in mine, member=member)
    recent = await repo.treated_club_topics(
        context.session, club_id=club.id, since=utcnow() - RECENTLY
    )
    if recent:
        lines.append(texts("club.topics.recent_title"))
        lines += [_treated_line(context, topic) for topic in recent[:RECENT_MAX]]
    lines.append(texts("club.topics.member_hint" if member else "club.topics.viewer_hint"))
    if len(ranked) > WITH_BUTTONS:
        lines.append(texts("club.topics.more_buttons", count=WITH_BUTTONS))
    if animator:
        lines.append(texts("club.topics.animator_hint"))
    return Reply(Text.join(lines), tuple(buttons))


def _topic_buttons(
    context: Context, topic: ClubTopic, *, supported: bool, member: bool
) -> list[Button]:
    """Support or withdraw it, for a member of its club; agenda and treated, for animators."""
    texts = context.texts
    buttons = []
    if member:
        if supported:
            label, command = "club.topics.withdraw", f"club {WITHDRAW_WORDS[0]} {topic.id}"
        else:
            label, command = "club.topics.support", f"club {SUPPORT_WORDS[0]} {topic.id}"
        buttons.append(context.command_button(texts.label(label, number=topic.id), command))
    if context.has_role("animator"):
        buttons += [
            context.command_button(
                texts.label("club.topics.agenda_button", number=topic.id),
                f"club sujets {topic.id} {AGENDA_WORDS[0]}",
            ),
            context.command_button(
                texts.label("club.topics.treated_button", number=topic.id),
                f"club sujets {topic.id} {TREATED_WORDS[1]}",
            ),
        ]
    return buttons


def _day(context: Context, moment: datetime) -> str:
    return moment.astimezone(context.settings.tz).strftime("%d/%m/%Y")


def _treated_line(context: Context, topic: ClubTopic) -> Text:
    assert topic.treated_at is not None
    return context.texts(
        "club.topics.treated_line",
        number=topic.id,
        text=topic.text,
        day=_day(context, topic.treated_at),
    )


async def _treated(context: Context, club: Club) -> Reply:
    """Every treated topic of the club, the latest first."""
    assert club.id is not None
    treated = await repo.treated_club_topics(context.session, club_id=club.id)
    if not treated:
        return context.say("club.topics.none_treated", club=club.name)
    title = context.texts("club.topics.treated_title", club=club.name, count=len(treated))
    return Reply(Text.join([title, *(_treated_line(context, topic) for topic in treated)]))


def _meeting_label(context: Context, meeting: Event) -> str:
    """« 12/03/2027 09:30 — Bilan carbone », or that its date is being polled."""
    if meeting.starts_at is None:
        return context.texts.label("club.topics.meeting_polled", theme=meeting.title)
    when = local_time(context.settings, meeting.starts_at)
    return context.texts.label("club.topics.meeting", when=when, theme=meeting.title)


async def _on_topic(context: Context, number: int, args: Sequence[str]) -> Reply:
    """An animator's action on topic ``number`` of one of the pôle's clubs: put it on the
    agenda of one of its club's meetings to come, or mark it treated."""
    if not context.has_role("animator"):
        return context.say("errors.role_required", role=context.texts.label("roles.animator"))
    word = fold(args[0])
    treat = word in TREATED_WORDS and len(args) == 1
    if not treat and not (word in AGENDA_WORDS and len(args) <= 2):
        return context.say("club.topics.topic_usage")
    clubs = {
        club.id: club for club, _ in await repo.pole_clubs(context.session, pole_id=context.pole_id)
    }
    topic = await repo.club_topic(context.session, topic_id=number, club_ids=clubs.keys())
    if topic is None:
        return context.say("club.topics.unknown", number=number)
    if topic.treated_at is not None:
        return context.say("club.topics.was_treated", number=number)
    club = clubs[topic.club_id]
    if treat:
        await repo.mark_topic_treated(context.session, topic=topic, at=utcnow())
        return context.say("club.topics.treated_done", number=number)
    meetings = await _meetings_to_come(context, club)
    if not meetings:
        return context.say("club.topics.no_meeting", club=club.name)
    if len(args) == 1:
        buttons = [
            context.command_button(
                _meeting_label(context, meeting),
                f"club sujets {number} {AGENDA_WORDS[0]} {meeting.id}",
            )
            for meeting in meetings
        ]
        return context.say("club.topics.pick_meeting", number=number, buttons=buttons)
    meeting = next((m for m in meetings if str(m.id) == args[1]), None)
    if meeting is None:
        return context.say("club.topics.unknown_meeting", number=number, club=club.name)
    assert meeting.id is not None
    await repo.put_topic_on_agenda(context.session, topic=topic, event_id=meeting.id)
    return context.say(
        "club.topics.on_agenda_done", number=number, meeting=_meeting_label(context, meeting)
    )


async def _meetings_to_come(context: Context, club: Club) -> list[Event]:
    """The club's meetings to come: dated and not cancelled, soonest first, then those whose
    date is being polled."""
    dated = await repo.upcoming_pole_events(
        context.session, pole_id=context.pole_id, after=utcnow()
    )
    polled = await repo.polling_events(context.session, pole_id=context.pole_id, club_id=club.id)
    return [event for event in dated if event.club_id == club.id] + polled


# /club soutenir N, /club retirer-soutien N: one support per member of the topic's club.


async def support(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club soutenir N``: the member supports topic N of one of their clubs."""
    return [await _set_support(context, args, support=True)]


async def withdraw(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club retirer-soutien N``: the member withdraws their support for topic N."""
    return [await _set_support(context, args, support=False)]


async def _set_support(context: Context, args: Sequence[str], *, support: bool) -> Reply:
    if len(args) != 1 or not args[0].isdigit():
        return context.say("club.topics.vote_usage")
    number = int(args[0])
    visible = [club.id for club in await _visible_clubs(context) if club.id is not None]
    topic = await repo.club_topic(context.session, topic_id=number, club_ids=visible)
    if topic is None:
        return context.say("club.topics.unknown", number=number)
    if not any(club.id == topic.club_id for club, _ in await member_clubs(context)):
        # An animator sees every club's topics; only the club's members support them.
        return context.say("club.topics.members_vote")
    if topic.treated_at is not None:
        return context.say("club.topics.was_treated", number=number)
    changed = await repo.set_topic_support(
        context.session, topic=topic, person_id=context.person_id, support=support
    )
    votes = await repo.topic_support_count(context.session, topic=topic)
    if support:
        key = "club.topics.supported" if changed else "club.topics.already_supported"
        undo = ("club.topics.withdraw", f"club {WITHDRAW_WORDS[0]} {number}")
    else:
        key = "club.topics.withdrawn" if changed else "club.topics.not_supported"
        undo = ("club.topics.support", f"club {SUPPORT_WORDS[0]} {number}")
    texts = context.texts
    buttons = [
        context.command_button(texts.label(undo[0], number=number), undo[1]),
        context.command_button(
            texts.label("club.topics.see_topics"), f"club sujets {topic.club_id}"
        ),
    ]
    return context.say(key, number=number, text=topic.text, votes=votes, buttons=buttons)


ACTIONS = (
    Action(("sujet", "topic"), propose),
    Action(("sujets", "topics"), topics),
    Action(SUPPORT_WORDS, support),
    Action(WITHDRAW_WORDS, withdraw),
)
FLOWS = (
    Flow(
        FLOW,
        "club.topics.title",
        "club",
        {
            "club": Step(ask_club, answer_club),
            "text": Step(ask_text, answer_text),
            "signed": Step(ask_signed, answer_signed),
            "confirm": Step(ask_confirm, answer_confirm),
        },
        role="member",
    ),
)
