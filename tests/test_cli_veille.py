"""``rse-bot feeds`` and ``rse-bot digest`` as real processes, feeds served on loopback."""

import asyncio
import os
import sys
from pathlib import Path

from tests.helpers.feed_server import FeedServer

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


async def rse_bot(workdir: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSEBOT_")}
    env["RSEBOT_DATABASE_URL"] = f"sqlite:///{workdir / 'rse-bot.db'}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=workdir,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_feeds_import_then_export_then_a_dry_run_edition(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("relay.xml")))

        imported = await rse_bot(tmp_path, "feeds", "import", str(opml))
        again = await rse_bot(tmp_path, "feeds", "import", str(opml))
        exported = await rse_bot(tmp_path, "feeds", "export")
        built = await rse_bot(tmp_path, "digest", "build", "--dry-run")
        rebuilt = await rse_bot(tmp_path, "digest", "build", "--dry-run")

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


async def test_an_unreadable_opml_fails_clearly(tmp_path: Path) -> None:
    broken = tmp_path / "veille.opml"
    broken.write_text("<opml><body><outline")

    code, _, err = await rse_bot(tmp_path, "feeds", "import", str(broken))

    assert code == 1
    assert err.startswith("Erreur : fichier OPML illisible")


async def test_feeds_check_prints_each_feeds_health(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("missing.xml")))
        await rse_bot(tmp_path, "feeds", "import", str(opml))

        code, out, err = await rse_bot(tmp_path, "feeds", "check")

    assert code == 0, err
    assert "Actu RSE & Climat" in out and "en forme" in out
    assert "échec : HTTP 404" in out


async def test_digest_send_queues_the_edition_once(tmp_path: Path) -> None:
    async with FeedServer() as server:
        opml = tmp_path / "veille.opml"
        opml.write_text(OPML.format(rss2=server.url("rss2.xml"), relay=server.url("relay.xml")))
        await rse_bot(tmp_path, "feeds", "import", str(opml))

        first = await rse_bot(tmp_path, "digest", "send")
        second = await rse_bot(tmp_path, "digest", "send")

    code, out, err = first
    assert code == 0, err
    assert out.endswith("\nÉdition mise en file : le bot l'envoie aux abonnés.\n")
    assert second[1] == "Rien de nouveau depuis la dernière édition : pas d'envoi.\n"
