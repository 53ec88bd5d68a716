"""Volunteers (志愿者), their skills and teams (服务队), activities (志愿活动) with sign-up and attendance, service hours.

A volunteer may be a resident of the register (picked in the search box: name, sex and id
number come from the register) or not (typed in; the id number is optional and checked
like the register's). Every change is one transaction with one audit entry naming the
fields changed (names and counts only: no id numbers in the audit log).

**Service hours** are worked out here and nowhere else:

- an activity runs from its start to its end; an end at or before the start on the form is
  the next day (a night patrol 22:00–02:00 lasts 4 hours), and no activity lasts a day or more;
- its default hours are its length rounded to the nearest half hour (a quarter of an hour
  rounds up: 1 h 15 min gives 1.5 h, 1 h 14 min gives 1 h);
- each attendee gets the default when ticked as attended, and may be given other hours
  (0 to 24, in half hours); when the activity's time changes, attendees who had the old
  default get the new one, adjusted hours stay;
- only attended rows count; a volunteer removed from an activity and a deleted activity
  count nothing (``store.volunteers.COUNTED``);
- a period from one day to another, both included, takes the activities that start on
  those days (``period_bounds``).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from redstation import RedStationError
from redstation.domain import idnumber, pinyin
from redstation.domain import register as rules
from redstation.domain.register import FieldError, clean_name, note, text
from redstation.domain.vocab import ACTIVITY_KINDS, GENDERS, SKILLS, label
from redstation.i18n import N_, _
from redstation.services import register
from redstation.services.session import Session, Write, check_version
from redstation.store import volunteers as store

VOLUNTEER_FIELDS = {
    "resident_id": N_("Resident"),
    "name": N_("Name"),
    "id_number": N_("Id number"),
    "gender": N_("Sex"),
    "phone": N_("Phone"),
    "party_member": N_("Party member"),
    "serving_party_member": N_("Serving party member"),
    "employer": N_("Employer"),
    "availability": N_("Availability"),
    "joined_on": N_("Joined on"),
    "active": N_("Active"),
    "notes": N_("Notes"),
    "skills": N_("Skills"),
    "teams": N_("Teams"),
}
ACTIVITY_FIELDS = {
    "title": N_("Activity"),
    "kind": N_("Kind"),
    "estate": N_("Estate"),
    "place": N_("Place"),
    "starts_at": N_("Start"),
    "ends_at": N_("End"),
    "organiser": N_("Organiser"),
    "team_id": N_("Team"),
    "description": N_("Description"),
}
SKILL_LEVELS = {1: N_("Basic"), 2: N_("Skilled"), 3: N_("Expert")}

HALF_HOUR_MINUTES = 30
MAX_HOURS = 24.0


# --- the hours arithmetic: the one place ----------------------------------------------------------------------

def activity_span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """(start, end) of an activity on ``day`` from ``start`` to ``end``; an end before the start is the next day.

    An end equal to the start is refused (a FieldError on ``ends_at``): no activity lasts a whole day.
    """
    starts = datetime.combine(day, start).replace(second=0, microsecond=0)
    ends = datetime.combine(day, end).replace(second=0, microsecond=0)
    if ends == starts:
        raise FieldError("ends_at", _("The activity ends when it starts: give its end time"))
    if ends < starts:
        ends += timedelta(days=1)
    return starts, ends


def length_minutes(starts: datetime, ends: datetime) -> int:
    return round((ends - starts).total_seconds() / 60)


def round_half_hours(minutes: float) -> float:
    """Minutes as hours rounded to the nearest half hour; a quarter of an hour rounds up (75 min → 1.5)."""
    return ((int(round(minutes)) + HALF_HOUR_MINUTES // 2) // HALF_HOUR_MINUTES) / 2


def default_hours(starts: datetime, ends: datetime) -> float:
    """The hours an attendee gets by default: the activity's length rounded to half hours."""
    return round_half_hours(length_minutes(starts, ends))


