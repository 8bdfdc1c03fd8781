"""Small queries over the tables; each takes the session first and keyword arguments after."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import (
    Connection,
    Select,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    update,
)
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import select

from bot.storage import personal_data, prepared
from bot.storage.models import (
    DRAFT_UPLOAD,
    PRIVATE_CHAT,
    CafeMember,
    CafePair,
    CalendarFeed,
    Campaign,
    Club,
    ClubCharter,
    ClubMember,
    ClubMinutes,
    ClubTopic,
    ClubTopicVote,
    Consultant,
    ConsultantReferral,
    ConversationState,
    Diagnostic,
    DigestSubscription,
    DirectoryContact,
    DirectoryEntry,
    Edition,
    EditionSchedule,
    Event,
    EventAnswer,
    EventGuest,
    ExchangePost,
    Feed,
    FeedItem,
    Identity,
    Introduction,
    LinkCode,
    Membership,
    ModuleProgress,
    OutboxMessage,
    Person,
    PlannedAction,
    Pole,
    PollSlot,
    PollVote,
    ProgrammeEnrolment,
    ProgrammeRun,
    ProgrammeStepRecord,
    ReadinessResult,
    ResourceFile,
    SlackChat,
    SlackInstallation,
    SurveyDraft,
    SurveyPartner,
    SurveyProject,
    SurveyRespondent,
    SurveyResponse,
    SurveyWave,
    Upload,
    Workshop,
    WorkshopFeedback,
    WorkshopRequest,
    utcnow,
)
from bot.storage.session import Session, split_row
from content.roles import ROLES, role_at_least
from content.text import fold

# No 0/O, 1/I/L: codes are read aloud at meetings and typed from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 8
LINK_CODE_TTL = timedelta(minutes=15)
UNREACHABLE_REASON_MAX = 200
# Filled from the merged person when the target has nothing there: everything but keys and dates.
_MERGED_PROFILE_FIELDS = (
    "display_name",
    "company",
    "sector",
    "locale",
    "email",
    "active_pole_id",
)


# Merged by hand in _merge_people: the source's own row, its accounts and memberships (one per
# pôle, keeping the higher role), and its link codes (dropped).
_MERGED_APART = frozenset({"people", "identities", "memberships", "link_codes"})


class PoleNameTaken(Exception):
    """Another pôle already has this name."""


def new_invite_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def normalize_invite_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


async def _pole_named(session: Session, name: str) -> Pole | None:
    # Compared in Python: SQLite's lower() leaves « É » or « Î » as they are.
    wanted = " ".join(name.split()).casefold()
    poles = await list_poles(session)
    return next((pole for pole in poles if pole.name.casefold() == wanted), None)


async def create_pole(session: Session, *, name: str, is_default: bool = False) -> Pole:
    name = " ".join(name.split())
    if await _pole_named(session, name) is not None:
        raise PoleNameTaken(name)
    pole = Pole(name=name, invite_code=new_invite_code(), is_default=is_default)
    session.add(pole)
    await session.flush()
    return pole


async def default_pole(session: Session) -> Pole | None:
    return await session.scalar(select(Pole).where(Pole.is_default))


async def ensure_default_pole(session: Session, *, name: str) -> Pole:
    """Return the deployment's default pôle, creating it on a fresh database."""
    existing = await default_pole(session)
    if existing is not None:
        return existing
    try:
        async with session.begin_nested():
            return await create_pole(session, name=name, is_default=True)
    except (IntegrityError, PoleNameTaken):
        # Another instance starting at the same moment created it first.
        pole = await default_pole(session)
        if pole is None:
            raise
        return pole


async def list_poles(session: Session) -> list[Pole]:
    return list(await session.scalars(select(Pole).order_by(Pole.id)))


async def pole_by_id(session: Session, pole_id: int | None) -> Pole | None:
    return None if pole_id is None else await session.get(Pole, pole_id)


async def pole_by_code(session: Session, *, code: str) -> Pole | None:
    normalized = normalize_invite_code(code)
    if not normalized:
        return None
    return await session.scalar(select(Pole).where(Pole.invite_code == normalized))


async def pole_by_name_or_code(session: Session, *, key: str) -> Pole | None:
    by_name = await _pole_named(session, key)
    return by_name or await pole_by_code(session, code=key)


async def person_for(session: Session, *, platform: str, user_id: str) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.platform == platform, Identity.platform_user_id == user_id)
    )


async def create_person(session: Session, *, platform: str, user_id: str, **fields: Any) -> Person:
    person = Person(consent_at=utcnow(), **fields)
    session.add(person)
    await session.flush()
    session.add(Identity(person_id=person.id, platform=platform, platform_user_id=user_id))
    await session.flush()
    return person


async def _identity(session: Session, *, platform: str, user_id: str) -> Identity | None:
    return await session.scalar(
        select(Identity).where(Identity.platform == platform, Identity.platform_user_id == user_id)
    )


async def mark_unreachable(session: Session, *, platform: str, user_id: str, reason: str) -> bool:
    """Record that the platform refuses our messages to this account; False if it is unknown."""
    identity = await _identity(session, platform=platform, user_id=user_id)
    if identity is None:
        return False
    # Keep the first refusal's time: it tells how long the account has been out of reach.
    identity.unreachable_at = identity.unreachable_at or utcnow()
    identity.unreachable_reason = reason[:UNREACHABLE_REASON_MAX]
    session.add(identity)
    await session.flush()
    return True


async def identities_of(session: Session, *, person_id: int) -> list[Identity]:
    return list(
        await session.scalars(
            select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
        )
    )


async def create_link_code(
    session: Session, *, person: Person, ttl: timedelta = LINK_CODE_TTL
) -> LinkCode:
    """A new one-time code for linking another account to ``person``; their older codes go."""
    assert person.id is not None
    now = utcnow()
    # Codes nobody used would otherwise stay forever: sweep the expired ones of everybody too.
    await session.execute(
        delete(LinkCode).where((LinkCode.person_id == person.id) | (LinkCode.expires_at <= now))
    )
    link = LinkCode(code=new_invite_code(), person_id=person.id, expires_at=now + ttl)
    session.add(link)
    await session.flush()
    return link


async def link_account(
    session: Session, *, code: str, platform: str, user_id: str
) -> Person | None:
    """Consume ``code`` and make the account (platform, user_id) an identity of its person.

    An account that belongs to another person brings that person along: they are merged into
    the code's person. None when the code is unknown or expired: nothing changes then, except
    that an expired code is deleted.
    """
    normalized = normalize_invite_code(code)
    if not normalized:
        return None
    # Locked so that two accounts typing the same code at once cannot both use it.
    link = await session.scalar(
        select(LinkCode).where(LinkCode.code == normalized).with_for_update()
    )
    if link is None:
        return None
    if link.expires_at <= utcnow():
        await session.delete(link)
        await session.flush()
        return None
    target = await session.get(Person, link.person_id)
    assert target is not None and target.id is not None  # the foreign key guarantees it
    current = await person_for(session, platform=platform, user_id=user_id)
    if current is not None and current.id == target.id:
        # Typed on an account that is already theirs: the code stays valid for the other one.
        return target
    await session.delete(link)
    if current is None:
        session.add(Identity(person_id=target.id, platform=platform, platform_user_id=user_id))
    else:
        await _merge_people(session, source=current, target=target)
    await session.flush()
    return target


async def _merge_people(session: Session, *, source: Person, target: Person) -> None:
    """Move everything of ``source`` to ``target``, then delete ``source``."""
    assert source.id is not None and target.id is not None
    for identity in await identities_of(session, person_id=source.id):
        identity.person_id = target.id
        session.add(identity)
    theirs = await session.scalars(select(Membership).where(Membership.person_id == source.id))
    for moved in list(theirs):
        kept = await membership(session, person_id=target.id, pole_id=moved.pole_id)
        if kept is None:
            moved.person_id = target.id
            session.add(moved)
            continue
        # Keep the higher of the two roles.
        if not role_at_least(kept.role, moved.role):
            kept.role = moved.role
            session.add(kept)
        await session.delete(moved)
    for name in _MERGED_PROFILE_FIELDS:
        if getattr(target, name) in (None, ""):
            setattr(target, name, getattr(source, name))
    session.add(target)
    # Rows pointing at the source must be gone before the source itself.
    await session.flush()
    # Every other row pointing at the source, in any table (found from the schema). Where the
    # target already has the row a unique key allows once per person (both accounts answered
    # for the same partner, joined the same club), the target's is kept and the source's goes.
    for column in personal_data.person_columns():
        table = column.table
        if table.name in _MERGED_APART:
            continue
        for unique in table.constraints:
            if not isinstance(unique, UniqueConstraint) or column.name not in unique.columns:
                continue
            kept = table.alias()
            same = [kept.c[c.name] == c for c in unique.columns if c.name != column.name]
            await session.execute(
                delete(table).where(
                    column == source.id,
                    exists().where(kept.c[column.name] == target.id, *same),
                )
            )
        await session.execute(
            update(table).where(column == source.id).values({column.name: target.id})
        )
    await session.execute(delete(LinkCode).where(LinkCode.person_id == source.id))
    await session.delete(source)
    await session.flush()


async def membership(session: Session, *, person_id: int, pole_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.person_id == person_id, Membership.pole_id == pole_id)
    )


async def join_pole(session: Session, *, person: Person, pole: Pole) -> Membership:
    """Make ``person`` a member of ``pole`` (keeping any role they hold) and their active pôle."""
    assert person.id is not None and pole.id is not None
    current = await membership(session, person_id=person.id, pole_id=pole.id)
    if current is None:
        current = Membership(person_id=person.id, pole_id=pole.id, role="member")
        session.add(current)
    person.active_pole_id = pole.id
    session.add(person)
    await session.flush()
    return current


async def set_role(session: Session, *, member: Membership, role: str) -> Membership:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    member.role = role
    session.add(member)
    await session.flush()
    return member


async def members_of(session: Session, *, pole_id: int) -> list[tuple[Person, Membership]]:
    rows = await session.execute(
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.pole_id == pole_id)
        .order_by(Person.display_name, Person.id)
    )
    return [(person, member) for person, member in rows]


# Built once: every message runs these, and building a statement costs more than running it.
# Core statements on the tables: the ORM's loading and unit of work cost several times the
# query (bot/storage/session.py).
_ACCOUNT_MODELS = (Identity, Person, Pole, Membership, ConversationState)


def _account_statements() -> tuple[Select[Any], Select[Any]]:
    identity, person, pole, member, state = (model.__table__ for model in _ACCOUNT_MODELS)
    chat = and_(
        state.c.platform == bindparam("platform"),
        state.c.platform_user_id == bindparam("user_id"),
        state.c.chat_scope == bindparam("chat_scope"),
    )
    # Locking the identity row serialises one member's messages across instances, even when
    # the member has no conversation state row to lock.
    everything = (
        sa_select(*identity.c, *person.c, *pole.c, *member.c, *state.c)
        .select_from(
            identity.join(person, person.c.id == identity.c.person_id)
            .outerjoin(pole, pole.c.id == person.c.active_pole_id)
            .outerjoin(
                member,
                and_(
                    member.c.person_id == person.c.id,
                    member.c.pole_id == person.c.active_pole_id,
                ),
            )
            .outerjoin(state, chat)
        )
        .where(
            identity.c.platform == bindparam("platform"),
            identity.c.platform_user_id == bindparam("user_id"),
        )
        .with_for_update(of=identity)
    )
    return everything, sa_select(*state.c).where(chat).with_for_update()


_ACCOUNT, _STATE_OF_ACCOUNT = _account_statements()


@dataclass(frozen=True, slots=True)
class Account:
    """Who wrote: their conversation state and, if they signed up, their identity, pôle and
    role there."""

    state: ConversationState
    identity: Identity | None = None
    person: Person | None = None
    pole: Pole | None = None
    member: Membership | None = None


def _read_account(connection: Connection, params: dict[str, str]) -> Account:
    found = prepared.run(connection, _ACCOUNT, params)
    if not found:
        alone = prepared.run(connection, _STATE_OF_ACCOUNT, params)
        (state,) = split_row(alone[0], (ConversationState,)) if alone else (None,)
        return Account(state or _new_state(params))
    identity, person, pole, member, state = split_row(found[0], _ACCOUNT_MODELS)
    return Account(state or _new_state(params), identity, person, pole, member)


def _new_state(params: dict[str, str]) -> ConversationState:
    return ConversationState(
        platform=params["platform"],
        platform_user_id=params["user_id"],
        chat_scope=params["chat_scope"],
    )


async def account(
    session: Session, *, platform: str, user_id: str, chat_scope: str = PRIVATE_CHAT
) -> Account:
    """Everything the router needs about the sender, with their state in the chat
    ``chat_scope``, locked until commit: one statement for a member, two for someone who has
    not signed up, in one trip to the database. The rows are the transaction's (``track``):
    what the handler changes in them is written at commit."""
    params = {"platform": platform, "user_id": user_id, "chat_scope": chat_scope}
    found = await session.run_on_connection(_read_account, params)
    # A new state is written only if the router saves it.
    state, identity, person, pole, member = (
        row if row is None or row.id is None else session.track(row)[0]
        for row in (found.state, found.identity, found.person, found.pole, found.member)
    )
    assert state is not None
    return Account(state, identity, person, pole, member)


def save_state(session: Session, *, state: ConversationState, answers_changed: bool) -> None:
    """Write the state at commit (inserted if new), its answers with it if ``answers_changed``:
    flows change that dict in place, which SQLAlchemy cannot see by itself."""
    state.updated_at = utcnow()
    if answers_changed:
        flag_modified(state, "data")
    session.track(state)


