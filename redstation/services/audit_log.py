"""The audit log for the station manager: browse and filter it, say in words what each entry was, check its chain.

Every entry is written by ``Session.write`` (store/audit.py keeps the chain); this module only
reads. Only the station manager may read the log: each function checks ``audit.read``, which
roles.RULES grants to no other role. Entries are listed newest first and filtered by who, which
kind of action, a period and a free text (user, action in code or in words, record, details).

An entry's details are a small JSON object written by the service that made the change: field
names, counts, numbers of tickets, file names, the reason for an unmasking; never an id number
or a phone number. ``summary`` turns them into one line in words, and masks anything that
looks like an id or mobile number all the same.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Sequence

from redstation.domain import idnumber, phone, roles
from redstation.domain.vocab import (ACTIONS, ACTIVITY_KINDS, CARE_CATEGORIES, MEETING_KINDS, MEETING_PARTIES, RATINGS,
                                     RESIDENT_STATUSES, ROLES, TICKET_KINDS, TICKET_SEVERITIES, TICKET_STATUSES,
                                     VISIT_OUTCOMES, label)
from redstation.i18n import N_, _
from redstation.services.session import Session
from redstation.store import audit
from redstation.sync.labels import COLUMN_LABELS

READ = "audit.read"


# The action groups of the filter, in the order the list shows them: (code, label, action prefixes).
# A prefix ending in "." covers every action starting with it; any other covers that action and its
# sub-actions ("backup" covers "backup.auto"). Groups may overlap (an export is also a ledger change).
GROUPS = (
    ("logins", N_("Logins and logouts"), ("session.",)),
    ("failed_logins", N_("Failed logins"), ("session.login_failed",)),
    ("unmask", N_("Whole id numbers viewed"), ("unmask",)),
    ("exports", N_("Exports"), ("ledger.export", "bundle.export")),
    ("imports", N_("Imports"), ("ledger.import", "bundle.import")),
    ("prints", N_("Printing"), ("print.",)),
    ("backups", N_("Backups and restores"), ("backup", "restore")),
    ("users", N_("User accounts"), ("user.",)),
    ("register", N_("Households and residents"), ("household.", "resident.")),
    ("visits", N_("Home visits"), ("visit.", "visits.")),
    ("tickets", N_("Tickets"), ("ticket.",)),
    ("volunteers", N_("Volunteers and activities"), ("volunteer.", "team.", "activity.", "attendance.")),
    ("meetings", N_("Meetings"), ("meeting.",)),
    ("surveys", N_("Satisfaction surveys"), ("survey.",)),
    ("station", N_("Station and data exchange"), ("station.", "conflict.", "demo.")),
)
_GROUP_LABELS = {code: words for code, words, _prefixes in GROUPS}

# The kind of record an entry is about (the table the service wrote to).
KINDS = {
    "households": N_("Household"),
    "residents": N_("Resident"),
    "visits": N_("Home visit"),
    "tickets": N_("Ticket"),
    "users": N_("User account"),
    "stations": N_("Station"),
    "volunteers": N_("Volunteer"),
    "teams": N_("Service team"),
    "activities": N_("Volunteer activity"),
    "attendance": N_("Attendance"),
    "meetings": N_("Meetings"),
    "meeting_attendees": N_("Meeting attendee"),
    "meeting_topics": N_("Meeting topic"),
    "meeting_actions": N_("Follow-up action"),
    "surveys": N_("Satisfaction survey"),
    "satisfaction": N_("Satisfaction answer"),
    "ticket_events": N_("Ticket steps"),
}

# Words for the keys of an entry's details (beyond the column names of sync.labels).
DETAIL_KEYS = {
    "fields": N_("Fields changed"),
    "reason": N_("Reason"),
    "why": N_("Reason"),
    "file": N_("File"),
    "safety_backup": N_("Copy of the data before"),
    "entries_carried_over": N_("Log entries kept from before the restore"),
    "entries_replaced": N_("Log entries of the data replaced (kept in the copy before)"),
    "users": N_("Accounts"),
    "username": N_("Account"),
    "households": N_("Households"),
    "residents": N_("Residents"),
    "households_added": N_("Households added"),
    "residents_added": N_("Residents added"),
    "key_households": N_("Key households"),
    "seed": N_("Seed"),
    "made": N_("Made"),
    "answers": N_("Answers"),
    "intervals": N_("Visit intervals (hours)"),
    "late_entry": N_("Entered late"),
    "ticket": N_("Ticket"),
    "tickets": N_("Tickets"),
    "corrects": N_("Corrects visit"),
    "masked": N_("Id numbers and phones masked"),
    "rows": N_("Rows"),
    "scope": N_("Scope"),
    "station": N_("Station"),
    "dry_run": N_("Trial run only"),
    "inserted": N_("New"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "deleted": N_("Deleted"),
    "conflicts": N_("Conflicts"),
    "imported": N_("Imported"),
    "rejected": N_("Rejected rows"),
    "sheets": N_("Sheets"),
    "pages": N_("Pages"),
    "paper": N_("Paper"),
    "date": N_("Date"),
    "month": N_("Month"),
    "flagged": N_("Estates flagged"),
    "meeting": N_("In meeting"),
    "picked": N_("Picked from"),
    "step": N_("Moved by"),
    "members": N_("Members"),
    "added": N_("Added"),
    "removed": N_("Removed"),
    "volunteer": N_("Volunteer"),
    "resident": N_("Is a resident"),
    "skills": N_("Skills"),
    "teams": N_("Teams"),
    "conflict": N_("Conflict"),
    "taken": N_("Other station's version taken"),
    "display_name": N_("Name shown"),
    "password_hash": N_("Password"),
}
# Words for a key that means something else in one action's details: (action, key) -> words.
DETAIL_KEYS_OF = {
    ("station.init", "name"): N_("Station name"),
    ("station.first_run", "name"): N_("Station name"),
    ("bundle.import", "made"): N_("Bundle made at"),
}
# Codes in details shown with their words: details key -> the vocabularies its codes come from.
DETAIL_CODES = {
    "kind": (TICKET_KINDS, MEETING_KINDS, ACTIVITY_KINDS),
    "severity": (TICKET_SEVERITIES,),
    "status": (TICKET_STATUSES, RESIDENT_STATUSES),
    "outcome": (VISIT_OUTCOMES,),
    "role": (ROLES,),
    "party": (MEETING_PARTIES,),
    "rating": (RATINGS,),
}
YES_NO = {"yes": N_("Yes"), "no": N_("No")}
SUMMARY_LENGTH = 300
# Keys are read this many at a time as one JSON array: three times faster than as rows, in blocks short enough
# (about 20 ms each) that the window's thread is never kept waiting for the interpreter.
KEYS_BLOCK = 65536

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d)T(\d\d:\d\d(:\d\d)?)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1\d{10})(?!\d)")
_COLUMNS = "seq, id, at, user_id, user_name, action, kind, record_id, detail"


def _allowed(session: Session) -> None:
    roles.check(session.actor.role, READ)   # the station manager only: raises roles.NotAllowed for anyone else


# --- words -----------------------------------------------------------------------------------------------------

def covers(prefix: str, action: str) -> bool:
    """Whether the filter ``prefix`` covers ``action`` (the rule of GROUPS)."""
    if prefix.endswith("."):
        return action.startswith(prefix)
    return action == prefix or action.startswith(prefix + ".")


def describe(action: str) -> str:
    """An action in words: "resident.update" -> 修改居民; an action not known here keeps its code, after its group."""
    if action in ACTIONS:
        return label(ACTIONS, action)
    for code, _words, prefixes in GROUPS:
        if any(covers(prefix, action) for prefix in prefixes):
            return "{group} ({action})".format(group=label(_GROUP_LABELS, code), action=action)
    return action


def kind_label(kind: str | None) -> str:
    return label(KINDS, kind)


def _key_label(action: str, key: str) -> str:
    if (action, key) in DETAIL_KEYS_OF:
        return label(DETAIL_KEYS_OF, (action, key))  # type: ignore[arg-type]
    if key in DETAIL_KEYS:
        return label(DETAIL_KEYS, key)
    if key in COLUMN_LABELS:
        return label(COLUMN_LABELS, key)
    if key in CARE_CATEGORIES:
        return label(CARE_CATEGORIES, key)
    return label(KINDS, key)


def _value(action: str, key: str, value) -> str:
    if isinstance(value, bool):
        return label(YES_NO, "yes" if value else "no")
    if isinstance(value, float):
        return "{v:g}".format(v=value)
    if isinstance(value, (int,)):
        return str(value)
    if isinstance(value, str):
        for vocab in DETAIL_CODES.get(key, ()):
            if value in vocab:
                return label(vocab, value)
        if key == "fields":
            return _key_label(action, value)
        if _UUID.match(value):
            return value[:8]   # a record's id: its first characters are enough to tell it apart
        return _TIMESTAMP.sub(r"\1 \2", value)
    if isinstance(value, dict):
        if "username" in value:  # an account: its user name and role
            role = value.get("role")
            return value["username"] + (" ({role})".format(role=label(ROLES, role)) if role else "")
        return _(", ").join("{k} {v}".format(k=_key_label(action, k), v=_value(action, k, v))
                            for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, (list, tuple)):
        return _(", ").join(_value(action, key, v) for v in value)
    return str(value)


def mask_numbers(text: str) -> str:
    """``text`` with anything that looks like an id number or a mobile number masked."""
    text = _ID_NUMBER.sub(lambda m: idnumber.mask(m.group(1)), text)
    return _MOBILE.sub(lambda m: phone.mask(m.group(1)), text)


def summary(action: str, detail: dict | str | None) -> str:
    """An entry's details in one line of words, numbers masked: "Fields changed: Phone, Care notes"."""
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            detail = {"": detail}
    if not isinstance(detail, dict):
        detail = {"": detail} if detail not in (None, "") else {}
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        shown = _value(action, key, value)
        parts.append(_("{label}: {value}").format(label=_key_label(action, key), value=shown) if key else shown)
    line = mask_numbers(_("; ").join(parts))
    return line if len(line) <= SUMMARY_LENGTH else line[:SUMMARY_LENGTH - 1] + "…"