def clean_hours(value, field: str = "hours") -> float:
    """Hours typed for one attendee: a number from 0 to 24, rounded to the half hour (2.3 → 2.5)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        written = text(value).replace("小时", "").replace("h", "").strip()
        try:
            number = float(written)
        except ValueError:
            raise FieldError(field, _("{value} is not a number of hours").format(value=written)) from None
    if not 0 <= number <= MAX_HOURS:
        raise FieldError(field, _("Service hours are between 0 and 24 for one activity"))
    return round_half_hours(number * 60)


def credited(row: dict) -> float:
    """The hours an attendance row counts for: its hours when attended, else none."""
    return float(row["hours"]) if row.get("attended") and not row.get("deleted") else 0.0


def period_bounds(start: date | None, end: date | None) -> tuple[str | None, str | None]:
    """The activities of the days from ``start`` to ``end``, both included (None: open), as bounds of their start."""
    if start is not None and end is not None and start > end:
        raise RedStationError(_("The period starts on {start}, after its end {end}").format(
            start=start.isoformat(), end=end.isoformat()))
    first = datetime.combine(start, time()).isoformat(timespec="seconds") if start else None
    after = datetime.combine(end + timedelta(days=1), time()).isoformat(timespec="seconds") if end else None
    return first, after


def hours_text(hours: float) -> str:
    """2.5 → '2.5', 2.0 → '2'."""
    return "{h:g}".format(h=round(float(hours), 1))


# --- skills --------------------------------------------------------------------------------------------------

def skill_code(written: str) -> str:
    """A skill as typed: a code of vocab.SKILLS, its English or Chinese label, or free text kept as it is."""
    written = text(written)
    if written in SKILLS:
        return written
    for code, english in SKILLS.items():
        if written in (english, label(SKILLS, code)) or written.lower() == english.lower():
            return code
    return written


def skill_label(skill: str) -> str:
    return label(SKILLS, skill)


def skill_text(item: dict) -> str:
    """医疗卫生（专业）"""
    return _("{skill} ({level})").format(skill=skill_label(item["skill"]), level=label(SKILL_LEVELS, item["level"]))


def clean_skills(skills) -> list[dict]:
    """[{skill, level}] checked: a skill has a name, a level of 1, 2 or 3; the same skill twice keeps the higher level."""
    found: dict[str, int] = {}
    for item in skills or []:
        skill = skill_code(item.get("skill"))
        if not skill:
            continue
        if len(skill) > 20:
            raise FieldError("skills", _("A skill is a few words: {skill}").format(skill=skill))
        try:
            level = int(item.get("level") or 1)
        except (TypeError, ValueError):
            level = 0
        if level not in SKILL_LEVELS:
            raise FieldError("skills", _("The level of {skill} is 1, 2 or 3").format(skill=skill_label(skill)))
        found[skill] = max(level, found.get(skill, 0))
    return [{"skill": skill, "level": level} for skill, level in found.items()]


def parse_skills(written: str) -> list[dict]:
    """Skills typed in a line: '摄影2、剪纸' → 摄影 at level 2, 剪纸 at level 1 (separated by 、,，;； or spaces)."""
    found = []
    for part in re.split(r"[、,，;；/\s]+", text(written)):
        if not part:
            continue
        match = re.fullmatch(r"(.*?)[（(]?([1-3])[)）]?", part)
        skill, level = (match[1], int(match[2])) if match and match[1] else (part, 1)
        found.append({"skill": skill, "level": level})
    return found


# --- volunteers ----------------------------------------------------------------------------------------------

def _flag(value) -> int:
    return 1 if value in (True, 1, "1", "true", "yes") else 0


def clean_volunteer(values: dict, today: date | None = None) -> dict:
    """The volunteer fields of ``values`` (a volunteer not linked to a resident), checked; raises FieldError."""
    out = {"name": clean_name(values.get("name"))}
    if not out["name"]:
        raise FieldError("name", _("{field} must not be empty").format(field=_("Name")))
    gender = values.get("gender") or None
    if gender not in (None, *GENDERS):
        raise FieldError("gender", _("Sex is male or female, not {value}").format(value=gender))
    number = text(values.get("id_number")).replace(" ", "")
    if number:
        try:
            parsed = idnumber.parse(number, today)
        except idnumber.IdNumberError as exc:
            raise FieldError("id_number", str(exc)) from None
        if gender is not None and gender != parsed.gender:
            raise FieldError("gender", _("The sex differs from the id number's ({sex})").format(
                sex=label(GENDERS, parsed.gender)))
        number, gender = parsed.number, parsed.gender
    out.update(id_number=number or None, gender=gender, phone=rules.clean_phone(values.get("phone")))
    out.update(clean_common(values, today))
    return out


def clean_common(values: dict, today: date | None = None) -> dict:
    """The fields every volunteer has, resident or not."""
    serving = _flag(values.get("serving_party_member"))
    joined = rules.parse_date(values.get("joined_on"), "joined_on")
    if joined is not None and joined > (today or date.today()):
        raise FieldError("joined_on", _("The day of joining {day} is in the future").format(day=joined.isoformat()))
    return {"party_member": max(_flag(values.get("party_member")), serving), "serving_party_member": serving,
            "employer": text(values.get("employer")), "availability": note(values.get("availability")),
            "joined_on": joined.isoformat() if joined else None,
            "active": 0 if values.get("active") in (False, 0, "0") else 1, "notes": note(values.get("notes"))}


def _resident_values(conn: sqlite3.Connection, resident_id: str, values: dict, today: date | None) -> dict:
    """A volunteer who lives here: name, sex and id number from the register, the phone typed or the resident's."""
    resident = register.resident(conn, resident_id)
    if resident is None:
        raise FieldError("resident_id", _("The resident does not exist or was deleted"))
    out = {"resident_id": resident_id, "name": resident["name"], "gender": resident["gender"],
           "id_number": resident["id_number"], "phone": rules.clean_phone(values.get("phone")) or resident["phone"]}
    out.update(clean_common(values, today))
    return out


