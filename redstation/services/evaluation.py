"""The monthly evaluation (考评) per estate and for the station, and the satisfaction surveys.

Every figure is worked out from the records, never stored, so it can be recomputed at any
time (after a late entry or a merged bundle, say):

- satisfaction rate = (满意 + 基本满意) / answered, over ticket callbacks and survey answers
  given in the month; an estate under 60 % is flagged (约谈);
- 5341 on-time rate per stage, over the tickets accepted in the month: a stage done in time
  counts on time, done late or overdue counts late, one still running is not counted yet;
- visit coverage: the share of key households never overdue in the month
  (``services.visits.coverage``, the same rule as the round);
- tickets by kind and by source; volunteer hours and activities; meetings held and
  follow-up actions closed.

Tickets, visits and answers belong to the estate of their household; activities and
meetings to the estate they name. The station's figures count everything, including what
belongs to no estate.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, timedelta

from redstation import RedStationError
from redstation.domain import response5341
from redstation.domain.vocab import RATINGS, TICKET_KINDS, TICKET_SOURCES
from redstation.i18n import _
from redstation.services import tickets as ticket_service
from redstation.services import visits as visit_service
from redstation.services.session import Session
from redstation.store import queries, records
from redstation.store import tickets as ticket_store

FLAG_BELOW = 0.6
STATION = ""   # the key of the station's own figures


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-11' -> (2026-11-01 00:00, 2026-12-01 00:00); RedStationError for anything else."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", (month or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise RedStationError(_("{month} is not a month: write it as YYYY-MM, e.g. 2026-11").format(month=month))
    start = datetime(int(match[1]), int(match[2]), 1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def previous_month(month: str) -> str:
    start, _end = month_bounds(month)
    return (start - timedelta(days=1)).strftime("%Y-%m")


def rate(good: int, total: int) -> float | None:
    return good / total if total else None


def _empty() -> dict:
    return {
        "satisfaction": {code: 0 for code in RATINGS} | {"answered": 0, "not_reached": 0, "rate": None},
        "on_time": {stage: {"on_time": 0, "late": 0, "pending": 0, "rate": None} for stage in response5341.STAGES},
        "coverage": {"key_households": 0, "on_time": 0, "rate": None},
        "tickets": {"total": 0, "by_kind": {code: 0 for code in TICKET_KINDS},
                    "by_source": {code: 0 for code in TICKET_SOURCES}},
        "volunteers": {"hours": 0.0, "activities": 0, "volunteers": 0},
        "meetings": {"held": 0, "actions_closed": 0, "actions_open": 0},
        "flagged": False,
    }


class _Figures(dict):
    """estate -> figures, made on first use; the station's figures under STATION."""

    def __missing__(self, estate: str) -> dict:
        self[estate] = _empty()
        return self[estate]

    def each(self, estate: str | None):
        """The figures an item of ``estate`` counts in: the station's, and its estate's if it has one."""
        return [self[STATION]] + ([self[estate]] if estate else [])


