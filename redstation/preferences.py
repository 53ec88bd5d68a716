"""The user's own preferences on this PC: a small settings.json in the per-user data folder.

Not station data: the station's settings live in its database and travel with it, while
these belong to the person at this PC (the window's language, the last version whose news
they saw). A missing or damaged file means the defaults; writing replaces the file whole.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from redstation import paths

FILE_NAME = "settings.json"


def settings_path(*, create: bool = True) -> Path:
    return paths.data_dir(create=create) / FILE_NAME


def load() -> dict[str, Any]:
    """Every saved preference; {} when there is no file or it cannot be read (reading makes no folder)."""
    try:
        data = json.loads(settings_path(create=False).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def get(key: str, default: Any = None) -> Any:
    return load().get(key, default)


def set(key: str, value: Any) -> None:  # noqa: A001  (preferences.set reads well)
    """Save one preference (None removes it), written to a temporary file and renamed into place."""
    data = load()
    if value is None:
        data.pop(key, None)
    else:
        data[key] = value
    target = settings_path()
    handle, temporary = tempfile.mkstemp(prefix=".settings-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, indent=2, sort_keys=True)
            file.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
