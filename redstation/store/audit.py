"""The audit log: append-only (triggers refuse UPDATE and DELETE) and hash-chained."""

from __future__ import annotations

import hashlib
import json
import sqlite3

GENESIS = "0" * 64
_FIELDS = ("id", "origin", "at", "user_id", "user_name", "action", "kind", "record_id", "detail")


def entry_hash(prev_hash: str, entry: dict) -> str:
    text = "\x1f".join([prev_hash] + ["" if entry[f] is None else str(entry[f]) for f in _FIELDS])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, entry: dict) -> None:
    """Append one entry (keys: _FIELDS, detail a dict) chained to the last one."""
    entry = dict(entry, detail=json.dumps(entry.get("detail") or {}, ensure_ascii=False, sort_keys=True, default=str))
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS
    row = {f: entry.get(f) for f in _FIELDS}
    row["prev_hash"] = prev
    row["hash"] = entry_hash(prev, row)
    conn.execute("INSERT INTO audit_log ({cols}) VALUES ({marks})".format(cols=", ".join(row), marks=", ".join("?" * len(row))),
                 list(row.values()))


def verify(conn: sqlite3.Connection) -> int | None:
    """The seq of the first entry that does not chain to the one before, or None when the chain holds."""
    prev = GENESIS
    for row in conn.execute("SELECT seq, prev_hash, hash, {cols} FROM audit_log ORDER BY seq".format(cols=", ".join(_FIELDS))):
        entry = dict(zip(("seq", "prev_hash", "hash") + _FIELDS, tuple(row)))
        if entry["prev_hash"] != prev or entry_hash(prev, entry) != entry["hash"]:
            return entry["seq"]
        prev = entry["hash"]
    return None
