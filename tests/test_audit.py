"""The audit log: its hash chain (what `redstation check` finds when someone edits or removes entries with a
SQLite tool) and reading it as the station manager (services/audit_log.py)."""

import json
import re
import shutil
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from redstation.cli import main
from redstation.domain import idnumber, roles
from redstation.services import audit_log, register, station, users
from redstation.services.session import Actor, Session
from redstation.services.tickets import FLOW
from redstation.store import audit, records

PACKAGE = Path(__file__).resolve().parent.parent / "redstation"
ID_NUMBER = idnumber.make("370102", date(1949, 10, 1), 12, "M")
MOBILE = "13912345678"
ADMIN = Actor.command_line()


@pytest.fixture(scope="module")
def made_log(tmp_path_factory):
    """A station with a desk user who logged in, failed once, registered and changed a resident and unmasked her."""
    path = tmp_path_factory.mktemp("audit") / "log.db"
    with Session.open(path, ADMIN) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        users.create_user(session, "desk1", "李窗口", "desk", "secret1")
        with pytest.raises(users.LoginFailed):
            users.log_in(session, "intruder", "guess")
        users.log_in(session, "desk1", "secret1")
        household = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "301"})
        resident = register.create_resident(session, household, {"name": "张长锁", "id_number": ID_NUMBER, "phone": MOBILE})
        register.edit_resident(session, resident, {"phone": "13800001111", "care_notes": "耳背"})
        register.unmask(session, "residents", resident, "办理低保核对身份")
        users.log_out(session)
    assert not path.with_name(path.name + "-wal").exists()  # all in the one file, to copy
    return path


