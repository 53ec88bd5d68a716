"""The command-line contract of PRODUCT.md: names, flags, JSON shapes and exit codes."""

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from redstation.cli import main
from redstation.store import db

STAT_KEYS = {"households", "residents", "key_households", "visits", "tickets", "volunteers", "activities", "meetings"}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["--db", str(path), "demo", "--households", "120", "--seed", "7"]) == 0
    return path


def test_init_then_stats_json(capsys, db_path):
    code, out, err = run(capsys, "--db", db_path, "init", "--station-name", "阳光服务站", "--community", "阳光社区", "--street", "幸福街道")
    assert code == 0 and "阳光服务站" in out and err == ""
    code, out, _ = run(capsys, "--db", db_path, "stats", "--json")
    assert code == 0 and json.loads(out) == {key: 0 for key in STAT_KEYS}


def test_init_without_community_is_a_usage_error(capsys, db_path):
    code, _out, err = run(capsys, "--db", db_path, "init", "--station-name", "站")
    assert code == 2 and "--community" in err and not db_path.exists()


def test_init_twice_exits_1_with_one_line(capsys, db_path):
    run(capsys, "--db", db_path, "init", "--station-name", "站", "--community", "社区")
    code, out, err = run(capsys, "--db", db_path, "init", "--station-name", "站", "--community", "社区")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and "站" in err


def test_stats_json_counts_live_records(capsys, demo_db):
    code, out, _ = run(capsys, "--db", demo_db, "stats", "--json")
    counts = json.loads(out)
    assert code == 0 and set(counts) == STAT_KEYS
    conn = sqlite3.connect(demo_db)
    assert counts["households"] == conn.execute("SELECT count(*) FROM households WHERE deleted = 0").fetchone()[0] > 0
    assert counts["visits"] == conn.execute("SELECT count(*) FROM visits WHERE deleted = 0").fetchone()[0] > 0
    assert 0 < counts["key_households"] < counts["households"]


@pytest.mark.parametrize("kind, key", [("households", "address"), ("residents", "name"), ("visits", "visited_at"),
                                       ("tickets", "number"), ("volunteers", "name"), ("activities", "title"),
                                       ("meetings", "title")])
def test_list_json_has_ids_and_matches_stats(capsys, demo_db, kind, key):
    code, out, _ = run(capsys, "--db", demo_db, "list", kind, "--json")
    items = json.loads(out)["items"]
    _c, stats_out, _e = run(capsys, "--db", demo_db, "stats", "--json")
    assert code == 0 and len(items) == json.loads(stats_out)[kind] > 0
    assert all(item["id"] and item[key] for item in items)
    assert len({item["id"] for item in items}) == len(items)


def test_list_limit(capsys, demo_db):
    code, out, _ = run(capsys, "--db", demo_db, "list", "residents", "--limit", "5", "--json")
    assert code == 0 and len(json.loads(out)["items"]) == 5


def test_list_masks_id_numbers_and_phones(capsys, demo_db):
    _code, out, _ = run(capsys, "--db", demo_db, "list", "residents", "--json")
    items = json.loads(out)["items"]
    full = {r[0] for r in sqlite3.connect(demo_db).execute("SELECT id_number FROM residents WHERE id_number IS NOT NULL")}
    assert full and not any(item["id_number"] in full for item in items)
    assert all("*" in item["id_number"] for item in items if item["id_number"])


