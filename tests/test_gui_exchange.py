"""The 数据交换 page with real widgets, offscreen: export, import with preview and trust, refusals, conflicts.

Chinese goes into widgets with setText (qtbot.keyClicks with a Chinese character aborts
the process); ASCII is typed with keyClicks.
"""

import os
import time
import zipfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

from redstation.domain.vocab import TICKET_STATUSES, label  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.pages.exchange import ExchangePage, compared_fields, value_text  # noqa: E402
from redstation.gui.tasks import TaskManager  # noqa: E402
from redstation.services import demo, exchange, station, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 30_000
CLI = Actor.command_line()


# --- fixtures ---------------------------------------------------------------------------------------

def make_station(path, name, community, households, seed):
    with Session.open(path, CLI) as session:
        station.init_station(session, name, community, "幸福街道")
        demo.generate(session, households, seed=seed)
        return session.station_id


@pytest.fixture
def stations(tmp_path):
    """Two stations of one street with a little demo data each: A (阳光) and B (月湖)."""
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    return {"a": a, "b": b, "a_id": make_station(a, "阳光社区服务站", "阳光社区", 12, 1),
            "b_id": make_station(b, "月湖社区服务站", "月湖社区", 8, 2)}


def count(path, sql, *params):
    with Session.open(path, CLI) as session:
        return session.conn.execute(sql, params).fetchone()[0]


def households_from(path, origin):
    return count(path, "SELECT count(*) FROM households WHERE origin = ? AND deleted = 0", origin)


def open_window(qtbot, path, role="admin"):
    """The main window on the page, as the station manager; another role (whose window has no such page) gets
    the page alone, to show that it stays read-only for them."""
    session = Session.open(path, CLI)
    session.actor = users.first_admin(session)
    if role != "admin":
        session.actor = Actor(session.actor.id, "窗口", role)
        taskman = TaskManager(session=session)
        page = ExchangePage(session, taskman)
        page.taskman = taskman
        qtbot.addWidget(page)
        page.show()
        page.activated()
        window = page
    else:
        window = build_main_window(session)
        qtbot.addWidget(window)
        window.show()
        window.show_page(window.pages.index(window.exchange))
        page = window.exchange
    qtbot.waitUntil(lambda: page.station is not None, timeout=WAIT_MS)
    return window, session, page


@pytest.fixture
def windows(qtbot):
    opened = []

    def make(path, role="admin"):
        window, session, page = open_window(qtbot, path, role)
        opened.append((window, session))
        return page
    yield make
    for window, session in opened:
        window.taskman.shutdown()
        session.close()


def open_bundle(qtbot, page, path):
    page.show_tab("import")
    page.import_.open_file(path)
    qtbot.waitUntil(lambda: not page.import_.reading, timeout=WAIT_MS)


def wait_idle(qtbot, panel):
    qtbot.waitUntil(lambda: panel.work.task is None, timeout=WAIT_MS)


def column(grid, title):
    return next(n for n in range(grid.columnCount()) if grid.horizontalHeaderItem(n).text() == title)


def table_counts(page, title):
    """Kind of record -> the number in the column ``title`` of the import table."""
    grid = page.import_.table
    n = column(grid, title)
    return {grid.item(r, 0).text(): grid.item(r, n).text() for r in range(grid.rowCount())}


# --- the page is there --------------------------------------------------------------------------------

def test_the_exchange_page_replaces_the_placeholder(qtbot, windows, stations):
    page = windows(stations["a"])
    assert isinstance(page, ExchangePage) and page.header.text() == "数据交换"
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "导出数据包", "导入数据包", "信任的服务站", "冲突", "各站数据"]
    with Session.open(stations["a"], CLI) as session:
        assert page.own_key.text() == "本站密钥指纹：" + exchange.own_fingerprint(session)


# --- export -------------------------------------------------------------------------------------------

def test_export_a_full_bundle_from_the_page(qtbot, windows, stations, tmp_path):
    page = windows(stations["a"])
    panel = page.export
    assert panel.full.isChecked() and not panel.since.isEnabled()   # no station trusted yet
    assert "阳光社区服务站-数据包-" in panel.path.text() and panel.path.text().endswith(".xlsx")
    out = tmp_path / "全部.xlsx"
    panel.set_file(out)
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    manifest = exchange.read_manifest(out)
    assert manifest.scope == "full" and manifest.station_name == "阳光社区服务站"
    assert manifest.counts["households"] == 12
    assert str(out) in panel.message.text() and "全部数据" in panel.message.text()
    assert "{n} 条记录".format(n=sum(manifest.counts.values())) in panel.message.text()
    assert panel.fingerprint.text() == manifest.fingerprint() and panel.done_box.isVisible()
    assert "住户 12" in panel.details.text()


