import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from bot.app import App
from bot.config import Settings
from bot.storage import repositories as repo
from bot.storage.models import ConversationState, Identity, Membership, Person, Pole
from bot.storage.session import Session

# Invitation codes are read aloud and typed from paper: no 0/O, 1/I/L.
UNAMBIGUOUS = frozenset("ABCDEFGHJKMNPQRSTUVWXYZ23456789")


async def _person(
    session: Session,
    *,
    name: str,
    user_id: str,
    platform: str = "telegram",
    company: str = "Biocoop Lyon",
) -> Person:
    return await repo.create_person(
        session,
        platform=platform,
        user_id=user_id,
        display_name=name,
        company=company,
        sector="agro_bio",
    )


async def _count(session: Session, model: type[SQLModel]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _save_state(
    session: Session, *, platform: str, user_id: str, data: dict[str, object]
) -> None:
    state = (await repo.account(session, platform=platform, user_id=user_id)).state
    state.flow, state.step, state.data = "onboarding", "company", data
    repo.save_state(session, state=state, answers_changed=True)


async def test_ensure_default_pole_is_idempotent(app: App, settings: Settings) -> None:
    async with app.database.transaction() as session:
        first = await repo.ensure_default_pole(session, name=settings.default_pole_name)
    async with app.database.transaction() as session:
        second = await repo.ensure_default_pole(session, name=settings.default_pole_name)
        poles = await repo.list_poles(session)
    assert first.id == second.id
    assert [(p.name, p.is_default) for p in poles] == [("Pôle RSE", True)]


async def test_create_pole_gives_an_eight_character_unambiguous_code(app: App) -> None:
    async with app.database.transaction() as session:
        poles = [await repo.create_pole(session, name=f"Club RSE du {n:02}") for n in range(1, 21)]
    codes = [pole.invite_code for pole in poles]
    assert all(len(code) == 8 for code in codes)
    assert set("".join(codes)) <= UNAMBIGUOUS
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    ("existing", "requested"),
    [
        ("Cluster Bio AURA", "cluster bio aura"),
        ("Cluster Bio AURA", "  Cluster   Bio  AURA "),
        ("Éco-Industries Occitanie", "Éco-Industries Occitanie"),
        ("Éco-Industries Occitanie", "éco-industries occitanie"),
        ("Pôle Végétal", "PÔLE VÉGÉTAL"),
    ],
)
async def test_create_pole_refuses_a_taken_name_whatever_its_case(
    app: App, existing: str, requested: str
) -> None:
    async with app.database.transaction() as session:
        await repo.create_pole(session, name=existing)
    with pytest.raises(repo.PoleNameTaken):
        async with app.database.transaction() as session:
            await repo.create_pole(session, name=requested)
    async with app.database.transaction() as session:
        assert len(await repo.list_poles(session)) == 2


@pytest.mark.parametrize("typed", ["île-de-france rse", "ÎLE-DE-FRANCE RSE"])
async def test_pole_by_name_or_code_finds_a_name_whatever_its_case(app: App, typed: str) -> None:
    async with app.database.transaction() as session:
        pole = await repo.create_pole(session, name="Île-de-France RSE")
    async with app.database.transaction() as session:
        found = await repo.pole_by_name_or_code(session, key=typed)
    assert found is not None and found.id == pole.id


async def test_pole_by_code_accepts_lower_case_spaces_and_dashes(app: App) -> None:
    async with app.database.transaction() as session:
        pole = await repo.create_pole(session, name="Cluster Bio AURA")
    code = pole.invite_code
    typed = [code.lower(), f"{code[:4]} {code[4:]}", f"{code[:4]}-{code[4:]}".lower(), f" {code} "]
    async with app.database.transaction() as session:
        found = [await repo.pole_by_code(session, code=text) for text in typed]
    assert [p.id if p else None for p in found] == [pole.id] * len(typed)


async def test_pole_by_code_finds_nothing_for_a_blank_code(app: App) -> None:
    async with app.database.transaction() as session:
        assert await repo.pole_by_code(session, code=" - ") is None