def _check_free(conn: sqlite3.Connection, cleaned: dict, volunteer_id: str | None = None) -> None:
    """One volunteer per resident and per id number; a typed id number of a resident means: pick the resident."""
    if cleaned.get("resident_id"):
        other = store.volunteer_with_resident(conn, cleaned["resident_id"])
        if other is not None and other["id"] != volunteer_id:
            raise FieldError("resident_id", _("{name} is registered as a volunteer already").format(name=other["name"]))
    number = cleaned.get("id_number")
    if number:
        other = store.volunteer_with_id_number(conn, number)
        if other is not None and other["id"] != volunteer_id:
            raise FieldError("id_number", _("This id number belongs to the volunteer {name} already").format(name=other["name"]))
        if not cleaned.get("resident_id"):
            holder = register.resident_with_id_number(conn, number)
            if holder is not None:
                resident = register.resident(conn, holder["id"])
                raise FieldError("id_number", _("This id number is the resident {name}'s ({address}): choose them in the "
                                                "resident box instead").format(name=resident["name"],
                                                                                address=resident["address"]))


def _clean(conn: sqlite3.Connection, values: dict, today: date | None = None) -> dict:
    if values.get("resident_id"):
        return _resident_values(conn, values["resident_id"], values, today)
    cleaned = clean_volunteer(values, today)
    cleaned["resident_id"] = None
    return cleaned


def _live_volunteer(conn: sqlite3.Connection, volunteer_id: str) -> dict:
    current = store.volunteer(conn, volunteer_id)
    if current is None:
        raise RedStationError(_("The volunteer does not exist or was deleted"))
    return current


def _set_skills(change: Write, volunteer_id: str, skills: list[dict]) -> bool:
    """Make the volunteer's live skills ``skills`` (cleaned); True when anything changed."""
    current = {s["skill"]: s for s in store.skills_of(change.conn, [volunteer_id]).get(volunteer_id, [])}
    wanted = {s["skill"]: s["level"] for s in skills}
    changed = False
    for skill, item in current.items():
        if skill not in wanted:
            change.delete("volunteer_skills", item["id"])
            changed = True
        elif wanted[skill] != item["level"]:
            change.update("volunteer_skills", item["id"], level=wanted[skill])
            changed = True
    for skill, level in wanted.items():
        if skill not in current:
            change.insert("volunteer_skills", volunteer_id=volunteer_id, skill=skill, level=level)
            changed = True
    return changed


