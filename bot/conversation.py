"""What feature modules declare (commands, flows and their steps) and the context they receive."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bot.config import Settings
from bot.messages import Attachment, Button, ForwardedFrom, Incoming, IncomingFile, Reply
from bot.storage.models import (
    ConversationState,
    Membership,
    Person,
    Pole,
)
from bot.storage.session import Session
from content.loader import Content, Texts
from content.roles import role_at_least


class Snapshot(NamedTuple):
    """What a state holds, to tell whether a message changed it (and what must be written)."""

    locale: str | None
    flow: str | None
    step: str | None
    pole_id: int | None
    # Serialised, since flows change the dict in place; None outside a flow, most messages.
    answers: str | None

    @classmethod
    def of(cls, state: ConversationState) -> Snapshot:
        answers = json.dumps(state.data, sort_keys=True) if state.data else None
        return cls(state.locale, state.flow, state.step, state.pole_id, answers)


@dataclass
class Context:
    """Everything a handler may use for one incoming message; built by the router."""

    session: Session
    settings: Settings
    content: Content
    incoming: Incoming
    state: ConversationState
    commands: Sequence[Command]
    person: Person | None = None
    pole: Pole | None = None
    member: Membership | None = None
    # The state as loaded, so the router writes it back only when a message changed it.
    saved: Snapshot | None = None
    state_erased: bool = False

    @property
    def locale(self) -> str:
        return (self.person and self.person.locale) or self.state.locale or self.settings.locale

    @property
    def texts(self) -> Texts:
        return self.content.texts(self.locale)

    @property
    def data(self) -> dict[str, Any]:
        """The answers given so far in the current flow."""
        return self.state.data

    @property
    def pole_id(self) -> int:
        """The pôle the person acts in, for a command or flow that requires a role (which
        only members of a pôle hold)."""
        assert self.pole is not None and self.pole.id is not None
        return self.pole.id

    @property
    def person_id(self) -> int:
        """The signed-up person, for a command or flow that requires a role."""
        assert self.person is not None and self.person.id is not None
        return self.person.id

    def has_role(self, role: str) -> bool:
        return self.member is not None and role_at_least(self.member.role, role)

    def say(
        self,
        key: str,
        *,
        buttons: Sequence[Button] = (),
        attachments: Sequence[Attachment] = (),
        **values: object,
    ) -> Reply:
        return Reply(self.texts(key, **values), tuple(buttons), tuple(attachments))

    def choice(self, label: str, value: str) -> Button:
        """A button answering the current flow step with ``value``."""
        return Button(label, f"{self.state.flow}:{self.state.step}:{value}")

    def yes_no(self, question_key: str, yes_key: str, no_key: str, **values: object) -> Reply:
        """A question answered by two buttons carrying ``yes`` and ``no``."""
        return self.say(
            question_key,
            buttons=[
                self.choice(self.texts.label(yes_key), "yes"),
                self.choice(self.texts.label(no_key), "no"),
            ],
            **values,
        )

    def command_button(self, label: str, command: str) -> Button:
        return Button(label, f"/{command}")

    def start_flow(self, flow: str, data: dict[str, Any] | None = None) -> None:
        """Begin ``flow`` here, in this chat and in the person's current pôle: its steps act
        in that pôle or not at all."""
        self.state.flow, self.state.step, self.state.data = flow, None, dict(data or {})
        self.state.pole_id = self.pole.id if self.pole is not None else None

    def end_flow(self) -> None:
        self.state.flow, self.state.step, self.state.data = None, None, {}
        self.state.pole_id = None

    def forget_state(self) -> None:
        """The state row was deleted with the person's data: do not write it back."""
        if self.state in self.session:
            self.session.expunge(self.state)
        self.end_flow()
        self.state_erased = True


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply to a flow step: a pressed (or typed) choice, free text, or files (with their
    caption as text) for a step that takes files; a forwarded post says where it came from."""

    text: str = ""
    choice: str | None = None
    files: tuple[IncomingFile, ...] = ()
    forwarded_from: ForwardedFrom | None = None


@dataclass(frozen=True, slots=True)
class Next:
    """Go to ``step`` (whose question is then asked), after sending ``replies``."""

    step: str
    replies: Sequence[Reply] = ()


@dataclass(frozen=True, slots=True)
class Retry:
    """The answer cannot be used: say why and ask the same question again."""

    reply: Reply


@dataclass(frozen=True, slots=True)
class Done:
    """The flow is over."""

    replies: Sequence[Reply] = ()


Outcome = Next | Retry | Done
Handler = Callable[[Context], Awaitable[Sequence[Reply]]]


@dataclass(frozen=True, slots=True)
class Step:
    ask: Callable[[Context], Awaitable[Reply]]
    answer: Callable[[Context, Answer], Awaitable[Outcome]]
    # Other steps answer a file sent without text with errors.text_only.
    takes_files: bool = False


@dataclass(frozen=True, slots=True)
class Flow:
    """A multi-step conversation; its state is saved after every step.

    ``role``, as for a command, is what every step needs, checked by the router before each
    one; a flow with a role belongs to the pôle it began in (see ``Context.start_flow``).
    ``guard`` is what a flow open to people outside the pôle needs instead (a survey
    respondent's partner, its wave still open), checked the same way: why the flow may not go
    on, or None.
    """

    name: str
    title_key: str
    first: str
    steps: Mapping[str, Step]
    role: str | None = None
    guard: Callable[[Context], Awaitable[Reply | None]] | None = None


@dataclass(frozen=True, slots=True)
class Command:
    """``/name``: run by anyone (``role=None``) or by members holding at least ``role``."""

    name: str
    handler: Handler
    help_key: str
    role: str | None = None
    starts_flow: str | None = None
    aliases: tuple[str, ...] = ()
    # Refused in group chats: what it shows or asks is personal.
    private_only: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Feature:
    """What one module of ``handlers/`` contributes. ``fallback`` answers free text typed
    outside any command and flow (one feature at most): its replies, or none to let the router
    say it did not understand."""

    commands: Sequence[Command] = ()
    flows: Sequence[Flow] = field(default=())
    fallback: Handler | None = None
