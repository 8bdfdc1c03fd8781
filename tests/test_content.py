import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.conversation import Command
from bot.features import all_features
from bot.storage.models import ACTION_STATUSES, EVENT_ANSWERS, EXCHANGE_KINDS, POLL_CHOICES
from content.awareness.programmes import STEP_KINDS
from content.loader import CONTENT_DIR, LOCALES, Content, ContentError, load_content
from content.roles import ROLES, role_at_least
from content.veille.models import EDITION_KINDS
from handlers.answers import CONTENT_KINDS
from handlers.audiences import AUDIENCES, REACHABLE_FIRST
from handlers.awareness.review import KINDS as REVIEWED_KINDS
from handlers.club.admin import ROSTER_STATUSES
from handlers.club.bilan import BROUGHT_ROWS
from handlers.club.changes import WHAT
from handlers.club.meetings import LIMITS
from handlers.events.invitations import ANSWER_COMMANDS, CHANGEABLE, KIND_TEXTS
from handlers.events.poll import PollProblem
from handlers.events.reminders import STATUSES as REMINDED
from handlers.survey.charts import TEXT_FIELDS as CHART_TEXTS
from handlers.survey.exports import TEXT_FIELDS as EXPORT_TEXTS
from handlers.survey.waves import PARTNER_MESSAGES
from tests.helpers.content_files import edit_yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("bot", "handlers", "scheduler")
DOTTED_KEY = re.compile(r"^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$")
# Calls whose first argument is a text key: context.say, texts(...), texts.label, ...
TEXT_CALLS = frozenset({"say", "texts", "label", "ScheduleError"})
# Keys built with an f-string, and every value the placeholder can take.
KEY_FAMILIES: dict[str, tuple[str, ...]] = {
    "roles.": ROLES,
    "broadcast.audiences.": tuple(AUDIENCES),
    "broadcast.only.": tuple(p.value for p in REACHABLE_FIRST),
    "broadcast.statuses.": ("failed", "unreachable"),
    "plan.statuses.": ACTION_STATUSES,
    "digest.titles.": EDITION_KINDS,
    "digest.names.": EDITION_KINDS,
    "events.invitations.answers.": EVENT_ANSWERS,
    "events.kinds.": tuple(f"{kind}.{name}" for kind in ANSWER_COMMANDS for name in KIND_TEXTS),
    "events.invitations.changed.": CHANGEABLE,
    "club.changes.what.": tuple(WHAT),
    "club.meeting_ask.": tuple(LIMITS),
    "events.poll.": tuple(PollProblem),
    "events.reminders.status.": REMINDED,
    "club.date_poll.choices.": POLL_CHOICES,
    "club.admin.status.": ROSTER_STATUSES,
    "club.admin.hosting.": ("yes", "no"),
    "club.hosting.set.": ("yes", "no"),
    "club.hosting.line.": ("yes", "no", "unsaid"),
    "survey.waves.": PARTNER_MESSAGES,
    "club.bilan.brought.": BROUGHT_ROWS,
    "club.bilan.csv.brought.": BROUGHT_ROWS,
    "survey.charts.": CHART_TEXTS,
    "survey.exports.": EXPORT_TEXTS,
    "club.exchange.mine_line.": EXCHANGE_KINDS,
    "club.exchange.post_usage.": EXCHANGE_KINDS,
    "club.exchange.preview.": EXCHANGE_KINDS,
    "club.exchange.posted.": EXCHANGE_KINDS,
    "club.exchange.matching.": EXCHANGE_KINDS,
    # A label step has a button per label instead.
    "programmes.steps.do.": tuple(kind for kind in STEP_KINDS if kind != "label"),
    "answers.": tuple(kind + end for kind in CONTENT_KINDS for end in ("", "_button")),
    "awareness.review.kinds.": REVIEWED_KINDS,
    "workshops.overview.theme.": ("workshop", "thematic_day"),
    "workshops.demand.line.": ("theme", "words"),
}
# Identifiers of the sector packs: agroalimentaire/bio, végétal, numérique, industrie,
# eau/environnement, autre.
SPEC_SECTORS = ("agro_bio", "vegetal", "numerique", "industrie", "eau_environnement", "autre")


