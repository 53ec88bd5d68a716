"""Each role's limits, enforced by the services (the window only hides what the services refuse anyway)."""

import json
import shutil
import subprocess
import sys

import pytest

from redstation import RedStationError
from redstation.cli import main
from redstation.domain import roles
from redstation.excel.ledger_export import export_ledger
from redstation.printing.report import monthly_report
from redstation.printing.visits import round_sheet
from redstation.services import register, search, station, tickets, users, visits
from redstation.services.maintenance import backup
from redstation.services.session import Actor, Session

ID = "110101194905010015"
PASSWORD = "mima123456"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A station with one household of a key resident, and one account of each role (made once: hashing is slow)."""
    path = tmp_path_factory.mktemp("roles") / "station.db"
    with Session.open(path, Actor(None, "刘站长", "admin")) as s:
        station.init_station(s, "阳光服务站", "阳光社区")
        household = register.create_household(s, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "304",
                                                   "phone": "13911112222"})
        resident = register.create_resident(s, household, {"name": "张长锁", "id_number": ID, "phone": "13912345678",
                                                           "care_categories": ["elderly_alone"]})
        accounts = {role: users.create_user(s, role + "1", name, role, PASSWORD)
                    for role, name in (("admin", "刘站长"), ("desk", "李窗口"), ("guard", "王保安"), ("viewer", "街道赵"))}
    return path, {"household": household, "resident": resident, "accounts": accounts}


@pytest.fixture
def world(made, db_path):
    shutil.copyfile(made[0], db_path)
    return made[1]


@pytest.fixture
def as_role(db_path, world):
    opened = []

    def open_as(role):
        s = Session.open(db_path, Actor(None, "?", ""))
        users.log_in(s, role + "1", PASSWORD)
        opened.append(s)
        return s
    yield open_as
    for s in opened:
        s.close()


def audit(s, action):
    return [dict(r) for r in s.conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY seq", (action,))]


def count(s, table):
    return s.conn.execute("SELECT count(*) FROM {t}".format(t=table)).fetchone()[0]


def test_the_guard_logs_visits_and_nothing_of_the_register(as_role, world, tmp_path):
    s = as_role("guard")
    visits.log_visit(s, world["household"], outcome="normal")
    assert count(s, "visits") == 1
    round_sheet(s, tmp_path / "round.pdf")
    assert (tmp_path / "round.pdf").exists()
    before = count(s, "audit_log")
    for attempt in (lambda: register.create_resident(s, world["household"], {"name": "新人"}),
                    lambda: register.edit_resident(s, world["resident"], {"care_notes": "改"}),
                    lambda: tickets.accept(s, kind="repair", summary="漏水", resident_id=world["resident"], source="window", severity="ordinary"),
                    lambda: users.create_user(s, "x1", "某人", "admin", PASSWORD),
                    lambda: backup(s, tmp_path / "b.db"),
                    lambda: register.unmask(s, "residents", world["resident"], "核对身份"),
                    lambda: export_ledger(s, tmp_path / "ledger.xlsx"),
                    lambda: monthly_report(s, "2026-11", tmp_path / "report.pdf")):
        with pytest.raises(roles.NotAllowed, match="保安"):
            attempt()
    assert count(s, "audit_log") == before and count(s, "residents") == 1 and count(s, "tickets") == 0
    assert not (tmp_path / "ledger.xlsx").exists() and not (tmp_path / "report.pdf").exists()
    assert not (tmp_path / "b.db").exists()


def test_the_guard_never_sees_an_id_number(as_role):
    s = as_role("guard")
    found = search.search(s, "zcs")
    assert found[0]["name"] == "张长锁" and found[0]["id_number"] == "" and found[0]["phone"] == "139****5678"


def test_the_desk_sees_numbers_masked_until_it_says_why(as_role, world):
    s = as_role("desk")
    found = search.search(s, "张长锁")[0]
    assert found["id_number"] == "110101********0015" and found["phone"] == "139****5678"
    with pytest.raises(RedStationError, match="原因"):
        register.unmask(s, "residents", world["resident"], " ")
    assert audit(s, "unmask") == []
    whole = register.unmask(s, "residents", world["resident"], "办理高龄补贴核对身份")
    assert whole == {"id_number": ID, "phone": "13912345678"}
    entry = audit(s, "unmask")[0]
    assert entry["user_name"] == "李窗口" and entry["record_id"] == world["resident"]
    assert json.loads(entry["detail"]) == {"reason": "办理高龄补贴核对身份"} and ID not in entry["detail"]
    assert register.unmask(s, "households", world["household"], "回访")["phone"] == "13911112222"


def test_the_manager_unmasks_without_a_reason_and_others_may_not(as_role, world):
    assert register.unmask(as_role("admin"), "residents", world["resident"])["id_number"] == ID
    for role in ("guard", "viewer"):
        with pytest.raises(roles.NotAllowed):
            register.unmask(as_role(role), "residents", world["resident"], "想看看")


def test_the_desk_keeps_the_register_and_tickets_but_not_the_station(as_role, world, tmp_path):
    s = as_role("desk")
    register.create_resident(s, world["household"], {"name": "李秀英"})
    made = tickets.accept(s, kind="repair", summary="楼道灯不亮", resident_id=world["resident"], source="window", severity="ordinary")
    assert made and count(s, "residents") == 2
    export_ledger(s, tmp_path / "masked.xlsx")
    assert (tmp_path / "masked.xlsx").exists()
    with pytest.raises(RedStationError, match="站长"):
        export_ledger(s, tmp_path / "whole.xlsx", unmasked=True)
    for attempt in (lambda: users.create_user(s, "x1", "某人", "desk", PASSWORD),
                    lambda: backup(s, tmp_path / "b.db"),
                    lambda: station.init_station(s, "另一站", "社区")):
        with pytest.raises(roles.NotAllowed, match="窗口"):
            attempt()
    assert not (tmp_path / "whole.xlsx").exists()


def test_the_viewer_reads_and_prints_figures_but_changes_nothing(as_role, world, tmp_path):
    s = as_role("viewer")
    monthly_report(s, "2026-11", tmp_path / "report.pdf")
    export_ledger(s, tmp_path / "ledger.xlsx")
    assert (tmp_path / "report.pdf").exists() and (tmp_path / "ledger.xlsx").exists()
    before = count(s, "audit_log")
    for attempt in (lambda: register.edit_resident(s, world["resident"], {"care_notes": "改"}),
                    lambda: visits.log_visit(s, world["household"], outcome="normal"),
                    lambda: tickets.accept(s, kind="repair", summary="漏水", source="window", severity="ordinary")):
        with pytest.raises(roles.NotAllowed, match="街道"):
            attempt()
    assert count(s, "audit_log") == before and count(s, "visits") == 0


def test_every_action_of_the_program_has_a_decided_owner():
    """A new kind of change is the manager's until someone decides: no role gets it by accident."""
    assert roles.allowed("admin", "anything.new") and not roles.allowed("desk", "anything.new")
    assert roles.allowed("desk", "resident.update") and not roles.allowed("desk", "visits.intervals")
    assert roles.allowed("desk", "ledger.export") and not roles.allowed("desk", "ledger.import")
    assert roles.allowed("guard", "visit.log") and not roles.allowed("guard", "ticket.accept")
    for role in roles.RULES:
        assert roles.allowed(role, "session.login") and roles.allowed(role, "backup.auto")
    assert not roles.allowed("", "resident.update") and roles.allowed("", "session.login_failed")


