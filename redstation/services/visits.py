"""Key households and home visits: the round, logging and correcting visits, coverage, the intervals.

Whether a household is due is decided once, by ``redstation.domain.schedule``, through
``household_states`` here: the round, the counts, the printed round sheet and the reports
all take it from there, so no two of them disagree.

Visits are append-only facts. A visit entered more than half an hour after it happened is
marked late-entered and counts at its real time. A mistake is corrected by a new entry that
points at the one it replaces (or says that visit never happened); the old entry stays.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta

from redstation import RedStationError
from redstation.domain import schedule
from redstation.domain.register import text
from redstation.domain.vocab import CARE_CATEGORIES, DEFAULT_VISIT_INTERVAL_HOURS, label
from redstation.i18n import _
from redstation.services import tickets
from redstation.services.session import Session
from redstation.store import records
from redstation.store import visits as store

INTERVALS_SETTING = "visit_intervals"
MAX_INTERVAL_HOURS = 366 * 24


# --- the intervals ----------------------------------------------------------------------------------------

def intervals(conn: sqlite3.Connection) -> dict[str, int]:
    """Hours between visits for each care category: the station's settings over the defaults."""
    chosen = json.loads(records.get_setting(conn, INTERVALS_SETTING) or "{}")
    return {code: int(chosen.get(code, hours)) for code, hours in DEFAULT_VISIT_INTERVAL_HOURS.items()}


def set_intervals(session: Session, hours: dict[str, int]) -> dict[str, int]:
    """Change the intervals of some care categories (hours, 1 to a year); returns them all."""
    current = intervals(session.conn)
    for code, value in hours.items():
        if code not in CARE_CATEGORIES:
            raise RedStationError(_("Unknown care category {value}").format(value=code))
        try:
            value = int(value)
        except (TypeError, ValueError):
            value = 0
        if not 1 <= value <= MAX_INTERVAL_HOURS:
            raise RedStationError(_("The visit interval of {category} must be between 1 hour and a year").format(
                category=label(CARE_CATEGORIES, code)))
        current[code] = value
    with session.write("visits.intervals", detail={"intervals": hours}) as change:
        records.set_setting(change.conn, INTERVALS_SETTING, json.dumps(current, sort_keys=True))
    return current


# --- where each key household stands ------------------------------------------------------------------------

def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def household_states(conn: sqlite3.Connection, now: datetime, *, estate: str | None = None,
                     household_id: str | None = None) -> list[dict]:
    """Every key household with its interval, last visit, due time and state (overdue, due, ok), in address order."""
    table = intervals(conn)
    found = []
    for item in store.key_households(conn, at=now, estate=estate, household_id=household_id):
        categories = {c for member in item["members"] for c in member["care_categories"]}
        hours = schedule.interval_hours(categories, item["visit_interval_hours"], table)
        if hours is None:
            continue
        state = schedule.visit_state(_time(item["last_visit"]), hours, now, since=_time(item["created_at"]))
        item.update(interval_hours=hours, categories=sorted(categories, key=list(CARE_CATEGORIES).index),
                    state=state.state, due_at=state.due_at.isoformat(timespec="seconds"),
                    overdue_hours=state.overdue_by(now).total_seconds() / 3600)
        found.append(item)
    return found


def round_list(conn: sqlite3.Connection, now: datetime, *, estate: str | None = None) -> list[dict]:
    """The households a round must visit now: overdue ones first, each part in address order."""
    states = household_states(conn, now, estate=estate)
    return ([h for h in states if h["state"] == schedule.OVERDUE] + [h for h in states if h["state"] == schedule.DUE])


def counts(conn: sqlite3.Connection, now: datetime) -> dict[str, int]:
    states = household_states(conn, now)
    return {"key_households": len(states),
            "overdue": sum(1 for h in states if h["state"] == schedule.OVERDUE),
            "due": sum(1 for h in states if h["state"] == schedule.DUE)}


def coverage(conn: sqlite3.Connection, start: datetime, end: datetime) -> dict:
    """How many key households were visited on time from ``start`` to ``end`` (never overdue in between).

    Households that came under care after ``end`` are not counted; the rate is None without any.
    "estates" gives each estate's key households and how many of them were on time, "origins" the
    same for each station the households come from.
    """
    states = household_states(conn, end)
    longest = max((h["interval_hours"] for h in states), default=0)
    times = store.counting_visit_times(conn, start - timedelta(hours=longest), end)
    late, counted, estates, origins = [], 0, {}, {}
    for h in states:
        since = _time(h["created_at"])
        if since > end:
            continue
        counted += 1
        groups = [estates.setdefault(h["estate"], {"key_households": 0, "on_time": 0}),
                  origins.setdefault(h["origin"], {"key_households": 0, "on_time": 0})]
        visited = [datetime.fromisoformat(t) for t in times.get(h["id"], [])]
        on_time = schedule.on_time(visited, h["interval_hours"], start, end, since=since if since > start else None)
        for group in groups:
            group["key_households"] += 1
            group["on_time"] += on_time
        if not on_time:
            late.append(h["id"])
    return {"key_households": counted, "on_time": counted - len(late),
            "rate": (counted - len(late)) / counted if counted else None, "late": late, "estates": estates,
            "origins": origins}


# --- logging and correcting visits ---------------------------------------------------------------------------

