"""Printed documents of the home-visit rounds: the round sheet (巡查走访单) and the visit log (走访记录表).

The round sheet lists the households ``services.visits.round_list`` says a round must visit
(overdue first, then due, each in address order) with who lives there, what to look out for,
whom to call, and empty columns to tick and fill in by hand on a paper round. The visit log
lists the visits of a period as they were logged, corrections and voids included, with
totals of the visits that count. Each print is recorded in the audit log (counts only).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

from redstation import RedStationError
from redstation.domain import schedule
from redstation.domain.vocab import CARE_CATEGORIES, VISIT_HANDLINGS, VISIT_OUTCOMES, label
from redstation.i18n import N_, _
from redstation.printing.document import (CheckBox, Document, Markup, blank, coloured, long_date, period_text, spaced,
                                          struck, weekday)
from redstation.services import register
from redstation.services import visits as visit_service
from redstation.services.session import Session
from redstation.store import visits as store

ROUND_START = time(8, 0)  # a sheet printed for another day is reckoned from that morning

ROUND_COLUMNS = dict(enumerate([N_("No."), N_("Address"), N_("Living here (age, care category)"),
                                N_("Care notes / emergency contacts"), N_("Visit due"), N_("Visited (tick)"),
                                N_("Time of visit"), N_("Findings / remarks")]))
ROUND_WIDTHS = [10, 32, 44, 70, 24, 9, 18, 60]

LOG_COLUMNS = dict(enumerate([N_("No."), N_("Time of visit"), N_("Address"), N_("Residents visited"), N_("Visitor"),
                              N_("Situation"), N_("Problem found"), N_("Action taken"), N_("Remarks")]))
LOG_WIDTHS = [9, 22, 30, 30, 17, 12, 42, 41, 52]


# --- small formats ---------------------------------------------------------------------------------------------

def _age(birth: str | None, on: date) -> int | None:
    if not birth:
        return None
    born = date.fromisoformat(birth)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _moment(value: datetime, today: date) -> str:
    """09:30 today, else 11月20日 09:30."""
    clock = value.strftime("%H:%M")
    if value.date() == today:
        return _("today {time}").format(time=clock)
    return _("{month}/{day} {time}").format(month=value.month, day=value.day, time=clock)


def _visit_time(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d\n%H:%M")


# --- the round sheet -------------------------------------------------------------------------------------------

def _members(household: dict, on: date) -> list[str]:
    lines = []
    for member in household["members"]:
        parts = [member["name"]]
        age = _age(member["birth_date"], on)
        if age is not None:
            parts.append(_("{age} years").format(age=age))
        categories = "、".join(label(CARE_CATEGORIES, c) for c in member["care_categories"])
        if categories:
            parts.append(categories)
        lines.append(" ".join(parts))
    return lines


def _care(household: dict) -> list[str]:
    lines, seen = [], set()
    for member in household["members"]:
        if member["care_notes"]:
            lines.append(_("{name}: {notes}").format(name=member["name"], notes=member["care_notes"]))
    for member in household["members"]:
        for contact in member["emergency_contacts"] or []:
            key = (contact["name"], contact["phone"])
            if key in seen:
                continue
            seen.add(key)
            if contact.get("relation"):
                lines.append(_("Emergency contact: {name} ({relation}) {phone}").format(**contact))
            else:
                lines.append(_("Emergency contact: {name} {phone}").format(name=contact["name"], phone=contact["phone"]))
    return lines


def _due(household: dict, at: datetime) -> list:
    due_at = datetime.fromisoformat(household["due_at"])
    if household["state"] != schedule.OVERDUE:
        return [_("Due for a visit"), _("by {moment}").format(moment=_moment(due_at, at.date()))]
    hours = household["overdue_hours"]
    if hours < 1:
        overdue = _("Overdue by less than an hour")
    elif hours < 48:
        overdue = _("Overdue {hours} h").format(hours=int(hours))
    else:
        overdue = _("Overdue {days} days").format(days=int(hours // 24))
    last = household["last_visit"]
    previous = (_("Last visit {moment}").format(moment=_moment(datetime.fromisoformat(last), at.date())) if last
                else _("Never visited"))
    return [Markup("<b>{text}</b>".format(text=coloured(overdue))), previous]


def _round_row(number: int, household: dict, at: datetime) -> list:
    address = [household["address"]]
    if household["phone"]:
        address.append(_("Tel. {phone}").format(phone=household["phone"]))
    return [str(number), "\n".join(address), "\n".join(_members(household, at.date())), "\n".join(_care(household)),
            _due(household, at), CheckBox(), "", blank(13)]


def round_sheet(session: Session, out_path: str | Path, *, day: date | None = None, now: datetime | None = None,
                estate: str | None = None) -> dict:
    """Print the round sheet of ``day`` (None: now) to ``out_path``; returns {pages, households, overdue, due}.

    For today the round is reckoned at ``now``, for another day at 08:00 of that day. An
    empty round still prints a sheet that says so.
    """
    session.require("print.round_sheet")
    station = session.require_station()
    now = (now or datetime.now()).replace(microsecond=0)
    at = now if day is None or day == now.date() else datetime.combine(day, ROUND_START)
    households = visit_service.round_list(session.conn, at, estate=estate)
    overdue = sum(1 for h in households if h["state"] == schedule.OVERDUE)
    counts = {"households": len(households), "overdue": overdue, "due": len(households) - overdue}

    doc = Document(_("Round sheet"), station=station["name"], period=long_date(at.date()), landscape=True, printed_at=now)
    lines = [spaced(_("Community: {community}").format(community=station["community"]),
                    _("Date: {date} {weekday}").format(date=long_date(at.date()), weekday=weekday(at.date())))]
    if estate:
        lines.append(_("Estate: {estate}").format(estate=estate))
    doc.title_block(None, *lines)
    reckoned = at.isoformat(sep=" ", timespec="minutes")
    if households:
        doc.paragraph(_("{households} key households to visit: {overdue} overdue, {due} due (as of {time}).").format(
            time=reckoned, **counts))
        doc.space(2)
        rows = [_round_row(n, h, at) for n, h in enumerate(households, start=1)]
        doc.table([label(ROUND_COLUMNS, n) for n in ROUND_COLUMNS], rows, ROUND_WIDTHS, centred=(0, 4, 6))
        doc.space(2)
        doc.paragraph(_("Tick the box after each visit and write down its time; write what was found under remarks "
                        "and report anything urgent to the station at once."), "small")
    else:
        doc.space(4)
        doc.paragraph(_("No key household is due or overdue as of {time}.").format(time=reckoned))
    doc.signatures(_("Inspector"))
    pages = doc.write(out_path)
    with session.write("print.round_sheet", detail={"date": at.date().isoformat(), "pages": pages, **counts}):
        pass
    return {"pages": pages, **counts}


# --- the visit log ---------------------------------------------------------------------------------------------

def visit_log_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The period to print: both days given; from the first of the month; or up to today.

    Neither: the first day of this month to today. Only ``end``: from the first day of its
    month. Only ``start``: up to today (or that day, if it is later).
    """
    if start is None and end is None:
        start, end = today.replace(day=1), today
    elif start is None:
        start = end.replace(day=1)
    elif end is None:
        end = max(start, today)
    if start > end:
        raise RedStationError(_("The period cannot start ({start}) after it ends ({end})").format(
            start=start.isoformat(), end=end.isoformat()))
    return start, end


