"""Data bundles between stations: round trip, idempotence, tampering, trust, tombstones, conflicts, convergence."""

import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redstation.cli import main
from redstation.services import demo, exchange, register, search, station
from redstation.services.session import Actor, Session
from redstation.store import records
from redstation.sync import bundle, merge
from redstation.sync.bundle import BundleError

from crashing import redstation_env, run_and_kill

def open_station(path: Path, name: str) -> Session:
    session = Session.open(path, Actor(None, name, "admin"))
    station.init_station(session, name, name + "社区")
    return session


def dump(session: Session) -> dict:
    """Every synchronised record, exactly (versions and vectors too), but the stations' own table."""
    found = {}
    for table in records.SYNCED_TABLES:
        if table == "stations":
            continue
        found[table] = [dict(r) for r in session.conn.execute("SELECT * FROM {t} ORDER BY id".format(t=table))]
    return found


def content(session: Session) -> dict:
    """The records as people see them: without version vectors (which record how they got there)."""
    return {t: [{k: v for k, v in row.items() if k != "vclock"} for row in rows] for t, rows in dump(session).items()}


def send(source: Session, target: Session, folder: Path, name: str, **kwargs) -> exchange.ImportResult:
    path = folder / (name + ".xlsx")
    exchange.export_bundle(source, path, since_peer=kwargs.pop("since", None))
    return exchange.import_bundle(target, path, trust=True, **kwargs)


@pytest.fixture
def two(tmp_path):
    a = Session.open(tmp_path / "a.db", Actor(None, "甲站管理员", "admin"))
    demo.generate(a, 25, seed=4)
    b = open_station(tmp_path / "b.db", "乙站")
    yield a, b
    a.close()
    b.close()


