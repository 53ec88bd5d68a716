"""The register: adding, editing and removing households and residents.

The functions taking a ``Write`` work inside an open transaction (the ledger import calls
them for every row of a workbook); the others are one transaction each, for the window.
Values are checked by ``redstation.domain.register``; a problem is a ``FieldError`` naming
the field. Edits may carry the version the user saw: if someone changed the record since,
the edit is refused instead of silently overwriting theirs.
"""

from __future__ import annotations

import json
import sqlite3

from redstation import RedStationError
from redstation.domain import register as rules
from redstation.domain import roles
from redstation.i18n import _
from redstation.services.session import Session, Write, check_version

_JSON_FIELDS = ("care_categories", "emergency_contacts")


def address_text(row) -> str:
    """阳光花园 3-2-301: estate, then building-unit-room as people say it."""
    parts = [row["building"], row["unit"], row["room"]] if row["unit"] else [row["building"], row["room"]]
    return "{estate} {rest}".format(estate=row["estate"], rest="-".join(parts))


def _decoded(row: sqlite3.Row | None) -> dict | None:
    if row is None:
        return None
    item = dict(row)
    for field in _JSON_FIELDS:
        if field in item:
            item[field] = json.loads(item[field])
    return item


def household(conn: sqlite3.Connection, household_id: str) -> dict | None:
    """A live household, or None."""
    return _decoded(conn.execute("SELECT * FROM households WHERE id = ? AND deleted = 0", (household_id,)).fetchone())


def resident(conn: sqlite3.Connection, resident_id: str) -> dict | None:
    """A live resident with the address of their household, or None."""
    row = conn.execute(
        """SELECT r.*, h.estate, h.building, h.unit, h.room FROM residents r JOIN households h ON h.id = r.household_id
           WHERE r.id = ? AND r.deleted = 0""", (resident_id,)).fetchone()
    item = _decoded(row)
    if item is not None:
        item["address"] = address_text(item)
    return item


def find_household(conn: sqlite3.Connection, estate: str, building: str, unit: str, room: str) -> str | None:
    row = conn.execute("SELECT id FROM households WHERE estate = ? AND building = ? AND unit = ? AND room = ? AND deleted = 0",
                       (estate, building, unit, room)).fetchone()
    return row[0] if row else None


