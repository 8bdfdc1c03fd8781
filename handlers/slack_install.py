"""/slack: a pôle's admin gets the link that installs the bot in their pôle's Slack workspace,
whose members then join the pôle."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Reply
from bot.slack_links import LINK_SECONDS, install_links


async def install_link(context: Context) -> list[Reply]:
    """The install link of the admin's current pôle, or why there is none to give."""
    if not context.settings.slack_oauth:
        return [context.say("slack.one_workspace")]
    assert context.pole is not None and context.pole.id is not None
    return [
        context.say(
            "slack.install_link",
            pole=context.pole.name,
            url=install_links(context.settings).link(context.pole.id),
            days=LINK_SECONDS // 86400,
        )
    ]


feature = Feature(
    commands=[
        Command(
            "slack",
            install_link,
            "slack.help",
            role="admin",
            aliases=("installer-slack",),
            private_only=True,
        )
    ]
)
