"""Small queries over the tables; each takes the session first and keyword arguments after."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import select

from bot.storage.models import (
    ROLES,
    ConversationState,
    Identity,
    Membership,
    Person,
    Pole,
    utcnow,
)

# No 0/O, 1/I/L: codes are read aloud at meetings and typed from paper.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_CODE_LENGTH = 8


class PoleNameTaken(Exception):
    """Another pôle already has this name."""


def new_invite_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(INVITE_CODE_LENGTH))


def normalize_invite_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


async def _pole_named(session: AsyncSession, name: str) -> Pole | None:
    # Compared in Python: SQLite's lower() leaves « É » or « Î » as they are.
    wanted = " ".join(name.split()).casefold()
    poles = await list_poles(session)
    return next((pole for pole in poles if pole.name.casefold() == wanted), None)


async def create_pole(session: AsyncSession, *, name: str, is_default: bool = False) -> Pole:
    name = " ".join(name.split())
    if await _pole_named(session, name) is not None:
        raise PoleNameTaken(name)
    pole = Pole(name=name, invite_code=new_invite_code(), is_default=is_default)
    session.add(pole)
    await session.flush()
    return pole


async def default_pole(session: AsyncSession) -> Pole | None:
    return await session.scalar(select(Pole).where(Pole.is_default))


async def ensure_default_pole(session: AsyncSession, *, name: str) -> Pole:
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


async def list_poles(session: AsyncSession) -> list[Pole]:
    return list(await session.scalars(select(Pole).order_by(Pole.id)))


async def pole_by_id(session: AsyncSession, pole_id: int | None) -> Pole | None:
    return None if pole_id is None else await session.get(Pole, pole_id)


async def pole_by_code(session: AsyncSession, *, code: str) -> Pole | None:
    normalized = normalize_invite_code(code)
    if not normalized:
        return None
    return await session.scalar(select(Pole).where(Pole.invite_code == normalized))


async def pole_by_name_or_code(session: AsyncSession, *, key: str) -> Pole | None:
    by_name = await _pole_named(session, key)
    return by_name or await pole_by_code(session, code=key)


async def person_for(session: AsyncSession, *, platform: str, user_id: str) -> Person | None:
    return await session.scalar(
        select(Person)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.platform == platform, Identity.platform_user_id == user_id)
    )


async def create_person(
    session: AsyncSession, *, platform: str, user_id: str, **fields: Any
) -> Person:
    person = Person(consent_at=utcnow(), **fields)
    session.add(person)
    await session.flush()
    session.add(Identity(person_id=person.id, platform=platform, platform_user_id=user_id))
    await session.flush()
    return person


async def identities_of(session: AsyncSession, *, person_id: int) -> list[Identity]:
    return list(
        await session.scalars(
            select(Identity).where(Identity.person_id == person_id).order_by(Identity.id)
        )
    )


async def membership(session: AsyncSession, *, person_id: int, pole_id: int) -> Membership | None:
    return await session.scalar(
        select(Membership).where(Membership.person_id == person_id, Membership.pole_id == pole_id)
    )


async def join_pole(session: AsyncSession, *, person: Person, pole: Pole) -> Membership:
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


async def set_role(session: AsyncSession, *, member: Membership, role: str) -> Membership:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    member.role = role
    session.add(member)
    await session.flush()
    return member


async def members_of(session: AsyncSession, *, pole_id: int) -> list[tuple[Person, Membership]]:
    rows = await session.execute(
        select(Person, Membership)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.pole_id == pole_id)
        .order_by(Person.display_name, Person.id)
    )
    return [(person, member) for person, member in rows]


async def load_state(session: AsyncSession, *, platform: str, user_id: str) -> ConversationState:
    """The account's conversation state, new and unsaved if it has none yet."""
    state = await session.scalar(
        select(ConversationState)
        .where(
            ConversationState.platform == platform,
            ConversationState.platform_user_id == user_id,
        )
        .with_for_update()
    )
    return state or ConversationState(platform=platform, platform_user_id=user_id)


async def save_state(session: AsyncSession, *, state: ConversationState) -> None:
    state.updated_at = utcnow()
    # Flows change the answers dict in place, which SQLAlchemy cannot see by itself.
    flag_modified(state, "data")
    session.add(state)
    await session.flush()


async def delete_states(session: AsyncSession, *, identities: list[tuple[str, str]]) -> None:
    for platform, user_id in identities:
        await session.execute(
            delete(ConversationState).where(
                ConversationState.platform == platform,
                ConversationState.platform_user_id == user_id,
            )
        )


async def export_person(session: AsyncSession, *, person: Person) -> dict[str, Any]:
    """Everything stored about ``person``, as plain JSON-ready data."""
    assert person.id is not None
    identities = await identities_of(session, person_id=person.id)
    memberships = await session.execute(
        select(Membership, Pole)
        .join(Pole, Pole.id == Membership.pole_id)
        .where(Membership.person_id == person.id)
    )
    states = [
        await load_state(session, platform=i.platform, user_id=i.platform_user_id)
        for i in identities
    ]
    return {
        "personne": person.model_dump(mode="json"),
        "comptes": [i.model_dump(mode="json") for i in identities],
        "adhesions": [
            {"pole": pole.name, "role": member.role, "depuis": member.created_at.isoformat()}
            for member, pole in memberships
        ],
        "conversations": [s.model_dump(mode="json") for s in states if s.id is not None],
    }


async def erase_person(session: AsyncSession, *, person: Person) -> None:
    """Delete the person, their accounts, memberships and conversation states."""
    assert person.id is not None
    identities = await identities_of(session, person_id=person.id)
    await delete_states(session, identities=[(i.platform, i.platform_user_id) for i in identities])
    await session.execute(delete(Membership).where(Membership.person_id == person.id))
    await session.execute(delete(Identity).where(Identity.person_id == person.id))
    await session.execute(delete(Person).where(Person.id == person.id))
    await session.flush()
