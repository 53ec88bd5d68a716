"""When a key household is due for a visit: the one rule every screen, printout, report and count uses.

A household's interval is its own override if it has one, else the shortest interval among
the care categories of the people living there. It is due at its last visit plus the
interval; never visited, one interval after it came under care (registered or imported:
the desk has just seen them), or at once when that is not known. From then on it is
*overdue*. A household
whose due time comes within the look-ahead (a quarter of its interval, at most 12 hours)
is *due*: the round in progress should include it. Everything else is *ok*.

A visit counts at the time it happened, also when it was entered later from a paper round
sheet. A visit that a later correction replaced (or voided) no longer counts; the
correction does, with its own time and household.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redstation.domain.vocab import DEFAULT_VISIT_INTERVAL_HOURS

OVERDUE, DUE, OK = "overdue", "due", "ok"
MAX_LOOK_AHEAD = timedelta(hours=12)
LATE_ENTRY_AFTER = timedelta(minutes=30)  # a visit entered this long after it happened is marked late-entered


def interval_hours(categories: list[str] | set[str], override: int | None,
                   intervals: dict[str, int] | None = None) -> int | None:
    """The household's visit interval in hours, or None when it is not a key household."""
    if override:
        return int(override)
    table = intervals or DEFAULT_VISIT_INTERVAL_HOURS
    hours = [table[c] for c in categories if c in table]
    return min(hours) if hours else None


def look_ahead(interval: timedelta) -> timedelta:
    return min(interval / 4, MAX_LOOK_AHEAD)


@dataclass(frozen=True)
class VisitState:
    state: str                   # OVERDUE, DUE or OK
    due_at: datetime             # when the next visit is due
    last_visit: datetime | None

    def overdue_by(self, now: datetime) -> timedelta:
        return max(now - self.due_at, timedelta(0))


def _next_due(previous: datetime | None, interval: timedelta, since: datetime | None, otherwise: datetime) -> datetime:
    if previous is not None:
        return previous + interval
    return since + interval if since is not None else otherwise


def visit_state(last_visit: datetime | None, hours: int, now: datetime, since: datetime | None = None) -> VisitState:
    """Where a household with ``hours`` between visits stands at ``now``; ``since``: when it came under care."""
    interval = timedelta(hours=hours)
    due_at = _next_due(last_visit, interval, since, now)
    if now > due_at:
        state = OVERDUE
    elif due_at - now <= look_ahead(interval):
        state = DUE
    else:
        state = OK
    return VisitState(state, due_at, last_visit)


def is_late_entry(visited_at: datetime, entered_at: datetime) -> bool:
    return entered_at - visited_at > LATE_ENTRY_AFTER


def on_time(visits: list[datetime], hours: int, start: datetime, end: datetime, since: datetime | None = None) -> bool:
    """Whether a household was never overdue from ``start`` to ``end``.

    ``visits`` are the times of its counting visits (any order, before ``start`` too: the last
    one before the period decides when the first visit in it was due). ``since`` is when the
    household came under care (None: long before ``start``).
    """
    interval = timedelta(hours=hours)
    previous = None
    for moment in sorted(visits):
        if moment <= start:
            previous = moment
            continue
        if moment > end:
            break
        due = _next_due(previous, interval, since, start)
        if moment > due:
            return False
        previous = moment
    return end <= _next_due(previous, interval, since, start)