def test_export_since_last_for_a_trusted_station_and_a_password(qtbot, windows, stations, tmp_path):
    with Session.open(stations["b"], CLI) as b, Session.open(stations["a"], CLI) as a:
        exchange.export_bundle(b, tmp_path / "b.xlsx")
        exchange.import_bundle(a, tmp_path / "b.xlsx", trust=True)
    page = windows(stations["a"])
    panel = page.export
    qtbot.waitUntil(lambda: panel.peer.count() == 1, timeout=WAIT_MS)
    assert panel.peer.currentText() == "月湖社区服务站"
    panel.since.setChecked(True)
    assert "尚未为 月湖社区服务站 制作过数据包" in panel.peer_note.text()

    first = tmp_path / "first.xlsx"
    panel.set_file(first)
    panel.export()
    wait_idle(qtbot, panel)
    manifest = exchange.read_manifest(first)
    assert manifest.scope == "since:" + stations["b_id"]
    assert manifest.counts["households"] == 12 + 8     # the first time: everything, B's records too

    # the next one holds only what changed here since; with a password typed twice
    with Session.open(stations["a"], CLI) as a:
        with a.write("test.edit", "households") as change:
            change.insert("households", estate="新苑", building="9", unit="1", room="901", floor=9)
    qtbot.waitUntil(lambda: "上次为 月湖社区服务站 制作数据包是在" in panel.peer_note.text(), timeout=WAIT_MS)
    second = tmp_path / "second.xlsx"
    panel.set_file(second)
    qtbot.keyClicks(panel.password, "abc123")
    qtbot.keyClicks(panel.repeat, "abc124")
    assert not panel.export_button.isEnabled() and panel.password_problem.text() == "两次输入的密码不一致"
    panel.repeat.clear()
    qtbot.keyClicks(panel.repeat, "abc123")
    assert panel.export_button.isEnabled() and not panel.password_problem.isVisible()
    qtbot.keyClick(panel.repeat, Qt.Key.Key_Return)       # Enter in the form exports
    wait_idle(qtbot, panel)
    assert second.exists() and panel.password.text() == ""
    with pytest.raises(exchange.BundleError, match="密码"):
        exchange.read_manifest(second)
    manifest = exchange.read_manifest(second, "abc123")
    assert manifest.scope == "since:" + stations["b_id"] and manifest.counts["households"] == 1


# --- import -------------------------------------------------------------------------------------------