async def delete_states(session: Session, *, identities: list[tuple[str, str]]) -> None:
    for platform, user_id in identities:
        await session.execute(
            delete(ConversationState).where(
                ConversationState.platform == platform,
                ConversationState.platform_user_id == user_id,
            )
        )


async def export_person(session: Session, *, person: Person) -> dict[str, Any]:
    """Everything stored about ``person`` or written by them, as plain JSON-ready data."""
    return await personal_data.export(session, person=person)


async def erase_person(session: Session, *, person: Person) -> None:
    """Delete every row about the person in every table (their accounts, conversations,
    memberships, files, diagnostics, plan, subscriptions, the messages sent to them and the
    campaigns about them); broadcasts they wrote stay, without their name."""
    await personal_data.erase(session, person=person)


async def purge_expired_link_codes(session: Session, *, now: datetime) -> int:
    """Delete every link code expired at ``now``; how many there were."""
    deleted = await session.execute(delete(LinkCode).where(LinkCode.expires_at <= now))
    return deleted.rowcount


async def add_upload(
    session: Session, *, person_id: int, filename: str, mime_type: str, data: bytes
) -> Upload:
    """Keep a file someone sent until the flow that asked for it uses it; the flow holds its
    id under ``DRAFT_UPLOAD`` so that the nightly purge leaves it alone meanwhile."""
    upload = Upload(
        person_id=person_id, filename=filename[:200], mime_type=mime_type[:100], data=data
    )
    session.add(upload)
    await session.flush()
    return upload


async def delete_upload(session: Session, *, upload_id: int) -> None:
    await session.execute(delete(Upload).where(Upload.id == upload_id))


async def purge_old_uploads(session: Session, *, before: datetime, drafts_since: datetime) -> int:
    """Delete the files sent before ``before`` that no draft touched since ``drafts_since``
    holds (a broadcast being written keeps its file); how many there were."""
    drafts = await session.scalars(
        select(ConversationState.data).where(
            ConversationState.flow.is_not(None), ConversationState.updated_at >= drafts_since
        )
    )
    held = {data[DRAFT_UPLOAD] for data in drafts if data.get(DRAFT_UPLOAD) is not None}
    deleted = await session.execute(
        delete(Upload).where(Upload.created_at < before, Upload.id.not_in(held))
    )
    return deleted.rowcount


# --- audiences and plans ----------------------------------------------------------------------


async def member_accounts(
    session: Session,
    *,
    pole_id: int,
    platforms: Collection[str],
    among: Collection[int] | None = None,
) -> list[list[Identity]]:
    """Every member's accounts on ``platforms`` (of the people ``among`` if given), one list per
    person, oldest first."""
    query = (
        select(Identity)
        .join(Membership, Membership.person_id == Identity.person_id)
        .where(Membership.pole_id == pole_id, Identity.platform.in_(platforms))
        .order_by(Identity.person_id, Identity.id)
    )
    if among is not None:
        query = query.where(Identity.person_id.in_(among))
    people: dict[int, list[Identity]] = {}
    for identity in await session.scalars(query):
        people.setdefault(identity.person_id, []).append(identity)
    return list(people.values())


async def person_subscriptions(session: Session, *, pole_id: int) -> list[tuple[int, list[str]]]:
    """The members (not groups nor channels) subscribed to the pôle's digest, with their themes
    (empty: every theme)."""
    rows = await session.execute(
        select(DigestSubscription.person_id, DigestSubscription.themes).where(
            DigestSubscription.pole_id == pole_id, DigestSubscription.person_id.is_not(None)
        )
    )
    return [(person_id, themes) for person_id, themes in rows if person_id is not None]


async def accounts_on(
    session: Session, *, person_id: int, platforms: Collection[str]
) -> list[Identity]:
    """A person's accounts on ``platforms``, oldest first."""
    return list(
        await session.scalars(
            select(Identity)
            .where(Identity.person_id == person_id, Identity.platform.in_(platforms))
            .order_by(Identity.id)
        )
    )


async def latest_diagnostic(session: Session, *, person_id: int) -> Diagnostic | None:
    return await session.scalar(
        select(Diagnostic)
        .where(Diagnostic.person_id == person_id)
        .order_by(Diagnostic.completed_at.desc(), Diagnostic.id.desc())
        .limit(1)
    )


async def planned_actions(session: Session, *, person_id: int) -> list[PlannedAction]:
    """A person's plan, soonest target first."""
    return list(
        await session.scalars(
            select(PlannedAction)
            .where(PlannedAction.person_id == person_id)
            .order_by(PlannedAction.due_on, PlannedAction.id)
        )
    )


async def actions_to_follow(
    session: Session,
) -> list[tuple[PlannedAction, Diagnostic, Person]]:
    """Every planned action not done yet, with its diagnostic and its person."""
    rows = await session.execute(
        select(PlannedAction, Diagnostic, Person)
        .join(Diagnostic, Diagnostic.id == PlannedAction.diagnostic_id)
        .join(Person, Person.id == PlannedAction.person_id)
        .where(PlannedAction.status != "done")
        .order_by(PlannedAction.id)
    )
    return [(action, diagnostic, person) for action, diagnostic, person in rows]


async def campaign_for(session: Session, *, audience: str) -> bool:
    """Whether a campaign was already queued for exactly ``audience``."""
    found = await session.scalar(select(Campaign.id).where(Campaign.audience == audience).limit(1))
    return found is not None


# --- diagnostic -------------------------------------------------------------------------------
# Every query of the self-diagnostic's reports (handlers/diagnostic/): a member reads only their
# own diagnostics, a pôle's figures only that pôle's.


async def diagnostics_of(session: Session, *, person_id: int) -> list[Diagnostic]:
    """A person's diagnostics, oldest first: their history, never anyone else's."""
    return list(
        await session.scalars(
            select(Diagnostic)
            .where(Diagnostic.person_id == person_id)
            .order_by(Diagnostic.completed_at, Diagnostic.id)
        )
    )


async def latest_pole_diagnostics(session: Session, *, pole_id: int) -> list[Diagnostic]:
    """The latest diagnostic of each person in the pôle, for its anonymous figures: an older
    one would count a company twice, with answers it has since improved."""
    rows = await session.scalars(
        select(Diagnostic)
        .where(Diagnostic.pole_id == pole_id)
        .order_by(Diagnostic.completed_at, Diagnostic.id)
    )
    # Oldest first, so each person's latest overwrites the ones before it.
    latest = {diagnostic.person_id: diagnostic for diagnostic in rows}
    return list(latest.values())


# --- veille -----------------------------------------------------------------------------------
# Every query of the watch digest (handlers/veille/), each filtered by pôle where it reads a
# pôle's data: one place to check that no pôle sees another's feeds, items or subscribers.

ANIMATOR_ROLES = ROLES[ROLES.index("animator") :]


async def pole_feeds(session: Session, *, pole_id: int) -> list[Feed]:
    """The pôle's feeds, in the order they were added (the numbers of /veille sources)."""
    return list(
        await session.scalars(select(Feed).where(Feed.pole_id == pole_id).order_by(Feed.id))
    )


async def every_feed(session: Session) -> list[Feed]:
    """Every pôle's feeds, for a run that fetches them all."""
    return list(await session.scalars(select(Feed).order_by(Feed.id)))


async def feed_urls(session: Session, *, pole_id: int) -> set[str]:
    return set(await session.scalars(select(Feed.url).where(Feed.pole_id == pole_id)))


async def delete_feed(session: Session, *, pole_id: int, feed_id: int) -> None:
    await session.execute(delete(Feed).where(Feed.pole_id == pole_id, Feed.id == feed_id))


async def seen_items(
    session: Session, *, pole_id: int, urls: set[str], keys: set[str]
) -> tuple[set[str], set[str]]:
    """The canonical addresses and title keys among these that the pôle already stored."""
    rows = await session.execute(
        select(FeedItem.canonical_url, FeedItem.title_key).where(
            FeedItem.pole_id == pole_id,
            or_(FeedItem.canonical_url.in_(urls), FeedItem.title_key.in_(keys)),
        )
    )
    seen_urls, seen_keys = set(), set()
    for url, key in rows:
        seen_urls.add(url)
        seen_keys.add(key)
    return seen_urls, seen_keys


async def pole_items(session: Session, *, pole_id: int, ids: list[int]) -> list[FeedItem]:
    return list(
        await session.scalars(
            select(FeedItem).where(FeedItem.pole_id == pole_id, FeedItem.id.in_(ids))
        )
    )


async def recent_items(session: Session, *, pole_id: int, limit: int) -> list[FeedItem]:
    """The pôle's ``limit`` items seen last, newest first."""
    return list(
        await session.scalars(
            select(FeedItem)
            .where(FeedItem.pole_id == pole_id)
            .order_by(FeedItem.first_seen_at.desc())
            .limit(limit)
        )
    )


async def items_seen_since(session: Session, *, pole_id: int, since: datetime) -> list[FeedItem]:
    return list(
        await session.scalars(
            select(FeedItem).where(FeedItem.pole_id == pole_id, FeedItem.first_seen_at > since)
        )
    )


async def editions_of(session: Session, *, pole_id: int, kind: str) -> list[Edition]:
    return list(
        await session.scalars(
            select(Edition).where(Edition.pole_id == pole_id, Edition.kind == kind)
        )
    )


async def latest_edition(session: Session, *, pole_id: int) -> Edition | None:
    return await session.scalar(
        select(Edition)
        .where(Edition.pole_id == pole_id)
        .order_by(Edition.created_at.desc(), Edition.id.desc())
        .limit(1)
    )


async def edition_schedules(
    session: Session, *, pole_id: int | None = None
) -> list[EditionSchedule]:
    """The calendars a pôle (or, with None, every pôle) set apart from the default."""
    query = select(EditionSchedule)
    if pole_id is not None:
        query = query.where(EditionSchedule.pole_id == pole_id)
    return list(await session.scalars(query))


async def digest_subscription(
    session: Session, *, pole_id: int, platform: str, chat_id: str
) -> DigestSubscription | None:
    return await session.scalar(
        select(DigestSubscription).where(
            DigestSubscription.pole_id == pole_id,
            DigestSubscription.platform == platform,
            DigestSubscription.chat_id == chat_id,
        )
    )


async def digest_subscribers(
    session: Session, *, pole_id: int
) -> list[tuple[DigestSubscription, str | None]]:
    """The pôle's subscriptions, each with its member's language (None: a group or a channel,
    or a member who never chose one)."""
    rows = await session.execute(
        select(DigestSubscription, Person.locale)
        .outerjoin(Person, Person.id == DigestSubscription.person_id)
        .where(DigestSubscription.pole_id == pole_id)
        .order_by(DigestSubscription.id)
    )
    return [(subscription, locale) for subscription, locale in rows]


async def pole_animators(session: Session, *, pole_id: int) -> list[Person]:
    """The pôle's animators and admins, who hear of its watch's troubles."""
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.pole_id == pole_id, Membership.role.in_(ANIMATOR_ROLES))
            .order_by(Person.id)
        )
    )


async def campaign_since(session: Session, *, pole_id: int, kind: str, since: datetime) -> bool:
    """Whether the pôle queued a campaign of ``kind`` after ``since``."""
    found = await session.scalar(
        select(Campaign.id)
        .where(Campaign.pole_id == pole_id, Campaign.kind == kind, Campaign.created_at > since)
        .limit(1)
    )
    return found is not None


# --- clubs -------------------------------------------------------------------------------------


class ClubNameTaken(Exception):
    """The pôle already has a club of this name."""


async def create_club(session: Session, *, pole_id: int, name: str, charter: str) -> Club:
    """A new club of the pôle, its code, and version 1 of its charter."""
    name = " ".join(name.split())
    existing = await session.scalars(select(Club.name).where(Club.pole_id == pole_id))
    if any(fold(other) == fold(name) for other in existing):
        raise ClubNameTaken(name)
    club = Club(pole_id=pole_id, name=name, code=new_invite_code())
    session.add(club)
    await session.flush()
    assert club.id is not None
    session.add(ClubCharter(club_id=club.id, version=1, text=charter))
    await session.flush()
    return club


async def pole_clubs(session: Session, *, pole_id: int) -> list[tuple[Club, int]]:
    """The pôle's clubs, each with its number of members (who accepted a charter)."""
    members = (
        select(func.count(ClubMember.id))
        .where(ClubMember.club_id == Club.id, ClubMember.status == "member")
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Club, members).where(Club.pole_id == pole_id).order_by(Club.name)
    )
    return [(club, count) for club, count in rows]


async def pole_club(session: Session, *, pole_id: int, club_id: int) -> Club | None:
    """The pôle's club ``club_id``; None for another pôle's."""
    return await session.scalar(select(Club).where(Club.id == club_id, Club.pole_id == pole_id))


async def club_by_code(session: Session, *, pole_id: int, code: str) -> Club | None:
    """The pôle's club with this code: a code of another pôle's club is unknown here."""
    normalized = normalize_invite_code(code)
    if not normalized:
        return None
    return await session.scalar(
        select(Club).where(Club.pole_id == pole_id, Club.code == normalized)
    )


async def clubs_of(
    session: Session, *, person_id: int, pole_id: int
) -> list[tuple[Club, ClubMember]]:
    """The clubs of the pôle where the person has a place (invited, member or removed)."""
    rows = await session.execute(
        select(Club, ClubMember)
        .join(ClubMember, ClubMember.club_id == Club.id)
        .where(ClubMember.person_id == person_id, Club.pole_id == pole_id)
        .order_by(Club.name)
    )
    return [(club, member) for club, member in rows]


