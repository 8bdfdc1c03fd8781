import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.app import App
from bot.storage import repositories as repo
from bot.storage.models import Identity, LinkCode, Person
from bot.storage.session import Session

# Link codes are typed from another screen: no 0/O, 1/I/L, like invitation codes.
UNAMBIGUOUS = frozenset("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


async def _person(session: Session, *, name: str, user_id: str, **fields: str) -> Person:
    return await repo.create_person(
        session, platform="telegram", user_id=user_id, display_name=name, **fields
    )


async def test_a_link_code_is_eight_unambiguous_characters_valid_fifteen_minutes(
    app: App,
) -> None:
    before = datetime.now(UTC)
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001")
        link = await repo.create_link_code(session, person=claire)
    after = datetime.now(UTC)

    assert len(link.code) == 8 and set(link.code) <= UNAMBIGUOUS
    assert before + timedelta(minutes=15) <= link.expires_at <= after + timedelta(minutes=15)


async def test_a_new_code_sweeps_expired_codes_and_keeps_valid_ones(app: App) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001")
        karim = await _person(session, name="Karim Benali", user_id="1002")
        sophie = await _person(session, name="Sophie Durand", user_id="1003")
        await repo.create_link_code(session, person=karim, ttl=timedelta(0))
        valid = await repo.create_link_code(session, person=sophie)
        new = await repo.create_link_code(session, person=claire)
    async with app.database.transaction() as session:
        codes = set(await session.scalars(select(LinkCode.code)))

    assert codes == {valid.code, new.code}


async def test_a_code_typed_in_lower_case_with_a_dash_links_the_account(app: App) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001")
        link = await repo.create_link_code(session, person=claire)
    typed = f"{link.code[:4]}-{link.code[4:]}".lower()

    async with app.database.transaction() as session:
        linked = await repo.link_account(session, code=typed, platform="slack", user_id="U42")

    assert linked is not None and linked.id == claire.id
    async with app.database.transaction() as session:
        on_slack = await repo.person_for(session, platform="slack", user_id="U42")
        remaining = list(await session.scalars(select(LinkCode)))
    assert on_slack is not None and on_slack.id == claire.id
    assert remaining == []


async def test_merging_fills_only_the_empty_profile_fields(app: App) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001", sector="industrie")
        await repo.create_person(
            session,
            platform="slack",
            user_id="U42",
            display_name="C. Martin",
            company="Scop Les Tisserands",
            sector="numerique",
            locale="en",
        )
        link = await repo.create_link_code(session, person=claire)

    async with app.database.transaction() as session:
        merged = await repo.link_account(session, code=link.code, platform="slack", user_id="U42")

    assert merged is not None
    assert (merged.display_name, merged.company, merged.sector, merged.locale) == (
        "Claire Martin",
        "Scop Les Tisserands",
        "industrie",
        "en",
    )


async def test_merging_moves_every_account_and_deletes_the_other_persons_codes(
    app: App,
) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001")
        other = await repo.create_person(
            session, platform="slack", user_id="U42", display_name="Claire Martin"
        )
        session.add(Identity(person_id=other.id, platform="console", platform_user_id="claire"))
        await repo.create_link_code(session, person=other)
        link = await repo.create_link_code(session, person=claire)

    async with app.database.transaction() as session:
        await repo.link_account(session, code=link.code, platform="slack", user_id="U42")

    async with app.database.transaction() as session:
        accounts = [
            (i.platform, i.platform_user_id)
            for i in await repo.identities_of(session, person_id=claire.id)
        ]
        people = list(await session.scalars(select(Person.id)))
        codes = list(await session.scalars(select(LinkCode)))
    assert accounts == [("telegram", "1001"), ("slack", "U42"), ("console", "claire")]
    assert people == [claire.id]
    assert codes == []


async def test_the_data_export_lists_pending_link_codes(app: App) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="1001")
        link = await repo.create_link_code(session, person=claire)
        exported = await repo.export_person(session, person=claire)

    [listed] = json.loads(json.dumps(exported))["codes_de_liaison"]
    assert listed["code"] == link.code