def test_import_shows_who_made_it_needs_trust_checks_then_imports(qtbot, windows, stations, tmp_path):
    bundle = tmp_path / "月湖.xlsx"
    with Session.open(stations["b"], CLI) as b:
        made = exchange.export_bundle(b, bundle)
    page = windows(stations["a"])
    panel = page.import_
    open_bundle(qtbot, page, bundle)
    assert panel.facts["station"].text() == "月湖社区服务站" and panel.facts["community"].text() == "月湖社区"
    assert panel.facts["fingerprint"].text() == made["fingerprint"]
    assert panel.facts["scope"].text() == "全部数据（完整数据包）"
    assert table_counts(page, "包内记录")["住户"] == "8"
    # not trusted yet: a warning with the fingerprint, and nothing can be checked or imported
    assert panel.trust_box.isVisible() and panel.trust_title.text() == "尚未信任的服务站"
    assert panel.trust_fingerprint.text() == made["fingerprint"] and panel.trust.isVisible()
    assert not panel.check_button.isEnabled() and not panel.import_button.isEnabled()
    panel.run_import()
    panel.check()
    assert panel.work.task is None and households_from(stations["a"], stations["b_id"]) == 0

    panel.trust.setChecked(True)                          # the fingerprint was read out on the phone
    assert panel.check_button.isEnabled() and not panel.import_button.isEnabled()   # check first
    qtbot.mouseClick(panel.check_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.checked, timeout=WAIT_MS)
    assert table_counts(page, "新增")["住户"] == "8" and table_counts(page, "冲突")["住户"] == "0"
    assert "新增 {n} 条".format(n=sum(made["counts"].values())) in panel.outcome.text()
    assert households_from(stations["a"], stations["b_id"]) == 0       # a check writes nothing
    with Session.open(stations["a"], CLI) as a:
        assert exchange.peers(a.conn) == []                            # nor trusts anyone

    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.delete_button.isVisible(), timeout=WAIT_MS)
    assert households_from(stations["a"], stations["b_id"]) == 8
    assert "已导入 月湖社区服务站 的数据" in panel.outcome.text() and "从现在起信任 月湖社区服务站" in panel.outcome.text()
    backup = panel.result.backup
    assert backup and os.path.exists(backup) and backup in panel.outcome.text()
    qtbot.waitUntil(lambda: [p["name"] for p in page.peers] == ["月湖社区服务站"], timeout=WAIT_MS)
    assert page.peers_panel.model.rowCount() == 1

    # opened again: a trusted station, importing it again changes nothing
    open_bundle(qtbot, page, bundle)
    assert panel.trust_title.text() == "已信任的服务站" and not panel.trust.isVisible()
    panel.check()
    qtbot.waitUntil(lambda: panel.checked, timeout=WAIT_MS)
    assert table_counts(page, "新增")["住户"] == "0" and table_counts(page, "不变")["住户"] == "8"

    # after the import the bundle can be deleted from the page
    monkey = pytest.MonkeyPatch()
    monkey.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    try:
        panel.import_button.click()
        qtbot.waitUntil(lambda: panel.delete_button.isVisible(), timeout=WAIT_MS)
        panel.delete_button.click()
    finally:
        monkey.undo()
    assert not bundle.exists() and "已删除" in panel.status.text()


def test_a_cancelled_import_leaves_nothing(qtbot, windows, stations, tmp_path):
    bundle = tmp_path / "月湖.xlsx"
    with Session.open(stations["b"], CLI) as b:
        exchange.export_bundle(b, bundle)
    page = windows(stations["a"])
    panel = page.import_
    open_bundle(qtbot, page, bundle)
    panel.trust.setChecked(True)
    panel.check()
    qtbot.waitUntil(lambda: panel.checked, timeout=WAIT_MS)
    panel.run_import()
    panel.work.cancel()           # before the worker gets past its first look at the flag
    wait_idle(qtbot, panel)
    assert panel.outcome.text().endswith("已取消：没有导入任何数据。</b>")
    assert households_from(stations["a"], stations["b_id"]) == 0
    with Session.open(stations["a"], CLI) as a:
        assert exchange.peers(a.conn) == []


def tampered(source, target, old: str, new: str, part_contains: str | None = None):
    """A copy of a bundle with one text changed in the first worksheet that holds it."""
    done = False
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if not done and item.filename.startswith("xl/worksheets/") and old.encode() in data \
                    and (part_contains is None or part_contains.encode() in data):
                data = data.replace(old.encode(), new.encode(), 1)
                done = True
            zout.writestr(item, data)
    assert done
    return target


def test_a_tampered_bundle_is_refused_in_red_and_nothing_changes(qtbot, windows, stations, tmp_path):
    bundle = tmp_path / "月湖.xlsx"
    with Session.open(stations["b"], CLI) as b:
        exchange.export_bundle(b, bundle)
        name = b.conn.execute("SELECT name FROM residents ORDER BY id LIMIT 1").fetchone()[0]
    page = windows(stations["a"])
    panel = page.import_

    # a changed cell: the signature of the manifest holds, the records do not match it
    changed = tampered(bundle, tmp_path / "改过.xlsx", name, "王" + name[1:])
    open_bundle(qtbot, page, changed)
    panel.trust.setChecked(True)
    panel.check()
    qtbot.waitUntil(lambda: panel.refused, timeout=WAIT_MS)
    assert "改动" in panel.status.text() and "没有改动任何数据" in panel.status.text()
    assert panel.status.styleSheet().startswith("color: #c0141c")
    assert not panel.check_button.isEnabled() and not panel.import_button.isEnabled()

    # a changed manifest: refused before anything is shown
    manifest = tampered(bundle, tmp_path / "清单改过.xlsx", "月湖社区服务站", "月湖社区服务中心", part_contains="station_name")
    open_bundle(qtbot, page, manifest)
    assert panel.manifest is None and not panel.split.isVisible()
    assert "签名" in panel.status.text() and panel.status.styleSheet().startswith("color: #c0141c")

    # not a bundle at all
    other = tmp_path / "台账.xlsx"
    other.write_bytes(b"PK\x03\x04 not really a workbook")
    open_bundle(qtbot, page, other)
    assert panel.manifest is None and "没有改动任何数据" in panel.status.text()
    assert households_from(stations["a"], stations["b_id"]) == 0
    with Session.open(stations["a"], CLI) as a:
        assert exchange.peers(a.conn) == []