async def club_member(session: Session, *, club_id: int, person_id: int) -> ClubMember | None:
    return await session.scalar(
        select(ClubMember).where(ClubMember.club_id == club_id, ClubMember.person_id == person_id)
    )


async def latest_charter(session: Session, *, club_id: int) -> ClubCharter:
    charter = await session.scalar(
        select(ClubCharter)
        .where(ClubCharter.club_id == club_id)
        .order_by(ClubCharter.version.desc())
        .limit(1)
    )
    assert charter is not None  # every club is created with its first version
    return charter


async def accept_charter(
    session: Session, *, club_id: int, person_id: int, version: int
) -> ClubMember:
    """Record that the person accepted this version of the club's charter: they are a member."""
    member = await club_member(session, club_id=club_id, person_id=person_id)
    if member is None:
        member = ClubMember(club_id=club_id, person_id=person_id)
    member.status, member.charter_version, member.accepted_at = "member", version, utcnow()
    session.add(member)
    await session.flush()
    return member


async def club_member_ids(session: Session, *, pole_id: int, club_id: int) -> set[int]:
    """The people of the pôle's club ``club_id`` who accepted its current charter."""
    if await pole_club(session, pole_id=pole_id, club_id=club_id) is None:
        return set()
    charter = await latest_charter(session, club_id=club_id)
    return set(
        await session.scalars(
            select(ClubMember.person_id).where(
                ClubMember.club_id == club_id,
                ClubMember.status == "member",
                ClubMember.charter_version == charter.version,
            )
        )
    )


async def leave_club(session: Session, *, member: ClubMember) -> None:
    await session.delete(member)
    await session.flush()


# Events (club meetings today): who is invited, who answered what.


async def event_audience(session: Session, *, event: Event) -> set[int]:
    """The people an event is for: its club's members under the current charter, its guests
    for an event of named people only (a workshop for those who asked), or, for an event of
    the whole pôle, the pôle's members (of the pôle still, for guests)."""
    if event.club_id is not None:
        return await club_member_ids(session, pole_id=event.pole_id, club_id=event.club_id)
    if event.guests_only:
        return set(
            await session.scalars(
                select(EventGuest.person_id)
                .join(
                    Membership,
                    and_(
                        Membership.person_id == EventGuest.person_id,
                        Membership.pole_id == event.pole_id,
                    ),
                )
                .where(EventGuest.event_id == event.id)
            )
        )
    return set(
        await session.scalars(
            select(Membership.person_id).where(Membership.pole_id == event.pole_id)
        )
    )


async def next_event(session: Session, *, club_id: int, after: datetime) -> Event | None:
    """The club's next event with a date, not cancelled, starting after ``after``."""
    return await session.scalar(
        select(Event)
        .where(Event.club_id == club_id, Event.starts_at > after, Event.status == "scheduled")
        .order_by(Event.starts_at)
        .limit(1)
    )


async def event_for(
    session: Session, *, event_id: int, person_id: int, pole_id: int
) -> Event | None:
    """The event, if it is of the pôle and the person is of its audience; None otherwise,
    whether it exists or not."""
    event = await session.get(Event, event_id)
    if event is None or event.pole_id != pole_id:
        return None
    if person_id not in await event_audience(session, event=event):
        return None
    return event


async def answer_event(
    session: Session, *, event: Event, person_id: int, answer: str
) -> tuple[EventAnswer, EventAnswer | None]:
    """Record a person's answer; beyond the capacity a « yes » waits in line. Returns the
    answer and, when a place was freed, the first in line now let in."""
    assert event.id is not None
    mine = await session.scalar(
        select(EventAnswer)
        .where(EventAnswer.event_id == event.id, EventAnswer.person_id == person_id)
        .with_for_update()
    )
    was_coming = mine is not None and mine.answer == "yes" and not mine.waiting
    if mine is None:
        mine = EventAnswer(event_id=event.id, person_id=person_id)
    elif mine.answer == answer:
        return mine, None
    mine.answer, mine.updated_at = answer, utcnow()
    if answer == "yes" and not was_coming:
        coming = await session.scalar(
            select(func.count(EventAnswer.id)).where(
                EventAnswer.event_id == event.id,
                EventAnswer.answer == "yes",
                EventAnswer.waiting.is_(False),
                EventAnswer.person_id != person_id,
            )
        )
        mine.waiting = event.capacity is not None and (coming or 0) >= event.capacity
    elif answer != "yes":
        mine.waiting = False
    session.add(mine)
    await session.flush()
    promoted = None
    if was_coming and answer != "yes" and event.capacity is not None:
        promoted = await session.scalar(
            select(EventAnswer)
            .where(EventAnswer.event_id == event.id, EventAnswer.waiting.is_(True))
            .order_by(EventAnswer.updated_at, EventAnswer.id)
            .limit(1)
        )
        if promoted is not None:
            promoted.waiting = False
            session.add(promoted)
            await session.flush()
    return mine, promoted


# Events: invitations, changes and cancellations (handlers/events/invitations.py).


async def pole_event(session: Session, *, pole_id: int, event_id: int) -> Event | None:
    """The pôle's event ``event_id``, as its animators see it; None for another pôle's."""
    return await session.scalar(select(Event).where(Event.id == event_id, Event.pole_id == pole_id))


async def upcoming_pole_events(session: Session, *, pole_id: int, after: datetime) -> list[Event]:
    """The pôle's events with a date after ``after``, not cancelled, soonest first."""
    return list(
        await session.scalars(
            select(Event)
            .where(Event.pole_id == pole_id, Event.status == "scheduled", Event.starts_at > after)
            .order_by(Event.starts_at, Event.id)
        )
    )


async def event_answers(session: Session, *, event_id: int) -> dict[int, EventAnswer]:
    """Each answer to the event, by person."""
    answers = await session.scalars(select(EventAnswer).where(EventAnswer.event_id == event_id))
    return {answer.person_id: answer for answer in answers}


async def reset_event_answers(session: Session, *, event_id: int) -> None:
    """Forget every answer and the waiting list: at a new date, everyone answers again."""
    await session.execute(
        update(EventAnswer)
        .where(EventAnswer.event_id == event_id)
        .values(answer=None, waiting=False, updated_at=utcnow())
    )


# Clubs: administration and hosting.


async def club_by_name(session: Session, *, pole_id: int, name: str) -> Club | None:
    """The pôle's club of this name, however it is spelt (« club bourse »); None for a name of
    another pôle's club."""
    wanted = fold(" ".join(name.split()))
    clubs = await session.scalars(select(Club).where(Club.pole_id == pole_id))
    return next((club for club in clubs if fold(club.name) == wanted), None)


async def club_roster(session: Session, *, club_id: int) -> list[tuple[Person, ClubMember]]:
    """Everyone with a place in the club (invited, member or removed), by name."""
    rows = await session.execute(
        select(Person, ClubMember)
        .join(ClubMember, ClubMember.person_id == Person.id)
        .where(ClubMember.club_id == club_id)
        .order_by(Person.display_name, Person.id)
    )
    return [(person, member) for person, member in rows]


async def club_invitable(session: Session, *, pole_id: int, club_id: int) -> list[Person]:
    """The pôle's members an animator can invite to the club: those with no place in it, and
    those removed from it (only an animator can take them back), by name."""
    placed = select(ClubMember.person_id).where(
        ClubMember.club_id == club_id, ClubMember.status != "removed"
    )
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.pole_id == pole_id, Person.id.not_in(placed))
            .order_by(Person.display_name, Person.id)
        )
    )


async def invite_to_club(session: Session, *, club_id: int, person_id: int) -> ClubMember:
    """Give the person a place in the club, to take once they accept its charter."""
    member = await club_member(session, club_id=club_id, person_id=person_id)
    if member is None:
        member = ClubMember(club_id=club_id, person_id=person_id)
    member.status, member.removal_reason = "invited", None
    session.add(member)
    await session.flush()
    return member


async def remove_from_club(session: Session, *, member: ClubMember, reason: str) -> None:
    """The animators removed this member, for ``reason`` (kept for them)."""
    member.status, member.removal_reason = "removed", reason
    session.add(member)
    await session.flush()


async def set_hosting(session: Session, *, member: ClubMember, hosting: bool) -> None:
    member.hosting = hosting
    session.add(member)
    await session.flush()


async def publish_charter(session: Session, *, club_id: int, text: str) -> ClubCharter:
    """The next version of the club's charter: its members are asked to accept it."""
    latest = await latest_charter(session, club_id=club_id)
    charter = ClubCharter(club_id=club_id, version=latest.version + 1, text=text)
    session.add(charter)
    await session.flush()
    return charter


async def hosting_candidates(
    session: Session, *, pole_id: int, club_id: int
) -> list[tuple[str | None, datetime, bool | None]]:
    """The club's members under its current charter: their company, the day they got a place
    in the club, and whether they would host (None: not said)."""
    people = await club_member_ids(session, pole_id=pole_id, club_id=club_id)
    rows = await session.execute(
        select(Person.company, ClubMember.created_at, ClubMember.hosting)
        .join(ClubMember, ClubMember.person_id == Person.id)
        .where(ClubMember.club_id == club_id, ClubMember.person_id.in_(people))
    )
    return [(company, since, hosting) for company, since, hosting in rows]


async def club_hostings(session: Session, *, club_id: int) -> list[tuple[datetime, str, bool]]:
    """The club's events with a date: when, the company that hosts it, whether it was called
    off."""
    rows = await session.execute(
        select(Event.starts_at, Event.host_company, Event.status).where(
            Event.club_id == club_id, Event.starts_at.is_not(None)
        )
    )
    return [(starts_at, host, status == "cancelled") for starts_at, host, status in rows]


# Events: participants and attendance.


async def event_invitees(
    session: Session, *, event: Event
) -> list[tuple[Person, EventAnswer | None]]:
    """The people an event is for, each with their answer (None before they answer), by name:
    its audience today and whoever answered, or, once attendance is recorded, those it was
    recorded for (newcomers of the club were not invited to a past meeting)."""
    assert event.id is not None
    answers = await event_answers(session, event_id=event.id)
    wanted = set(answers)
    if event.attendance_at is None:
        wanted |= await event_audience(session, event=event)
    if not wanted:
        return []
    people = await session.scalars(
        select(Person).where(Person.id.in_(wanted)).order_by(Person.display_name, Person.id)
    )
    return [(person, answers.get(person.id or 0)) for person in people]


async def record_attendance(
    session: Session, *, event: Event, invited: Collection[int], present: Collection[int]
) -> None:
    """Record who of ``invited`` came to the event and when it was recorded; an answer row is
    made for whoever had not answered, so that the invited of a past event stay known."""
    assert event.id is not None
    answers = await event_answers(session, event_id=event.id)
    for person_id in invited:
        answer = answers.get(person_id) or EventAnswer(event_id=event.id, person_id=person_id)
        answer.attended = person_id in present
        session.add(answer)
    event.attendance_at = utcnow()
    session.add(event)
    await session.flush()


async def pole_events_between(
    session: Session,
    *,
    pole_id: int,
    start: datetime,
    end: datetime,
    club_id: int | None = None,
) -> list[Event]:
    """The pôle's events (of one club, if given) starting from ``start`` to before ``end``,
    cancelled ones included, by date; events whose date is still polled have none."""
    query = select(Event).where(
        Event.pole_id == pole_id, Event.starts_at >= start, Event.starts_at < end
    )
    if club_id is not None:
        query = query.where(Event.club_id == club_id)
    return list(await session.scalars(query.order_by(Event.starts_at, Event.id)))


# Events: date polls.
# The slots offered for an event's date and each person's availability for them
# (handlers/events/polling.py); the rules themselves are in handlers/events/poll.py.


async def add_poll_slots(
    session: Session, *, event_id: int, starts: Collection[datetime]
) -> list[PollSlot]:
    slots = [PollSlot(event_id=event_id, starts_at=start) for start in sorted(starts)]
    session.add_all(slots)
    await session.flush()
    return slots


async def poll_slots(session: Session, *, event_id: int) -> list[PollSlot]:
    """The event's slots, earliest first: their numbers in the chat are their places here."""
    return list(
        await session.scalars(
            select(PollSlot)
            .where(PollSlot.event_id == event_id)
            .order_by(PollSlot.starts_at, PollSlot.id)
        )
    )


async def poll_votes(session: Session, *, event_id: int) -> list[PollVote]:
    return list(
        await session.scalars(
            select(PollVote)
            .join(PollSlot, PollSlot.id == PollVote.slot_id)
            .where(PollSlot.event_id == event_id)
            .order_by(PollVote.id)
        )
    )


async def set_poll_vote(session: Session, *, slot_id: int, person_id: int, choice: str) -> PollVote:
    """The person's availability for the slot, replacing the one they gave before."""
    vote = await session.scalar(
        select(PollVote).where(PollVote.slot_id == slot_id, PollVote.person_id == person_id)
    )
    if vote is None:
        vote = PollVote(slot_id=slot_id, person_id=person_id, choice=choice)
    vote.choice, vote.updated_at = choice, utcnow()
    session.add(vote)
    await session.flush()
    return vote


async def polling_events(
    session: Session, *, pole_id: int | None = None, club_id: int | None = None
) -> list[Event]:
    """The events whose date is still polled, of one pôle or club, or (None) of every pôle."""
    query = select(Event).where(Event.status == "polling").order_by(Event.id)
    if pole_id is not None:
        query = query.where(Event.pole_id == pole_id)
    if club_id is not None:
        query = query.where(Event.club_id == club_id)
    return list(await session.scalars(query))


async def locked_event(session: Session, *, event_id: int) -> Event | None:
    """The event, locked until commit: two animators fixing its date at once do it in turn."""
    return await session.scalar(select(Event).where(Event.id == event_id).with_for_update())


