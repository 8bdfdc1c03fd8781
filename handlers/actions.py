"""What can follow a command that gathers a feature's actions (``/club reunion``, ``/enquete
suivi``): each module of the feature's package lists its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.conversation import Context
from bot.messages import Reply
from content.text import fold

Run = Callable[[Context, Sequence[str]], Awaitable[list[Reply]]]


@dataclass(frozen=True, slots=True)
class Action:
    """``/COMMAND WORD ARGS…``: ``words`` are what people type, folded (French, then English);
    ``run`` gets the arguments after the word. ``role`` is checked before it runs; None: anyone
    signed up, the action checking what else it needs (a survey respondent's partner)."""

    words: tuple[str, ...]
    run: Run
    role: str | None = "member"


def by_word(actions: Sequence[Action]) -> dict[str, Action]:
    """The actions by each of their words; a word used twice is a bug."""
    found: dict[str, Action] = {}
    for action in actions:
        for word in action.words:
            if word in found:
                raise ValueError(f"« {word} » names two actions")
            found[word] = action
    return found


async def run_action(
    context: Context, actions: Mapping[str, Action], args: Sequence[str], usage_key: str
) -> list[Reply] | None:
    """Run the action named by ``args[0]`` if the person holds its role; its usage for an
    unknown word; None when ``args`` is empty (the command's own overview)."""
    if not args:
        return None
    action = actions.get(fold(args[0]))
    if action is None:
        return [context.say(usage_key)]
    if action.role is not None and not context.has_role(action.role):
        if context.member is None:
            return [context.say("errors.members_only")]
        return [
            context.say("errors.role_required", role=context.texts.label(f"roles.{action.role}"))
        ]
    return list(await action.run(context, args[1:]))