# --- logging in ---------------------------------------------------------------------------------------------------

def test_login_checks_the_password_and_both_outcomes_are_in_the_audit_log(db_path, world):
    with Session.open(db_path, Actor(None, "?", "")) as s:
        with pytest.raises(users.LoginFailed, match="用户名或密码"):
            users.log_in(s, "desk1", "wrong-password")
        assert s.actor.role == "" and not roles.allowed(s.actor.role, "resident.update")
        with pytest.raises(users.LoginFailed, match="用户名或密码"):   # an unknown name gets the same words
            users.log_in(s, "nobody", PASSWORD)
        actor = users.log_in(s, "DESK1", PASSWORD)                    # user names ignore case
        assert (actor.name, actor.role, s.actor) == ("李窗口", "desk", actor)
        failed = audit(s, "session.login_failed")
        assert [f["user_name"] for f in failed] == ["desk1", "?"] and "wrong" not in failed[0]["detail"]
        assert audit(s, "session.login")[0]["user_id"] == world["accounts"]["desk"]


def test_a_retired_account_cannot_log_in_and_the_last_manager_stays(as_role, world, db_path):
    admin = as_role("admin")
    users.edit_user(admin, world["accounts"]["desk"], active=False)
    with Session.open(db_path, Actor(None, "?", "")) as s, pytest.raises(users.LoginFailed):
        users.log_in(s, "desk1", PASSWORD)
    with pytest.raises(RedStationError, match="唯一"):
        users.edit_user(admin, world["accounts"]["admin"], role="desk")
    second = users.create_user(admin, "admin2", "副站长", "admin", PASSWORD)
    users.edit_user(admin, world["accounts"]["admin"], role="desk")    # another manager is left
    with pytest.raises(RedStationError, match="唯一"):
        users.edit_user(admin, second, active=False)
    with pytest.raises(RedStationError, match="唯一"):
        users.edit_user(admin, second, role="viewer")
    assert [u["id"] for u in users.list_users(admin.conn) if u["role"] == "admin" and u["active"]] == [second]
    changed = audit(admin, "user.update")
    assert [json.loads(c["detail"])["fields"] for c in changed] == [["active"], ["role"]]