def _set_teams(change: Write, volunteer_id: str, team_ids: list[str]) -> bool:
    """Make the volunteer a member of exactly ``team_ids``; leaving a team one led leaves it without a leader."""
    current = {t["id"]: t for t in store.teams_of(change.conn, [volunteer_id]).get(volunteer_id, [])}
    wanted = list(dict.fromkeys(team_ids))
    changed = False
    for team_id, item in current.items():
        if team_id not in wanted:
            _leave(change, team_id, volunteer_id, item["membership"])
            changed = True
    for team_id in wanted:
        if team_id not in current:
            _join(change, team_id, volunteer_id)
            changed = True
    return changed


def _join(change: Write, team_id: str, volunteer_id: str, role: str = "") -> None:
    if store.team(change.conn, team_id) is None:
        raise FieldError("teams", _("The team does not exist or was deleted"))
    if store.membership(change.conn, team_id, volunteer_id) is None:
        change.insert("team_members", team_id=team_id, volunteer_id=volunteer_id, role=role)


def _leave(change: Write, team_id: str, volunteer_id: str, membership_id: str) -> None:
    change.delete("team_members", membership_id)
    team = store.team(change.conn, team_id)
    if team is not None and team["leader_id"] == volunteer_id:
        change.update("teams", team_id, leader_id=None)


def register_volunteer(session: Session, values: dict, *, skills=(), team_ids=(), today: date | None = None) -> str:
    """A new volunteer: ``values`` with ``resident_id`` (a resident of the register) or name, sex, phone, id number.

    ``skills`` [{skill, level}], ``team_ids`` the teams to join. Returns the volunteer's id.
    """
    with session.write("volunteer.create", "volunteers") as change:
        cleaned = _clean(change.conn, values, today)
        _check_free(change.conn, cleaned)
        wanted = clean_skills(skills)
        volunteer_id = change.insert("volunteers", **cleaned)
        _set_skills(change, volunteer_id, wanted)
        _set_teams(change, volunteer_id, list(team_ids))
        change.record_id = volunteer_id
        change.detail.update(resident=bool(cleaned["resident_id"]), skills=len(wanted), teams=len(set(team_ids)))
    return volunteer_id


def edit_volunteer(session: Session, volunteer_id: str, values: dict, *, skills=None, team_ids=None,
                   expected_version: str | None = None, today: date | None = None) -> list[str]:
    """Change a volunteer (the fields given; ``skills``/``team_ids`` replace them when given); returns what changed."""
    with session.write("volunteer.update", "volunteers", volunteer_id) as change:
        current = _live_volunteer(change.conn, volunteer_id)
        check_version(current, expected_version)
        merged = {k: current[k] for k in ("resident_id", "name", "gender", "phone", "id_number", "party_member",
                                          "serving_party_member", "employer", "availability", "joined_on", "active", "notes")}
        merged.update(values)
        cleaned = _clean(change.conn, merged, today)
        _check_free(change.conn, cleaned, volunteer_id)
        changed = sorted(k for k, v in cleaned.items() if current.get(k) != v)
        if changed:
            change.update("volunteers", volunteer_id, **{k: cleaned[k] for k in changed})
        if skills is not None and _set_skills(change, volunteer_id, clean_skills(skills)):
            changed.append("skills")
        if team_ids is not None and _set_teams(change, volunteer_id, list(team_ids)):
            changed.append("teams")
        change.detail["fields"] = changed   # names only: the audit log holds no id numbers
    return changed


def remove_volunteer(session: Session, volunteer_id: str) -> None:
    """Delete a volunteer entered by mistake; one who served is kept (mark them not active instead)."""
    with session.write("volunteer.delete", "volunteers", volunteer_id) as change:
        current = _live_volunteer(change.conn, volunteer_id)
        served = store.signed_up_activities(change.conn, volunteer_id)
        if served:
            raise RedStationError(_("{name} is on {count} activities: their service hours stay on record. Untick "
                                    "'active' instead").format(name=current["name"], count=len(served)))
        _set_skills(change, volunteer_id, [])
        _set_teams(change, volunteer_id, [])
        change.delete("volunteers", volunteer_id)