def figures(conn: sqlite3.Connection, start: datetime, end: datetime, now: datetime, *, by: str = "estate") -> dict[str, dict]:
    """estate -> the figures from ``start`` to ``end`` (STATION: all of them); reckoned at ``min(end, now)``.

    ``by="origin"`` groups by the station each record comes from instead (a street office's view).
    """
    # up to the end of the month, or of a running month up to now (now itself included: times are whole seconds)
    at = end if end <= now else now.replace(microsecond=0) + timedelta(seconds=1)
    found = _Figures()
    found[STATION]  # the station has figures even in an empty month
    for key in (_estates(conn) if by == "estate" else [r[0] for r in conn.execute("SELECT id FROM stations WHERE deleted = 0")]):
        found[key]
    window = (start.isoformat(timespec="seconds"), at.isoformat(timespec="seconds"))
    group = "estate" if by == "estate" else "origin"

    for estate, answer, count in conn.execute(
            """SELECT {g}, coalesce(rating, 'none'), count(*) FROM satisfaction
               WHERE deleted = 0 AND answered_at >= ? AND answered_at < ? GROUP BY {g}, rating""".format(g=group), window):
        for figure in found.each(estate):
            key = answer if answer in RATINGS else "not_reached"
            figure["satisfaction"][key] += count
            if answer in RATINGS:
                figure["satisfaction"]["answered"] += count

    for item in ticket_store.tickets(conn, status=None, start=start, end=at):
        clocks = ticket_service.clocks(item, item["events"], at)
        for figure in found.each(item[group]):
            tally = figure["tickets"]
            tally["total"] += 1
            tally["by_kind"][item["kind"]] += 1
            tally["by_source"][item["source"]] += 1
            for clock in clocks:
                stage = figure["on_time"][clock.stage]
                if clock.state == response5341.DONE:
                    stage["on_time"] += 1
                elif clock.state in (response5341.DONE_LATE, response5341.OVERDUE):
                    stage["late"] += 1
                else:
                    stage["pending"] += 1

    covered = visit_service.coverage(conn, start, at)
    for estate, counts in covered["estates" if by == "estate" else "origins"].items():
        for figure in found.each(estate):
            figure["coverage"]["key_households"] += counts["key_households"]
            figure["coverage"]["on_time"] += counts["on_time"]

    for estate, hours, activities, volunteers in conn.execute(
            """SELECT a.{g}, coalesce(sum(CASE WHEN {counted} THEN x.hours END), 0), count(DISTINCT a.id),
                      count(DISTINCT CASE WHEN {counted} THEN x.volunteer_id END)
               FROM activities a LEFT JOIN attendance x ON x.activity_id = a.id
               WHERE a.deleted = 0 AND a.starts_at >= ? AND a.starts_at < ? GROUP BY a.{g}""".format(
                counted=queries.COUNTED_HOURS, g=group), window):
        for figure in found.each(estate):
            figure["volunteers"]["hours"] += hours
            figure["volunteers"]["activities"] += activities
            figure["volunteers"]["volunteers"] += volunteers

    for estate, held in conn.execute("""SELECT {g}, count(*) FROM meetings WHERE deleted = 0
                                        AND held_at >= ? AND held_at < ? GROUP BY {g}""".format(g=group), window):
        for figure in found.each(estate):
            figure["meetings"]["held"] += held
    for estate, closed, still_open in conn.execute(
            """SELECT m.{g}, sum(a.status = 'done' AND a.done_at >= ? AND a.done_at < ?),
                      sum(a.status = 'open' AND m.held_at < ?)
               FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id
               WHERE a.deleted = 0 AND m.deleted = 0 GROUP BY m.{g}""".format(g=group), (*window, window[1])):
        for figure in found.each(estate):
            figure["meetings"]["actions_closed"] += closed or 0
            figure["meetings"]["actions_open"] += still_open or 0

    for figure in found.values():
        answers = figure["satisfaction"]
        answers["rate"] = rate(answers["satisfied"] + answers["basic"], answers["answered"])
        figure["flagged"] = answers["rate"] is not None and answers["rate"] < FLAG_BELOW
        for stage in figure["on_time"].values():
            stage["rate"] = rate(stage["on_time"], stage["on_time"] + stage["late"])
        cover = figure["coverage"]
        cover["rate"] = rate(cover["on_time"], cover["key_households"])
        figure["volunteers"]["hours"] = round(figure["volunteers"]["hours"], 1)
    return dict(found)


