"""The clubs' directory of competencies: who can help on what. Its entries come from meetings'
minutes (handlers/club/minutes.py) and from the competencies members declare about themselves
(``/club competences``: listed, added, edited, removed, their own only). ``/annuaire MOT…``
searches the entries of the person's clubs with the database's full-text search
(bot/storage/search.py), each result with a button to ask for an introduction to each member to
contact; ``/annuaire sujets`` says what each club already treated, by year.

Only the members of a club under its current charter see anything of its directory; anyone
else gets the same answer, whatever exists. A contact who left the club is no longer shown,
and neither is a competency its member declared before leaving."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Attachment, Button, Reply, Text
from bot.storage import repositories as repo
from bot.storage import search
from bot.storage.models import Club, DirectoryEntry, Event, Person
from content.text import fold
from handlers.actions import Action
from handlers.club.admin import member_clubs, person_label, pick_club
from handlers.validation import Cleaned, clean_line

SKILL_FLOW = "club_skill"
REMOVE_FLOW = "club_skill_remove"
LIMITS = {"subject": 200, "shared": 2000, "keywords": 300}
RESULTS = 5
# The search asks for this many times the results shown, so that those left out afterwards (a
# competency of someone who left its club) are replaced.
_SPARE = 3
SHARED_SHOWN = 300
QUERY_SHOWN = 80
_IN_BUTTON = 40
SUBJECT_WORDS = frozenset({"sujets", "sujet", "subjects", "topics"})
FILE_WORDS = frozenset({"fichier", "file"})
ADD_WORDS = frozenset({"ajouter", "add"})
EDIT_WORDS = frozenset({"modifier", "edit"})
REMOVE_WORDS = frozenset({"retirer", "supprimer", "remove", "delete"})
# What a file kept without its type is sent as.
OCTET_STREAM = "application/octet-stream"


def shorten(text: str, size: int) -> str:
    """``text`` cut to at most ``size`` characters, between two words if it can, ending with
    « … » when cut."""
    if len(text) <= size:
        return text
    cut = text[: size - 1]
    if not text[size - 1].isspace() and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _day(context: Context, moment: datetime) -> str:
    """« 12/03/2027 », in the bot's time zone."""
    return moment.astimezone(context.settings.tz).strftime("%d/%m/%Y")


def clean_text(context: Context, raw: str, *, max_length: int) -> Cleaned | Retry:
    """A free text of several lines (what was shared, the practices of a meeting), its lines
    kept; or the reason it cannot be used."""
    value = "".join(ch for ch in raw if ch.isprintable() or ch in "\n\t").strip()
    if not value:
        return Retry(context.say("errors.empty_answer"))
    if len(value) > max_length:
        return Retry(context.say("errors.too_long", length=len(value), maximum=max_length))
    return Cleaned(value)


async def _my_clubs(context: Context) -> list[Club]:
    """The clubs whose directory the person may read: those whose current charter they accepted."""
    return [club for club, _ in await member_clubs(context)]


# An entry's text fields, asked by the minutes' flow and by the competencies' one.


def entry_step(field: str, ask_key: str, next_step: str) -> Step:
    """The step taking ``field`` of an entry (subject, shared, keywords) into the flow's data.
    The keywords may be left out with a button; a field already filled (an entry being edited)
    is kept with another."""
    maximum = LIMITS[field]

    async def ask(context: Context) -> Reply:
        texts = context.texts
        buttons = []
        if current := context.data.get(field):
            label = texts.label("club.directory.keep", value=shorten(current, _IN_BUTTON))
            buttons.append(context.choice(label, "keep"))
        if field == "keywords":
            buttons.append(context.choice(texts.label("club.directory.no_keywords"), "none"))
        return context.say(ask_key, maximum=maximum, buttons=buttons)

    async def answer(context: Context, given: Answer) -> Outcome:
        if given.choice == "keep" and context.data.get(field):
            return Next(next_step)
        if given.choice == "none" and field == "keywords":
            context.data[field] = ""
            return Next(next_step)
        if given.choice is not None:
            return Retry(context.say("errors.pick_a_button"))
        if field == "shared":
            cleaned = clean_text(context, given.text, max_length=maximum)
        else:
            cleaned = clean_line(context, given.text, max_length=maximum)
        if isinstance(cleaned, Retry):
            return cleaned
        context.data[field] = cleaned.value
        return Next(next_step)

    return Step(ask, answer)


# What members see of the entries.


