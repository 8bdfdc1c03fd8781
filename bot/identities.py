"""``platform:id`` references to accounts, as typed by admins in chat and on the command line."""

from __future__ import annotations

from bot.messages import CHAT_PLATFORMS, Platform


def parse_account(reference: str) -> tuple[Platform, str] | None:
    """``telegram:12345`` → (Platform.TELEGRAM, "12345"); None when it is not such a reference."""
    platform, separator, user_id = reference.strip().partition(":")
    if not separator or not user_id:
        return None
    try:
        parsed = Platform(platform.lower())
    except ValueError:
        return None
    # An e-mail address is where invitations go, never an account to name.
    return (parsed, user_id) if parsed in CHAT_PLATFORMS else None
