import io
import json
import subprocess
from pathlib import Path

from sqlmodel import select

from bot.app import App
from bot.messages import Platform, Reply, Text
from bot.storage.models import Upload
from bot.transports.console import ConsoleTransport
from tests.helpers.chat import Chat
from tests.helpers.console_process import ConsoleProcess, chat_command, chat_env

ONBOARDING = ["/start", "1", "Alice Martin", "Biocoop Lyon", "1", "1"]


class _Stdin(io.StringIO):
    """Piped input: not a terminal."""

    def isatty(self) -> bool:
        return False


async def _converse(app: App, lines: list[str], files: Path) -> str:
    output = io.StringIO()
    console = ConsoleTransport(
        app.handle,
        user="alice",
        stdin=_Stdin("".join(f"{line}\n" for line in lines)),
        stdout=output,
        files_dir=files,
    )
    await console.run()
    return output.getvalue()


async def test_buttons_are_numbered_one_per_line(app: App, tmp_path: Path) -> None:
    output = await _converse(app, ["/start"], tmp_path)
    assert "\n[1] J'accepte\n[2] Je refuse\n" in output


async def test_typing_a_button_label_presses_it(app: App, tmp_path: Path) -> None:
    output = await _converse(app, ["/start", "j'accepte"], tmp_path)
    assert "Comment vous appelez-vous ?" in output


async def test_a_number_beyond_the_buttons_is_an_ordinary_answer(app: App, tmp_path: Path) -> None:
    output = await _converse(app, ["/start", "7"], tmp_path)
    assert "Choisissez l'une des réponses proposées" in output


async def test_attachments_are_written_to_the_files_folder(app: App, tmp_path: Path) -> None:
    files = tmp_path / "fichiers"
    output = await _converse(app, [*ONBOARDING, "/mesdonnees", "/mesdonnees"], files)
    saved = sorted(files.iterdir())
    assert [p.name for p in saved] == ["mes-donnees-rse-bot-2.json", "mes-donnees-rse-bot.json"]
    assert f"📎 {saved[1]}" in output
    assert json.loads(saved[1].read_text())["personne"]["display_name"] == "Alice Martin"


async def test_send_prints_a_message_nobody_asked_for(app: App, tmp_path: Path) -> None:
    output = io.StringIO()
    console = ConsoleTransport(
        app.handle, user="alice", stdin=_Stdin(""), stdout=output, files_dir=tmp_path
    )
    await console.send("alice", Reply(Text.parse("Rappel : **club RSE** jeudi")))
    assert output.getvalue() == "Rappel : club RSE jeudi\n\n"
    assert console.platform is Platform.CONSOLE


def test_scripted_session_signs_up_then_uses_everyday_commands(tmp_path: Path) -> None:
    script = [*ONBOARDING, "/aide", "/menu", "/mesdonnees", "/oublier", "1", "/mesdonnees"]
    done = subprocess.run(
        chat_command("alice"),
        input="".join(f"{line}\n" for line in script),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=chat_env(tmp_path / "rse-bot.db"),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "C'est fait, bienvenue Alice Martin !" in out
    assert "Voici ce que vous pouvez faire ici (votre rôle : membre)" in out
    assert "Que voulez-vous faire ?" in out
    assert "📎 rse-bot-fichiers/mes-donnees-rse-bot.json" in out
    assert "Vos données sont effacées." in out
    assert out.rstrip().endswith("Je ne conserve aucune donnée vous concernant.\n\n>")
    assert done.stderr == ""


async def test_another_program_can_converse_through_pipes(tmp_path: Path) -> None:
    console = await ConsoleProcess.start(tmp_path)
    welcome = await console.say("/start")
    assert welcome.startswith("/start\nBonjour et bienvenue !")
    assert welcome.endswith("[1] J'accepte\n[2] Je refuse\n\n")
    assert "Comment vous appelez-vous ?" in await console.say("1")
    assert await console.close() == 0


async def test_killed_in_the_middle_of_onboarding_resumes_at_the_same_step(
    tmp_path: Path,
) -> None:
    first = await ConsoleProcess.start(tmp_path)
    for line in ["/start", "1", "Alice Martin", "Biocoop Lyon"]:
        await first.say(line)
    first.kill()
    await first.process.wait()

    second = await ConsoleProcess.start(tmp_path)
    resumed = await second.say("/start")
    assert "Reprenons là où nous en étions." in resumed
    assert "Dans quel secteur travaille-t-elle ?" in resumed
    await second.say("Numérique")
    summary = await second.say("1")
    assert "bienvenue Alice Martin" in summary
    assert "Entreprise : Biocoop Lyon" in summary
    assert "Secteur : Numérique" in summary
    assert await second.close() == 0


async def test_a_line_starting_with_at_sends_that_file(app: App, tmp_path: Path) -> None:
    programme = tmp_path / "programme-club.pdf"
    programme.write_bytes(b"%PDF-1.4 programme du club")
    await Chat(app, Platform.CONSOLE, "alice").sign_up("Alice Martin", "Biocoop Lyon")
    await Chat(app, Platform.CONSOLE, "alice").grant("animator")
    await Chat(app, Platform.TELEGRAM, "5002").sign_up("Bob Lefèvre", "Scop Les Tisserands")

    output = await _converse(
        app, ["/diffuser", "Club RSE jeudi", f"@{programme}", "1", "1"], tmp_path / "fichiers"
    )

    assert "Pièce jointe : programme-club.pdf (1 Ko)" in output
    async with app.database.transaction() as session:
        (upload,) = await session.scalars(select(Upload))
    assert (upload.filename, upload.data) == ("programme-club.pdf", b"%PDF-1.4 programme du club")


async def test_a_line_with_at_and_no_such_file_is_ordinary_text(app: App, tmp_path: Path) -> None:
    output = await _converse(app, ["@equipe merci !"], tmp_path)

    assert "Je n'ai pas compris." in output


async def test_a_full_diagnostic_in_the_console_saves_the_chart(tmp_path: Path) -> None:
    console = await ConsoleProcess.start(tmp_path)
    for line in ONBOARDING:
        await console.say(line)
    await console.say("/diagnostic")
    question = await console.say("2")
    total = int(question.split("question 1/")[1].split("\n")[0])
    for _ in range(total - 1):
        question = await console.say("b")
    result = await console.say("b")
    assert await console.close() == 0

    assert f"question {total}/{total}" in question
    assert "Votre niveau : Confirmé — 67 %" in result
    (chart,) = (tmp_path / "rse-bot-fichiers").glob("diagnostic-rse*.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"📎 {chart.relative_to(tmp_path)}" in result


async def test_a_diagnostic_killed_midway_resumes_at_the_same_question(tmp_path: Path) -> None:
    first = await ConsoleProcess.start(tmp_path)
    for line in [*ONBOARDING, "/diagnostic", "1", "a", "b"]:
        await first.say(line)
    first.kill()
    await first.process.wait()

    second = await ConsoleProcess.start(tmp_path)
    resumed = await second.say("/diagnostic")
    assert "Reprenons là où nous en étions." in resumed
    assert "question 3/7" in resumed
    for letter in "bcdac":
        result = await second.say(letter)
    assert await second.close() == 0
    # A B B C D A C: 12 points of 21.
    assert "Votre niveau : Intermédiaire — 57 %" in result
    (chart,) = (tmp_path / "rse-bot-fichiers").glob("diagnostic-rse*.png")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"📎 {chart.relative_to(tmp_path)}" in result
