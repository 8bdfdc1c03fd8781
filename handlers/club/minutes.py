"""A meeting's minutes: ``/club compte-rendu N``, for the pôle's animators once the meeting has
started. Its agenda's topics that it treated (handlers/club/topics.py puts them there), the
practices shared, then who can help on what, one directory entry at a time (subject, what was
shared, the members to contact, keywords, a link or a file). What is recorded is kept as each
answer comes, so an interrupted flow loses one entry at most; running it again shows the
minutes, to change the practices, treat more topics, add or remove entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import IncomingFile, Reply, Text
from bot.storage import repositories as repo
from bot.storage.models import Club, ClubTopic, DirectoryEntry, Event, utcnow
from content.text import fold
from handlers.actions import Action
from handlers.club.admin import person_label
from handlers.club.directory import clean_text, entry_step, shorten
from handlers.events.attendance import local_when
from handlers.validation import fetch_file

FLOW = "club_minutes"
PRACTICES_MAX = 2000
LINK_MAX = 500
# Kept in the database and sent again to every member who asks for it: less than a broadcast's.
FILE_MAX = 10_000_000
# The meetings offered by /club compte-rendu without a number: those of the last year.
PICK_SINCE = timedelta(days=365)
PICK_MAX = 8
PRESENT, ABSENT = "✅", "⬜"
_IN_BUTTON = 40
# An entry's answers, forgotten once it is stored so that the next one starts empty.
ENTRY_FIELDS = ("subject", "shared", "keywords", "contacts")


async def start(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club compte-rendu N``: record or change meeting N's minutes; without a number, the
    meetings of the last year to choose from."""
    # « /club compte rendu 12 », typed in two words.
    if args and fold(args[0]) == "rendu":
        args = args[1:]
    if not args:
        return [await _pick(context)]
    if len(args) != 1 or not args[0].isdigit():
        return [context.say("club.minutes.usage")]
    event = await repo.pole_event(context.session, pole_id=context.pole_id, event_id=int(args[0]))
    if event is None or event.club_id is None:
        return [context.say("club.meeting_unknown")]
    when = local_when(context, event.starts_at)
    if event.status == "cancelled":
        return [context.say("club.meeting_was_cancelled", when=when)]
    if event.starts_at is None or event.starts_at > utcnow():
        return [context.say("club.minutes.not_started", when=when)]
    minutes = await repo.club_minutes(
        context.session, club_id=event.club_id, event_id=event.id or 0
    )
    context.start_flow(
        FLOW, {"event_id": event.id, "club_id": event.club_id, "editing": minutes is not None}
    )
    if minutes is not None:
        context.state.step = "menu"
    elif await _untreated(context):
        context.state.step = "topics"
    else:
        context.state.step = "practices"
    return []


async def _pick(context: Context) -> Reply:
    """The club meetings of the last year, latest first, those with minutes ticked."""
    now = utcnow()
    events = await repo.pole_events_between(
        context.session, pole_id=context.pole_id, start=now - PICK_SINCE, end=now
    )
    held = [e for e in reversed(events) if e.club_id is not None and e.status == "scheduled"]
    if not held:
        return context.say("club.minutes.pick_none")
    buttons = []
    for event in held[:PICK_MAX]:
        assert event.club_id is not None and event.id is not None
        recorded = await repo.club_minutes(
            context.session, club_id=event.club_id, event_id=event.id
        )
        label = f"{local_when(context, event.starts_at)} — {shorten(event.title, _IN_BUTTON)}"
        if recorded is not None:
            label = f"{PRESENT} {label}"
        buttons.append(context.command_button(label, f"club compte-rendu {event.id}"))
    return context.say("club.minutes.pick", buttons=buttons)


async def _meeting(context: Context) -> tuple[Club, Event]:
    """The meeting the flow is about, checked to be of the pôle the flow began in."""
    event = await repo.pole_event(
        context.session, pole_id=context.pole_id, event_id=context.data["event_id"]
    )
    club = await repo.pole_club(
        context.session, pole_id=context.pole_id, club_id=context.data["club_id"]
    )
    # Neither meetings nor clubs are ever deleted.
    assert event is not None and club is not None and event.club_id == club.id
    return club, event


def _ids(context: Context) -> dict[str, int]:
    """The flow's club and meeting, as the queries name them."""
    return {"club_id": context.data["club_id"], "event_id": context.data["event_id"]}