@lru_cache(maxsize=20_000)
def _name_spellings(name: str) -> tuple[str, ...]:
    return tuple(pinyin.spellings(name))


def matches(item: dict, query: str) -> bool:
    """A volunteer matches a typed query: part of the name, pinyin (initials or full, from the start), phone tail."""
    query = text(query).replace(" ", "").lower()
    if not query:
        return True
    if query in item["name"]:
        return True
    if query.isdigit():
        return bool(item.get("phone")) and item["phone"].replace("-", "").endswith(query)
    if query.isascii():
        return any(spelling.startswith(query) for spelling in _name_spellings(item["name"]))
    return query in (item.get("employer") or "")


def volunteer_list(conn: sqlite3.Connection, *, query: str = "", start: date | None = None, end: date | None = None,
                   active: bool | None = True, skill: str | None = None, team_id: str | None = None,
                   party: str | None = None) -> list[dict]:
    """Volunteers passing the filters, by name, each with skills, teams and ``hours`` served in the period."""
    hours = store.hours_by_volunteer(conn, period_bounds(start, end))
    found = [v for v in store.volunteers(conn, active=active, skill=skill_code(skill) if skill else None,
                                         team_id=team_id, party=party) if matches(v, query)]
    for item in found:
        item["hours"] = hours.get(item["id"], 0.0)
    return found


def volunteer_view(conn: sqlite3.Connection, volunteer_id: str, start: date | None = None,
                   end: date | None = None) -> dict | None:
    """A volunteer with skills, teams, the resident's address, the activities of the period and the hours counted."""
    item = store.volunteer(conn, volunteer_id)
    if item is None:
        return None
    item["address"] = ""
    if item["resident_id"]:
        resident = register.resident(conn, item["resident_id"])
        item["address"] = resident["address"] if resident else ""
    item["activities"] = store.signed_up_activities(conn, volunteer_id, period_bounds(start, end))
    for row in item["activities"]:
        row["credited"] = credited(row)
    item["hours"] = volunteer_hours(conn, volunteer_id, start, end)
    item["hours_all_time"] = volunteer_hours(conn, volunteer_id)
    return item


def volunteer_hours(conn: sqlite3.Connection, volunteer_id: str, start: date | None = None, end: date | None = None) -> float:
    return sum(r["hours"] for r in store.service_records(conn, period_bounds(start, end), volunteer_id=volunteer_id))


def skill_choices(conn: sqlite3.Connection) -> list[str]:
    """The skills to filter by: the vocabulary's, then free-text skills in use."""
    return list(SKILLS) + [s for s in store.skill_names(conn) if s not in SKILLS]


# --- teams ---------------------------------------------------------------------------------------------------

def _team_name(conn: sqlite3.Connection, name: str, team_id: str | None = None) -> str:
    name = text(name)
    if not name:
        raise FieldError("name", _("A team needs a name"))
    other = store.team_with_name(conn, name)
    if other is not None and other["id"] != team_id:
        raise FieldError("name", _("There is a team {name} already").format(name=name))
    return name


def _live_team(conn: sqlite3.Connection, team_id: str) -> dict:
    current = store.team(conn, team_id)
    if current is None:
        raise RedStationError(_("The team does not exist or was deleted"))
    return current


def create_team(session: Session, name: str, *, description: str = "", member_ids=(), leader_id: str | None = None) -> str:
    with session.write("team.create", "teams") as change:
        team_id = change.insert("teams", name=_team_name(change.conn, name), description=note(description), leader_id=None)
        for volunteer_id in dict.fromkeys(member_ids):
            _live_volunteer(change.conn, volunteer_id)
            _join(change, team_id, volunteer_id)
        if leader_id:
            _make_leader(change, team_id, leader_id)
        change.record_id = team_id
        change.detail["members"] = len(set(member_ids))
    return team_id