async def people_by_id(session: Session, *, ids: Collection[int]) -> list[Person]:
    """These people, by name."""
    return list(
        await session.scalars(
            select(Person).where(Person.id.in_(ids)).order_by(Person.display_name, Person.id)
        )
    )


# Events: personal calendar feeds (handlers/events/feed.py, /club agenda).

# Bytes of randomness in a feed's token: 43 characters in the address, beyond any guessing.
FEED_TOKEN_BYTES = 32


async def calendar_feed(session: Session, *, person_id: int) -> CalendarFeed | None:
    return await session.scalar(select(CalendarFeed).where(CalendarFeed.person_id == person_id))


async def renew_calendar_feed(session: Session, *, person_id: int) -> CalendarFeed:
    """A new random token for the person's feed: the address of the old one answers no more."""
    feed = await calendar_feed(session, person_id=person_id)
    if feed is None:
        feed = CalendarFeed(person_id=person_id, token="")
    feed.token, feed.created_at = secrets.token_urlsafe(FEED_TOKEN_BYTES), utcnow()
    session.add(feed)
    await session.flush()
    return feed


async def feed_owner(session: Session, *, token: str) -> Person | None:
    """Whose feed ``token`` opens; None for a token renewed since, or never given."""
    return await session.scalar(
        select(Person)
        .join(CalendarFeed, CalendarFeed.person_id == Person.id)
        .where(CalendarFeed.token == token)
    )


async def person_events(
    session: Session, *, person_id: int, since: datetime
) -> list[tuple[Event, EventAnswer | None]]:
    """The dated events (scheduled or cancelled) starting from ``since`` of the pôles the person
    belongs to and whose audience they are in, by date, each with their answer."""
    poles = select(Membership.pole_id).where(Membership.person_id == person_id)
    rows = await session.execute(
        select(Event, EventAnswer)
        .outerjoin(
            EventAnswer,
            and_(EventAnswer.event_id == Event.id, EventAnswer.person_id == person_id),
        )
        .where(
            Event.pole_id.in_(poles),
            Event.status.in_(("scheduled", "cancelled")),
            Event.starts_at >= since,
        )
        .order_by(Event.starts_at, Event.id)
    )
    found = []
    for event, answer in rows:
        # The audience's own rule (a club's members under its current charter, or the pôle's).
        if person_id in await event_audience(session, event=event):
            found.append((event, answer))
    return found


# Events: reminders.
# The per-minute reminder job (handlers/events/reminders.py), the quarterly rhythm reminder
# (handlers/club/rhythm.py) and /club rappels (handlers/club/settings.py).


async def events_to_remind(
    session: Session, *, now: datetime, within: timedelta
) -> list[tuple[Event, Club | None, Pole]]:
    """The scheduled events starting after ``now`` and no later than ``within`` from it, with
    their club (None for an event of the whole pôle) and pôle: those a reminder may be due for.
    Read every minute, through the index on the start."""
    rows = await session.execute(
        select(Event, Club, Pole)
        .join(Pole, Pole.id == Event.pole_id)
        .outerjoin(Club, Club.id == Event.club_id)
        .where(
            Event.status == "scheduled",
            Event.starts_at > now,
            Event.starts_at <= now + within,
        )
        .order_by(Event.starts_at, Event.id)
    )
    return [(event, club, pole) for event, club, pole in rows]


async def stored_dedupe_keys(session: Session, *, keys: Collection[str]) -> set[str]:
    """Which of these once-only campaign keys are stored (looked up through their unique
    index)."""
    if not keys:
        return set()
    found = await session.scalars(select(Campaign.dedupe_key).where(Campaign.dedupe_key.in_(keys)))
    return {key for key in found if key is not None}


async def set_reminder_days(session: Session, *, club: Club, days: list[int]) -> None:
    club.reminder_days = days
    session.add(club)
    await session.flush()


async def club_meetings_planned(
    session: Session, *, club_id: int, start: datetime, end: datetime
) -> int:
    """How many of the club's meetings are held or planned from ``start`` to before ``end``:
    dated then and not cancelled, or with their date still polled."""
    count = await session.scalar(
        select(func.count(Event.id)).where(
            Event.club_id == club_id,
            or_(
                Event.status == "polling",
                and_(Event.status == "scheduled", Event.starts_at >= start, Event.starts_at < end),
            ),
        )
    )
    return count or 0


# --- partner survey ---------------------------------------------------------------------------
# Every query of the partner survey (handlers/survey/): a project is read through its pôle, a
# partner through its project, and a respondent answers only for the partners they were given.


class SurveyNameTaken(Exception):
    """The pôle already has a project, or the project a partner, of this name."""


async def create_survey_project(
    session: Session, *, pole_id: int, name: str, survey: str, anonymous: bool = True
) -> SurveyProject:
    """A new project of the pôle answering the indicator set ``survey``."""
    name = " ".join(name.split())
    if await survey_project_by_name(session, pole_id=pole_id, name=name) is not None:
        raise SurveyNameTaken(name)
    project = SurveyProject(pole_id=pole_id, name=name, survey=survey, anonymous=anonymous)
    session.add(project)
    await session.flush()
    return project


async def pole_survey_projects(session: Session, *, pole_id: int) -> list[SurveyProject]:
    """The pôle's projects, by name; not its members' own client surveys, which are theirs."""
    return list(
        await session.scalars(
            select(SurveyProject)
            .where(SurveyProject.pole_id == pole_id, SurveyProject.owner_id.is_(None))
            .order_by(SurveyProject.name, SurveyProject.id)
        )
    )


async def survey_project(
    session: Session, *, pole_id: int, project_id: int
) -> SurveyProject | None:
    """The pôle's project ``project_id``; None for another pôle's or a member's own."""
    return await session.scalar(
        select(SurveyProject).where(
            SurveyProject.id == project_id,
            SurveyProject.pole_id == pole_id,
            SurveyProject.owner_id.is_(None),
        )
    )


async def survey_project_by_name(
    session: Session, *, pole_id: int, name: str
) -> SurveyProject | None:
    """The pôle's project of this name, however it is spelt, its members' own included (the
    name is unique in the pôle); None for another pôle's."""
    wanted = fold(" ".join(name.split()))
    projects = await session.scalars(select(SurveyProject).where(SurveyProject.pole_id == pole_id))
    return next((p for p in projects if fold(p.name) == wanted), None)


async def every_survey_project(session: Session) -> list[SurveyProject]:
    """Every pôle's projects, for the waves' job (each then read with its own pôle)."""
    return list(await session.scalars(select(SurveyProject).order_by(SurveyProject.id)))


async def add_survey_partner(session: Session, *, project_id: int, name: str) -> SurveyPartner:
    """A new partner organisation of the project, with its respondents' invitation code."""
    name = " ".join(name.split())
    existing = await session.scalars(
        select(SurveyPartner.name).where(SurveyPartner.project_id == project_id)
    )
    if any(fold(other) == fold(name) for other in existing):
        raise SurveyNameTaken(name)
    partner = SurveyPartner(project_id=project_id, name=name, code=new_invite_code())
    session.add(partner)
    await session.flush()
    return partner


async def survey_partners(session: Session, *, project_id: int) -> list[SurveyPartner]:
    """The project's partners, by name."""
    return list(
        await session.scalars(
            select(SurveyPartner)
            .where(SurveyPartner.project_id == project_id)
            .order_by(SurveyPartner.name, SurveyPartner.id)
        )
    )