async def test_person_for_finds_a_person_by_their_platform_account(app: App) -> None:
    async with app.database.transaction() as session:
        claire = await _person(session, name="Claire Martin", user_id="812345670")
    async with app.database.transaction() as session:
        on_telegram = await repo.person_for(session, platform="telegram", user_id="812345670")
        on_slack = await repo.person_for(session, platform="slack", user_id="812345670")
    assert on_telegram is not None and on_telegram.id == claire.id
    assert on_slack is None


async def test_an_account_belongs_to_one_person_only(app: App) -> None:
    async with app.database.transaction() as session:
        await _person(session, name="Claire Martin", user_id="812345670")
    with pytest.raises(IntegrityError):
        async with app.database.transaction() as session:
            await _person(session, name="Karim Benali", user_id="812345670")


async def test_join_pole_makes_it_the_active_pole(app: App) -> None:
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None
        cluster = await repo.create_pole(session, name="Cluster Bio AURA")
        claire = await _person(session, name="Claire Martin", user_id="812345670")
        await repo.join_pole(session, person=claire, pole=default)
        await repo.join_pole(session, person=claire, pole=cluster)
    async with app.database.transaction() as session:
        stored = await session.get(Person, claire.id)
        pole_ids = set(await session.scalars(select(Membership.pole_id)))
    assert stored is not None and stored.active_pole_id == cluster.id
    assert pole_ids == {default.id, cluster.id}


async def test_joining_a_pole_again_keeps_the_role_held_there(app: App) -> None:
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None
        cluster = await repo.create_pole(session, name="Cluster Bio AURA")
        claire = await _person(session, name="Claire Martin", user_id="812345670")
        member = await repo.join_pole(session, person=claire, pole=cluster)
        await repo.set_role(session, member=member, role="animator")
        await repo.join_pole(session, person=claire, pole=default)
    async with app.database.transaction() as session:
        again = await repo.join_pole(session, person=claire, pole=cluster)
    async with app.database.transaction() as session:
        stored = await repo.membership(session, person_id=claire.id, pole_id=cluster.id)
        person = await session.get(Person, claire.id)
    assert again.role == "animator"
    assert stored is not None and stored.role == "animator"
    assert person is not None and person.active_pole_id == cluster.id


async def test_members_of_lists_only_that_poles_members(app: App) -> None:
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None
        cluster = await repo.create_pole(session, name="Cluster Bio AURA")
        for name, user_id, pole in [
            ("Claire Martin", "812345670", cluster),
            ("Karim Benali", "812345671", default),
            ("Sophie Durand", "812345672", cluster),
        ]:
            person = await _person(session, name=name, user_id=user_id)
            await repo.join_pole(session, person=person, pole=pole)
    async with app.database.transaction() as session:
        members = await repo.members_of(session, pole_id=cluster.id)
    assert [person.display_name for person, _ in members] == ["Claire Martin", "Sophie Durand"]
    assert {member.pole_id for _, member in members} == {cluster.id}


async def test_conversation_state_keeps_answers_changed_in_place(app: App) -> None:
    async with app.database.transaction() as session:
        await _save_state(
            session,
            platform="telegram",
            user_id="812345670",
            data={"reponses": {"name": "Claire Martin"}},
        )
    async with app.database.transaction() as session:
        state = (await repo.account(session, platform="telegram", user_id="812345670")).state
        state.data["reponses"]["company"] = "Biocoop Lyon"
        repo.save_state(session, state=state, answers_changed=True)
    async with app.database.transaction() as session:
        stored = (await repo.account(session, platform="telegram", user_id="812345670")).state
    assert (stored.flow, stored.step) == ("onboarding", "company")
    assert stored.data == {"reponses": {"name": "Claire Martin", "company": "Biocoop Lyon"}}


async def test_conversation_state_survives_a_restart(app: App, settings: Settings) -> None:
    async with app.database.transaction() as session:
        await _save_state(
            session,
            platform="console",
            user_id="alice",
            data={"name": "Alice Martin", "reponses": {"q1": "oui"}},
        )
    restarted = await App.start(settings)
    try:
        async with restarted.database.transaction() as session:
            stored = (await repo.account(session, platform="console", user_id="alice")).state
    finally:
        await restarted.close()
    assert stored.id is not None
    assert (stored.flow, stored.step) == ("onboarding", "company")
    assert stored.data == {"name": "Alice Martin", "reponses": {"q1": "oui"}}


