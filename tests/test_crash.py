"""A power cut at any moment of a ledger import: kill -9 at random moments, many times, and check every time.

The import runs as ``python -m redstation import-ledger`` on a copy of a station that already
holds a register; it is killed with SIGKILL at seeded random moments spread over the time a
whole import takes (measured first, on this machine). After each kill the database must
open, pass SQLite's ``quick_check``, the foreign-key check and the audit chain
(``maintenance.problems``), and hold all of the import or none of it: the residents and
households before it or before plus the import's, the residents it updates all old or all
new, one ``ledger.import`` audit entry or none. The rejects workbook, written within the
import, is either absent or whole.
"""

import json
import random
import shutil
import sqlite3
from pathlib import Path

import openpyxl
import python_calamine

from redstation.cli import main
from redstation.services import maintenance
from redstation.services.session import Actor, Session

from benchmarks.bench import LEDGER_HEADERS, build_ledger
from crashing import redstation_env, run_and_kill

ROWS = 4000          # a ledger that takes a few seconds to import
KILLS = 16
NEAR_THE_END = 4     # more kills in the last 15% of the import: the backup before it, the commit
SEED = 20261124
UPDATED = 12         # residents of the register the ledger gives a new phone


def ledger(path: Path, base: Path) -> tuple[Path, dict[str, tuple[str, str]]]:
    """The street-office ledger of the benchmarks, plus rows updating residents of ``base`` and rows to reject.

    Returns the ledger and {id number: (phone before, phone after)} of the updated residents.
    """
    build_ledger(path, ROWS, seed=3)
    conn = sqlite3.connect(base)
    people = conn.execute("SELECT name, id_number, phone FROM residents WHERE deleted = 0 AND id_number IS NOT NULL "
                          "AND phone <> '' ORDER BY id LIMIT ?", (UPDATED,)).fetchall()
    conn.close()
    assert len(people) == UPDATED
    book = openpyxl.load_workbook(path)
    sheet = book.active
    column = {header: n for n, header in enumerate(LEDGER_HEADERS)}
    phones = {}
    for n, (name, number, phone) in enumerate(people):
        new = "139{n:08d}".format(n=n + 1)
        phones[number] = (phone, new)
        row = [""] * len(LEDGER_HEADERS)
        row[column["姓名"]], row[column["公民身份号码"]], row[column["联系电话"]] = name, number, new
        sheet.append(row)
    for n in range(5):   # rejected: a phone cell holding nothing but a wrong number
        row = [""] * len(LEDGER_HEADERS)
        row[column["姓名"]], row[column["联系电话"]] = "退回{n}".format(n=n), "12345"
        row[column["小区"]], row[column["楼栋"]], row[column["房号"]] = "阳光花园", "88", str(101 + n)
        sheet.append(row)
    book.save(path)
    return path, phones


def state(db: Path, phones: dict) -> dict:
    with Session.open(db, Actor.command_line()) as session:
        conn = session.conn
        found = {"problems": maintenance.problems(conn)}
        for table in ("residents", "households"):
            found[table] = conn.execute("SELECT count(*) FROM {t} WHERE deleted = 0".format(t=table)).fetchone()[0]
        found["audit"] = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'ledger.import'").fetchone()[0]
        found["phones"] = {number: conn.execute("SELECT phone FROM residents WHERE id_number = ?", (number,)).fetchone()[0]
                           for number in phones}
    return found


def test_a_ledger_import_killed_at_random_moments_leaves_all_of_it_or_none(tmp_path, capsys):
    base = tmp_path / "base.db"
    assert main(["--db", str(base), "demo", "--households", "20", "--seed", "7"]) == 0
    path, phones = ledger(tmp_path / "台账.xlsx", base)
    env = redstation_env(tmp_path / "home")
    before = state(base, phones)
    assert before["problems"] == [] and before["audit"] == 0
    assert before["phones"] == {number: old for number, (old, _new) in phones.items()}

    # the whole import, once, to know what it does and how long it takes
    whole = tmp_path / "whole.db"
    shutil.copy(base, whole)
    killed, duration = run_and_kill(["--db", whole, "import-ledger", path, "--rejects", tmp_path / "whole-rejects.xlsx"],
                                    600, env)
    assert not killed
    after = state(whole, phones)
    assert after["problems"] == [] and after["audit"] == 1
    assert after["residents"] - before["residents"] >= ROWS - 50 and after["households"] > before["households"]
    assert after["phones"] == {number: new for number, (_old, new) in phones.items()}
    rejected = len(python_calamine.CalamineWorkbook.from_path(str(tmp_path / "whole-rejects.xlsx"))
                   .get_sheet_by_index(0).to_python()) - 1
    assert rejected == 5

    rng = random.Random(SEED)
    delays = [(n + rng.random()) * duration / KILLS for n in range(KILLS)]   # one in each sixteenth of the import,
    delays += [duration * (0.85 + 0.15 * rng.random()) for _n in range(NEAR_THE_END)]   # more about the commit
    outcomes = []
    for n, delay in enumerate(delays):
        copy, rejects = tmp_path / "killed{n}.db".format(n=n), tmp_path / "退回{n}.xlsx".format(n=n)
        shutil.copy(base, copy)
        killed, _ran = run_and_kill(["--db", copy, "import-ledger", path, "--rejects", rejects], delay, env)
        found = state(copy, phones)
        assert found["problems"] == [], (delay, found["problems"])
        assert found == before or found == after, (delay, {k: (found[k], before[k], after[k]) for k in found})
        if rejects.exists():   # written within the import: whole, or not there at all
            rows = python_calamine.CalamineWorkbook.from_path(str(rejects)).get_sheet_by_index(0).to_python()
            assert len(rows) - 1 == rejected
        outcomes.append("none" if found == before else "all")
        copy.unlink()
    assert outcomes[0] == "none" and outcomes[:KILLS].count("none") >= KILLS // 2, outcomes   # most before the commit
    # the database a kill left takes the whole import afterwards, and a second one changes nothing
    again = tmp_path / "again.db"
    shutil.copy(base, again)
    assert run_and_kill(["--db", again, "import-ledger", path], duration / 2, env)[0]
    capsys.readouterr()
    assert main(["--db", str(again), "import-ledger", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == after["residents"] - before["residents"]
    assert state(again, phones) == after
    assert main(["--db", str(again), "import-ledger", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["imported"] == result["updated"] == 0 and state(again, phones) == dict(after, audit=2)