async def with_contacts(
    context: Context, entries: Sequence[DirectoryEntry]
) -> list[tuple[DirectoryEntry, list[Person]]]:
    """Each entry with its contacts who are still members of its club; a competency declared
    by someone who is no longer a member is left out."""
    club_ids = {entry.club_id for entry in entries}
    current = {
        club_id: await repo.club_member_ids(
            context.session, pole_id=context.pole_id, club_id=club_id
        )
        for club_id in club_ids
    }
    contacts = await repo.entry_contacts(
        context.session, club_ids=club_ids, entry_ids=[entry.id for entry in entries if entry.id]
    )
    kept = []
    for entry in entries:
        members = current[entry.club_id]
        if entry.member_id is not None and entry.member_id not in members:
            continue
        people = [person for person in contacts.get(entry.id or 0, []) if person.id in members]
        kept.append((entry, people))
    return kept


async def _matching(
    context: Context, clubs: Sequence[Club], query: str, limit: int
) -> list[tuple[DirectoryEntry, list[Person]]]:
    club_ids = [club.id for club in clubs if club.id is not None]
    ids = await search.ranked(
        context.session, search.DIRECTORY, query=query, club_ids=club_ids, limit=limit * _SPARE
    )
    entries = await repo.directory_entries(context.session, club_ids=club_ids, entry_ids=ids)
    return (await with_contacts(context, entries))[:limit]


async def matching_entries(
    context: Context, query: str, *, limit: int = RESULTS
) -> list[tuple[DirectoryEntry, list[Person]]]:
    """The entries of the person's clubs matching ``query``, best first, each with its contacts
    (members of its club): nothing for someone who is a member of no club."""
    return await _matching(context, await _my_clubs(context), query, limit)


def entry_reply(
    context: Context,
    entry: DirectoryEntry,
    contacts: Sequence[Person],
    club: Club,
    meeting: Event | None,
) -> Reply:
    """An entry as a member reads it, with the button showing its file and one asking for an
    introduction to each contact (but the reader)."""
    texts = context.texts
    lines = [texts("club.directory.entry_title", subject=entry.subject, club=club.name)]
    if meeting is not None and meeting.starts_at is not None:
        when = _day(context, meeting.starts_at)
        lines.append(texts("club.directory.entry_meeting", theme=meeting.title, day=when))
    elif entry.member_id is not None:
        lines.append(texts("club.directory.entry_declared"))
    if entry.shared:
        lines.append(Text.plain(shorten(entry.shared, SHARED_SHOWN)))
    if entry.keywords:
        lines.append(texts("club.directory.entry_keywords", keywords=entry.keywords))
    if contacts:
        names = ", ".join(person_label(person) for person in contacts)
        lines.append(texts("club.directory.entry_contacts", names=names))
    if entry.link:
        lines.append(texts("club.directory.entry_link") + Text.link(entry.link, entry.link))
    buttons: list[Button] = []
    if entry.file_name:
        lines.append(texts("club.directory.entry_file", name=entry.file_name))
        label = texts.label("club.directory.file_button")
        buttons.append(context.command_button(label, f"annuaire fichier {entry.id}"))
    for person in contacts:
        if person.id != context.person_id:
            label = texts.label("club.directory.introduce", name=person.display_name or "?")
            buttons.append(
                context.command_button(label, f"club relation {person.id} entree {entry.id}")
            )
    return Reply(Text.join(lines), tuple(buttons))


# /annuaire


async def directory(context: Context) -> list[Reply]:
    """``/annuaire MOT…``: the best entries of the person's clubs; ``/annuaire sujets``: what
    their clubs treated; ``/annuaire fichier N``: an entry's file (its button)."""
    clubs = await _my_clubs(context)
    if not clubs:
        return [context.say("club.directory.members_only")]
    args = context.incoming.args
    subjects_button = context.command_button(
        context.texts.label("club.directory.subjects_button"), "annuaire sujets"
    )
    if not args:
        return [context.say("club.directory.usage", buttons=[subjects_button])]
    first = fold(args[0])
    if len(args) == 1 and first in SUBJECT_WORDS:
        return await _subjects(context, clubs)
    if len(args) == 2 and first in FILE_WORDS and args[1].isdigit():
        return [await _file(context, clubs, int(args[1]))]
    query = " ".join(args)
    shown = shorten(query, QUERY_SHOWN)
    found = await _matching(context, clubs, query, RESULTS)
    if not found:
        return [context.say("club.directory.nothing", query=shown, buttons=[subjects_button])]
    names = {club.id: club for club in clubs}
    meetings = await repo.club_events(
        context.session,
        club_ids=list(names),
        event_ids={entry.event_id for entry, _ in found if entry.event_id is not None},
    )
    replies = [context.say("club.directory.results", query=shown, count=len(found))]
    replies += [
        entry_reply(
            context,
            entry,
            contacts,
            names[entry.club_id],
            meetings.get(entry.event_id) if entry.event_id else None,
        )
        for entry, contacts in found
    ]
    return replies


