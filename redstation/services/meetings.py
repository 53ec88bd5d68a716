"""Round-table meetings (圆桌会议, 三方/四方联席会议, 居民议事): attendees by party, topics, resolutions, actions.

A meeting has a header (kind, title, estate, time, place, host, recorder), attendees each
representing a party (党组织, 社区居委会, 业委会, 物业, 片警, 居民代表 …) with their title,
topics in order (who raised it, the discussion, the resolution, the tickets it discusses)
and follow-up actions (owner, due date, open or done). An action becomes a ticket with
one step (``action_to_ticket``): source 圆桌会议, linked both ways, and from then on its
progress on the meeting is the ticket's (status, and whether its 5341 clock ran late).

Every change is one transaction with one audit entry (``Session.write``). Values are
checked here; a problem is a ``FieldError`` naming the field, so a form can mark it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime

from redstation import RedStationError
from redstation.domain import response5341
from redstation.domain.register import FieldError, clean_name, parse_date, text
from redstation.domain.vocab import (MEETING_KINDS, MEETING_PARTIES, TICKET_KINDS, TICKET_SEVERITIES, TICKET_STATUSES,
                                     label)
from redstation.i18n import N_, _, join_clauses
from redstation.services import tickets as ticket_service
from redstation.services.session import Session, check_version
from redstation.store import meetings as store

DEFAULT_TITLES = {
    "roundtable": N_("{estate} red-property round-table meeting"),
    "tripartite": N_("{estate} tripartite joint meeting"),
    "quadripartite": N_("{estate} quadripartite joint meeting"),
    "residents": N_("{estate} residents' council"),
}
PERSON_KINDS = ("resident", "user", "volunteer")
RESOLVED = ("resolved", "called_back")

# what an action's progress is, most pressing first (see ``progress``)
LATE, TICKET_LATE, TICKET_OPEN, OPEN, TICKET_DONE, DONE = "late", "ticket_late", "ticket_open", "open", "ticket_done", "done"


def default_title(kind: str, estate: str) -> str:
    """阳光花园红色物业圆桌会议: the title a meeting gets unless one is typed."""
    return label(DEFAULT_TITLES, kind).format(estate=line(estate)) if kind in DEFAULT_TITLES else line(estate)


# --- checking values ---------------------------------------------------------------------------------------

def line(value) -> str:
    """A line of text as typed, spaces collapsed; its Chinese punctuation kept (（居民代表）, not (居民代表))."""
    return " ".join(str(value or "").split())


def _held_at(value) -> str:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    else:
        written = text(value).replace("T", " ")
        if not written:
            raise FieldError("held_at", _("Give the date and time of the meeting"))
        try:
            moment = datetime.fromisoformat(written)
        except ValueError:
            raise FieldError("held_at", _("{value} is not a date and time (write it as 2026-11-24 14:30)").format(
                value=written)) from None
    return moment.replace(second=0, microsecond=0).isoformat(timespec="seconds")


def clean_meeting(values: dict, community: str = "") -> dict:
    """The header of a meeting checked: kind, title (by default from the estate and kind), estate, time, people."""
    kind = values.get("kind")
    if kind not in MEETING_KINDS:
        raise FieldError("kind", _("Choose the kind of meeting"))
    estate = text(values.get("estate"))
    title = line(values.get("title")) or default_title(kind, estate or community)
    if not title:
        raise FieldError("title", _("Give the meeting a title"))
    return {"kind": kind, "title": title, "estate": estate, "held_at": _held_at(values.get("held_at")),
            "place": line(values.get("place")), "host": line(values.get("host")),
            "recorder": line(values.get("recorder")), "summary": (values.get("summary") or "").strip()}


def clean_attendee(values: dict) -> dict:
    party = values.get("party")
    if party not in MEETING_PARTIES:
        raise FieldError("party", _("Choose the party the attendee represents"))
    name = clean_name(values.get("name"))
    if not name:
        raise FieldError("name", _("Give the attendee's name"))
    kind = values.get("person_kind") or None
    if kind is not None and kind not in PERSON_KINDS:
        raise FieldError("name", _("Unknown kind of person {value}").format(value=kind))
    return {"party": party, "name": name, "title": line(values.get("title")), "person_kind": kind,
            "person_id": (values.get("person_id") or None) if kind else None}


def clean_topic(values: dict) -> dict:
    title = line(values.get("title"))
    if not title:
        raise FieldError("title", _("Give the topic in a few words"))
    ticket_ids = list(dict.fromkeys(values.get("ticket_ids") or []))
    return {"title": title, "raised_by": line(values.get("raised_by")),
            "discussion": (values.get("discussion") or "").strip(), "resolution": (values.get("resolution") or "").strip(),
            "ticket_ids": ticket_ids}


def clean_action(values: dict) -> dict:
    description = line(values.get("description"))
    if not description:
        raise FieldError("description", _("Say what is to be done"))
    due = parse_date(values.get("due_date"), "due_date")
    return {"description": description, "owner": line(values.get("owner")),
            "due_date": due.isoformat() if due else None, "topic_id": values.get("topic_id") or None}


def _changes(current: dict, cleaned: dict) -> dict:
    return {k: v for k, v in cleaned.items() if current.get(k) != v}


def _live(conn: sqlite3.Connection, meeting_id: str) -> dict:
    current = store.meeting_row(conn, meeting_id)
    if current is None:
        raise RedStationError(_("The meeting does not exist or was deleted"))
    return current


def _community(session: Session) -> str:
    station = session.station()
    return station["community"] if station is not None else ""


# --- the meeting -------------------------------------------------------------------------------------------

def create_meeting(session: Session, values: dict) -> str:
    """Record a meeting's header; attendees, topics and actions are added to it one by one. Returns its id."""
    cleaned = clean_meeting(values, _community(session))
    with session.write("meeting.create", "meetings") as change:
        change.record_id = change.insert("meetings", **cleaned)
        change.detail.update(kind=cleaned["kind"], title=cleaned["title"])
        return change.record_id


