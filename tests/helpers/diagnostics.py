"""Diagnostics inserted as rows, and reports called through the context the router builds, for
the tests of the diagnostic's history, synthesis and pôle comparison."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from bot.app import App
from bot.conversation import Context
from bot.messages import Incoming, Platform, Reply
from bot.storage import repositories as repo
from bot.storage.models import Diagnostic
from content.loader import default_content

SECTIONS = [section.id for section in default_content().diagnostic.sections]
Report = Callable[[Context], Awaitable[list[Reply]]]
# Company, score, level, then scores per subject (see by_subject).
CompanyRow = tuple[str | None, float, str, tuple[float | None, ...]]

# Five companies of the pôle. Hydreos Conseil answered "je ne sais pas" to every question on
# consumers: four companies only have a score there.
FIVE: list[CompanyRow] = [
    ("Biocoop Lyon", 72.0, "confirme", (80, 67, 75, 60, 90, 70, 62)),
    ("Scop Les Tisserands", 45.5, "intermediaire", (50, 33, 50, 40, 67, 50, 30)),
    ("Hydreos Conseil", 30.0, "debutant", (33, 0, 40, 20, 50, None, 33)),
    ("Maison Perrin Vignobles", 85.0, "expert", (90, 100, 80, 85, 90, 80, 70)),
    ("Fromagerie Berthaut", 52.5, "intermediaire", (60, 50, 67, 33, 70, 40, 45)),
]
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def by_subject(*percents: float | None) -> dict[str, float | None]:
    """Scores in the questionnaire's order: gouvernance, droits de l'Homme, conditions de
    travail, environnement, loyauté, consommateurs, communautés."""
    assert len(percents) == len(SECTIONS) == 7
    return dict(zip(SECTIONS, percents, strict=True))


async def add_member(
    app: App,
    user_id: str,
    name: str,
    company: str | None,
    *,
    role: str = "member",
    pole_id: int | None = None,
) -> tuple[int, int]:
    """A console account signed up in the default pôle (or ``pole_id``): (person id, pôle id)."""
    async with app.database.transaction() as session:
        pole = await repo.pole_by_id(session, pole_id) or await repo.default_pole(session)
        assert pole is not None
        person = await repo.create_person(
            session, platform="console", user_id=user_id, display_name=name, company=company
        )
        member = await repo.join_pole(session, person=person, pole=pole)
        await repo.set_role(session, member=member, role=role)
        assert person.id is not None and pole.id is not None
        return person.id, pole.id


async def add_diagnostic(
    app: App,
    member: tuple[int, int],
    *,
    company: str | None,
    when: datetime,
    score: float,
    level: str,
    sections: dict[str, float | None],
    version: str = "full",
) -> None:
    person_id, pole_id = member
    async with app.database.transaction() as session:
        session.add(
            Diagnostic(
                person_id=person_id,
                pole_id=pole_id,
                company=company,
                sector="agro_bio",
                questionnaire="diagnostic",
                version=version,
                score=score,
                level=level,
                section_scores=sections,
                completed_at=when,
            )
        )


async def add_companies(
    app: App,
    companies: Sequence[CompanyRow],
    *,
    prefix: str = "membre",
    pole_id: int | None = None,
    when: datetime = NOVEMBER,
) -> None:
    """One member per entry (``membre-0``, ``membre-1``...), each with one diagnostic of that
    company."""
    for index, (company, score, level, sections) in enumerate(companies):
        member = await add_member(
            app, f"{prefix}-{index}", f"Membre {index}", company, pole_id=pole_id
        )
        await add_diagnostic(
            app,
            member,
            company=company,
            when=when,
            score=score,
            level=level,
            sections=by_subject(*sections),
        )


async def run(app: App, user_id: str, report: Report) -> list[Reply]:
    """Call ``report`` with the context the router builds for this console account."""
    incoming = Incoming.typed(Platform.CONSOLE, user_id, user_id, "/diagnostic")
    async with app.database.transaction() as session:
        sender = await repo.account(session, platform="console", user_id=user_id)
        context = Context(
            session,
            app.settings,
            app.content,
            incoming,
            sender.state,
            app.router.visible_commands,
            sender.person,
            sender.pole,
            sender.member,
        )
        return await report(context)


def text_of(replies: Sequence[Reply]) -> str:
    return "\n".join(str(reply.text) for reply in replies)


def lines_of(replies: Sequence[Reply]) -> list[str]:
    return text_of(replies).splitlines()
