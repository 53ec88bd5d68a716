"""The desktop window with real widgets, offscreen: first run, navigation, dashboard, background tasks.

Chinese goes into widgets with setText (qtbot.keyClicks with a Chinese character aborts
the process); ASCII is typed with keyClicks.
"""

import os
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import datetime

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("REDSTATION_HOME", tempfile.mkdtemp(prefix="redstation-gui-tests-"))

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QMessageBox, QWidget  # noqa: E402

from redstation.gui import app as gui_app  # noqa: E402
from redstation.gui.first_run import FirstRunDialog  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.pages.dashboard import LOADING, count_text  # noqa: E402
from redstation.gui.tasks import Outcome, TaskCancelled, TaskManager  # noqa: E402
from redstation.services import station, users  # noqa: E402
from redstation.services import tickets as ticket_service  # noqa: E402
from redstation.services import visits as visit_service  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402
from redstation.store import queries  # noqa: E402

PAGE_HEADERS = ["工作台", "住户", "走访", "工单", "志愿者", "会议", "数据交换", "设置"]
WAIT_MS = 10_000


# --- fixtures ---------------------------------------------------------------------------------------

def add_households(session, count, start=0):
    with session.write("test.populate", "households") as change:
        for i in range(start, start + count):
            household = change.insert("households", estate="阳光花园", building=str(i % 3 + 1), unit="1",
                                      room=str(101 + i), floor=1)
            change.insert("residents", household_id=household, name="张长锁", relation="head",
                          care_categories='["elderly_alone"]' if i % 2 == 0 else "[]")
            change.insert("residents", household_id=household, name="李秀英", relation="spouse")


@pytest.fixture
def populated_db(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
        users.create_user(session, "admin", "王建国", "admin", "secret123")
        add_households(session, 5)
    return db_path


@pytest.fixture
def gui_session(populated_db):
    session = Session.open(populated_db, Actor.command_line())
    session.actor = users.first_admin(session)
    yield session
    session.close()


def wait_for_counts(qtbot, window):
    qtbot.waitUntil(lambda: not window.dashboard.loading and window.dashboard.counts is not None, timeout=WAIT_MS)


@pytest.fixture
def window(qtbot, gui_session):
    win = build_main_window(gui_session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    wait_for_counts(qtbot, win)
    yield win
    win.taskman.shutdown()


def fresh_stats(path):
    """What the dashboard must show, worked out here from the services."""
    with Session.open(path, Actor.command_line(), create=False) as other:
        counts = queries.stats(other.conn)
        round_, desk = visit_service.counts(other.conn, datetime.now()), ticket_service.counts(other.conn, datetime.now())
    counts.update(visits_overdue=round_["overdue"], visits_due=round_["due"], tickets_open=desk["open"],
                  tickets_late=desk["late"])
    return counts


# --- the application ---------------------------------------------------------------------------------

def test_application_uses_the_shipped_font_and_chinese_qt_buttons(qapp):
    gui_app.configure_application(qapp)
    assert "WenQuanYi" in QApplication.font().family()
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert box.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    assert box.button(QDialogButtonBox.StandardButton.Ok).text() == "确定"


# --- first run ---------------------------------------------------------------------------------------

def show_dialog(qtbot, session, ask_station):
    dialog = FirstRunDialog(session, ask_station=ask_station)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_first_run_creates_the_station_and_the_first_admin(qtbot, session):
    assert station.needs_setup(session) == (True, True)
    dialog = show_dialog(qtbot, session, ask_station=True)
    assert dialog.windowTitle() == "欢迎使用"
    dialog.station_name.setText("阳光花园红色物业服务站")
    dialog.community.setText("阳光社区")
    dialog.street.setText("幸福街道")
    qtbot.keyClicks(dialog.username, "admin")
    dialog.display_name.setText("王建国")
    qtbot.keyClicks(dialog.password, "secret123")
    qtbot.keyClicks(dialog.confirm, "secret123")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)

    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert station.needs_setup(session) == (False, False)
    row = session.station()
    assert (row["name"], row["community"], row["street"]) == ("阳光花园红色物业服务站", "阳光社区", "幸福街道")
    admin = users.first_admin(session)
    assert admin.name == "王建国" and admin.role == "admin" and admin.id == dialog.user_id
    assert session.actor == admin


def test_first_run_tab_order_runs_top_to_bottom(qtbot, session):
    dialog = show_dialog(qtbot, session, ask_station=True)
    fields = dialog.fields()
    assert len(fields) == 7 and dialog.focusWidget() is fields[0]
    for expected in fields[1:] + [dialog.ok_button]:
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        assert dialog.focusWidget() is expected


def test_mismatched_passwords_are_shown_and_nothing_is_saved(qtbot, session):
    dialog = show_dialog(qtbot, session, ask_station=True)
    dialog.station_name.setText("阳光花园红色物业服务站")
    dialog.community.setText("阳光社区")
    qtbot.keyClicks(dialog.username, "admin")
    qtbot.keyClicks(dialog.password, "secret123")
    qtbot.keyClicks(dialog.confirm, "secret124")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)

    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.message.isVisible() and dialog.message.text() == "两次输入的密码不一致，请输入相同的密码"
    assert station.needs_setup(session) == (True, True)
    assert session.station() is None and users.first_admin(session) is None

    # fixing the confirmation hides the message and saves
    dialog.confirm.clear()
    qtbot.keyClicks(dialog.confirm, "secret123")
    assert not dialog.message.isVisible()
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Enter)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert station.needs_setup(session) == (False, False)


