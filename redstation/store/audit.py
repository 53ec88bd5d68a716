"""The audit log: append-only (triggers refuse UPDATE and DELETE) and hash-chained.

Each entry carries the hash of the one before it (the first one: ``GENESIS``) and its own hash
over that and its fields, so an entry edited or removed in the middle breaks the chain. The
end of the chain (seq and hash of the newest entry) is kept in the ``settings`` row
``audit_head``, written in the same transaction as the entry, so the removal of the newest
entries shows too; SQLite's own ``sqlite_sequence`` (AUTOINCREMENT's highest seq ever given)
is a second witness, also for databases written before the head was kept (they adopt it at
their next entry). An entry appended after newest entries went missing is chained to the
recorded end, not to what is left, so the gap stays visible.

The hash has no secret: someone who knows this code and rewrites every later hash, the head
and ``sqlite_sequence`` can hide a change. The chain catches edits and deletions made with a
SQLite tool, not a forger.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from typing import Callable

from redstation.store import records

GENESIS = "0" * 64
UNKNOWN = "?" * 64   # what an entry chains to when entries before it went missing and their hash is unknown
HEAD_KEY = "audit_head"
_FIELDS = ("id", "origin", "at", "user_id", "user_name", "action", "kind", "record_id", "detail")
# The text entry_hash hashes, built by SQLite: verifying 100,000 entries takes half a second, not one and a half.
_TEXT = " || char(31) || ".join("ifnull({f}, '')".format(f=f) for f in _FIELDS)
_VERIFY_SQL = "SELECT seq, prev_hash, hash, CAST(char(31) || {text} AS BLOB) FROM audit_log ORDER BY seq".format(text=_TEXT)
_CHECK_EVERY = 8192  # entries between two looks at ``cancelled``


class Cancelled(Exception):
    """``find_break`` stopped because its caller asked it to."""


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold.

    ``kind``:
    - "changed": entry ``seq`` is not what was written (its hash does not match its fields);
    - "gap": entry ``seq`` does not follow entry ``before`` (entries between them were removed,
      or ``before`` was changed and given a new hash);
    - "first_removed": the first remaining entry ``seq`` does not begin the chain;
    - "tail_removed": the log went up to entry ``seq`` and now ends with ``before`` (None: empty);
    - "head_changed": entry ``seq``, the newest one recorded, was replaced by another.
    ``at``, ``user_name`` and ``action`` are those of entry ``seq`` where it is still there.
    """

    kind: str
    seq: int
    before: int | None = None
    at: str | None = None
    user_name: str | None = None
    action: str | None = None


