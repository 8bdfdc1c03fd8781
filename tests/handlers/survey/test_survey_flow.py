"""/enquete through the router: an animator creates a project and its partners, respondents
join with their partner's code (without being members of the pôle) or are named, a wave opens,
partners answer once as organisations (the last submission wins), reminders reach only the
partners that have not submitted, the close locks the answers and sends the results."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import App
from bot.messages import Platform
from bot.storage import repositories as repo
from bot.storage.models import Campaign, SurveyDraft, SurveyProject, SurveyResponse, SurveyWave
from handlers.survey import waves
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.helpers.survey import add_partner, answer_all, create_project, sign_up_respondent


async def wave_of(app: App, project: int) -> SurveyWave:
    async with app.database.transaction() as session:
        wave = await repo.current_wave(session, project_id=project)
        assert wave is not None
        return wave


async def run_jobs(app: App, at: timedelta, project: int) -> int:
    """The waves' job, ``at`` after the project's wave opened."""
    async with app.database.transaction() as session:
        opened = (await session.scalars(select(SurveyWave.opened_at))).first()
        assert opened is not None
        return await waves.run_due(session, app.settings, app.content, now=opened + at)


async def test_an_animator_creates_a_project_whose_partners_get_codes(
    app: App, claire: Chat
) -> None:
    number = await create_project(claire)
    code = await add_partner(claire, number, "Eurométropole de Strasbourg")
    await claire.say(f"/enquete partenaires {number}")
    assert f"Eurométropole de Strasbourg — code {code} — répondants : aucun" in claire.text
    assert "programmées les 15/03, 15/09 à 09:00, ouvertes 21 jours" in claire.text
    async with app.database.transaction() as session:
        project = await session.get(SurveyProject, number)
        assert project is not None and project.survey == "hydreos" and project.anonymous


async def test_a_project_name_is_not_taken_twice_in_a_pole(claire: Chat) -> None:
    await create_project(claire)
    await claire.say("/enquete projet")
    await claire.say("lumieau-stra")
    assert "a déjà un projet nommé « LUMIEAU-STRA »" in claire.text


async def test_members_cannot_create_projects(app: App, claire: Chat) -> None:
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say("/enquete projet")
    assert "réservé" in bob.text or "rôle" in bob.text, bob.text


async def test_a_respondent_signed_up_with_a_code_is_not_a_member_of_the_pole(
    app: App, claire: Chat
) -> None:
    number = await create_project(claire)
    code = await add_partner(claire, number, "Eurométropole de Strasbourg")
    elsa = await sign_up_respondent(app, "7391846040", "Elsa Kern", "Eurométropole", code)
    await elsa.say("/diagnostic")
    assert "/start" in elsa.text  # members only
    await elsa.say("/enquete")
    assert "Eurométropole de Strasbourg, projet « LUMIEAU-STRA »" in elsa.text
    assert "Pas de vague ouverte" in elsa.text


async def test_a_member_joins_as_respondent_with_enquete_code(app: App, claire: Chat) -> None:
    number = await create_project(claire)
    code = await add_partner(claire, number, "Hydreos Conseil")
    dora = Chat(app, Platform.TELEGRAM, "7391846034")
    await dora.sign_up("Dora Meyer", "Hydreos Conseil")
    await dora.say(f"/enquete {code.lower()}")
    assert "Vous répondez désormais pour « Hydreos Conseil »" in dora.text


async def test_an_animator_names_a_member_as_respondent(app: App, claire: Chat) -> None:
    number = await create_project(claire)
    await add_partner(claire, number, "Hydreos Conseil")
    dora = Chat(app, Platform.TELEGRAM, "7391846034")
    await dora.sign_up("Dora Meyer", "Hydreos Conseil")
    await claire.say(f"/enquete repondant {number}")
    await claire.press("Hydreos Conseil")
    await claire.say("meyer")
    await claire.press("Dora Meyer")
    assert "Dora Meyer (Hydreos Conseil) répond désormais pour « Hydreos Conseil »" in claire.text
    told = await queued(app, "survey_respondent")
    assert [chat for chat, _ in told] == ["7391846034"]


async def test_a_full_wave_from_opening_to_results(
    app: App, claire: Chat, project: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.settings, "min_group_size", 2)
    number = project["number"]
    elsa, marc = project["euro"]
    (lina,) = project["agence"]
    (paul,) = project["inrae"]

    await claire.say(f"/enquete ouvrir {number}")
    assert "3 partenaire(s), 4 répondant(s) invités" in claire.text
    invited = await queued(app, "survey_invitation")
    assert sorted(chat for chat, _ in invited) == [
        "7391846040",
        "7391846041",
        "7391846042",
        "7391846043",
    ]
    assert "26 affirmations, environ 10 minutes" in invited[0][1].text

    # Elsa starts the Eurométropole's response; Marc sees it, then both submit: Marc's wins.
    await elsa.say("/enquete")
    await elsa.press("Répondre pour Eurométropole")
    await elsa.press("Tout à fait d'accord")
    await marc.say("/enquete")
    assert "Elsa Kern a commencé une réponse (1 affirmations" in marc.text
    await elsa.say("/annuler")
    await answer_all(elsa, "Eurométropole", "Plutôt pas d'accord")
    await answer_all(marc, "Eurométropole", "Plutôt d'accord", comment="Gouvernance claire")
    assert "remplace celle que « Eurométropole de Strasbourg » avait envoyée" in marc.text
    await answer_all(lina, "Agence", "Tout à fait d'accord")

    # +7 days: the reminder goes to the INRAE only.
    assert await run_jobs(app, timedelta(days=7, minutes=1), number) == 1
    reminded = await queued(app, "survey_reminder")
    assert [chat for chat, _ in reminded] == ["7391846043"]
    # The same minute again, or after a restart: nothing more.
    assert await run_jobs(app, timedelta(days=7, minutes=2), number) == 0

    # +21 days: closed; results to every respondent and to the animator.
    assert await run_jobs(app, timedelta(days=21), number) == 1
    results = await queued(app, "survey_results")
    assert sorted(chat for chat, _ in results) == sorted(
        ["7391846040", "7391846041", "7391846042", "7391846043", "7391846031"]
    )
    partners_text = next(c.text for chat, c in results if chat == "7391846043")
    assert "Participation : 2 partenaire(s) sur 3 (67 %)." in partners_text
    # Marc's plutôt (not Elsa's plutôt pas) and Lina's tout à fait: everyone agrees.
    assert "• Gouvernance : 100 % · +100 % · 0 %" in partners_text

    async with app.database.transaction() as session:
        responses = list(await session.scalars(select(SurveyResponse)))
    euro = next(r for r in responses if set(r.answers.values()) == {"plutot"})
    assert euro.comments == {"gouvernance": "Gouvernance claire"}
    assert len(responses) == 2

    # After the close, Paul's response is refused.
    await paul.say("/enquete repondre 3")
    assert "n'est ouverte" in paul.text


async def test_a_response_finished_after_the_close_is_not_stored(
    app: App, claire: Chat, project: dict
) -> None:
    number = project["number"]
    (paul,) = project["inrae"]
    await claire.say(f"/enquete ouvrir {number}")
    await paul.say("/enquete")
    await paul.press("Répondre pour INRAE")
    await paul.press("Plutôt d'accord")
    async with app.database.transaction() as session:
        assert len(list(await session.scalars(select(SurveyDraft)))) == 1
    await run_jobs(app, timedelta(days=21), number)
    async with app.database.transaction() as session:
        # Who was filling in a response is forgotten at the close.
        assert list(await session.scalars(select(SurveyDraft))) == []
    await paul.press("Plutôt d'accord")
    assert "est close : votre réponse n'a pas été enregistrée" in paul.text
    async with app.database.transaction() as session:
        assert list(await session.scalars(select(SurveyResponse))) == []


async def test_too_few_partners_means_participation_only_for_partners(
    app: App, claire: Chat, project: dict
) -> None:
    number = project["number"]
    (lina,) = project["agence"]
    await claire.say(f"/enquete ouvrir {number}")
    await answer_all(lina, "Agence", "Tout à fait d'accord")
    await run_jobs(app, timedelta(days=21), number)
    results = await queued(app, "survey_results")
    to_lina = next(c.text for chat, c in results if chat == "7391846042")
    to_claire = next(c.text for chat, c in results if chat == "7391846031")
    assert "trop peu pour montrer des résultats" in to_lina
    assert "Tout à fait" not in to_lina and "Gouvernance" not in to_lina
    assert "• Gouvernance : 100 %" in to_claire
    await lina.say(f"/enquete resultats {number}")
    assert "trop peu" in lina.text and not lina.replies[0].attachments


async def test_follow_shows_participation_not_answers(
    app: App, claire: Chat, project: dict
) -> None:
    number = project["number"]
    (lina,) = project["agence"]
    elsa, _ = project["euro"]
    await claire.say(f"/enquete ouvrir {number}")
    await answer_all(lina, "Agence", "Pas du tout d'accord")
    await elsa.say("/enquete")
    await elsa.press("Répondre pour Eurométropole")
    await claire.say(f"/enquete suivi {number}")
    assert "Participation : 1 partenaire(s) sur 3 (33 %)" in claire.text
    assert "Agence de l'eau Rhin-Meuse (1 répondant(s)) : réponse envoyée le" in claire.text
    assert "Eurométropole de Strasbourg (2 répondant(s)) : en cours (1 répondant(s)" in claire.text
    assert "INRAE Grand Est (1 répondant(s)) : pas encore commencée" in claire.text
    assert "Pas du tout" not in claire.text


async def test_a_respondent_cannot_answer_for_another_partner(
    app: App, claire: Chat, project: dict
) -> None:
    await claire.say(f"/enquete ouvrir {project['number']}")
    (lina,) = project["agence"]
    async with app.database.transaction() as session:
        partners = await repo.survey_partners(session, project_id=project["number"])
    euro = next(p for p in partners if p.name.startswith("Eurométropole"))
    await lina.say(f"/enquete repondre {euro.id}")
    assert "Vous ne répondez pas pour ce partenaire" in lina.text


async def test_a_member_who_is_no_respondent_has_no_survey(app: App, claire: Chat) -> None:
    await create_project(claire)
    bob = Chat(app, Platform.TELEGRAM, "7391846032")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say("/enquete")
    assert "Vous ne répondez pour aucun partenaire" in bob.text
    await bob.say("/enquete resultats 1")
    assert "Tapez /enquete resultats N" in bob.text


async def test_another_poles_animator_does_not_see_the_project(
    app: App, claire: Chat, project: dict
) -> None:
    async with app.database.transaction() as session:
        other = await repo.create_pole(session, name="Vegepolys Valley")
    zoe = Chat(app, Platform.TELEGRAM, "7391846050")
    await zoe.sign_up("Zoé Blanc", "Vegepolys", code=other.invite_code)
    await zoe.grant("animator")
    await zoe.say(f"/enquete suivi {project['number']}")
    assert f"pas de projet n°{project['number']}" in zoe.text
    await zoe.say(f"/enquete ouvrir {project['number']}")
    assert "pas de projet" in zoe.text


async def test_the_scheduled_wave_opens_once_at_its_time(
    app: App, claire: Chat, project: dict
) -> None:
    from datetime import UTC, datetime

    # 15 March 2027, 09:00 in Paris is 08:00 UTC.
    opening = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    async with app.database.transaction() as session:
        before = await waves.run_due(
            session, app.settings, app.content, now=opening - timedelta(minutes=1)
        )
    assert before == 0
    for minute in (0, 1):
        async with app.database.transaction() as session:
            await waves.run_due(
                session, app.settings, app.content, now=opening + timedelta(minutes=minute)
            )
    async with app.database.transaction() as session:
        opened = list(await session.scalars(select(SurveyWave)))
        invitations = list(
            await session.scalars(select(Campaign).where(Campaign.kind == "survey_invitation"))
        )
    assert [(w.number, w.opened_at, w.closes_at - w.opened_at) for w in opened] == [
        (1, opening, timedelta(days=21))
    ]
    assert len(invitations) == 3  # one per partner (all in French)


async def test_a_respondent_outside_the_pole_is_told_where_they_stand(
    app: App, claire: Chat
) -> None:
    number = await create_project(claire)
    code = await add_partner(claire, number, "INRAE Grand Est")
    paul = await sign_up_respondent(app, "7391846043", "Paul Fuchs", "INRAE", code)
    await paul.say("/accueil")
    assert "Vous n'êtes membre d'aucun pôle" in paul.text and "/enquete" in paul.text
    assert "S'inscrire" not in [button.label for button in paul.buttons]
    await paul.say("/aide")
    assert "/enquete pour vos enquêtes partenaires" in paul.text


async def run_wave(app: App, claire: Chat, project: dict, choices: dict[str, str]) -> None:
    """Open a wave by hand, the named partners' first respondents answer, the wave closes."""
    number = project["number"]
    await claire.say(f"/enquete ouvrir {number}")
    assert "ouverte jusqu'au" in claire.text, claire.text
    for key, choice in choices.items():
        partner = {"euro": "Eurométropole", "agence": "Agence", "inrae": "INRAE"}[key]
        await answer_all(project[key][0], partner, choice)
    wave = await wave_of(app, number)
    async with app.database.transaction() as session:
        await waves.run_due(session, app.settings, app.content, now=wave.closes_at)


