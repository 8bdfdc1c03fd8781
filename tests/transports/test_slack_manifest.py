"""The Slack app manifest asks for exactly what the transport uses: the events it has Bolt
listeners for, the scopes of the Web API methods it calls, its slash command.

Both are read from the transport's source at test time (its ``app.event(...)`` registrations and
every ``client.<method>(...)`` call), so a listener or a call added without its manifest entry
fails here, whether or not a test happens to exercise it; recording the calls the fake receives
would only see what the other tests drive, and would depend on their order. The fake Slack
server then enforces the granted scopes on OAuth-installed workspaces (test_slack_oauth.py):
that is Slack's own check of the same table, at run time.
"""

import ast
from pathlib import Path

import yaml

import bot.transports.slack as slack_module
from bot.transports.slack_manifest import (
    EVENTS,
    EVENTS_PATH,
    METHOD_SCOPES,
    OTHER_SCOPES,
    REDIRECT_PATH,
    SLASH_COMMAND,
    bot_scopes,
    manifest,
    manifest_yaml,
)
from tests.helpers.cli import rse_bot

ROOT = Path(__file__).parents[2]
SOURCE = ast.parse(Path(slack_module.__file__).read_text(encoding="utf-8"))
URL = "https://rse.cluster-bio.fr"


def _registrations(kind: str) -> list[ast.expr]:
    """The first argument of every ``app.<kind>(...)`` in the transport."""
    return [
        node.args[0]
        for node in ast.walk(SOURCE)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == kind
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "app"
    ]


def _web_api_calls() -> set[str]:
    """Every method called on a Web API client (``client.x(...)``, ``self.client.x(...)``)."""
    called = set()
    for node in ast.walk(SOURCE):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        name = receiver.attr if isinstance(receiver, ast.Attribute) else getattr(receiver, "id", "")
        if name == "client":
            called.add(node.func.attr)
    return called


def test_the_events_table_is_the_events_the_transport_listens_to() -> None:
    listened = {ast.literal_eval(argument) for argument in _registrations("event")}
    assert listened == set(EVENTS)


def test_the_scope_table_is_the_methods_the_transport_calls() -> None:
    assert _web_api_calls() == set(METHOD_SCOPES)


def test_the_manifest_subscribes_to_those_events_and_asks_for_their_scopes() -> None:
    built = manifest(URL)
    assert built["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_mention",
        "message.im",
    ]
    needed = {s for _, s in EVENTS.values()} | set(METHOD_SCOPES.values())
    needed |= set(OTHER_SCOPES.values())
    assert built["oauth_config"]["scopes"]["bot"] == sorted(needed - {None}) == bot_scopes()
    # Nothing more than that: no channel history, no user profiles.
    assert bot_scopes() == [
        "app_mentions:read",
        "chat:write",
        "commands",
        "files:read",
        "files:write",
        "im:history",
        "im:write",
    ]


def test_the_manifest_has_the_slash_command_buttons_and_home_the_transport_serves() -> None:
    (command,) = _registrations("command")
    assert isinstance(command, ast.Name) and command.id == "SLASH_COMMAND"
    assert _registrations("action"), "the buttons' listener"
    built = manifest(URL)
    assert [c["command"] for c in built["features"]["slash_commands"]] == [SLASH_COMMAND]
    assert built["settings"]["interactivity"]["is_enabled"] is True
    home = built["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert not home["messages_tab_read_only_enabled"]


def test_with_a_url_slack_posts_everything_to_the_bot_and_returns_there_after_oauth() -> None:
    built = manifest(URL + "/")
    events = URL + EVENTS_PATH
    assert built["settings"]["event_subscriptions"]["request_url"] == events
    assert built["settings"]["interactivity"]["request_url"] == events
    assert built["features"]["slash_commands"][0]["url"] == events
    assert built["oauth_config"]["redirect_urls"] == [URL + REDIRECT_PATH]
    assert built["settings"]["socket_mode_enabled"] is False


def test_without_a_url_everything_comes_through_socket_mode() -> None:
    built = manifest()
    assert built["settings"]["socket_mode_enabled"] is True
    assert "request_url" not in built["settings"]["event_subscriptions"]
    assert "request_url" not in built["settings"]["interactivity"]
    assert "url" not in built["features"]["slash_commands"][0]
    assert "redirect_urls" not in built["oauth_config"]


def test_the_shipped_manifest_is_the_one_the_code_makes() -> None:
    shipped = (ROOT / "deploy" / "slack-manifest.yaml").read_text(encoding="utf-8")
    assert shipped == manifest_yaml()
    assert yaml.safe_load(shipped) == manifest()


def test_the_command_prints_the_manifest_with_the_bots_address(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "slack", "manifest", "--url", URL)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout) == manifest(URL)
    assert done.stdout.startswith(
        f"# Manifeste de l'app Slack de rse-bot (requêtes HTTP vers {URL})"
    )
    assert list(tmp_path.iterdir()) == [], "printing a manifest opens no database"


def test_the_command_refuses_a_plain_http_address(tmp_path: Path) -> None:
    done = rse_bot(tmp_path, "slack", "manifest", "--url", "http://rse.cluster-bio.fr")
    assert done.returncode == 1
    assert done.stderr.startswith("Erreur : --url attend l'adresse https://")
