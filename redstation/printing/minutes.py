"""The minutes (会议纪要) of a round-table meeting, as the station files them and the attendees sign them.

A4 portrait: the title (the meeting's, with its estate and kind) and a form of when, where,
who chaired and who took the minutes, who attended party by party; then each topic in order
with who raised it, the discussion, the resolution and the tickets it discussed; the
follow-up actions as a table with owner, due date and how they stand (the ticket each one
became, and its status); the meeting's summary; and a sign-in table of the attendees with
room to sign, then the lines for the host and the recorder.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Table, TableStyle

from redstation.domain.vocab import MEETING_KINDS, MEETING_PARTIES, TICKET_STATUSES, label
from redstation.i18n import N_, _
from redstation.printing.document import (GRID, HEADER_FILL, STYLES, Document, Markup, Title, _style, blank, coloured,
                                          long_date, text_markup, weekday)
from redstation.printing.fonts import FONT
from redstation.services import meetings as meeting_service
from redstation.services.session import Session

CHINESE_NUMBERS = "一二三四五六七八九十"
ACTION_COLUMNS = {"no": N_("No."), "action": N_("Follow-up action"), "owner": N_("Owner"), "due": N_("Due by"),
                  "status": N_("Status"), "ticket": N_("Ticket")}
ACTION_WIDTHS = [0.7, 4.1, 1.4, 1.35, 1.7, 2.3]
SIGN_COLUMNS = {"no": N_("No."), "party": N_("Party represented"), "name": N_("Name"), "title": N_("Job title"),
                "sign": N_("Signature")}
SIGN_WIDTHS = [0.7, 2.2, 1.6, 2.6, 3.0]
TEXT = _style("minutes_text", 10.5, 17)
INDENTED = _style("minutes_indented", 10.5, 17)
INDENTED.leftIndent = 2 * 10.5
INDENTED.firstLineIndent = 0
LABEL_CELL = _style("minutes_label", 10, 14)
LABEL_CELL.alignment = 1
VALUE_CELL = _style("minutes_value", 10, 15)


class Heading(Flowable):
    """A section heading: left, a little larger, drawn with a stroked outline as the font has no bold."""

    def __init__(self, text: str, size: float = 12.5, before: float = 5 * mm, after: float = 1.5 * mm):
        super().__init__()
        self.text, self.size, self.before, self.after = text, size, before, after
        self.keepWithNext = True  # never alone at the foot of a page

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.size * 1.3

    def getSpaceBefore(self):  # noqa: N802 - reportlab's name
        return self.before

    def getSpaceAfter(self):  # noqa: N802 - reportlab's name
        return self.after

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setLineWidth(self.size / 30)
        text = canvas.beginText(0, self.size * 0.3)
        text.setFont(FONT, self.size)
        text.setTextRenderMode(2)  # fill and stroke: a faux bold
        text.textOut(self.text)
        canvas.drawText(text)
        canvas.restoreState()


def _chinese_number(n: int) -> str:
    """一 … 十, 十一 … 九十九: the numbering of sections and topics in Chinese documents."""
    if n <= 10:
        return CHINESE_NUMBERS[n - 1]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMBERS[tens - 1] if tens > 1 else "") + "十" + (CHINESE_NUMBERS[ones - 1] if ones else "")


def _fitted_title(text: str, width: float) -> Title:
    """The title as large as fits on one line (20 pt, down to 13 pt for a long one), letter-spaced as ``Title`` does."""
    size = 20.0
    while size > 13 and stringWidth(text, FONT, size) + size * 0.25 * (len(text) - 1) > width:
        size -= 1
    return Title(text, size)


def _cell(value, style=VALUE_CELL) -> Paragraph:
    return Paragraph(value if isinstance(value, Markup) else text_markup(value), style)


def _form(rows: list[list], widths: list[float], width: float, spans: list[tuple] = ()) -> Table:
    """A key-value form with the document's grid: label cells shaded, centred."""
    scale = width / sum(widths)
    table = Table([[_cell(v, LABEL_CELL if n % 2 == 0 else VALUE_CELL) for n, v in enumerate(row)] for row in rows],
                  colWidths=[w * scale for w in widths], hAlign="CENTER")
    style = [("FONT", (0, 0), (-1, -1), FONT, 10), ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BOX", (0, 0), (-1, -1), 1.0, GRID),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 4),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 5), ("LEFTPADDING", (0, 0), (-1, -1), 5),
             ("RIGHTPADDING", (0, 0), (-1, -1), 5)]
    for row in range(len(rows)):
        style.append(("BACKGROUND", (0, row), (0, row), HEADER_FILL))
        if len(rows[row]) > 2 and rows[row][2]:  # not where a value spans the row
            style.append(("BACKGROUND", (2, row), (2, row), HEADER_FILL))
    style += [("SPAN",) + span for span in spans]
    table.setStyle(TableStyle(style))
    return table


