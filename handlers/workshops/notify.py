"""What the bot writes first about a workshop to some of its people (those who asked, once it is
planned; those who came, for the survey and the documents): one campaign per person, in their
language, about them (erased with them), through the outbox."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence

from bot.config import Settings
from bot.messages import Button
from bot.outbox import Recipient, enqueue
from bot.storage import repositories as repo
from bot.storage.models import Campaign
from bot.storage.session import Session
from content.loader import Content, Texts
from handlers.events.invitations import recipients
from handlers.language import texts_for


async def tell(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    pole_id: int,
    people: Collection[int],
    kind: str,
    key: str,
    values: Mapping[str, object],
    audience: str,
    buttons: Callable[[Texts], Sequence[Button]] | None = None,
    once: bool = False,
) -> int:
    """Queue the text of ``key`` with ``values`` to each of ``people`` on their chat, with the
    ``buttons`` made in their language; ``once``: to each person at most once ever for this
    ``audience`` (a survey after a workshop). Returns how many messages were queued."""
    queued = 0
    for person in await repo.people_by_id(session, ids=people):
        assert person.id is not None
        to = await recipients(session, settings, person, calendar=False)
        if not to:
            continue
        texts = texts_for(content, settings, person)
        campaign = Campaign(
            pole_id=pole_id,
            kind=kind,
            subject_id=person.id,
            audience=f"{audience}:{person.id}",
            text=texts.label(key, **values),
            buttons=[[b.label, b.value] for b in (buttons(texts) if buttons else ())],
        )
        dedupe = f"{audience}:{person.id}" if once else None
        queued += await enqueue(session, campaign=campaign, recipients=to, dedupe_key=dedupe)
    return queued


async def send_file(
    session: Session,
    settings: Settings,
    content: Content,
    *,
    pole_id: int,
    people: Collection[int],
    key: str,
    values: Mapping[str, object],
    audience: str,
    file: tuple[str, str, bytes],
    author_id: int,
) -> int:
    """Queue a file (name, type, bytes) with the text of ``key`` to each of ``people``: one
    campaign per language, so that the file is stored once per language, not once per person;
    its author is the animator who sent it. Returns how many messages were queued."""
    by_locale: dict[str, list[Recipient]] = {}
    for person in await repo.people_by_id(session, ids=people):
        locale = texts_for(content, settings, person).locale
        by_locale.setdefault(locale, []).extend(
            await recipients(session, settings, person, calendar=False)
        )
    name, mime, data = file
    queued = 0
    for locale, to in sorted(by_locale.items()):
        campaign = Campaign(
            pole_id=pole_id,
            kind="workshop_document",
            author_id=author_id,
            audience=f"{audience}:{locale}",
            text=content.texts(locale).label(key, **values),
            attachment_name=name,
            attachment_type=mime,
            attachment_data=data,
        )
        queued += await enqueue(session, campaign=campaign, recipients=to)
    return queued