def resident_id(session) -> str:
    return session.conn.execute("SELECT id FROM residents WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]


def test_a_full_bundle_carries_every_record_exactly(two, tmp_path):
    a, b = two
    result = send(a, b, tmp_path, "full")
    counts = result.tally.as_json()
    assert counts["inserted"] + result.tally.tombstones == sum(len(rows) for rows in dump(a).values()) + 1  # + station
    assert dump(b) == dump(a)
    name = a.conn.execute("SELECT name FROM residents WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]
    assert name in [r["name"] for r in search.search(b, name)]                 # the search index knows them
    assert b.conn.execute("SELECT name FROM stations WHERE id = ?", (a.station_id,)).fetchone()[0] == a.station()["name"]
    assert exchange.peers(b.conn)[0]["station_id"] == a.station_id


def test_importing_again_or_an_older_bundle_changes_nothing(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "old.xlsx")
    exchange.import_bundle(b, tmp_path / "old.xlsx", trust=True)
    register.edit_resident(a, resident_id(a), {"phone": "13900001111"})
    send(a, b, tmp_path, "new")
    before = dump(b)
    again = exchange.import_bundle(b, tmp_path / "new.xlsx").tally
    older = exchange.import_bundle(b, tmp_path / "old.xlsx").tally
    assert again.inserted == again.updated == again.deleted == again.conflicts == 0
    assert older.inserted == older.updated == older.deleted == older.conflicts == 0
    assert dump(b) == before
    assert b.conn.execute("SELECT phone FROM residents WHERE id = ?", (resident_id(a),)).fetchone()[0] == "13900001111"


def test_a_dry_run_counts_and_keeps_nothing(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    before = dump(b)
    result = exchange.import_bundle(b, tmp_path / "x.xlsx", trust=True, dry_run=True)
    assert result.tally.inserted > 0 and result.backup is None
    assert dump(b) == before and exchange.peers(b.conn) == []


def test_deletions_travel_as_tombstones_and_stay_deleted(two, tmp_path):
    a, b = two
    send(a, b, tmp_path, "first")
    gone = resident_id(a)
    exchange.export_bundle(a, tmp_path / "stale.xlsx")
    register.remove_resident(a, gone)
    result = send(a, b, tmp_path, "delete", since=b.station_id)
    assert result.tally.deleted == 1
    assert b.conn.execute("SELECT deleted FROM residents WHERE id = ?", (gone,)).fetchone()[0] == 1
    exchange.import_bundle(b, tmp_path / "stale.xlsx")          # an older copy does not bring it back
    assert b.conn.execute("SELECT deleted FROM residents WHERE id = ?", (gone,)).fetchone()[0] == 1


def test_changes_since_the_last_bundle_carry_what_they_refer_to(two, tmp_path):
    a, b = two
    first = send(a, b, tmp_path, "first", since=b.station_id)      # the first one for b: everything
    assert first.tally.inserted > 70
    household = a.conn.execute("SELECT household_id FROM residents WHERE deleted = 0 LIMIT 1").fetchone()[0]
    new = register.create_resident(a, household, {"name": "新来的"})
    made = exchange.export_bundle(a, tmp_path / "since.xlsx", since_peer=b.station_id)
    assert made["counts"]["residents"] == 1 and made["counts"]["households"] == 1
    assert made["counts"]["visits"] == 0
    fresh = open_station(tmp_path / "c.db", "丙站")                  # importable on its own, anywhere
    exchange.import_bundle(fresh, tmp_path / "since.xlsx", trust=True)
    assert fresh.conn.execute("SELECT name FROM residents WHERE id = ?", (new,)).fetchone()[0] == "新来的"
    assert fresh.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    nothing = exchange.export_bundle(a, tmp_path / "nothing.xlsx", since_peer=b.station_id)
    assert nothing["counts"]["residents"] == 0


def test_a_change_from_a_third_station_travels_on_even_when_its_clock_is_behind(tmp_path):
    a, b, c = (open_station(tmp_path / "{n}.db".format(n=n), n + "站") for n in "甲乙丙")
    household = register.create_household(c, {"estate": "阳光花园", "building": "1", "room": "101"})
    send(a, b, tmp_path, "a-b")                     # b's mark for a is set now
    send(c, a, tmp_path, "c-a")                     # a receives c's record afterwards
    made = exchange.export_bundle(a, tmp_path / "a-b2.xlsx", since_peer=b.station_id)
    assert made["counts"]["households"] == 1
    exchange.import_bundle(b, tmp_path / "a-b2.xlsx", trust=True)
    assert register.household(b.conn, household) is not None


def test_a_record_changed_at_both_stations_keeps_the_later_and_the_loser(two, tmp_path):
    a, b = two
    send(a, b, tmp_path, "first")
    rid = resident_id(a)
    register.edit_resident(b, rid, {"phone": "13900000002"})
    register.edit_resident(a, rid, {"phone": "13900000001"})       # the later change
    result = send(b, a, tmp_path, "b-a")
    assert result.tally.conflicts == 1
    assert a.conn.execute("SELECT phone FROM residents WHERE id = ?", (rid,)).fetchone()[0] == "13900000001"
    kept = exchange.conflicts(a.conn)
    assert len(kept) == 1 and kept[0]["loser"]["phone"] == "13900000002" and kept[0]["differs"] == ["phone"]
    send(a, b, tmp_path, "a-b", since=b.station_id)
    assert content(a)["residents"] == content(b)["residents"]       # the same winner at both
    exchange.resolve_conflict(a, kept[0]["id"], take_loser=True)     # the administrator takes the other
    assert a.conn.execute("SELECT phone FROM residents WHERE id = ?", (rid,)).fetchone()[0] == "13900000002"
    assert exchange.conflicts(a.conn) == []
    send(a, b, tmp_path, "a-b2", since=b.station_id)
    assert b.conn.execute("SELECT phone FROM residents WHERE id = ?", (rid,)).fetchone()[0] == "13900000002"
    with pytest.raises(Exception, match="已处理"):
        exchange.resolve_conflict(a, kept[0]["id"], take_loser=False)


def test_a_change_made_after_seeing_the_other_is_no_conflict(two, tmp_path):
    a, b = two
    send(a, b, tmp_path, "first")
    rid = resident_id(a)
    register.edit_resident(a, rid, {"phone": "13900000001"})
    register.edit_resident(a, rid, {"notes": "二次修改"})             # several changes before the next bundle
    send(a, b, tmp_path, "a-b", since=b.station_id)
    register.edit_resident(b, rid, {"phone": "13900000003"})        # b changes it knowing a's change
    result = send(b, a, tmp_path, "b-a")
    assert result.tally.conflicts == 0 and result.tally.updated >= 1
    assert a.conn.execute("SELECT phone, notes FROM residents WHERE id = ?", (rid,)).fetchone()[:] == ("13900000003", "二次修改")


# --- refusals ---------------------------------------------------------------------------------------------------

def refused(b, path, match, **kwargs):
    before = dump(b)
    with pytest.raises(BundleError, match=match):
        exchange.import_bundle(b, path, **kwargs)
    assert dump(b) == before


def test_an_untrusted_station_is_refused_until_trusted_then_its_key_is_pinned(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    refused(b, tmp_path / "x.xlsx", "尚未信任")
    exchange.import_bundle(b, tmp_path / "x.xlsx", trust=True)
    impostor = open_station(tmp_path / "i.db", "冒充站")
    impostor.conn.execute("UPDATE stations SET id = ? WHERE id = ?", (a.station_id, impostor.station_id))
    records.set_setting(impostor.conn, "station_id", a.station_id)
    exchange.export_bundle(impostor, tmp_path / "fake.xlsx")
    refused(b, tmp_path / "fake.xlsx", "密钥与之前信任的不同", trust=True)


def tamper_cell(source: Path, target: Path, sheet: str, row: int, column: int, value) -> None:
    book = openpyxl.load_workbook(source)
    book[sheet].cell(row, column).value = value
    book.save(target)


def test_a_changed_cell_is_refused(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    tamper_cell(tmp_path / "x.xlsx", tmp_path / "t.xlsx", "居民", 3, 6, "篡改")
    refused(b, tmp_path / "t.xlsx", "被改动过", trust=True)


def test_a_changed_manifest_is_refused(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    sheet = book["清单"]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 3).value == "station_name")
    sheet.cell(row, 2).value = "别的站"
    book.save(tmp_path / "t.xlsx")
    refused(b, tmp_path / "t.xlsx", "^(?!.*别的站).*签名不符", trust=True)    # the forged name is not repeated


def test_a_removed_row_is_refused(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    book["走访记录"].delete_rows(3)
    book.save(tmp_path / "t.xlsx")
    refused(b, tmp_path / "t.xlsx", "文件中却有 .* 行：已被改动", trust=True)


def test_a_bundle_opened_and_saved_unchanged_still_verifies(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    openpyxl.load_workbook(tmp_path / "x.xlsx").save(tmp_path / "resaved.xlsx")
    assert exchange.import_bundle(b, tmp_path / "resaved.xlsx", trust=True).tally.inserted > 0


@pytest.mark.parametrize("make, match", [
    (lambda p: p.write_text("not a workbook"), "不是数据包"),
    (lambda p: p.write_bytes(b""), "不是数据包"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("xl/vbaProject.bin", b"macro"), "不应有的部分"),
    (lambda p: zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED).writestr("xl/sharedStrings.xml", b"\0" * (50 * 1024 ** 2)),
     "压缩炸弹"),
    (lambda p: zipfile.ZipFile(p, "w").writestr("[Content_Types].xml", b"<Types/>"), "不是数据包|已损坏"),
])
def test_bad_files_are_refused_before_parsing(two, tmp_path, make, match):
    _a, b = two
    path = tmp_path / "bad.xlsx"
    make(path)
    refused(b, path, match, trust=True)


def test_a_password_protected_bundle(two, tmp_path):
    a, b = two
    exchange.export_bundle(a, tmp_path / "p.xlsx", password="秘密123")
    assert (tmp_path / "p.xlsx").read_bytes().startswith(bundle.OLE_MAGIC)   # no readable zip inside
    refused(b, tmp_path / "p.xlsx", "有密码保护", trust=True)
    refused(b, tmp_path / "p.xlsx", "密码不对", trust=True, password="wrong")
    assert exchange.import_bundle(b, tmp_path / "p.xlsx", trust=True, password="秘密123").tally.inserted > 0


# --- the command line ---------------------------------------------------------------------------------------------

def test_cli_export_and_import_bundle_json_and_exit_codes(tmp_path, capsys, monkeypatch):
    a_db, b_db = tmp_path / "a.db", tmp_path / "b.db"
    assert main(["--db", str(a_db), "demo", "--households", "10", "--seed", "3"]) == 0
    assert main(["--db", str(b_db), "init", "--station-name", "乙站", "--community", "乙社区"]) == 0
    capsys.readouterr()
    assert main(["--db", str(a_db), "export-bundle", str(tmp_path / "a.xlsx")]) == 0
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "a.xlsx"), "--json"]) == 1
    assert "尚未信任" in capsys.readouterr().err
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "a.xlsx"), "--trust", "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert {"inserted", "updated", "unchanged", "deleted", "conflicts"} <= set(dry) and dry["inserted"] > 0
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "a.xlsx"), "--trust", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["inserted"] == dry["inserted"] and done["conflicts"] == 0
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "a.xlsx"), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["inserted"] == again["updated"] == 0 and again["unchanged"] == done["inserted"]
    monkeypatch.setenv("REDSTATION_BUNDLE_PASSWORD", "口令")
    assert main(["--db", str(a_db), "export-bundle", str(tmp_path / "p.xlsx"), "--password"]) == 0
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "p.xlsx"), "--password", "--json"]) == 0
    assert main(["--db", str(a_db), "export-bundle", str(tmp_path / "s.xlsx"), "--since-last", " "]) == 1
    assert main(["--db", str(a_db), "export-bundle", str(tmp_path / "s.xlsx"), "--since-last", ""]) == 1
    assert not (tmp_path / "s.xlsx").exists()
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "missing.xlsx")]) == 1
    capsys.readouterr()
    assert main(["--db", str(b_db), "import-bundle", str(tmp_path / "a.xlsx")]) == 0   # plain words name the id to use
    with Session.open(a_db, Actor.command_line()) as a:
        a_id = a.station_id
    out = capsys.readouterr().out
    assert "--since-last" in out and a_id in out


