"""Each step of a wave happens once when two instances decide it at the same moment: the
scheduled opening (a unique opening moment per project) and the close (a conditional update),
with their messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from bot.app import App
from bot.storage.models import Campaign, SurveyWave
from bot.storage.session import Session
from handlers.survey import waves
from tests.helpers.chat import Chat
from tests.helpers.instances import at_once

# 15 March 2027, 09:00 in Paris.
OPENING = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)


async def campaigns(app: App, kind: str) -> int:
    async with app.database.transaction() as session:
        return (
            await session.scalar(select(func.count(Campaign.id)).where(Campaign.kind == kind)) or 0
        )


async def test_two_instances_open_the_scheduled_wave_once(
    app: App,
    claire: Chat,
    project: dict,
) -> None:
    async def decide(session: Session) -> int:
        return await waves.run_due(session, app.settings, app.content, now=OPENING)

    assert sorted(await at_once(app, "INSERT INTO survey_waves", decide)) == [0, 1]
    async with app.database.transaction() as session:
        assert await session.scalar(select(func.count(SurveyWave.id))) == 1
    assert await campaigns(app, "survey_invitation") == 3  # one per partner


async def test_two_instances_close_the_wave_once(
    app: App,
    claire: Chat,
    project: dict,
) -> None:
    await claire.say(f"/enquete ouvrir {project['number']}")
    async with app.database.transaction() as session:
        (closes_at,) = await session.scalars(select(SurveyWave.closes_at))

    async def decide(session: Session) -> int:
        return await waves.run_due(
            session, app.settings, app.content, now=closes_at + timedelta(minutes=1)
        )

    assert sorted(await at_once(app, "UPDATE survey_waves", decide)) == [0, 1]
    # One results message per audience and language: the partners' and the animators'.
    assert await campaigns(app, "survey_results") == 2
