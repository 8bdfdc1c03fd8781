"""What /ressources holds, in one numbered list: the booklet, the content's templates, then the
documents the pôle's animators added; each sent on request, the templates built in the member's
language. Animators add a document (a file, then its title) and remove one.

The list's numbers are positions, the same for everyone in the pôle at a given moment; the
buttons carry ids (``livret``, a template's id, ``f12`` for an added document), which stay
right when a document is added or removed between the list and the press.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from bot.conversation import Answer, Context, Done, Flow, Next, Outcome, Retry, Step
from bot.messages import Attachment, Button, Reply
from bot.storage import repositories as repo
from bot.storage.models import DRAFT_UPLOAD, ResourceFile, Upload, utcnow
from content.awareness.resources import Template
from content.text import Text, fold
from handlers.awareness import booklet
from handlers.resources.documents import file_name, template_bytes
from handlers.validation import Cleaned, clean_line, fetch_file

ADD_FLOW = "resource_add"
# As a broadcast's attachment: what Telegram lets a bot download.
FILE_MAX = 20_000_000
TITLE_MAX = 120
BOOKLET = "livret"
_FILE_PREFIX = "f"


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the list: what a button sends (``key``) and what it is."""

    key: str
    template: Template | None = None
    file: ResourceFile | None = None


async def entries(context: Context) -> list[Entry]:
    """Everything /ressources offers in the pôle, in the list's order."""
    files = await repo.resource_files(context.session, pole_id=context.pole_id)
    return [
        Entry(BOOKLET),
        *(Entry(template.id, template=template) for template in context.content.templates.values()),
        *(Entry(f"{_FILE_PREFIX}{file.id}", file=file) for file in files),
    ]


def _line(context: Context, number: int, entry: Entry) -> Text:
    if entry.template is not None:
        template = entry.template
        return context.texts(
            "resources.template_line",
            number=number,
            title=template.title(context.locale),
            format=template.format.upper(),
            summary=template.summary(context.locale),
        )
    if entry.file is not None:
        return context.texts(
            "resources.file_line",
            number=number,
            title=entry.file.title,
            filename=entry.file.filename,
        )
    return context.texts("resources.booklet_line", number=number)


def _button(context: Context, number: int, entry: Entry) -> Button:
    if entry.template is not None:
        label = entry.template.title(context.locale)
    elif entry.file is not None:
        label = entry.file.title
    else:
        label = context.texts.label("resources.booklet_button")
    return context.command_button(f"{number}. {label}"[:60], f"ressources {entry.key}")


async def overview(context: Context) -> list[Reply]:
    """The numbered list with a button per document; the animators' commands for them."""
    listed = await entries(context)
    texts = context.texts
    lines = [texts("resources.list_title"), Text()]
    for number, entry in enumerate(listed, start=1):
        if entry.file is not None and listed[number - 2].file is None:
            lines += [Text(), texts("resources.pole_files")]
        lines.append(_line(context, number, entry))
    if listed[-1].file is None:
        lines += [Text(), texts("resources.no_pole_files")]
    lines += [Text(), texts("resources.pick")]
    buttons = [_button(context, number, entry) for number, entry in enumerate(listed, 1)]
    replies = [Reply(Text.join(lines), tuple(buttons))]
    if context.has_role("animator"):
        replies.append(context.say("resources.animator_help"))
    return replies


def find(listed: Sequence[Entry], word: str) -> Entry | None:
    """The entry a button's id or a typed number names."""
    if word.isdigit():
        number = int(word)
        return listed[number - 1] if 1 <= number <= len(listed) else None
    return next((entry for entry in listed if entry.key == fold(word)), None)


async def send(context: Context, word: str) -> list[Reply]:
    """``/ressources N``: the document N (or the one a button names) as a file."""
    listed = await entries(context)
    entry = find(listed, word)
    if entry is None:
        return [context.say("resources.unknown", name=word), *await overview(context)]
    if entry.template is not None:
        return [await _send_template(context, entry.template)]
    if entry.file is not None:
        file = await repo.resource_file(
            context.session, pole_id=context.pole_id, file_id=entry.file.id or 0
        )
        assert file is not None
        attachment = Attachment(file.filename, file.mime_type, file.data)
        return [context.say("resources.file_sent", title=file.title, attachments=[attachment])]
    return [await booklet.send_booklet(context)]


