"""Random conversations of members, animators and admins of two pôles, in private and in
groups: whatever they type or press (current buttons and old ones), nothing personal reaches a
group or another pôle, nothing is done without its role, and the bot always answers."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from bot.app import App
from bot.config import Settings
from bot.messages import Button, Incoming, IncomingFile, Platform, Reply
from bot.storage import repositories as repo
from bot.storage.models import (
    Campaign,
    EditionSchedule,
    Feed,
    Identity,
    Membership,
    OutboxMessage,
    Person,
)


@dataclass(frozen=True)
class Actor:
    user_id: str
    name: str
    company: str
    pole: str
    role: str


ACTORS = (
    Actor("7300000001", "Agnès Dumoulin", "Fromagerie Berthaut", "A", "member"),
    Actor("7300000002", "Karim Benhaddou", "Scop Les Tisserands", "A", "animator"),
    Actor("7300000003", "Sophie Lachaume", "Maison Perrin Vignobles", "A", "admin"),
    Actor("7300000004", "Yannick Le Goff", "Hydreos Conseil", "B", "member"),
    Actor("7300000005", "Maëlle Quéré", "Lumière Ingénierie", "B", "animator"),
)
GROUPS = {"A": "-1001000000001", "B": "-1001000000002"}
COMMANDS = (
    "/aide",
    "/menu",
    "/accueil",
    "/mesdonnees",
    "/lier",
    "/start",
    "/diffuser",
    "/diffuser statut",
    "/veille",
    "/veille abonner",
    "/veille sources",
    "/veille horaire note mardi 9h",
    "/veille ajouter https://www.ademe.fr/feed",
    "/diagnostic",
    "/diagnostic synthese",
    "/plan",
    "/nommer",
    "/oublier",
    "/langue en",
    "/langue fr",
    "/annuler",
    "/club",
    "/club creer Club BouRSE",
    "/club quitter",
)
# Said in private only: a group must never see them.
CONFIDENTIAL = (
    "Projet Orion : rachat de la tannerie en mars",
    "Budget RSE 2027 confidentiel 48 000 €",
)
FILE_NAME = "bilan-social-confidentiel.pdf"
INTERNAL_ERROR = "un problème technique"


@dataclass
class World:
    app: App
    seen: list[Button] = field(default_factory=list)
    # The last replies of each (actor, chat), for pressing their current buttons.
    last: dict[tuple[int, bool], list[Reply]] = field(default_factory=dict)
    codes: set[str] = field(default_factory=set)
    # Club codes given to animators of either pôle, typed by anyone later.
    club_codes: list[str] = field(default_factory=list)
    erased: set[str] = field(default_factory=set)


step = st.tuples(
    st.integers(0, len(ACTORS) - 1),
    st.booleans(),  # in the actor's pôle group
    st.sampled_from(["command", "press", "old_press", "text", "file", "join_club"]),
    st.integers(0, 200),
)


async def _start(template: Path, folder: Path) -> App:
    shutil.copyfile(template, folder / "rse-bot.db")
    app = await App.start(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=f"sqlite+aiosqlite:///{folder / 'rse-bot.db'}",
            locale="fr",
            files_dir=folder / "fichiers",
        )
    )
    async with app.database.transaction() as session:
        poles = {"A": await repo.default_pole(session)}
        poles["B"] = await repo.create_pole(session, name="Cluster Lumière Grand Est")
        for actor in ACTORS:
            person = await repo.create_person(
                session,
                platform="telegram",
                user_id=actor.user_id,
                display_name=actor.name,
                company=actor.company,
            )
            pole = poles[actor.pole]
            assert pole is not None
            member = await repo.join_pole(session, person=person, pole=pole)
            await repo.set_role(session, member=member, role=actor.role)
    return app


def _incoming(world: World, actor: Actor, in_group: bool, kind: str, pick: int) -> Incoming:
    chat = GROUPS[actor.pole] if in_group else actor.user_id
    where = {"is_group": in_group}
    platform = Platform.TELEGRAM
    current = [b for r in world.last.get((ACTORS.index(actor), in_group), []) for b in r.buttons]
    if kind == "press" and current:
        return Incoming.pressed(
            platform, actor.user_id, chat, current[pick % len(current)].value, **where
        )
    if kind == "old_press" and world.seen:
        value = world.seen[pick % len(world.seen)].value
        return Incoming.pressed(platform, actor.user_id, chat, value, **where)
    if kind == "join_club" and world.club_codes:
        code = world.club_codes[pick % len(world.club_codes)]
        return Incoming.typed(platform, actor.user_id, chat, f"/club rejoindre {code}", **where)
    if kind == "text" and not in_group:
        return Incoming.typed(platform, actor.user_id, chat, CONFIDENTIAL[pick % 2], **where)
    if kind == "file":

        async def fetch() -> bytes:
            return f"%PDF-1.4 {CONFIDENTIAL[0]}".encode()

        sent = IncomingFile(FILE_NAME, "application/pdf", 40, fetch)
        return Incoming.typed(platform, actor.user_id, chat, "", files=(sent,), **where)
    return Incoming.typed(platform, actor.user_id, chat, COMMANDS[pick % len(COMMANDS)], **where)


def _words_of(reply: Reply) -> str:
    attached = " ".join(f"{a.filename} {a.data.decode('latin-1')}" for a in reply.attachments)
    return f"{reply.text} {' '.join(b.label for b in reply.buttons)} {attached}"


def _check_replies(world: World, actor: Actor, in_group: bool, replies: list[Reply]) -> None:
    assert replies, "the bot stayed silent"
    said = " ".join(_words_of(r) for r in replies)
    assert INTERNAL_ERROR not in said, said
    others = [a for a in ACTORS if a.pole != actor.pole and a.name not in world.erased]
    for other in others:
        assert other.name not in said and other.company not in said, (other, said)
    if in_group:
        people = [a for a in ACTORS if a.name not in world.erased]
        assert not any(a.name in said or a.company in said for a in people), said
        assert not any(phrase in said for phrase in CONFIDENTIAL), said
        assert FILE_NAME not in said and "mes-donnees" not in said, said
        assert not any(code in said for code in world.codes), said
    for reply in replies:
        if "Son code : " in str(reply.text):
            world.club_codes.append(str(reply.text).split("Son code : ")[1].split(".")[0])
        if "Votre code de liaison : " in str(reply.text):
            world.codes.add(str(reply.text).split("Votre code de liaison : ")[1].split()[0])


async def _actions_by_role(world: World) -> tuple[int, int, int]:
    """What only animators may create: broadcasts, feeds, edition calendars."""
    async with world.app.database.transaction() as session:
        broadcasts = await session.scalar(
            select(func.count(Campaign.id)).where(Campaign.kind == "broadcast")
        )
        feeds = await session.scalar(select(func.count(Feed.id)))
        calendars = await session.scalar(select(func.count(EditionSchedule.id)))
    return broadcasts or 0, feeds or 0, calendars or 0


async def _check_outbox(world: World) -> None:
    """Every message queued goes to a member of the campaign's pôle."""
    async with world.app.database.transaction() as session:
        rows = await session.execute(
            select(OutboxMessage.platform, OutboxMessage.chat_id, Campaign.pole_id).join(
                Campaign, Campaign.id == OutboxMessage.campaign_id
            )
        )
        for platform, chat_id, pole_id in rows:
            member = await session.scalar(
                select(Membership.id)
                .join(Identity, Identity.person_id == Membership.person_id)
                .where(
                    Identity.platform == platform,
                    Identity.platform_user_id == chat_id,
                    Membership.pole_id == pole_id,
                )
            )
            assert member is not None, (platform, chat_id, pole_id)