async def survey_partner_by_code(
    session: Session, *, code: str
) -> tuple[SurveyPartner, SurveyProject] | None:
    """The partner whose respondents type this code, and its project."""
    normalized = normalize_invite_code(code)
    if not normalized:
        return None
    row = (
        await session.execute(
            select(SurveyPartner, SurveyProject)
            .join(SurveyProject, SurveyProject.id == SurveyPartner.project_id)
            .where(SurveyPartner.code == normalized)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def add_respondent(session: Session, *, partner_id: int, person_id: int) -> SurveyRespondent:
    """Make the person a respondent of the partner (again a no-op)."""
    respondent = await session.scalar(
        select(SurveyRespondent).where(
            SurveyRespondent.partner_id == partner_id, SurveyRespondent.person_id == person_id
        )
    )
    if respondent is None:
        respondent = SurveyRespondent(partner_id=partner_id, person_id=person_id)
        session.add(respondent)
        await session.flush()
    return respondent


async def remove_respondent(session: Session, *, partner_id: int, person_id: int) -> bool:
    """The person no longer answers for the partner; False if they did not."""
    removed = await session.execute(
        delete(SurveyRespondent).where(
            SurveyRespondent.partner_id == partner_id, SurveyRespondent.person_id == person_id
        )
    )
    return bool(removed.rowcount)


async def project_respondents(
    session: Session, *, project_id: int
) -> list[tuple[SurveyPartner, Person]]:
    """Every respondent of the project's partners, by partner then name."""
    rows = await session.execute(
        select(SurveyPartner, Person)
        .join(SurveyRespondent, SurveyRespondent.partner_id == SurveyPartner.id)
        .join(Person, Person.id == SurveyRespondent.person_id)
        .where(SurveyPartner.project_id == project_id)
        .order_by(SurveyPartner.name, SurveyPartner.id, Person.display_name, Person.id)
    )
    return [(partner, person) for partner, person in rows]


async def respondent_partners(
    session: Session, *, person_id: int
) -> list[tuple[SurveyPartner, SurveyProject]]:
    """The partners the person answers for, with their projects, by project then partner."""
    rows = await session.execute(
        select(SurveyPartner, SurveyProject)
        .join(SurveyRespondent, SurveyRespondent.partner_id == SurveyPartner.id)
        .join(SurveyProject, SurveyProject.id == SurveyPartner.project_id)
        .where(SurveyRespondent.person_id == person_id)
        .order_by(SurveyProject.name, SurveyProject.id, SurveyPartner.name)
    )
    return [(partner, project) for partner, project in rows]


async def respondent_of(
    session: Session, *, person_id: int, partner_id: int
) -> tuple[SurveyPartner, SurveyProject] | None:
    """The partner and its project if the person answers for it; None otherwise."""
    for partner, project in await respondent_partners(session, person_id=person_id):
        if partner.id == partner_id:
            return partner, project
    return None


async def open_survey_wave(
    session: Session,
    *,
    project: SurveyProject,
    opened_at: datetime,
    closes_at: datetime,
    invited: int,
) -> SurveyWave | None:
    """Open the project's next wave; None when another transaction opened the wave of this
    moment first (a scheduled opening decided by two instances) or a wave is still open."""
    assert project.id is not None
    if await current_wave(session, project_id=project.id) is not None:
        return None
    number = await session.scalar(
        select(func.coalesce(func.max(SurveyWave.number), 0)).where(
            SurveyWave.project_id == project.id
        )
    )
    wave = SurveyWave(
        project_id=project.id,
        number=(number or 0) + 1,
        opened_at=opened_at,
        closes_at=closes_at,
        anonymous=project.anonymous,
        invited=invited,
    )
    try:
        async with session.begin_nested():
            session.add(wave)
            await session.flush()
    except IntegrityError:
        return None
    return wave


async def current_wave(session: Session, *, project_id: int) -> SurveyWave | None:
    """The project's wave still open, if any."""
    return await session.scalar(
        select(SurveyWave).where(
            SurveyWave.project_id == project_id, SurveyWave.closed_at.is_(None)
        )
    )


async def project_waves(session: Session, *, project_id: int) -> list[SurveyWave]:
    """The project's waves, oldest first."""
    return list(
        await session.scalars(
            select(SurveyWave)
            .where(SurveyWave.project_id == project_id)
            .order_by(SurveyWave.number)
        )
    )


async def survey_wave(session: Session, *, wave_id: int) -> SurveyWave | None:
    return await session.get(SurveyWave, wave_id)


async def unclosed_waves(session: Session) -> list[SurveyWave]:
    """Every wave not closed yet, in every pôle, for the waves' job."""
    return list(
        await session.scalars(
            select(SurveyWave).where(SurveyWave.closed_at.is_(None)).order_by(SurveyWave.id)
        )
    )


async def close_survey_wave(session: Session, *, wave_id: int, now: datetime) -> bool:
    """Close the wave, forgetting who was filling in a response (nobody can send it now);
    False when it was closed already (by another instance, say)."""
    closed = await session.execute(
        update(SurveyWave)
        .where(SurveyWave.id == wave_id, SurveyWave.closed_at.is_(None))
        .values(closed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not closed.rowcount:
        return False
    await session.execute(delete(SurveyDraft).where(SurveyDraft.wave_id == wave_id))
    return True


async def locked_wave(session: Session, *, wave_id: int) -> SurveyWave | None:
    """The wave, its row locked until the transaction ends (PostgreSQL; SQLite locks the whole
    database at the first write): a submission and the close do not cross."""
    return await session.scalar(
        select(SurveyWave)
        .where(SurveyWave.id == wave_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def submit_response(
    session: Session,
    *,
    wave_id: int,
    partner_id: int,
    person_id: int,
    answers: dict[str, str],
    comments: dict[str, str],
    now: datetime,
) -> SurveyResponse:
    """Store the partner's answer to the wave, replacing an earlier submission."""
    response = await session.scalar(
        select(SurveyResponse)
        .where(SurveyResponse.wave_id == wave_id, SurveyResponse.partner_id == partner_id)
        .with_for_update()
    )
    if response is None:
        response = SurveyResponse(wave_id=wave_id, partner_id=partner_id)
        try:
            async with session.begin_nested():
                session.add(response)
                await session.flush()
        except IntegrityError:
            # Another respondent's first submission committed meanwhile: theirs is replaced.
            response = await session.scalar(
                select(SurveyResponse)
                .where(SurveyResponse.wave_id == wave_id, SurveyResponse.partner_id == partner_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            assert response is not None
    response.answers, response.comments = dict(answers), dict(comments)
    response.submitted_by, response.submitted_at = person_id, now
    flag_modified(response, "answers")
    flag_modified(response, "comments")
    session.add(response)
    await session.execute(
        delete(SurveyDraft).where(
            SurveyDraft.wave_id == wave_id, SurveyDraft.person_id == person_id
        )
    )
    await session.flush()
    return response


async def wave_responses(session: Session, *, wave_id: int) -> list[SurveyResponse]:
    """The partners' answers to the wave."""
    return list(
        await session.scalars(
            select(SurveyResponse)
            .where(SurveyResponse.wave_id == wave_id)
            .order_by(SurveyResponse.partner_id)
        )
    )


async def partner_response(
    session: Session, *, wave_id: int, partner_id: int
) -> SurveyResponse | None:
    return await session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.wave_id == wave_id, SurveyResponse.partner_id == partner_id
        )
    )


async def save_survey_draft(
    session: Session, *, wave_id: int, partner_id: int, person_id: int, answered: int
) -> None:
    """Record how far the person has filled in their partner's response."""
    draft = await session.scalar(
        select(SurveyDraft).where(
            SurveyDraft.wave_id == wave_id, SurveyDraft.person_id == person_id
        )
    )
    if draft is None:
        draft = SurveyDraft(wave_id=wave_id, partner_id=partner_id, person_id=person_id)
    draft.answered, draft.updated_at = answered, utcnow()
    session.add(draft)
    await session.flush()


async def partner_drafts(
    session: Session, *, wave_id: int, partner_id: int
) -> list[tuple[Person, SurveyDraft]]:
    """Who of the partner's respondents is filling in its response to the wave, latest first."""
    rows = await session.execute(
        select(Person, SurveyDraft)
        .join(SurveyDraft, SurveyDraft.person_id == Person.id)
        .where(SurveyDraft.wave_id == wave_id, SurveyDraft.partner_id == partner_id)
        .order_by(SurveyDraft.updated_at.desc(), Person.id)
    )
    return [(person, draft) for person, draft in rows]


async def discard_survey_draft(session: Session, *, wave_id: int, person_id: int) -> None:
    await session.execute(
        delete(SurveyDraft).where(
            SurveyDraft.wave_id == wave_id, SurveyDraft.person_id == person_id
        )
    )


# --- partner survey: audiences ----------------------------------------------------------------
# Respondents need not be members of the pôle (public bodies, research institutes): their
# accounts are read through the project's partners, not through memberships.


async def respondent_accounts(
    session: Session, *, project_id: int, platforms: Collection[str]
) -> list[list[Identity]]:
    """Every respondent's accounts on ``platforms`` for any partner of the project, one list per
    person (once, even when they answer for two partners), oldest first."""
    respondents = (
        select(SurveyRespondent.person_id)
        .join(SurveyPartner, SurveyPartner.id == SurveyRespondent.partner_id)
        .where(SurveyPartner.project_id == project_id)
    )
    people: dict[int, list[Identity]] = {}
    for identity in await session.scalars(
        select(Identity)
        .where(Identity.person_id.in_(respondents), Identity.platform.in_(platforms))
        .order_by(Identity.person_id, Identity.id)
    ):
        people.setdefault(identity.person_id, []).append(identity)
    return list(people.values())


# --- club knowledge: minutes and directory ----------------------------------------------------
# A meeting's minutes and the directory of competencies (handlers/club/minutes.py and
# directory.py). Every query names the club or clubs it reads, so that an entry is never
# reached from another club, or from another pôle's.

# Lists of entries leave their files in the database: a file is read only when someone asks.
_WITHOUT_FILE = defer(DirectoryEntry.file_data, raiseload=True)


async def club_minutes(session: Session, *, club_id: int, event_id: int) -> ClubMinutes | None:
    """The minutes of the club's meeting ``event_id``, if recorded."""
    return await session.scalar(
        select(ClubMinutes)
        .join(Event, Event.id == ClubMinutes.event_id)
        .where(ClubMinutes.event_id == event_id, Event.club_id == club_id)
    )


async def save_minutes(
    session: Session, *, club_id: int, event_id: int, practices: str, written_by: int
) -> ClubMinutes:
    """Record the practices shared at the club's meeting, replacing those recorded before;
    the animator who first wrote the minutes stays their author."""
    minutes = await club_minutes(session, club_id=club_id, event_id=event_id)
    if minutes is None:
        minutes = ClubMinutes(event_id=event_id, written_by=written_by)
    minutes.practices = practices
    session.add(minutes)
    await session.flush()
    return minutes


async def agenda_topics(session: Session, *, club_id: int, event_id: int) -> list[ClubTopic]:
    """The club's topics on the agenda of its meeting ``event_id``, treated or not, oldest first."""
    return list(
        await session.scalars(
            select(ClubTopic)
            .where(ClubTopic.club_id == club_id, ClubTopic.event_id == event_id)
            .order_by(ClubTopic.id)
        )
    )


async def mark_topics_treated(
    session: Session, *, club_id: int, event_id: int, topic_ids: Collection[int], at: datetime
) -> int:
    """Mark treated those of ``topic_ids`` on the club's meeting's agenda not treated yet; how
    many there were."""
    if not topic_ids:
        return 0
    marked = await session.execute(
        update(ClubTopic)
        .where(
            ClubTopic.club_id == club_id,
            ClubTopic.event_id == event_id,
            ClubTopic.id.in_(topic_ids),
            ClubTopic.treated_at.is_(None),
        )
        .values(treated_at=at)
    )
    return marked.rowcount


async def add_directory_entry(
    session: Session, *, entry: DirectoryEntry, contact_ids: Collection[int]
) -> DirectoryEntry:
    """Store a new entry of its club's directory with the members to contact about it."""
    session.add(entry)
    await session.flush()
    assert entry.id is not None
    session.add_all(DirectoryContact(entry_id=entry.id, person_id=p) for p in set(contact_ids))
    await session.flush()
    return entry


async def update_directory_entry(
    session: Session, *, entry: DirectoryEntry, subject: str, shared: str, keywords: str
) -> None:
    entry.subject, entry.shared, entry.keywords = subject, shared, keywords
    session.add(entry)
    await session.flush()


async def delete_directory_entry(session: Session, *, entry: DirectoryEntry) -> None:
    """Delete an entry and its contacts; an introduction it led to stays, without it."""
    await session.execute(
        update(Introduction).where(Introduction.entry_id == entry.id).values(entry_id=None)
    )
    await session.execute(delete(DirectoryContact).where(DirectoryContact.entry_id == entry.id))
    await session.delete(entry)
    await session.flush()


async def meeting_entries(session: Session, *, club_id: int, event_id: int) -> list[DirectoryEntry]:
    """The directory entries written in the minutes of the club's meeting, in order."""
    return list(
        await session.scalars(
            select(DirectoryEntry)
            .options(_WITHOUT_FILE)
            .where(DirectoryEntry.club_id == club_id, DirectoryEntry.event_id == event_id)
            .order_by(DirectoryEntry.id)
        )
    )


async def member_entries(session: Session, *, club_id: int, member_id: int) -> list[DirectoryEntry]:
    """The competencies the member declared in the club, in order."""
    return list(
        await session.scalars(
            select(DirectoryEntry)
            .options(_WITHOUT_FILE)
            .where(DirectoryEntry.club_id == club_id, DirectoryEntry.member_id == member_id)
            .order_by(DirectoryEntry.id)
        )
    )


async def club_entry(
    session: Session, *, club_ids: Collection[int], entry_id: int
) -> DirectoryEntry | None:
    """Entry ``entry_id``, file included, if it is of one of ``club_ids``; None otherwise."""
    if not club_ids:
        return None
    return await session.scalar(
        select(DirectoryEntry).where(
            DirectoryEntry.id == entry_id,
            DirectoryEntry.club_id.in_(club_ids),
        )
    )


async def directory_entries(
    session: Session, *, club_ids: Collection[int], entry_ids: Sequence[int]
) -> list[DirectoryEntry]:
    """The entries ``entry_ids`` of ``club_ids`` (others left out), in the order given."""
    if not club_ids or not entry_ids:
        return []
    found = {
        entry.id: entry
        for entry in await session.scalars(
            select(DirectoryEntry)
            .options(_WITHOUT_FILE)
            .where(
                DirectoryEntry.id.in_(entry_ids),
                DirectoryEntry.club_id.in_(club_ids),
            )
        )
    }
    return [found[entry_id] for entry_id in entry_ids if entry_id in found]


async def entry_contacts(
    session: Session, *, club_ids: Collection[int], entry_ids: Collection[int]
) -> dict[int, list[Person]]:
    """The people to contact about each of the entries of ``club_ids``, by entry, by name."""
    if not club_ids or not entry_ids:
        return {}
    rows = await session.execute(
        select(DirectoryContact.entry_id, Person)
        .join(Person, Person.id == DirectoryContact.person_id)
        .join(DirectoryEntry, DirectoryEntry.id == DirectoryContact.entry_id)
        .where(
            DirectoryContact.entry_id.in_(entry_ids),
            DirectoryEntry.club_id.in_(club_ids),
        )
        .order_by(Person.display_name, Person.id)
    )
    contacts: dict[int, list[Person]] = {}
    for entry_id, person in rows:
        contacts.setdefault(entry_id, []).append(person)
    return contacts


async def club_events(
    session: Session, *, club_ids: Collection[int], event_ids: Collection[int]
) -> dict[int, Event]:
    """The meetings ``event_ids`` of ``club_ids``, by id."""
    if not club_ids or not event_ids:
        return {}
    events = await session.scalars(
        select(Event).where(
            Event.id.in_(event_ids),
            Event.club_id.in_(club_ids),
        )
    )
    return {event.id: event for event in events if event.id is not None}


async def treated_subjects(session: Session, *, club_id: int) -> list[tuple[datetime, str]]:
    """What the club treated, latest first: its topics marked treated, dated by their meeting
    (or by when they were marked, off any agenda), and the subjects of its meetings' minutes'
    entries, dated by their meeting."""
    topics = await session.execute(
        select(ClubTopic.text, Event.starts_at, ClubTopic.treated_at)
        .outerjoin(Event, and_(Event.id == ClubTopic.event_id, Event.club_id == club_id))
        .where(ClubTopic.club_id == club_id, ClubTopic.treated_at.is_not(None))
    )
    found = [(meeting or treated, text) for text, meeting, treated in topics]
    entries = await session.execute(
        select(DirectoryEntry.subject, Event.starts_at)
        .join(Event, Event.id == DirectoryEntry.event_id)
        .where(
            DirectoryEntry.club_id == club_id,
            Event.club_id == club_id,
            Event.starts_at.is_not(None),
        )
    )
    found += [(meeting, subject) for subject, meeting in entries]
    return sorted(found, key=lambda pair: pair[0], reverse=True)


async def directory_entry_count(
    session: Session, *, club_id: int, start: datetime, end: datetime
) -> int:
    """How many entries the club's directory gained from ``start`` to before ``end``."""
    count = await session.scalar(
        select(func.count(DirectoryEntry.id)).where(
            DirectoryEntry.club_id == club_id,
            DirectoryEntry.created_at >= start,
            DirectoryEntry.created_at < end,
        )
    )
    return count or 0


# --- club knowledge: topics -------------------------------------------------------------------
# The topics a club's members bring and their support (handlers/club/topics.py). A topic is read
# through the clubs its reader may see, so that the number of another club's topic, or of another
# pôle's, is unknown like a missing one. An anonymous topic has no author: nothing here joins it
# to anyone.


async def add_club_topic(
    session: Session, *, club_id: int, author_id: int | None, text: str, proposed_on: date
) -> ClubTopic:
    """A new topic of the club, named (``author_id``) or anonymous (None)."""
    topic = ClubTopic(club_id=club_id, author_id=author_id, text=text, proposed_on=proposed_on)
    session.add(topic)
    await session.flush()
    return topic


async def club_topic(
    session: Session, *, topic_id: int, club_ids: Collection[int]
) -> ClubTopic | None:
    """Topic ``topic_id`` if it is of one of ``club_ids``; None otherwise, whether it exists or
    not."""
    if not club_ids:
        return None
    return await session.scalar(
        select(ClubTopic).where(ClubTopic.id == topic_id, ClubTopic.club_id.in_(club_ids))
    )


def _support_count() -> Any:
    """A topic's supporters who are still members of its club: those who left count no more."""
    return (
        select(func.count(ClubTopicVote.id))
        .join(
            ClubMember,
            and_(
                ClubMember.person_id == ClubTopicVote.person_id,
                ClubMember.club_id == ClubTopic.club_id,
            ),
        )
        .where(ClubTopicVote.topic_id == ClubTopic.id, ClubMember.status == "member")
        .correlate(ClubTopic)
        .scalar_subquery()
    )


async def open_club_topics(session: Session, *, club_id: int) -> list[tuple[ClubTopic, int]]:
    """The club's topics not treated yet, each with its number of supporters: the most
    supported first, ties the oldest first."""
    votes = _support_count().label("votes")
    rows = await session.execute(
        select(ClubTopic, votes)
        .where(ClubTopic.club_id == club_id, ClubTopic.treated_at.is_(None))
        .order_by(votes.desc(), ClubTopic.proposed_on, ClubTopic.id)
    )
    return [(topic, count) for topic, count in rows]


async def treated_club_topics(
    session: Session, *, club_id: int, since: datetime | None = None
) -> list[ClubTopic]:
    """The club's treated topics (since ``since``, if given), the latest treated first."""
    query = select(ClubTopic).where(ClubTopic.club_id == club_id, ClubTopic.treated_at.is_not(None))
    if since is not None:
        query = query.where(ClubTopic.treated_at >= since)
    return list(
        await session.scalars(query.order_by(ClubTopic.treated_at.desc(), ClubTopic.id.desc()))
    )


async def topic_support_count(session: Session, *, topic: ClubTopic) -> int:
    """How many members of its club support ``topic``."""
    count = await session.scalar(select(_support_count()).where(ClubTopic.id == topic.id))
    return count or 0


async def supported_topics(session: Session, *, club_id: int, person_id: int) -> set[int]:
    """The club's topics the person supports."""
    return set(
        await session.scalars(
            select(ClubTopicVote.topic_id)
            .join(ClubTopic, ClubTopic.id == ClubTopicVote.topic_id)
            .where(ClubTopic.club_id == club_id, ClubTopicVote.person_id == person_id)
        )
    )


async def set_topic_support(
    session: Session, *, topic: ClubTopic, person_id: int, support: bool
) -> bool:
    """Give (``support``) or withdraw the person's support for ``topic``, one each; whether
    that changed anything."""
    vote = await session.scalar(
        select(ClubTopicVote).where(
            ClubTopicVote.topic_id == topic.id, ClubTopicVote.person_id == person_id
        )
    )
    if support == (vote is not None):
        return False
    if vote is None:
        assert topic.id is not None
        session.add(ClubTopicVote(topic_id=topic.id, person_id=person_id))
    else:
        await session.delete(vote)
    await session.flush()
    return True


async def put_topic_on_agenda(session: Session, *, topic: ClubTopic, event_id: int) -> None:
    """``topic`` is on the agenda of its club's meeting ``event_id`` (the caller checked it is
    the club's)."""
    topic.event_id = event_id
    session.add(topic)
    await session.flush()


async def mark_topic_treated(session: Session, *, topic: ClubTopic, at: datetime) -> None:
    topic.treated_at = at
    session.add(topic)
    await session.flush()


async def club_topic_counts(
    session: Session, *, club_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """How many topics the club's members proposed, and how many the club treated, from
    ``start`` to before ``end``. Both in the bot's time zone, as the yearly report gives them:
    a topic keeps only the day it was proposed, compared with their days."""
    proposed = await session.scalar(
        select(func.count(ClubTopic.id)).where(
            ClubTopic.club_id == club_id,
            ClubTopic.proposed_on >= start.date(),
            ClubTopic.proposed_on < end.date(),
        )
    )
    treated = await session.scalar(
        select(func.count(ClubTopic.id)).where(
            ClubTopic.club_id == club_id, ClubTopic.treated_at >= start, ClubTopic.treated_at < end
        )
    )
    return proposed or 0, treated or 0


# --- club knowledge: café RSE ------------------------------------------------------------------
# A month's groups are stored as rows of two people: a pair as (smaller id, larger id); a trio
# a < b < c as its pair (a, b) and its third member joined to that pair, (c, b), the only kind
# of row whose first id is the larger. Each person starts at most one row of a month, so the
# unique (club, month, first id) lets a month's groups be stored once.


async def cafe_clubs_of(session: Session, *, person_id: int, club_ids: Collection[int]) -> set[int]:
    """Which of these clubs' café RSE the person takes part in."""
    return set(
        await session.scalars(
            select(CafeMember.club_id).where(
                CafeMember.person_id == person_id, CafeMember.club_id.in_(club_ids)
            )
        )
    )


async def join_cafe(session: Session, *, club_id: int, person_id: int) -> None:
    """The person takes part in the club's café RSE (nothing changes if they did already)."""
    taking_part = await session.scalar(
        select(CafeMember.id).where(
            CafeMember.club_id == club_id, CafeMember.person_id == person_id
        )
    )
    if taking_part is None:
        session.add(CafeMember(club_id=club_id, person_id=person_id))
        await session.flush()


async def leave_cafe(session: Session, *, club_id: int, person_id: int) -> None:
    await session.execute(
        delete(CafeMember).where(CafeMember.club_id == club_id, CafeMember.person_id == person_id)
    )


async def forget_cafe_leavers(session: Session, *, club_id: int) -> int:
    """Drop the club's café opt-ins of people no longer in it (left, removed): back one day,
    they say again whether they take part. A member with a new charter to accept keeps theirs."""
    still = select(ClubMember.person_id).where(
        ClubMember.club_id == club_id, ClubMember.status == "member"
    )
    result = await session.execute(
        delete(CafeMember).where(CafeMember.club_id == club_id, CafeMember.person_id.not_in(still))
    )
    return result.rowcount or 0


async def cafe_participants(session: Session, *, pole_id: int, club_id: int) -> list[int]:
    """Who takes part in the pôle's club's café RSE among its members under its current
    charter, by id."""
    members = await club_member_ids(session, pole_id=pole_id, club_id=club_id)
    opted = await session.scalars(select(CafeMember.person_id).where(CafeMember.club_id == club_id))
    return sorted(set(opted) & members)


async def cafe_month_paired(session: Session, *, club_id: int, month: str) -> bool:
    """Whether the club's groups of ``month`` ("2027-03") are made."""
    found = await session.scalar(
        select(CafePair.id).where(CafePair.club_id == club_id, CafePair.month == month).limit(1)
    )
    return found is not None


async def cafe_history(session: Session, *, club_id: int) -> list[list[tuple[int, ...]]]:
    """The club's groups of each month, oldest month first, each group's ids in order."""
    return list((await _cafe_groups(session, club_id=club_id)).values())


async def cafe_group(session: Session, *, club_id: int, person_id: int) -> tuple[int, ...]:
    """The others of the person's group in the club's latest month of pairs; empty if they
    had none that month."""
    groups = list((await _cafe_groups(session, club_id=club_id)).values())
    mine = next((group for group in (groups[-1] if groups else []) if person_id in group), ())
    return tuple(other for other in mine if other != person_id)


async def _cafe_groups(session: Session, *, club_id: int) -> dict[str, list[tuple[int, ...]]]:
    """The club's groups by month, months in order."""
    rows = await session.execute(
        select(CafePair.month, CafePair.first_id, CafePair.second_id)
        .where(CafePair.club_id == club_id)
        .order_by(CafePair.month, CafePair.first_id)
    )
    # Each month's groups by the second id of their pair, which a trio's third member joins.
    months: dict[str, dict[int, list[int]]] = {}
    thirds: list[tuple[str, int, int]] = []
    for row_month, first, second in rows:
        if first < second:
            months.setdefault(row_month, {})[second] = [first, second]
        else:
            thirds.append((row_month, first, second))
    for row_month, third, second in thirds:
        # The pair's row is gone when one of them was erased: the two left still met.
        months.setdefault(row_month, {}).setdefault(second, [second]).append(third)
    return {
        row_month: sorted(tuple(sorted(group)) for group in groups.values())
        for row_month, groups in sorted(months.items())
    }


async def add_cafe_groups(
    session: Session,
    *,
    club_id: int,
    month: str,
    groups: Collection[Collection[int]],
    made_at: datetime,
) -> bool:
    """Store the club's groups of ``month``, made at ``made_at``; False, storing nothing,
    when that month's are stored already (by another instance deciding them at once)."""
    rows = []
    for group in groups:
        first, second, *third = sorted(group)
        rows += [
            CafePair(club_id=club_id, month=month, first_id=one, second_id=two, created_at=made_at)
            for one, two in [(first, second), *((other, second) for other in third)]
        ]
    try:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()
    except IntegrityError:
        if not await cafe_month_paired(session, club_id=club_id, month=month):
            raise  # another constraint: a bug to hear about
        return False
    return True


async def cafe_pair_count(session: Session, *, club_id: int, start: datetime, end: datetime) -> int:
    """The cafés proposed in the club from ``start`` to before ``end``: one per pair or trio
    made (a trio's row joining its third member does not count)."""
    count = await session.scalar(
        select(func.count(CafePair.id)).where(
            CafePair.club_id == club_id,
            CafePair.first_id < CafePair.second_id,
            CafePair.created_at >= start,
            CafePair.created_at < end,
        )
    )
    return count or 0


# --- club knowledge: introductions, service exchange and consultants ---------------------------
# Every query of handlers/club/introductions.py, exchange.py and consultants.py: an exchange post
# or an introduction is read through the clubs given (the person's own, checked by the caller)
# or through its club's pôle; a consultant through its pôle.


async def add_exchange_post(
    session: Session, *, club_id: int, person_id: int, kind: str, text: str
) -> ExchangePost:
    post = ExchangePost(club_id=club_id, person_id=person_id, kind=kind, text=text)
    session.add(post)
    await session.flush()
    return post


async def open_exchange_posts(
    session: Session,
    *,
    club_ids: Collection[int],
    kind: str | None = None,
    ids: Collection[int] | None = None,
) -> list[ExchangePost]:
    """The open offers and requests of the clubs ``club_ids`` (of ``kind``, among ``ids``),
    newest first."""
    query = select(ExchangePost).where(
        ExchangePost.club_id.in_(list(club_ids)), ExchangePost.closed_at.is_(None)
    )
    if kind is not None:
        query = query.where(ExchangePost.kind == kind)
    if ids is not None:
        query = query.where(ExchangePost.id.in_(list(ids)))
    query = query.order_by(ExchangePost.created_at.desc(), ExchangePost.id.desc())
    return list(await session.scalars(query))


async def club_exchange_post(
    session: Session, *, post_id: int, club_ids: Collection[int]
) -> ExchangePost | None:
    """The open post ``post_id`` if it is of one of the clubs ``club_ids``; None otherwise."""
    found = await open_exchange_posts(session, club_ids=club_ids, ids=[post_id])
    return found[0] if found else None


async def close_exchange_post(
    session: Session, *, post_id: int, person_id: int, club_ids: Collection[int]
) -> ExchangePost | None:
    """Close the person's own open post ``post_id`` of one of the clubs ``club_ids``; None if
    there is no such post."""
    post = await club_exchange_post(session, post_id=post_id, club_ids=club_ids)
    if post is None or post.person_id != person_id:
        return None
    post.closed_at = utcnow()
    session.add(post)
    await session.flush()
    return post


async def pole_exchange_post(
    session: Session, *, pole_id: int, post_id: int
) -> tuple[ExchangePost, Club] | None:
    """The post ``post_id`` of one of the pôle's clubs, with its club, as its animators see it;
    None for another pôle's."""
    row = (
        await session.execute(
            select(ExchangePost, Club)
            .join(Club, Club.id == ExchangePost.club_id)
            .where(ExchangePost.id == post_id, Club.pole_id == pole_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def requests_to_escalate(
    session: Session, *, before: datetime
) -> list[tuple[ExchangePost, Club]]:
    """Every club's open requests posted before ``before``, not passed to the animators yet,
    that no accepted introduction is about, with their club, oldest first."""
    rows = await session.execute(
        select(ExchangePost, Club)
        .join(Club, Club.id == ExchangePost.club_id)
        .where(
            ExchangePost.kind == "request",
            ExchangePost.closed_at.is_(None),
            ExchangePost.escalated_at.is_(None),
            ExchangePost.created_at < before,
            ~exists().where(
                Introduction.post_id == ExchangePost.id, Introduction.status == "accepted"
            ),
        )
        .order_by(ExchangePost.created_at, ExchangePost.id)
    )
    return [(post, club) for post, club in rows]


async def mark_escalated(session: Session, *, post: ExchangePost, now: datetime) -> bool:
    """Record that the request went to the animators; False if it had already (another
    instance's job, at the same moment)."""
    done = await session.execute(
        update(ExchangePost)
        .where(ExchangePost.id == post.id, ExchangePost.escalated_at.is_(None))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    post.escalated_at = now
    return True


async def pending_introduction(
    session: Session, *, requester_id: int, recipient_id: int
) -> Introduction | None:
    """The request from ``requester_id`` to ``recipient_id`` still awaiting an answer."""
    return await session.scalar(
        select(Introduction).where(
            Introduction.requester_id == requester_id,
            Introduction.recipient_id == recipient_id,
            Introduction.status == "pending",
        )
    )


async def add_introduction(
    session: Session,
    *,
    club_id: int,
    requester_id: int,
    recipient_id: int,
    reason: str,
    contact: str,
    entry_id: int | None,
    post_id: int | None,
) -> Introduction:
    introduction = Introduction(
        club_id=club_id,
        requester_id=requester_id,
        recipient_id=recipient_id,
        reason=reason,
        requester_contact=contact,
        entry_id=entry_id,
        post_id=post_id,
    )
    session.add(introduction)
    await session.flush()
    return introduction


async def pole_introduction(
    session: Session, *, pole_id: int, introduction_id: int
) -> Introduction | None:
    """The introduction ``introduction_id`` in one of the pôle's clubs; None otherwise."""
    return await session.scalar(
        select(Introduction)
        .join(Club, Club.id == Introduction.club_id)
        .where(Introduction.id == introduction_id, Club.pole_id == pole_id)
    )


async def answer_introduction(
    session: Session, *, introduction: Introduction, status: str, contact: str | None
) -> bool:
    """Record the recipient's answer; False if the request was answered already (on another
    account, at the same moment)."""
    now = utcnow()
    done = await session.execute(
        update(Introduction)
        .where(Introduction.id == introduction.id, Introduction.status == "pending")
        .values(status=status, recipient_contact=contact, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    introduction.status, introduction.recipient_contact = status, contact
    introduction.answered_at = now
    return True


async def accepted_introduction(
    session: Session, *, introduction_id: int, person_id: int
) -> Introduction | None:
    """The accepted introduction ``introduction_id`` if the person is one of its two members."""
    return await session.scalar(
        select(Introduction).where(
            Introduction.id == introduction_id,
            Introduction.status == "accepted",
            or_(Introduction.requester_id == person_id, Introduction.recipient_id == person_id),
        )
    )


async def introductions_of(session: Session, *, pole_id: int, person_id: int) -> list[Introduction]:
    """The person's introductions in the pôle's clubs, either side, not declined, latest
    first."""
    return list(
        await session.scalars(
            select(Introduction)
            .join(Club, Club.id == Introduction.club_id)
            .where(
                Club.pole_id == pole_id,
                Introduction.status != "declined",
                or_(
                    Introduction.requester_id == person_id,
                    Introduction.recipient_id == person_id,
                ),
            )
            .order_by(Introduction.created_at.desc(), Introduction.id.desc())
        )
    )


async def introduction_count(
    session: Session, *, club_id: int, start: datetime, end: datetime
) -> int:
    """How many of the club's introductions were accepted from ``start`` to before ``end``."""
    count = await session.scalar(
        select(func.count(Introduction.id)).where(
            Introduction.club_id == club_id,
            Introduction.status == "accepted",
            Introduction.answered_at >= start,
            Introduction.answered_at < end,
        )
    )
    return count or 0


async def exchange_count(
    session: Session, *, club_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    """How many offers and requests the club's members posted from ``start`` to before
    ``end``."""
    rows = await session.execute(
        select(ExchangePost.kind, func.count(ExchangePost.id))
        .where(
            ExchangePost.club_id == club_id,
            ExchangePost.created_at >= start,
            ExchangePost.created_at < end,
        )
        .group_by(ExchangePost.kind)
    )
    counts = {kind: count for kind, count in rows}
    return counts.get("offer", 0), counts.get("request", 0)


async def pole_consultants(session: Session, *, pole_id: int) -> list[Consultant]:
    return list(
        await session.scalars(
            select(Consultant).where(Consultant.pole_id == pole_id).order_by(Consultant.id)
        )
    )


async def pole_consultant(
    session: Session, *, pole_id: int, consultant_id: int
) -> Consultant | None:
    """The pôle's consultant ``consultant_id``; None for another pôle's."""
    return await session.scalar(
        select(Consultant).where(Consultant.id == consultant_id, Consultant.pole_id == pole_id)
    )


async def add_consultant(
    session: Session, *, pole_id: int, name: str, specialities: str, contact: str
) -> Consultant:
    consultant = Consultant(pole_id=pole_id, name=name, specialities=specialities, contact=contact)
    session.add(consultant)
    await session.flush()
    return consultant


async def remove_consultant(session: Session, *, consultant: Consultant) -> None:
    """Take the consultant off the pôle's list, with the record of their referrals (the members
    keep the message they received)."""
    await session.execute(
        delete(ConsultantReferral).where(ConsultantReferral.consultant_id == consultant.id)
    )
    await session.delete(consultant)
    await session.flush()


async def add_referral(
    session: Session,
    *,
    consultant: Consultant,
    person_id: int,
    post_id: int | None,
    referred_by: int,
) -> ConsultantReferral:
    referral = ConsultantReferral(
        consultant_id=consultant.id or 0,
        person_id=person_id,
        post_id=post_id,
        referred_by=referred_by,
    )
    session.add(referral)
    await session.flush()
    return referral


# --- awareness ---------------------------------------------------------------------------------


async def module_progress(session: Session, *, person_id: int) -> dict[str, ModuleProgress]:
    """The person's progress in each awareness module they opened, by module id."""
    rows = await session.scalars(
        select(ModuleProgress).where(ModuleProgress.person_id == person_id)
    )
    return {row.module_id: row for row in rows}


async def module_begun(session: Session, *, person_id: int, module_id: str) -> ModuleProgress:
    """The person's progress in the module, recorded as begun now if they never opened it."""
    found = await session.scalar(
        select(ModuleProgress).where(
            ModuleProgress.person_id == person_id, ModuleProgress.module_id == module_id
        )
    )
    if found is None:
        found = ModuleProgress(person_id=person_id, module_id=module_id)
        session.add(found)
        await session.flush()
    return found


async def module_step_reached(
    session: Session, *, person_id: int, module_id: str, step: int
) -> None:
    """Where « Reprendre » takes the person back to in the module."""
    progress = await module_begun(session, person_id=person_id, module_id=module_id)
    progress.step = step
    await session.flush()


async def module_completed(
    session: Session, *, person_id: int, module_id: str, score: int, total: int, now: datetime
) -> ModuleProgress:
    """The module's quiz is over: its best score is kept, and it opens from the start again."""
    progress = await module_begun(session, person_id=person_id, module_id=module_id)
    if progress.quiz_score is None or score >= progress.quiz_score:
        progress.quiz_score, progress.quiz_total = score, total
    progress.completed_at, progress.step = now, 0
    await session.flush()
    return progress


async def pole_admins(session: Session, *, pole_id: int) -> list[Person]:
    """The pôle's admins (not its animators), who hear of content to check again."""
    return list(
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.pole_id == pole_id, Membership.role == "admin")
            .order_by(Person.id)
        )
    )


# --- workshops ---------------------------------------------------------------------------------
# Members' requests for a workshop or thematic day and the workshops made of them
# (handlers/workshops/); each workshop is an event of handlers/events.


async def add_workshop_request(
    session: Session, *, pole_id: int, person_id: int, key: str, theme: str | None, text: str
) -> WorkshopRequest | None:
    """The member's request for ``key`` (a theme's id, or own words folded); None when they
    already asked for it and no workshop has answered it yet."""
    existing = await session.scalar(
        select(WorkshopRequest).where(
            WorkshopRequest.pole_id == pole_id,
            WorkshopRequest.person_id == person_id,
            WorkshopRequest.key == key,
        )
    )
    if existing is not None:
        if existing.workshop_id is None:
            return None
        # Answered by a past workshop: this is a new request for another one.
        await session.delete(existing)
        await session.flush()
    request = WorkshopRequest(
        pole_id=pole_id, person_id=person_id, key=key, theme=theme, text=text[:200]
    )
    session.add(request)
    await session.flush()
    return request


async def open_workshop_requests(
    session: Session, *, pole_id: int, person_id: int
) -> list[WorkshopRequest]:
    """The member's requests no workshop has answered yet, oldest first."""
    return list(
        await session.scalars(
            select(WorkshopRequest)
            .where(
                WorkshopRequest.pole_id == pole_id,
                WorkshopRequest.person_id == person_id,
                WorkshopRequest.workshop_id.is_(None),
            )
            .order_by(WorkshopRequest.created_at, WorkshopRequest.id)
        )
    )


async def withdraw_workshop_request(
    session: Session, *, pole_id: int, person_id: int, request_id: int
) -> WorkshopRequest | None:
    """Delete the member's own open request ``request_id``; None if it is not theirs, not of
    the pôle or already answered."""
    request = await session.scalar(
        select(WorkshopRequest).where(
            WorkshopRequest.id == request_id,
            WorkshopRequest.pole_id == pole_id,
            WorkshopRequest.person_id == person_id,
            WorkshopRequest.workshop_id.is_(None),
        )
    )
    if request is not None:
        await session.delete(request)
        await session.flush()
    return request


@dataclass(frozen=True, slots=True)
class RequestedWorkshop:
    """The pôle's open requests for one thing: its key, its theme (None for own words), the
    number and words of its first request, and how many members asked."""

    key: str
    theme: str | None
    first_id: int
    text: str
    members: int


async def workshop_demand(session: Session, *, pole_id: int) -> list[RequestedWorkshop]:
    """The pôle's open requests grouped by key, the most asked first (then the oldest)."""
    rows = await session.execute(
        select(WorkshopRequest)
        .where(WorkshopRequest.pole_id == pole_id, WorkshopRequest.workshop_id.is_(None))
        .order_by(WorkshopRequest.created_at, WorkshopRequest.id)
    )
    groups: dict[str, list[WorkshopRequest]] = {}
    for (request,) in rows:
        groups.setdefault(request.key, []).append(request)
    demand = [
        RequestedWorkshop(
            key, found[0].theme, found[0].id or 0, found[0].text, len({r.person_id for r in found})
        )
        for key, found in groups.items()
    ]
    # Stable: equal counts keep the order of their first request.
    return sorted(demand, key=lambda group: -group.members)


async def pole_workshop_request(
    session: Session, *, pole_id: int, request_id: int
) -> WorkshopRequest | None:
    """The pôle's open request ``request_id``; None for another pôle's or an answered one."""
    return await session.scalar(
        select(WorkshopRequest).where(
            WorkshopRequest.id == request_id,
            WorkshopRequest.pole_id == pole_id,
            WorkshopRequest.workshop_id.is_(None),
        )
    )


async def pole_member_ids(session: Session, *, pole_id: int) -> set[int]:
    """Everyone of the pôle: a workshop's audience when it is for the whole pôle."""
    return set(
        await session.scalars(select(Membership.person_id).where(Membership.pole_id == pole_id))
    )


async def workshop_requesters(session: Session, *, pole_id: int, key: str) -> list[int]:
    """The members of the pôle with an open request for ``key``."""
    return list(
        await session.scalars(
            select(WorkshopRequest.person_id)
            .join(
                Membership,
                and_(
                    Membership.person_id == WorkshopRequest.person_id,
                    Membership.pole_id == WorkshopRequest.pole_id,
                ),
            )
            .where(
                WorkshopRequest.pole_id == pole_id,
                WorkshopRequest.key == key,
                WorkshopRequest.workshop_id.is_(None),
            )
            .order_by(WorkshopRequest.created_at, WorkshopRequest.id)
        )
    )


async def create_workshop(
    session: Session,
    *,
    event: Event,
    key: str,
    theme: str | None,
    guests: Collection[int] = (),
) -> tuple[Workshop, list[int]]:
    """Store ``event`` as the workshop answering the open requests for ``key`` (``guests``
    its audience when it is for named people only). Returns it and who had asked, now
    answered."""
    session.add(event)
    await session.flush()
    assert event.id is not None
    workshop = Workshop(pole_id=event.pole_id, event_id=event.id, key=key, theme=theme)
    session.add(workshop)
    for person_id in guests:
        session.add(EventGuest(event_id=event.id, person_id=person_id))
    await session.flush()
    asked = await workshop_requesters(session, pole_id=event.pole_id, key=key)
    await session.execute(
        update(WorkshopRequest)
        .where(
            WorkshopRequest.pole_id == event.pole_id,
            WorkshopRequest.key == key,
            WorkshopRequest.workshop_id.is_(None),
        )
        .values(workshop_id=workshop.id)
    )
    return workshop, asked


async def pole_workshops(session: Session, *, pole_id: int) -> list[tuple[Workshop, Event]]:
    """The pôle's workshops with their event, the latest first."""
    rows = await session.execute(
        select(Workshop, Event)
        .join(Event, Event.id == Workshop.event_id)
        .where(Workshop.pole_id == pole_id)
        .order_by(Event.starts_at.desc(), Workshop.id.desc())
    )
    return [(workshop, event) for workshop, event in rows]


async def pole_workshop(
    session: Session, *, pole_id: int, workshop_id: int
) -> tuple[Workshop, Event] | None:
    """The pôle's workshop ``workshop_id`` and its event; None for another pôle's."""
    row = (
        await session.execute(
            select(Workshop, Event)
            .join(Event, Event.id == Workshop.event_id)
            .where(Workshop.id == workshop_id, Workshop.pole_id == pole_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def workshop_of_event(session: Session, *, event_id: int) -> Workshop | None:
    return await session.scalar(select(Workshop).where(Workshop.event_id == event_id))


async def event_present(session: Session, *, event_id: int) -> list[int]:
    """Who was recorded present at the event."""
    return list(
        await session.scalars(
            select(EventAnswer.person_id)
            .where(EventAnswer.event_id == event_id, EventAnswer.attended.is_(True))
            .order_by(EventAnswer.person_id)
        )
    )


async def attended_workshop_themes(session: Session, *, person_id: int, pole_id: int) -> set[str]:
    """The themes of the pôle's workshops the person was recorded present at (a workshop in
    own words has none)."""
    return set(
        await session.scalars(
            select(Workshop.theme)
            .join(EventAnswer, EventAnswer.event_id == Workshop.event_id)
            .where(
                Workshop.pole_id == pole_id,
                Workshop.theme.is_not(None),
                EventAnswer.person_id == person_id,
                EventAnswer.attended.is_(True),
            )
        )
    )


async def workshops_attended_since(
    session: Session, *, since: datetime
) -> list[tuple[Workshop, Event]]:
    """The workshops whose attendance was recorded from ``since`` on, not cancelled."""
    rows = await session.execute(
        select(Workshop, Event)
        .join(Event, Event.id == Workshop.event_id)
        .where(Event.attendance_at >= since, Event.status == "scheduled")
        .order_by(Event.attendance_at, Workshop.id)
    )
    return [(workshop, event) for workshop, event in rows]


async def save_workshop_feedback(
    session: Session,
    *,
    workshop_id: int,
    person_id: int,
    company: str | None,
    answers: dict[str, str],
    comments: dict[str, str],
) -> bool:
    """Keep a participant's answers to the survey; False if they had already answered."""
    existing = await session.scalar(
        select(WorkshopFeedback.id).where(
            WorkshopFeedback.workshop_id == workshop_id, WorkshopFeedback.person_id == person_id
        )
    )
    if existing is not None:
        return False
    session.add(
        WorkshopFeedback(
            workshop_id=workshop_id,
            person_id=person_id,
            company=company,
            answers=answers,
            comments=comments,
        )
    )
    await session.flush()
    return True


async def workshop_feedback(session: Session, *, workshop_id: int) -> list[WorkshopFeedback]:
    return list(
        await session.scalars(
            select(WorkshopFeedback)
            .where(WorkshopFeedback.workshop_id == workshop_id)
            .order_by(WorkshopFeedback.id)
        )
    )


# --- programmes --------------------------------------------------------------------------------
# Enrolments in a pôle's programmes and the steps done (handlers/programmes/).


async def open_programme_run(
    session: Session, *, pole_id: int, programme_id: str, starts_on: date
) -> ProgrammeRun | None:
    """The pôle's new run of the programme from ``starts_on``; None if it has that one already."""
    existing = await session.scalar(
        select(ProgrammeRun).where(
            ProgrammeRun.pole_id == pole_id,
            ProgrammeRun.programme_id == programme_id,
            ProgrammeRun.starts_on == starts_on,
        )
    )
    if existing is not None:
        return None
    run = ProgrammeRun(pole_id=pole_id, programme_id=programme_id, starts_on=starts_on)
    session.add(run)
    await session.flush()
    return run


async def programme_runs(session: Session, *, pole_id: int) -> list[ProgrammeRun]:
    """The pôle's runs, the earliest start first."""
    return list(
        await session.scalars(
            select(ProgrammeRun)
            .where(ProgrammeRun.pole_id == pole_id)
            .order_by(ProgrammeRun.starts_on, ProgrammeRun.id)
        )
    )


async def programme_run(session: Session, *, pole_id: int, run_id: int) -> ProgrammeRun | None:
    """One of the pôle's runs (never another pôle's)."""
    return await session.scalar(
        select(ProgrammeRun).where(ProgrammeRun.id == run_id, ProgrammeRun.pole_id == pole_id)
    )


async def programme_enrolments_of(
    session: Session, *, person_id: int, pole_id: int
) -> dict[int, ProgrammeEnrolment]:
    """The person's enrolments in the pôle's runs, by run id."""
    rows = await session.scalars(
        select(ProgrammeEnrolment)
        .join(ProgrammeRun, ProgrammeRun.id == ProgrammeEnrolment.run_id)
        .where(ProgrammeEnrolment.person_id == person_id, ProgrammeRun.pole_id == pole_id)
    )
    return {row.run_id: row for row in rows}


async def enrol_in_programme(
    session: Session, *, run_id: int, person_id: int, shared: bool
) -> ProgrammeEnrolment:
    """The person's enrolment in the run, made now if they had none."""
    found = await session.scalar(
        select(ProgrammeEnrolment).where(
            ProgrammeEnrolment.run_id == run_id, ProgrammeEnrolment.person_id == person_id
        )
    )
    if found is None:
        found = ProgrammeEnrolment(run_id=run_id, person_id=person_id, shared=shared)
        session.add(found)
        await session.flush()
    return found


async def leave_programme(session: Session, *, enrolment: ProgrammeEnrolment) -> None:
    """The enrolment and what was recorded for it, gone."""
    await session.execute(
        delete(ProgrammeStepRecord).where(ProgrammeStepRecord.enrolment_id == enrolment.id)
    )
    await session.delete(enrolment)
    await session.flush()


async def run_enrolments(
    session: Session, *, run_id: int
) -> list[tuple[ProgrammeEnrolment, Person]]:
    """Everyone following the run, in the order they enrolled."""
    rows = await session.execute(
        select(ProgrammeEnrolment, Person)
        .join(Person, Person.id == ProgrammeEnrolment.person_id)
        .where(ProgrammeEnrolment.run_id == run_id)
        .order_by(ProgrammeEnrolment.enrolled_at, ProgrammeEnrolment.id)
    )
    return [(enrolment, person) for enrolment, person in rows]


async def all_programme_enrolments(
    session: Session,
) -> list[tuple[ProgrammeEnrolment, ProgrammeRun, Person]]:
    """Every enrolment of every pôle, for the job telling members their next step."""
    rows = await session.execute(
        select(ProgrammeEnrolment, ProgrammeRun, Person)
        .join(ProgrammeRun, ProgrammeRun.id == ProgrammeEnrolment.run_id)
        .join(Person, Person.id == ProgrammeEnrolment.person_id)
        .order_by(ProgrammeEnrolment.id)
    )
    return [(enrolment, run, person) for enrolment, run, person in rows]


async def programme_step_records(
    session: Session, *, enrolment_id: int
) -> dict[str, ProgrammeStepRecord]:
    """What was recorded of the enrolment's steps, by step id."""
    rows = await session.scalars(
        select(ProgrammeStepRecord).where(ProgrammeStepRecord.enrolment_id == enrolment_id)
    )
    return {row.step_id: row for row in rows}


async def record_programme_step(
    session: Session,
    *,
    enrolment_id: int,
    step_id: str,
    now: datetime,
    label_id: str | None = None,
    comment: str | None = None,
) -> ProgrammeStepRecord:
    """The step done now, with the label aimed at or the review's words (replacing earlier)."""
    found = await session.scalar(
        select(ProgrammeStepRecord).where(
            ProgrammeStepRecord.enrolment_id == enrolment_id, ProgrammeStepRecord.step_id == step_id
        )
    )
    if found is None:
        found = ProgrammeStepRecord(enrolment_id=enrolment_id, step_id=step_id)
    found.label_id, found.comment, found.done_at = label_id, comment, now
    session.add(found)
    await session.flush()
    return found


# --- readiness ---------------------------------------------------------------------------------
# Label readiness self-checks and the Label Numérique Responsable client survey
# (handlers/readiness/).


async def readiness_results(session: Session, *, person_id: int) -> dict[str, ReadinessResult]:
    """The person's last readiness check of each label they checked, by label id."""
    rows = await session.scalars(
        select(ReadinessResult).where(ReadinessResult.person_id == person_id)
    )
    return {row.label_id: row for row in rows}


async def save_readiness_result(
    session: Session,
    *,
    person_id: int,
    label_id: str,
    answers: dict[str, str],
    met: int,
    now: datetime,
) -> ReadinessResult:
    """The person's check of the label, in place of their last one."""
    found = await session.scalar(
        select(ReadinessResult).where(
            ReadinessResult.person_id == person_id, ReadinessResult.label_id == label_id
        )
    )
    if found is None:
        found = ReadinessResult(person_id=person_id, label_id=label_id, met=met, total=0)
        session.add(found)
    found.answers, found.met, found.total, found.completed_at = answers, met, len(answers), now
    await session.flush()
    return found


async def client_survey(session: Session, *, owner_id: int, survey: str) -> SurveyProject | None:
    """The member's own survey of their clients on the indicator set ``survey``, if made."""
    return await session.scalar(
        select(SurveyProject).where(
            SurveyProject.owner_id == owner_id, SurveyProject.survey == survey
        )
    )


async def owned_survey_projects(session: Session, *, owner_id: int) -> list[SurveyProject]:
    """The member's own client surveys, whose results are theirs to read."""
    return list(
        await session.scalars(
            select(SurveyProject)
            .where(SurveyProject.owner_id == owner_id)
            .order_by(SurveyProject.id)
        )
    )


async def create_client_survey(
    session: Session, *, pole_id: int, owner_id: int, name: str, survey: str
) -> SurveyProject:
    """The member's own survey of their clients, in the pôle they act in: its waves open on
    the default calendar (twice a year) or by hand, anonymous, its animators never seeing it."""
    name = " ".join(name.split())
    if await survey_project_by_name(session, pole_id=pole_id, name=name) is not None:
        raise SurveyNameTaken(name)
    project = SurveyProject(pole_id=pole_id, owner_id=owner_id, name=name, survey=survey)
    session.add(project)
    await session.flush()
    return project


# --- resources ---------------------------------------------------------------------------------
# The documents members receive on request: the content's templates and the files a pôle's
# animators added (handlers/resources/).
# Every query names the pôle: an animator's file is never reached from another pôle.

# The list leaves the files in the database: one is read only when someone asks for it.
_WITHOUT_DATA = defer(ResourceFile.data, raiseload=True)


async def resource_files(session: Session, *, pole_id: int) -> list[ResourceFile]:
    """The pôle's added documents, oldest first, without their bytes."""
    return list(
        await session.scalars(
            select(ResourceFile)
            .options(_WITHOUT_DATA)
            .where(ResourceFile.pole_id == pole_id)
            .order_by(ResourceFile.id)
        )
    )


async def resource_file(session: Session, *, pole_id: int, file_id: int) -> ResourceFile | None:
    """The pôle's document ``file_id`` with its bytes; None if it is not the pôle's."""
    return await session.scalar(
        select(ResourceFile).where(ResourceFile.id == file_id, ResourceFile.pole_id == pole_id)
    )


async def add_resource_file(
    session: Session,
    *,
    pole_id: int,
    title: str,
    filename: str,
    mime_type: str,
    data: bytes,
    added_by: int,
) -> ResourceFile:
    """Add a document to the pôle's resources."""
    added = ResourceFile(
        pole_id=pole_id,
        title=title,
        filename=filename,
        mime_type=mime_type,
        data=data,
        added_by=added_by,
    )
    session.add(added)
    await session.flush()
    return added


async def remove_resource_file(session: Session, *, pole_id: int, file_id: int) -> bool:
    """Remove the pôle's document ``file_id``; False if the pôle has none by that number."""
    removed = await session.execute(
        delete(ResourceFile).where(ResourceFile.id == file_id, ResourceFile.pole_id == pole_id)
    )
    return bool(removed.rowcount)


# --- operations ---------------------------------------------------------------------------------
# What ``rse-bot doctor`` and ``/metrics`` read about the whole installation, every pôle at once.


@dataclass(frozen=True)
class OutboxBacklog:
    """Outbox rows by status, and when the oldest message still to send was queued."""

    counts: dict[str, int]
    oldest_pending: datetime | None


async def outbox_backlog(session: Session) -> OutboxBacklog:
    counts = {
        status: count
        for status, count in await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
    }
    oldest = await session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_(("pending", "sending"))
        )
    )
    return OutboxBacklog(counts, oldest)


async def feeds_in_error(session: Session) -> list[tuple[Pole, Feed]]:
    """Every pôle's feeds whose last fetch failed, by pôle then in the order they were added."""
    rows = await session.execute(
        select(Pole, Feed)
        .join(Feed, Feed.pole_id == Pole.id)
        .where(Feed.failures > 0)
        .order_by(Pole.id, Feed.id)
    )
    return [(pole, feed) for pole, feed in rows]


# --- slack installations (bot/transports/slack_oauth.py) -------------------------------------


async def save_slack_installation(
    session: Session,
    *,
    team_id: str,
    team_name: str,
    pole_id: int,
    bot_token: str,
    bot_id: str,
    bot_user_id: str,
    bot_scopes: str,
) -> SlackInstallation:
    """Store a workspace's installation, tied to ``pole_id``; installing again (new scopes, or
    from another pôle's link) replaces the token and the pôle."""
    values = {
        "team_name": team_name,
        "pole_id": pole_id,
        "bot_token": SecretStr(bot_token),
        "bot_id": bot_id,
        "bot_user_id": bot_user_id,
        "bot_scopes": bot_scopes,
        "installed_at": utcnow(),
    }
    installation = await slack_installation(session, team_id=team_id)
    if installation is None:
        installation = SlackInstallation(team_id=team_id, **values)
        session.add(installation)
    else:
        installation.sqlmodel_update(values)
    await session.flush()
    return installation


async def slack_installation(session: Session, *, team_id: str) -> SlackInstallation | None:
    return await session.scalar(
        select(SlackInstallation).where(SlackInstallation.team_id == team_id)
    )


async def slack_installations(session: Session) -> list[tuple[SlackInstallation, Pole]]:
    """Every installed workspace with its pôle, in the order they were first installed."""
    rows = await session.execute(
        select(SlackInstallation, Pole)
        .join(Pole, Pole.id == SlackInstallation.pole_id)
        .order_by(SlackInstallation.id)
    )
    return [(installation, pole) for installation, pole in rows]


async def remember_slack_chat(
    session: Session, *, chat_id: str, team_id: str, user_id: str | None
) -> None:
    """Note which workspace ``chat_id`` (an account, or a channel) is in."""
    known = await session.scalar(select(SlackChat).where(SlackChat.chat_id == chat_id))
    if known is not None:
        known.sqlmodel_update({"team_id": team_id, "user_id": user_id, "seen_at": utcnow()})
        return
    try:
        async with session.begin_nested():
            session.add(SlackChat(chat_id=chat_id, team_id=team_id, user_id=user_id))
    except IntegrityError:
        # Another instance heard from it at the same moment: its row says the same.
        pass


async def slack_token_of_chat(session: Session, *, chat_id: str) -> SecretStr | None:
    """The bot token of the workspace ``chat_id`` is in, None if no installed workspace."""
    return await session.scalar(
        select(SlackInstallation.bot_token)
        .join(SlackChat, SlackChat.team_id == SlackInstallation.team_id)
        .where(SlackChat.chat_id == chat_id)
    )


async def workspace_pole(session: Session, *, platform: str, user_id: str) -> Pole | None:
    """The pôle tied to the workspace this account writes from (a Slack workspace installed
    through OAuth), None elsewhere."""
    if platform != "slack":
        return None
    return await session.scalar(
        select(Pole)
        .join(SlackInstallation, SlackInstallation.pole_id == Pole.id)
        .join(SlackChat, SlackChat.team_id == SlackInstallation.team_id)
        .where(SlackChat.chat_id == user_id)
    )
