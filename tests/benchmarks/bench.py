"""make bench: demo generation and full-table reads at street-office size, each beside a baseline
measured in the same run on the same machine, printed as a ratio.

  demo generation  vs  raw sqlite3 executemany of the very same rows into an empty copy of the schema
  full-table read  vs  a bare SELECT * ... fetchall() of the same table
  window start     vs  a Python process that shows an empty Qt widget (both offscreen, from process start
                       until the dashboard shows its counts)
  search           vs  a plain LIKE '%…%' scan over residents.name / phone / id_number (95th percentile of
                       200 queries of each kind drawn from the data), at street scale, and the time to build
                       the search index for all residents

  ledger import    vs  reading the same workbook with python-calamine alone (a 100,000-row ledger with a title
                       row, merged cells and mixed date formats, built with xlsxwriter); peak memory of the import
                       in its own process against the 500 MB target
  ledger export    vs  openpyxl's write-only mode writing the very same cells

BENCH_LEDGER_ROWS (default 100000) sets the ledger's rows; BENCH_ONLY=ledger runs only the ledger benchmarks.

  export-bundle    vs  openpyxl's write-only mode writing the very same cells (a full bundle of a station of
                       BENCH_SYNC_HOUSEHOLDS (5000) households of demo data, its visits copied back in time to
                       BENCH_SYNC_VISITS (100000)); peak memory in its own process
  import-bundle    vs  python-calamine reading every sheet of the same bundle; into an empty station, peak memory
  street office    BENCH_SYNC_STATIONS (50) such bundles of different stations merged into one database, one
                       after the other in one process: seconds and peak memory against the 500 MB target. The 50
                       are one station's bundle re-keyed: every UUID replaced by one of its own per station (ids,
                       origins, versions, version vectors, references), station name, code and ticket numbers
                       changed, signed with a new key each, so each is a station of its own that nobody has
                       seen (50 demo stations would take 25 minutes more to generate and export). BENCH_SYNC_DIR
                       keeps the station database and the bundles for the next run. BENCH_ONLY=sync runs only these.
BENCH_HOUSEHOLDS (default 50000) sets the size; BENCH_SEARCH_HOUSEHOLDS (default 250000: a street office,
about 670,000 residents of demo data; 280000 makes 750,000) the size of the search benchmark, which reuses the
database above when it is big enough, else generates one (kept for the next run when BENCH_SEARCH_DB names a
file); BENCH_ONLY=search runs only the search benchmarks.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redstation.domain import pinyin
from redstation.services import demo
from redstation.services import search as search_service
from redstation.services.session import Actor, Session
from redstation.store import db, queries, records

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "50000"))
SEARCH_HOUSEHOLDS = int(os.environ.get("BENCH_SEARCH_HOUSEHOLDS", "250000"))
SEARCH_DB = os.environ.get("BENCH_SEARCH_DB")
SEARCH_QUERIES = 200
SEARCH_TARGET_MS = 50


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def write_with_openpyxl(sheets: dict[str, list], out: Path) -> None:
    """The baseline of writing workbooks: the same cells with openpyxl's write-only mode."""
    from openpyxl import Workbook
    target = Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = target.create_sheet(name)
        for values in rows:
            ws.append(values)
    target.save(out)


def row(name: str, seconds: float, baseline_name: str, baseline: float, extra: str = "") -> None:
    print("{name:<34} {s:8.2f} s   {bname:<40} {b:8.2f} s   ratio {r:5.1f}x  {extra}".format(
        name=name, s=seconds, bname=baseline_name, b=baseline, r=seconds / baseline if baseline else float("inf"), extra=extra))


WINDOW_START = """
import sys
from redstation.gui.app import create_application
from redstation.gui.main_window import build_main_window
from redstation.services import users
from redstation.services.session import Actor, Session
app = create_application([])
session = Session.open(sys.argv[1], Actor(None, "bench", "viewer"), create=False)
session.actor = users.first_admin(session)
window = build_main_window(session)
window.show()
while window.dashboard.counts is None:
    app.processEvents()
window.taskman.shutdown()
"""
EMPTY_WIDGET = """
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
widget.show()
app.processEvents()
"""