def test_a_bundle_password_with_no_terminal_to_type_it_says_how(tmp_path):
    env = {k: v for k, v in redstation_env(tmp_path / "home").items() if k != "REDSTATION_BUNDLE_PASSWORD"}
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "init", "--station-name", "甲站", "--community", "甲社区"]) == 0
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "redstation", "--db", str(db), "export-bundle", str(tmp_path / "p.xlsx"),
                           "--password"], capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env, timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "REDSTATION_BUNDLE_PASSWORD" in done.stderr
    assert "内部错误" not in done.stderr and not (tmp_path / "p.xlsx").exists()


# --- convergence --------------------------------------------------------------------------------------------------

OPS = st.lists(st.tuples(st.sampled_from(["edit", "move", "delete", "add", "send"]), st.integers(0, 2),
                         st.integers(0, 2), st.integers(0, 9)), min_size=4, max_size=18)


def vector(session: Session, record_id: str) -> dict:
    return records.vclock_of(session.conn.execute("SELECT * FROM residents WHERE id = ?", (record_id,)).fetchone())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(OPS)
def test_any_order_of_exchanges_converges_and_keeps_every_losing_version(tmp_path_factory, ops):
    folder = tmp_path_factory.mktemp("converge")
    stations = [open_station(folder / "{n}.db".format(n=n), "站{n}".format(n=n)) for n in range(3)]
    first = stations[0]
    households = [register.create_household(first, {"estate": "阳光花园", "building": "1", "room": str(101 + n)})
                  for n in range(2)]
    people = [register.create_resident(first, households[n % 2], {"name": "居民{n}".format(n=n)}) for n in range(3)]
    for s in stations:                        # everyone knows everyone, and has the first station's records
        for t in stations:
            if s is not t:
                send(t, s, folder, "hello")
    written: list[tuple[str, str, dict]] = []     # (record id, version, vector) of every change made
    for step, (op, at, to, n) in enumerate(ops):
        here = stations[at]
        if op == "send":
            if at != to:
                send(here, stations[to], folder, "op{step}".format(step=step), since=stations[to].station_id)
            continue
        person = people[n % len(people)]
        alive = here.conn.execute("SELECT deleted FROM residents WHERE id = ?", (person,)).fetchone()
        if alive is None or alive[0]:
            continue
        if op == "edit":
            register.edit_resident(here, person, {"notes": "第{step}次修改于{at}".format(step=step, at=at)})
        elif op == "move":
            register.edit_resident(here, person, {"household_id": households[n % 2]})
        elif op == "delete":
            register.remove_resident(here, person)
        elif op == "add":
            person = register.create_resident(here, households[n % 2], {"name": "新人{step}".format(step=step)})
            people.append(person)
        row = here.conn.execute("SELECT version FROM residents WHERE id = ?", (person,)).fetchone()
        written.append((person, row[0], vector(here, person)))
    for _round in range(2):                  # at the end everyone sends what changed to everyone, twice
        for s in stations:
            for t in stations:
                if s is not t:
                    send(s, t, folder, "final", since=t.station_id)
    views = [content(s) for s in stations]
    assert views[0] == views[1] == views[2]
    final = {row["id"]: row["version"] for row in views[0]["residents"]}
    kept = {(c["record_id"], c["loser_version"]) for s in stations for c in exchange.conflicts(s.conn, open_only=False)}
    for record_id, version, clock in written:
        if version == final[record_id]:
            continue
        # overwritten knowingly: a later change was made by a station whose vector covered this one
        known = any(rid == record_id and v != version and merge.covers(c, clock) for rid, v, c in written)
        assert known or (record_id, version) in kept, (record_id, version)
    for s in stations:
        s.close()


