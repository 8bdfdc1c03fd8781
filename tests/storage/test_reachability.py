import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Identity
from tests.helpers.chat import Chat

BLOCKED = "Forbidden: bot was blocked by the user"


async def identity(app: App, platform: str, user_id: str) -> Identity:
    async with app.database.transaction() as session:
        found = await session.scalar(
            select(Identity).where(
                Identity.platform == platform, Identity.platform_user_id == user_id
            )
        )
    assert found is not None
    return found


async def mark(app: App, user_id: str, reason: str = BLOCKED) -> bool:
    async with app.database.transaction() as session:
        return await repo.mark_unreachable(
            session, platform="telegram", user_id=user_id, reason=reason
        )


async def test_mark_unreachable_records_when_and_why(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    before = datetime.now(UTC) - timedelta(seconds=1)

    assert await mark(app, "1001") is True

    stored = await identity(app, "telegram", "1001")
    assert stored.unreachable_reason == BLOCKED
    assert stored.unreachable_at is not None
    assert before <= stored.unreachable_at <= datetime.now(UTC)


async def test_mark_unreachable_of_an_unknown_account_returns_false(app: App) -> None:
    assert await mark(app, "999999") is False


async def test_a_second_refusal_keeps_the_first_time_and_the_latest_reason(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await mark(app, "1001")
    first = await identity(app, "telegram", "1001")

    await mark(app, "1001", "Forbidden: user is deactivated")

    again = await identity(app, "telegram", "1001")
    assert again.unreachable_at == first.unreachable_at
    assert again.unreachable_reason == "Forbidden: user is deactivated"


async def test_a_long_reason_is_cut_to_the_column_size(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")

    await mark(app, "1001", "Forbidden: " + "bot was blocked by the user; " * 20)

    stored = await identity(app, "telegram", "1001")
    assert stored.unreachable_reason is not None
    assert len(stored.unreachable_reason) == 200


async def test_a_message_from_an_unreachable_account_clears_the_mark(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await mark(app, "1001")

    await claire.say("/aide")

    stored = await identity(app, "telegram", "1001")
    assert (stored.unreachable_at, stored.unreachable_reason) == (None, None)


async def test_a_message_from_someone_else_leaves_the_mark(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    karim = Chat(app, Platform.TELEGRAM, "1002")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await karim.sign_up("Karim Benali", "Benali Maraîchage", "Végétal")
    await mark(app, "1001")

    await karim.say("/aide")

    assert (await identity(app, "telegram", "1001")).unreachable_reason == BLOCKED


async def test_the_data_export_shows_the_unreachable_mark(app: App) -> None:
    claire = Chat(app, Platform.TELEGRAM, "1001")
    await claire.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await mark(app, "1001")

    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="telegram", user_id="1001")
        assert person is not None
        exported = await repo.export_person(session, person=person)

    [account] = json.loads(json.dumps(exported))["comptes"]
    assert account["unreachable_reason"] == BLOCKED
    assert datetime.fromisoformat(account["unreachable_at"]).utcoffset() == timedelta(0)