def process_seconds(code: str, *args: str) -> float:
    """Best of three: from starting a Python process to its end."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    best = float("inf")
    for _attempt in range(3):
        seconds, _ = timed(lambda: subprocess.run([sys.executable, "-c", code, *args], env=env, check=True))
        best = min(best, seconds)
    return best


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="redstation-bench-"))
    os.environ["REDSTATION_HOME"] = str(folder / "home")
    try:
        if os.environ.get("BENCH_ONLY") == "search":
            bench_search(folder, folder / "none.db")
        elif os.environ.get("BENCH_ONLY") == "ledger":
            bench_ledger(folder)
        elif os.environ.get("BENCH_ONLY") == "sync":
            bench_sync(folder)
        else:
            bench_all(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # databases and workbooks of a few GB
    return 0


def bench_all(folder: Path) -> None:
    path = folder / "demo.db"
    print("RedStation benchmarks, {n:,} households, Python {v}, SQLite {s}".format(
        n=HOUSEHOLDS, v=sys.version.split()[0], s=sqlite3.sqlite_version))

    with Session.open(path, Actor.command_line()) as session:
        seconds, made = timed(lambda: demo.generate(session, HOUSEHOLDS, seed=1))
    source = sqlite3.connect(path)
    tables = [t for t in records.SYNCED_TABLES + ("users",)]
    data = {t: source.execute("SELECT * FROM {t}".format(t=t)).fetchall() for t in tables}
    total = sum(len(rows) for rows in data.values())

    copy_path = folder / "raw.db"
    raw = db.connect(copy_path)  # same schema, same pragmas (WAL, synchronous=FULL, foreign keys)

    def raw_insert():
        raw.execute("BEGIN")
        for table, rows in data.items():
            if rows:
                raw.executemany("INSERT INTO {t} VALUES ({m})".format(t=table, m=",".join("?" * len(rows[0]))), rows)
        raw.execute("COMMIT")

    baseline, _ = timed(raw_insert)
    row("demo --households {n}".format(n=HOUSEHOLDS), seconds, "raw executemany of the same rows", baseline,
        "({total:,} rows; {r:,} residents, {v:,} visits, {t:,} tickets)".format(
            total=total, r=made["residents"], v=made["visits"], t=made["tickets"]))

    conn = db.connect(path)
    for kind in ("households", "residents", "visits"):
        seconds, count = timed(lambda: sum(1 for _ in queries.list_records(conn, kind)))
        baseline, _ = timed(lambda: conn.execute("SELECT * FROM {t}".format(t=kind)).fetchall())
        row("list {kind} (full table)".format(kind=kind), seconds, "SELECT * FROM {kind} fetchall".format(kind=kind),
            baseline, "({c:,} rows)".format(c=count))
    seconds, _ = timed(lambda: queries.stats(conn))
    baseline, _ = timed(lambda: conn.execute("SELECT count(*) FROM residents").fetchone())
    row("stats (dashboard counts)", seconds, "SELECT count(*) FROM residents", baseline)
    row("window start until counts shown", process_seconds(WINDOW_START, str(path)),
        "empty Qt widget in a new process", process_seconds(EMPTY_WIDGET), "(target: under 1.5 s)")
    print("database {size:.0f} MB in {path}".format(size=path.stat().st_size / 1e6, path=path))
    conn.close()
    bench_search(folder, path)
    bench_ledger(folder)
    bench_sync(folder)


# ---- search ----------------------------------------------------------------------------------------

def _first_reading(name: str) -> list[str]:
    return [r[0] for r in (pinyin.readings(c) for c in name) if r]


def _substring(rng: random.Random, name: str, size: int) -> str | None:
    if len(name) < size:
        return None
    start = rng.randrange(len(name) - size + 1)
    return name[start:start + size]


def _prefix(rng: random.Random, name: str) -> str | None:
    """zhangch: the full pinyin as typed so far, at least one letter past the surname."""
    syllables = _first_reading(name)
    full = "".join(syllables)
    return full[:rng.randint(len(syllables[0]) + 1, len(full))] if len(syllables) > 1 else None


# kind -> (make a query from a resident row, baseline SQL with its LIKE pattern)
_NAME_SCAN = "SELECT id FROM residents WHERE deleted = 0 AND name LIKE ? LIMIT 20"
SEARCH_KINDS = {
    "name, 1 character": (lambda rng, r: _substring(rng, r["name"], 1), _NAME_SCAN, "%{q}%"),
    "name, 2 characters": (lambda rng, r: _substring(rng, r["name"], 2), _NAME_SCAN, "%{q}%"),
    "name, 3 characters": (lambda rng, r: _substring(rng, r["name"], 3), _NAME_SCAN, "%{q}%"),
    "pinyin initials (zcs)": (lambda rng, r: "".join(s[0] for s in _first_reading(r["name"])), _NAME_SCAN, "%{q}%"),
    "full pinyin prefix (zhangch)": (lambda rng, r: _prefix(rng, r["name"]), _NAME_SCAN, "%{q}%"),
    "phone tail (5678)": (lambda rng, r: r["phone"][-4:] or None,
                          "SELECT id FROM residents WHERE deleted = 0 AND phone LIKE ? LIMIT 20", "%{q}"),
    "id tail (123X)": (lambda rng, r: (r["id_number"] or "")[-4:] or None,
                       "SELECT id FROM residents WHERE deleted = 0 AND id_number LIKE ? LIMIT 20", "%{q}"),
    "building-room (3-304)": (lambda rng, r: "{b}-{r}".format(b=r["building"], r=r["room"]),
                              "SELECT id FROM households WHERE deleted = 0 AND building || '-' || room LIKE ? LIMIT 20", "{q}%"),
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timings(fn, queries_: list[str]) -> list[float]:
    found = []
    for q in queries_:
        start = time.perf_counter()
        fn(q)
        found.append((time.perf_counter() - start) * 1000)
    return found


def bench_search(folder: Path, path: Path) -> None:
    if HOUSEHOLDS >= SEARCH_HOUSEHOLDS and path.exists():
        search_path = path
    else:
        search_path = Path(SEARCH_DB) if SEARCH_DB else folder / "search.db"
        if not search_path.exists():
            with Session.open(search_path, Actor.command_line()) as session:
                seconds, _ = timed(lambda: demo.generate(session, SEARCH_HOUSEHOLDS, seed=2))
            print("search database: demo --households {n} in {s:.0f} s".format(n=SEARCH_HOUSEHOLDS, s=seconds))
    # the index from nothing, as an existing register gets it at its first open after the upgrade:
    # back to schema 1 (search tables and triggers gone), then timed: open, migrate, index every resident
    conn = sqlite3.connect(search_path, isolation_level=None)
    for kind, name in conn.execute("SELECT type, name FROM sqlite_master WHERE name LIKE 'search%' AND type IN ('table', 'trigger')"
                                   ).fetchall():
        conn.execute("DROP {kind} IF EXISTS {name}".format(kind=kind.upper(), name=name))
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    seconds, conn = timed(lambda: db.connect(search_path))
    residents = conn.execute("SELECT count(*) FROM search_keys").fetchone()[0]
    size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search%'").fetchone()[0] or 0
    print("search: {h:,} households, {r:,} residents in the index ({path})".format(
        h=conn.execute("SELECT count(*) FROM households WHERE deleted = 0").fetchone()[0], r=residents, path=search_path))
    print("{name:<34} {s:8.2f} s   ({k:,.0f} residents per second; index {mb:.0f} MB of {total:.0f} MB)".format(
        name="build the index (migration 2)", s=seconds, k=residents / seconds, mb=size / 1e6,
        total=search_path.stat().st_size / 1e6))

    rng = random.Random(3)
    sample = conn.execute("""SELECT r.name, r.phone, r.id_number, h.building, h.room FROM residents r
                             JOIN households h ON h.id = r.household_id WHERE r.deleted = 0
                             ORDER BY random() LIMIT ?""", (SEARCH_QUERIES * 20,)).fetchall()
    print("{k:<30} {a:>14} {b:>14} {c:>16} {r:>8}   target p95 < {t} ms".format(
        k="query kind (200 each)", a="search p50", b="search p95", c="LIKE scan p95", r="ratio", t=SEARCH_TARGET_MS))
    for kind, (make, scan_sql, pattern) in SEARCH_KINDS.items():
        made = [q for q in (make(rng, r) for r in sample) if q][:SEARCH_QUERIES]
        found = timings(lambda q: search_service.search(conn, q), made)
        baseline = timings(lambda q: conn.execute(scan_sql, (pattern.format(q=q),)).fetchall(), made)
        p95, base95 = percentile(found, 0.95), percentile(baseline, 0.95)
        print("{k:<30} {a:11.2f} ms {b:11.2f} ms {c:13.2f} ms {r:7.3f}x   {ok}".format(
            k=kind, a=percentile(found, 0.5), b=p95, c=base95, r=p95 / base95 if base95 else float("inf"),
            ok="ok" if p95 < SEARCH_TARGET_MS else "MISSED"))
    # The register page: its tables load the row keys in address order once, then 256-row blocks.
    for kind in ("households", "residents"):
        seconds, keys = timed(lambda: queries.register_keys(conn, kind))
        baseline, _ = timed(lambda: conn.execute("SELECT rowid FROM {t} WHERE deleted = 0".format(t=kind)).fetchall())
        row("register page: {kind} keys".format(kind=kind), seconds, "SELECT rowid FROM {kind}".format(kind=kind), baseline,
            "({n:,} rows)".format(n=len(keys)))
        seconds, _ = timed(lambda: queries.register_rows(conn, kind, keys[len(keys) // 2:len(keys) // 2 + 256]))
        baseline, _ = timed(lambda: conn.execute("SELECT * FROM {t} WHERE rowid IN ({m})".format(
            t=kind, m=",".join(map(str, keys[len(keys) // 2:len(keys) // 2 + 256])))).fetchall())
        row("register page: one {kind} block".format(kind=kind), seconds, "SELECT * of the same 256 rows", baseline)
    conn.close()


# ---- Excel ledgers ----------------------------------------------------------------------------------

LEDGER_ROWS = int(os.environ.get("BENCH_LEDGER_ROWS", "100000"))
LEDGER_MEMORY_TARGET_MB = 500
LEDGER_HEADERS = ["序号", "小区", "楼栋", "单元", "房号", "姓名", "性别", "公民身份号码", "出生日期", "联系电话", "与户主关系",
                  "政治面貌", "人员类别", "关爱事项", "紧急联系人", "紧急联系电话", "居住类型", "备注"]
LEDGER_MERGED = (1, 2, 3, 4, 16)  # estate, building, unit, room, residence type: merged down over a household


def build_ledger(path: Path, rows: int, seed: int = 1) -> int:
    """A street office's resident ledger as people keep it; returns its number of households.

    Title row merged across, estate/building/unit/room/residence type merged down over each
    household's members, birth dates half as date cells and half typed (1949.10.1), id numbers
    and phones as text, care categories as lists (独居老人、退役军人). Written by xlsxwriter in its
    normal mode: its constant-memory mode cannot merge down over rows already written.
    """
    import xlsxwriter
    from datetime import date, datetime
    from redstation.domain import demodata as dd, idnumber

    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("居民台账")
    dated = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, len(LEDGER_HEADERS) - 1, "阳光社区居民信息台账")
    for column, header in enumerate(LEDGER_HEADERS):
        ws.write_string(1, column, header)
    surnames = [s for s, _w in dd.SURNAMES[:60]]
    used: set[str] = set()
    today = date.today()

    def person(age_low: int, age_high: int, sex: str) -> tuple[str, str, date]:
        while True:
            birth = date(today.year - rng.randint(age_low, age_high), rng.randint(1, 12), rng.randint(1, 28))
            number = idnumber.make(rng.choice(dd.LOCAL_REGIONS), birth, rng.randrange(500), sex)
            if number not in used:
                used.add(number)
                name = rng.choice(surnames) + rng.choice(dd.GIVEN_NAMES[(dd.generation(birth.year), sex)])
                return name, number, birth

    def phone() -> str:
        return rng.choice(dd.MOBILE_PREFIXES) + "{n:08d}".format(n=rng.randrange(100_000_000))

    written, households, r = 0, 0, 2
    estates = [e for e, _high in dd.ESTATES]
    place = [0, 1, 1, 1, 1]  # estate index, building, unit, floor, door
    while written < rows:
        estate, building, unit, floor, door = place
        room = str(floor * 100 + door)
        place[4] += 1
        if place[4] > 2:
            place[3:] = [place[3] + 1, 1]
        if place[3] > 6:
            place[2:] = [place[2] + 1, 1, 1]
        if place[2] > 3:
            place[1:] = [place[1] + 1, 1, 1, 1]
        if place[1] > 30:
            place = [(place[0] + 1) % len(estates), 1, 1, 1, 1]
        size = min(rng.choice((1, 2, 2, 3, 3, 4)), rows - written)
        kind = rng.choices(("自住", "出租", "空置"), (85, 12, 3))[0]
        head_sex = rng.choice("MF")
        members = [("户主", head_sex, (30, 92))]
        if size > 1:
            members.append(("配偶", "F" if head_sex == "M" else "M", (30, 90)))
        members += [(rng.choice(("子", "女")), rng.choice("MF"), (1, 30)) for _m in range(size - len(members))]
        first = r
        shared = {1: estates[estate], 2: "{b}号楼".format(b=building), 3: "{u}单元".format(u=unit), 4: room, 16: kind}
        for relation, sex, (low, high) in members:
            name, number, birth = person(low, high, sex)
            age = today.year - birth.year
            categories = []
            if age >= 80:
                categories.append("高龄老人")
            if size == 1 and age >= 60:
                categories.append("独居老人")
            if rng.random() < 0.03:
                categories.append(rng.choice(("退役军人", "残疾人", "低保户")))
            values = [written + 1, "", "", "", "", name, "男" if sex == "M" else "女", number, None, phone() if age >= 16 else "",
                      relation, "中共党员" if rng.random() < 0.06 else "群众", "、".join(categories),
                      "耳背，注意燃气" if categories and rng.random() < 0.5 else "",
                      "张伟（儿子）" if categories else "", phone() if categories else "", "", ""]
            if r == first:
                for column, value in shared.items():
                    values[column] = value
            for column, value in enumerate(values):
                if column == 8:
                    if rng.random() < 0.5:
                        ws.write_datetime(r, column, datetime(birth.year, birth.month, birth.day), dated)
                    else:
                        ws.write_string(r, column, "{d.year}.{d.month}.{d.day}".format(d=birth))
                elif isinstance(value, int):
                    ws.write_number(r, column, value)
                elif value:
                    ws.write_string(r, column, value)
            r += 1
            written += 1
        if r - 1 > first:
            for column in LEDGER_MERGED:
                ws.merge_range(first, column, r - 1, column, shared[column])
        households += 1
    ws.write_string(r + 1, 0, "填表人：李晓梅        制表日期：{d}".format(d=today.isoformat()))
    book.close()
    return households


PEAK_MB = """
import resource
def peak_mb():
    # VmHWM is this process's own peak: after fork and exec, ru_maxrss still reports the parent's peak on Linux.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""
