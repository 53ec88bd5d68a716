"""Tickets (工单): opening one with its number and 5341 deadlines.

A ticket's number is read out to the resident: the station's code, the day and a sequence
(F6DE-20261124-007), unique across stations because each station has its own code.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from redstation import RedStationError
from redstation.domain import response5341
from redstation.domain.register import text
from redstation.domain.vocab import TICKET_KINDS, TICKET_SEVERITIES, TICKET_SOURCES
from redstation.i18n import _
from redstation.services.session import Write
from redstation.store import records


def next_number(conn: sqlite3.Connection, code: str, day: datetime) -> str:
    prefix = "{code}-{day:%Y%m%d}-".format(code=code, day=day)
    row = conn.execute("SELECT max(number) FROM tickets WHERE number LIKE ?", (prefix + "%",)).fetchone()
    sequence = int(row[0][len(prefix):]) + 1 if row[0] else 1
    return "{prefix}{sequence:03d}".format(prefix=prefix, sequence=sequence)


def open_ticket(change: Write, *, kind: str, source: str, severity: str, summary: str, detail: str = "",
                household_id: str | None = None, resident_id: str | None = None, caller_name: str = "",
                caller_phone: str = "", visit_id: str | None = None, meeting_id: str | None = None,
                accepted_at: datetime | None = None) -> tuple[str, str]:
    """Accept a ticket inside an open write: its row with deadlines and its first history entry; (id, number)."""
    for value, vocab in ((kind, TICKET_KINDS), (source, TICKET_SOURCES), (severity, TICKET_SEVERITIES)):
        if value not in vocab:
            raise RedStationError(_("Unknown ticket value {value}").format(value=value))
    summary = text(summary)
    if not summary:
        raise RedStationError(_("A ticket needs a short description of the matter"))
    accepted = (accepted_at or datetime.now()).replace(microsecond=0)
    station = change.session.require_station()
    number = next_number(change.conn, station["code"], accepted)
    due = {key: records.now_iso(value) if value else None
           for key, value in response5341.deadlines(severity, accepted).items()}
    actor = change.session.actor
    ticket_id = change.insert(
        "tickets", number=number, kind=kind, source=source, severity=severity, status="accepted",
        household_id=household_id, resident_id=resident_id, caller_name=caller_name, caller_phone=caller_phone,
        summary=summary, detail=detail, accepted_at=records.now_iso(accepted), accepted_by=actor.name,
        visit_id=visit_id, meeting_id=meeting_id, **due)
    change.insert("ticket_events", ticket_id=ticket_id, at=records.now_iso(accepted), action="accept",
                  status_from=None, status_to="accepted", actor_id=actor.id, actor_name=actor.name)
    return ticket_id, number
