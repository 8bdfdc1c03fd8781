"""Drive conversations with the app the way a transport would, and read what it answered."""

from __future__ import annotations

from sqlmodel import select

from bot.app import App
from bot.messages import Button, Incoming, IncomingFile, Platform, Reply
from bot.storage import repositories as repo
from bot.storage.models import PRIVATE_CHAT, ConversationState, Membership, Person, Pole


class Chat:
    """One account talking to the bot; keeps the last replies to press their buttons."""

    def __init__(
        self, app: App, platform: Platform, user_id: str, *, group: str | None = None
    ) -> None:
        self.app = app
        self.platform = platform
        self.user_id = user_id
        # The group chat this account writes in, None for its private chat with the bot.
        self.group = group
        self.replies: list[Reply] = []

    def in_group(self, group: str) -> Chat:
        """The same account, writing in the group chat ``group``."""
        return Chat(self.app, self.platform, self.user_id, group=group)

    @property
    def chat_id(self) -> str:
        return self.group or self.user_id

    def _where(self) -> dict[str, object]:
        return {"is_group": self.group is not None}

    async def say(self, text: str) -> list[Reply]:
        incoming = Incoming.typed(self.platform, self.user_id, self.chat_id, text, **self._where())
        return await self._send(incoming)

    async def send_file(
        self, filename: str, data: bytes, mime_type: str = "application/pdf", caption: str = ""
    ) -> list[Reply]:
        """Send a file as a platform would: named, sized, fetched only if a step wants it."""

        async def fetch() -> bytes:
            return data

        sent = IncomingFile(filename, mime_type, len(data), fetch)
        incoming = Incoming.typed(
            self.platform, self.user_id, self.chat_id, caption, files=(sent,), **self._where()
        )
        return await self._send(incoming)

    async def press(self, label: str) -> list[Reply]:
        """Press the button whose label starts with ``label`` among the last replies."""
        return await self.press_value(self.button(label).value)

    async def press_value(self, value: str) -> list[Reply]:
        pressed = Incoming.pressed(
            self.platform, self.user_id, self.chat_id, value, **self._where()
        )
        return await self._send(pressed)

    async def _send(self, incoming: Incoming) -> list[Reply]:
        self.replies = await self.app.handle(incoming)
        assert self.replies, f"no reply to {incoming}"
        return self.replies

    @property
    def text(self) -> str:
        """All the last replies' texts, joined."""
        return "\n\n".join(str(reply.text) for reply in self.replies)

    @property
    def buttons(self) -> list[Button]:
        return [button for reply in self.replies for button in reply.buttons]

    def button(self, label: str) -> Button:
        found = [b for b in self.buttons if b.label.startswith(label)]
        assert len(found) == 1, f"no single button {label!r} in {[b.label for b in self.buttons]}"
        return found[0]

    async def sign_up(
        self,
        name: str = "Alice Martin",
        company: str = "Biocoop Lyon",
        sector: str = "Agroalimentaire / bio",
        code: str | None = None,
        email: str | None = None,
    ) -> None:
        """Complete onboarding, joining the pôle of ``code`` or else the default one; where the
        bot sends e-mail and so asks for an address, giving ``email`` or skipping."""
        await self.say("/start")
        await self.press("J'accepte")
        await self.say(name)
        await self.say(company)
        await self.press(sector)
        if self.app.settings.mail_enabled:
            await (self.say(email) if email else self.press("Passer"))
        if code is None:
            await self.press("Rejoindre")
        else:
            await self.say(code)
        assert "bienvenue" in self.text, self.text

    async def person(self) -> Person | None:
        async with self.app.database.transaction() as session:
            return await repo.person_for(
                session, platform=self.platform.value, user_id=self.user_id
            )

    async def state(self) -> ConversationState | None:
        async with self.app.database.transaction() as session:
            return await session.scalar(
                select(ConversationState).where(
                    ConversationState.platform == self.platform.value,
                    ConversationState.platform_user_id == self.user_id,
                    ConversationState.chat_scope == (self.group or PRIVATE_CHAT),
                )
            )

    async def grant(self, role: str, pole: Pole | None = None) -> None:
        """Give this account ``role`` in ``pole`` (default: its current pôle), as the CLI would."""
        async with self.app.database.transaction() as session:
            person = await repo.person_for(
                session, platform=self.platform.value, user_id=self.user_id
            )
            assert person is not None and person.id is not None
            pole_id = pole.id if pole else person.active_pole_id
            member = await session.scalar(
                select(Membership).where(
                    Membership.person_id == person.id, Membership.pole_id == pole_id
                )
            )
            assert member is not None
            await repo.set_role(session, member=member, role=role)