LEDGER_IMPORT = PEAK_MB + """
import json, sys, time
from redstation.excel.ledger_import import import_ledger
from redstation.services import station
from redstation.services.session import Actor, Session
with Session.open(sys.argv[1], Actor.command_line()) as session:
    station.init_station(session, "基准服务站", "阳光社区")
    if sys.argv[2] != "-":
        start = time.perf_counter()
        result = import_ledger(session, sys.argv[2])
        seconds = time.perf_counter() - start
        counts = dict(result.counts(), seconds=seconds)
    else:
        counts = {}
counts["maxrss_mb"] = peak_mb()
print(json.dumps(counts))
"""
CALAMINE_READ = PEAK_MB + """
import json, sys, time
import python_calamine
start = time.perf_counter()
sheet = python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)
rows = sum(1 for _row in sheet.iter_rows())
print(json.dumps({"seconds": time.perf_counter() - start, "rows": rows,
                  "maxrss_mb": peak_mb()}))
"""


def _in_process(code: str, *args: str) -> dict:
    import json
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_ledger(folder: Path) -> None:
    import python_calamine
    from redstation.excel.ledger_export import export_ledger

    ledger = folder / "ledger.xlsx"
    seconds, households = timed(lambda: build_ledger(ledger, LEDGER_ROWS))
    print("ledger workbook: {n:,} rows, {h:,} households, {mb:.1f} MB, built in {s:.1f} s ({path})".format(
        n=LEDGER_ROWS, h=households, mb=ledger.stat().st_size / 1e6, s=seconds, path=ledger))

    database = folder / "ledger.db"
    imported = _in_process(LEDGER_IMPORT, str(database), str(ledger))
    floor = _in_process(CALAMINE_READ, str(ledger))
    bare = _in_process(LEDGER_IMPORT, str(folder / "bare.db"), "-")
    row("import-ledger {n:,} rows".format(n=LEDGER_ROWS), imported["seconds"], "python-calamine reading the file",
        floor["seconds"], "({r:,.0f} rows/s; {i:,} imported, {h:,} households, {j:,} rejected)".format(
            r=LEDGER_ROWS / imported["seconds"], i=imported["imported"], h=imported["households_added"],
            j=imported["rejected"]))
    print("{name:<34} {m:8.0f} MB  (target under {t} MB; calamine read alone {c:.0f} MB, the same process without "
          "the import {b:.0f} MB)".format(name="import-ledger peak memory", m=imported["maxrss_mb"], t=LEDGER_MEMORY_TARGET_MB,
                                          c=floor["maxrss_mb"], b=bare["maxrss_mb"]))

    out = folder / "export.xlsx"
    with Session.open(database, Actor.command_line()) as session:
        seconds, counts = timed(lambda: export_ledger(session, out, unmasked=True))
    book = python_calamine.CalamineWorkbook.from_path(str(out))
    sheets = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    cells = sum(len(rows) * len(rows[0]) for rows in sheets.values() if rows)

    def xlsxwriter_constant_memory():
        import xlsxwriter
        target = xlsxwriter.Workbook(str(folder / "xlsxwriter.xlsx"), {"constant_memory": True})
        for name, rows in sheets.items():
            ws = target.add_worksheet(name)
            for n, values in enumerate(rows):
                ws.write_row(n, 0, values)
        target.close()

    baseline, _ = timed(lambda: write_with_openpyxl(sheets, folder / "openpyxl.xlsx"))
    row("export-ledger ({r:,} residents)".format(r=counts["residents"]), seconds, "openpyxl write-only, the same cells",
        baseline, "({c:,} cells, {r:,.0f} rows/s)".format(
            c=cells, r=(counts["households"] + counts["residents"] + counts["key_residents"]) / seconds))
    baseline, _ = timed(xlsxwriter_constant_memory)
    row("export-ledger (the same run)", seconds, "xlsxwriter constant_memory, same cells", baseline,
        "(the floor of the library it uses)")