def _remarks(visit: dict, number_of: dict[str, int], corrector: dict[str, dict]) -> list:
    marks = []
    if visit["superseded"]:
        later = corrector.get(visit["id"])
        if later is None:
            marks.append(_("Corrected"))
        elif later["voided"]:
            marks.append(_("Voided, see No. {n}").format(n=number_of[later["id"]]))
        else:
            marks.append(_("Corrected, see No. {n}").format(n=number_of[later["id"]]))
    if visit["corrects_id"]:
        original = number_of.get(visit["corrects_id"])
        if visit["voided"]:
            marks.append(_("Void of No. {n}").format(n=original) if original else _("Void"))
        else:
            marks.append(_("Correction of No. {n}").format(n=original) if original else _("Correction"))
    return [Markup("<b>{text}</b>".format(text=coloured(mark))) for mark in marks]


def _log_row(number: int, visit: dict, number_of: dict[str, int], corrector: dict[str, dict]) -> list:
    """One entry; an entry that no longer counts (corrected or voided) is struck through."""
    counts = not visit["superseded"] and not visit["voided"]
    when = _visit_time(visit["visited_at"])
    if visit["late_entry"] and not visit["corrects_id"]:
        when += "\n" + _("(entered later)")
    handling = label(VISIT_HANDLINGS, visit["handling"])
    if visit["ticket_number"]:
        handling += "\n" + _("Ticket {number}").format(number=visit["ticket_number"])
    outcome = label(VISIT_OUTCOMES, visit["outcome"])
    people = "、".join(visit["residents"])
    cells = [when, visit["address"], people, visit["visitor_name"], outcome, visit["finding"], handling,
             visit["notes"]]
    cells = [(value if counts else struck(value)) if value else "" for value in cells]
    if counts and visit["outcome"] == "anomaly":
        cells[4] = coloured(outcome)
    return [str(number)] + cells[:-1] + [_remarks(visit, number_of, corrector) + [cells[-1]]]