def test_list_in_text_shows_chinese_labels(capsys, demo_db):
    code, out, _ = run(capsys, "--db", demo_db, "list", "tickets", "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and lines[0].split("\t")[:3] == ["id", "编号", "类型"] and len(lines) == 4
    assert any(kind in out for kind in ("投诉", "咨询", "报修", "纠纷", "建议"))


@pytest.mark.parametrize("argv", [["list", "pets"], ["list", "residents", "--limit", "-3"], ["list", "residents", "--limit", "x"],
                                  ["demo", "--households", "0"], ["frobnicate"], ["stats", "--nope"]])
def test_usage_errors_exit_2(capsys, db_path, argv):
    code, _out, err = run(capsys, "--db", db_path, *argv)
    assert code == 2 and "usage" in err


def test_read_commands_on_a_missing_database_exit_1_and_create_nothing(capsys, tmp_path):
    missing = tmp_path / "missing.db"
    for argv in (["stats"], ["list", "households"], ["backup"], ["check"]):
        code, _out, err = run(capsys, "--db", missing, *argv)
        assert code == 1 and len(err.strip().splitlines()) == 1, argv
    assert not missing.exists()


@pytest.mark.parametrize("content", [b"hello, I am a text file\n", b"PK\x03\x04" + b"\x00" * 2000, b""])
def test_a_file_that_is_not_a_redstation_database(capsys, tmp_path, content):
    path = tmp_path / "not-a-db.xlsx"
    path.write_bytes(content + b"x")
    for argv in (["stats", "--json"], ["list", "residents"], ["check"], ["backup"], ["demo", "--households", "3"]):
        code, out, err = run(capsys, "--db", path, *argv)
        assert code == 1 and out == "", argv
        assert err.count("\n") == 1 and "Traceback" not in err and "not-a-db.xlsx" in err
    assert path.read_bytes() == content + b"x"


def test_newer_database_is_refused_by_every_command(capsys, db_path):
    run(capsys, "--db", db_path, "init", "--station-name", "站", "--community", "社区")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = {v}".format(v=db.SCHEMA_VERSION + 5))
    conn.commit()
    conn.close()
    for argv in (["stats"], ["list", "households"], ["check"], ["demo"]):
        code, _out, err = run(capsys, "--db", db_path, *argv)
        assert code == 1 and "更新版本" in err, argv


def test_default_database_lives_in_redstation_home(capsys, redstation_home):
    code, _out, _err = run(capsys, "init", "--station-name", "站", "--community", "社区")
    assert code == 0 and (redstation_home / "redstation.db").exists()


def test_backup_check_restore_round_trip(capsys, tmp_path, demo_db):
    work = tmp_path / "work.db"
    copy = tmp_path / "copy.db"
    assert run(capsys, "--db", demo_db, "backup", copy)[0] == 0
    code, out, _ = run(capsys, "--db", copy, "check")
    assert code == 0 and "完好" in out
    _c, before, _e = run(capsys, "--db", demo_db, "stats", "--json")
    code, out, _ = run(capsys, "--db", work, "restore", copy)
    assert code == 0
    assert run(capsys, "--db", work, "stats", "--json")[1] == before


def test_check_finds_an_altered_audit_log(capsys, tmp_path, demo_db):
    copy = tmp_path / "copy.db"
    run(capsys, "--db", demo_db, "backup", copy)
    conn = sqlite3.connect(copy)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq = 1")
    conn.commit()
    conn.close()
    code, _out, err = run(capsys, "--db", copy, "check")
    assert code == 1 and "审计日志" in err


def test_restore_refuses_a_bad_file_and_keeps_the_data(capsys, tmp_path, demo_db):
    work = tmp_path / "work.db"
    run(capsys, "--db", demo_db, "backup", work)
    _c, before, _e = run(capsys, "--db", work, "stats", "--json")
    junk = tmp_path / "junk.db"
    junk.write_text("garbage")
    code, _out, err = run(capsys, "--db", work, "restore", junk)
    assert code == 1 and "junk.db" in err
    assert run(capsys, "--db", work, "stats", "--json")[1] == before


def test_restore_is_refused_while_a_window_has_the_database_open(capsys, tmp_path, demo_db):
    from redstation.store.lock import DatabaseLock
    copy = tmp_path / "copy.db"
    run(capsys, "--db", demo_db, "backup", copy)
    _c, before, _e = run(capsys, "--db", demo_db, "stats", "--json")
    window = DatabaseLock.take(demo_db)          # what the open window holds
    try:
        code, out, err = run(capsys, "--db", demo_db, "restore", copy)
        assert code == 1 and out == "" and err.count("\n") == 1 and "已经在使用这个数据库" in err, err
        assert run(capsys, "--db", demo_db, "stats", "--json")[1] == before
        assert run(capsys, "--db", demo_db, "stats", "--json")[0] == 0   # reading beside the window is fine
    finally:
        window.release()
    assert run(capsys, "--db", demo_db, "restore", copy)[0] == 0


def test_the_installed_command_runs_as_a_separate_process(tmp_path):
    env = dict(os.environ, REDSTATION_HOME=str(tmp_path / "home"))
    path = tmp_path / "p.db"
    made = subprocess.run([sys.executable, "-m", "redstation", "--db", str(path), "demo", "--households", "20", "--seed", "3"],
                          capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    stats = subprocess.run([sys.executable, "-m", "redstation", "--db", str(path), "stats", "--json"],
                           capture_output=True, text=True, env=env)
    assert stats.returncode == 0 and json.loads(stats.stdout)["households"] == 20
    bad = subprocess.run([sys.executable, "-m", "redstation", "--db", str(tmp_path), "stats"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and bad.stderr.count("\n") == 1


def test_cli_does_not_load_qt():
    code = "import sys, redstation.cli; redstation.cli.main(['--version']); print('PySide6' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip().endswith("False")


def test_output_cut_short_by_a_pipe_is_not_an_error(tmp_path):
    """`redstation list residents --json | head -c 100`: exit 0, nothing on stderr, no error log."""
    path = tmp_path / "station.db"
    assert main(["--db", str(path), "demo", "--households", "400", "--seed", "2"]) == 0  # more than a pipe holds
    env = dict(os.environ, REDSTATION_HOME=str(tmp_path / "home"))
    command = [sys.executable, "-m", "redstation", "--db", str(path), "list", "residents", "--json"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout.read(100).startswith(b'{"items": [')
    proc.stdout.close()
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and err == b""
    assert not (tmp_path / "home" / "logs" / "cli-errors.log").exists()


def test_a_station_working_from_the_command_line_gets_its_daily_backup(capsys, tmp_path):
    from redstation.services.maintenance import AUTOMATIC, list_backups
    db = tmp_path / "cli.db"
    assert run(capsys, "--db", db, "init", "--station-name", "站", "--community", "社区")[0] == 0
    assert list_backups(db) == []                                    # a new, empty database: nothing to keep
    assert run(capsys, "--db", db, "demo", "--households", "5", "--seed", "1")[0] == 0
    assert [b.kind for b in list_backups(db)] == [AUTOMATIC]
    assert run(capsys, "--db", db, "stats")[0] == 0
    assert len(list_backups(db)) == 1                                 # at most one a day


def test_a_bug_is_one_line_for_the_user_and_a_traceback_in_a_log_that_never_grows_without_end(capsys, db_path,
                                                                                                redstation_home,
                                                                                                monkeypatch):
    from redstation import cli, paths
    run(capsys, "--db", db_path, "init", "--station-name", "站", "--community", "社区")
    monkeypatch.setitem(cli.COMMANDS, "stats", lambda args: 1 / 0)
    log = redstation_home / "logs" / "cli-errors.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("x" * (paths.LOG_BYTES + 1))
    code, out, err = run(capsys, "--db", db_path, "stats")
    assert code == 1 and out == "" and err.count("\n") == 1 and "ZeroDivisionError" in err and "Traceback" not in err
    assert "Traceback" in log.read_text() and log.stat().st_size < paths.LOG_BYTES
    assert log.with_name("cli-errors.log.1").stat().st_size == paths.LOG_BYTES + 1