async def test_a_second_wave_shows_what_moved_and_the_trend_chart(
    app: App, claire: Chat, project: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.settings, "min_group_size", 2)
    number = project["number"]
    await run_wave(
        app, claire, project, {"euro": "Plutôt pas d'accord", "agence": "Plutôt d'accord"}
    )
    await run_wave(app, claire, project, {"euro": "Plutôt d'accord", "agence": "Plutôt d'accord"})

    results = [c.text for chat, c in await queued(app, "survey_results") if chat == "7391846042"]
    assert len(results) == 2 and "a le plus bougé" not in results[0]
    # Every indicator went from 1 agreeing partner of 2 to 2 of 2: the first three are named.
    assert "Ce qui a le plus bougé depuis la Vague 1" in results[1]
    assert results[1].count(" : 50 % → 100 %") == 3

    await project["agence"][0].say(f"/enquete resultats {number}")
    files = [a.filename for a in project["agence"][0].replies[0].attachments]
    assert len(files) == 5 and files[-1] == "enquete-lumieau-stra-tendances.png"
    assert all(name.endswith(".png") for name in files)
    # The first wave on its own: its four axes, no trend.
    await project["agence"][0].say(f"/enquete resultats {number} 1")
    assert len(project["agence"][0].replies[0].attachments) == 4
    await project["agence"][0].say(f"/enquete resultats {number} 7")
    assert "Vagues closes : 1, 2" in project["agence"][0].text


