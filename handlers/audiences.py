"""Who a message "to the members" reaches: one account per person, on the platforms the bot
can write to first. Shared by /diffuser and ``rse-bot broadcast``.

An audience is named ``all``, ``veille`` (the members subscribed to the watch digest),
``veille:THEME`` (those of them who receive that theme), ``club:ID`` (the members of one of
the pôle's clubs who accepted its current charter) or ``partners:ID`` (the respondents of one of
the pôle's survey projects' partners, members of the pôle or not)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from bot.messages import Platform
from bot.outbox import Recipient
from bot.storage import repositories as repo
from bot.storage.models import Identity
from bot.storage.session import Session

# Console accounts are people at this machine's terminal: nothing can reach them unasked.
REACHABLE_FIRST: tuple[Platform, ...] = (Platform.TELEGRAM, Platform.SLACK)
_REACHABLE = tuple(platform.value for platform in REACHABLE_FIRST)


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


async def pole_members(
    session: Session, *, pole_id: int, among: Collection[int] | None = None
) -> list[list[Identity]]:
    """Every member's accounts (of the people ``among`` if given) on the platforms we can write
    to first, oldest first."""
    return await repo.member_accounts(session, pole_id=pole_id, platforms=_REACHABLE, among=among)


async def digest_subscribers(
    session: Session, *, pole_id: int, theme: str | None = None
) -> list[list[Identity]]:
    """The members subscribed to the pôle's watch digest (to ``theme`` if given: those who
    chose it, or every theme). Groups and channels are not people: left out."""
    subscribed = await repo.person_subscriptions(session, pole_id=pole_id)
    people = {
        person for person, themes in subscribed if theme is None or not themes or theme in themes
    }
    return await pole_members(session, pole_id=pole_id, among=people)


async def club_members(session: Session, *, pole_id: int, club: str) -> list[list[Identity]]:
    """The members of the pôle's club ``club`` (its id) who accepted its current charter: those
    who have not are shown nothing of the club, its messages included."""
    people = await repo.club_member_ids(session, pole_id=pole_id, club_id=int(club))
    return await pole_members(session, pole_id=pole_id, among=people)


async def partner_respondents(
    session: Session, *, pole_id: int, project: str
) -> list[list[Identity]]:
    """The respondents of every partner of the pôle's survey project ``project`` (its id);
    nobody for another pôle's project. Partners are often not members of the pôle (public
    bodies, research institutes): their respondents are reached all the same."""
    found = await repo.survey_project(session, pole_id=pole_id, project_id=int(project))
    if found is None or found.id is None:
        return []
    return await repo.respondent_accounts(session, project_id=found.id, platforms=_REACHABLE)


AUDIENCES: dict[str, Callable[..., Awaitable[list[list[Identity]]]]] = {
    "all": pole_members,
    "veille": digest_subscribers,
    "club": club_members,
    "partners": partner_respondents,
}
# Audiences narrowed by ``NAME:QUALIFIER``, and the keyword their function takes it as.
QUALIFIED: dict[str, str] = {"veille": "theme", "club": "club", "partners": "project"}


def known(audience: str, themes: Collection[str]) -> bool:
    """Whether ``audience`` is one the command line sends to: ``all``, ``veille`` or
    ``veille:THEME`` with one of ``themes`` (a club or a project is found by its name in the
    database)."""
    name, _, theme = audience.partition(":")
    if name == "veille":
        return not theme or theme in themes
    return name == "all" and not theme


async def resolve(
    session: Session, *, audience: str, pole_id: int, platform: Platform | None = None
) -> Audience:
    """One recipient per person: their first reachable account (on ``platform`` if given)."""
    name, _, qualifier = audience.partition(":")
    narrowed = {QUALIFIED[name]: qualifier} if qualifier else {}
    people = await AUDIENCES[name](session, pole_id=pole_id, **narrowed)
    chosen = (_chosen(accounts, platform) for accounts in people)
    return Audience(tuple(recipient for recipient in chosen if recipient is not None))


async def recipient_of(session: Session, *, person_id: int) -> Recipient | None:
    """Where to write to one person first: their first reachable account, if any."""
    return _chosen(await repo.accounts_on(session, person_id=person_id, platforms=_REACHABLE))


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
