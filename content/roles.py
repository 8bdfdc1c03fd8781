"""The roles a person holds in a pôle, from the least to the most rights: the one order of
roles, for the menu's content as for the bot's checks."""

from __future__ import annotations

ROLES: tuple[str, ...] = ("member", "animator", "admin")


def role_at_least(role: str, wanted: str) -> bool:
    """Whether ``role`` gives at least the rights of ``wanted``."""
    return ROLES.index(role) >= ROLES.index(wanted)