async def _workbook(chat: Chat):  # type: ignore[no-untyped-def]
    from io import BytesIO

    from openpyxl import load_workbook

    (xlsx,) = [a for a in chat.replies[0].attachments if a.filename.endswith(".xlsx")]
    return load_workbook(BytesIO(xlsx.data))


async def test_an_anonymous_wave_exports_no_partner_answers(
    app: App, claire: Chat, project: dict
) -> None:
    await run_wave(
        app, claire, project, {"euro": "Plutôt d'accord", "agence": "Pas du tout d'accord"}
    )
    await claire.say(f"/enquete export {project['number']}")
    names = [a.filename for a in claire.replies[0].attachments]
    assert names[0] == "enquete-lumieau-stra.xlsx" and names[1].endswith(".csv")
    workbook = await _workbook(claire)
    assert not any(name.startswith("Réponses") for name in workbook.sheetnames)
    text = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row)
    assert "Eurométropole" not in text and "Agence" not in text


async def test_a_wave_opened_non_anonymous_exports_each_partners_answers(
    app: App, claire: Chat, project: dict
) -> None:
    number = project["number"]
    await claire.say(f"/enquete anonyme {number} non")
    await run_wave(
        app, claire, project, {"euro": "Plutôt d'accord", "agence": "Pas du tout d'accord"}
    )
    await claire.say(f"/enquete export {number}")
    assert "avec les réponses de chaque partenaire" in claire.text
    workbook = await _workbook(claire)
    (sheet,) = [workbook[n] for n in workbook.sheetnames if n.startswith("Réponses")]
    header = [cell.value for cell in sheet[1]]
    assert header[2:] == ["Agence de l'eau Rhin-Meuse", "Eurométropole de Strasbourg"]
    assert [cell.value for cell in sheet[2]][2:] == ["Pas du tout d'accord", "Plutôt d'accord"]


