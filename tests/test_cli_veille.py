"""``rse-bot feeds`` and ``rse-bot digest``, feeds served on loopback."""

import re
from pathlib import Path

from tests.helpers.cli import run_rse_bot
from tests.helpers.feed_server import FeedServer

# The feed server listens on 127.0.0.1, which the bot refuses unless told.
LOCAL_FEEDS = {"RSEBOT_FEEDS_ALLOW_PRIVATE": "true"}

OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0">
  <head><title>Veille AGROE</title></head>
  <body>
    <outline text="Réglementation">
      <outline text="Actu RSE" xmlUrl="{rss2}" category="reglementation"/>
      <outline text="Le relais" xmlUrl="{relay}"/>
    </outline>
    <outline text="Actu RSE (doublon)" xmlUrl="{rss2}"/>
  </body>
</opml>
"""


async def test_feeds_import_then_export_then_a_dry_run_edition(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("relay.xml")))

        imported = await run_rse_bot(tmp_path, "feeds", "import", str(opml), env=LOCAL_FEEDS)
        again = await run_rse_bot(tmp_path, "feeds", "import", str(opml), env=LOCAL_FEEDS)
        exported = await run_rse_bot(tmp_path, "feeds", "export", env=LOCAL_FEEDS)
        built = await run_rse_bot(tmp_path, "digest", "build", "--dry-run", env=LOCAL_FEEDS)
        rebuilt = await run_rse_bot(tmp_path, "digest", "build", "--dry-run", env=LOCAL_FEEDS)

    assert imported == (0, "2 flux ajouté(s) à « Pôle RSE », 0 déjà suivi(s).\n", "")
    assert again[1] == "0 flux ajouté(s) à « Pôle RSE », 2 déjà suivi(s).\n"
    code, out, _ = exported
    assert code == 0 and out.startswith("<?xml version='1.0' encoding='utf-8'?>\n<opml")
    assert f'xmlUrl="{server.url("rss2.xml")}" category="reglementation"' in out
    code, out, err = built
    assert code == 0, err
    assert out.startswith("Veille RSE de Pôle RSE — la note de la semaine")
    assert "CSRD : ce que l’Omnibus change pour les PME (https://actu-rse.example/" in out
    # A dry run sends nothing and remembers nothing: the same edition again.
    assert rebuilt[1] == out


async def test_feeds_import_refuses_internal_addresses_by_default(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay="http://10.0.0.5/rss"))

        code, out, err = await run_rse_bot(tmp_path, "feeds", "import", str(opml))
        exported = await run_rse_bot(tmp_path, "feeds", "export")

    assert (code, err) == (0, "")
    assert out == (
        "0 flux ajouté(s) à « Pôle RSE », 0 déjà suivi(s).\n"
        f"Adresse refusée : {server.url('rss2.xml')} mène à une adresse interne (127.0.0.1). "
        "Seuls les flux publics d'Internet peuvent être suivis.\n"
        "Adresse refusée : http://10.0.0.5/rss mène à une adresse interne (10.0.0.5). "
        "Seuls les flux publics d'Internet peuvent être suivis.\n"
    )
    assert "xmlUrl" not in exported[1]


async def test_an_unreadable_opml_fails_clearly(tmp_path: Path) -> None:
    broken = tmp_path / "veille.opml"
    broken.write_text("<opml><body><outline")

    code, _, err = await run_rse_bot(tmp_path, "feeds", "import", str(broken))

    assert code == 1
    assert err.startswith("Erreur : fichier OPML illisible")


async def test_feeds_check_prints_each_feeds_health(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("missing.xml")))
        await run_rse_bot(tmp_path, "feeds", "import", str(opml), env=LOCAL_FEEDS)

        code, out, err = await run_rse_bot(tmp_path, "feeds", "check", env=LOCAL_FEEDS)

    assert code == 0, err
    assert "Actu RSE & Climat" in out and "en forme" in out
    assert "échec : HTTP 404" in out


async def test_digest_send_queues_the_edition_once(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("relay.xml")))
        await run_rse_bot(tmp_path, "feeds", "import", str(opml), env=LOCAL_FEEDS)

        first = await run_rse_bot(tmp_path, "digest", "send", env=LOCAL_FEEDS)
        second = await run_rse_bot(tmp_path, "digest", "send", env=LOCAL_FEEDS)

    code, out, err = first
    assert code == 0, err
    assert out.endswith("\nÉdition mise en file : le bot l'envoie aux abonnés.\n")
    assert second[1] == "Rien de nouveau depuis la dernière édition : pas d'envoi.\n"


async def test_digest_schedule_shows_and_changes_the_calendar(tmp_path: Path) -> None:
    shown = await run_rse_bot(tmp_path, "digest", "schedule")
    changed = await run_rse_bot(tmp_path, "digest", "schedule", "lettre", "le 1er et le 15 à 9h30")
    stopped = await run_rse_bot(tmp_path, "digest", "schedule", "note", "aucune")

    assert shown[0] == 0
    assert (
        "• La note de la semaine : chaque lundi à 08:30 (par défaut) — prochaine le lundi"
        in (shown[1])
    )
    code, out, _ = changed
    assert code == 0
    assert re.search(
        r"• La lettre de la quinzaine : le 1er et le 15 de chaque mois à 09:30 — "
        r"prochaine le \w+ (01|15)/\d\d à 09:30\n",
        out,
    )
    assert "• La note de la semaine : pas d'envoi\n" in stopped[1]
    assert "à 09:30" in stopped[1]


async def test_digest_schedule_refuses_an_unreadable_calendar(tmp_path: Path) -> None:
    code, out, err = await run_rse_bot(tmp_path, "digest", "schedule", "note", "lundi", "25h")

    assert (code, out) == (1, "")
    assert err == "Erreur : « 25h » n'est pas une heure : écrivez par exemple 8h30 ou 08:30.\n"
