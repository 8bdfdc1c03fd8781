"""Sends each incoming message to its handler, inside one transaction, and saves the state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from weakref import WeakValueDictionary

from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.conversation import (
    Answer,
    Command,
    Context,
    Done,
    Feature,
    Flow,
    Handler,
    Next,
    Retry,
    Snapshot,
    Step,
)
from bot.messages import Incoming, Reply
from bot.metrics import Metrics
from bot.storage import repositories as repo
from bot.storage.database import Database
from bot.storage.models import PRIVATE_CHAT
from bot.storage.session import Session
from content.loader import Content
from content.roles import role_at_least
from content.text import fold

logger = logging.getLogger(__name__)

CANCEL_COMMANDS = frozenset({"annuler", "cancel"})


def chat_scope(incoming: Incoming) -> str:
    """The conversation a message belongs to: the private one, or that group's. A flow lives in
    the conversation where it began, so a group never sees a private flow's question."""
    return incoming.chat_id if incoming.is_group else PRIVATE_CHAT


class Router:
    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        content: Content,
        features: Iterable[Feature],
    ) -> None:
        self.database = database
        self.settings = settings
        self.content = content
        # This app's counters: each app has its own registry (bot/metrics.py).
        self.metrics = Metrics()
        self.commands: dict[str, Command] = {}
        self.flows: dict[str, Flow] = {}
        self.fallback: Handler | None = None
        for feature in features:
            if feature.fallback is not None:
                if self.fallback is not None:
                    raise ValueError("two features answer free text")
                self.fallback = feature.fallback
            for command in feature.commands:
                for name in command.names:
                    if name in self.commands or name in CANCEL_COMMANDS:
                        raise ValueError(f"command /{name} registered twice")
                    self.commands[name] = command
            for flow in feature.flows:
                if flow.name in self.flows:
                    raise ValueError(f"flow {flow.name} registered twice")
                self.flows[flow.name] = flow
        for command in self.commands.values():
            self._check_starts(command)
        self.visible_commands: tuple[Command, ...] = tuple(dict.fromkeys(self.commands.values()))
        # One message at a time per account, so that two quick presses cannot race a step.
        self._locks: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()

    def _check_starts(self, command: Command) -> None:
        """A command starting a flow must exist and ask at least the role its flow needs."""
        if command.starts_flow is None:
            return
        flow = self.flows.get(command.starts_flow)
        if flow is None:
            raise ValueError(f"/{command.name} starts an unknown flow {command.starts_flow}")
        if flow.role is not None and (
            command.role is None or not role_at_least(command.role, flow.role)
        ):
            raise ValueError(f"/{command.name} asks less than the role of flow {flow.name}")

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Answer one message; never raises, never stays silent."""
        started = self.metrics.timer()
        key = (incoming.platform.value, incoming.user_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            locale = self.settings.locale
            for attempt in (1, 2):
                try:
                    async with self.database.transaction() as session:
                        context = await self._context(session, incoming)
                        locale = context.locale
                        replies = await self._dispatch(context)
                        if not context.state_erased:
                            await self._save_state(context)
                    self.metrics.handled(key[0], "ok", started)
                    return replies
                except IntegrityError:
                    # Another instance stored this account's first state at the same moment:
                    # the message is handled again on top of it (nothing was sent yet).
                    if attempt == 2:
                        logger.exception("conflict handling a message from %s", incoming.platform)
                except Exception:
                    logger.exception("failed to handle a message from %s", incoming.platform)
                    break
            self.metrics.handled(key[0], "error", started)
            return [Reply(self.content.texts(locale)("errors.internal"))]

    async def _context(self, session: Session, incoming: Incoming) -> Context:
        platform = incoming.platform.value
        sender = await repo.account(
            session, platform=platform, user_id=incoming.user_id, chat_scope=chat_scope(incoming)
        )
        state = sender.state
        if sender.identity is not None and sender.identity.unreachable_at is not None:
            # They wrote to us, so they can be reached again.
            sender.identity.unreachable_at = sender.identity.unreachable_reason = None
        return Context(
            session,
            self.settings,
            self.content,
            incoming,
            state,
            self.visible_commands,
            sender.person,
            sender.pole,
            sender.member,
            saved=Snapshot.of(state),
        )

    async def _save_state(self, context: Context) -> None:
        state = context.state
        if state.flow is None and state.locale is None:
            if state.id is not None:
                await context.session.delete(state)
            return
        now, saved = Snapshot.of(state), context.saved
        if state.id is None or now != saved:
            # A language or a step changed alone does not write the answers again.
            answers_changed = saved is None or now.answers != saved.answers
            repo.save_state(context.session, state=state, answers_changed=answers_changed)

    async def _dispatch(self, context: Context) -> list[Reply]:
        incoming = context.incoming
        if incoming.button is not None and incoming.button.startswith("/"):
            # A pressed command is the command typed, in the same chat, under the same rules.
            context.incoming = incoming = incoming.retyped(incoming.button)
        flow = self.flows.get(context.state.flow or "")
        lapsed = await self._lapsed(context, flow)
        if lapsed is None:
            return await self._route(context, flow)
        context.end_flow()
        if incoming.command is None or incoming.command in CANCEL_COMMANDS:
            return [lapsed]
        return [lapsed, *await self._route(context, None)]

    async def _lapsed(self, context: Context, flow: Flow | None) -> Reply | None:
        """Why the current flow may not go on, if so: checked before every step, since roles
        and pôles change between two messages (and on another linked account)."""
        if flow is not None and flow.guard is not None:
            return await flow.guard(context)
        if flow is None or flow.role is None:
            return None
        state, pole = context.state, context.pole
        title = context.texts.label(flow.title_key)
        if state.pole_id is None and pole is not None:
            # Begun before flows recorded their pôle: it is the person's current one.
            state.pole_id = pole.id
        if pole is None or state.pole_id != pole.id:
            started = await repo.pole_by_id(context.session, state.pole_id)
            return context.say(
                "flow.other_pole",
                flow=title,
                pole=started.name if started is not None else "?",
                current=pole.name if pole is not None else "—",
            )
        if not context.has_role(flow.role):
            role = context.texts.label(f"roles.{flow.role}")
            return context.say("flow.role_lost", flow=title, role=role, pole=pole.name)
        return None

    async def _route(self, context: Context, flow: Flow | None) -> list[Reply]:
        incoming = context.incoming
        if incoming.button is not None:
            return await self._pressed(context, flow, incoming.button)
        if incoming.command is not None:
            return await self._command(context, flow)
        step = flow.steps[context.state.step or flow.first] if flow is not None else None
        if incoming.files and flow is not None and step is not None and step.takes_files:
            return await self._answer(context, flow, Answer(incoming.text, files=incoming.files))
        forwarded = incoming.forwarded_from
        if (incoming.unreadable or incoming.files) and not incoming.text.strip() and not forwarded:
            return [context.say("errors.text_only"), *await self._reask(context, flow)]
        if flow is not None:
            return await self._answer(
                context, flow, Answer(text=incoming.text, forwarded_from=forwarded)
            )
        if self.fallback is not None and (answered := list(await self.fallback(context))):
            return answered
        return [
            context.say(
                "errors.not_understood",
                buttons=[context.command_button(context.texts.label("menu.button"), "menu")],
            )
        ]

    async def _pressed(self, context: Context, flow: Flow | None, value: str) -> list[Reply]:
        flow_name, _, rest = value.partition(":")
        step, _, choice = rest.partition(":")
        if flow is not None and flow_name == flow.name and step == context.state.step:
            return await self._answer(context, flow, Answer(choice=choice))
        return [context.say("errors.stale_button"), *await self._reask(context, flow)]

    async def _command(self, context: Context, flow: Flow | None) -> list[Reply]:
        name = context.incoming.command or ""
        if name in CANCEL_COMMANDS:
            if flow is None:
                return [context.say("cancel.nothing")]
            title = context.texts.label(flow.title_key)
            context.end_flow()
            return [context.say("cancel.done", flow=title)]
        command = self.commands.get(name)
        if command is None:
            return [
                context.say("errors.unknown_command", command=name),
                *await self._reask(context, flow),
            ]
        if command.private_only and context.incoming.is_group:
            return [context.say("errors.private_only", command=name)]
        refusal = self._refusal(context, command)
        if refusal is not None:
            return [refusal, *await self._reask(context, flow)]
        if flow is not None and command.starts_flow is not None:
            if command.starts_flow == flow.name:
                return [context.say("flow.resume"), *await self._reask(context, flow)]
            return [
                context.say("flow.busy", flow=context.texts.label(flow.title_key)),
                *await self._reask(context, flow),
            ]
        replies = list(await command.handler(context))
        # A flow the command started asks its first question; one it interrupted asks again.
        current = self.flows.get(context.state.flow or "")
        if current is not None:
            context.state.step = context.state.step or current.first
            replies.extend(await self._reask(context, current))
        return replies

    def _refusal(self, context: Context, command: Command) -> Reply | None:
        if command.role is None or context.has_role(command.role):
            return None
        if context.member is None:
            return context.say("errors.members_only")
        role = context.texts.label(f"roles.{command.role}")
        return context.say("errors.role_required", role=role)

    async def _answer(self, context: Context, flow: Flow, answer: Answer) -> list[Reply]:
        step = flow.steps[context.state.step or flow.first]
        if answer.choice is None:
            answer = await self._typed_choice(context, step, answer)
        outcome = await step.answer(context, answer)
        match outcome:
            case Retry(reply):
                return [reply, await step.ask(context)]
            case Next(next_step, replies):
                context.state.step = next_step
                return [*replies, await flow.steps[next_step].ask(context)]
            case Done(replies):
                if context.state.flow == flow.name:
                    context.end_flow()
                return list(replies)
        raise TypeError(f"unexpected outcome {outcome!r}")

    async def _typed_choice(self, context: Context, step: Step, answer: Answer) -> Answer:
        """Accept a button's label typed instead of pressed, on any platform."""
        typed = fold(answer.text)
        if not typed:
            return answer
        question = await step.ask(context)
        prefix = f"{context.state.flow}:{context.state.step}:"
        for button in question.buttons:
            if fold(button.label) == typed and button.value.startswith(prefix):
                return Answer(text=answer.text, choice=button.value.removeprefix(prefix))
        return answer

    async def _reask(self, context: Context, flow: Flow | None) -> Sequence[Reply]:
        if flow is None or context.state.flow != flow.name:
            return ()
        step = flow.steps[context.state.step or flow.first]
        return (await step.ask(context),)
