"""Who a message "to the members" reaches: one account per person, on the platforms the bot
can write to first. Shared by /diffuser and ``rse-bot broadcast``; clubs, survey partners and
digest subscribers join ``AUDIENCES`` as those features arrive."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from bot.messages import Platform
from bot.outbox import Recipient
from bot.storage.models import Identity, Membership

# Console accounts are people at this machine's terminal: nothing can reach them unasked.
REACHABLE_FIRST: tuple[Platform, ...] = (Platform.TELEGRAM, Platform.SLACK)


@dataclass(frozen=True, slots=True)
class Audience:
    recipients: tuple[Recipient, ...]

    def count(self, platform: Platform) -> int:
        return sum(1 for r in self.recipients if r.platform == platform and not r.unreachable)

    @property
    def unreachable(self) -> int:
        return sum(1 for r in self.recipients if r.unreachable)

    @property
    def reachable(self) -> int:
        return len(self.recipients) - self.unreachable

    def by_platform(self) -> Counter[Platform]:
        return Counter(r.platform for r in self.recipients if not r.unreachable)


async def pole_members(session: AsyncSession, *, pole_id: int) -> list[list[Identity]]:
    """Every member's accounts on the platforms we can write to first, oldest first."""
    rows = await session.execute(
        select(Identity)
        .join(Membership, Membership.person_id == Identity.person_id)
        .where(
            Membership.pole_id == pole_id,
            Identity.platform.in_([p.value for p in REACHABLE_FIRST]),
        )
        .order_by(Identity.person_id, Identity.id)
    )
    people: dict[int, list[Identity]] = {}
    for (identity,) in rows:
        people.setdefault(identity.person_id, []).append(identity)
    return list(people.values())


AUDIENCES: dict[str, Callable[..., Awaitable[list[list[Identity]]]]] = {
    "all": pole_members,
}


async def resolve(
    session: AsyncSession, *, audience: str, pole_id: int, platform: Platform | None = None
) -> Audience:
    """One recipient per person: their first reachable account (on ``platform`` if given)."""
    people = await AUDIENCES[audience](session, pole_id=pole_id)
    chosen = (_chosen(accounts, platform) for accounts in people)
    return Audience(tuple(recipient for recipient in chosen if recipient is not None))


async def recipient_of(session: AsyncSession, *, person_id: int) -> Recipient | None:
    """Where to write to one person first: their first reachable account, if any."""
    accounts = await session.scalars(
        select(Identity)
        .where(
            Identity.person_id == person_id,
            Identity.platform.in_([p.value for p in REACHABLE_FIRST]),
        )
        .order_by(Identity.id)
    )
    return _chosen(list(accounts))


def _chosen(accounts: list[Identity], platform: Platform | None = None) -> Recipient | None:
    """The first reachable of a person's accounts (on ``platform`` if given), else the first,
    recorded as unreachable so that reports name it."""
    candidates = [a for a in accounts if platform is None or a.platform == platform.value]
    if not candidates:
        return None
    account = next((a for a in candidates if a.unreachable_at is None), candidates[0])
    unreachable = None
    if account.unreachable_at is not None:
        unreachable = account.unreachable_reason or "injoignable"
    return Recipient(Platform(account.platform), account.platform_user_id, unreachable)
