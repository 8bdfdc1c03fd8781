import json
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Incoming, Platform
from bot.storage import repositories as repo
from bot.storage.models import LinkCode, Person
from tests.helpers.chat import Chat
from tests.helpers.rows import count, memberships_of, new_pole, stored

UNAMBIGUOUS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_IN_TEXT = re.compile(rf"/lier ([{UNAMBIGUOUS}]{{8}})")


@pytest.fixture
def telegram(app: App) -> Chat:
    return Chat(app, Platform.TELEGRAM, "1001")


@pytest.fixture
def slack(app: App) -> Chat:
    return Chat(app, Platform.SLACK, "U42")


@pytest.fixture
async def claire(telegram: Chat) -> Chat:
    """Claire Martin, signed up on Telegram and animator of the default pôle."""
    await telegram.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await telegram.grant("animator")
    return telegram


async def code_of(chat: Chat) -> str:
    """Ask for a link code the way a member would, and read it in the answer."""
    await chat.say("/lier")
    match = CODE_IN_TEXT.search(chat.text)
    assert match is not None, chat.text
    return match[1]


async def link_codes(app: App) -> list[LinkCode]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(LinkCode)))


async def test_a_member_gets_a_one_time_code_and_how_to_use_it(claire: Chat) -> None:
    await claire.say("/lier")

    code = CODE_IN_TEXT.search(claire.text)
    assert code is not None
    assert claire.text == (
        f"Votre code de liaison : {code[1]}\n"
        "Sur votre autre compte (Telegram, Slack ou console), tapez "
        f"/lier {code[1]} dans les 15 minutes : les deux comptes seront alors un seul et même "
        "membre, avec le même profil, le même pôle, les mêmes rôles et les mêmes réponses.\n"
        "Ce code ne sert qu'une fois. Ne le donnez à personne : il ouvre l'accès à votre profil."
    )


async def test_asking_again_replaces_the_previous_code(app: App, claire: Chat) -> None:
    first = await code_of(claire)

    second = await code_of(claire)

    assert [link.code for link in await link_codes(app)] == [second]
    assert first != second


async def test_a_new_slack_account_is_linked_with_consent_explained(
    claire: Chat, slack: Chat
) -> None:
    code = await code_of(claire)

    await slack.say(f"/lier {code}")

    assert str(slack.replies[0].text) == (
        "C'est fait : ce compte est lié au profil de Claire Martin. "
        "Comptes liés : telegram, slack.\n"
        "Profil, pôle, rôles et réponses sont désormais partagés entre ces comptes. "
        "Ce profil a donné son accord RGPD à l'inscription : cet accord vaut aussi pour ce "
        "compte, dont je conserve l'identifiant. /mesdonnees et /oublier s'appliquent à tous "
        "les comptes liés."
    )
    assert "Lier un autre compte" in [b.label for b in slack.buttons]


async def test_a_linked_slack_account_is_the_same_person(claire: Chat, slack: Chat) -> None:
    await slack.say(f"/lier {await code_of(claire)}")

    on_slack, on_telegram = await slack.person(), await claire.person()
    assert on_slack is not None and on_telegram is not None
    assert on_slack.id == on_telegram.id


async def test_help_on_the_linked_slack_account_shows_the_members_role(
    claire: Chat, slack: Chat
) -> None:
    await slack.say(f"/lier {await code_of(claire)}")

    await slack.say("/aide")

    assert "Voici ce que vous pouvez faire ici (votre rôle : animateur ou animatrice) :" in (
        slack.text
    )


async def test_my_data_on_slack_shows_both_linked_accounts(claire: Chat, slack: Chat) -> None:
    await slack.say(f"/lier {await code_of(claire)}")

    await slack.say("/mesdonnees")

    [attachment] = [a for reply in slack.replies for a in reply.attachments]
    data = json.loads(attachment.data)
    assert data["personne"]["display_name"] == "Claire Martin"
    assert [(c["platform"], c["platform_user_id"]) for c in data["comptes"]] == [
        ("telegram", "1001"),
        ("slack", "U42"),
    ]


async def test_merging_two_signed_up_people_keeps_the_higher_role_and_one_person(
    app: App, telegram: Chat, slack: Chat
) -> None:
    await telegram.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie")
    await slack.sign_up("Claire Martin", "Les Tisserands", "Industrie")
    await slack.grant("admin")

    await slack.say(f"/lier {await code_of(telegram)}")

    assert "Ce compte avait son propre profil : il est fusionné avec celui de Claire Martin." in (
        slack.text
    )
    assert await count(app, Person) == 1
    person = await telegram.person()
    assert person is not None and person.company == "Scop Les Tisserands"
    assert await memberships_of(app, person) == {"Pôle RSE": "admin"}


async def test_merging_brings_the_other_accounts_poles_along(
    app: App, claire: Chat, slack: Chat
) -> None:
    cluster = await new_pole(app, "Cluster Bio AURA")
    await slack.sign_up("Claire Martin", "Scop Les Tisserands", "Industrie", cluster.invite_code)

    await slack.say(f"/lier {await code_of(claire)}")

    person = await claire.person()
    assert person is not None
    assert await memberships_of(app, person) == {
        "Pôle RSE": "animator",
        "Cluster Bio AURA": "member",
    }


