"""A workshop from its start on (handlers/workshops/after.py): its reminders and attendance are
the events' own; then the satisfaction survey to those who came, its results under the
anonymity rule, and the documents to those who came."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage import repositories as repo
from handlers.events import reminders
from handlers.workshops import after
from scheduler.jobs import JOBS
from tests.handlers.workshops.conftest import BOB, CHLOE
from tests.helpers.chat import Chat
from tests.helpers.outbox import queued
from tests.helpers.workshops import plan, workshop_number

PARIS = ZoneInfo("Europe/Paris")
# The workshop starts on 12/03/2027 at 9:30 in Paris.
D7 = datetime(2027, 3, 5, 9, 30, tzinfo=PARIS)
DURING = datetime(2027, 3, 12, 10, 0, tzinfo=PARIS)
AFTER = datetime(2027, 3, 12, 14, 0, tzinfo=PARIS)


@pytest.fixture
async def workshop(app: App, claire: Chat, bob: Chat, chloe: Chat, dora: Chat) -> int:
    """Bob, Chloé and Dora asked for the sustainable communication workshop; Claire planned it
    for them; Bob and Chloé come. Its number."""
    for member in (bob, chloe, dora):
        await member.say("/atelier demander sustainable_communication")
    await plan(claire, audience="Ceux qui l'ont demandé")
    number = await workshop_number(app)
    await bob.say(f"/atelier rsvp {number} oui")
    await chloe.say(f"/atelier rsvp {number} oui")
    return number


async def held(claire: Chat, number: int, time_machine: TimeMachineFixture, present: str) -> None:
    """During the workshop Claire records who came: the numbers ``present`` (1 Bob, 2 Chloé,
    3 Dora)."""
    time_machine.move_to(DURING, tick=False)
    await claire.say(f"/atelier presences {number}")
    await claire.say(present)
    await claire.press("Valider")


async def test_the_reminder_at_d7_is_the_events_and_names_the_atelier_command(
    app: App, workshop: int
) -> None:
    async with app.database.transaction() as session:
        await reminders.queue_due(session, app.settings, app.content, now=D7)

    sent = await queued(app, reminders.KIND)
    assert sorted(chat for chat, _ in sent) == sorted([BOB, CHLOE])
    assert "Rappel : rendez-vous dans 7 jours." in sent[0][1].text
    assert f"prévenez avec /atelier rsvp {workshop} non" in sent[0][1].text


async def test_attendance_waits_for_the_start(claire: Chat, workshop: int) -> None:
    await claire.say(f"/atelier presences {workshop}")

    assert "L'atelier du 12/03/2027 09:30 n'a pas encore commencé : vous relèverez" in claire.text


async def test_attendance_asks_who_came_to_the_workshop(
    claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(DURING, tick=False)

    await claire.say(f"/atelier presences {workshop}")

    assert claire.text.startswith("Qui est venu à l'atelier « ")
    assert "» du 12/03/2027 09:30 ?" in claire.text


async def test_a_yes_registers_for_the_workshop_in_its_words(bob: Chat, workshop: int) -> None:
    await bob.say(f"/atelier rsvp {workshop} oui")

    assert bob.text.startswith("C'est noté : vous êtes inscrit(e) à l'atelier du 12/03/2027 09:30")


async def test_attendance_records_who_came(
    app: App, claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1 3")

    assert "2 présent(s) sur 3 invité(s)" in claire.text
    async with app.database.transaction() as session:
        assert len(await repo.event_present(session, event_id=workshop)) == 2


async def test_the_themes_a_member_attended_are_known(
    app: App,
    claire: Chat,
    bob: Chat,
    chloe: Chat,
    workshop: int,
    time_machine: TimeMachineFixture,
) -> None:
    await held(claire, workshop, time_machine, "1")

    came, absent = await bob.person(), await chloe.person()
    assert came is not None and came.id is not None and came.active_pole_id
    assert absent is not None and absent.id is not None
    async with app.database.transaction() as session:
        themes = await repo.attended_workshop_themes(
            session, person_id=came.id, pole_id=came.active_pole_id
        )
        none = await repo.attended_workshop_themes(
            session, person_id=absent.id, pole_id=came.active_pole_id
        )
    assert themes == {"sustainable_communication"}
    assert none == set()


async def test_the_survey_goes_once_to_those_who_came(
    app: App, claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1")
    time_machine.move_to(AFTER, tick=False)

    await after.send_surveys(app)
    await after.send_surveys(app)

    sent = await queued(app, "workshop_survey")
    assert [chat for chat, _ in sent] == [BOB]
    assert "Merci d'être venu(e) à l'atelier « Comment maîtriser la communication durable ? »" in (
        sent[0][1].text
    )
    assert sent[0][1].buttons == [["✍️ Donner mon avis", f"/atelier avis {workshop}"]]
    assert "workshop-surveys" in {spec.id for spec in JOBS}


async def test_someone_ticked_later_gets_the_survey_too(
    app: App, claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1")
    await after.send_surveys(app)

    await claire.say(f"/atelier presences {workshop}")
    await claire.say("1 2")
    await claire.press("Valider")
    await after.send_surveys(app)

    assert [chat for chat, _ in await queued(app, "workshop_survey")] == [BOB, CHLOE]


async def answer_survey(member: Chat, workshop: int, *choices: str, remark: str = "") -> None:
    await member.press_value(f"/atelier avis {workshop}")
    for choice in choices:
        await member.press(choice)
    await (member.say(remark) if remark else member.press("Passer"))


async def test_a_participant_answers_the_survey_and_it_is_kept(
    app: App, claire: Chat, bob: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1 2")

    await answer_survey(bob, workshop, "Tout à fait", "Plutôt oui", "Tout à fait", remark="Concret")

    assert "Merci pour votre avis sur « Comment maîtriser la communication durable ? »" in bob.text
    async with app.database.transaction() as session:
        found = await repo.workshop_of_event(session, event_id=workshop)
        assert found is not None and found.id is not None
        (feedback,) = await repo.workshop_feedback(session, workshop_id=found.id)
    assert feedback.answers == {"useful": "very", "clear": "rather", "act": "very"}
    assert feedback.comments == {"remark": "Concret"}
    assert feedback.company == "Scop Les Tisserands"


async def test_the_survey_is_answered_once(
    claire: Chat, bob: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1")
    await answer_survey(bob, workshop, "Tout à fait", "Tout à fait", "Tout à fait")

    await bob.say(f"/atelier avis {workshop}")

    assert "Vous avez déjà donné votre avis" in bob.text


async def test_someone_absent_cannot_answer_the_survey(
    claire: Chat, chloe: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1")

    await chloe.say(f"/atelier avis {workshop}")

    assert "est pour ceux qui y étaient" in chloe.text


async def test_results_stay_hidden_below_the_anonymity_minimum(
    claire: Chat, bob: Chat, chloe: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1 2")
    await answer_survey(bob, workshop, "Tout à fait", "Tout à fait", "Tout à fait")
    await answer_survey(chloe, workshop, "Plutôt non", "Plutôt oui", "Pas du tout")

    await claire.say(f"/atelier resultats {workshop}")

    assert "Pas encore assez de réponses" in claire.text
    assert "à partir de 5 entreprises" in claire.text


async def test_results_show_means_per_company_with_enough_companies(
    app: App,
    claire: Chat,
    bob: Chat,
    chloe: Chat,
    workshop: int,
    time_machine: TimeMachineFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app.settings, "min_group_size", 2)
    await held(claire, workshop, time_machine, "1 2")
    await answer_survey(
        bob, workshop, "Tout à fait", "Tout à fait", "Tout à fait", remark="Concret"
    )
    await answer_survey(chloe, workshop, "Plutôt non", "Plutôt oui", "Pas du tout")

    await claire.say(f"/atelier resultats {workshop}")

    assert "• L'atelier vous a-t-il été utile pour votre entreprise ? 2,0 / 3 (2 entreprises)" in (
        claire.text
    )
    assert "• Les contenus étaient-ils clairs ? 2,5 / 3 (2 entreprises)" in claire.text
    assert "• « Concret »" in claire.text


async def test_members_cannot_see_results_record_attendance_or_send_documents(
    bob: Chat, workshop: int
) -> None:
    for action in ("resultats", "presences", "documents", "participants"):
        await bob.say(f"/atelier {action} {workshop}")
        assert "réservée aux personnes ayant le rôle animateur" in bob.text, action


async def test_the_documents_go_to_those_who_came(
    app: App, claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1 2")

    await claire.say(f"/atelier documents {workshop}")
    await claire.send_file("supports-communication-durable.pdf", b"%PDF-1.4 supports")
    assert "« supports-communication-durable.pdf » part vers 2 participant(s)" in claire.text
    await claire.press("Terminer")

    assert "1 fichier(s) envoyé(s)" in claire.text
    sent = await queued(app, "workshop_document")
    assert sorted(chat for chat, _ in sent) == sorted([BOB, CHLOE])
    document = sent[0][1]
    assert document.attachment_name == "supports-communication-durable.pdf"
    assert document.attachment_data == b"%PDF-1.4 supports"
    assert "Les documents de l'atelier « Comment maîtriser la communication durable ? »" in (
        document.text
    )


async def test_documents_wait_for_the_attendance(claire: Chat, workshop: int) -> None:
    await claire.say(f"/atelier documents {workshop}")

    assert "Notez d'abord qui est venu" in claire.text


async def test_the_documents_step_wants_a_file(
    claire: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    await held(claire, workshop, time_machine, "1")
    await claire.say(f"/atelier documents {workshop}")

    await claire.say("les voici")

    assert "Envoyez un fichier, ou « Terminer »." in claire.text


async def test_an_unknown_workshop_is_unknown(claire: Chat) -> None:
    for action in ("resultats 4242", "presences 4242", "documents x", "participants 4242"):
        await claire.say(f"/atelier {action}")
        assert "Je ne connais pas cet atelier parmi ceux de votre pôle." in claire.text, action


async def test_the_animator_sees_who_comes_with_the_sign_in_sheet(
    claire: Chat, workshop: int
) -> None:
    await claire.say(f"/atelier participants {workshop}")

    assert "Bob Lefèvre (Scop Les Tisserands)" in claire.text
    assert [a.filename.rsplit(".", 1)[-1] for r in claire.replies for a in r.attachments] == [
        "csv",
        "xlsx",
    ]


async def test_the_overview_lists_coming_workshops_and_animators_the_recent_ones(
    claire: Chat, bob: Chat, workshop: int, time_machine: TimeMachineFixture
) -> None:
    line = f"• n° {workshop} — Comment maîtriser la communication durable ?, le 12/03/2027 09:30"
    await bob.say("/atelier")
    assert line in bob.text

    time_machine.move_to(AFTER, tick=False)
    await bob.say("/atelier")
    await claire.say("/atelier")

    assert line not in bob.text
    assert line in claire.text