@pytest.mark.parametrize("fill, expected", [
    ({"community": "阳光社区", "username": "admin", "password": "secret123"}, "服务站名称不能为空"),
    ({"station_name": "站", "community": "社区", "password": "secret123"}, "用户名不能为空"),
    ({"station_name": "站", "community": "社区", "username": "admin", "password": "12345"}, "密码至少需要 6 个字符"),
])
def test_missing_or_short_fields_are_shown_inline(qtbot, session, fill, expected):
    dialog = show_dialog(qtbot, session, ask_station=True)
    for name, text in fill.items():
        getattr(dialog, name).setText(text)
    dialog.confirm.setText(fill.get("password", ""))
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.message.text() == expected
    assert station.needs_setup(session) == (True, True)


def test_a_service_error_is_shown_inline_and_the_dialog_stays(qtbot, session):
    users.create_user(session, "admin", "门卫", "guard", "secret123")  # the name is taken, by a non-admin
    dialog = show_dialog(qtbot, session, ask_station=True)
    dialog.station_name.setText("阳光花园红色物业服务站")
    dialog.community.setText("阳光社区")
    qtbot.keyClicks(dialog.username, "admin")
    qtbot.keyClicks(dialog.password, "secret123")
    qtbot.keyClicks(dialog.confirm, "secret123")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.message.text() == "用户名 admin 已被使用"
    assert station.needs_setup(session) == (True, True)  # the station was rolled back with the user


def test_existing_station_asks_only_for_the_admin(qtbot, session):
    station.init_station(session, "阳光花园红色物业服务站", "阳光社区")
    assert station.needs_setup(session) == (False, True)
    dialog = show_dialog(qtbot, session, ask_station=False)
    assert not dialog.station_box.isVisibleTo(dialog) and dialog.admin_box.isVisibleTo(dialog)
    assert "阳光花园红色物业服务站" in dialog.intro.text()
    qtbot.keyClicks(dialog.username, "admin")
    qtbot.keyClicks(dialog.password, "secret123")
    qtbot.keyClicks(dialog.confirm, "secret123")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert station.needs_setup(session) == (False, False)
    assert users.first_admin(session).name == "admin"  # display name defaults to the user name