def _make_leader(change: Write, team_id: str, volunteer_id: str | None) -> None:
    """The leader is a member: a volunteer who is not joins the team."""
    if volunteer_id:
        _live_volunteer(change.conn, volunteer_id)
        _join(change, team_id, volunteer_id)
    change.update("teams", team_id, leader_id=volunteer_id or None)


_UNCHANGED = object()


def edit_team(session: Session, team_id: str, *, name: str | None = None, description: str | None = None,
              leader_id=_UNCHANGED) -> list[str]:
    """Rename a team, change its description or its leader (None: no leader); returns what changed."""
    with session.write("team.update", "teams", team_id) as change:
        current = _live_team(change.conn, team_id)
        changes = {}
        if name is not None and text(name) != current["name"]:
            changes["name"] = _team_name(change.conn, name, team_id)
        if description is not None and note(description) != current["description"]:
            changes["description"] = note(description)
        if changes:
            change.update("teams", team_id, **changes)
        changed = sorted(changes)
        if leader_id is not _UNCHANGED and leader_id != current["leader_id"]:
            _make_leader(change, team_id, leader_id)
            changed.append("leader_id")
        change.detail["fields"] = changed
    return changed


def add_members(session: Session, team_id: str, volunteer_ids) -> int:
    """Volunteers join a team (those in it already stay as they are); returns how many joined."""
    with session.write("team.members", "teams", team_id) as change:
        _live_team(change.conn, team_id)
        added = 0
        for volunteer_id in dict.fromkeys(volunteer_ids):
            _live_volunteer(change.conn, volunteer_id)
            if store.membership(change.conn, team_id, volunteer_id) is None:
                _join(change, team_id, volunteer_id)
                added += 1
        change.detail["added"] = added
    return added


def remove_member(session: Session, team_id: str, volunteer_id: str) -> None:
    with session.write("team.members", "teams", team_id) as change:
        _live_team(change.conn, team_id)
        row = store.membership(change.conn, team_id, volunteer_id)
        if row is None:
            raise RedStationError(_("The volunteer is not in this team"))
        _leave(change, team_id, volunteer_id, row["id"])
        change.detail["removed"] = 1


def remove_team(session: Session, team_id: str) -> None:
    """Disband a team: its memberships end; its activities keep their hours (and no longer name the team)."""
    with session.write("team.delete", "teams", team_id) as change:
        _live_team(change.conn, team_id)
        for member in store.team_members(change.conn, team_id):
            change.delete("team_members", member["membership"])
        change.delete("teams", team_id)


def team_list(conn: sqlite3.Connection, start: date | None = None, end: date | None = None) -> list[dict]:
    """Teams with leader, members, and the activities they organised in the period with their counted hours."""
    totals = store.hours_by_team(conn, period_bounds(start, end))
    found = store.teams(conn)
    for item in found:
        item["activities"], item["hours"] = totals.get(item["id"], (0, 0.0))
    return found


def team_view(conn: sqlite3.Connection, team_id: str, start: date | None = None, end: date | None = None) -> dict | None:
    """A team: members (leader first) with their hours in the period (in any activity), the team's activities."""
    item = store.team(conn, team_id)
    if item is None:
        return None
    bounds = period_bounds(start, end)
    hours = store.hours_by_volunteer(conn, bounds)
    skills = store.skills_of(conn)
    item["members"] = store.team_members(conn, team_id)
    for member in item["members"]:
        member["hours"] = hours.get(member["id"], 0.0)
        member["skills"] = skills.get(member["id"], [])
    item["activity_list"] = store.activities(conn, bounds, team_id=team_id)
    item["activities"], item["hours"] = store.hours_by_team(conn, bounds).get(team_id, (0, 0.0))
    item["leader_name"] = next((m["name"] for m in item["members"] if m["leader"]), "")
    return item


def team_hours(conn: sqlite3.Connection, team_id: str, start: date | None = None, end: date | None = None) -> float:
    """The hours counted at the activities the team organised in the period."""
    return store.hours_by_team(conn, period_bounds(start, end)).get(team_id, (0, 0.0))[1]


# --- activities ----------------------------------------------------------------------------------------------