def resident_with_id_number(conn: sqlite3.Connection, number: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM residents WHERE id_number = ? AND deleted = 0", (number,)).fetchone()


def _changes(current: dict, cleaned: dict) -> dict:
    return {k: v for k, v in cleaned.items() if current.get(k) != v}


def _stored(values: dict) -> dict:
    return {k: json.dumps(v, ensure_ascii=False) if k in _JSON_FIELDS else v for k, v in values.items()}


# --- households ------------------------------------------------------------------------------------------

def _check_address_free(conn: sqlite3.Connection, values: dict, household_id: str | None = None) -> None:
    other = find_household(conn, values["estate"], values["building"], values["unit"], values["room"])
    if other is not None and other != household_id:
        raise rules.FieldError("room", _("The household {address} is registered already").format(address=address_text(values)))


def registered_estate(conn: sqlite3.Connection, name: str) -> str:
    """``name`` as the register already spells that estate (阳光花园 typed where 阳光花园小区 is registered, or the
    other way round), else as typed: one estate never becomes two."""
    key = rules.estate_key(name)
    spelled = name
    for (known,) in conn.execute("SELECT DISTINCT estate FROM households WHERE deleted = 0"):
        if known == name:
            return name
        if rules.estate_key(known) == key:
            spelled = known
    return spelled


def add_household(change: Write, values: dict) -> str:
    cleaned = rules.clean_household(values)
    cleaned["estate"] = registered_estate(change.conn, cleaned["estate"])
    _check_address_free(change.conn, cleaned)
    household_id = change.insert("households", **cleaned)
    change.detail.setdefault("households_added", 0)
    change.detail["households_added"] += 1
    return household_id


def _live_household(conn: sqlite3.Connection, household_id: str) -> dict:
    current = household(conn, household_id)
    if current is None:
        raise RedStationError(_("The household does not exist or was deleted"))
    return current


def update_household(change: Write, household_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    """Change the fields given in ``values``; returns the names of the fields that changed."""
    current = _live_household(change.conn, household_id)
    check_version(current, expected_version)
    cleaned = rules.clean_household({**current, **values})
    if cleaned["estate"] != current["estate"]:
        cleaned["estate"] = registered_estate(change.conn, cleaned["estate"])
    _check_address_free(change.conn, cleaned, household_id)
    changes = _changes(current, cleaned)
    if changes:
        change.update("households", household_id, **changes)
    return sorted(changes)


def delete_household(change: Write, household_id: str) -> None:
    _live_household(change.conn, household_id)
    members = change.conn.execute("SELECT count(*) FROM residents WHERE household_id = ? AND deleted = 0",
                                  (household_id,)).fetchone()[0]
    if members:
        raise RedStationError(_("The household still has {count} residents: move or remove them first").format(count=members))
    change.delete("households", household_id)


# --- residents -------------------------------------------------------------------------------------------

def _check_id_number_free(conn: sqlite3.Connection, number: str | None, resident_id: str | None = None) -> None:
    if not number:
        return
    other = resident_with_id_number(conn, number)
    if other is not None and other["id"] != resident_id:
        holder = resident(conn, other["id"])
        raise rules.FieldError("id_number", _("This id number belongs to {name} ({address}) already").format(
            name=holder["name"], address=holder["address"]))


def add_resident(change: Write, household_id: str, values: dict) -> str:
    _live_household(change.conn, household_id)
    cleaned = rules.clean_resident(values)
    _check_id_number_free(change.conn, cleaned["id_number"])
    resident_id = change.insert("residents", household_id=household_id, **_stored(cleaned))
    change.detail.setdefault("residents_added", 0)
    change.detail["residents_added"] += 1
    return resident_id


def update_resident(change: Write, resident_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    """Change the fields given in ``values`` (``household_id`` moves the resident); returns what changed."""
    current = resident(change.conn, resident_id)
    if current is None:
        raise RedStationError(_("The resident does not exist or was deleted"))
    check_version(current, expected_version)
    cleaned = rules.clean_resident({**current, **values})
    household_id = values.get("household_id") or current["household_id"]
    if household_id != current["household_id"]:
        _live_household(change.conn, household_id)
        cleaned["household_id"] = household_id
    _check_id_number_free(change.conn, cleaned["id_number"], resident_id)
    changes = _changes(current, cleaned)
    if changes:
        change.update("residents", resident_id, **_stored(changes))
    return sorted(changes)


def delete_resident(change: Write, resident_id: str) -> None:
    if resident(change.conn, resident_id) is None:
        raise RedStationError(_("The resident does not exist or was deleted"))
    change.delete("residents", resident_id)


# --- one transaction each, for the window --------------------------------------------------------------

def create_household(session: Session, values: dict) -> str:
    with session.write("household.create", "households") as change:
        change.record_id = add_household(change, values)
        return change.record_id


def edit_household(session: Session, household_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    with session.write("household.update", "households", household_id) as change:
        changed = update_household(change, household_id, values, expected_version)
        change.detail["fields"] = changed
        return changed


def remove_household(session: Session, household_id: str) -> None:
    with session.write("household.delete", "households", household_id) as change:
        delete_household(change, household_id)


def create_resident(session: Session, household_id: str, values: dict) -> str:
    with session.write("resident.create", "residents") as change:
        change.record_id = add_resident(change, household_id, values)
        return change.record_id


def edit_resident(session: Session, resident_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    with session.write("resident.update", "residents", resident_id) as change:
        changed = update_resident(change, resident_id, values, expected_version)
        change.detail["fields"] = changed  # names only: the audit log holds no id numbers
        return changed


def remove_resident(session: Session, resident_id: str) -> None:
    with session.write("resident.delete", "residents", resident_id) as change:
        delete_resident(change, resident_id)


# --- what the household view shows ---------------------------------------------------------------------------

RECENT = 10


def household_view(conn: sqlite3.Connection, household_id: str) -> dict | None:
    """A household with its members, its latest visits and tickets, for the household view."""
    item = household(conn, household_id)
    if item is None:
        return None
    item["address"] = address_text(item)
    item["members"] = [_decoded(row) for row in conn.execute(
        """SELECT * FROM residents WHERE household_id = ? AND deleted = 0
           ORDER BY status <> 'active', relation <> 'head', birth_date""", (household_id,))]
    item["visits"] = [dict(row) for row in conn.execute(
        """SELECT id, visited_at, visitor_name, outcome, handling, finding, notes, late_entry FROM visits
           WHERE household_id = ? AND deleted = 0 ORDER BY visited_at DESC LIMIT ?""", (household_id, RECENT))]
    item["tickets"] = [dict(row) for row in conn.execute(
        """SELECT id, number, kind, status, summary, accepted_at FROM tickets
           WHERE household_id = ? AND deleted = 0 ORDER BY accepted_at DESC LIMIT ?""", (household_id, RECENT))]
    return item


# --- whole id numbers and phones, on record ------------------------------------------------------------------

MIN_REASON = 2


def unmask(session: Session, kind: str, record_id: str, reason: str = "") -> dict:
    """The whole id number and phone of a resident (``kind`` "residents") or a household's phone ("households").

    Allowed to the station manager and the desk; the desk must say why. Each look is an audit
    entry with the reason (and no number), so the manager can see who looked at whom and why.
    """
    reason = " ".join((reason or "").split())
    if kind not in ("residents", "households"):
        raise ValueError(kind)
    with session.write("unmask", kind, record_id, {"reason": reason}):
        if session.actor.role in roles.UNMASK_NEEDS_REASON and len(reason) < MIN_REASON:
            raise RedStationError(_("Say why you need the whole numbers; the reason is kept in the audit log"))
        found = resident(session.conn, record_id) if kind == "residents" else household(session.conn, record_id)
        if found is None:
            raise RedStationError(_("The resident does not exist or was deleted"))
        return {"id_number": found.get("id_number") or "", "phone": found.get("phone") or ""}
