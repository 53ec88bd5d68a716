"""The hours certificate (志愿服务时长证明) of one volunteer: the activities served and the total, sealed by the station.

The hours are the ones ``services.volunteers`` counts (attended, of live activities, started
within the period), so the paper always agrees with the screen. The id number is printed
masked. Each print is one audit-log entry (period, pages, count and hours; no id number).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import KeepTogether, Paragraph

from redstation import RedStationError
from redstation.domain import idnumber
from redstation.domain.vocab import GENDERS, label
from redstation.i18n import N_, _
from redstation.printing.document import Document, long_date, period_text, text_markup
from redstation.printing.fonts import FONT
from redstation.services import volunteers as volunteer_service
from redstation.services.session import Session
from redstation.store import volunteers as store

COLUMNS = dict(enumerate([N_("No."), N_("Date"), N_("Activity"), N_("Place"), N_("Hours of service")]))
WIDTHS = [8, 20, 58, 40, 18]

_SIGNED = ParagraphStyle("signed", fontName=FONT, fontSize=11, leading=20, alignment=TA_RIGHT)
_STATEMENT = ParagraphStyle("statement", fontName=FONT, fontSize=12, leading=22, firstLineIndent=24, wordWrap="CJK")


def find_volunteer(session: Session, volunteer_id: str) -> dict:
    item = store.volunteer(session.conn, volunteer_id)
    if item is None:
        raise RedStationError(_("There is no volunteer with the id {id}").format(id=volunteer_id))
    return item


def certificate(session: Session, volunteer_id: str, out_path: str | Path, *, start: date | None = None,
                end: date | None = None, printed_at: datetime | None = None) -> dict:
    """Print the hours certificate of a volunteer for the days ``start`` to ``end`` (both included).

    Without ``start`` the period begins with the volunteer's first counted activity (or the
    day they joined); it ends on ``end`` or the day of printing, whichever comes first.
    Returns {pages, name, activities, hours, start, end}.
    """
    session.require("print.certificate")
    station = session.require_station()
    person = find_volunteer(session, volunteer_id)
    printed_at = (printed_at or datetime.now()).replace(microsecond=0)
    bounds = volunteer_service.period_bounds(start, end)   # refuses a start after the end
    records = store.service_records(session.conn, bounds, volunteer_id=volunteer_id)
    total = sum(r["hours"] for r in records)
    first = start or (date.fromisoformat(records[0]["starts_at"][:10]) if records else
                      date.fromisoformat(person["joined_on"]) if person["joined_on"] else printed_at.date())
    last = min(end, printed_at.date()) if end else printed_at.date()   # no service after the day of printing
    if first > last:
        first = last
    period = period_text(first, last)

    title = _("Certificate of volunteer service hours")
    doc = Document(title, station=station["name"], period=period, printed_at=printed_at)
    doc.title_block(title, _("Period: {period}").format(period=period))
    teams = "、".join(t["name"] for t in person["teams"])
    doc.table([_("Name"), _("Sex"), _("Id number"), _("Team")],
              [[person["name"], label(GENDERS, person["gender"]) or "—", idnumber.mask(person["id_number"]) or "—",
                teams or "—"]], widths=[24, 12, 44, 64], centred=(0, 1, 2, 3))
    doc.space(5)
    rows = [[str(n), r["starts_at"][:10], r["title"], r["place"] or r["estate"] or "—",
             volunteer_service.hours_text(r["hours"])] for n, r in enumerate(records, start=1)]
    if not rows:
        rows = [["", "", _("No service recorded in this period"), "", "0"]]
    rows.append(["", "", _("Total: {count} activities").format(count=len(records)), "",
                 volunteer_service.hours_text(total)])
    table = doc.table([label(COLUMNS, n) for n in COLUMNS], rows, WIDTHS, centred=(0, 1, 4))
    table.setStyle([("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.HexColor("#f4f4f4"))])
    doc.space(8)
    number = idnumber.mask(person["id_number"])
    closing = len(doc.story)   # the statement, the seal and the signature stay on one page
    sentence = _("This is to certify that {name}{id} took part in {count} volunteer service activities organised by "
                 "{station} from {start} to {end}, with {hours} hours of volunteer service in all.")
    doc.add(Paragraph(text_markup(sentence.format(
        name=person["name"], id=_(" (id number {number})").format(number=number) if number else "",
        count=len(records), station=station["name"], start=long_date(first), end=long_date(last),
        hours=volunteer_service.hours_text(total))), _STATEMENT))
    doc.add(Paragraph(text_markup(_("Hereby certified.")), _STATEMENT))
    doc.space(14)
    doc.add(Paragraph(text_markup(_("{station} (seal)").format(station=station["name"])), _SIGNED))
    doc.add(Paragraph(text_markup(long_date(printed_at.date())), _SIGNED))
    doc.space(6)
    doc.signatures(_("Issued by"), dated=False)
    doc.story[closing:] = [KeepTogether(doc.story[closing:])]
    pages = doc.write(out_path)
    detail = {"start": first.isoformat(), "end": last.isoformat(), "pages": pages, "activities": len(records),
              "hours": total}
    with session.write("print.certificate", "volunteers", volunteer_id, detail):
        pass
    return {"pages": pages, "name": person["name"], "activities": len(records), "hours": total,
            "start": first.isoformat(), "end": last.isoformat()}