def test_the_database_file_survives_a_copy_of_the_bundle_folder(two, tmp_path):
    """A bundle copied elsewhere (a USB stick) imports the same: nothing depends on its path."""
    a, b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    stick = tmp_path / "stick"
    stick.mkdir()
    shutil.copy(tmp_path / "x.xlsx", stick / "从甲站拷来的.xlsx")
    assert exchange.import_bundle(b, stick / "从甲站拷来的.xlsx", trust=True).tally.inserted > 0


def test_a_power_cut_during_an_import_leaves_all_of_it_or_none(tmp_path):
    """kill -9 at different moments of an import: every time the database has everything or nothing, and checks out."""
    source, bundle_path = tmp_path / "source.db", tmp_path / "big.xlsx"
    assert main(["--db", str(source), "demo", "--households", "300", "--seed", "5"]) == 0
    assert main(["--db", str(source), "export-bundle", str(bundle_path)]) == 0
    target = tmp_path / "target.db"
    assert main(["--db", str(target), "init", "--station-name", "乙站", "--community", "乙社区"]) == 0
    with Session.open(source, Actor.command_line()) as s:
        everything = sum(s.conn.execute("SELECT count(*) FROM {t}".format(t=t)).fetchone()[0]
                         for t in records.SYNCED_TABLES if t != "stations")
    env = redstation_env(tmp_path / "home")
    outcomes = set()
    for delay in (0.15, 0.3, 0.45, 0.6, 0.8, 1.2, 3.0):
        copy = tmp_path / "t{d}.db".format(d=int(delay * 100))
        shutil.copy(target, copy)
        run_and_kill(["--db", copy, "import-bundle", bundle_path, "--trust"], delay, env)
        with Session.open(copy, Actor.command_line()) as s:
            got = sum(s.conn.execute("SELECT count(*) FROM {t}".format(t=t)).fetchone()[0]
                      for t in records.SYNCED_TABLES if t != "stations")
        assert got in (0, everything), delay
        outcomes.add(got)
        assert main(["--db", str(copy), "check"]) == 0
    assert everything in outcomes   # the slowest import finished