def entry_hash(prev_hash: str, entry: dict) -> str:
    text = "\x1f".join([prev_hash] + ["" if entry[f] is None else str(entry[f]) for f in _FIELDS])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def head(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry as recorded when it was written; None before the first (or in older files)."""
    value = records.get_setting(conn, HEAD_KEY)
    if not value:
        return None
    seq, _sep, hash_ = value.partition(" ")
    try:
        return int(seq), hash_
    except ValueError:
        return 0, value   # a mangled value: no entry has seq 0, so verify names it


def highest_seq(conn: sqlite3.Connection) -> int:
    """The highest seq SQLite ever gave an entry (AUTOINCREMENT never gives one twice), 0 if none."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def append(conn: sqlite3.Connection, entry: dict) -> None:
    """Append one entry (keys: _FIELDS, detail a dict) chained to the last one; call inside the write's transaction."""
    entry = dict(entry, detail=json.dumps(entry.get("detail") or {}, ensure_ascii=False, sort_keys=True, default=str))
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    recorded = head(conn)
    expected = max(recorded[0] if recorded else 0, highest_seq(conn))
    if last is not None and last[0] >= expected:
        prev = last[1]
    elif recorded is not None and recorded[0] == expected:
        prev = recorded[1]  # the newest entries are missing: chain to what they were, so the gap stays visible
    elif expected:
        prev = UNKNOWN
    else:
        prev = GENESIS
    row = {f: None if entry.get(f) is None else str(entry.get(f)) for f in _FIELDS}  # stored as hashed
    row["prev_hash"] = prev
    row["hash"] = entry_hash(prev, row)
    cursor = conn.execute("INSERT INTO audit_log ({cols}) VALUES ({marks})".format(
        cols=", ".join(row), marks=", ".join("?" * len(row))), list(row.values()))
    records.set_setting(conn, HEAD_KEY, "{seq} {hash}".format(seq=cursor.lastrowid, hash=row["hash"]))


_COLUMNS = ("seq",) + _FIELDS + ("prev_hash", "hash")


def entries_after(conn: sqlite3.Connection, seq: int, hash_: str) -> list[tuple] | None:
    """The entries written after entry ``seq``, oldest first, if this log holds that entry with the hash ``hash_``
    (another copy of the same history, e.g. a backup of this database); None if it does not."""
    here = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    if here is None or here[0] != hash_:
        return None
    return conn.execute("SELECT {cols} FROM audit_log WHERE seq > ? ORDER BY seq".format(cols=", ".join(_COLUMNS)),
                        (seq,)).fetchall()


def carry_over(conn: sqlite3.Connection, entries: list[tuple]) -> None:
    """Append ``entries`` (from ``entries_after`` on another copy of this log) unchanged: they continue this
    log's chain, so the chain holds and nothing of what was done is lost. Inside the write's transaction."""
    for entry in entries:
        conn.execute("INSERT INTO audit_log ({cols}) VALUES ({marks})".format(
            cols=", ".join(_COLUMNS), marks=", ".join("?" * len(_COLUMNS))), tuple(entry))
    if entries:
        records.set_setting(conn, HEAD_KEY, "{seq} {hash}".format(seq=entries[-1][0], hash=entries[-1][-1]))


def newest(conn: sqlite3.Connection) -> tuple[int, str] | None:
    """(seq, hash) of the newest entry there is, None for an empty log."""
    row = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else None


def _named(conn: sqlite3.Connection, kind: str, seq: int, before: int | None = None) -> Break:
    row = conn.execute("SELECT at, user_name, action FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    at, user_name, action = tuple(row) if row else (None, None, None)
    return Break(kind, seq, before, at, user_name, action)


def _rehash(conn: sqlite3.Connection, seq: int, prev: str) -> str:
    """The hash of entry ``seq`` computed field by field in Python (the fast path's text is built by SQLite)."""
    row = conn.execute("SELECT {cols} FROM audit_log WHERE seq = ?".format(cols=", ".join(_FIELDS)), (seq,)).fetchone()
    return entry_hash(prev, dict(zip(_FIELDS, tuple(row))))


def find_break(conn: sqlite3.Connection, *, cancelled: Callable[[], bool] | None = None) -> Break | None:
    """The first place where the audit log is not as it was written, or None when it is intact.

    Reads every entry once (0.4 to 0.6 s per 100,000 entries, measured 2026-11); ``cancelled()`` is asked
    every few thousand entries, and ``Cancelled`` raised when it says so.
    """
    recorded = head(conn)
    prev, prev_seq = GENESIS, None
    hash_at_head = None
    sha = hashlib.sha256
    for number, (seq, prev_hash, hash_, text) in enumerate(conn.execute(_VERIFY_SQL)):
        if cancelled is not None and not number % _CHECK_EVERY and cancelled():
            raise Cancelled()
        if prev_hash != prev:
            return _named(conn, "gap" if prev_seq is not None else "first_removed", seq, prev_seq)
        if sha(prev.encode() + text).hexdigest() != hash_ and _rehash(conn, seq, prev) != hash_:
            return _named(conn, "changed", seq, prev_seq)
        if recorded is not None and seq == recorded[0]:
            hash_at_head = hash_
        prev, prev_seq = hash_, seq
    expected = max(recorded[0] if recorded else 0, highest_seq(conn))
    if expected and (prev_seq is None or prev_seq < expected):
        return Break("tail_removed", expected, prev_seq)
    if recorded is not None and hash_at_head != recorded[1]:
        return _named(conn, "head_changed", recorded[0], prev_seq)
    return None


def verify(conn: sqlite3.Connection) -> int | None:
    """The seq of the first entry that is not as written (for removed newest entries: the newest that was
    written), or None when the chain holds. ``find_break`` says what kind of break it is."""
    found = find_break(conn)
    return None if found is None else found.seq