async def test_members_cannot_export(app: App, claire: Chat, project: dict) -> None:
    elsa, _ = project["euro"]
    await elsa.say(f"/enquete export {project['number']}")
    assert "membres" in elsa.text or "rôle" in elsa.text, elsa.text


@pytest.mark.parametrize(
    ("typed", "told"),
    [
        ("/enquete calendrier 1 31/02", "« 31/02 » n'est pas un jour de l'année"),
        ("/enquete calendrier 1 15/03 25:00", "« 25:00 » n'est pas une heure"),
        ("/enquete calendrier 1 15/03 15/03", "La même date est donnée deux fois"),
        ("/enquete calendrier 1 mars", "Je ne comprends pas « mars »"),
        ("/enquete ouvrir 1 0", "La durée d'une vague va de 1 à 90 jours"),
        ("/enquete ouvrir 1", "n'a aucun partenaire à inviter"),
        ("/enquete partenaire 1", "Votre réponse est vide"),
        ("/enquete anonyme 1 peut-être", "Tapez /enquete anonyme N oui"),
        ("/enquete resultats 1", "Aucune vague close"),
        ("/enquete suivi 9", "Je ne trouve pas de projet n°9"),
        ("/enquete inconnu", "Je ne connais pas cette action"),
    ],
)
async def test_an_animator_is_told_what_is_wrong(claire: Chat, typed: str, told: str) -> None:
    assert await create_project(claire) == 1
    await claire.say(typed)
    assert told in claire.text, claire.text