def _moment(value, field: str) -> datetime:
    if isinstance(value, datetime):
        return value.replace(second=0, microsecond=0)
    try:
        return datetime.fromisoformat(text(value)).replace(second=0, microsecond=0)
    except ValueError:
        raise FieldError(field, _("{value} is not a time (write it as 2026-11-24 09:00)").format(value=text(value))) from None


def clean_activity(values: dict) -> dict:
    """The activity fields of ``values`` checked; ``starts_at``/``ends_at`` are datetimes (see ``activity_span``)."""
    title = text(values.get("title"))
    if not title:
        raise FieldError("title", _("An activity needs a title"))
    kind = values.get("kind") or "other"
    if kind not in ACTIVITY_KINDS:
        raise FieldError("kind", _("Unknown kind of activity {value}").format(value=kind))
    starts, ends = _moment(values.get("starts_at"), "starts_at"), _moment(values.get("ends_at"), "ends_at")
    if ends <= starts:
        raise FieldError("ends_at", _("The activity must end after it starts"))
    if ends - starts >= timedelta(days=1):
        raise FieldError("ends_at", _("An activity lasts less than a day: enter each day as an activity of its own"))
    return {"title": title, "kind": kind, "estate": text(values.get("estate")), "place": text(values.get("place")),
            "starts_at": starts.isoformat(timespec="seconds"), "ends_at": ends.isoformat(timespec="seconds"),
            "hours": default_hours(starts, ends), "organiser": text(values.get("organiser")),
            "team_id": values.get("team_id") or None, "description": note(values.get("description"))}


def _live_activity(conn: sqlite3.Connection, activity_id: str) -> dict:
    current = store.activity(conn, activity_id)
    if current is None:
        raise RedStationError(_("The activity does not exist or was deleted"))
    return current


def _check_team(conn: sqlite3.Connection, team_id: str | None) -> None:
    if team_id and store.team(conn, team_id) is None:
        raise FieldError("team_id", _("The team does not exist or was deleted"))


def create_activity(session: Session, values: dict) -> str:
    cleaned = clean_activity(values)
    with session.write("activity.create", "activities") as change:
        _check_team(change.conn, cleaned["team_id"])
        change.record_id = change.insert("activities", **cleaned)
        change.detail.update(kind=cleaned["kind"], hours=cleaned["hours"])
    return change.record_id


def edit_activity(session: Session, activity_id: str, values: dict, expected_version: str | None = None) -> list[str]:
    """Change an activity; attendees who had the old default hours get the new default, adjusted hours stay."""
    with session.write("activity.update", "activities", activity_id) as change:
        current = _live_activity(change.conn, activity_id)
        check_version(current, expected_version)
        cleaned = clean_activity({**current, **values})
        _check_team(change.conn, cleaned["team_id"])
        changes = {k: v for k, v in cleaned.items() if current[k] != v}
        if changes:
            change.update("activities", activity_id, **changes)
        if "hours" in changes:
            for row in store.attendance(change.conn, activity_id):
                if row["attended"] and row["hours"] == current["hours"]:
                    change.update("attendance", row["id"], hours=cleaned["hours"])
        change.detail["fields"] = sorted(changes)
    return sorted(changes)


def remove_activity(session: Session, activity_id: str) -> None:
    """Delete an activity entered by mistake: its hours no longer count for anyone."""
    with session.write("activity.delete", "activities", activity_id) as change:
        current = _live_activity(change.conn, activity_id)
        change.delete("activities", activity_id)
        change.detail.update(attended=current["attended"], hours=current["total_hours"])


def sign_up(session: Session, activity_id: str, volunteer_ids) -> dict:
    """Volunteers sign up for an activity (those on it already stay as they are); returns the activity's view."""
    with session.write("attendance.sign_up", "activities", activity_id) as change:
        _live_activity(change.conn, activity_id)
        added = 0
        for volunteer_id in dict.fromkeys(volunteer_ids):
            _live_volunteer(change.conn, volunteer_id)
            if store.attendance_row(change.conn, activity_id, volunteer_id) is None:
                change.insert("attendance", activity_id=activity_id, volunteer_id=volunteer_id, signed_up=1, attended=0,
                              hours=0.0)
                added += 1
        change.detail["added"] = added
    return activity_view(session.conn, activity_id)


