"""The sample-data generator: valid, realistic, consistent, deterministic, all or nothing."""

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain.vocab import DEFAULT_VISIT_INTERVAL_HOURS, TICKET_KINDS, TICKET_SOURCES, TICKET_STATUSES
from redstation.services import demo
from redstation.services.session import Actor, Session
from redstation.store import queries, records

NOW = datetime(2026, 11, 20, 10, 30)
NOW_ISO = NOW.isoformat(timespec="seconds")
SYNC_COLUMNS = ("version", "created_at")


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """One register of 1,000 households, shared by the read-only checks."""
    path = tmp_path_factory.mktemp("demo") / "t.db"
    with Session.open(path, Actor.command_line()) as session:
        made = demo.generate(session, 1000, seed=3, now=NOW)
        yield session, made


def rows(session, sql, *params):
    return [dict(r) for r in session.conn.execute(sql, params)]


def audit_count(session):
    return session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]


def test_counts_match_stats_and_one_audit_entry(big):
    session, made = big
    stats = queries.stats(session.conn)
    assert {k: made[k] for k in stats} == stats
    assert made["households"] == 1000 and made["residents"] > 2000
    entries = rows(session, "SELECT action, detail FROM audit_log")
    assert [e["action"] for e in entries] == ["demo.generate"]
    detail = json.loads(entries[0]["detail"])
    assert detail["households"] == 1000 and detail["seed"] == 3
    station = session.station()
    assert (station["name"], station["community"], station["street"]) == ("阳光社区红色物业服务站", "阳光社区", "幸福街道")


def test_every_id_number_is_valid_and_agrees_with_birth_date_and_sex(big):
    session, _made = big
    people = rows(session, "SELECT id_number, birth_date, gender FROM residents")
    with_number = [p for p in people if p["id_number"]]
    assert len(with_number) > 0.95 * len(people)
    for p in with_number:
        parsed = idnumber.parse(p["id_number"], today=NOW.date())
        assert (parsed.birth_date.isoformat(), parsed.gender) == (p["birth_date"], p["gender"])
    assert len({p["id_number"] for p in with_number}) == len(with_number)
    assert all(date.fromisoformat(p["birth_date"]) <= NOW.date() for p in people)
    regions = Counter(p["id_number"][:6] for p in with_number)
    assert regions.most_common(1)[0][0].startswith("3701") and len(regions) > 15
    for v in rows(session, "SELECT id_number, gender FROM volunteers WHERE id_number IS NOT NULL"):
        assert idnumber.parse(v["id_number"], today=NOW.date()).gender == v["gender"]


def test_phones_are_valid_mobiles(big):
    session, _made = big
    phones = [r[0] for r in session.conn.execute(
        "SELECT phone FROM residents UNION ALL SELECT phone FROM households UNION ALL SELECT phone FROM volunteers "
        "UNION ALL SELECT caller_phone FROM tickets")]
    phones += [c["phone"] for (text,) in session.conn.execute("SELECT emergency_contacts FROM residents")
               for c in json.loads(text)]
    filled = [p for p in phones if p]
    assert len(filled) > 0.8 * len(phones)
    assert all(phone.normalize_mobile(p) == p for p in filled)
    residents = rows(session, "SELECT phone, birth_date FROM residents")
    adults = [r for r in residents if r["birth_date"] < "1990"]
    children = [r for r in residents if r["birth_date"] > "2016"]
    assert sum(1 for r in adults if r["phone"]) > 0.8 * len(adults)
    assert children and not any(r["phone"] for r in children)


def test_names_are_chinese_with_common_surnames_first(big):
    session, _made = big
    names = [r[0] for r in session.conn.execute("SELECT name FROM residents")]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
    firsts = Counter(n[0] for n in names)
    assert {s for s, _n in firsts.most_common(5)} & {"王", "李", "张", "刘", "陈"}
    assert len(firsts) > 60