def test_passwords_are_argon2id_and_changed_with_the_old_one(as_role, world, db_path):
    desk = as_role("desk")
    stored = desk.conn.execute("SELECT password_hash FROM users WHERE username = 'desk1'").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(RedStationError, match="原密码"):
        users.change_own_password(desk, "not-it", "xinmima789")
    with pytest.raises(RedStationError, match="6"):
        users.change_own_password(desk, PASSWORD, "123")
    users.change_own_password(desk, PASSWORD, "xinmima789")
    with pytest.raises(roles.NotAllowed):
        users.reset_password(desk, world["accounts"]["guard"], "guard-new-1")
    users.reset_password(as_role("admin"), world["accounts"]["guard"], "guard-new-1")
    with Session.open(db_path, Actor(None, "?", "")) as s:
        assert users.log_in(s, "desk1", "xinmima789").role == "desk"
        assert users.log_in(s, "guard1", "guard-new-1").role == "guard"


def test_first_run_is_only_for_a_database_without_a_manager(db_path, world):
    with Session.open(db_path, Actor(None, "window", "")) as s, pytest.raises(RedStationError, match="登录"):
        station.first_run(s, station_name=None, community=None, street=None, username="me", display_name="我",
                          password=PASSWORD)


# --- the command line acts as a named user -------------------------------------------------------------------------

def test_the_command_line_acts_as_the_named_user(db_path, world, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("REDSTATION_PASSWORD", PASSWORD)
    assert main(["--db", str(db_path), "--user", "guard1", "list", "residents", "--json"]) == 0
    item = json.loads(capsys.readouterr().out)["items"][0]
    assert item["name"] == "张长锁" and item["id_number"] == "" and item["phone"] == "139****5678"
    assert main(["--db", str(db_path), "--user", "guard1", "export-ledger", str(tmp_path / "l.xlsx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "保安" in err and not (tmp_path / "l.xlsx").exists()
    for kind in ("tickets", "volunteers", "activities", "meetings"):         # nothing of the desk's work
        assert main(["--db", str(db_path), "--user", "guard1", "list", kind, "--json"]) == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "保安" in err, err
    assert main(["--db", str(db_path), "--user", "guard1", "list", "visits", "--json"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "--user", "viewer1", "list", "tickets", "--json"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db_path), "--user", "desk1", "search", "zcs", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["results"][0]["id_number"] == "110101********0015"
    monkeypatch.setenv("REDSTATION_PASSWORD", "wrong")
    assert main(["--db", str(db_path), "--user", "desk1", "stats"]) == 1
    assert "用户名或密码" in capsys.readouterr().err
    with Session.open(db_path, Actor.command_line()) as s:
        assert [a["user_name"] for a in audit(s, "session.login")][-3:] == ["王保安", "街道赵", "李窗口"]
        assert audit(s, "session.login_failed")[-1]["user_name"] == "desk1"


def test_without_a_password_and_no_terminal_the_command_line_says_how(db_path, world):
    run = subprocess.run([sys.executable, "-m", "redstation", "--db", str(db_path), "--user", "desk1", "stats"],
                         capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         env={k: v for k, v in __import__("os").environ.items() if k != "REDSTATION_PASSWORD"})
    assert run.returncode == 1 and "REDSTATION_PASSWORD" in run.stderr and run.stderr.count("\n") == 1