async def _erased_names(world: World) -> set[str]:
    async with world.app.database.transaction() as session:
        kept = set(await session.scalars(select(Person.display_name)))
    return {a.name for a in ACTORS if a.name not in kept}


async def _play(template: Path, steps: list[tuple[int, bool, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = World(await _start(template, Path(folder)))
        try:
            # Menus shown in private earlier: their buttons can be pressed anywhere later.
            for actor in ACTORS:
                menu = Incoming.typed(Platform.TELEGRAM, actor.user_id, actor.user_id, "/menu")
                world.seen += [b for r in await world.app.handle(menu) for b in r.buttons]
            for index, in_group, kind, pick in steps:
                actor = ACTORS[index]
                before = await _actions_by_role(world)
                incoming = _incoming(world, actor, in_group, kind, pick)
                replies = await world.app.handle(incoming)
                world.erased = await _erased_names(world)
                _check_replies(world, actor, in_group, replies)
                world.last[(index, in_group)] = replies
                world.seen += [b for r in replies for b in r.buttons]
                if actor.role == "member":
                    assert await _actions_by_role(world) == before, incoming
            await _check_outbox(world)
        finally:
            await world.app.close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=30))
def test_random_conversations_keep_private_things_private(
    migrated_sqlite: Path, steps: list[tuple[int, bool, str, int]]
) -> None:
    asyncio.run(_play(migrated_sqlite, steps))