def _literals(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _key_arguments(call: ast.Call) -> Iterator[ast.expr]:
    name = _called(call)
    if name in TEXT_CALLS and call.args:
        yield call.args[0]
    if name == "Command" and len(call.args) >= 3:
        yield call.args[2]
    if name == "Flow" and len(call.args) >= 2:
        yield call.args[1]
    yield from (kw.value for kw in call.keywords if kw.arg in ("help_key", "title_key"))


def _scan_sources(sections: set[str]) -> tuple[set[str], set[str]]:
    """Text keys and f-string key prefixes found in the code.

    A key is taken from where texts are looked up (see _key_arguments), and also from any
    string starting with a known section (``key = "menu.title" if ... else ...``), so that a key
    kept in a variable or a table is checked too.
    """
    keys: set[str] = set()
    families: set[str] = set()
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # they say nothing, and name tables like sections ("events.id")
            tree = ast.parse(path.read_text(encoding="utf-8"))
            foreign_keys = {
                id(keyword.value)
                for call in ast.walk(tree)
                if isinstance(call, ast.Call)
                for keyword in call.keywords
                if keyword.arg == "foreign_key"
            }
            for node in ast.walk(tree):
                if id(node) in foreign_keys:
                    continue
                if isinstance(node, ast.Call):
                    for argument in _key_arguments(node):
                        keys.update(v for v in _literals(argument) if DOTTED_KEY.match(v))
                        if isinstance(argument, ast.JoinedStr):
                            head = argument.values[0] if argument.values else None
                            if isinstance(head, ast.Constant):
                                families.add(str(head.value))
                elif (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and DOTTED_KEY.match(node.value)
                    and node.value.split(".")[0] in sections
                ):
                    keys.add(node.value)
    return keys, families


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def _commands() -> dict[str, Command]:
    return {command.name: command for f in all_features() for command in f.commands}


def test_shipped_content_loads_in_every_language(content: Content) -> None:
    assert set(content.texts_by_locale) == set(LOCALES)
    french, english = content.texts_by_locale["fr"], content.texts_by_locale["en"]
    assert set(french.templates) == set(english.templates)
    assert french.label("onboarding.consent_yes") == "J'accepte"
    assert english.label("language.name") == "English"


def test_every_text_key_used_in_the_code_exists_in_every_language(content: Content) -> None:
    french = content.texts_by_locale["fr"].templates
    sections = {key.split(".")[0] for key in french}
    keys, families = _scan_sources(sections)
    assert len(keys) > 30, f"the scan found only {sorted(keys)}"
    unknown_families = families - KEY_FAMILIES.keys()
    assert not unknown_families, f"add the keys {unknown_families} can produce to KEY_FAMILIES"
    keys |= {prefix + suffix for prefix in families for suffix in KEY_FAMILIES[prefix]}
    for locale in LOCALES:
        missing = sorted(keys - set(content.texts_by_locale[locale].templates))
        assert not missing, f"{locale}.yaml lacks {missing}"


def test_every_command_help_and_flow_title_exists(content: Content) -> None:
    keys = {command.help_key for command in _commands().values()}
    keys |= {flow.title_key for feature in all_features() for flow in feature.flows}
    for locale in LOCALES:
        assert keys <= set(content.texts_by_locale[locale].templates), locale


def test_every_command_help_fits_telegrams_command_menu(content: Content) -> None:
    # Telegram refuses the whole menu (and the bot does not start) if one description is
    # longer than 256 characters.
    for locale in LOCALES:
        texts = content.texts(locale)
        too_long = {
            command.name: len(texts.label(command.help_key))
            for command in _commands().values()
            if len(texts.label(command.help_key)) > 256
        }
        assert not too_long, (locale, too_long)


def test_a_key_missing_in_english_is_refused(content_copy: Path) -> None:
    edit_yaml(
        content_copy / "texts" / "en" / "onboarding.yaml", lambda texts: texts.pop("ask_company")
    )
    with pytest.raises(ContentError, match=r"onboarding\.ask_company"):
        load_content(content_copy)


def test_different_placeholders_between_languages_are_refused(content_copy: Path) -> None:
    def rename_placeholder(texts: dict[str, Any]) -> None:
        texts["done"] = texts["done"].replace("{company}", "{firm}")

    edit_yaml(content_copy / "texts" / "en" / "onboarding.yaml", rename_placeholder)
    with pytest.raises(ContentError, match=r"onboarding\.done"):
        load_content(content_copy)


def test_unclosed_bold_marker_is_refused(content_copy: Path) -> None:
    def unclose(texts: dict[str, Any]) -> None:
        texts["confirm"] = "Voulez-vous vraiment effacer **toutes vos données ?"

    edit_yaml(content_copy / "texts" / "fr" / "privacy.yaml", unclose)
    with pytest.raises(ContentError, match=r"privacy\.confirm"):
        load_content(content_copy)


def test_every_menu_entry_is_a_registered_command(content: Content) -> None:
    registered = _commands()
    unknown = [item.command for item in content.menu if item.command not in registered]
    assert not unknown


def test_menu_entries_are_shown_only_to_those_allowed_to_use_them(content: Content) -> None:
    commands = _commands()
    for item in content.menu:
        needed = commands[item.command].role
        if needed is not None:
            assert item.role is not None, item.command
            assert role_at_least(item.role, needed), item.command


def test_sectors_are_unique_and_cover_the_spec(content: Content) -> None:
    ids = [sector.id for sector in content.sectors]
    assert len(ids) == len(set(ids))
    assert set(SPEC_SECTORS) <= set(ids)


def test_a_duplicate_sector_id_is_refused(content_copy: Path) -> None:
    def duplicate(data: dict[str, Any]) -> None:
        data["sectors"].append({"id": "numerique", "label": {"fr": "Logiciel", "en": "Software"}})

    edit_yaml(content_copy / "sectors.yaml", duplicate)
    with pytest.raises(ContentError, match="secteur en double"):
        load_content(content_copy)


def test_content_imports_nothing_from_the_bot() -> None:
    """content/ is the base layer: the bot reads it, never the other way round."""
    offending = []
    for path in CONTENT_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
                "bot",
                "handlers",
                "scheduler",
            }:
                offending.append(f"{path.name}: {node.module}")
            if isinstance(node, ast.Import):
                offending += [
                    f"{path.name}: {a.name}" for a in node.names if a.name.startswith("bot")
                ]
    assert offending == []


def test_a_key_defined_in_two_files_is_refused(content_copy: Path) -> None:
    # events/poll.yaml holds events.poll.*: events.yaml cannot define them too.
    (content_copy / "texts" / "fr" / "events.yaml").write_text(
        "poll:\n  closed: Clos.\n", encoding="utf-8"
    )
    with pytest.raises(ContentError, match=r"events\.poll\.closed défini deux fois"):
        load_content(content_copy)
