"""An SMTP server on 127.0.0.1 (aiosmtpd, in a thread of its own) that keeps what it receives.

    async with FakeSmtp(login=("club-rse", "s3cret")) as smtp:
        await send(message, smtp_url=smtp.url)
        (received,) = smtp.messages

``refuse(code, text)`` makes it answer every RCPT TO with that reply, as a server does for an
unknown mailbox (550) or a full one (452); ``accept()`` takes mail again.
"""

from __future__ import annotations

import asyncio
import email
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any, Self
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    login: str | None


class FakeSmtp:
    """Accepts mail on a free port; with ``login``, offers AUTH and checks those credentials."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.login = login
        self.received: list[Received] = []
        self._refusal: str | None = None
        self._controller = _Controller(
            self,
            hostname="127.0.0.1",
            port=0,
            # AUTH offered in plain text: tests have no certificate, and nothing leaves 127.0.0.1.
            # Not required, which aiosmtpd warns about without TLS: `received.login` tells.
            auth_require_tls=False,
            authenticator=self._authenticate if login is not None else None,
        )

    @property
    def messages(self) -> list[EmailMessage]:
        return [received.message for received in self.received]

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def url(self) -> str:
        """smtp://user:password@127.0.0.1:port (the credentials percent-encoded), or without."""
        if self.login is None:
            return f"smtp://127.0.0.1:{self.port}"
        user, password = (quote(part, safe="") for part in self.login)
        return f"smtp://{user}:{password}@127.0.0.1:{self.port}"

    def refuse(self, code: int, text: str) -> None:
        self._refusal = f"{code} {text}"

    def accept(self) -> None:
        """Take mail again, as a server does once the mailbox has room."""
        self._refusal = None

    async def __aenter__(self) -> Self:
        # start() blocks until the server answers: not on the test's event loop.
        await asyncio.to_thread(self._controller.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self._controller.stop)

    # aiosmtpd's handler hooks, called on the server's thread.

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self._refusal is not None:
            return self._refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if session.auth_data else None
        self.received.append(
            Received(envelope.mail_from or "", tuple(envelope.rcpt_tos), message, login)
        )
        return "250 Message accepted for delivery"

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        expected = LoginPassword(*(part.encode() for part in self.login))
        if isinstance(auth_data, LoginPassword) and auth_data == expected:
            return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0, the server has its port now: Controller connects to it to check
        # that it answers, and our URL needs it.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()