def _log_totals(rows: list[dict]) -> dict[str, int]:
    counting = [v for v in rows if not v["superseded"] and not v["voided"]]
    return {"visits": len(counting), "households": len({v["household_id"] for v in counting}),
            "anomalies": sum(1 for v in counting if v["outcome"] == "anomaly"),
            "escalated": sum(1 for v in counting if v["handling"] == "escalated"),
            "late": sum(1 for v in counting if v["late_entry"] and not v["corrects_id"]),
            "corrected": sum(1 for v in rows if v["corrects_id"] and not v["voided"]),
            "voided": sum(1 for v in rows if v["voided"])}


def visit_log(session: Session, out_path: str | Path, *, start: date | None, end: date | None,
              household_id: str | None = None, now: datetime | None = None) -> dict:
    """Print the visits from ``start`` to ``end`` (both days included; see ``visit_log_period``), oldest first.

    With ``household_id`` only that household's visits, and the header names it. Returns
    {pages, rows, visits, households, anomalies, escalated, late, corrected, voided}: ``rows``
    are all entries printed, the others count only the visits that count.
    """
    session.require("print.visit_log")
    station = session.require_station()
    now = (now or datetime.now()).replace(microsecond=0)
    start, end = visit_log_period(start, end, now.date())
    lines = [_("Period: {period}").format(period=period_text(start, end))]
    if household_id:
        household = register.household(session.conn, household_id)
        if household is None:
            raise RedStationError(_("There is no household with the id {id}").format(id=household_id))
        lines.append(_("Household: {address}").format(address=register.address_text(household)))
    rows = store.visits(session.conn, start=datetime.combine(start, time()),
                        end=datetime.combine(end + timedelta(days=1), time()), household_id=household_id)
    number_of = {v["id"]: n for n, v in enumerate(rows, start=1)}
    corrector = {v["corrects_id"]: v for v in rows if v["corrects_id"]}
    totals = _log_totals(rows)

    doc = Document(_("Visit log"), station=station["name"], period=period_text(start, end), landscape=True, printed_at=now)
    doc.title_block(None, *lines)
    if rows:
        cells = [_log_row(n, v, number_of, corrector) for n, v in enumerate(rows, start=1)]
        doc.table([label(LOG_COLUMNS, n) for n in LOG_COLUMNS], cells, LOG_WIDTHS, centred=(0, 1, 4, 5))
        doc.space(3)
        doc.paragraph(_("In all: {visits} visits to {households} households; {anomalies} found an anomaly, {escalated} of "
                        "them escalated; {late} entered later.").format(**totals))
        if totals["corrected"] or totals["voided"]:
            doc.paragraph(_("{corrected} entries correct an earlier one and {voided} void one; struck-through entries "
                            "do not count.").format(**totals))
    else:
        doc.space(4)
        doc.paragraph(_("No visits were logged in this period."))
    doc.signatures(_("Prepared by"), _("Checked by"))
    pages = doc.write(out_path)
    detail = {"start": start.isoformat(), "end": end.isoformat(), "pages": pages, "rows": len(rows), **totals}
    with session.write("print.visit_log", "households" if household_id else None, household_id, detail):
        pass
    return {"pages": pages, "rows": len(rows), **totals}

