"""What the Slack transport needs from a Slack app, in one place: the events it listens to, the
Web API methods it calls and the scope each needs, its slash command and its paths; and the app
manifest built from them (``rse-bot slack manifest``, deploy/slack-manifest.yaml), whose scopes
are also the ones an OAuth installation asks for.

Kept apart from bot/transports/slack.py so that printing a manifest does not import Bolt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
SLASH_COMMAND = "/rse"

# The events the transport registers a Bolt listener for (``app.event(...)``), each with the
# bot event the app subscribes to and the bot scope that event needs. « message » is listened
# to in direct messages only: the subscription is « message.im », not the channels' messages.
EVENTS: Mapping[str, tuple[str, str | None]] = {
    "message": ("message.im", "im:history"),
    "app_mention": ("app_mention", "app_mentions:read"),
    "app_home_opened": ("app_home_opened", None),
}
# The Web API methods the transport calls (slack_sdk's names), each with the bot scope it needs.
# files_upload_v2 is files.getUploadURLExternal then files.completeUploadExternal, both
# files:write; views.publish and auth.test need none.
METHOD_SCOPES: Mapping[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    "views_publish": None,
}
# What else the transport does and the scope it needs: the slash command, and fetching a file a
# member shared (its url_private_download, read with the bot token).
OTHER_SCOPES: Mapping[str, str] = {
    "slash command": "commands",
    "shared files": "files:read",
}


def bot_scopes() -> list[str]:
    """Every bot scope the transport needs, sorted: the manifest's and OAuth's."""
    needed = {scope for _, scope in EVENTS.values()} | set(METHOD_SCOPES.values())
    return sorted({scope for scope in needed | set(OTHER_SCOPES.values()) if scope})


def manifest(url: str | None = None, *, name: str = "rse-bot") -> dict[str, Any]:
    """The app manifest: with ``url`` (the bot's public address), events, interactivity and the
    slash command come as HTTP requests there and workspaces install through OAuth; without,
    everything comes through Socket Mode."""
    base = url.rstrip("/") if url else None
    slash: dict[str, Any] = {
        "command": SLASH_COMMAND,
        "description": "Parler au bot RSE du pôle (/rse aide : les commandes)",
        "usage_hint": "aide",
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": sorted(event for event, _ in EVENTS.values())}
    interactivity: dict[str, Any] = {"is_enabled": True}
    oauth: dict[str, Any] = {"scopes": {"bot": bot_scopes()}}
    if base is not None:
        slash["url"] = base + EVENTS_PATH
        events["request_url"] = base + EVENTS_PATH
        interactivity["request_url"] = base + EVENTS_PATH
        oauth = {"redirect_urls": [base + REDIRECT_PATH], **oauth}
    return {
        "display_information": {
            "name": name,
            "description": "Le bot RSE du pôle : diagnostic, veille, club, enquêtes.",
            "background_color": "#2e6b30",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [slash],
        },
        "oauth_config": oauth,
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": base is None,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(url: str | None = None) -> str:
    """The manifest as YAML, to paste in « Create New App → From a manifest »."""
    base = url.rstrip("/") if url else None
    mode = f"requêtes HTTP vers {base}" if base else "Socket Mode"
    command = f"rse-bot slack manifest --url {base}" if base else "rse-bot slack manifest"
    header = (
        f"# Manifeste de l'app Slack de rse-bot ({mode}), fait par « {command} ».\n"
        "# À coller dans https://api.slack.com/apps → Create New App → From a manifest.\n"
    )
    return header + yaml.safe_dump(manifest(url), sort_keys=False, allow_unicode=True, width=100)
