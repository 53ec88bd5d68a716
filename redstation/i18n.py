"""One translation catalog for core and GUI.

Source strings are English; the catalog in resources/translations/<lang>/*.json maps
them to the user's language (Simplified Chinese by default). Mark a string with
``_("...")`` where it is shown, or ``N_("...")`` where it is defined and shown later;
use ``.format`` with named fields, never an f-string, inside a marked string.

The language is chosen once, when this module is first imported (before any window is
built): the environment variable REDSTATION_LANG if set, else the language saved in the
user's preferences (the settings page), else Simplified Chinese. A change made in the
settings page therefore takes effect at the next start.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from functools import lru_cache

from redstation import preferences
from redstation.paths import resource_dir

DEFAULT_LANGUAGE = "zh_CN"
# The languages the window offers, each named in itself; "en" shows the English source strings.
LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
LANGUAGE_KEY = "language"


def saved_language() -> str:
    """The language saved in the user's preferences, or the default (an unknown one counts as unset)."""
    saved = preferences.get(LANGUAGE_KEY)
    return saved if saved in LANGUAGES else DEFAULT_LANGUAGE


def save_language(language: str) -> None:
    """Remember the language for the next start (the running program keeps its language)."""
    if language not in LANGUAGES:
        raise ValueError("unknown language {language!r}".format(language=language))
    preferences.set(LANGUAGE_KEY, language)


def startup_language() -> str:
    return os.environ.get("REDSTATION_LANG") or saved_language()


_language = startup_language()


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
    return translate(text)


def N_(text: str) -> str:
    """Mark a string for translation without translating it yet."""
    return text


def translate(marked: str) -> str:
    """Translate a value marked elsewhere with ``N_()`` (``_()`` itself is for literals only)."""
    if _language == "en":
        return marked
    return catalog(_language).get(marked) or marked


# --- lists and parts of a text -------------------------------------------------------------------------------------
#
# Chinese and English put different punctuation between the items of a list, so texts are joined here rather than
# with a literal separator: the separators are strings of the catalog like any other.

def join_list(items: Iterable[str]) -> str:
    """Items of one kind in a row (names, skills, categories): 甲、乙、丙 in Chinese, "a, b, c" in English."""
    return _(", ").join(items)


def join_clauses(items: Iterable[str]) -> str:
    """Parts of one statement in a row: 84岁，退役军人 in Chinese, "84 years, Veteran" in English.

    English writes ", " here as between list items, so the Chinese comma comes from a pattern of its own."""
    parts = list(items)
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("{first}, {then}").format(first=text, then=part)
    return text


def join_groups(items: Iterable[str]) -> str:
    """Groups, each perhaps a list itself, in a row: 甲（儿子）；乙（女儿） in Chinese, "a; b" in English."""
    return _("; ").join(items)
