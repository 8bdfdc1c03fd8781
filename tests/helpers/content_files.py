"""Content files changed the way a maintainer would, to see what the loader says of them, and
what content tests read in them: every text of a model, sentences that would call ISO 26000
certifiable."""

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from content.loader import CONTENT_DIR, Localized
from content.text import fold


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Read the YAML file, let ``change`` alter its data, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def copy_content(tmp_path: Path) -> Path:
    """A copy of the content files (data only), to break."""
    copy = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy


def localized_texts(value: Any, where: str = "") -> Iterator[tuple[str, Localized]]:
    """Every Localized text in a model (and its dicts, lists and tuples), with where it is."""
    if isinstance(value, Localized):
        yield where, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from localized_texts(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from localized_texts(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from localized_texts(item, f"{where}.{index}")


SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
NEGATION = re.compile(r"\b(pas|jamais|non|not|never|cannot)\b")


def says_iso_26000_certifiable(text: str) -> list[str]:
    """The sentences of ``text`` that speak of ISO 26000 and of certification without a
    negation: each would tell a member a company can be « certifiée ISO 26000 »."""
    found = []
    for sentence in SENTENCE_END.split(text):
        folded = fold(sentence)
        about = "26000" in folded.replace(" ", "") and "certif" in folded
        if about and not NEGATION.search(folded):
            found.append(sentence.strip())
    return found
