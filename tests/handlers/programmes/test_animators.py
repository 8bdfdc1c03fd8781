"""The animators' /programme (handlers/programmes/animators.py): opening a run (unknown
programme, bad date, the same run twice refused), following it: those who share their progress
with their steps and review, never those who do not; the pôle's figures only from the minimum
group size of companies (handlers/anonymity.py); members refused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from time_machine import TimeMachineFixture

from bot.app import App
from bot.messages import Platform
from tests.handlers.programmes.conftest import open_run
from tests.handlers.test_diagnostic import answer_quick
from tests.helpers.chat import Chat

PARIS = ZoneInfo("Europe/Paris")
# Five companies of the pôle besides Alice's (RSEBOT_MIN_GROUP_SIZE is 5).
COMPANIES = (
    ("5011", "Bob Lefèvre", "Scop Les Tisserands"),
    ("5012", "Chloé Girard", "Hydreos Conseil"),
    ("5013", "David Perrin", "Maison Perrin Vignobles"),
    ("5014", "Emma Berthaut", "Fromagerie Berthaut"),
    ("5015", "Farid Benali", "Atelier Benali Textile"),
)


async def test_an_animator_opens_a_run_from_a_date(animator: Chat) -> None:
    await animator.say("/programme ouvrir cluster_bio 05/01/2027")

    assert animator.text.startswith(
        "« Programme RSE en 3 temps (modèle Cluster Bio) » est ouvert dans votre pôle à partir "
        "du 05/01/2027 (n°1)."
    )
    assert animator.button("Suivre ce programme").value == "/programme suivi 1"


async def test_a_run_opens_from_an_iso_date_too(animator: Chat) -> None:
    await animator.say("/programme ouvrir accompagnement_6_mois 2027-01-05")

    assert "à partir du 05/01/2027" in animator.text


async def test_an_unknown_programme_is_refused_naming_those_there_are(animator: Chat) -> None:
    await animator.say("/programme ouvrir cluster_vin 05/01/2027")

    assert animator.text.startswith("Je ne connais pas le programme « cluster_vin ».")
    assert "cluster_bio (Programme RSE en 3 temps (modèle Cluster Bio))" in animator.text


async def test_a_date_that_does_not_exist_is_refused(animator: Chat) -> None:
    await animator.say("/programme ouvrir cluster_bio 31/02/2027")

    assert animator.text.startswith("« 31/02/2027 » n'est pas une date : écrivez-la JJ/MM/AAAA")


async def test_opening_without_a_date_gives_the_usage(animator: Chat) -> None:
    await animator.say("/programme ouvrir cluster_bio")

    assert animator.text.startswith("Pour ouvrir un programme : « /programme ouvrir PROGRAMME")


async def test_the_same_run_twice_is_refused(animator: Chat) -> None:
    await open_run(animator)

    await animator.say("/programme ouvrir cluster_bio 05/01/2027")

    assert animator.text.startswith("Votre pôle a déjà « Programme RSE en 3 temps")


async def test_a_member_may_not_open_a_run(member: Chat) -> None:
    await member.say("/programme ouvrir cluster_bio 05/01/2027")

    assert member.text.startswith(
        "Cette commande est réservée aux personnes ayant le rôle animateur"
    )


async def test_a_member_may_not_follow_a_run(animator: Chat, member: Chat) -> None:
    run = await open_run(animator)

    await member.say(f"/programme suivi {run}")

    assert member.text.startswith(
        "Cette commande est réservée aux personnes ayant le rôle animateur"
    )


async def test_the_follow_up_shows_those_who_share_and_not_the_others(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS), tick=True)
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run} partager")
    await answer_quick(member)
    bob = Chat(app, Platform.TELEGRAM, "5011")
    await bob.sign_up("Bob Lefèvre", "Scop Les Tisserands")
    await bob.say(f"/programme inscrire {run}")

    await animator.say(f"/programme suivi {run}")

    assert animator.text.startswith("Suivi du programme\n📋 Programme RSE en 3 temps")
    assert "Alice Martin (Biocoop Lyon) : 1/3 étapes" in animator.text
    assert "✅ 2. Réaliser son autodiagnostic RSE" in animator.text
    assert "Bob" not in animator.text and "Tisserands" not in animator.text
    assert (
        "Chiffres du pôle masqués : moins de 5 entreprises inscrites (règle d'anonymat)."
        in animator.text
    )


async def test_nobody_sharing_is_said_so(animator: Chat, member: Chat) -> None:
    run = await open_run(animator)
    await member.say(f"/programme inscrire {run}")

    await animator.say(f"/programme suivi {run}")

    assert "Aucun inscrit ne partage son avancement pour l'instant." in animator.text
    assert "Alice" not in animator.text


async def test_a_shared_review_shows_in_the_follow_up(
    animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS), tick=True)
    run = await open_run(animator, "accompagnement_6_mois")
    await member.say(f"/programme inscrire {run} partager")
    await member.say(f"/programme bilan {run}")
    await member.say("Le plan de mobilité est lancé ; reste la formation des équipes.")

    await animator.say(f"/programme suivi {run}")

    assert (
        "Bilan : « Le plan de mobilité est lancé ; reste la formation des équipes. »"
        in animator.text
    )


async def test_the_poles_figures_show_from_five_companies_each_counted_once(
    app: App, animator: Chat, member: Chat, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2027, 1, 4, 10, tzinfo=PARIS), tick=True)
    run = await open_run(animator)
    for user_id, name, company in COMPANIES:
        chat = Chat(app, Platform.TELEGRAM, user_id)
        await chat.sign_up(name, company)
        await chat.say(f"/programme inscrire {run}")
    # A colleague of Bob's: the same company counts once.
    colleague = Chat(app, Platform.TELEGRAM, "5016")
    await colleague.sign_up("Gaëlle Lefèvre", "Scop Les Tisserands")
    await colleague.say(f"/programme inscrire {run}")

    await animator.say(f"/programme suivi {run}")

    assert "Chiffres du pôle (sans nom) : 5 entreprises inscrites." in animator.text
    # All five at step 1: a single band would be the total, so no band is shown.
    assert "Trop peu d'entreprises pour les montrer étape par étape" in animator.text


async def test_the_list_gives_animators_a_button_to_follow_each_run(
    animator: Chat, member: Chat
) -> None:
    first = await open_run(animator)
    second = await open_run(animator, "accompagnement_6_mois")
    await animator.say(f"/programme inscrire {first}")

    await animator.say("/programme")

    assert animator.button("Suivi n°1").value == f"/programme suivi {first}"
    assert animator.button("Suivi n°2 : Accompagnement RSE de six mois").value == (
        f"/programme suivi {second}"
    )
    await member.say("/programme")
    assert not [b for b in member.buttons if b.label.startswith("Suivi")]


async def test_the_help_names_the_animators_actions_to_animators_only(
    animator: Chat, member: Chat
) -> None:
    await animator.say("/programme aide")
    assert "« /programme suivi N »" in animator.text

    await member.say("/programme aide")
    assert "« /programme inscrire N »" in member.text
    assert "suivi" not in member.text
