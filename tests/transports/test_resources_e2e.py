"""/ressources end to end, through the running bot: Claire, an animator on Telegram, adds the
slides of a workshop by sending the file through the real python-telegram-bot against the fake
server; Samia on Slack receives the evaluation grid and those slides as files uploaded by the
real Slack client; Chloé at the console receives the specification, written to her files
folder, and reads it back as a Word document."""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from bot.config import Settings
from bot.messages import Platform
from tests.helpers.chat import Chat
from tests.helpers.fake_slack import FakeSlack
from tests.helpers.fake_telegram import FakeTelegram
from tests.transports.conftest import free_port, on_both_fakes
from tests.transports.test_awareness_e2e import running
from tests.transports.test_survey_e2e import SlackPerson, TelegramPerson

CLAIRE = 9002
SAMIA = "U0SAMIA"
SLIDES = b"%PDF-1.4 atelier achats responsables du 12 mars, 14 diapositives"
SPECIFICATION = "Cahier des charges : projet de mise en lumière responsable"
GRID = "Grille d'évaluation : faisabilité d'un projet de mise en lumière responsable"


async def test_documents_added_on_telegram_reach_slack_and_templates_reach_every_platform(
    settings: Settings, fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    both = on_both_fakes(settings, fake_telegram, fake_slack, port=port)
    claire = TelegramPerson(fake_telegram, CLAIRE)
    samia = SlackPerson(fake_slack, SAMIA, f"http://127.0.0.1:{port}/slack/events")
    files = tmp_path / "console"

    async with running(both, files) as (app, chloe):
        animator = Chat(app, Platform.TELEGRAM, str(CLAIRE))
        await animator.sign_up("Claire Martin", "Pôle Végépolys")
        await animator.grant("animator")
        await Chat(app, Platform.SLACK, SAMIA).sign_up("Samia Benali", "Hydreos Conseil")
        await Chat(app, Platform.CONSOLE, "chloe").sign_up("Chloé Durand", "Fromagerie Berthaut")

        await claire.tell("/ressources ajouter", "Envoyez-moi le document à ajouter")
        fake_telegram.user_sends_file(CLAIRE, "atelier-achats-responsables.pdf", SLIDES)
        await claire.reads("Quel titre lui donner dans la liste ?")
        added = await claire.tell("Atelier achats responsables (12 mars)", "est ajouté")
        assert "les membres le trouvent dans /ressources (n° 4)" in added

        listed = await samia.tell("/ressources", "Ressources")
        assert "4. Atelier achats responsables (12 mars)" in listed
        await samia.choose(f"3. {GRID}"[:40], "Voici « Grille d'évaluation")
        await samia.choose("4. Atelier achats", "ajouté par les animateurs du pôle")
        await fake_slack.wait_for(lambda: len(samia.uploads()) == 2)
        grid, slides = samia.uploads()
        assert grid["filename"] == "grille-evaluation-mise-en-lumiere-responsable.xlsx"
        sheet = load_workbook(io.BytesIO(grid["content"])).active
        assert sheet is not None and sheet["A1"].value == GRID
        assert (slides["filename"], slides["content"]) == (
            "atelier-achats-responsables.pdf",
            SLIDES,
        )

        await chloe.tell("/ressources", "Ressources")
        shown = await chloe.choose(f"2. {SPECIFICATION}"[:40], "Voici « Cahier des charges")
        assert "cahier-des-charges-mise-en-lumiere-responsable.docx" in shown
        written = files / "cahier-des-charges-mise-en-lumiere-responsable.docx"
        assert Document(io.BytesIO(written.read_bytes())).paragraphs[0].text == SPECIFICATION