@pytest.fixture
def log_db(made_log, db_path):
    """A copy of the log for one test to tamper with."""
    shutil.copy(made_log, db_path)
    return db_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def tamper(path, *statements):
    """What someone with a SQLite tool could do: drop the triggers and change the log."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def seqs(path):
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT seq FROM audit_log ORDER BY seq")]


def found_break(path):
    conn = sqlite3.connect("file:{p}?mode=ro".format(p=path), uri=True)
    try:
        return audit.find_break(conn)
    finally:
        conn.close()


def check(capsys, path):
    code, out, err = run(capsys, "--db", path, "check")
    return code, out + err


# --- the chain ---------------------------------------------------------------------------------------------------

def test_an_intact_log_passes_the_check(capsys, log_db):
    assert len(seqs(log_db)) == 9 and found_break(log_db) is None
    code, text = check(capsys, log_db)
    assert code == 0 and "完好" in text


def test_the_triggers_refuse_update_and_delete(log_db):
    conn = sqlite3.connect(log_db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_log SET user_name = '别人' WHERE seq = 3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 9")
    conn.close()
    assert len(seqs(log_db)) == 9 and found_break(log_db) is None


def test_an_edited_entry_is_detected(capsys, log_db):
    tamper(log_db, "UPDATE audit_log SET user_name = '王建国' WHERE seq = 5")
    found = found_break(log_db)
    assert (found.kind, found.seq, found.user_name) == ("changed", 5, "王建国")
    code, text = check(capsys, log_db)
    assert code == 1 and "审计日志被改动过" in text and "第 5 条" in text
    message = audit_log.break_message(found)
    assert "第 5 条" in message and "王建国" in message and "在写入后被修改" in message


def test_an_edited_entry_given_a_new_hash_is_detected_at_the_next(capsys, log_db):
    with sqlite3.connect(log_db) as conn:
        conn.row_factory = sqlite3.Row
        row = dict(conn.execute("SELECT * FROM audit_log WHERE seq = 5").fetchone())
    row["detail"] = json.dumps({"fields": ["name"]})
    tamper(log_db, "UPDATE audit_log SET detail = '{d}', hash = '{h}' WHERE seq = 5".format(
        d=row["detail"], h=audit.entry_hash(row["prev_hash"], row)))
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("gap", 6, 5)
    code, text = check(capsys, log_db)
    assert code == 1 and "第 6 条" in text


def test_a_deleted_middle_entry_is_detected(capsys, log_db):
    tamper(log_db, "DELETE FROM audit_log WHERE seq = 4")
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("gap", 5, 3)
    code, text = check(capsys, log_db)
    assert code == 1 and "第 5 条" in text
    assert "第 3 条与第 5 条之间的记录被删除" in audit_log.break_message(found)


def test_a_deleted_first_entry_is_detected(capsys, log_db):
    tamper(log_db, "DELETE FROM audit_log WHERE seq = 1")
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("first_removed", 2, None)
    code, text = check(capsys, log_db)
    assert code == 1 and "第 2 条" in text
    assert "最早的记录被删除" in audit_log.break_message(found)


@pytest.mark.parametrize("removed", [1, 3])
def test_deleted_newest_entries_are_detected(capsys, log_db, removed):
    tamper(log_db, "DELETE FROM audit_log WHERE seq > {n}".format(n=9 - removed))
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("tail_removed", 9, 9 - removed)
    code, text = check(capsys, log_db)
    assert code == 1 and "第 9 条" in text
    assert "原有记录到第 9 条，现在只到第 {n} 条".format(n=9 - removed) in audit_log.break_message(found)


def test_a_log_emptied_altogether_is_detected(capsys, log_db):
    tamper(log_db, "DELETE FROM audit_log")
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("tail_removed", 9, None)
    assert check(capsys, log_db)[0] == 1
    assert "全部记录被删除" in audit_log.break_message(found)


def test_a_log_emptied_with_its_head_and_counter_is_still_detected(capsys, log_db):
    tamper(log_db, "DELETE FROM audit_log", "DELETE FROM settings WHERE key = 'audit_head'",
           "DELETE FROM sqlite_sequence WHERE name = 'audit_log'")
    assert found_break(log_db) is None                     # nothing left in the chain itself to go by
    code, text = check(capsys, log_db)
    assert code == 1 and "全部记录被删除" in text and text.count("\n") == 1


def test_check_names_what_was_changed_in_one_line(capsys, log_db):
    tamper(log_db, "UPDATE audit_log SET user_name = '王建国' WHERE seq = 5")
    code, out, err = run(capsys, "--db", log_db, "check")
    assert code == 1 and out == "" and err.count("\n") == 1 and err.startswith("redstation: ")
    assert "第 5 条" in err and "在写入后被修改" in err


def test_deleted_newest_entries_stay_visible_after_the_next_entry(capsys, log_db):
    """Someone removes the newest entries and then uses the program: its next entry must not paper over the gap."""
    tamper(log_db, "DELETE FROM audit_log WHERE seq > 7")
    with Session.open(log_db, ADMIN) as session:
        with session.write("backup"):
            pass
    assert seqs(log_db)[-1] == 10
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("gap", 10, 7)
    assert check(capsys, log_db)[0] == 1


def test_deleting_the_head_and_the_newest_entries_is_still_detected(capsys, log_db):
    """Without the recorded end, SQLite's own counter of the highest seq ever given still tells."""
    tamper(log_db, "DELETE FROM settings WHERE key = 'audit_head'", "DELETE FROM audit_log WHERE seq = 9")
    found = found_break(log_db)
    assert (found.kind, found.seq, found.before) == ("tail_removed", 9, 8)
    assert check(capsys, log_db)[0] == 1
    with Session.open(log_db, ADMIN) as session:
        with session.write("backup"):
            pass
    assert found_break(log_db).kind == "gap"


def test_an_older_database_without_a_recorded_end_adopts_it(capsys, log_db):
    tamper(log_db, "DELETE FROM settings WHERE key = 'audit_head'")
    assert found_break(log_db) is None and check(capsys, log_db)[0] == 0
    with Session.open(log_db, ADMIN) as session:
        assert audit.head(session.conn) is None
        with session.write("backup"):
            pass
        last = session.conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        assert audit.head(session.conn) == (last[0], last[1]) == (10, last[1])
    assert found_break(log_db) is None


def test_entries_an_older_program_appended_are_no_alarm(capsys, log_db):
    """An older copy of the program (same schema) appends without keeping the end; that is not tampering."""
    with sqlite3.connect(log_db) as conn:
        prev = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
        row = {"id": records.new_id(), "origin": "s", "at": "2026-11-24T09:00:00", "user_id": None, "user_name": "old",
               "action": "backup", "kind": None, "record_id": None, "detail": "{}"}
        conn.execute("INSERT INTO audit_log (id, origin, at, user_id, user_name, action, kind, record_id, detail, "
                     "prev_hash, hash) VALUES (:id, :origin, :at, :user_id, :user_name, :action, :kind, :record_id, "
                     ":detail, :prev, :hash)", dict(row, prev=prev, hash=audit.entry_hash(prev, row)))
    assert found_break(log_db) is None
    with Session.open(log_db, ADMIN) as session:
        with session.write("backup"):
            pass
    assert found_break(log_db) is None and check(capsys, log_db)[0] == 0


