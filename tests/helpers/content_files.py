"""Content files changed the way a maintainer would, to see what the loader says of them."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml


def edit_yaml(path: Path, change: Callable[[Any], None]) -> None:
    """Read the YAML file, let ``change`` alter its data, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