async def test_an_expired_code_is_refused_and_deleted(app: App, claire: Chat, slack: Chat) -> None:
    async with app.database.transaction() as session:
        person = await repo.person_for(session, platform="telegram", user_id="1001")
        assert person is not None
        expired = await repo.create_link_code(session, person=person, ttl=timedelta(0))
    before = await stored(app)

    await slack.say(f"/lier {expired.code}")

    assert slack.text == (
        f"Le code de liaison « {expired.code} » est inconnu ou a expiré : rien n'a été modifié. "
        "Tapez /lier sur votre compte déjà inscrit pour en obtenir un nouveau ; il vaut "
        "15 minutes et ne sert qu'une fois."
    )
    assert await slack.person() is None
    assert await stored(app) == before
    assert await link_codes(app) == []


async def test_an_unknown_code_changes_nothing(app: App, claire: Chat, slack: Chat) -> None:
    await code_of(claire)
    before = await stored(app)

    await slack.say("/lier KB7W-Q2ZP")

    assert slack.text.startswith("Le code de liaison « KB7W-Q2ZP » est inconnu ou a expiré")
    assert await slack.person() is None
    assert await stored(app) == before


async def test_a_code_works_only_once(app: App, claire: Chat, slack: Chat) -> None:
    code = await code_of(claire)
    await slack.say(f"/lier {code}")
    other = Chat(app, Platform.SLACK, "U43")

    await other.say(f"/lier {code}")

    assert other.text.startswith(f"Le code de liaison « {code} » est inconnu ou a expiré")
    assert await other.person() is None


async def test_a_code_typed_on_its_own_account_says_it_is_already_linked(
    app: App, claire: Chat
) -> None:
    code = await code_of(claire)
    before = await stored(app)

    await claire.say(f"/lier {code}")

    assert claire.text == (
        "Ce compte est déjà lié au profil de Claire Martin : rien n'a changé. "
        "Tapez ce code sur l'autre compte à lier, avant qu'il expire."
    )
    assert await stored(app) == before


async def test_a_code_typed_on_its_own_account_stays_valid(claire: Chat, slack: Chat) -> None:
    code = await code_of(claire)
    await claire.say(f"/lier {code}")

    await slack.say(f"/lier {code}")

    assert slack.text.startswith("C'est fait : ce compte est lié au profil de Claire Martin.")


async def test_asking_for_a_code_without_signing_up_is_refused(app: App, slack: Chat) -> None:
    await slack.say("/lier")

    assert slack.text == (
        "Pour lier deux comptes, inscrivez-vous d'abord sur l'un d'eux avec /start, puis tapez "
        "/lier sur ce compte-là : je vous donnerai un code à taper ici, sous la forme /lier CODE."
    )
    assert await link_codes(app) == []


async def test_no_code_is_given_in_a_group_chat(app: App, claire: Chat) -> None:
    group = Incoming.typed(Platform.TELEGRAM, "1001", "-1002003004005", "/lier", is_group=True)

    [reply] = await app.handle(group)

    assert str(reply.text) == (
        "Pour protéger vos données, /lier ne fonctionne qu'en conversation privée avec moi : "
        "écrivez-moi directement."
    )
    assert await link_codes(app) == []


async def test_linking_during_sign_up_ends_the_sign_up(claire: Chat, slack: Chat) -> None:
    code = await code_of(claire)
    await slack.say("/start")
    await slack.press("J'accepte")

    await slack.say(f"/lier {code}")

    assert "Comment vous appelez-vous" not in slack.text
    assert await slack.state() is None


async def test_forgetting_after_linking_erases_both_accounts(
    app: App, claire: Chat, slack: Chat
) -> None:
    await slack.say(f"/lier {await code_of(claire)}")
    await code_of(claire)  # a code not used yet is erased too
    await slack.say("/oublier")

    await slack.press("Oui")

    assert await claire.person() is None
    assert await slack.person() is None
    assert await stored(app) == {
        "people": 0,
        "identities": 0,
        "memberships": 0,
        "conversation_states": 0,
    }
    assert await link_codes(app) == []


async def test_merging_two_respondents_of_one_partner_keeps_one_respondent(
    app: App, claire: Chat, slack: Chat
) -> None:
    # Both accounts answer for the same partner and joined the same club: each is kept once.
    async with app.database.transaction() as session:
        pole = await repo.default_pole(session)
        assert pole is not None and pole.id is not None
        project = await repo.create_survey_project(
            session, pole_id=pole.id, name="LUMIEAU-STRA", survey="hydreos"
        )
        partner = await repo.add_survey_partner(
            session, project_id=project.id or 0, name="Scop Les Tisserands"
        )
    await claire.say("/club creer Club BouRSE")
    club_code = claire.text.split("Son code : ")[1].split(".")[0]
    await slack.sign_up("Claire Martin", "Les Tisserands", "Industrie")
    for account in (claire, slack):
        await account.say(f"/enquete {partner.code}")
        await account.say(f"/club rejoindre {club_code}")
        await account.press("J'accepte la charte")

    await slack.say(f"/lier {await code_of(claire)}")

    assert "il est fusionné" in slack.text
    async with app.database.transaction() as session:
        respondents = await repo.project_respondents(session, project_id=project.id or 0)
        clubs = await repo.pole_clubs(session, pole_id=pole.id)
    assert [person.display_name for _, person in respondents] == ["Claire Martin"]
    assert [count for _, count in clubs] == [1]
