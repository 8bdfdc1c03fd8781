"""/menu (the main actions as buttons) and /aide (what I can do here, for your role)."""

from __future__ import annotations

from bot.conversation import Command, Context, Feature
from bot.messages import Button, Reply, Text
from handlers.awareness import progress as awareness_progress
from handlers.readiness import check as readiness_check


def usable_here(context: Context, command: Command) -> bool:
    """Whether this person may run ``command`` in this chat: their role, and in a group only
    what shows nothing personal (the router refuses the rest there anyway)."""
    if command.private_only and context.incoming.is_group:
        return False
    return command.role is None or context.has_role(command.role)


def menu_buttons(context: Context) -> list[Button]:
    """The menu entries of content/menu.yaml this person may use here, as command buttons."""
    registered = {command.name: command for command in context.commands}
    # Signed up, even without a pôle (a survey partner's respondent).
    signed_up = context.person is not None
    return [
        context.command_button(item.label(context.locale), item.command)
        for item in context.content.menu
        if item.command in registered
        and usable_here(context, registered[item.command])
        and (item.role is None or context.has_role(item.role))
        and not (item.newcomers_only and signed_up)
    ]


async def show_menu(context: Context) -> list[Reply]:
    """Show the main actions as buttons."""
    key = "menu.title" if context.person is not None else "menu.title_newcomer"
    return [context.say(key, buttons=menu_buttons(context))]


async def show_help(context: Context) -> list[Reply]:
    """List the commands this person may use, then what signing up would add."""
    texts = context.texts
    lines = [
        texts("help.line", command=command.name) + texts(command.help_key)
        for command in context.commands
        if usable_here(context, command)
    ]
    if context.incoming.is_group:
        key = "help.intro_group"
    else:
        key = "help.intro" if context.member is not None else "help.intro_newcomer"
        if context.member is None and context.person is not None:
            key = "help.intro_no_pole"
    role = texts.label(f"roles.{context.member.role}") if context.member else ""
    body = Text.join([texts(key, role=role), *lines, texts("help.outro")])
    return [Reply(body, tuple(menu_buttons(context)))]


async def show_home(context: Context) -> list[Reply]:
    """Summarise who I am here and what to do next (also Slack's App Home tab)."""
    person, pole, member = context.person, context.pole, context.member
    if person is None:
        return [context.say("home.newcomer", buttons=menu_buttons(context))]
    if pole is None or member is None:
        # Signed up with a survey partner's code: they answer for an organisation, not a member.
        return [
            context.say(
                "home.no_pole",
                name=person.display_name or "",
                company=person.company or "",
                buttons=menu_buttons(context),
            )
        ]
    summary = context.texts(
        "home.member",
        name=person.display_name or "",
        company=person.company or "",
        pole=pole.name,
        role=context.texts.label(f"roles.{member.role}"),
    )
    modules = await awareness_progress.home_line(context)
    readiness = await readiness_check.home_line(context)
    return [Reply(Text.join([summary, modules, readiness]), tuple(menu_buttons(context)))]


feature = Feature(
    commands=[
        Command("aide", show_help, "help.aide", aliases=("help",)),
        Command("menu", show_menu, "help.menu"),
        Command("accueil", show_home, "help.accueil", aliases=("home",), private_only=True),
    ]
)