def test_a_bundle_with_a_password_asks_for_it(qtbot, windows, stations, tmp_path):
    bundle = tmp_path / "加密.xlsx"
    with Session.open(stations["b"], CLI) as b:
        exchange.export_bundle(b, bundle, password="s3cret")
    page = windows(stations["a"])
    panel = page.import_
    open_bundle(qtbot, page, bundle)
    assert panel.password_row.isVisible() and "设有密码" in panel.status.text() and panel.manifest is None
    qtbot.keyClicks(panel.password, "wrong")
    qtbot.keyClick(panel.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.reading and "密码不对" in panel.status.text(), timeout=WAIT_MS)
    assert panel.manifest is None
    panel.password.clear()
    qtbot.keyClicks(panel.password, "s3cret")
    qtbot.keyClick(panel.password, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.manifest is not None, timeout=WAIT_MS)
    assert panel.facts["station"].text() == "月湖社区服务站"
    panel.trust.setChecked(True)
    panel.check()
    qtbot.waitUntil(lambda: panel.checked, timeout=WAIT_MS)
    panel.run_import()
    qtbot.waitUntil(lambda: panel.delete_button.isVisible(), timeout=WAIT_MS)
    assert households_from(stations["a"], stations["b_id"]) == 8


# --- trusted stations and each station's data ------------------------------------------------------

def test_trusted_stations_and_removing_trust(qtbot, windows, stations, tmp_path, monkeypatch):
    with Session.open(stations["b"], CLI) as b, Session.open(stations["a"], CLI) as a:
        made = exchange.export_bundle(b, tmp_path / "b.xlsx")
        exchange.import_bundle(a, tmp_path / "b.xlsx", trust=True)
    page = windows(stations["a"])
    page.show_tab("peers")
    panel = page.peers_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    shown = [panel.model.data(panel.model.index(0, c)) for c in range(panel.model.columnCount())]
    assert shown[0] == "月湖社区服务站" and shown[1] == made["fingerprint"] and shown[3] == CLI.name
    assert "制作于" in shown[4] and shown[5] == "从未"

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.No)
    panel.untrust_button.click()
    with Session.open(stations["a"], CLI) as a:
        assert len(exchange.peers(a.conn)) == 1               # not confirmed: nothing happens
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=WAIT_MS)
    assert "已不再信任 月湖社区服务站" in panel.message.text()
    with Session.open(stations["a"], CLI) as a:
        assert exchange.peers(a.conn) == []
    assert households_from(stations["a"], stations["b_id"]) == 8   # its records stay


