"""Who may change a pôle's watch: its animators (and admins)."""

from __future__ import annotations

from bot.conversation import Context
from bot.messages import Reply


def animator_refusal(context: Context) -> Reply | None:
    """Why a member who is not an animator cannot do this; None for an animator."""
    if context.has_role("animator"):
        return None
    return context.say("errors.role_required", role=context.texts.label("roles.animator"))