def _ticket_text(ticket: dict) -> str:
    """0B6C-20261124-011（已办结）"""
    return _("{number} ({status})").format(number=ticket["number"], status=label(TICKET_STATUSES, ticket["status"]))


def _attendance(item: dict) -> Markup:
    """党组织：王书记（社区党委书记）<br/>社区居委会：……"""
    lines = []
    for party, people in meeting_service.party_groups(item["attendees"]):
        lines.append(text_markup(_("{party}: {names}").format(
            party=label(MEETING_PARTIES, party), names="、".join(meeting_service.attendee_text(a) for a in people))))
    if not lines:
        return Markup(text_markup(_("(none recorded)")))
    lines.append(text_markup(_("{count} attendees in all").format(count=len(item["attendees"]))))
    return Markup("<br/>".join(lines))


def _topic(doc: Document, number: int, topic: dict) -> None:
    parts = [Heading(_("({n}) {title}").format(n=_chinese_number(number), title=topic["title"]), size=11,
                     before=3 * mm, after=1 * mm)]
    if topic["raised_by"]:
        parts.append(Paragraph(text_markup(_("Raised by: {name}").format(name=topic["raised_by"])), INDENTED))
    parts.append(Paragraph(text_markup(_("Discussion: {text}").format(text=topic["discussion"] or "—")), INDENTED))
    parts.append(Paragraph(text_markup(_("Resolution: {text}").format(text=topic["resolution"] or _("none reached"))),
                           INDENTED))
    if topic["tickets"]:
        parts.append(Paragraph(text_markup(_("Tickets discussed: {tickets}").format(
            tickets="、".join(_ticket_text(t) for t in topic["tickets"]))), INDENTED))
    doc.add(KeepTogether(parts[:3]), *parts[3:])


def _action_row(number: int, action: dict, today) -> list:
    state = action["progress"]
    status = meeting_service.progress_text(action, today)
    if state in (meeting_service.LATE, meeting_service.TICKET_LATE):
        status = coloured(status)
    ticket = action["ticket"]
    ticket_cell = ""
    if ticket is not None:
        ticket_cell = [Paragraph(text_markup(ticket["number"]), STYLES["cell"]),
                       Paragraph(text_markup(label(TICKET_STATUSES, ticket["status"])
                                             + (_(", late") if ticket["late"] else "")), STYLES["small"])]
    description = action["description"]
    if action["topic_title"]:
        description = [Paragraph(text_markup(description), STYLES["cell"]),
                       Paragraph(text_markup(_("(topic {n})").format(n=_chinese_number(action["topic_seq"]))), STYLES["small"])]
    return [str(number), description, action["owner"], action["due_date"] or "—", status, ticket_cell]


