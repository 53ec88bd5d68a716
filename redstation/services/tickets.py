"""Tickets (工单) at the one-stop window: intake, the 5341 clock, the flow, assignment, callback.

A ticket's number is read out to the resident: the station's code, the day and a sequence
(F6DE-20261124-007), unique across stations because each station has its own code.

The flow is 受理 accepted → 派单 assigned → 到场 on site → 办结 resolved → 回访 called back,
with reopen. Every step is a history entry (who, when, from which status to which), and so
are the pauses of the clock (waiting for parts, for the resident): the on-time figures can
always be worked out again from the history (``redstation.domain.response5341``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Callable

from redstation import RedStationError
from redstation.domain import response5341
from redstation.domain.register import clean_phone, text
from redstation.domain.vocab import (KIND_SKILLS, RATINGS, TICKET_ACTIONS, TICKET_KINDS, TICKET_SEVERITIES,
                                     TICKET_SOURCES, TICKET_STATUSES, label)
from redstation.i18n import _
from redstation.services.session import Session, Write
from redstation.store import records
from redstation.store import tickets as store

OPEN_STATUSES = ("accepted", "assigned", "on_site")
# action -> the statuses it may start from, and the status it leads to (None: stays)
FLOW = {
    "assign": (("accepted", "assigned", "on_site"), None),
    "on_site": (("accepted", "assigned"), "on_site"),
    "plan": (("accepted", "assigned", "on_site"), None),
    "resolve": (("accepted", "assigned", "on_site"), "resolved"),
    "callback": (("resolved",), "called_back"),
    "reopen": (("resolved", "called_back"), None),
    "pause": (("accepted", "assigned", "on_site"), None),
    "resume": (("accepted", "assigned", "on_site"), None),
    "note": (tuple(TICKET_STATUSES), None),
}


def next_number(conn: sqlite3.Connection, code: str, day: datetime) -> str:
    prefix = "{code}-{day:%Y%m%d}-".format(code=code, day=day)
    row = conn.execute("SELECT max(number) FROM tickets WHERE number LIKE ?", (prefix + "%",)).fetchone()
    sequence = int(row[0][len(prefix):]) + 1 if row[0] else 1
    return "{prefix}{sequence:03d}".format(prefix=prefix, sequence=sequence)


def _moment(at: datetime | None) -> datetime:
    return (at or datetime.now()).replace(microsecond=0)


def open_ticket(change: Write, *, kind: str, source: str, severity: str, summary: str, detail: str = "",
                household_id: str | None = None, resident_id: str | None = None, caller_name: str = "",
                caller_phone: str = "", attachment: str = "", visit_id: str | None = None,
                meeting_id: str | None = None, accepted_at: datetime | None = None) -> tuple[str, str]:
    """Accept a ticket inside an open write: its row with deadlines and its first history entry; (id, number)."""
    for value, vocab in ((kind, TICKET_KINDS), (source, TICKET_SOURCES), (severity, TICKET_SEVERITIES)):
        if value not in vocab:
            raise RedStationError(_("Unknown ticket value {value}").format(value=value))
    summary = text(summary)
    if not summary:
        raise RedStationError(_("A ticket needs a short description of the matter"))
    accepted = _moment(accepted_at)
    station = change.session.require_station()
    number = next_number(change.conn, station["code"], accepted)
    due = {key: records.now_iso(value) if value else None
           for key, value in response5341.deadlines(severity, accepted).items()}
    actor = change.session.actor
    ticket_id = change.insert(
        "tickets", number=number, kind=kind, source=source, severity=severity, status="accepted",
        household_id=household_id, resident_id=resident_id, caller_name=text(caller_name), caller_phone=caller_phone,
        summary=summary, detail=(detail or "").strip(), attachment=(attachment or "").strip(),
        accepted_at=records.now_iso(accepted), accepted_by=actor.name, visit_id=visit_id, meeting_id=meeting_id, **due)
    change.insert("ticket_events", ticket_id=ticket_id, at=records.now_iso(accepted), action="accept",
                  status_from=None, status_to="accepted", actor_id=actor.id, actor_name=actor.name)
    return ticket_id, number


def accept(session: Session, *, kind: str, source: str, severity: str, summary: str, detail: str = "",
           resident_id: str | None = None, caller_name: str = "", caller_phone: str = "", attachment: str = "",
           accepted_at: datetime | None = None) -> dict:
    """Intake at the window: for a registered resident (``resident_id``) or a caller by name and phone.

    Returns {id, number, deadlines}.
    """
    caller_phone = clean_phone(caller_phone, "caller_phone")
    household_id = None
    with session.write("ticket.accept", "tickets") as change:
        if resident_id:
            row = change.conn.execute("SELECT name, phone, household_id FROM residents WHERE id = ? AND deleted = 0",
                                      (resident_id,)).fetchone()
            if row is None:
                raise RedStationError(_("The resident does not exist or was deleted"))
            household_id = row["household_id"]
            caller_name = caller_name or row["name"]
            caller_phone = caller_phone or row["phone"]
        elif not text(caller_name) and not caller_phone:
            raise RedStationError(_("Choose the resident, or give the caller's name or phone"))
        ticket_id, number = open_ticket(change, kind=kind, source=source, severity=severity, summary=summary,
                                        detail=detail, household_id=household_id, resident_id=resident_id,
                                        caller_name=caller_name, caller_phone=caller_phone, attachment=attachment,
                                        accepted_at=accepted_at)
        change.record_id = ticket_id
        change.detail.update(number=number, kind=kind, severity=severity)
    return ticket(session.conn, ticket_id)


# --- reading -------------------------------------------------------------------------------------------------

def _pauses(events: list[dict]) -> list[response5341.Pause]:
    pauses, started = [], None
    for event in events:
        if event["action"] == "pause" and started is None:
            started = datetime.fromisoformat(event["at"])
        elif event["action"] == "resume" and started is not None:
            pauses.append(response5341.Pause(started, datetime.fromisoformat(event["at"])))
            started = None
    if started is not None:
        pauses.append(response5341.Pause(started, None))
    return pauses


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def clocks(item: dict, events: list[dict], now: datetime) -> list[response5341.StageClock]:
    """The 5341 stages of a ticket at ``now``, from its row and history."""
    done = {stage: _time(item[column]) for stage, (_due, column) in response5341.STAGES.items()}
    return response5341.clocks(item["severity"], datetime.fromisoformat(item["accepted_at"]), _pauses(events), done, now)


def ticket(conn: sqlite3.Connection, ticket_id: str) -> dict | None:
    """A ticket with its history, oldest first."""
    row = conn.execute("SELECT * FROM tickets WHERE id = ? AND deleted = 0", (ticket_id,)).fetchone()
    if row is None:
        return None
    item = dict(row)
    item["events"] = [dict(e) for e in conn.execute(
        "SELECT * FROM ticket_events WHERE ticket_id = ? AND deleted = 0 ORDER BY at, created_at", (ticket_id,))]
    return item


def with_clocks(conn: sqlite3.Connection, ticket_id: str, now: datetime | None = None) -> dict | None:
    item = ticket(conn, ticket_id)
    if item is not None:
        item["clocks"] = clocks(item, item["events"], _moment(now))
    return item


def desk_view(conn: sqlite3.Connection, now: datetime, **filters) -> list[dict]:
    """Tickets (open ones unless ``filters`` say otherwise, see store.tickets.tickets), most urgent first.

    Each carries "clocks" (its 5341 stages at ``now``), "late" (a stage overdue or done late),
    "due_soon" and "paused".
    """
    found = store.tickets(conn, **filters)
    for item in found:
        item["clocks"] = clocks(item, item["events"], now)
        item["late"] = any(c.state in (response5341.OVERDUE, response5341.DONE_LATE) for c in item["clocks"])
        item["due_soon"] = any(response5341.due_soon(c, item["severity"]) for c in item["clocks"])
        item["urgency"] = response5341.urgency(item["clocks"], item["severity"])
    found.sort(key=lambda item: item["urgency"])
    return found


def counts(conn: sqlite3.Connection, now: datetime) -> dict[str, int]:
    """Open tickets, how many are late, how many due soon (for the dashboard)."""
    found = desk_view(conn, now)
    return {"open": len(found), "late": sum(1 for t in found if t["late"]),
            "due_soon": sum(1 for t in found if t["due_soon"] and not t["late"])}


# --- the flow ----------------------------------------------------------------------------------------------------

def _step(session: Session, ticket_id: str, action: str, *, at: datetime | None = None, note: str = "",
          also: Callable[[Write, dict], None] | None = None, **changes) -> dict:
    """One step of the flow in one transaction: check it may happen, change the ticket, record the history.

    ``also(change, ticket)`` writes more in the same transaction (the callback's satisfaction answer).
    """
    moment = _moment(at)
    with session.write("ticket." + action, "tickets", ticket_id) as change:
        current = ticket(change.conn, ticket_id)
        if current is None:
            raise RedStationError(_("The ticket does not exist"))
        allowed, goes_to = FLOW[action]
        if current["status"] not in allowed:
            raise RedStationError(_("A ticket that is {status} cannot be given the step {action}").format(
                status=label(TICKET_STATUSES, current["status"]), action=_step_label(action)))
        accepted = datetime.fromisoformat(current["accepted_at"])
        if moment < accepted:
            raise RedStationError(_("The time {time} is before the ticket was accepted").format(
                time=moment.isoformat(sep=" ")))
        if action == "pause" and current["paused"]:
            raise RedStationError(_("The ticket is waiting already"))
        if action == "resume" and not current["paused"]:
            raise RedStationError(_("The ticket is not waiting"))
        if action in ("on_site", "resolve", "plan", "callback") and current["paused"]:
            changes["paused"] = 0  # doing the work ends the wait
            change.insert("ticket_events", ticket_id=ticket_id, at=records.now_iso(moment), action="resume",
                          status_from=current["status"], status_to=current["status"], actor_id=session.actor.id,
                          actor_name=session.actor.name, note="")
        status = goes_to or current["status"]
        if action == "reopen":
            status = "assigned" if current["assignee_name"] else "accepted"
        elif action == "assign" and current["status"] == "accepted":
            status = "assigned"
        if status != current["status"]:
            changes["status"] = status
        if changes:
            change.update("tickets", ticket_id, **changes)
        change.insert("ticket_events", ticket_id=ticket_id, at=records.now_iso(moment), action=action,
                      status_from=current["status"], status_to=status, actor_id=session.actor.id,
                      actor_name=session.actor.name, note=(note or "").strip())
        if also is not None:
            also(change, current)
        change.detail.update(number=current["number"], status=status)
    return with_clocks(session.conn, ticket_id, moment)


def _step_label(action: str) -> str:
    return label(TICKET_ACTIONS, action)


def assign(session: Session, ticket_id: str, *, assignee_kind: str, assignee_id: str | None, assignee_name: str,
           at: datetime | None = None, note: str = "") -> dict:
    """Give the ticket to a staff member (``user``) or a volunteer."""
    if assignee_kind not in ("user", "volunteer") or not text(assignee_name):
        raise RedStationError(_("Choose whom the ticket goes to"))
    return _step(session, ticket_id, "assign", at=at, note=note or text(assignee_name), assignee_kind=assignee_kind,
                 assignee_id=assignee_id, assignee_name=text(assignee_name))


def arrive(session: Session, ticket_id: str, *, at: datetime | None = None, note: str = "") -> dict:
    return _step(session, ticket_id, "on_site", at=at, note=note, onsite_at=records.now_iso(_moment(at)))


def submit_plan(session: Session, ticket_id: str, *, note: str, at: datetime | None = None) -> dict:
    """The written plan of a special complex issue."""
    if not text(note):
        raise RedStationError(_("Say what the plan is"))
    return _step(session, ticket_id, "plan", at=at, note=note, plan_at=records.now_iso(_moment(at)))


def resolve(session: Session, ticket_id: str, *, resolution: str, at: datetime | None = None) -> dict:
    """Solved. A matter settled at the window (a consultation answered) counts as on site at the same time."""
    if not text(resolution):
        raise RedStationError(_("Say how the matter was solved"))
    moment = records.now_iso(_moment(at))
    current = ticket(session.conn, ticket_id)
    changes = {"resolved_at": moment, "resolution": text(resolution)}
    if current is not None and current["onsite_at"] is None:
        changes["onsite_at"] = moment
    return _step(session, ticket_id, "resolve", at=at, note=resolution, **changes)


def pause(session: Session, ticket_id: str, *, reason: str, at: datetime | None = None) -> dict:
    """Stop the clock: waiting for parts, for the resident …"""
    if not text(reason):
        raise RedStationError(_("Say what the ticket is waiting for"))
    return _step(session, ticket_id, "pause", at=at, note=reason, paused=1)


def resume(session: Session, ticket_id: str, *, at: datetime | None = None, note: str = "") -> dict:
    return _step(session, ticket_id, "resume", at=at, note=note, paused=0)


def callback(session: Session, ticket_id: str, *, rating: str | None, comment: str = "",
             at: datetime | None = None) -> dict:
    """The resident's satisfaction, asked after the ticket was solved; ``rating`` None: not reached."""
    if rating is not None and rating not in RATINGS:
        raise RedStationError(_("Satisfaction is satisfied, basically satisfied or dissatisfied"))
    moment = _moment(at)

    def answer(change: Write, current: dict) -> None:
        estate = change.conn.execute("SELECT estate FROM households WHERE id = ?", (current["household_id"],)).fetchone()
        change.insert("satisfaction", channel="callback", ticket_id=current["id"], household_id=current["household_id"],
                      estate=estate[0] if estate else "", rating=rating, comment=text(comment),
                      answered_at=records.now_iso(moment), recorded_by=change.session.actor.name)
    if rating is None:  # not reached: recorded as a note and an unanswered callback; the ticket stays resolved
        return _step(session, ticket_id, "note", at=moment, note=_("Callback: not reached {comment}").format(
            comment=comment).strip(), also=answer)
    return _step(session, ticket_id, "callback", at=moment, also=answer,
                 note="{r} {c}".format(r=label(RATINGS, rating), c=comment).strip(), called_back_at=records.now_iso(moment))


def reopen(session: Session, ticket_id: str, *, reason: str, at: datetime | None = None) -> dict:
    """Open a solved ticket again (the resident says it is not solved); the clock's figures keep the first attempt."""
    if not text(reason):
        raise RedStationError(_("Say why the ticket is reopened"))
    return _step(session, ticket_id, "reopen", at=at, note=reason, resolved_at=None, called_back_at=None)


def add_note(session: Session, ticket_id: str, note: str, at: datetime | None = None) -> dict:
    if not text(note):
        raise RedStationError(_("The note is empty"))
    return _step(session, ticket_id, "note", at=at, note=note)


# --- whom to send --------------------------------------------------------------------------------------------

def suggested_assignees(conn: sqlite3.Connection, kind: str) -> list[dict]:
    """Volunteers whose skills fit the kind of work (best level first, least busy first), then the staff.

    Each: {kind: user | volunteer, id, name, skills, open_tickets}.
    """
    skills = KIND_SKILLS.get(kind, [])
    busy = dict(conn.execute("""SELECT assignee_id, count(*) FROM tickets WHERE deleted = 0 AND assignee_id IS NOT NULL
                                AND status IN ('accepted', 'assigned', 'on_site') GROUP BY assignee_id"""))
    found = []
    if skills:
        marks = ",".join("?" * len(skills))
        rows = conn.execute("""
            SELECT v.id, v.name, group_concat(s.skill) AS skills, max(s.level) AS level FROM volunteers v
            JOIN volunteer_skills s ON s.volunteer_id = v.id AND s.deleted = 0 AND s.skill IN ({marks})
            WHERE v.deleted = 0 AND v.active = 1 GROUP BY v.id""".format(marks=marks), skills).fetchall()
        rows = sorted(rows, key=lambda r: (-r["level"], busy.get(r["id"], 0), r["name"]))
        found += [{"kind": "volunteer", "id": r["id"], "name": r["name"], "skills": r["skills"].split(","),
                   "open_tickets": busy.get(r["id"], 0)} for r in rows]
    for row in conn.execute("SELECT id, display_name FROM users WHERE active = 1 AND role IN ('admin', 'desk', 'guard') "
                            "ORDER BY role <> 'desk', display_name"):
        found.append({"kind": "user", "id": row["id"], "name": row["display_name"], "skills": [],
                      "open_tickets": busy.get(row["id"], 0)})
    return found