async def test_an_animator_sets_the_calendar_and_the_job_follows_it(
    app: App, claire: Chat, project: dict
) -> None:
    from datetime import UTC, datetime

    await claire.say(f"/enquete calendrier {project['number']} 02/04 10h30 30")
    assert "programmées les 02/04 à 10:30, ouvertes 30 jours" in claire.text
    # 2 April 2027, 10:30 in Paris (summer time) is 08:30 UTC.
    opening = datetime(2027, 4, 2, 8, 30, tzinfo=UTC)
    for at in (datetime(2027, 3, 15, 8, 0, tzinfo=UTC), opening):
        async with app.database.transaction() as session:
            await waves.run_due(session, app.settings, app.content, now=at)
    async with app.database.transaction() as session:
        opened = [(w.opened_at, w.closes_at) for w in await session.scalars(select(SurveyWave))]
    assert opened == [(opening, opening + timedelta(days=30))]


async def test_a_manual_calendar_opens_no_wave(app: App, claire: Chat, project: dict) -> None:
    from datetime import UTC, datetime

    await claire.say(f"/enquete calendrier {project['number']} manuel")
    assert "ouvertes à la main seulement" in claire.text
    async with app.database.transaction() as session:
        await waves.run_due(
            session, app.settings, app.content, now=datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
        )
        assert list(await session.scalars(select(SurveyWave))) == []


async def test_an_english_reader_gets_english_exports(
    app: App, claire: Chat, project: dict
) -> None:
    await run_wave(app, claire, project, {"euro": "Plutôt d'accord", "agence": "Plutôt d'accord"})
    await claire.say("/langue en")
    await claire.say(f"/enquete export {project['number']}")
    workbook = await _workbook(claire)
    sheet = workbook[workbook.sheetnames[0]]
    assert workbook.sheetnames[0].startswith("Results Wave 1")
    assert [cell.value for cell in sheet[1]][:4] == ["Indicator", "Axis", "Level", "Strongly agree"]
    assert sheet["B2"].value == "Governance"
