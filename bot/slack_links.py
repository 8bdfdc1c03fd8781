"""Install links of the Slack app, each carrying the pôle whose workspace it ties, signed with
the app's client secret so that only whoever got one from the bot (``/slack``) or its
administrator (``rse-bot slack install-link``) ties a workspace to a pôle; and the OAuth states
of those installs, which carry the pôle the same way, so that no state is stored between the
install page and Slack's redirect (any instance of the bot takes either request).

Apart from bot/transports/slack_oauth.py, which uses them, so that a handler makes a link
without importing Slack's libraries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlencode

from bot.config import Settings
from bot.transports.slack_manifest import INSTALL_PATH

# An admin may follow their install link days after asking for it; the OAuth state only lives
# while they are on Slack's consent page.
LINK_SECONDS = 7 * 24 * 3600
STATE_SECONDS = 600


class PoleLinks:
    """Install links and OAuth states that carry a pôle, signed."""

    def __init__(self, secret: str, public_url: str) -> None:
        self._key = secret.encode()
        self.public_url = public_url.rstrip("/")

    def link(self, pole_id: int) -> str:
        """The address a pôle's admin opens to install the app in their workspace."""
        token = self._sign("link", pole_id, LINK_SECONDS)
        return f"{self.public_url}{INSTALL_PATH}?{urlencode({'pole': token})}"

    def pole_of_link(self, token: str | None) -> int | None:
        return self._verify("link", token)

    def state(self, pole_id: int) -> str:
        return self._sign("state", pole_id, STATE_SECONDS)

    def pole_of_state(self, state: str | None) -> int | None:
        return self._verify("state", state)

    def _sign(self, purpose: str, pole_id: int, lifetime: int) -> str:
        body = f"{pole_id}.{int(time.time()) + lifetime}.{secrets.token_urlsafe(8)}"
        return f"{body}.{self._mac(purpose, body)}"

    def _verify(self, purpose: str, token: str | None) -> int | None:
        """The pôle a token of ``purpose`` carries, None if forged, altered or expired."""
        body, _, mac = (token or "").rpartition(".")
        if not body or not hmac.compare_digest(mac, self._mac(purpose, body)):
            return None
        pole_id, expires, _ = body.split(".", 2)
        return int(pole_id) if int(expires) >= time.time() else None

    def _mac(self, purpose: str, body: str) -> str:
        # The purpose is signed too: an install link is never taken for a state.
        return hmac.new(self._key, f"{purpose}:{body}".encode(), hashlib.sha256).hexdigest()[:32]


def install_links(settings: Settings) -> PoleLinks:
    """The install links of this deployment (RSEBOT_SLACK_CLIENT_ID/SECRET set)."""
    assert settings.slack_client_secret is not None and settings.public_url is not None
    return PoleLinks(settings.slack_client_secret.get_secret_value(), settings.public_url)