async def _file(context: Context, clubs: Sequence[Club], entry_id: int) -> Reply:
    """The entry's file, to a member of its club; the same answer for any other number."""
    entry = await repo.club_entry(
        context.session, club_ids=[club.id for club in clubs if club.id], entry_id=entry_id
    )
    if entry is None or entry.file_data is None or not await with_contacts(context, [entry]):
        return context.say("club.directory.file_unknown")
    attachment = Attachment(
        entry.file_name or "fichier", entry.file_type or OCTET_STREAM, entry.file_data
    )
    return context.say("club.directory.file", subject=entry.subject, attachments=[attachment])


async def _subjects(context: Context, clubs: Sequence[Club]) -> list[Reply]:
    """What each club treated, by year, latest first: its topics marked treated and the
    subjects of its meetings' minutes (a member's declared competencies are not a subject the
    club treated). A subject met twice in a year is said once."""
    texts = context.texts
    replies = []
    for club in clubs:
        treated = await repo.treated_subjects(context.session, club_id=club.id or 0)
        if not treated:
            replies.append(context.say("club.directory.subjects_none", club=club.name))
            continue
        lines = [texts("club.directory.subjects_title", club=club.name)]
        by_year = groupby(treated, key=lambda pair: pair[0].astimezone(context.settings.tz).year)
        for year, rows in by_year:
            lines.append(texts("club.directory.subjects_year", year=year))
            seen: set[str] = set()
            for moment, subject in rows:
                if fold(subject) not in seen:
                    seen.add(fold(subject))
                    lines.append(
                        texts(
                            "club.directory.subjects_line",
                            subject=subject,
                            day=_day(context, moment),
                        )
                    )
        replies.append(Reply(Text.join(lines)))
    return replies


# /club competences