def test_data_by_station_for_a_street_office(qtbot, windows, stations, tmp_path):
    office = tmp_path / "office.db"
    with Session.open(office, CLI) as session:
        station.init_station(session, "幸福街道办事处", "幸福街道", "幸福街道")
        users.create_user(session, "admin", "李主任", "admin", "secret123")
        for name in ("a", "b"):
            with Session.open(stations[name], CLI) as source:
                exchange.export_bundle(source, tmp_path / (name + ".xlsx"))
            exchange.import_bundle(session, tmp_path / (name + ".xlsx"), trust=True)
    page = windows(office)
    page.show_tab("origins")
    model = page.origins.model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=WAIT_MS)
    rows = [[model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(3)]
    assert [r[0] for r in rows] == ["月湖社区服务站", "阳光社区服务站", "合计"]
    assert [r[1] for r in rows] == ["8", "12", "20"]
    assert rows[0][-1] and not rows[2][-1]        # when each station's last bundle came


# --- conflicts ----------------------------------------------------------------------------------------

def make_conflicts(stations, tmp_path, count=1):
    """A and B trust each other; both change the same residents; A imports B's changes: conflicts at A (B wins)."""
    with Session.open(stations["a"], CLI) as a, Session.open(stations["b"], CLI) as b:
        exchange.export_bundle(a, tmp_path / "a1.xlsx")
        exchange.import_bundle(b, tmp_path / "a1.xlsx", trust=True)
        exchange.export_bundle(b, tmp_path / "b1.xlsx", since_peer=stations["a_id"])
        exchange.import_bundle(a, tmp_path / "b1.xlsx", trust=True)
        ids = [r[0] for r in a.conn.execute("SELECT id FROM residents WHERE origin = ? ORDER BY id LIMIT ?",
                                            (stations["a_id"], count))]
        for n, rid in enumerate(ids):
            with a.write("test.edit", "residents", rid) as change:
                change.update("residents", rid, phone="1391234567{n}".format(n=n), care_notes="腿脚不便")
        time.sleep(0.01)
        for n, rid in enumerate(ids):
            with b.write("test.edit", "residents", rid) as change:
                change.update("residents", rid, phone="1369876543{n}".format(n=n), notes="儿子在外地")
        exchange.export_bundle(b, tmp_path / "b2.xlsx", since_peer=stations["a_id"])
        result = exchange.import_bundle(a, tmp_path / "b2.xlsx")
        assert result.tally.conflicts == count
    return ids


def resident(path, rid):
    with Session.open(path, CLI) as session:
        return dict(session.conn.execute("SELECT * FROM residents WHERE id = ?", (rid,)).fetchone())


def compare_rows(panel):
    grid = panel.compare
    return {grid.item(r, 0).text(): (grid.item(r, 1).text(), grid.item(r, 2).text(),
                                     grid.item(r, 0).font().bold()) for r in range(grid.rowCount())}


def test_the_conflict_view_shows_both_versions_and_takes_the_other_one(qtbot, windows, stations, tmp_path, monkeypatch):
    rid, = make_conflicts(stations, tmp_path)
    page = windows(stations["a"])
    qtbot.waitUntil(lambda: page.tabs.tabText(3) == "冲突（1）", timeout=WAIT_MS)
    page.show_tab("conflicts")
    panel = page.conflicts
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    name = resident(stations["a"], rid)["name"]
    assert panel.title.text().startswith("居民：" + name + "（")
    assert "月湖社区服务站" in panel.facts.text()
    rows = compare_rows(panel)
    assert rows["电话"] == ("13698765430", "13912345670", True)        # the later (B's) is the current one
    assert rows["关爱事项"] == ("", "腿脚不便", True) and rows["备注"] == ("儿子在外地", "", True)
    assert rows["姓名"] == (name, name, False)                           # the same: not highlighted
    assert "现在的" in panel.compare.horizontalHeaderItem(1).text() and "月湖社区服务站" in panel.compare.horizontalHeaderItem(1).text()
    assert "阳光社区服务站" in panel.compare.horizontalHeaderItem(2).text()
    assert panel.keep_button.isEnabled() and panel.take_button.isEnabled()

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(panel.take_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0, timeout=WAIT_MS)
    now = resident(stations["a"], rid)
    assert now["phone"] == "13912345670" and now["care_notes"] == "腿脚不便"
    with Session.open(stations["a"], CLI) as a:
        assert a.conn.execute("SELECT resolution FROM sync_conflicts").fetchone()[0] == "taken"
    assert panel.message.text() == "已改用另一个版本。" and panel.summary.text() == "没有待处理的冲突"
    qtbot.waitUntil(lambda: page.tabs.tabText(3) == "冲突", timeout=WAIT_MS)
    panel.show_resolved.setChecked(True)                                  # still there, marked
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    assert panel.model.data(panel.model.index(0, 5)) == "已改用另一个" and not panel.take_button.isEnabled()


def test_keeping_the_current_one_and_only_an_admin_resolves(qtbot, windows, stations, tmp_path):
    first, second = make_conflicts(stations, tmp_path, count=2)
    page = windows(stations["a"], role="desk")
    page.show_tab("conflicts")
    panel = page.conflicts
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    assert panel.model.rowCount() == 2
    assert not panel.keep_button.isVisible() and not panel.take_button.isVisible()
    assert "只有站长可以处理冲突" in panel.facts.text()
    assert compare_rows(panel)["身份证号"][0].count("*") == 8        # masked for a non-admin
    panel.resolve(take_loser=False)                                    # refused quietly
    with Session.open(stations["a"], CLI) as a:
        assert a.conn.execute("SELECT count(*) FROM sync_conflicts WHERE resolved_at IS NULL").fetchone()[0] == 2

    admin = windows(stations["a"])
    admin.show_tab("conflicts")
    panel = admin.conflicts
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    chosen = panel.item["record_id"]
    before = resident(stations["a"], chosen)
    qtbot.mouseClick(panel.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=WAIT_MS)
    after = resident(stations["a"], chosen)
    machine = ("version", "vclock")
    assert {k: v for k, v in after.items() if k not in machine} == {k: v for k, v in before.items() if k not in machine}
    assert after["version"] > before["version"]     # the same values, as a decision the other stations receive
    with Session.open(stations["a"], CLI) as a:
        assert a.conn.execute("SELECT resolution FROM sync_conflicts WHERE record_id = ?", (chosen,)).fetchone()[0] == "kept"
    assert panel.message.text() == "已保留现在的版本。"


def test_import_of_changes_shows_the_conflicts_and_leads_to_them(qtbot, windows, stations, tmp_path):
    with Session.open(stations["a"], CLI) as a, Session.open(stations["b"], CLI) as b:
        exchange.export_bundle(a, tmp_path / "a1.xlsx")
        exchange.import_bundle(b, tmp_path / "a1.xlsx", trust=True)
        exchange.export_bundle(b, tmp_path / "b1.xlsx", since_peer=stations["a_id"])
        exchange.import_bundle(a, tmp_path / "b1.xlsx", trust=True)
        rid, name = a.conn.execute("SELECT id, name FROM residents WHERE origin = ? ORDER BY id LIMIT 1",
                                   (stations["a_id"],)).fetchone()
        with a.write("test.edit", "residents", rid) as change:
            change.update("residents", rid, phone="13912345678")
        time.sleep(0.01)
        with b.write("test.edit", "residents", rid) as change:
            change.update("residents", rid, phone="13698765432")
        exchange.export_bundle(b, tmp_path / "b2.xlsx", since_peer=stations["a_id"])
    page = windows(stations["a"])
    panel = page.import_
    open_bundle(qtbot, page, tmp_path / "b2.xlsx")
    assert panel.trust_title.text() == "已信任的服务站"
    assert panel.facts["scope"].text() == "自上次为本站制作数据包以来的变化"
    panel.check()
    qtbot.waitUntil(lambda: panel.checked, timeout=WAIT_MS)
    assert table_counts(page, "冲突")["居民"] == "1"
    assert panel.conflict_table.rowCount() == 1 and panel.conflict_table.item(0, 1).text().startswith(name + "（")
    assert resident(stations["a"], rid)["phone"] == "13912345678"       # the check changed nothing
    panel.run_import()
    qtbot.waitUntil(lambda: panel.conflicts_button.isVisible(), timeout=WAIT_MS)
    assert resident(stations["a"], rid)["phone"] == "13698765432"       # the later change wins
    panel.conflicts_button.click()
    assert page.tab() == "conflicts"
    qtbot.waitUntil(lambda: page.conflicts.item is not None, timeout=WAIT_MS)
    assert page.conflicts.item["record_id"] == rid


# --- small texts ------------------------------------------------------------------------------------

def test_values_are_shown_as_a_clerk_reads_them():
    assert value_text("residents", "gender", "F") == "女"
    assert value_text("residents", "care_categories", '["elderly_alone", "veteran"]') == "独居老人、退役军人"
    assert value_text("tickets", "status", "resolved") == label(TICKET_STATUSES, "resolved") != "resolved"
    assert value_text("residents", "deleted", 0) == "否"
    assert value_text("visits", "visited_at", "2026-11-24T09:30:00") == "2026-11-24 09:30"
    assert value_text("residents", "id_number", "370102195001011234", masked=True) == "370102********1234"
    assert value_text("residents", "phone", None) == ""
    item = {"current": {"id": "x", "name": "甲", "household_id": "h1", "deleted": 0, "version": "v"},
            "loser": {"id": "x", "name": "乙", "household_id": "h1", "deleted": 0, "version": "w"}, "differs": ["name"]}
    assert compared_fields(item) == ["name"]