def set_attendance(session: Session, activity_id: str, volunteer_id: str, *, signed_up: bool | None = None,
                   attended: bool | None = None, hours=None) -> dict:
    """Tick a volunteer signed up or attended, or give them other hours; returns the activity's view.

    Ticking attended gives the activity's default hours; giving hours ticks attended; unticking
    attended leaves no hours. A volunteer not on the activity yet is added (came without signing up).
    """
    with session.write("attendance.update", "activities", activity_id) as change:
        current = _live_activity(change.conn, activity_id)
        _live_volunteer(change.conn, volunteer_id)
        row = store.attendance_row(change.conn, activity_id, volunteer_id)
        values = {"signed_up": row["signed_up"], "attended": row["attended"], "hours": row["hours"]} if row else \
            {"signed_up": 0, "attended": 0, "hours": 0.0}
        if signed_up is not None:
            values["signed_up"] = int(bool(signed_up))
        if hours is not None and attended is not False:
            values["attended"], values["hours"] = 1, clean_hours(hours)
        elif attended is not None and bool(attended) != bool(values["attended"]):
            values["attended"] = int(bool(attended))
            values["hours"] = current["hours"] if attended else 0.0
        if row is None:
            change.insert("attendance", activity_id=activity_id, volunteer_id=volunteer_id, **values)
        else:
            changes = {k: v for k, v in values.items() if row[k] != v}
            if changes:
                change.update("attendance", row["id"], **changes)
        change.detail.update(volunteer=volunteer_id, attended=values["attended"], hours=values["hours"])
    return activity_view(session.conn, activity_id)


def sign_up_team(session: Session, activity_id: str) -> dict:
    """Sign up every active member of the activity's team; returns the activity's view."""
    current = _live_activity(session.conn, activity_id)
    if not current["team_id"]:
        raise RedStationError(_("The activity has no team"))
    members = [m["id"] for m in store.team_members(session.conn, current["team_id"]) if m["active"]]
    return sign_up(session, activity_id, members)


def remove_attendee(session: Session, activity_id: str, volunteer_id: str) -> dict:
    """Take a volunteer off an activity (signed up by mistake): their hours there no longer count."""
    with session.write("attendance.remove", "activities", activity_id) as change:
        _live_activity(change.conn, activity_id)
        row = store.attendance_row(change.conn, activity_id, volunteer_id)
        if row is None:
            raise RedStationError(_("The volunteer is not on this activity"))
        change.delete("attendance", row["id"])
        change.detail.update(volunteer=volunteer_id)
    return activity_view(session.conn, activity_id)


def activity_list(conn: sqlite3.Connection, *, start: date | None = None, end: date | None = None, kind: str | None = None,
                  team_id: str | None = None, estate: str | None = None, query: str = "") -> list[dict]:
    """Activities starting in the period, newest first, with sign-ups, attendees and counted hours."""
    query = text(query)
    return [a for a in store.activities(conn, period_bounds(start, end), kind=kind, team_id=team_id, estate=estate)
            if not query or query in a["title"] or query in a["place"] or query in a["organiser"]]


def activity_view(conn: sqlite3.Connection, activity_id: str) -> dict | None:
    """An activity with its attendance (each row ``credited`` and ``adjusted``) and its totals."""
    item = store.activity(conn, activity_id)
    if item is None:
        return None
    item["attendance"] = store.attendance(conn, activity_id)
    for row in item["attendance"]:
        row["credited"] = credited(row)
        row["adjusted"] = bool(row["attended"]) and row["hours"] != item["hours"]
    item["total_hours"] = sum(row["credited"] for row in item["attendance"])
    return item


def choices(conn: sqlite3.Connection) -> dict:
    """What the forms and filters offer: teams, estates, organisers, skills, active volunteers."""
    return {"teams": store.teams(conn), "estates": store.estates(conn), "organisers": store.organisers(conn),
            "skills": skill_choices(conn),
            "volunteers": store.volunteers(conn, active=True)}
