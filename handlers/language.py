"""/langue: choose French or English for everything the bot says to you."""

from __future__ import annotations

from bot.config import Settings
from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from bot.storage.models import Person
from content.loader import LOCALES, Content, Texts

_SPOKEN = {
    "fr": "fr",
    "francais": "fr",
    "français": "fr",
    "en": "en",
    "english": "en",
    "anglais": "en",
}


def texts_for(content: Content, settings: Settings, person: Person) -> Texts:
    """What ``person`` reads when the bot writes to them first: their language, else the
    deployment's."""
    return content.texts(person.locale or settings.locale)


async def change_language(context: Context) -> list[Reply]:
    """Switch language with ``/langue en``; without an argument, offer both as buttons."""
    wanted = _SPOKEN.get(context.incoming.args[0].lower()) if context.incoming.args else None
    if wanted is None:
        buttons = [
            context.command_button(
                context.content.texts(code).label("language.name"), f"langue {code}"
            )
            for code in LOCALES
        ]
        key = "language.unknown" if context.incoming.args else "language.ask"
        return [context.say(key, buttons=buttons)]
    context.state.locale = wanted
    if context.person is not None:
        # The router's rows are written at commit.
        context.person.locale = wanted
    return [context.say("language.changed")]


feature = Feature(
    commands=[Command("langue", change_language, "help.langue", aliases=("language",))]
)
