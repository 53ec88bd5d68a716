"""What is new in each version, shown once on the first start after an upgrade.

The texts live here, in the package, one entry per version (newest first) and translated
like every other text. The version whose news the user has seen is remembered in the
user's preferences (``last_seen_version``), so each version's news shows once per user.
The database needs nothing here: it lives in the per-user data folder, outside the program
folder, and ``store.db.connect`` backs it up before migrating it to a newer schema.

A new installation is not an update: on the first start of a fresh install (no version
seen yet, and a database that is new or was made by this version, e.g. with ``redstation
init``) nothing is shown; the first-run dialog welcomes the user where the database is new.
The news shows after a real upgrade: a newer version than the one this user last ran, or,
where nothing was remembered, a database written by an older version (its schema is older
than this program's, so opening it migrates it).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from redstation import __version__, preferences
from redstation.i18n import N_, translate
from redstation.store import db

SEEN_KEY = "last_seen_version"

# (version, what is new in it), newest first. Add an entry with every release that users
# should hear about; a version without an entry shows nothing.
NEWS: list[tuple[str, str]] = [
    ("0.1.0", N_("The first release for the service stations: the register of households and residents with Excel "
                 "ledger import and export, the round of key households with printed round sheets, tickets at the "
                 "one-stop window with the 5341 clock and receipts, volunteers and activities with service hours, "
                 "round-table meetings with printed minutes, the dashboard and the monthly evaluation report. It "
                 "installs like any other program, and the settings page can switch the window to English.")),
]


def version_key(version: str) -> tuple[int, ...]:
    """(0, 10, 2) for "0.10.2"; a suffix such as ".dev1" or "rc1" is ignored."""
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def news_between(after: str | None, upto: str) -> list[tuple[str, str]]:
    """The translated news of the versions newer than ``after`` up to and including ``upto``, newest first."""
    low = version_key(after) if after else ()
    high = version_key(upto)
    return [(version, translate(text)) for version, text in NEWS if low < version_key(version) <= high]


def last_seen() -> str | None:
    seen = preferences.get(SEEN_KEY)
    return seen if isinstance(seen, str) and version_key(seen) else None


def schema_on_disk(path: str | Path) -> int | None:
    """The schema version of the database file at ``path`` as it is now, read before the program opens (and
    migrates) it; None when there is no such file or it cannot be read as a database (opening it says why)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(path)    # read only by use: a read-only connection would leave its -wal file behind
        try:
            return conn.execute("PRAGMA user_version").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return None


def older_database(path: str | Path) -> bool:
    """True when the database at ``path`` was written by an older RedStation: opening it will upgrade it."""
    schema = schema_on_disk(path)
    return schema is not None and 0 < schema < db.SCHEMA_VERSION


def pending_news(*, upgraded: bool, current: str = __version__) -> list[tuple[str, str]]:
    """What to show at this start: the news since the version last seen.

    On the first start on this PC for this user nothing is shown (a fresh install: the
    first-run dialog has its say), unless ``upgraded`` (the database was written by an older
    version, see ``older_database``, which did not remember what it showed): then this
    version's news.
    """
    seen = last_seen()
    if seen is None:
        if not upgraded:
            return []
        return [(version, text) for version, text in news_between(None, current)
                if version_key(version) == version_key(current)]
    return news_between(seen, current)


def mark_seen(current: str = __version__) -> None:
    """Remember that this version's news was shown (an older version run later changes nothing)."""
    seen = last_seen()
    if seen is None or version_key(current) > version_key(seen):
        preferences.set(SEEN_KEY, current)
