"""make bench: demo generation and full-table reads at street-office size, each beside a baseline
measured in the same run on the same machine, printed as a ratio.

  demo generation  vs  raw sqlite3 executemany of the very same rows into an empty copy of the schema
  full-table read  vs  a bare SELECT * ... fetchall() of the same table
  window start     vs  a Python process that shows an empty Qt widget (both offscreen, from process start
                       until the dashboard shows its counts)

BENCH_HOUSEHOLDS (default 50000) sets the size.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from redstation.services import demo
from redstation.services.session import Actor, Session
from redstation.store import db, queries, records

HOUSEHOLDS = int(os.environ.get("BENCH_HOUSEHOLDS", "50000"))


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


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
    return 0


if __name__ == "__main__":
    sys.exit(main())
