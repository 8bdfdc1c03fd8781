"""/programme for members (handlers/programmes/members.py): the pôle's open runs with
« M'inscrire »; enrolling keeps one's progress private unless one shares it, and one can change
one's mind or leave; bad input answered clearly; never in a group chat."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from time_machine import TimeMachineFixture

from bot.app import App
from bot.storage.models import ProgrammeEnrolment, ProgrammeStepRecord
from tests.handlers.programmes.conftest import open_run
from tests.helpers.chat import Chat

TITLE = "Programme RSE en 3 temps (modèle Cluster Bio)"


async def enrolments(app: App) -> list[ProgrammeEnrolment]:
    async with app.database.transaction() as session:
        return list(await session.scalars(select(ProgrammeEnrolment)))


async def test_without_a_run_the_member_is_told_there_is_none(member: Chat) -> None:
    await member.say("/programme")

    assert member.text.startswith("Votre pôle n'a pas de programme ouvert en ce moment.")
    assert "/programme ouvrir" not in member.text


async def test_an_animator_without_a_run_is_told_how_to_open_one(animator: Chat) -> None:
    await animator.say("/programme")

    assert "« /programme ouvrir PROGRAMME JJ/MM/AAAA »" in animator.text
    assert "cluster_bio, accompagnement_6_mois" in animator.text


async def test_the_open_runs_are_listed_with_a_button_to_enrol(
    animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)

    await member.say("/programmes")

    assert member.text.startswith("Programmes du pôle ouverts aux inscriptions :")
    assert f"📋 {TITLE} · n°{run}, à partir du 05/01/2027" in member.text
    assert "avec Ecocert Consulting" in member.text
    assert member.button("M'inscrire").value == f"/programme inscrire {run}"


async def test_enrolling_keeps_progress_private_by_default(
    app: App, animator: Chat, member: Chat
) -> None:
    await open_run(animator)
    await member.say("/programme")

    await member.press("M'inscrire")

    assert member.text.startswith(f"Vous voilà inscrit(e) à « {TITLE} »")
    assert "Par défaut, vos animateurs ne voient pas votre avancement" in member.text
    assert "Votre avancement n'est montré qu'à vous." in member.text
    ((enrolment,),) = [await enrolments(app)]
    assert enrolment.shared is False


async def test_the_progress_shows_each_step_and_the_next_one_with_its_button(
    animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)

    await member.say(f"/programme inscrire {run}")

    assert "➡️ 1. Acquérir les fondamentaux RSE, pour le 05/01/2027" in member.text
    assert "◻️ 2. Réaliser son autodiagnostic RSE, le 05/02/2027" in member.text
    assert "◻️ 3. Valoriser ses démarches RSE, le 05/03/2027" in member.text
    assert "Prochaine étape : Acquérir les fondamentaux RSE, pour le 05/01/2027." in member.text
    assert member.button("Ouvrir le module").value == "/decouvrir qu_est_ce_que_la_rse"


async def test_enrolling_with_partager_shares_at_once(
    app: App, animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)

    await member.say(f"/programme inscrire {run} partager")

    assert "votre avancement partagé avec vos animateurs" in member.text
    assert "Vos animateurs voient votre avancement." in member.text
    assert [e.shared for e in await enrolments(app)] == [True]


async def test_sharing_can_be_turned_on_and_off(app: App, animator: Chat, member: Chat) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")

    await member.press("Partager mon avancement")
    assert member.text.startswith(
        f"Vos animateurs voient désormais votre avancement dans « {TITLE} »"
    )
    assert [e.shared for e in await enrolments(app)] == [True]

    await member.press("Ne plus le partager")
    assert member.text.startswith(f"Votre avancement dans « {TITLE} » n'est plus montré")
    assert [e.shared for e in await enrolments(app)] == [False]


async def test_enrolling_twice_shows_the_progress_and_keeps_one_enrolment(
    app: App, animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")

    await member.say(f"/programme inscrire {run}")

    assert member.text.startswith(f"Vous êtes déjà inscrit(e) à « {TITLE} ».")
    assert len(await enrolments(app)) == 1


async def test_the_list_shows_a_followed_run_as_progress_not_as_an_offer(
    animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")

    await member.say("/programme")

    assert "➡️ 1. Acquérir les fondamentaux RSE" in member.text
    assert "M'inscrire" not in [b.label for b in member.buttons]


async def test_leaving_asks_first_then_forgets_what_the_programme_recorded(
    app: App, animator: Chat, member: Chat
) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")
    await member.say(f"/programme label {run} engage_rse")

    await member.press("Quitter le programme")
    assert member.text.startswith(f"Quitter « {TITLE} » ?")
    assert await enrolments(app) != []
    await member.press("Oui, quitter")

    assert member.text.startswith(f"Vous avez quitté « {TITLE} ».")
    assert await enrolments(app) == []
    async with app.database.transaction() as session:
        assert list(await session.scalars(select(ProgrammeStepRecord))) == []


async def test_an_unknown_run_is_said_so(animator: Chat, member: Chat) -> None:
    await open_run(animator)

    await member.say("/programme inscrire 99")

    assert member.text.startswith("Je ne trouve pas de programme n°« 99 » dans votre pôle.")


async def test_sharing_a_run_one_does_not_follow_is_refused(animator: Chat, member: Chat) -> None:
    run = await open_run(animator)

    await member.say(f"/programme partager {run}")

    assert member.text.startswith(f"Vous n'êtes pas inscrit(e) au programme n°{run}")


async def test_an_unknown_action_gives_the_usage(member: Chat) -> None:
    await member.say("/programme danser")

    assert member.text.startswith("Je ne connais pas cette action.")


async def test_an_unknown_label_is_refused(animator: Chat, member: Chat) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")

    await member.say(f"/programme label {run} iso_26000")

    assert member.text.startswith("Je ne connais pas le label « iso_26000 ».")


async def test_a_run_whose_last_step_has_passed_takes_no_one(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(date(2027, 1, 2), tick=True)
    run = await open_run(animator)
    time_machine.move_to(date(2027, 3, 6), tick=True)

    await member.say(f"/programme inscrire {run}")

    assert member.text.startswith(f"Les inscriptions à « {TITLE} » sont closes")
    await member.say("/programme")
    assert "n'a pas de programme ouvert" in member.text


async def test_it_is_refused_in_a_group_chat(animator: Chat, member: Chat) -> None:
    await open_run(animator)

    group = member.in_group("-100777")

    await group.say("/programme")

    assert group.text.startswith("Pour protéger vos données, /programme ne fonctionne qu'en")