def edit_meeting(session: Session, meeting_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    """Change the header fields given in ``values``; returns the names of those that changed."""
    with session.write("meeting.update", "meetings", meeting_id) as change:
        current = _live(change.conn, meeting_id)
        check_version(current, expected_version)
        changes = _changes(current, clean_meeting({**current, **values}, _community(session)))
        if changes:
            change.update("meetings", meeting_id, **changes)
        change.detail["fields"] = sorted(changes)
        return sorted(changes)


def delete_meeting(session: Session, meeting_id: str) -> None:
    """Remove a meeting entered by mistake, with its attendees, topics and actions; tickets it opened stay."""
    with session.write("meeting.delete", "meetings", meeting_id) as change:
        current = _live(change.conn, meeting_id)
        for table in ("meeting_attendees", "meeting_topics", "meeting_actions"):
            for (record_id,) in change.conn.execute(
                    "SELECT id FROM {table} WHERE meeting_id = ? AND deleted = 0".format(table=table), (meeting_id,)).fetchall():
                change.delete(table, record_id)
        change.delete("meetings", meeting_id)
        change.detail["title"] = current["title"]


# --- attendees -----------------------------------------------------------------------------------------------

def add_attendee(session: Session, meeting_id: str, values: dict) -> str:
    """An attendee: party, name, title; ``person_kind`` and ``person_id`` when picked from residents, staff or volunteers."""
    cleaned = clean_attendee(values)
    with session.write("meeting.attendee_add", "meeting_attendees", detail={"meeting": meeting_id}) as change:
        _live(change.conn, meeting_id)
        change.record_id = change.insert("meeting_attendees", meeting_id=meeting_id,
                                         seq=store.next_seq(change.conn, "meeting_attendees", meeting_id), **cleaned)
        change.detail.update(party=cleaned["party"], picked=cleaned["person_kind"])
        return change.record_id


def _live_attendee(conn: sqlite3.Connection, attendee_id: str) -> dict:
    current = store.attendee(conn, attendee_id)
    if current is None:
        raise RedStationError(_("The attendee does not exist or was removed"))
    return current


def edit_attendee(session: Session, attendee_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    with session.write("meeting.attendee_update", "meeting_attendees", attendee_id) as change:
        current = _live_attendee(change.conn, attendee_id)
        check_version(current, expected_version)
        changes = _changes(current, clean_attendee({**current, **values}))
        if changes:
            change.update("meeting_attendees", attendee_id, **changes)
        change.detail.update(meeting=current["meeting_id"], fields=sorted(changes))
        return sorted(changes)


def remove_attendee(session: Session, attendee_id: str) -> None:
    with session.write("meeting.attendee_remove", "meeting_attendees", attendee_id) as change:
        current = _live_attendee(change.conn, attendee_id)
        change.delete("meeting_attendees", attendee_id)
        change.detail["meeting"] = current["meeting_id"]


# --- topics --------------------------------------------------------------------------------------------------

def _check_tickets(conn: sqlite3.Connection, ticket_ids: list[str]) -> None:
    found = {t["id"] for t in store.tickets_by_id(conn, ticket_ids)}
    missing = [i for i in ticket_ids if i not in found]
    if missing:
        raise FieldError("ticket_ids", _("The ticket {id} does not exist or was deleted").format(id=missing[0]))


def add_topic(session: Session, meeting_id: str, values: dict) -> str:
    """A topic at the end of the meeting's list: title, raised_by, discussion, resolution, ticket_ids it discusses."""
    cleaned = clean_topic(values)
    with session.write("meeting.topic_add", "meeting_topics", detail={"meeting": meeting_id}) as change:
        _live(change.conn, meeting_id)
        _check_tickets(change.conn, cleaned["ticket_ids"])
        change.record_id = change.insert(
            "meeting_topics", meeting_id=meeting_id, seq=store.next_seq(change.conn, "meeting_topics", meeting_id),
            **dict(cleaned, ticket_ids=json.dumps(cleaned["ticket_ids"])))
        change.detail["tickets"] = len(cleaned["ticket_ids"])
        return change.record_id


def _live_topic(conn: sqlite3.Connection, topic_id: str) -> dict:
    current = store.topic(conn, topic_id)
    if current is None:
        raise RedStationError(_("The topic does not exist or was removed"))
    return current


def edit_topic(session: Session, topic_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    with session.write("meeting.topic_update", "meeting_topics", topic_id) as change:
        current = _live_topic(change.conn, topic_id)
        check_version(current, expected_version)
        cleaned = clean_topic({**current, **values})
        if cleaned["ticket_ids"] != current["ticket_ids"]:
            _check_tickets(change.conn, [i for i in cleaned["ticket_ids"] if i not in current["ticket_ids"]])
        changes = _changes(current, cleaned)
        if "ticket_ids" in changes:
            changes["ticket_ids"] = json.dumps(changes["ticket_ids"])
        if changes:
            change.update("meeting_topics", topic_id, **changes)
        change.detail.update(meeting=current["meeting_id"], fields=sorted(changes))
        return sorted(changes)


def remove_topic(session: Session, topic_id: str) -> None:
    """Remove a topic; its actions stay on the meeting, no longer under a topic."""
    with session.write("meeting.topic_remove", "meeting_topics", topic_id) as change:
        current = _live_topic(change.conn, topic_id)
        for (action_id,) in change.conn.execute(
                "SELECT id FROM meeting_actions WHERE topic_id = ? AND deleted = 0", (topic_id,)).fetchall():
            change.update("meeting_actions", action_id, topic_id=None)
        change.delete("meeting_topics", topic_id)
        change.detail["meeting"] = current["meeting_id"]


def move_topic(session: Session, topic_id: str, step: int) -> None:
    """Move a topic up (``step`` -1) or down (+1) the order; the topics are numbered 1, 2, 3 … again."""
    with session.write("meeting.topic_move", "meeting_topics", topic_id, detail={"step": step}) as change:
        current = _live_topic(change.conn, topic_id)
        order = [t["id"] for t in store.topics(change.conn, current["meeting_id"])]
        here = order.index(topic_id)
        there = max(0, min(len(order) - 1, here + step))
        order.insert(there, order.pop(here))
        for seq, other in enumerate(order, start=1):
            change.update("meeting_topics", other, seq=seq)
        change.detail["meeting"] = current["meeting_id"]


# --- actions -------------------------------------------------------------------------------------------------

def _check_topic(conn: sqlite3.Connection, meeting_id: str, topic_id: str | None) -> None:
    if topic_id is None:
        return
    found = store.topic(conn, topic_id)
    if found is None or found["meeting_id"] != meeting_id:
        raise FieldError("topic_id", _("The topic is not one of this meeting's"))


def add_action(session: Session, meeting_id: str, values: dict) -> str:
    """A follow-up action: description, owner, due_date (optional), topic_id (optional); it starts open."""
    cleaned = clean_action(values)
    with session.write("meeting.action_add", "meeting_actions", detail={"meeting": meeting_id}) as change:
        _live(change.conn, meeting_id)
        _check_topic(change.conn, meeting_id, cleaned["topic_id"])
        change.record_id = change.insert("meeting_actions", meeting_id=meeting_id, status="open",
                                         seq=store.next_seq(change.conn, "meeting_actions", meeting_id), **cleaned)
        return change.record_id


def _live_action(conn: sqlite3.Connection, action_id: str) -> dict:
    current = store.action(conn, action_id)
    if current is None:
        raise RedStationError(_("The action does not exist or was removed"))
    return current


def edit_action(session: Session, action_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    with session.write("meeting.action_update", "meeting_actions", action_id) as change:
        current = _live_action(change.conn, action_id)
        check_version(current, expected_version)
        cleaned = clean_action({**current, **values})
        _check_topic(change.conn, current["meeting_id"], cleaned["topic_id"])
        changes = _changes(current, cleaned)
        if changes:
            change.update("meeting_actions", action_id, **changes)
        change.detail.update(meeting=current["meeting_id"], fields=sorted(changes))
        return sorted(changes)


def remove_action(session: Session, action_id: str) -> None:
    """Remove an action entered by mistake; one that became a ticket stays (the ticket refers to the meeting)."""
    with session.write("meeting.action_remove", "meeting_actions", action_id) as change:
        current = _live_action(change.conn, action_id)
        if current["ticket_id"]:
            raise RedStationError(_("This action became ticket {number}; it cannot be removed").format(
                number=_ticket_number(change.conn, current["ticket_id"])))
        change.delete("meeting_actions", action_id)
        change.detail["meeting"] = current["meeting_id"]


def _ticket_number(conn: sqlite3.Connection, ticket_id: str) -> str:
    found = store.tickets_by_id(conn, [ticket_id])
    return found[0]["number"] if found else ticket_id


def action_to_ticket(session: Session, action_id: str, *, kind: str, severity: str,
                     at: datetime | None = None) -> dict:
    """Open a ticket for an action: the action is its matter, source 圆桌会议, linked to the meeting and the action.

    An action becomes one ticket at most. Returns {ticket_id, number}.
    """
    if kind not in TICKET_KINDS or severity not in TICKET_SEVERITIES:
        raise RedStationError(_("Choose the kind and severity of the ticket"))
    with session.write("meeting.action_ticket", "meeting_actions", action_id) as change:
        current = _live_action(change.conn, action_id)
        if current["ticket_id"]:
            raise RedStationError(_("This action became ticket {number} already").format(
                number=_ticket_number(change.conn, current["ticket_id"])))
        if current["status"] == "done":
            raise RedStationError(_("This action is done; reopen it first if there is more to do"))
        meeting = _live(change.conn, current["meeting_id"])
        topic = store.topic(change.conn, current["topic_id"]) if current["topic_id"] else None
        held = datetime.fromisoformat(meeting["held_at"])
        lines = [_("Follow-up of {meeting} on {date}").format(meeting=meeting["title"], date=held.strftime("%Y-%m-%d"))]
        if topic is not None:
            lines.append(_("Topic: {topic}").format(topic=topic["title"]))
            if topic["resolution"]:
                lines.append(_("Resolution: {resolution}").format(resolution=topic["resolution"]))
        if current["owner"] or current["due_date"]:
            lines.append(_("Owner: {owner}; due by {due}").format(owner=current["owner"] or "—",
                                                                  due=current["due_date"] or "—"))
        ticket_id, number = ticket_service.open_ticket(
            change, kind=kind, source="meeting", severity=severity, summary=current["description"],
            detail="\n".join(lines), caller_name=current["owner"], meeting_id=meeting["id"], accepted_at=at)
        change.update("meeting_actions", action_id, ticket_id=ticket_id)
        change.detail.update(meeting=meeting["id"], ticket=number, kind=kind, severity=severity)
    return {"ticket_id": ticket_id, "number": number}


def mark_action_done(session: Session, action_id: str, *, at: datetime | None = None) -> None:
    """The action is done. One whose ticket is still open waits until the ticket is solved."""
    moment = (at or datetime.now()).replace(microsecond=0)
    with session.write("meeting.action_done", "meeting_actions", action_id) as change:
        current = _live_action(change.conn, action_id)
        if current["status"] == "done":
            raise RedStationError(_("This action is marked done already"))
        if current["ticket_id"]:
            found = store.tickets_by_id(change.conn, [current["ticket_id"]])
            if found and found[0]["status"] not in RESOLVED:
                raise RedStationError(_("Its ticket {number} is still {status}: solve the ticket first").format(
                    number=found[0]["number"], status=label(TICKET_STATUSES, found[0]["status"])))
        change.update("meeting_actions", action_id, status="done", done_at=moment.isoformat(timespec="seconds"))
        change.detail["meeting"] = current["meeting_id"]


def reopen_action(session: Session, action_id: str) -> None:
    """An action marked done by mistake, or with more to do: open again."""
    with session.write("meeting.action_reopen", "meeting_actions", action_id) as change:
        current = _live_action(change.conn, action_id)
        if current["status"] != "done":
            raise RedStationError(_("This action is open already"))
        change.update("meeting_actions", action_id, status="open", done_at=None)
        change.detail["meeting"] = current["meeting_id"]


# --- reading -------------------------------------------------------------------------------------------------

def _ticket_progress(conn: sqlite3.Connection, ticket_id: str, now: datetime) -> dict | None:
    """A ticket as a meeting shows it: number, status, whether its 5341 clock is or was late, whether it waits."""
    item = ticket_service.with_clocks(conn, ticket_id, now)
    if item is None:
        return None
    return {"id": item["id"], "number": item["number"], "status": item["status"], "kind": item["kind"],
            "severity": item["severity"], "summary": item["summary"], "paused": bool(item["paused"]),
            "resolved": item["status"] in RESOLVED, "resolved_at": item["resolved_at"],
            "overdue": any(c.state == response5341.OVERDUE for c in item["clocks"]),
            "late": any(c.state in (response5341.OVERDUE, response5341.DONE_LATE) for c in item["clocks"])}


def progress(action: dict, today: date) -> str:
    """Where an action stands, most pressing first: done, late (past its due date), its ticket late, open …"""
    ticket = action.get("ticket")
    if action["status"] == "done":
        return DONE
    if ticket is not None and ticket["resolved"]:
        return TICKET_DONE
    if action["due_date"] and date.fromisoformat(action["due_date"]) < today:
        return LATE
    if ticket is not None:
        return TICKET_LATE if ticket["overdue"] else TICKET_OPEN
    return OPEN


def progress_text(action: dict, today: date) -> str:
    """已完成（11-25） / 工单已办结 / 逾期 3 天 / 工单已派单，超时 / 工单已受理 / 未完成."""
    state = action["progress"] if "progress" in action else progress(action, today)
    ticket = action.get("ticket")
    if state == DONE:
        return _("Done {date}").format(date=(action["done_at"] or "")[5:10]).strip()
    if state == TICKET_DONE:
        return _("Ticket solved, 5341 late") if ticket["late"] else _("Ticket solved")
    parts = []
    if state == LATE:
        days = (today - date.fromisoformat(action["due_date"])).days
        parts.append(_("Overdue {days} d").format(days=days))
    if ticket is not None:
        parts.append(_("ticket {status}").format(status=label(TICKET_STATUSES, ticket["status"])))
        if ticket["paused"]:
            parts.append(_("waiting"))
        if ticket["overdue"]:
            parts.append(_("5341 overdue"))
    return join_clauses(parts) if parts else _("Open")


def meeting(conn: sqlite3.Connection, meeting_id: str, now: datetime | None = None) -> dict | None:
    """A meeting whole: its header, "attendees" party by party, "topics" in order with their "tickets", and
    "actions" in order, each with its "ticket" (see ``_ticket_progress``) and "progress" (``progress``)."""
    item = store.meeting_row(conn, meeting_id)
    if item is None:
        return None
    now = (now or datetime.now()).replace(microsecond=0)
    item["attendees"] = store.attendees(conn, meeting_id)
    item["topics"] = store.topics(conn, meeting_id)
    item["actions"] = store.actions(conn, meeting_id)
    for action in item["actions"]:
        action["ticket"] = _ticket_progress(conn, action["ticket_id"], now) if action["ticket_id"] else None
        action["progress"] = progress(action, now.date())
    return item


def meetings(conn: sqlite3.Connection, *, estate: str | None = None, kind: str | None = None,
             start: datetime | None = None, end: datetime | None = None, now: datetime | None = None) -> list[dict]:
    """The meetings that pass the filters, newest first; "late_actions" counts open actions past their due date."""
    today = (now or datetime.now()).date().isoformat()
    found = store.meetings(conn, estate=estate, kind=kind, start=start, end=end)
    late = {r[0]: r[1] for r in conn.execute(
        "SELECT meeting_id, count(*) FROM meeting_actions WHERE deleted = 0 AND status = 'open' AND due_date < ? "
        "GROUP BY meeting_id", (today,))}
    for item in found:
        item["late_actions"] = late.get(item["id"], 0)
    return found


def ticket_choices(conn: sqlite3.Connection, query: str = "", *, since: datetime | None = None,
                   estate: str = "") -> list[dict]:
    """Tickets a topic may discuss (open ones, those since ``since``; any one by its whole number), ``estate``'s first."""
    return store.ticket_choices(conn, query, since=since, estate=estate)


def party_groups(attendees: list[dict]) -> list[tuple[str, list[dict]]]:
    """(party, its attendees) in the order of the parties, only those present."""
    groups: dict[str, list[dict]] = {}
    for attendee in attendees:
        groups.setdefault(attendee["party"], []).append(attendee)
    order = list(MEETING_PARTIES)
    return sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else len(order))


def attendee_text(attendee: dict) -> str:
    """王建国（业委会主任）"""
    if attendee["title"]:
        return _("{name} ({title})").format(name=attendee["name"], title=attendee["title"])
    return attendee["name"]


def find(conn: sqlite3.Connection, meeting_id: str, now: datetime | None = None) -> dict:
    """The meeting ``meeting_id`` (as ``list meetings`` gives it), or a refusal naming it."""
    item = meeting(conn, meeting_id, now)
    if item is None:
        raise RedStationError(_("There is no meeting {id}").format(id=meeting_id))
    return item