def test_escape_cancels_and_saves_nothing(qtbot, session):
    dialog = show_dialog(qtbot, session, ask_station=True)
    dialog.station_name.setText("阳光花园红色物业服务站")
    qtbot.keyClick(dialog.station_name, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert station.needs_setup(session) == (True, True)


def test_run_exits_0_when_the_first_run_is_cancelled(qapp, db_path, monkeypatch):
    monkeypatch.setattr(FirstRunDialog, "exec", lambda self: QDialog.DialogCode.Rejected)
    assert gui_app.run(db_path) == 0
    with Session.open(db_path, Actor.command_line(), create=False) as session:
        assert station.needs_setup(session) == (True, True)


# --- opening a file that is not ours ---------------------------------------------------------------------

@pytest.fixture
def shown_errors(monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown


def foreign_sqlite(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('x')")
    conn.commit()
    conn.close()


def newer_redstation(path):
    with Session.open(path, Actor.command_line()):
        pass
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes("姓名,电话\n张三,13800000000\n".encode("utf-8") * 200), "不是本系统的数据库"),
    (foreign_sqlite, "其他程序"),
    (newer_redstation, "更新版本"),
])
def test_a_file_that_is_not_ours_is_refused_clearly_and_left_untouched(qapp, tmp_path, shown_errors, make, words):
    path = tmp_path / "ledger.db"
    make(path)
    before = path.read_bytes()
    files_before = sorted(p.name for p in tmp_path.iterdir())

    assert gui_app.open_database(path) is None
    assert len(shown_errors) == 1
    title, text = shown_errors[0]
    assert title == "无法打开数据库" and words in text and str(path) in text and "该文件未被改动" in text
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before

    assert gui_app.run(path) == 1
    assert path.read_bytes() == before


# --- the main window -----------------------------------------------------------------------------------

def test_window_title_and_status_bar(window):
    assert window.windowTitle() == "阳光花园红色物业服务站 — 红色物业服务站台账系统"
    assert window.user_label.text() == "当前用户：王建国（站长）"
    assert str(window.session.path) in window.db_label.text()
    assert window.nav.width() == window.nav.minimumWidth() == window.nav.maximumWidth()


def test_every_navigation_entry_shows_its_page(qtbot, window):
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == PAGE_HEADERS
    for index in reversed(range(window.nav.count())):
        item = window.nav.item(index)
        qtbot.mouseClick(window.nav.viewport(), Qt.MouseButton.LeftButton,
                         pos=window.nav.visualItemRect(item).center())
        assert window.stack.currentIndex() == index
        assert window.current_page() is window.pages[index]
        assert window.current_page().header.text() == PAGE_HEADERS[index]


def test_ctrl_number_shortcuts_switch_pages(qtbot, window):
    qtbot.waitActive(window)
    for index in [3, 7, 1, 0, 6, 2, 5, 4]:
        qtbot.keyClick(window, getattr(Qt.Key, "Key_{n}".format(n=index + 1)), Qt.KeyboardModifier.ControlModifier)
        assert window.stack.currentIndex() == index
        assert window.current_page().header.text() == PAGE_HEADERS[index]
        assert window.nav.currentRow() == index


def dashboard_numbers(window):
    return {key: card.number.text() for key, card in window.dashboard.cards.items()}


def test_dashboard_shows_the_live_counts_and_refresh_counts_again(qtbot, window, gui_session):
    expected = fresh_stats(gui_session.path)
    assert expected["households"] == 5 and expected["residents"] == 10 and expected["key_households"] == 3
    assert dashboard_numbers(window) == {key: count_text(n) for key, n in expected.items()}
    assert window.dashboard.counts == expected
    assert window.dashboard.updated.text().startswith("更新于")

    add_households(gui_session, 1, start=100)
    window.dashboard.refresh()
    assert set(dashboard_numbers(window).values()) == {LOADING}  # shown until the worker answers
    wait_for_counts(qtbot, window)
    assert window.dashboard.cards["households"].number.text() == "6"
    assert window.dashboard.cards["residents"].number.text() == "12"

    # F5 on the dashboard
    qtbot.waitActive(window)
    with gui_session.write("test.add", "households") as change:
        change.insert("households", estate="阳光花园", building="1", unit="1", room="101", floor=1)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.dashboard.cards["households"].number.text() == "7", timeout=WAIT_MS)

    # F5 elsewhere belongs to that page, not to the hidden dashboard
    window.show_page(7)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert not window.dashboard.loading
    window.show_page(0)

    # and the refresh button
    with gui_session.write("test.add", "households") as change:
        change.insert("households", estate="阳光花园", building="1", unit="1", room="102", floor=1)
    qtbot.mouseClick(window.dashboard.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.dashboard.cards["households"].number.text() == "8", timeout=WAIT_MS)
    assert window.dashboard.counts == fresh_stats(gui_session.path)


