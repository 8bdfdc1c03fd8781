"""``platform:id`` references to accounts, as typed by admins in chat and on the command line."""

from __future__ import annotations

from bot.messages import Platform


def parse_account(reference: str) -> tuple[Platform, str] | None:
    """``telegram:12345`` → (Platform.TELEGRAM, "12345"); None when it is not such a reference."""
    platform, separator, user_id = reference.strip().partition(":")
    if not separator or not user_id:
        return None
    try:
        return Platform(platform.lower()), user_id
    except ValueError:
        return None