def test_unusual_values_verify_like_any_other(db_path):
    """NUL characters, emoji, numbers where text is expected: the entry is stored as it was hashed."""
    with Session.open(db_path, Actor(None, "nul\x00name 😀", "admin")) as session:
        station.init_station(session, "站", "社区")
        with session.write("backup", "tickets", "r\x00id", {"note": "a\x00b", "n": 1.5}):
            pass
        audit.append(session.conn, {"id": records.new_id(), "origin": "s", "at": "2026-11-24T09:00:00", "user_id": 1e20,
                                    "user_name": 42, "action": "backup", "kind": None, "record_id": 7.0, "detail": {}})
        assert audit.find_break(session.conn) is None and audit.verify(session.conn) is None


def test_verify_still_gives_the_seq_of_the_first_bad_entry(log_db):
    tamper(log_db, "UPDATE audit_log SET action = 'x' WHERE seq = 3")
    with sqlite3.connect(log_db) as conn:
        assert audit.verify(conn) == 3


def test_a_long_check_can_be_cancelled(log_db):
    with sqlite3.connect(log_db) as conn, pytest.raises(audit.Cancelled):
        audit.find_break(conn, cancelled=lambda: True)


# --- reading the log ---------------------------------------------------------------------------------------------

@pytest.fixture
def admin(log_db):
    with Session.open(log_db, ADMIN) as session:
        yield session


def test_entries_newest_first_in_words(admin):
    items = audit_log.entries(admin, limit=100)
    assert [i["seq"] for i in items] == list(range(9, 0, -1)) and audit_log.count(admin) == 9
    assert [i["action_label"] for i in items[:6]] == ["退出登录", "查看完整证件号", "修改居民", "登记居民", "登记住户", "登录"]
    assert items[6]["action_label"] == "登录失败" and items[6]["user_name"] == "?"
    unmask, edit = items[1], items[2]
    assert (unmask["user_name"], unmask["kind_label"], unmask["summary"]) == ("李窗口", "居民", "原因：办理低保核对身份")
    assert edit["summary"] == "修改的项目：关爱事项、电话" and edit["detail"] == {"fields": ["care_notes", "phone"]}
    assert edit["time"][10] == " " and edit["at"][10] == "T"


def test_the_log_holds_no_id_number_or_phone(admin):
    details = " ".join(row[0] for row in admin.conn.execute("SELECT detail || user_name || ifnull(record_id, '') "
                                                            "FROM audit_log"))
    assert ID_NUMBER not in details and MOBILE not in details and "13800001111" not in details
    assert not re.search(r"\d{11}", details)


def test_paging_keys_and_rows_agree(admin, monkeypatch):
    first, second = audit_log.entries(admin, limit=4), audit_log.entries(admin, limit=4, offset=4)
    assert [i["seq"] for i in first + second] == list(range(9, 1, -1))
    keys = audit_log.keys(admin)
    assert keys == list(range(9, 0, -1))
    for block in (1, 3, 4):   # keys come a block at a time: a last block full, short or empty
        monkeypatch.setattr(audit_log, "KEYS_BLOCK", block)
        assert audit_log.keys(admin) == keys and audit_log.keys(admin, user="李窗口") == [9, 8, 7, 6, 5, 4]
    assert [r["seq"] for r in audit_log.rows(admin, [3, 7, 999])[:2]] == [3, 7]
    assert audit_log.rows(admin, [999]) == [None] and audit_log.rows(admin, []) == []
    assert audit_log.rows(admin, [5])[0] == audit_log.entries(admin, limit=1, offset=4)[0]