def test_dashboard_uses_thousands_separators(qtbot, gui_session):
    add_households(gui_session, 1200, start=1000)
    win = build_main_window(gui_session)
    qtbot.addWidget(win)
    wait_for_counts(qtbot, win)
    assert win.dashboard.cards["households"].number.text() == "1,205"
    assert win.dashboard.cards["residents"].number.text() == "2,410"
    win.taskman.shutdown()


def test_dashboard_counts_on_a_worker_with_its_own_connection(qtbot, gui_session, monkeypatch):
    seen = []
    real = queries.stats

    def spying(conn):
        seen.append((threading.current_thread() is threading.main_thread(), conn is gui_session.conn))
        return real(conn)
    monkeypatch.setattr(queries, "stats", spying)
    win = build_main_window(gui_session)
    qtbot.addWidget(win)
    wait_for_counts(qtbot, win)
    assert seen == [(False, False)]
    win.taskman.shutdown()


def test_a_newer_refresh_supersedes_one_still_running(qtbot, window):
    window.dashboard.refresh()
    window.dashboard.refresh()
    wait_for_counts(qtbot, window)
    window.taskman.wait(WAIT_MS)
    qtbot.wait(50)
    assert window.dashboard.counts == fresh_stats(window.session.path)
    assert LOADING not in dashboard_numbers(window).values()


def test_dashboard_shows_an_error_when_the_counts_cannot_be_read(qtbot, window, monkeypatch):
    def broken(conn):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(queries, "stats", broken)
    window.dashboard.refresh()
    qtbot.waitUntil(lambda: window.dashboard.error.isVisible(), timeout=WAIT_MS)
    assert "disk on fire" in window.dashboard.error.text()
    assert set(dashboard_numbers(window).values()) == {"—"}


# --- the PySide6 6.12 none_dealloc guard ---------------------------------------------------------------------

def test_many_none_returning_qt_calls_do_not_crash(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    none_refs = sys.getrefcount(None)
    for i in range(100_000):
        widget.setWindowTitle("台账")
    assert widget.windowTitle() == "台账"
    # Python 3.11's None is not immortal: a binding that drops a reference per call shows up here long before it aborts
    assert sys.getrefcount(None) > none_refs - 1000


# --- the task manager ----------------------------------------------------------------------------------------------

@pytest.fixture
def taskman(qtbot):
    manager = TaskManager()
    yield manager
    manager.shutdown()
    manager.deleteLater()


def run_and_wait(qtbot, taskman, fn, **kwargs):
    outcomes = []
    task = taskman.run_in_background(fn, outcomes.append, **kwargs)
    qtbot.waitUntil(lambda: bool(outcomes), timeout=WAIT_MS)
    return task, outcomes[0]


def test_task_runs_on_a_worker_and_delivers_on_the_gui_thread(qtbot, taskman):
    threads = {}

    def work(progress, cancelled):
        threads["worker"] = threading.current_thread()
        return {"answer": 42}

    outcomes = []

    def done(outcome):
        threads["done"] = threading.current_thread()
        outcomes.append(outcome)

    task = taskman.run_in_background(work, done)
    assert taskman.busy
    qtbot.waitUntil(lambda: bool(outcomes), timeout=WAIT_MS)
    assert outcomes[0] == Outcome(value={"answer": 42}) and outcomes[0].ok and outcomes[0].result() == {"answer": 42}
    assert threads["worker"] is not threading.main_thread() and threads["done"] is threading.main_thread()
    assert task.done and not taskman.busy


def test_task_progress_reaches_the_gui_thread_in_order_and_ends_at_the_total(qtbot, taskman):
    seen = []

    def work(progress, cancelled):
        for done in range(1, 201):
            progress(done, 200)
            if done % 50 == 0:
                time.sleep(0.02)
        return "ok"

    def on_progress(done, total):
        assert threading.current_thread() is threading.main_thread()
        seen.append((done, total))

    _task, outcome = run_and_wait(qtbot, taskman, work, on_progress=on_progress)
    assert outcome.result() == "ok"
    assert seen and seen[-1] == (200, 200)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert len(seen) <= 200  # coalesced, never more than were sent


def test_task_cancel_stops_the_worker(qtbot, taskman):
    started = threading.Event()
    steps = []

    def work(progress, cancelled):
        started.set()
        deadline = time.monotonic() + 10
        while not cancelled() and time.monotonic() < deadline:
            steps.append(1)
            time.sleep(0.005)
        return "finished anyway"

    outcomes = []
    task = taskman.run_in_background(work, outcomes.append)
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=WAIT_MS)
    assert outcomes[0].cancelled and not outcomes[0].ok and outcomes[0].value is None
    with pytest.raises(TaskCancelled):
        outcomes[0].result()