async def _untreated(context: Context) -> list[ClubTopic]:
    topics = await repo.agenda_topics(context.session, **_ids(context))
    return [topic for topic in topics if topic.treated_at is None]


def _then(context: Context, step: str) -> str:
    """Where a part of the minutes leads once answered: back to the minutes as recorded when
    changing them, else on to ``step``."""
    return "menu" if context.data["editing"] else step


# The topics treated


async def ask_topics(context: Context) -> Reply:
    """The agenda's topics not marked treated yet, a box each to tick, and « Valider »."""
    _, event = await _meeting(context)
    chosen = set(context.data.get("treated", []))
    texts = context.texts
    lines = [texts("club.minutes.ask_topics", theme=event.title)]
    buttons = []
    for topic in await _untreated(context):
        box = PRESENT if topic.id in chosen else ABSENT
        lines.append(texts("club.minutes.topic_line", box=box, topic=topic.text))
        buttons.append(context.choice(f"{box} {shorten(topic.text, _IN_BUTTON)}", f"t{topic.id}"))
    buttons.append(
        context.choice(texts.label("club.minutes.topics_done", count=len(chosen)), "done")
    )
    return Reply(Text.join(lines), tuple(buttons))


async def answer_topics(context: Context, answer: Answer) -> Outcome:
    untreated = {topic.id for topic in await _untreated(context)}
    chosen: list[int] = [t for t in context.data.get("treated", []) if t in untreated]
    choice = answer.choice or ""
    if choice.startswith("t") and choice[1:].isdigit() and int(choice[1:]) in untreated:
        topic_id = int(choice[1:])
        context.data["treated"] = (
            [t for t in chosen if t != topic_id] if topic_id in chosen else [*chosen, topic_id]
        )
        return Next("topics")
    if choice != "done":
        return Retry(context.say("errors.pick_a_button"))
    marked = await repo.mark_topics_treated(
        context.session, **_ids(context), topic_ids=chosen, at=utcnow()
    )
    context.data.pop("treated", None)
    return Next(_then(context, "practices"), [context.say("club.minutes.treated", count=marked)])


# The practices shared


async def ask_practices(context: Context) -> Reply:
    """Asks for the practices shared, showing those recorded; « Passer » leaves them as they are."""
    _, event = await _meeting(context)
    texts = context.texts
    minutes = await repo.club_minutes(context.session, **_ids(context))
    lines = [texts("club.minutes.ask_practices", theme=event.title, maximum=PRACTICES_MAX)]
    if minutes is not None and minutes.practices:
        lines.append(texts("club.minutes.practices_now"))
        lines.append(Text.plain(minutes.practices))
    skip = context.choice(texts.label("club.minutes.skip"), "skip")
    return Reply(Text.join(lines, "\n\n"), (skip,))


async def answer_practices(context: Context, answer: Answer) -> Outcome:
    minutes = await repo.club_minutes(context.session, **_ids(context))
    if answer.choice == "skip":
        practices = minutes.practices if minutes is not None else ""
    elif answer.choice is not None:
        return Retry(context.say("errors.pick_a_button"))
    else:
        cleaned = clean_text(context, answer.text, max_length=PRACTICES_MAX)
        if isinstance(cleaned, Retry):
            return cleaned
        practices = cleaned.value
    await repo.save_minutes(
        context.session, **_ids(context), practices=practices, written_by=context.person_id
    )
    return Next(_then(context, "subject"))


# The directory entries: subject, what was shared, contacts, keywords, a link or a file


_ask_subject = entry_step("subject", "club.minutes.ask_subject", "shared")


async def ask_subject(context: Context) -> Reply:
    """Asks the entry's subject; « Terminer » ends the minutes instead."""
    reply = await _ask_subject.ask(context)
    finish = context.choice(context.texts.label("club.minutes.finish"), "finish")
    return Reply(reply.text, (*reply.buttons, finish))