def test_addresses_are_unique_and_plausible(big):
    session, _made = big
    homes = rows(session, "SELECT estate, building, unit, room, floor, residence_type FROM households")
    assert len({(h["estate"], h["building"], h["unit"], h["room"]) for h in homes}) == len(homes)
    assert all(int(h["room"]) // 100 == h["floor"] and h["unit"] in ("1", "2", "3") for h in homes)
    assert len({h["estate"] for h in homes}) >= 3
    types = Counter(h["residence_type"] for h in homes)
    assert types["owner"] > 0.6 * len(homes) and types["rented"] and types["vacant"]
    empty_vacant = session.conn.execute(
        "SELECT count(*) FROM households h WHERE residence_type = 'vacant' "
        "AND EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id)").fetchone()[0]
    assert empty_vacant == 0


def test_households_have_a_head_and_consistent_ages(big):
    session, _made = big
    members = {}
    for r in rows(session, "SELECT household_id, relation, birth_date FROM residents"):
        members.setdefault(r["household_id"], []).append(r)
    assert max(len(m) for m in members.values()) <= 6
    for people in members.values():
        relations = [p["relation"] for p in people]
        assert relations.count("head") <= 1 and ("head" in relations or set(relations) == {"tenant"})
        head = next((p for p in people if p["relation"] == "head"), None)
        for p in people:
            if head and p["relation"] == "child":
                assert p["birth_date"] > head["birth_date"]
            if head and p["relation"] == "parent":
                assert p["birth_date"] < head["birth_date"]


def test_about_one_household_in_five_is_key_and_categories_make_sense(big):
    session, made = big
    assert 0.12 <= made["key_households"] / made["households"] <= 0.30
    members = Counter(r[0] for r in session.conn.execute("SELECT household_id FROM residents"))
    today = NOW.date()
    age = lambda birth: (today - date.fromisoformat(birth)).days // 365.25  # noqa: E731
    seen = Counter()
    for r in rows(session, "SELECT * FROM residents WHERE care_categories <> '[]'"):
        cats = json.loads(r["care_categories"])
        seen.update(cats)
        if "elderly_alone" in cats:
            assert members[r["household_id"]] == 1 and age(r["birth_date"]) >= 65
        if "empty_nest" in cats:
            assert members[r["household_id"]] == 2 and age(r["birth_date"]) >= 65
        if "aged_80" in cats:
            assert age(r["birth_date"]) >= 80
        if "left_behind_child" in cats:
            assert r["relation"] == "grandchild" and age(r["birth_date"]) < 16
        assert r["care_notes"]
        contacts = json.loads(r["emergency_contacts"])
        assert 1 <= len(contacts) <= 2 and all(c["name"] and c["relation"] for c in contacts)
    assert set(seen) == set(DEFAULT_VISIT_INTERVAL_HOURS)


def test_visits_follow_the_interval_and_some_households_fall_behind(big):
    session, _made = big
    interval = {}
    for r in rows(session, "SELECT household_id, care_categories FROM residents WHERE care_categories <> '[]'"):
        hours = min(DEFAULT_VISIT_INTERVAL_HOURS[c] for c in json.loads(r["care_categories"]))
        interval[r["household_id"]] = min(hours, interval.get(r["household_id"], hours))
    last = dict(session.conn.execute("SELECT household_id, max(visited_at) FROM visits GROUP BY household_id"))
    assert set(last) == set(interval)  # every key household, and only those, is visited
    overdue = [h for h, hours in interval.items()
               if datetime.fromisoformat(last[h]) < NOW - timedelta(hours=hours)]
    assert 0.03 <= len(overdue) / len(interval) <= 0.2
    first = session.conn.execute("SELECT min(visited_at), max(visited_at) FROM visits").fetchone()
    assert first[0] >= (NOW - timedelta(days=90)).isoformat() and first[1] <= NOW_ISO
    guards = {r[0] for r in session.conn.execute("SELECT id FROM users WHERE role = 'guard'")}
    visitors = {r[0] for r in session.conn.execute("SELECT DISTINCT visitor_id FROM visits")}
    assert visitors == guards and len(guards) == 3
    outcomes = Counter((r[0], r[1]) for r in session.conn.execute("SELECT outcome, handling FROM visits"))
    total = sum(outcomes.values())
    assert 0.01 < (outcomes[("anomaly", "on_site")] + outcomes[("anomaly", "escalated")]) / total < 0.06
    assert outcomes[("anomaly", "escalated")] and outcomes[("anomaly", "on_site")]
    assert session.conn.execute("SELECT count(*) FROM visits WHERE late_entry = 1").fetchone()[0] > 0


def test_escalated_visits_and_their_tickets_point_at_each_other(big):
    session, _made = big
    escalated = rows(session, "SELECT * FROM visits WHERE handling = 'escalated'")
    assert escalated
    for v in escalated:
        t = session.conn.execute("SELECT * FROM tickets WHERE id = ?", (v["ticket_id"],)).fetchone()
        assert t["visit_id"] == v["id"] and t["source"] == "visit" and t["household_id"] == v["household_id"]
        assert t["accepted_at"] >= v["visited_at"] and v["finding"] in t["summary"]
    assert session.conn.execute("SELECT count(*) FROM visits WHERE handling IS NOT 'escalated' "
                                "AND ticket_id IS NOT NULL").fetchone()[0] == 0
    from_visits = session.conn.execute("SELECT count(*) FROM tickets WHERE source = 'visit'").fetchone()[0]
    assert from_visits == len(escalated)
    assert session.conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_tickets_cover_every_status_kind_and_source_some_late(big):
    session, made = big
    tickets = rows(session, "SELECT * FROM tickets")
    assert 0.35 * made["households"] <= len(tickets) <= 0.7 * made["households"]
    assert {t["status"] for t in tickets} == set(TICKET_STATUSES)
    assert {t["kind"] for t in tickets} == set(TICKET_KINDS)
    assert {t["source"] for t in tickets} == set(TICKET_SOURCES)
    severities = Counter(t["severity"] for t in tickets)
    assert severities["ordinary"] > severities["major"] > severities["complex"] > 0
    open_late = [t for t in tickets if t["status"] in ("accepted", "assigned", "on_site")
                 and (t["onsite_at"] is None and t["onsite_due_at"] < NOW_ISO
                      or t["resolved_at"] is None and (t["resolve_due_at"] or "9") < NOW_ISO)]
    resolved_late = [t for t in tickets if t["resolved_at"] and t["resolve_due_at"] and t["resolved_at"] > t["resolve_due_at"]]
    assert open_late and resolved_late
    assert any(t["paused"] for t in tickets)
    assert any(t["household_id"] is None and t["caller_name"] for t in tickets)  # anonymous callers
    desk = {r[0] for r in session.conn.execute("SELECT display_name FROM users WHERE role IN ('desk', 'admin')")}
    assert {t["accepted_by"] for t in tickets} <= desk


def test_ticket_numbers_deadlines_and_stage_times_agree(big):
    session, _made = big
    code = session.station()["code"]
    tickets = rows(session, "SELECT * FROM tickets ORDER BY accepted_at, id")
    per_day = Counter()
    for t in tickets:
        day = t["accepted_at"][:10].replace("-", "")
        per_day[day] += 1
        assert t["number"] == "{c}-{d}-{n:03d}".format(c=code, d=day, n=per_day[day])
        accepted = datetime.fromisoformat(t["accepted_at"])
        assert t["onsite_due_at"] == (accepted + timedelta(minutes=5)).isoformat()
        if t["severity"] == "ordinary":
            assert t["resolve_due_at"] == (accepted + timedelta(minutes=30)).isoformat() and t["plan_due_at"] is None
        if t["severity"] == "complex":
            assert t["plan_due_at"] == (accepted + timedelta(days=1)).isoformat() and t["resolve_due_at"] is None
        stages = [t["accepted_at"], t["onsite_at"], t["resolved_at"], t["called_back_at"]]
        filled = [s for s in stages if s]
        assert filled == sorted(filled) and filled[-1] <= NOW_ISO
        status = t["status"]
        assert (t["resolved_at"] is not None) == (status in ("resolved", "called_back"))
        assert (t["called_back_at"] is not None) == (status == "called_back")
        if status in ("on_site", "resolved", "called_back"):
            assert t["onsite_at"]
        if status == "accepted":
            assert t["onsite_at"] is None and t["assignee_name"] == ""
        else:
            assert t["assignee_kind"] in ("user", "volunteer") and t["assignee_id"] and t["assignee_name"]


def test_ticket_history_ends_in_the_ticket_status(big):
    session, _made = big
    events = {}
    for e in rows(session, "SELECT * FROM ticket_events ORDER BY at, rowid"):
        events.setdefault(e["ticket_id"], []).append(e)
    tickets = rows(session, "SELECT id, status, paused FROM tickets")
    assert set(events) == {t["id"] for t in tickets}
    actions = Counter()
    for t in tickets:
        history = events[t["id"]]
        assert history[0]["action"] == "accept" and history[0]["status_to"] == "accepted"
        assert history[-1]["status_to"] == t["status"]
        for before, after in zip(history, history[1:]):
            assert after["status_from"] == before["status_to"] and after["actor_name"]
        assert (history[-1]["action"] == "pause") == bool(t["paused"])
        actions.update(e["action"] for e in history)
    assert {"accept", "assign", "on_site", "plan", "resolve", "callback", "pause", "resume", "reopen"} <= set(actions)


def test_volunteers_assigned_to_repairs_have_a_repair_skill(big):
    session, _made = big
    for t in rows(session, "SELECT assignee_id FROM tickets WHERE kind = 'repair' AND assignee_kind = 'volunteer'"):
        skills = {r[0] for r in session.conn.execute("SELECT skill FROM volunteer_skills WHERE volunteer_id = ?",
                                                     (t["assignee_id"],))}
        assert skills & {"appliance_repair", "plumbing"}


def test_callbacks_and_surveys(big):
    session, _made = big
    called_back = {r[0] for r in session.conn.execute("SELECT id FROM tickets WHERE status = 'called_back'")}
    callbacks = rows(session, "SELECT * FROM satisfaction WHERE channel = 'callback'")
    assert {c["ticket_id"] for c in callbacks} == called_back and len(callbacks) == len(called_back)
    ratings = Counter(c["rating"] for c in callbacks)
    assert ratings["satisfied"] > ratings["basic"] > ratings["dissatisfied"] > 0
    estates = {r[0] for r in session.conn.execute("SELECT DISTINCT estate FROM households")}
    surveys = rows(session, "SELECT * FROM surveys")
    assert {s["estate"] for s in surveys} == estates and {s["period"] for s in surveys} == {"2026-10"}
    for s in surveys:
        answers = session.conn.execute("SELECT count(*), min(answered_at), max(answered_at) FROM satisfaction "
                                       "WHERE survey_id = ?", (s["id"],)).fetchone()
        homes = session.conn.execute("SELECT count(*) FROM households WHERE estate = ? AND residence_type <> 'vacant'",
                                     (s["estate"],)).fetchone()[0]
        assert abs(answers[0] - 0.2 * homes) <= 2 and answers[1] >= "2026-10-01" and answers[2] < "2026-11-01"


def test_volunteers_teams_and_activities(big):
    session, made = big
    volunteers = rows(session, "SELECT * FROM volunteers")
    assert len(volunteers) == made["volunteers"] == 25
    linked = [v for v in volunteers if v["resident_id"]]
    assert 0.3 * len(volunteers) <= len(linked) <= 0.7 * len(volunteers)
    for v in linked:
        r = session.conn.execute("SELECT name, phone FROM residents WHERE id = ?", (v["resident_id"],)).fetchone()
        assert (r["name"], r["phone"]) == (v["name"], v["phone"])
    assert any(v["serving_party_member"] and v["employer"] and v["party_member"] for v in volunteers)
    assert not any(v["serving_party_member"] and not v["party_member"] for v in volunteers)
    skills = Counter(r[0] for r in session.conn.execute("SELECT skill FROM volunteer_skills"))
    assert skills["appliance_repair"] and skills["plumbing"] and skills["health_care"]
    teams = rows(session, "SELECT * FROM teams")
    assert 3 <= len(teams) <= 5
    for t in teams:
        members = {r[0] for r in session.conn.execute("SELECT volunteer_id FROM team_members WHERE team_id = ?", (t["id"],))}
        assert t["leader_id"] in members and len(members) >= 3
    activities = rows(session, "SELECT * FROM activities")
    assert 13 <= len(activities) <= 30
    for a in activities:
        assert a["place"] and a["organiser"] and a["ends_at"] > a["starts_at"]
        done = a["ends_at"] <= NOW_ISO
        for x in rows(session, "SELECT * FROM attendance WHERE activity_id = ?", a["id"]):
            assert x["signed_up"] == 1 and (x["hours"] > 0) == bool(x["attended"])
            assert done or not x["attended"]
    attended = session.conn.execute("SELECT avg(attended) FROM attendance WHERE activity_id IN "
                                    "(SELECT id FROM activities WHERE ends_at <= ?)", (NOW_ISO,)).fetchone()[0]
    assert attended > 0.8


def test_meetings_have_parties_topics_and_actions(big):
    session, _made = big
    meetings = rows(session, "SELECT * FROM meetings")
    assert len(meetings) >= 6 and {m["kind"] for m in meetings} == {"roundtable", "tripartite", "quadripartite", "residents"}
    for m in meetings:
        parties = {r[0] for r in session.conn.execute("SELECT party FROM meeting_attendees WHERE meeting_id = ?", (m["id"],))}
        assert len(parties) >= 3 and {"community", "property"} <= parties
        if m["kind"] == "quadripartite":
            assert "party" in parties
        topics = rows(session, "SELECT * FROM meeting_topics WHERE meeting_id = ? ORDER BY seq", m["id"])
        assert 2 <= len(topics) <= 4 and [t["seq"] for t in topics] == list(range(1, len(topics) + 1))
        assert all(t["discussion"] and t["resolution"] for t in topics)
        assert session.conn.execute("SELECT count(*) FROM meeting_actions WHERE meeting_id = ?", (m["id"],)).fetchone()[0]
        assert m["held_at"] <= NOW_ISO
    linked = [i for (text,) in session.conn.execute("SELECT ticket_ids FROM meeting_topics") for i in json.loads(text)]
    assert linked and all(session.conn.execute("SELECT 1 FROM tickets WHERE id = ?", (i,)).fetchone() for i in linked)
    actions = rows(session, "SELECT * FROM meeting_actions")
    assert {a["status"] for a in actions} == {"open", "done"}
    assert all(a["owner"] and a["due_date"] for a in actions)
    assert all(a["done_at"] for a in actions if a["status"] == "done")
    ticketed = [a for a in actions if a["ticket_id"]]
    assert ticketed
    for a in ticketed:
        t = session.conn.execute("SELECT source, meeting_id FROM tickets WHERE id = ?", (a["ticket_id"],)).fetchone()
        assert (t["source"], t["meeting_id"]) == ("meeting", a["meeting_id"])


def test_demo_accounts(big):
    session, _made = big
    users = {r["username"]: r for r in rows(session, "SELECT * FROM users")}
    assert set(users) == {"admin", "desk1", "desk2", "guard1", "guard2", "guard3", "viewer1"}
    assert [users[u]["role"] for u in ("admin", "desk1", "guard3", "viewer1")] == ["admin", "desk", "guard", "viewer"]
    assert PasswordHasher().verify(users["guard2"]["password_hash"], demo.DEMO_PASSWORD)
    assert len({u["password_hash"] for u in users.values()}) == 1  # hashed once


def test_existing_users_are_kept(tmp_path):
    from redstation.services import station, users
    with Session.open(tmp_path / "t.db", Actor.command_line()) as session:
        station.init_station(session, "站", "社区")
        users.create_user(session, "desk1", "老李", "desk", "secret99")
        users.create_user(session, "boss", "老板", "admin", "secret99")
        demo.generate(session, 30, now=NOW)
        names = dict(session.conn.execute("SELECT username, display_name FROM users"))
        assert names["desk1"] == "老李" and "admin" not in names and "desk2" in names
        assert session.station()["name"] == "站"


def _dump(session):
    """Every synchronised row, without the columns that say when it was written."""
    dump = {}
    for table in records.SYNCED_TABLES:
        if table == "stations":
            continue
        found = []
        for row in session.conn.execute("SELECT * FROM {t} ORDER BY id".format(t=table)):
            found.append({k: row[k] for k in row.keys() if k not in SYNC_COLUMNS and k != "vclock"})  # vclock holds versions
        dump[table] = found
    return dump


def test_same_seed_same_rows_other_seed_other_rows(tmp_path, monkeypatch):
    # The station and user services make their own random ids: make those repeat too.
    dumps = []
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        counter = iter(range(10**6))
        monkeypatch.setattr(records, "new_id", lambda: "00000000-0000-4000-8000-{n:012d}".format(n=next(counter)))
        with Session.open(tmp_path / (name + ".db"), Actor.command_line()) as session:
            demo.generate(session, 150, seed=seed, now=NOW)
            dumps.append(_dump(session))
    a, b, c = dumps
    assert a == b
    assert a["residents"] != c["residents"] and a["tickets"] != c["tickets"]
    assert len(a["visits"]) > 100


def test_refuses_a_register_that_holds_households(tmp_path):
    with Session.open(tmp_path / "t.db", Actor.command_line()) as session:
        demo.generate(session, 40, seed=1, now=NOW)
        before = (queries.stats(session.conn), audit_count(session))
        with pytest.raises(RedStationError, match="40"):
            demo.generate(session, 40, seed=2, now=NOW)
        assert (queries.stats(session.conn), audit_count(session)) == before
        with pytest.raises(RedStationError):
            demo.generate(session, 0)
        assert (queries.stats(session.conn), audit_count(session)) == before


def test_progress_and_cancel_roll_everything_back(tmp_path):
    with Session.open(tmp_path / "t.db", Actor.command_line()) as session:
        reports = []
        with pytest.raises(RedStationError):
            demo.generate(session, 1200, now=NOW, progress=lambda done, total: reports.append((done, total)),
                          cancelled=lambda: len(reports) >= 3)
        assert len(reports) == 3 and session.station() is None and audit_count(session) == 0
        assert session.conn.execute("SELECT count(*) FROM users").fetchone()[0] == 0
        reports.clear()
        made = demo.generate(session, 1200, now=NOW, progress=lambda done, total: reports.append((done, total)),
                             cancelled=lambda: False)
        assert len(reports) > 3 and reports[-1][0] == reports[-1][1]
        assert [d for d, _t in reports] == sorted(d for d, _t in reports)
        assert made["households"] == 1200 and audit_count(session) == 1


def test_a_tiny_register_still_has_everything(tmp_path):
    with Session.open(tmp_path / "t.db", Actor.command_line()) as session:
        made = demo.generate(session, 1, seed=5, now=NOW)
        assert made["households"] == 1 and made["volunteers"] >= 12 and made["meetings"] >= 3
        assert {r[0] for r in session.conn.execute("SELECT status FROM tickets")} == set(TICKET_STATUSES)
        assert session.conn.execute("PRAGMA foreign_key_check").fetchall() == []
