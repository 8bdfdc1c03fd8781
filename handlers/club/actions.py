"""What can follow /club: each module of the club package lists its own actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.conversation import Context
from bot.messages import Reply

Run = Callable[[Context, Sequence[str]], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Action:
    """``/club WORD ARGS…``: ``words`` are what people type, folded (French, then English);
    ``run`` gets the arguments after the word. ``role`` is checked before it runs."""

    words: tuple[str, ...]
    run: Run
    role: str = "member"