# ---- sync bundles -------------------------------------------------------------------------------------

SYNC_HOUSEHOLDS = int(os.environ.get("BENCH_SYNC_HOUSEHOLDS", "5000"))
SYNC_VISITS = int(os.environ.get("BENCH_SYNC_VISITS", "100000"))
SYNC_STATIONS = int(os.environ.get("BENCH_SYNC_STATIONS", "50"))
SYNC_DIR = os.environ.get("BENCH_SYNC_DIR")
SYNC_MEMORY_TARGET_MB = 500

BUNDLE_EXPORT = PEAK_MB + """
import json, sys, time
from redstation.services import exchange
from redstation.services.session import Actor, Session
with Session.open(sys.argv[1], Actor.command_line(), create=False) as session:
    start = time.perf_counter()
    made = exchange.export_bundle(session, sys.argv[2])
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": made["rows"], "maxrss_mb": peak_mb()}))
"""
BUNDLE_IMPORT = PEAK_MB + """
import json, sys, time
from redstation.services import exchange, station
from redstation.services.session import Actor, Session
found = {"seconds": [], "inserted": 0, "conflicts": 0}
with Session.open(sys.argv[1], Actor.command_line()) as session:
    station.init_station(session, "幸福街道办事处", "幸福街道", "幸福街道")
    found["maxrss_before_mb"] = peak_mb()
    for path in sys.argv[2:]:
        start = time.perf_counter()
        result = exchange.import_bundle(session, path, trust=True)
        found["seconds"].append(time.perf_counter() - start)
        found["inserted"] += result.tally.inserted
        found["conflicts"] += result.tally.conflicts
    found["residents"] = session.conn.execute("SELECT count(*) FROM residents").fetchone()[0]
    found["visits"] = session.conn.execute("SELECT count(*) FROM visits").fetchone()[0]
found["maxrss_mb"] = peak_mb()
print(json.dumps(found))
"""
CALAMINE_BUNDLE = PEAK_MB + """
import io, json, sys, time
import python_calamine
start = time.perf_counter()
cells = 0
for path in sys.argv[1:]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(open(path, "rb").read()))
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
        del rows
    del book
print(json.dumps({"seconds": time.perf_counter() - start, "cells": cells, "maxrss_mb": peak_mb()}))
"""