async def test_export_person_gives_profile_accounts_and_memberships(app: App) -> None:
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None
        cluster = await repo.create_pole(session, name="Cluster Bio AURA")
        claire = await _person(session, name="Claire Martin", user_id="812345670")
        session.add(Identity(person_id=claire.id, platform="slack", platform_user_id="U04CLAIRE"))
        await repo.join_pole(session, person=claire, pole=default)
        member = await repo.join_pole(session, person=claire, pole=cluster)
        await repo.set_role(session, member=member, role="animator")
        karim = await _person(session, name="Karim Benali", user_id="812345671")
        await repo.join_pole(session, person=karim, pole=cluster)
    async with app.database.transaction() as session:
        exported = await repo.export_person(session, person=claire)
    json.dumps(exported)  # sent as a file as it is
    assert exported["personne"]["display_name"] == "Claire Martin"
    assert exported["personne"]["company"] == "Biocoop Lyon"
    assert {(a["platform"], a["platform_user_id"]) for a in exported["comptes"]} == {
        ("telegram", "812345670"),
        ("slack", "U04CLAIRE"),
    }
    assert {(m["pole"], m["role"]) for m in exported["adhesions"]} == {
        ("Pôle RSE", "member"),
        ("Cluster Bio AURA", "animator"),
    }


async def test_erase_person_removes_everything_about_them_and_nobody_else(app: App) -> None:
    async with app.database.transaction() as session:
        default = await repo.default_pole(session)
        assert default is not None
        claire = await _person(session, name="Claire Martin", user_id="812345670")
        session.add(Identity(person_id=claire.id, platform="slack", platform_user_id="U04CLAIRE"))
        await repo.join_pole(session, person=claire, pole=default)
        karim = await _person(session, name="Karim Benali", user_id="812345671")
        await repo.join_pole(session, person=karim, pole=default)
        for platform, user_id in [
            ("telegram", "812345670"),
            ("slack", "U04CLAIRE"),
            ("telegram", "812345671"),
        ]:
            await _save_state(session, platform=platform, user_id=user_id, data={"q": 1})
    async with app.database.transaction() as session:
        await repo.erase_person(session, person=claire)
    async with app.database.transaction() as session:
        assert await session.get(Person, claire.id) is None
        assert await repo.person_for(session, platform="slack", user_id="U04CLAIRE") is None
        counts = [
            await _count(session, model)
            for model in (Person, Identity, Membership, ConversationState)
        ]
        remaining = await repo.person_for(session, platform="telegram", user_id="812345671")
        state = (await repo.account(session, platform="telegram", user_id="812345671")).state
    assert counts == [1, 1, 1, 1]
    assert remaining is not None and remaining.display_name == "Karim Benali"
    assert state.data == {"q": 1}


async def test_timestamps_come_back_as_aware_utc(app: App) -> None:
    # Just after the switch to summer time in Paris: 03:30 there is 01:30 UTC.
    consent = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Paris"))
    before = datetime.now(UTC) - timedelta(seconds=1)
    async with app.database.transaction() as session:
        pole = await repo.create_pole(session, name="Cluster Bio AURA")
        claire = await _person(session, name="Claire Martin", user_id="812345670")
        claire.consent_at = consent
        member = await repo.join_pole(session, person=claire, pole=pole)
        await _save_state(session, platform="telegram", user_id="812345670", data={})
    async with app.database.transaction() as session:
        stored_person = await session.get(Person, claire.id)
        stored_pole = await session.get(Pole, pole.id)
        stored_member = await session.get(Membership, member.id)
        state = (await repo.account(session, platform="telegram", user_id="812345670")).state
        identity = (await repo.identities_of(session, person_id=claire.id))[0]
    assert stored_person is not None and stored_pole is not None and stored_member is not None
    assert stored_person.consent_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    recorded = [
        stored_person.consent_at,
        stored_person.created_at,
        stored_person.updated_at,
        stored_pole.created_at,
        stored_member.created_at,
        state.updated_at,
        identity.created_at,
    ]
    assert all(moment.utcoffset() == timedelta(0) for moment in recorded)
    assert before <= stored_pole.created_at <= datetime.now(UTC)
