"""Sessions: each write is one transaction with one audit entry naming the acting user."""

import json

import pytest

from redstation import RedStationError
from redstation.services import station, users
from redstation.services.session import Actor, Session
from redstation.store import audit, queries


def audit_rows(session):
    return [dict(r) for r in session.conn.execute("SELECT * FROM audit_log ORDER BY seq")]


def test_init_creates_the_station_with_a_signing_key(session):
    station_id = station.init_station(session, " 阳光服务站 ", "阳光社区", "幸福街道")
    row = session.station()
    assert row["id"] == station_id == row["origin"] and row["name"] == "阳光服务站"
    assert len(row["public_key"]) == 64 and len(row["code"]) == 4
    assert [r["action"] for r in audit_rows(session)] == ["station.init"]


def test_init_twice_is_refused_and_changes_nothing(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    before = audit_rows(session)
    with pytest.raises(RedStationError, match="阳光服务站"):
        station.init_station(session, "别的站", "别的社区")
    assert audit_rows(session) == before and session.station()["name"] == "阳光服务站"


@pytest.mark.parametrize("name, community", [("", "社区"), ("站", "  ")])
def test_init_needs_a_name_and_a_community(session, name, community):
    with pytest.raises(RedStationError):
        station.init_station(session, name, community)
    assert session.station() is None and audit_rows(session) == []


def test_write_stamps_versions_origin_and_audit_names_the_actor(db_path):
    with Session.open(db_path, Actor("u1", "李窗口", "admin")) as session:
        station_id = station.init_station(session, "站", "社区")
        session.actor = Actor("u2", "李窗口", "desk")
        with session.write("household.add", "households") as change:
            hid = change.insert("households", estate="阳光花园", building="3", unit="2", room="304", floor=3)
            change.record_id = hid
        row = session.conn.execute("SELECT * FROM households WHERE id = ?", (hid,)).fetchone()
        assert row["origin"] == station_id and row["version"].endswith(station_id) and row["deleted"] == 0
        last = audit_rows(session)[-1]
        assert (last["user_id"], last["user_name"], last["action"], last["record_id"]) == ("u2", "李窗口", "household.add", hid)


def test_versions_increase_with_every_change_even_across_sessions(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "站", "社区")
        with session.write("a") as change:
            hid = change.insert("households", estate="E", building="1", room="101")
        v1 = session.conn.execute("SELECT version FROM households").fetchone()[0]
    with Session.open(db_path, Actor.command_line()) as session:
        with session.write("b") as change:
            change.update("households", hid, room="102")
        v2 = session.conn.execute("SELECT version FROM households").fetchone()[0]
    assert v2 > v1


def test_a_failed_write_leaves_nothing_behind(session):
    station.init_station(session, "站", "社区")
    before = (queries.stats(session.conn), audit_rows(session))
    with pytest.raises(ValueError):
        with session.write("household.add") as change:
            change.insert("households", estate="E", building="1", room="101")
            raise ValueError("power cut")
    assert (queries.stats(session.conn), audit_rows(session)) == before


def test_deleting_leaves_a_tombstone_that_stats_do_not_count(session):
    station.init_station(session, "站", "社区")
    with session.write("add") as change:
        keep = change.insert("households", estate="E", building="1", room="101")
        gone = change.insert("households", estate="E", building="1", room="102")
        change.insert("residents", household_id=keep, name="张三", care_categories=json.dumps(["veteran"]))
        change.insert("residents", household_id=gone, name="李四", care_categories=json.dumps(["elderly_alone"]))
    with session.write("delete") as change:
        change.delete("households", gone)
    counts = queries.stats(session.conn)
    assert counts["households"] == 1 and counts["key_households"] == 1
    assert session.conn.execute("SELECT deleted FROM households WHERE id = ?", (gone,)).fetchone()[0] == 1


def test_key_households_count_only_living_residents_in_a_category(session):
    station.init_station(session, "站", "社区")
    with session.write("add") as change:
        a = change.insert("households", estate="E", building="1", room="101")
        b = change.insert("households", estate="E", building="1", room="102")
        change.insert("residents", household_id=a, name="甲", care_categories='["aged_80"]', status="deceased")
        change.insert("residents", household_id=b, name="乙", care_categories='["aged_80", "veteran"]')
        change.insert("residents", household_id=b, name="丙")
    assert queries.stats(session.conn)["key_households"] == 1


def test_first_run_creates_station_and_admin_in_one_transaction(session):
    user_id = station.first_run(session, station_name="站", community="社区", street="街道",
                                username="admin", display_name="王站长", password="secret1")
    assert session.actor == Actor(user_id, "王站长", "admin")
    assert station.needs_setup(session) == (False, False)
    assert len(audit_rows(session)) == 1
    row = session.conn.execute("SELECT password_hash FROM users").fetchone()
    assert row[0].startswith("$argon2id$") and "secret1" not in row[0]


def test_first_run_with_a_short_password_creates_nothing(session):
    with pytest.raises(RedStationError):
        station.first_run(session, station_name="站", community="社区", street="", username="admin",
                          display_name="王站长", password="123")
    assert station.needs_setup(session) == (True, True) and audit_rows(session) == []


def test_user_names_are_unique_regardless_of_case(session):
    station.init_station(session, "站", "社区")
    users.create_user(session, "Guard1", "保安甲", "guard", "secret1")
    with pytest.raises(RedStationError, match="guard1"):
        users.create_user(session, "guard1", "保安乙", "guard", "secret1")


def test_audit_chain_detects_an_edited_entry(session):
    station.init_station(session, "站", "社区")
    users.create_user(session, "guard1", "保安甲", "guard", "secret1")
    assert audit.verify(session.conn) is None
    session.conn.execute("DROP TRIGGER audit_log_no_update")  # what someone with a SQLite tool could do
    session.conn.execute("UPDATE audit_log SET user_name = '别人' WHERE seq = 1")
    assert audit.verify(session.conn) == 1
