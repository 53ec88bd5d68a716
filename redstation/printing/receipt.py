"""The receipt (受理回执) a resident takes home from the window: what was accepted and what was promised."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from redstation import RedStationError
from redstation.domain import phone, response5341
from redstation.domain.vocab import TICKET_KINDS, TICKET_SEVERITIES, TICKET_SOURCES, label
from redstation.i18n import N_, _
from redstation.printing.document import Document, long_date
from redstation.services import tickets as ticket_service
from redstation.services.session import Session

STAGE_PROMISES = {"onsite": N_("Staff on site by {time}"), "resolve": N_("Solved by {time}"),
                  "plan": N_("Written plan by {time}")}


def find_ticket(session: Session, key: str) -> dict:
    """A ticket by its id or by its number (what the resident reads out)."""
    row = session.conn.execute("SELECT id FROM tickets WHERE (id = ? OR number = ?) AND deleted = 0", (key, key)).fetchone()
    if row is None:
        raise RedStationError(_("There is no ticket {key}").format(key=key))
    return ticket_service.ticket(session.conn, row[0])


def receipt(session: Session, ticket_key: str, out_path: str | Path, *, paper: str = "A4") -> dict:
    """Print the receipt of a ticket (its id or number) on A4 or A5; returns {pages, number}."""
    session.require("print.receipt")
    station = session.require_station()
    item = find_ticket(session, ticket_key)
    accepted = datetime.fromisoformat(item["accepted_at"])
    address = ""
    if item["household_id"]:
        row = session.conn.execute("SELECT estate, building, unit, room FROM households WHERE id = ?",
                                   (item["household_id"],)).fetchone()
        address = "{estate} {rest}".format(estate=row["estate"], rest="-".join(p for p in (row["building"], row["unit"],
                                                                                         row["room"]) if p))
    due = response5341.deadlines(item["severity"], accepted)
    promises = [label(STAGE_PROMISES, stage).format(time=due[column].strftime("%Y-%m-%d %H:%M"))
                for stage, (column, _done) in response5341.STAGES.items() if due[column] is not None]
    doc = Document(_("Receipt of acceptance"), station=station["name"], period=long_date(accepted.date()), paper=paper)
    doc.title_block(_("Receipt of acceptance"), _("{station} one-stop service window").format(station=station["name"]))
    rows = [
        [_("Ticket number"), item["number"]],
        [_("Accepted at"), accepted.strftime("%Y-%m-%d %H:%M")],
        [_("Resident"), " ".join(p for p in (item["caller_name"] or _("anonymous"), phone.mask(item["caller_phone"])) if p)],
        [_("Address"), address or "—"],
        [_("Kind"), "{kind} · {source} · {severity}".format(kind=label(TICKET_KINDS, item["kind"]),
                                                          source=label(TICKET_SOURCES, item["source"]),
                                                          severity=label(TICKET_SEVERITIES, item["severity"]))],
        [_("Matter"), "\n".join(p for p in (item["summary"], item["detail"]) if p)],
        [_("Our promise (5341)"), "\n".join(promises)],
        [_("Accepted by"), item["accepted_by"]],
        [_("Station phone"), station["phone"] or "—"],
    ]
    doc.table([_("Item"), _("Content")], rows, widths=[1, 3])
    doc.space(4)
    doc.paragraph(_("Keep this receipt: with the ticket number you can ask how your matter stands, and after it is "
                    "solved we will call you to ask whether you are satisfied."), "small")
    doc.signatures(_("Accepted by"))
    doc.paragraph(_("(Station seal)"), "small")
    pages = doc.write(out_path)
    with session.write("print.receipt", "tickets", item["id"], detail={"number": item["number"], "paper": paper}):
        pass
    return {"pages": pages, "number": item["number"]}
