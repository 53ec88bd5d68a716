"""The 5341 response promise: on site within 5 minutes; an ordinary issue solved within
30 minutes, a major one within 4 hours; a special complex one gets a written plan within 1 day."""

from __future__ import annotations

from datetime import datetime, timedelta

ONSITE = timedelta(minutes=5)
RESOLVE = {"ordinary": timedelta(minutes=30), "major": timedelta(hours=4)}
PLAN = {"complex": timedelta(days=1)}


def deadlines(severity: str, accepted_at: datetime) -> dict[str, datetime | None]:
    """The stage deadlines of a ticket accepted at ``accepted_at`` (no pauses counted)."""
    resolve, plan = RESOLVE.get(severity), PLAN.get(severity)
    return {
        "onsite_due_at": accepted_at + ONSITE,
        "resolve_due_at": accepted_at + resolve if resolve else None,
        "plan_due_at": accepted_at + plan if plan else None,
    }
