"""``rse-bot admin``: members' roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import fail, with_app

if TYPE_CHECKING:
    from bot.app import App

cli = typer.Typer(help="Rôles des membres.", no_args_is_help=True)


@cli.command("grant")
def grant(
    role: Annotated[str, typer.Argument(help="member, animator ou admin (ou en français).")],
    account: Annotated[str, typer.Argument(help="console:NOM, telegram:ID ou slack:ID.")],
    pole: Annotated[
        str | None, typer.Option(help="Nom ou code du pôle (par défaut : son pôle actuel).")
    ] = None,
) -> None:
    """Donner un rôle à une personne inscrite."""
    from bot.identities import parse_account
    from bot.storage import repositories as repo
    from content.text import fold
    from handlers.roles import ROLE_WORDS

    wanted = ROLE_WORDS.get(fold(role))
    if wanted is None:
        raise fail(f"rôle inconnu « {role} » : member, animator ou admin.")
    parsed = parse_account(account)
    if parsed is None:
        raise fail(f"compte « {account} » illisible : console:NOM, telegram:ID ou slack:ID.")
    platform, user_id = parsed

    async def give(app: App) -> None:
        async with app.database.transaction() as session:
            person = await repo.person_for(session, platform=platform.value, user_id=user_id)
            if person is None:
                raise fail(
                    f"personne n'est inscrit avec {account} : cette personne doit d'abord "
                    "s'inscrire avec /start."
                )
            target = (
                await repo.pole_by_name_or_code(session, key=pole)
                if pole
                else await repo.pole_by_id(session, person.active_pole_id)
            )
            if target is None:
                raise fail(f"pôle « {pole} » introuvable (voir « rse-bot pole list »).")
            member = await repo.membership(session, person_id=person.id, pole_id=target.id)
            if member is None:
                raise fail(f"{account} n'est pas membre du pôle « {target.name} ».")
            await repo.set_role(session, member=member, role=wanted)
        role_name = app.content.texts(app.settings.locale).label(f"roles.{wanted}")
        typer.echo(
            f"{person.display_name} ({account}) est désormais {role_name} de « {target.name} »."
        )

    with_app(give)