async def answer_subject(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "finish":
        return Done([await _summary(context)])
    return await _ask_subject.answer(context, answer)


async def _members(context: Context) -> list[tuple[int, str]]:
    """The club's members under its current charter, who may be named as contacts, by name."""
    current = await repo.club_member_ids(
        context.session, pole_id=context.pole_id, club_id=context.data["club_id"]
    )
    roster = await repo.club_roster(context.session, club_id=context.data["club_id"])
    return [(p.id, person_label(p)) for p, _ in roster if p.id is not None and p.id in current]


async def ask_contacts(context: Context) -> Reply:
    """The club's members, a box each to tick for the members to contact, and « Terminé »."""
    texts = context.texts
    chosen = set(context.data.get("contacts", []))
    members = await _members(context)
    buttons = [
        context.choice(f"{PRESENT if p in chosen else ABSENT} {name}", f"p{p}")
        for p, name in members
    ]
    buttons.append(context.choice(texts.label("club.minutes.contacts_done"), "done"))
    key = "club.minutes.ask_contacts" if members else "club.minutes.no_members"
    lines = [texts(key, subject=context.data["subject"])]
    if chosen:
        names = ", ".join(name for p, name in members if p in chosen)
        lines.append(texts("club.minutes.contacts_chosen", names=names))
    return Reply(Text.join(lines, "\n\n"), tuple(buttons))


async def answer_contacts(context: Context, answer: Answer) -> Outcome:
    members = {p for p, _ in await _members(context)}
    chosen: list[int] = [p for p in context.data.get("contacts", []) if p in members]
    choice = answer.choice or ""
    if choice.startswith("p") and choice[1:].isdigit() and int(choice[1:]) in members:
        person_id = int(choice[1:])
        context.data["contacts"] = (
            [p for p in chosen if p != person_id] if person_id in chosen else [*chosen, person_id]
        )
        return Next("contacts")
    if choice != "done":
        return Retry(context.say("errors.pick_a_button"))
    if not chosen and members:
        return Retry(context.say("club.minutes.contacts_needed"))
    context.data["contacts"] = chosen
    return Next("keywords")


async def ask_attachment(context: Context) -> Reply:
    """Asks for a link or a file the members will find with the entry, or neither."""
    none = context.choice(context.texts.label("club.minutes.no_attachment"), "none")
    return context.say("club.minutes.ask_attachment", maximum=FILE_MAX // 1_000_000, buttons=[none])


def valid_link(typed: str) -> str | None:
    """The web address typed, if it is a whole https one; None otherwise."""
    url = typed.strip()
    if len(url) > LINK_MAX or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme != "https" or not host or "." not in host.strip("."):
        return None
    return url


async def answer_attachment(context: Context, answer: Answer) -> Outcome:
    entry = DirectoryEntry(
        **_ids(context),
        subject=context.data["subject"],
        shared=context.data["shared"],
        keywords=context.data["keywords"],
    )
    if answer.files:
        refusal = await _take_file(context, entry, answer.files[0])
        if refusal is not None:
            return Retry(refusal)
    elif answer.choice != "none":
        link = valid_link(answer.text)
        if link is None:
            return Retry(context.say("club.minutes.bad_link"))
        entry.link = link
    members = {p for p, _ in await _members(context)}
    contacts = [p for p in context.data["contacts"] if p in members]
    await repo.add_directory_entry(context.session, entry=entry, contact_ids=contacts)
    for field in ENTRY_FIELDS:
        context.data.pop(field, None)
    return Next("more", [context.say("club.minutes.entry_saved", subject=entry.subject)])


async def _take_file(context: Context, entry: DirectoryEntry, file: IncomingFile) -> Reply | None:
    """Put the file in the entry; the reason it cannot be, if so."""
    data = await fetch_file(
        context,
        file,
        maximum=FILE_MAX,
        too_big="club.minutes.file_too_big",
        failed="club.minutes.file_failed",
    )
    if isinstance(data, Reply):
        return data
    entry.file_name, entry.file_type = file.filename[:200], file.mime_type[:100]
    entry.file_data = data
    return None


async def ask_more(context: Context) -> Reply:
    """Asks whether another entry follows."""
    texts = context.texts
    return context.say(
        "club.minutes.ask_more",
        buttons=[
            context.choice(texts.label("club.minutes.another"), "another"),
            context.choice(texts.label("club.minutes.finish"), "finish"),
        ],
    )


async def answer_more(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "another":
        return Next("subject")
    if answer.choice == "finish":
        return Done([await _summary(context)])
    return Retry(context.say("errors.pick_a_button"))


# Running it again: the minutes as recorded, and what to change


async def _recorded(context: Context) -> Text:
    """The minutes as recorded: practices, topics treated, entries with their contacts."""
    club, event = await _meeting(context)
    texts = context.texts
    minutes = await repo.club_minutes(context.session, **_ids(context))
    when = local_when(context, event.starts_at)
    lines = [texts("club.minutes.recorded_title", club=club.name, theme=event.title, when=when)]
    if minutes is not None and minutes.practices:
        lines += [texts("club.minutes.recorded_practices"), Text.plain(minutes.practices)]
    else:
        lines.append(texts("club.minutes.recorded_no_practices"))
    topics = await repo.agenda_topics(context.session, **_ids(context))
    treated = [topic.text for topic in topics if topic.treated_at is not None]
    if treated:
        lines.append(texts("club.minutes.recorded_topics", topics=" ; ".join(treated)))
    entries = await repo.meeting_entries(context.session, **_ids(context))
    contacts = await repo.entry_contacts(
        context.session, club_ids=[club.id or 0], entry_ids=[e.id for e in entries if e.id]
    )
    lines.append(texts("club.minutes.recorded_entries", count=len(entries)))
    for entry in entries:
        names = ", ".join(person.display_name or "?" for person in contacts.get(entry.id or 0, []))
        lines.append(
            texts("club.minutes.recorded_entry", subject=entry.subject, names=names or "—")
        )
    return Text.join(lines)


async def ask_menu(context: Context) -> Reply:
    """The minutes as recorded, and buttons to change the practices, mark topics treated, add
    or remove an entry, or finish."""
    texts = context.texts
    buttons = [context.choice(texts.label("club.minutes.edit_practices"), "practices")]
    if await _untreated(context):
        buttons.append(context.choice(texts.label("club.minutes.edit_topics"), "topics"))
    buttons.append(context.choice(texts.label("club.minutes.add_entry"), "add"))
    if await repo.meeting_entries(context.session, **_ids(context)):
        buttons.append(context.choice(texts.label("club.minutes.remove_entry"), "remove"))
    buttons.append(context.choice(texts.label("club.minutes.finish"), "finish"))
    body = Text.join([await _recorded(context), texts("club.minutes.ask_menu")], "\n\n")
    return Reply(body, tuple(buttons))


async def answer_menu(context: Context, answer: Answer) -> Outcome:
    steps = {"practices": "practices", "topics": "topics", "add": "subject", "remove": "remove"}
    if answer.choice == "finish":
        return Done([await _summary(context)])
    if answer.choice not in steps:
        return Retry(context.say("errors.pick_a_button"))
    if answer.choice == "topics" and not await _untreated(context):
        return Retry(context.say("club.minutes.no_topics_left"))
    return Next(steps[answer.choice])


async def ask_remove(context: Context) -> Reply:
    """The meeting's entries, one button each, to take out of the directory."""
    texts = context.texts
    entries = await repo.meeting_entries(context.session, **_ids(context))
    buttons = [context.choice(shorten(e.subject, _IN_BUTTON), f"e{e.id}") for e in entries]
    buttons.append(context.choice(texts.label("club.minutes.back"), "back"))
    return context.say("club.minutes.ask_remove", buttons=buttons)


async def answer_remove(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "back":
        return Next("menu")
    entries = await repo.meeting_entries(context.session, **_ids(context))
    entry = next((e for e in entries if f"e{e.id}" == answer.choice), None)
    if entry is None:
        return Retry(context.say("errors.pick_a_button"))
    subject = entry.subject
    await repo.delete_directory_entry(context.session, entry=entry)
    return Next("menu", [context.say("club.minutes.entry_removed", subject=subject)])


async def _summary(context: Context) -> Reply:
    _, event = await _meeting(context)
    entries = await repo.meeting_entries(context.session, **_ids(context))
    topics = await repo.agenda_topics(context.session, **_ids(context))
    return context.say(
        "club.minutes.saved",
        theme=event.title,
        when=local_when(context, event.starts_at),
        entries=len(entries),
        topics=sum(1 for topic in topics if topic.treated_at is not None),
        number=event.id,
    )


ACTIONS = (
    Action(("compte-rendu", "compterendu", "compte", "cr", "minutes"), start, role="animator"),
)
FLOWS = (
    Flow(
        FLOW,
        "club.minutes.title",
        "practices",
        {
            "menu": Step(ask_menu, answer_menu),
            "topics": Step(ask_topics, answer_topics),
            "practices": Step(ask_practices, answer_practices),
            "subject": Step(ask_subject, answer_subject),
            "shared": entry_step("shared", "club.minutes.ask_shared", "contacts"),
            "contacts": Step(ask_contacts, answer_contacts),
            "keywords": entry_step("keywords", "club.minutes.ask_keywords", "attachment"),
            "attachment": Step(ask_attachment, answer_attachment, takes_files=True),
            "more": Step(ask_more, answer_more),
            "remove": Step(ask_remove, answer_remove),
        },
        role="animator",
    ),
)