def test_filter_by_user_action_period_text_and_record(admin):
    def shown(**filters):
        assert audit_log.count(admin, **filters) == len(audit_log.keys(admin, **filters))
        return [i["seq"] for i in audit_log.entries(admin, **filters)]

    assert shown(user="李窗口") == [9, 8, 7, 6, 5, 4]
    assert shown(user="?") == [3]
    assert shown(action_prefix="session.") == [9, 4, 3]
    assert shown(action_prefix="session.login") == [4]            # not session.login_failed
    assert shown(action_prefix=("unmask", "resident.")) == [8, 7, 6]
    assert shown(user="李窗口", action_prefix="resident.") == [7, 6]
    today = date.today()
    assert len(shown(start=today, end=today)) == 9 and len(shown(start=today.isoformat())) == 9
    assert shown(start=today + timedelta(days=1)) == [] and shown(end=today - timedelta(days=1)) == []
    assert shown(text="?") == [3]                                  # a failed login by a name no account has
    assert shown(text="登录失败") == [3]                            # the action in words
    assert shown(text="低保") == [8]                               # the unmasking's reason
    assert shown(text="原因") == [8]                               # a detail's name in words
    assert shown(text="居民") == [8, 7, 6]                         # the record kind in words
    resident = audit_log.entries(admin, action_prefix="resident.update")[0]["record_id"]
    assert shown(record_id=resident) == [8, 7, 6]
    assert shown(text="nothing like this") == [] and shown(text="%") == [] and shown(text="_") == [7, 6, 5, 3]
    assert shown(text="login_failed") == [3]                       # the action's code


def test_users_and_action_groups_for_the_filters(admin):
    assert set(audit_log.users(admin)) == {ADMIN.name, "?", "李窗口"}
    groups = audit_log.action_groups(admin)
    assert [g["label"] for g in groups] == ["登录与退出", "登录失败", "查看完整证件号", "用户账户", "住户与居民", "服务站与数据交换"]
    with admin.write("lottery.draw"):   # an action no group covers gets a group of its own
        pass
    groups = audit_log.action_groups(admin)
    assert groups[-1] == {"code": "lottery", "label": "lottery", "prefixes": ("lottery",)}
    for group in groups:
        assert audit_log.count(admin, action_prefix=group["prefixes"]) > 0


def test_actions_in_words():
    assert audit_log.describe("resident.update") == "修改居民"
    assert audit_log.describe("session.login_failed") == "登录失败"
    assert audit_log.describe("unmask") == "查看完整证件号"
    assert audit_log.describe("print.receipt") == "打印受理回执"
    assert audit_log.describe("ticket.escalate") == "工单 (ticket.escalate)"
    assert audit_log.describe("lottery.draw") == "lottery.draw"


def test_every_action_the_program_writes_has_words():
    written = set()
    for path in PACKAGE.rglob("*.py"):
        written |= set(re.findall(r'session\.write\(\s*"([a-z_]+(?:\.[a-z_]+)*)"', path.read_text(encoding="utf-8")))
    written |= {"ticket." + step for step in FLOW} | {"backup.auto"}
    assert len(written) > 60
    assert sorted(a for a in written if a not in audit_log.ACTIONS) == []
    ungrouped = [a for a in written if not any(audit_log.covers(p, a) for _c, _l, ps in audit_log.GROUPS for p in ps)]
    assert ungrouped == []


def test_summary_in_one_line_with_numbers_masked():
    assert audit_log.summary("unmask", {"reason": "核对 {i}，电话 {m}".format(i=ID_NUMBER, m=MOBILE)}) == \
        "原因：核对 {i}，电话 {m}".format(i=idnumber.mask(ID_NUMBER), m="139****5678")
    assert audit_log.summary("visit.log", {"outcome": "anomaly", "late_entry": True, "ticket": None}) == \
        "结果：异常；补录：是"
    assert audit_log.summary("user.create", {"users": [{"username": "desk1", "role": "desk"}]}) == "账户：desk1 (窗口)"
    assert audit_log.summary("station.init", '{"name": "阳光服务站"}') == "服务站名称：阳光服务站"
    assert audit_log.summary("session.login", {}) == "" and audit_log.summary("x", "not json") == "not json"
    assert len(audit_log.summary("x", {"note": "长" * 1000})) == audit_log.SUMMARY_LENGTH


@pytest.mark.parametrize("role", ["desk", "guard", "viewer", ""])
def test_only_the_station_manager_reads_the_log(log_db, role):
    with Session.open(log_db, Actor("u", "某人", role)) as session:
        for read in (audit_log.entries, audit_log.count, audit_log.keys, audit_log.users, audit_log.action_groups,
                     audit_log.chain, lambda s: audit_log.rows(s, [1])):
            with pytest.raises(roles.NotAllowed):
                read(session)


def test_the_chain_for_the_window(admin, log_db):
    assert audit_log.chain(admin) == {"intact": True, "entries": 9, "problem": None}
    tamper(log_db, "DELETE FROM audit_log WHERE seq = 9")
    result = audit_log.chain(admin)
    assert not result["intact"] and "第 9 条" in result["problem"]
