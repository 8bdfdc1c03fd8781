"""Drive the partner survey in chat as people do: an animator's project and partners, a
respondent signing up with a partner's code, a partner's response filled in."""

from bot.app import App
from bot.messages import Platform
from tests.helpers.chat import Chat

# Affirmations of the HYDREOS set (content/surveys/hydreos.yaml).
HYDREOS_COUNT = 26


async def create_project(animator: Chat, name: str = "LUMIEAU-STRA") -> int:
    """The new project's number, made through the /enquete projet flow (anonymous)."""
    await animator.say("/enquete projet")
    await animator.say(name)
    await animator.press("Indicateurs de développement durable")
    await animator.press("Anonyme")
    assert f"Projet « {name} » créé" in animator.text, animator.text
    return int(animator.text.split("(n°")[1].split(")")[0])


async def add_partner(animator: Chat, project: int, name: str) -> str:
    """The partner's invitation code."""
    await animator.say(f"/enquete partenaire {project} {name}")
    assert "Son code : " in animator.text, animator.text
    return animator.text.split("Son code : ")[1].split()[0].strip("*")


async def sign_up_respondent(app: App, user_id: str, name: str, company: str, code: str) -> Chat:
    """Someone outside the pôle signs up with a partner's code."""
    chat = Chat(app, Platform.TELEGRAM, user_id)
    await chat.say("/start")
    await chat.press("J'accepte")
    await chat.say(name)
    await chat.say(company)
    await chat.press("Autre")
    await chat.say(code)
    assert "Vous répondez désormais pour" in chat.text, chat.text
    return chat


async def answer_all(
    chat: Chat,
    partner: str,
    choice: str,
    *,
    comment: str | None = None,
    count: int = HYDREOS_COUNT,
) -> None:
    """Fill in the partner's response, each of the set's ``count`` affirmations with
    ``choice``, giving ``comment`` at the end of the first axis and skipping the others."""
    await chat.say("/enquete")
    await chat.press(f"Répondre pour {partner}")
    for _ in range(count):
        await chat.press(choice)
        if "(facultatif)" in chat.text:
            await (chat.say(comment) if comment else chat.press("Passer"))
            comment = None
    assert "Merci !" in chat.text, chat.text
