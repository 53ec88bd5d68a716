"""One translation catalog for core and GUI.

Source strings are English; the catalog in resources/translations/<lang>/*.json maps
them to the user's language (Simplified Chinese by default). Mark a string with
``_("...")`` where it is shown, or ``N_("...")`` where it is defined and shown later;
use ``.format`` with named fields, never an f-string, inside a marked string.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache

from redstation.paths import resource_dir

DEFAULT_LANGUAGE = "zh_CN"
_language = os.environ.get("REDSTATION_LANG", DEFAULT_LANGUAGE)


@lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    folder = resource_dir() / "translations" / language
    merged: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def set_language(language: str) -> None:
    global _language
    _language = language


def language() -> str:
    return _language


def _(text: str) -> str:
    if _language == "en":
        return text
    return catalog(_language).get(text) or text


def N_(text: str) -> str:
    """Mark a string for translation without translating it yet."""
    return text