async def _send_template(context: Context, template: Template) -> Reply:
    today = utcnow().astimezone(context.settings.tz).date()
    data = await asyncio.to_thread(
        template_bytes, template, context.texts, context.locale, today=today
    )
    attachment = Attachment(file_name(template, context.locale), template.mime_type, data)
    return context.say(
        "resources.template_sent",
        title=template.title(context.locale),
        format=template.format.upper(),
        origin=template.origin(context.locale),
        attachments=[attachment],
    )


async def add(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/ressources ajouter``: an animator adds a document of the pôle."""
    if context.incoming.is_group:
        return [context.say("resources.private_only")]
    context.start_flow(ADD_FLOW)
    return []


async def remove(context: Context, args: Sequence[str]) -> list[Reply]:
    """``/ressources retirer N``: an animator removes a document the pôle added."""
    if context.incoming.is_group:
        return [context.say("resources.private_only")]
    if not args:
        return [context.say("resources.remove_which"), *await overview(context)]
    entry = find(await entries(context), args[0])
    if entry is None or entry.file is None:
        return [context.say("resources.not_a_pole_file", number=args[0]), *await overview(context)]
    await repo.remove_resource_file(
        context.session, pole_id=context.pole_id, file_id=entry.file.id or 0
    )
    return [context.say("resources.removed", title=entry.file.title)]


# ---------------------------------------------------------------- adding a document


async def ask_file(context: Context) -> Reply:
    return context.say("resources.ask_file", maximum=FILE_MAX // 1_000_000)


async def answer_file(context: Context, answer: Answer) -> Outcome:
    if not answer.files:
        return Retry(context.say("resources.file_expected"))
    if len(answer.files) > 1:
        return Retry(context.say("resources.one_file"))
    (file,) = answer.files
    data = await fetch_file(
        context,
        file,
        maximum=FILE_MAX,
        too_big="resources.file_too_big",
        failed="resources.file_failed",
    )
    if isinstance(data, Reply):
        return Retry(data)
    # Kept as a draft's file until the title is given (the purge spares it meanwhile).
    await _drop_upload(context)
    upload = await repo.add_upload(
        context.session,
        person_id=context.person_id,
        filename=file.filename,
        mime_type=file.mime_type,
        data=data,
    )
    context.data.update({DRAFT_UPLOAD: upload.id, "filename": upload.filename})
    return Next("title")


async def _drop_upload(context: Context) -> None:
    """A file sent before, replaced by this one."""
    upload_id = context.data.pop(DRAFT_UPLOAD, None)
    if upload_id is not None:
        await repo.delete_upload(context.session, upload_id=upload_id)


def _suggested(context: Context) -> str:
    """The file's name without its extension, as the default title."""
    stem = PurePath(context.data["filename"]).stem.replace("_", " ").replace("-", " ")
    return " ".join(stem.split())[:TITLE_MAX] or context.data["filename"][:TITLE_MAX]


async def ask_title(context: Context) -> Reply:
    suggested = _suggested(context)
    keep = context.choice(context.texts.label("resources.keep_name", suggested=suggested), "keep")
    return context.say("resources.ask_title", suggested=suggested, buttons=[keep])


async def answer_title(context: Context, answer: Answer) -> Outcome:
    if answer.choice == "keep":
        title = _suggested(context)
    else:
        cleaned = clean_line(context, answer.text, max_length=TITLE_MAX)
        if not isinstance(cleaned, Cleaned):
            return cleaned
        title = cleaned.value
    upload = await context.session.get(Upload, context.data[DRAFT_UPLOAD])
    if upload is None:
        # Purged while the animator took more than a day to answer: ask for it again.
        return Next("file", [context.say("resources.file_failed")])
    added = await repo.add_resource_file(
        context.session,
        pole_id=context.pole_id,
        title=title,
        filename=upload.filename,
        mime_type=upload.mime_type,
        data=upload.data,
        added_by=context.person_id,
    )
    await repo.delete_upload(context.session, upload_id=context.data.pop(DRAFT_UPLOAD))
    number = [entry.key for entry in await entries(context)].index(f"{_FILE_PREFIX}{added.id}")
    return Done([context.say("resources.added", title=title, number=number + 1)])


FLOWS = (
    Flow(
        ADD_FLOW,
        "resources.add_title",
        "file",
        {
            "file": Step(ask_file, answer_file, takes_files=True),
            "title": Step(ask_title, answer_title),
        },
        role="animator",
    ),
)