def test_a_street_office_sees_each_station_apart_and_in_total(two, tmp_path):
    import subprocess
    from datetime import datetime
    from redstation.printing import report
    from redstation.services import evaluation
    a, b = two
    street = open_station(tmp_path / "street.db", "幸福街道办")
    send(a, street, tmp_path, "a")
    household = register.create_household(b, {"estate": "乙小区", "building": "1", "room": "101"})
    register.create_resident(b, household, {"name": "乙站居民"})
    send(b, street, tmp_path, "b")
    origins = {item["name"]: item for item in exchange.by_origin(street.conn)}
    assert origins["乙站"]["households"] == 1 and origins[a.station()["name"]]["households"] == 25
    month = datetime.now().strftime("%Y-%m")
    result = evaluation.monthly(street.conn, month)
    assert {a.station()["name"], "乙站"} <= set(result["stations"])
    assert result["station"]["tickets"]["total"] == sum(s["tickets"]["total"] for s in result["stations"].values())
    from python_calamine import CalamineWorkbook
    from redstation.excel import ledger_export
    ledger_export.export_ledger(street, tmp_path / "street.xlsx")
    residents = CalamineWorkbook.from_path(str(tmp_path / "street.xlsx")).get_sheet_by_name("居民").to_python()
    header = residents[1]
    assert header[:2] == ["序号", "服务站"]
    assert {row[1] for row in residents[2:]} == {a.station()["name"], "乙站"}
    report.monthly_report(street, month, tmp_path / "street.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "street.pdf"), "-"], capture_output=True, text=True).stdout
    assert "各服务站考评情况" in text and "乙站" in text


def test_a_clerk_opening_the_bundle_sees_chinese_headers_on_every_sheet(two, tmp_path):
    from python_calamine import CalamineWorkbook
    a, _b = two
    exchange.export_bundle(a, tmp_path / "x.xlsx")
    book = CalamineWorkbook.from_path(str(tmp_path / "x.xlsx"))
    residents = book.get_sheet_by_name("居民").to_python()
    header, machine = residents[0], residents[1]
    assert "name" in machine and "id_number" in machine
    assert header[machine.index("name")] == "姓名"
    for sheet in bundle.SHEETS.values():
        rows = book.get_sheet_by_name(sheet).to_python()
        assert all(rows[0][n] not in ("", None) for n in range(len(rows[1]))), sheet


@pytest.mark.parametrize("take_loser", [True, False])
def test_a_conflict_settled_at_one_station_is_settled_at_the_other_by_the_next_bundle(two, tmp_path, take_loser):
    a, b = two
    send(a, b, tmp_path, "first")
    rid = resident_id(a)
    register.edit_resident(b, rid, {"phone": "13900000002"})
    register.edit_resident(a, rid, {"phone": "13900000001"})
    exchange.export_bundle(a, tmp_path / "a.xlsx", since_peer=b.station_id)   # both made before either imports
    exchange.export_bundle(b, tmp_path / "b.xlsx", since_peer=a.station_id)
    exchange.import_bundle(a, tmp_path / "b.xlsx", trust=True)
    exchange.import_bundle(b, tmp_path / "a.xlsx", trust=True)
    (at_a,), (at_b,) = exchange.conflicts(a.conn), exchange.conflicts(b.conn)   # each station sees it
    exchange.resolve_conflict(a, at_a["id"], take_loser=take_loser)
    send(a, b, tmp_path, "settled", since=b.station_id)
    assert exchange.conflicts(b.conn) == []                                   # nothing left to decide at b
    settled = b.conn.execute("SELECT resolution, resolved_by FROM sync_conflicts WHERE id = ?", (at_b["id"],)).fetchone()
    assert settled[0] == ("taken" if take_loser else "kept") and a.station()["name"] in settled[1]
    assert content(a)["residents"] == content(b)["residents"]
    phone = b.conn.execute("SELECT phone FROM residents WHERE id = ?", (rid,)).fetchone()[0]
    assert phone == ("13900000002" if take_loser else "13900000001")


def test_a_later_edit_that_settles_nothing_leaves_the_conflict_open(two, tmp_path):
    a, b = two
    send(a, b, tmp_path, "first")
    rid = resident_id(a)
    register.edit_resident(b, rid, {"phone": "13900000002"})
    register.edit_resident(a, rid, {"phone": "13900000001"})
    exchange.export_bundle(a, tmp_path / "a.xlsx", since_peer=b.station_id)
    exchange.export_bundle(b, tmp_path / "b.xlsx", since_peer=a.station_id)
    exchange.import_bundle(a, tmp_path / "b.xlsx", trust=True)
    exchange.import_bundle(b, tmp_path / "a.xlsx", trust=True)
    register.edit_resident(a, rid, {"notes": "另一处修改"})
    send(a, b, tmp_path, "later", since=b.station_id)
    assert len(exchange.conflicts(b.conn)) == 1