def test_task_raising_task_cancelled_counts_as_cancelled(qtbot, taskman):
    def work(progress, cancelled):
        raise TaskCancelled()
    _task, outcome = run_and_wait(qtbot, taskman, work)
    assert outcome.cancelled and outcome.error is None


def test_any_error_raised_after_cancel_counts_as_cancelled(qtbot, taskman):
    started = threading.Event()

    def work(progress, cancelled):
        started.set()
        while not cancelled():
            time.sleep(0.01)
        raise RuntimeError("rolled back: cancelled by the user")
    outcomes = []
    task = taskman.run_in_background(work, outcomes.append)
    assert started.wait(5)
    task.cancel()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=WAIT_MS)
    assert outcomes[0].cancelled and outcomes[0].error is None


def test_task_error_is_delivered_not_lost(qtbot, taskman):
    def work(progress, cancelled):
        raise ValueError("bad row 7")
    _task, outcome = run_and_wait(qtbot, taskman, work)
    assert isinstance(outcome.error, ValueError) and not outcome.cancelled and not outcome.ok
    assert "bad row 7" in outcome.trace
    with pytest.raises(ValueError, match="bad row 7"):
        outcome.result()


def test_cancel_all_and_shutdown_wait_for_the_workers(qtbot, taskman):
    started, finished, outcomes = threading.Semaphore(0), [], []

    def work(progress, cancelled):
        started.release()
        while not cancelled():
            time.sleep(0.005)
        finished.append(1)

    for _ in range(3):  # two workers: the third waits in the queue
        taskman.run_in_background(work, outcomes.append)
    assert started.acquire(timeout=5) and started.acquire(timeout=5)
    taskman.shutdown(WAIT_MS)
    assert finished == [1, 1]  # both running ones stopped; the queued one never started its function
    qtbot.waitUntil(lambda: len(outcomes) == 3, timeout=WAIT_MS)
    assert all(o.cancelled for o in outcomes) and not taskman.busy


def test_callbacks_are_skipped_when_the_owner_is_gone(qtbot, taskman):
    owner = QWidget()
    release = threading.Event()
    called = []

    def work(progress, cancelled):
        release.wait(5)
        return 1

    task = taskman.run_in_background(work, called.append, owner=owner)
    owner.deleteLater()
    qtbot.wait(20)
    release.set()
    qtbot.waitUntil(lambda: task.done, timeout=WAIT_MS)
    assert called == []


def test_the_database_thread_works_on_after_waiting_for_it(qtbot, gui_session):
    """Qt's waitForDone ends the pool's threads: the next database task must not use a connection of a thread gone.
    (A new thread often gets the old one's number, which hides the fault: threads kept alive meanwhile take it.)"""
    taskman = TaskManager(session=gui_session)
    outcomes, release, holders = [], threading.Event(), []
    for _round in range(5):
        taskman.db(lambda s: s.conn.execute("SELECT count(*) FROM households").fetchone()[0], outcomes.append)
        assert taskman.wait(WAIT_MS)
        holder = threading.Thread(target=release.wait)   # takes the number of the thread that just ended
        holder.start()
        holders.append(holder)
        qtbot.waitUntil(lambda: len(outcomes) == _round + 1, timeout=WAIT_MS)
    release.set()
    for holder in holders:
        holder.join()
    taskman.shutdown()
    assert [o.error for o in outcomes] == [None] * 5 and [o.value for o in outcomes] == [5] * 5