def pad_visits(path: Path, target: int) -> int:
    """Copy the station's visits back in time by whole quarters until it holds ``target`` visits; returns the count.

    The demo makes about 9 visits a household over 90 days; a copy moved 91 days back (new id, version and
    creation time moved with it, no correction links) is the same round a quarter earlier.
    """
    import uuid
    from datetime import datetime, timedelta
    from redstation.sync.hlc import format_version, parse_version

    conn = db.connect(path)
    names = [r[1] for r in conn.execute("PRAGMA table_info(visits)")]
    base = [dict(zip(names, r)) for r in conn.execute("SELECT * FROM visits WHERE corrects_id IS NULL ORDER BY visited_at")]
    have = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    rows, quarter = [], 1
    while have + len(rows) < target and base:
        shift = timedelta(days=91 * quarter)
        for visit in base:
            if have + len(rows) >= target:
                break
            millis, counter, node = parse_version(visit["version"])
            moved = dict(visit, id=str(uuid.uuid4()), version=format_version(millis - int(shift.total_seconds() * 1000),
                                                                             counter, node))
            for column in ("visited_at", "created_at"):
                moved[column] = (datetime.fromisoformat(visit[column]) - shift).isoformat(timespec="seconds")
            rows.append(moved)
        quarter += 1
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO visits ({c}) VALUES ({m})".format(c=", ".join(names), m=", ".join("?" * len(names))),
                     [[r[n] for n in names] for r in rows])
    conn.execute("COMMIT")
    count = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    conn.close()
    return count


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def restationed(source: Path, station_db: Path, out: Path, number: int) -> None:
    """``source`` (a full bundle) as the bundle of another station: every UUID its own, a new name, code and key."""
    import uuid
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from redstation.sync import bundle

    conn = db.connect(station_db)
    schema = {t: bundle.columns(conn, t) for t in records.SYNCED_TABLES}
    opened = bundle.open_bundle(source)
    tables = bundle.read_tables(opened, schema)
    namespace = uuid.UUID(int=number)
    mapped: dict[str, str] = {}

    def remap(match) -> str:
        old = match.group(0)
        new = mapped.get(old)
        if new is None:
            new = mapped[old] = str(uuid.uuid5(namespace, old))
        return new

    old_station = opened.manifest.station_id
    old_code = tables["stations"][0]["code"]
    code = "S{n:03d}".format(n=number)
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption()).hex()
    name = "基准{n:02d}号服务站".format(n=number)
    new_tables = []
    for table, rows in tables.items():
        moved = []
        for row in rows:
            row = {c: _UUID.sub(remap, v) if isinstance(v, str) and len(v) >= 36 else v for c, v in row.items()}
            if table == "stations" and row["id"] == remap(_UUID.match(old_station)):
                row.update(name=name, code=code, public_key=public)
            elif table == "tickets":
                row["number"] = code + row["number"][len(old_code):]
            moved.append(row)
        moved.sort(key=lambda r: r["id"])
        new_tables.append((table, schema[table], iter(moved)))
    manifest = opened.manifest
    bundle.write(out, {"station_id": mapped[old_station], "station_name": name, "community": manifest.community,
                       "public_key": public, "created_at": manifest.created_at, "schema": manifest.schema,
                       "scope": "full"}, new_tables, private)
    conn.close()