async def competences(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/club competences [CLUB]``: the competencies the member declared in a club, with the
    buttons adding one, editing or removing each; ``… ajouter [CLUB]``, ``… modifier N`` and
    ``… retirer N`` are those buttons."""
    clubs = await _my_clubs(context)
    if not clubs:
        return [context.say("club.directory.members_only")]
    word = fold(args[0]) if args else ""
    if word in ADD_WORDS:
        return await _add(context, clubs, args[1:])
    if word in EDIT_WORDS | REMOVE_WORDS:
        entry = await _own_entry(context, clubs, args[1:])
        if entry is None:
            return [context.say("club.directory.skill_unknown")]
        if word in REMOVE_WORDS:
            context.start_flow(REMOVE_FLOW, {"entry_id": entry.id, "subject": entry.subject})
            return []
        fields = {"subject": entry.subject, "shared": entry.shared, "keywords": entry.keywords}
        context.start_flow(SKILL_FLOW, {"club_id": entry.club_id, "entry_id": entry.id, **fields})
        return []
    club = await _chosen_club(context, clubs, args, "club competences")
    if isinstance(club, Reply):
        return [club]
    return [await _skills(context, club)]


async def _chosen_club(
    context: Context, clubs: Sequence[Club], args: Sequence[str], command: str
) -> Club | Reply:
    """The club ``args`` names, the only one, or the buttons choosing one (``command ID``)."""
    if args:
        club = pick_club(clubs, " ".join(args))
        return club if club is not None else context.say("club.directory.unknown_club")
    if len(clubs) == 1:
        return clubs[0]
    buttons = [context.command_button(club.name, f"{command} {club.id}") for club in clubs]
    return context.say("club.directory.which_club", buttons=buttons)


async def _own_entry(
    context: Context, clubs: Sequence[Club], args: Sequence[str]
) -> DirectoryEntry | None:
    """The competency number ``args`` names, if the person declared it in one of their clubs."""
    if len(args) != 1 or not args[0].isdigit():
        return None
    entry = await repo.club_entry(
        context.session, club_ids=[club.id for club in clubs if club.id], entry_id=int(args[0])
    )
    return entry if entry is not None and entry.member_id == context.person_id else None


async def _skills(context: Context, club: Club) -> Reply:
    """The member's competencies in the club, a button to edit and one to remove each."""
    texts = context.texts
    entries = await repo.member_entries(
        context.session, club_id=club.id or 0, member_id=context.person_id
    )
    lines = [texts("club.directory.skills_title", club=club.name)]
    if not entries:
        lines.append(texts("club.directory.skills_none"))
    buttons = [
        context.command_button(
            texts.label("club.directory.skill_add"), f"club competences ajouter {club.id}"
        )
    ]
    for entry in entries:
        lines.append(texts("club.directory.skills_line", subject=entry.subject))
        subject = shorten(entry.subject, _IN_BUTTON)
        buttons += [
            context.command_button(
                texts.label("club.directory.skill_edit", subject=subject),
                f"club competences modifier {entry.id}",
            ),
            context.command_button(
                texts.label("club.directory.skill_remove", subject=subject),
                f"club competences retirer {entry.id}",
            ),
        ]
    lines.append(texts("club.directory.skills_hint"))
    return Reply(Text.join(lines), tuple(buttons))


async def _add(context: Context, clubs: Sequence[Club], args: Sequence[str]) -> list[Reply]:
    """Declare a competency in the club ``args`` names (asked when several); asks its subject."""
    club = await _chosen_club(context, clubs, args, "club competences ajouter")
    if isinstance(club, Reply):
        return [club]
    context.start_flow(SKILL_FLOW, {"club_id": club.id})
    return []


async def _skill_club(context: Context) -> Club | None:
    """The flow's club, if the person is still one of its members."""
    return next((c for c in await _my_clubs(context) if c.id == context.data["club_id"]), None)


async def ask_skill_confirm(context: Context) -> Reply:
    """Shows the competency as the club's members will read it, and asks to save it."""
    club = await _skill_club(context)
    if club is None:
        # No longer a member: the answer ends the flow.
        return context.say("club.directory.members_only")
    texts = context.texts
    entry = DirectoryEntry(
        club_id=club.id or 0,
        member_id=context.person_id,
        subject=context.data["subject"],
        shared=context.data["shared"],
        keywords=context.data["keywords"],
    )
    assert context.person is not None
    preview = entry_reply(context, entry, [context.person], club, None)
    buttons = [
        context.choice(texts.label("club.directory.skill_save"), "save"),
        context.choice(texts.label("club.directory.skill_drop"), "drop"),
    ]
    body = Text.join([texts("club.directory.skill_preview"), preview.text], "\n\n")
    return Reply(body, tuple(buttons))


async def answer_skill_confirm(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "drop":
        return Done([context.say("club.directory.skill_dropped")])
    if answer.choice != "save":
        return Retry(context.say("errors.pick_a_button"))
    club = await _skill_club(context)
    if club is None:
        return Done([context.say("club.directory.members_only")])
    subject, shared, keywords = (context.data[f] for f in ("subject", "shared", "keywords"))
    if "entry_id" in context.data:
        entry = await _own_entry(context, [club], [str(context.data["entry_id"])])
        if entry is None:
            return Done([context.say("club.directory.skill_unknown")])
        await repo.update_directory_entry(
            context.session, entry=entry, subject=subject, shared=shared, keywords=keywords
        )
        key = "club.directory.skill_updated"
    else:
        entry = DirectoryEntry(
            club_id=club.id or 0,
            member_id=context.person_id,
            subject=subject,
            shared=shared,
            keywords=keywords,
        )
        await repo.add_directory_entry(
            context.session, entry=entry, contact_ids=[context.person_id]
        )
        key = "club.directory.skill_added"
    back = context.command_button(
        context.texts.label("club.directory.skills_button"), f"club competences {club.id}"
    )
    return Done([context.say(key, subject=subject, club=club.name, buttons=[back])])


async def ask_skill_remove(context: Context) -> Reply:
    """Asks to confirm the removal."""
    return context.yes_no(
        "club.directory.skill_remove_ask",
        "club.directory.skill_remove_yes",
        "club.directory.skill_remove_no",
        subject=context.data["subject"],
    )


async def answer_skill_remove(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "no":
        return Done([context.say("club.directory.skill_kept", subject=context.data["subject"])])
    if answer.choice != "yes":
        return Retry(context.say("errors.pick_a_button"))
    entry = await _own_entry(context, await _my_clubs(context), [str(context.data["entry_id"])])
    if entry is None:
        return Done([context.say("club.directory.skill_unknown")])
    await repo.delete_directory_entry(context.session, entry=entry)
    return Done([context.say("club.directory.skill_removed", subject=context.data["subject"])])


ACTIONS = (Action(("competences", "competence", "skills"), competences),)
FLOWS = (
    Flow(
        SKILL_FLOW,
        "club.directory.skill_title",
        "subject",
        {
            "subject": entry_step("subject", "club.directory.ask_subject", "shared"),
            "shared": entry_step("shared", "club.directory.ask_shared", "keywords"),
            "keywords": entry_step("keywords", "club.directory.ask_keywords", "confirm"),
            "confirm": Step(ask_skill_confirm, answer_skill_confirm),
        },
        role="member",
    ),
    Flow(
        REMOVE_FLOW,
        "club.directory.skill_remove_title",
        "confirm",
        {"confirm": Step(ask_skill_remove, answer_skill_remove)},
        role="member",
    ),
)