def minutes(session: Session, meeting_id: str, out_path: str | Path, *, now: datetime | None = None) -> dict:
    """Print the minutes of a meeting; returns {pages, title, attendees, topics, actions}."""
    session.require("print.minutes")
    station = session.require_station()
    now = (now or datetime.now()).replace(microsecond=0)
    item = meeting_service.find(session.conn, meeting_id, now)
    held = datetime.fromisoformat(item["held_at"])
    kind = label(MEETING_KINDS, item["kind"])
    # the topics are numbered in the actions table as they are printed
    numbers = {t["id"]: n for n, t in enumerate(item["topics"], start=1)}
    for action in item["actions"]:
        action["topic_seq"] = numbers.get(action["topic_id"])
        if action["topic_seq"] is None:
            action["topic_title"] = ""

    doc = Document(_("Meeting minutes"), station=station["name"], period=long_date(held.date()), printed_at=now)
    title = _("{title} minutes").format(title=item["title"])
    doc.add(_fitted_title(title, doc.width))
    missing = [part for part in (kind, item["estate"]) if part and part not in item["title"]]
    if missing:
        doc.paragraph(_("({parts})").format(parts=" · ".join(missing)), "subtitle")
    doc.space(4)

    when = _("{date} {weekday} {time}").format(date=long_date(held.date()), weekday=weekday(held.date()),
                                              time=held.strftime("%H:%M"))
    form = [[_("Meeting time"), when, _("Meeting place"), item["place"] or "—"],
            [_("Host"), item["host"] or "—", _("Recorder"), item["recorder"] or "—"],
            [_("Kind of meeting"), kind, _("Estate"), item["estate"] or station["community"]],
            [_("Attended by"), _attendance(item), "", ""]]
    doc.add(_form(form, [1.2, 3.3, 1.2, 3.3], doc.width, spans=[((1, 3), (3, 3))]))

    section = 1
    doc.add(Heading(_("{n}. Topics and resolutions").format(n=_chinese_number(section))))
    if item["topics"]:
        for number, topic in enumerate(item["topics"], start=1):
            _topic(doc, number, topic)
    else:
        doc.add(Paragraph(text_markup(_("No topics were recorded.")), INDENTED))

    section += 1
    doc.add(Heading(_("{n}. Follow-up actions").format(n=_chinese_number(section))))
    if item["actions"]:
        rows = [_action_row(n, a, now.date()) for n, a in enumerate(item["actions"], start=1)]
        doc.table([label(ACTION_COLUMNS, c) for c in ACTION_COLUMNS], rows, ACTION_WIDTHS, centred=(0, 2, 3))
        done = sum(1 for a in item["actions"] if a["status"] == "done")
        doc.space(1.5)
        doc.paragraph(_("{count} actions: {done} done, {open} open; {tickets} of them became tickets, reckoned on "
                        "{time}.").format(count=len(item["actions"]), done=done, open=len(item["actions"]) - done,
                                          tickets=sum(1 for a in item["actions"] if a["ticket"]),
                                          time=now.strftime("%Y-%m-%d %H:%M")), "small")
    else:
        doc.add(Paragraph(text_markup(_("No follow-up actions were recorded.")), INDENTED))

    if item["summary"]:
        section += 1
        doc.add(Heading(_("{n}. Meeting summary").format(n=_chinese_number(section))))
        doc.add(Paragraph(text_markup(item["summary"]), INDENTED))

    section += 1
    sign_rows = [[str(n), label(MEETING_PARTIES, a["party"]), a["name"], a["title"], blank(9)]
                 for n, a in enumerate(item["attendees"], start=1)]
    if not sign_rows:  # a sheet to sign in on paper
        sign_rows = [["", "", "", "", blank(9)] for _n in range(8)]
    heading = Heading(_("{n}. Attendees' signatures").format(n=_chinese_number(section)))
    doc.add(heading)
    doc.table([label(SIGN_COLUMNS, c) for c in SIGN_COLUMNS], sign_rows, SIGN_WIDTHS, centred=(0, 1, 2))
    doc.signatures(_("Host"), _("Recorder"))
    pages = doc.write(out_path)
    counts = {"attendees": len(item["attendees"]), "topics": len(item["topics"]), "actions": len(item["actions"])}
    with session.write("print.minutes", "meetings", item["id"], detail={"pages": pages, **counts}):
        pass
    return {"pages": pages, "title": item["title"], **counts}