def bench_sync(folder: Path) -> None:
    import python_calamine
    from redstation.services import station

    work = Path(SYNC_DIR) if SYNC_DIR else folder / "sync"
    work.mkdir(parents=True, exist_ok=True)
    station_db = work / "station.db"
    if not station_db.exists():
        partial = work / "station.partial.db"
        for leftover in work.glob("station.partial.db*"):
            leftover.unlink()
        with Session.open(partial, Actor.command_line()) as session:
            station.init_station(session, "阳光社区服务站", "阳光社区", "幸福街道")
            seconds, _ = timed(lambda: demo.generate(session, SYNC_HOUSEHOLDS, seed=5))
        visits = pad_visits(partial, SYNC_VISITS)
        partial.rename(station_db)
        print("sync station: demo --households {h:,} in {s:.0f} s, visits copied back in time to {v:,}".format(
            h=SYNC_HOUSEHOLDS, s=seconds, v=visits))

    full = work / "bundle.xlsx"
    exported = _in_process(BUNDLE_EXPORT, str(station_db), str(full))
    book = python_calamine.CalamineWorkbook.from_path(str(full))
    sheets = {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}
    cells = sum(len(r) for rows in sheets.values() for r in rows)

    baseline, _ = timed(lambda: write_with_openpyxl(sheets, folder / "openpyxl-bundle.xlsx"))
    del sheets, book
    row("export-bundle (full, {r:,} records)".format(r=exported["rows"]), exported["seconds"],
        "openpyxl write-only, the same cells", baseline, "({c:,} cells, {mb:.1f} MB file, peak {m:.0f} MB)".format(
            c=cells, mb=full.stat().st_size / 1e6, m=exported["maxrss_mb"]))

    floor = _in_process(CALAMINE_BUNDLE, str(full))
    imported = _in_process(BUNDLE_IMPORT, str(folder / "one.db"), str(full))
    row("import-bundle into an empty station", imported["seconds"][0], "python-calamine reading every sheet",
        floor["seconds"], "({n:,} records; peak {m:.0f} MB, calamine alone {c:.0f} MB, before the import {b:.0f} MB)".format(
            n=imported["inserted"], m=imported["maxrss_mb"], c=floor["maxrss_mb"], b=imported["maxrss_before_mb"]))

    from concurrent.futures import ProcessPoolExecutor
    bundles = [work / "station-{n:02d}.xlsx".format(n=number) for number in range(1, SYNC_STATIONS + 1)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for done in [pool.submit(restationed, full, station_db, out, number)
                     for number, out in enumerate(bundles, start=1) if not out.exists()]:
            done.result()
    print("{n} bundles of different stations ready in {s:.0f} s (re-keyed copies of the one above; not measured)".format(
        n=len(bundles), s=time.perf_counter() - start))
    office = folder / "office.db"
    merged = _in_process(BUNDLE_IMPORT, str(office), *map(str, bundles))
    each = merged["seconds"]
    floor_all = _in_process(CALAMINE_BUNDLE, *map(str, bundles))
    row("street office: merge {n} bundles".format(n=len(bundles)), sum(each),
        "python-calamine reading the {n} bundles".format(n=len(bundles)), floor_all["seconds"],
        "({i:,} records; each {a:.1f} s on average, the first {f:.1f} s, the last {l:.1f} s; {r:,} residents, "
        "{v:,} visits; {mb:.0f} MB database)".format(i=merged["inserted"], a=sum(each) / len(each), f=each[0],
                                                    l=each[-1], r=merged["residents"], v=merged["visits"],
                                                    mb=office.stat().st_size / 1e6))
    print("{name:<34} {m:8.0f} MB  (target under {t} MB; one bundle into an empty station {o:.0f} MB)".format(
        name="street office merge peak memory", m=merged["maxrss_mb"], t=SYNC_MEMORY_TARGET_MB, o=imported["maxrss_mb"]))


if __name__ == "__main__":
    sys.exit(main())