def _estates(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT estate FROM households WHERE deleted = 0 ORDER BY estate")]


def monthly(conn: sqlite3.Connection, month: str, now: datetime | None = None) -> dict:
    """The month's evaluation: {month, start, end, partial, station, estates, flagged, stations, previous}.

    ``estates`` maps each estate to its figures (``stations`` each station's, by name, when the
    database holds records of more than one), ``flagged`` lists the estates under 60 %
    satisfaction (lowest first), ``previous`` holds last month's station and estate figures
    for the change. A month still running is reckoned up to ``now`` (``partial``).
    """
    now = (now or datetime.now()).replace(microsecond=0)
    start, end = month_bounds(month)
    if start > now:
        raise RedStationError(_("{month} has not begun yet").format(month=month))
    current = figures(conn, start, end, now)
    before_start, before_end = month_bounds(previous_month(month))
    before = figures(conn, before_start, before_end, now)
    estates = {name: data for name, data in current.items() if name != STATION}
    flagged = sorted((name for name, data in estates.items() if data["flagged"]),
                     key=lambda name: estates[name]["satisfaction"]["rate"])
    names = dict(conn.execute("SELECT id, name FROM stations WHERE deleted = 0"))
    stations = {}
    if len(names) > 1:  # a street office, or a station that merged another's bundles: each station's own figures
        stations = {names.get(key, key): data for key, data in figures(conn, start, end, now, by="origin").items()
                    if key != STATION}
    return {"month": month, "start": start.isoformat(), "end": end.isoformat(), "partial": now < end,
            "station": current[STATION], "estates": estates, "flagged": flagged, "stations": stations,
            "previous": {"month": previous_month(month), "station": before[STATION],
                         "estates": {name: data for name, data in before.items() if name != STATION}}}


def change(current: float | None, previous: float | None) -> float | None:
    """The change of a rate or count against last month (None when either is unknown)."""
    if current is None or previous is None:
        return None
    return current - previous


# --- satisfaction surveys --------------------------------------------------------------------------------------

def create_survey(session: Session, estate: str, month: str, title: str = "") -> str:
    """A survey round of one estate for one month."""
    start, _end = month_bounds(month)
    estate = (estate or "").strip()
    if not estate:
        raise RedStationError(_("Choose the estate of the survey"))
    title = (title or "").strip() or _("{estate} residents' satisfaction survey {year}-{month:02d}").format(
        estate=estate, year=start.year, month=start.month)
    with session.write("survey.create", "surveys") as change_:
        change_.record_id = change_.insert("surveys", estate=estate, period=month, title=title,
                                           started_on=date.today().isoformat())
        return change_.record_id


def record_answer(session: Session, survey_id: str, household_id: str, rating: str | None, comment: str = "",
                  answered_at: datetime | None = None) -> None:
    """One household's answer to a survey (``rating`` None: not reached); a second answer replaces the first."""
    record_answers(session, survey_id, {household_id: (rating, comment)}, answered_at)


def record_answers(session: Session, survey_id: str, answers: dict[str, tuple[str | None, str]],
                   answered_at: datetime | None = None) -> int:
    """Answers of many households at once (household id -> (rating or None, comment)), one transaction."""
    survey = session.conn.execute("SELECT * FROM surveys WHERE id = ? AND deleted = 0", (survey_id,)).fetchone()
    if survey is None:
        raise RedStationError(_("The survey does not exist"))
    start, end = month_bounds(survey["period"])
    moment = (answered_at or datetime.now()).replace(microsecond=0)
    moment = min(max(moment, start), end - timedelta(seconds=1))  # an answer entered late counts in its month
    with session.write("survey.answer", "satisfaction", survey_id, detail={"answers": len(answers)}) as change_:
        for household_id, (rating, comment) in answers.items():
            if rating is not None and rating not in RATINGS:
                raise RedStationError(_("Satisfaction is satisfied, basically satisfied or dissatisfied"))
            household = change_.conn.execute("SELECT estate FROM households WHERE id = ? AND deleted = 0",
                                             (household_id,)).fetchone()
            if household is None:
                raise RedStationError(_("The household does not exist or was deleted"))
            for row in change_.conn.execute("""SELECT id FROM satisfaction WHERE survey_id = ? AND household_id = ?
                                               AND deleted = 0""", (survey_id, household_id)).fetchall():
                change_.delete("satisfaction", row[0])
            change_.insert("satisfaction", channel="survey", survey_id=survey_id, household_id=household_id,
                           estate=household["estate"], rating=rating, comment=(comment or "").strip(),
                           answered_at=records.now_iso(moment), recorded_by=session.actor.name)
    return len(answers)


def survey_answers(conn: sqlite3.Connection, survey_id: str) -> dict[str, tuple[str | None, str]]:
    """household id -> (rating or None, comment) of a survey's answers."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT household_id, rating, comment FROM satisfaction WHERE survey_id = ? AND deleted = 0", (survey_id,))}


def surveys(conn: sqlite3.Connection, month: str | None = None) -> list[dict]:
    """Survey rounds (of a month, or all), newest first, with their answer counts and rate."""
    sql = """SELECT s.*, count(a.id) AS asked, sum(a.rating IS NOT NULL) AS answered,
                    sum(a.rating IN ('satisfied', 'basic')) AS content
             FROM surveys s LEFT JOIN satisfaction a ON a.survey_id = s.id AND a.deleted = 0
             WHERE s.deleted = 0 {month} GROUP BY s.id ORDER BY s.period DESC, s.estate"""
    rows = conn.execute(sql.format(month="AND s.period = ?" if month else ""), (month,) if month else ())
    return [dict(r, rate=rate(r["content"] or 0, r["answered"] or 0)) for r in rows]


def weekly_on_time(conn: sqlite3.Connection, now: datetime, weeks: int = 8) -> list[dict]:
    """The station's 5341 on-time rates week by week (Monday to Sunday), the current week last.

    Each: {week: the Monday, onsite: rate, resolve: rate, tickets: accepted that week}.
    """
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), datetime.min.time())
    found = []
    for back in range(weeks - 1, -1, -1):
        start = monday - timedelta(days=7 * back)
        end = min(start + timedelta(days=7), now)
        tally = {stage: [0, 0] for stage in ("onsite", "resolve")}
        items = ticket_store.tickets(conn, status=None, start=start, end=end)
        for item in items:
            for clock in ticket_service.clocks(item, item["events"], end):
                if clock.stage in tally and clock.state in (response5341.DONE, response5341.DONE_LATE, response5341.OVERDUE):
                    tally[clock.stage][0] += clock.state == response5341.DONE
                    tally[clock.stage][1] += 1
        found.append({"week": start.date(), "tickets": len(items),
                      **{stage: rate(good, total) for stage, (good, total) in tally.items()}})
    return found