# --- the entries -----------------------------------------------------------------------------------------------

def _moment(value: date | datetime | str, *, end: bool) -> tuple[str, str]:
    """(operator, ISO text) bounding ``at``; a whole day (a date) counts to its end."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        return ("<=" if end else ">="), value.isoformat(timespec="seconds")
    if end:
        return "<", (value + timedelta(days=1)).isoformat()
    return ">=", value.isoformat()


def _prefix_sql(prefixes: Iterable[str]) -> tuple[str, list]:
    clauses, params = [], []
    for prefix in prefixes:
        if prefix.endswith("."):
            clauses.append("substr(action, 1, ?) = ?")
            params += [len(prefix), prefix]
        else:
            clauses.append("(action = ? OR substr(action, 1, ?) = ?)")
            params += [prefix, len(prefix) + 1, prefix + "."]
    return "(" + " OR ".join(clauses or ["0"]) + ")", params


def _text_sql(text: str) -> tuple[str, list]:
    """Entries whose user, action (code or words), record kind (code or words), record id or details hold ``text``."""
    needle = text.strip().lower()
    pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    columns = ("user_name", "action", "kind", "record_id", "detail")   # LIKE ignores the case of ASCII letters
    clauses = ["{c} LIKE ? ESCAPE '\\'".format(c=c) for c in columns]
    params: list = [pattern] * len(columns)
    actions = [code for code in ACTIONS if needle in describe(code).lower()]
    kinds = [code for code in KINDS if needle in kind_label(code).lower()]
    keys = [key for key in DETAIL_KEYS if needle in label(DETAIL_KEYS, key).lower()]
    if actions:
        clauses.append("action IN ({marks})".format(marks=", ".join("?" * len(actions))))
        params += actions
    if kinds:
        clauses.append("kind IN ({marks})".format(marks=", ".join("?" * len(kinds))))
        params += kinds
    for key in keys:   # "原因" finds the unmaskings with their reason
        clauses.append("instr(detail, ?) > 0")
        params.append(json.dumps(key) + ":")
    return "(" + " OR ".join(clauses) + ")", params


def _where(*, user: str | None = None, action_prefix: str | Sequence[str] | None = None,
           start: date | datetime | str | None = None, end: date | datetime | str | None = None,
           text: str | None = None, record_id: str | None = None) -> tuple[str, list]:
    clauses, params = [], []
    if user:
        clauses.append("user_name = ?")
        params.append(user)
    if action_prefix:
        sql, more = _prefix_sql([action_prefix] if isinstance(action_prefix, str) else action_prefix)
        clauses.append(sql)
        params += more
    for value, is_end in ((start, False), (end, True)):
        if value:
            op, moment = _moment(value, end=is_end)
            clauses.append("at {op} ?".format(op=op))
            params.append(moment)
    if text and text.strip():
        sql, more = _text_sql(text)
        clauses.append(sql)
        params += more
    if record_id:
        clauses.append("record_id = ?")
        params.append(record_id)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _item(row) -> dict:
    item = dict(zip(("seq", "id", "at", "user_id", "user_name", "action", "kind", "record_id", "detail"), tuple(row)))
    try:
        item["detail"] = json.loads(item["detail"] or "{}")
    except ValueError:
        item["detail"] = {"": item["detail"]}
    item["time"] = (item["at"] or "").replace("T", " ")
    item["action_label"] = describe(item["action"])
    item["kind_label"] = kind_label(item["kind"])
    item["summary"] = summary(item["action"], item["detail"])
    return item


def entries(session: Session, *, user: str | None = None, action_prefix: str | Sequence[str] | None = None,
            start: date | datetime | str | None = None, end: date | datetime | str | None = None,
            text: str | None = None, record_id: str | None = None, limit: int = 100, offset: int = 0) -> list[dict]:
    """Entries newest first, filtered; each with "time", "action_label", "kind_label" and "summary" in words.

    ``user``: the name the entry was written under; ``action_prefix``: a prefix or several (GROUPS'
    rule); ``start``/``end``: dates (whole days) or times; ``text``: a piece of any of it.
    """
    _allowed(session)
    where, params = _where(user=user, action_prefix=action_prefix, start=start, end=end, text=text, record_id=record_id)
    rows = session.conn.execute("SELECT {cols} FROM audit_log {where} ORDER BY seq DESC LIMIT ? OFFSET ?".format(
        cols=_COLUMNS, where=where), [*params, int(limit), int(offset)])
    return [_item(row) for row in rows]


def count(session: Session, **filters) -> int:
    """How many entries ``entries`` would list with these filters (no limit)."""
    _allowed(session)
    where, params = _where(**filters)
    return session.conn.execute("SELECT count(*) FROM audit_log {where}".format(where=where), params).fetchone()[0]


def keys(session: Session, **filters) -> list[int]:
    """The seq of every entry ``entries`` would list, newest first (the window's table fetches rows by these)."""
    _allowed(session)
    where, params = _where(**filters)
    where = (where + " AND" if where else "WHERE") + " seq < ?"
    found: list[int] = []
    below = (session.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0) + 1
    while True:   # a block at a time: each json.loads holds the interpreter for a few milliseconds only
        block = json.loads(session.conn.execute(
            "SELECT json_group_array(seq) FROM (SELECT seq FROM audit_log {where} ORDER BY seq DESC LIMIT ?)".format(
                where=where), [*params, below, KEYS_BLOCK]).fetchone()[0])
        found += block
        if len(block) < KEYS_BLOCK:
            return found
        below = block[-1]


def rows(session: Session, seqs: Sequence[int]) -> list[dict | None]:
    """The entries ``seqs`` (as ``entries`` gives them), in that order; None for a seq not in the log."""
    _allowed(session)
    if not seqs:
        return []
    found = {row[0]: _item(row) for row in session.conn.execute(
        "SELECT {cols} FROM audit_log WHERE seq IN ({marks})".format(cols=_COLUMNS, marks=", ".join("?" * len(seqs))),
        list(seqs))}
    return [found.get(seq) for seq in seqs]


def users(session: Session) -> list[str]:
    """Every name entries were written under (accounts, command-line users, names typed at failed logins)."""
    _allowed(session)
    return sorted(row[0] for row in session.conn.execute("SELECT DISTINCT user_name FROM audit_log"))


def action_groups(session: Session) -> list[dict]:
    """The groups of GROUPS that have entries, then one per other kind of action: {"code", "label", "prefixes"}."""
    _allowed(session)
    actions = [row[0] for row in session.conn.execute("SELECT DISTINCT action FROM audit_log")]
    found = [{"code": code, "label": label(_GROUP_LABELS, code), "prefixes": prefixes}
             for code, _words, prefixes in GROUPS if any(covers(p, a) for p in prefixes for a in actions)]
    covered = {a for a in actions if any(covers(p, a) for group in found for p in group["prefixes"])}
    for first in sorted({a.split(".")[0] for a in actions if a not in covered}):
        found.append({"code": first, "label": first, "prefixes": (first,)})
    return found


# --- the chain -------------------------------------------------------------------------------------------------

def break_message(found: audit.Break) -> str:
    """What a break in the chain means, naming the entry: for ``redstation check`` and the window."""
    what = _("{time}, {user}, {action}").format(
        time=(found.at or "").replace("T", " "), user=found.user_name or "",
        action=describe(found.action or "")) if found.at is not None else "?"
    if found.kind == "changed":
        return _("The audit log was altered: entry {seq} ({what}) was changed after it was written").format(
            seq=found.seq, what=what)
    if found.kind == "gap":
        return _("The audit log was altered: entry {seq} does not follow the one before").format(seq=found.seq) + _(
            ": entries between {before} and {seq} were removed, or entry {before} was changed (entry {seq}: {what})"
        ).format(before=found.before, seq=found.seq, what=what)
    if found.kind == "first_removed":
        return _("The audit log was altered: its first entries were removed (it now begins with entry {seq}: "
                 "{what})").format(seq=found.seq, what=what)
    if found.kind == "tail_removed":
        if found.before is None:
            return _("The audit log was altered: all its entries were removed (it went up to entry {seq})").format(
                seq=found.seq)
        return _("The audit log was altered: its newest entries were removed (it went up to entry {seq}, "
                 "now it ends with entry {last})").format(seq=found.seq, last=found.before)
    return _("The audit log was altered: entry {seq} ({what}) is not the entry written under that number").format(
        seq=found.seq, what=what)


def chain(session: Session, *, cancelled: Callable[[], bool] | None = None) -> dict:
    """Whether the chain holds: {"intact": bool, "entries": n, "problem": words or None} (the station manager only).

    Reads the whole log (about half a second per 100,000 entries); raises ``audit.Cancelled``
    when ``cancelled()`` says so.
    """
    _allowed(session)
    found = audit.find_break(session.conn, cancelled=cancelled)
    total = session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    return {"intact": found is None, "entries": total, "problem": None if found is None else break_message(found)}