def _check_visit(outcome: str, finding: str, handling: str | None) -> None:
    if outcome not in ("normal", "anomaly"):
        raise RedStationError(_("A visit's outcome is normal or anomaly, not {value}").format(value=outcome))
    if outcome == "anomaly":
        if not finding:
            raise RedStationError(_("Say what was found at the visit"))
        if handling not in ("on_site", "escalated"):
            raise RedStationError(_("Say whether the anomaly was handled on the spot or escalated"))


def _visit_time(visited_at: datetime | None, now: datetime) -> datetime:
    moment = (visited_at or now).replace(microsecond=0)
    if moment > now + timedelta(minutes=5):
        raise RedStationError(_("The visit time {time} is in the future").format(time=moment.isoformat(sep=" ")))
    return moment


def _escalate(change, household_id: str, visit_id: str, finding: str, moment: datetime, escalation: dict | None):
    escalation = escalation or {}
    return tickets.open_ticket(
        change, kind=escalation.get("kind") or "consultation", source="visit",
        severity=escalation.get("severity") or "ordinary", summary=escalation.get("summary") or finding,
        detail=escalation.get("detail", ""), household_id=household_id, resident_id=escalation.get("resident_id"),
        visit_id=visit_id, accepted_at=moment)


def log_visit(session: Session, household_id: str, *, outcome: str, finding: str = "", handling: str | None = None,
              notes: str = "", visited_at: datetime | None = None, visitor_name: str | None = None,
              escalation: dict | None = None, now: datetime | None = None) -> dict:
    """Record a visit; an escalated anomaly opens a ticket linked to it (``escalation``: kind, severity, summary).

    Returns {visit_id, late_entry, ticket_id, ticket_number}.
    """
    now = (now or datetime.now()).replace(microsecond=0)
    finding, notes = text(finding), (notes or "").strip()
    handling = handling if outcome == "anomaly" else None
    _check_visit(outcome, finding, handling)
    moment = _visit_time(visited_at, now)
    with session.write("visit.log", "visits") as change:
        if session.conn.execute("SELECT 1 FROM households WHERE id = ? AND deleted = 0", (household_id,)).fetchone() is None:
            raise RedStationError(_("The household does not exist or was deleted"))
        visit_id = records.new_id()
        ticket_id = number = None
        if handling == "escalated":
            ticket_id, number = _escalate(change, household_id, visit_id, finding, moment, escalation)
        late = schedule.is_late_entry(moment, now)
        actor = session.actor
        visitor = text(visitor_name) or actor.name
        change.insert("visits", id=visit_id, household_id=household_id, visited_at=records.now_iso(moment),
                      late_entry=int(late), visitor_id=actor.id if visitor == actor.name else None,
                      visitor_name=visitor, outcome=outcome, finding=finding,
                      handling=handling, ticket_id=ticket_id, notes=notes)
        change.record_id = visit_id
        change.detail.update(outcome=outcome, late_entry=late, ticket=number)
    return {"visit_id": visit_id, "late_entry": late, "ticket_id": ticket_id, "ticket_number": number}


def correct_visit(session: Session, visit_id: str, *, void: bool = False, now: datetime | None = None,
                  **changes) -> dict:
    """Enter a correction of a visit: a new entry with ``changes`` (household_id, outcome, finding, handling,
    notes, visited_at, visitor_name, escalation) that replaces it, or with ``void`` says it never happened."""
    original = store.visit(session.conn, visit_id)
    if original is None:
        raise RedStationError(_("The visit does not exist"))
    if original["superseded"]:
        raise RedStationError(_("This visit was corrected already: correct the latest entry"))
    if original["voided"]:
        raise RedStationError(_("This entry voids a visit; it cannot be corrected"))
    now = (now or datetime.now()).replace(microsecond=0)
    outcome = changes.get("outcome", original["outcome"])
    finding = text(changes.get("finding", original["finding"]))
    handling = changes.get("handling", original["handling"]) if outcome == "anomaly" else None
    _check_visit(outcome, finding, handling)
    moment = _visit_time(changes.get("visited_at") or datetime.fromisoformat(original["visited_at"]), now)
    household_id = changes.get("household_id") or original["household_id"]
    with session.write("visit.correct", "visits") as change:
        new_id = records.new_id()
        ticket_id = original["ticket_id"]
        number = original["ticket_number"]
        if handling == "escalated" and ticket_id is None and not void:
            ticket_id, number = _escalate(change, household_id, new_id, finding, moment, changes.get("escalation"))
        visitor = text(changes.get("visitor_name")) or original["visitor_name"]
        visitor_id = original["visitor_id"] if visitor == original["visitor_name"] else None
        change.insert("visits", id=new_id, household_id=household_id, visited_at=records.now_iso(moment),
                      late_entry=1, visitor_id=visitor_id, visitor_name=visitor,
                      outcome=outcome, finding=finding, handling=handling, ticket_id=ticket_id,
                      corrects_id=visit_id, voided=int(void), notes=(changes.get("notes", original["notes"]) or "").strip())
        change.record_id = new_id
        change.detail.update(corrects=visit_id, voided=void)
    return {"visit_id": new_id, "ticket_id": ticket_id, "ticket_number": number}


def visit_history(conn: sqlite3.Connection, household_id: str) -> list[dict]:
    """All visits of a household, newest first, corrections and what they replaced included."""
    return list(reversed(store.visits(conn, household_id=household_id)))


def shift(day: date, night: bool = False) -> tuple[datetime, datetime]:
    """A guard's shift: the day shift 08:00-20:00, the night shift 20:00 to 08:00 the next morning."""
    start = datetime.combine(day, datetime.min.time()) + timedelta(hours=20 if night else 8)
    return start, start + timedelta(hours=12)
