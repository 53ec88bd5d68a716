"""The 5341 response promise and its clock.

On site within 5 minutes; an ordinary issue solved within 30 minutes, a major one within 4
hours; a special complex one gets a written plan within 1 day. The clock runs day and night
(a ticket accepted at 23:50 is due on site at 23:55 and solved by 00:20), and stops while the
ticket waits (for parts, for the resident): each stage's deadline moves on by the time spent
waiting before it. A stage finished before a pause is not affected by it.

The pauses are stored as ticket history, so every figure can be worked out again later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ONSITE = timedelta(minutes=5)
RESOLVE = {"ordinary": timedelta(minutes=30), "major": timedelta(hours=4)}
PLAN = {"complex": timedelta(days=1)}

# stage -> (deadline column, done column) of the tickets table
STAGES = {"onsite": ("onsite_due_at", "onsite_at"), "resolve": ("resolve_due_at", "resolved_at"),
          "plan": ("plan_due_at", "plan_at")}
DONE, DONE_LATE, RUNNING, OVERDUE, PAUSED = "done", "done_late", "running", "overdue", "paused"


def allowances(severity: str) -> dict[str, timedelta]:
    """How long each stage that applies to ``severity`` may take."""
    found = {"onsite": ONSITE}
    if severity in RESOLVE:
        found["resolve"] = RESOLVE[severity]
    if severity in PLAN:
        found["plan"] = PLAN[severity]
    return found


def deadlines(severity: str, accepted_at: datetime) -> dict[str, datetime | None]:
    """The stage deadlines of a ticket accepted at ``accepted_at`` (no pauses counted)."""
    allowed = allowances(severity)
    return {STAGES[stage][0]: accepted_at + allowed[stage] if stage in allowed else None for stage in STAGES}


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None   # None: still waiting


def due_with_pauses(accepted_at: datetime, allowance: timedelta, pauses: list[Pause]) -> datetime | None:
    """When ``allowance`` of running time after ``accepted_at`` is used up; None while paused with time left."""
    moment, left = accepted_at, allowance
    for pause in sorted(pauses, key=lambda p: p.start):
        if pause.start >= moment + left:
            break                      # the deadline comes before this pause
        if pause.start > moment:
            left -= pause.start - moment
            moment = pause.start
        if pause.end is None:
            return None
        moment = max(moment, pause.end)
    return moment + left


@dataclass(frozen=True)
class StageClock:
    stage: str                  # onsite, resolve or plan
    state: str                  # DONE, DONE_LATE, RUNNING, OVERDUE or PAUSED
    due_at: datetime | None     # with the pauses counted; None while paused
    done_at: datetime | None
    left: timedelta | None      # running: time left; overdue: negative; paused: time left when it stopped


def clocks(severity: str, accepted_at: datetime, pauses: list[Pause], done: dict[str, datetime | None],
           now: datetime) -> list[StageClock]:
    """Each stage that applies to the ticket, where it stands at ``now``. ``done``: stage -> when it was done."""
    found = []
    for stage, allowance in allowances(severity).items():
        finished = done.get(stage)
        if finished is not None:
            # waiting that had not ended when the stage was done ended then: doing the work ends the wait
            before = [Pause(p.start, min(p.end or finished, finished)) for p in pauses if p.start < finished]
            due = due_with_pauses(accepted_at, allowance, before)
            found.append(StageClock(stage, DONE if finished <= due else DONE_LATE, due, finished, None))
            continue
        due = due_with_pauses(accepted_at, allowance, pauses)
        if due is None:
            running_until = next(p.start for p in sorted(pauses, key=lambda p: p.start) if p.end is None)
            used = running_until - accepted_at - paused_time([p for p in pauses if p.end is not None], accepted_at,
                                                             running_until)
            found.append(StageClock(stage, PAUSED, None, None, allowance - used))
        else:
            found.append(StageClock(stage, OVERDUE if now > due else RUNNING, due, None, due - now))
    return found


def paused_time(pauses: list[Pause], start: datetime, end: datetime) -> timedelta:
    """How long the clock stood still between ``start`` and ``end``."""
    total = timedelta(0)
    for pause in pauses:
        stop = min(pause.end or end, end)
        begin = max(pause.start, start)
        if stop > begin:
            total += stop - begin
    return total


DUE_SOON_AT_LEAST = timedelta(minutes=10)


def due_soon(clock: StageClock, severity: str) -> bool:
    """A running stage with little time left: a quarter of its allowance, or 10 minutes, whichever is more."""
    if clock.state != RUNNING:
        return False
    return clock.left <= max(allowances(severity)[clock.stage] / 4, DUE_SOON_AT_LEAST)


def urgency(found: list[StageClock], severity: str) -> tuple:
    """A sort key, most urgent first: overdue (longest first), then due soon, then running by deadline, then paused."""
    overdue = [c.left for c in found if c.state == OVERDUE]
    if overdue:
        return (0, min(overdue))
    running = [c for c in found if c.state == RUNNING]
    if running:
        first = min(c.left for c in running)
        return (1 if any(due_soon(c, severity) for c in running) else 2, first)
    if any(c.state == PAUSED for c in found):
        return (3, timedelta(0))
    return (4, timedelta(0))
