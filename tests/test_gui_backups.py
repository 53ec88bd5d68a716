"""The backups section, the start-up checks (integrity, a second copy, a network share) and the error dialog,
with real widgets offscreen."""

import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QDesktopServices  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox, QPushButton  # noqa: E402

from redstation.gui import startup  # noqa: E402
from redstation.gui.backups import BackupsSection, size_text  # noqa: E402
from redstation.gui.startup import ErrorHandler, StartupGuard  # noqa: E402
from redstation.gui.tasks import TaskManager  # noqa: E402
from redstation.services import maintenance, register, station, users  # noqa: E402
from redstation.services.maintenance import AUTOMATIC, BEFORE_RESTORE, MANUAL, list_backups  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402
from redstation.store.lock import DatabaseInUse, DatabaseLock, lock_path  # noqa: E402

WAIT_MS = 10_000


def add_household(session, room):
    register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "2", "room": room})


def households(path):
    with Session.open(path, Actor.command_line(), create=False) as session:
        return session.conn.execute("SELECT count(*) FROM households").fetchone()[0]


@pytest.fixture
def admin_session(db_path):
    with Session.open(db_path, Actor.command_line()) as setup:
        station.init_station(setup, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
        users.create_user(setup, "admin", "王建国", "admin", "secret123")
        add_household(setup, "101")
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    yield session
    session.close()


class Window(QMainWindow):
    """The part of the main window the section and the start-up guard use: a TaskManager, a status bar, close()."""

    def __init__(self, session):
        super().__init__()
        self.taskman = TaskManager(self, session=session)

    def closeEvent(self, event):
        self.taskman.shutdown()
        super().closeEvent(event)


@pytest.fixture
def window(qtbot, admin_session):
    win = Window(admin_session)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.taskman.shutdown()


@pytest.fixture
def section(qtbot, window):
    box = BackupsSection(window.taskman)
    window.setCentralWidget(box)
    return box


def message_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def cells(section, row):
    return [section.table.item(row, c).text() for c in range(section.table.columnCount())]


# --- the section ----------------------------------------------------------------------------------------------------

def test_the_section_lists_the_backups_newest_first(qtbot, admin_session):
    maintenance.backup(admin_session, now=datetime(2026, 11, 20, 9, 30))
    add_household(admin_session, "102")
    maintenance.auto_backup(admin_session, now=datetime(2026, 11, 21, 18, 0))
    taskman = TaskManager(session=admin_session)
    box = BackupsSection(taskman)
    qtbot.addWidget(box)
    assert box.table.rowCount() == 2 and box.empty.isHidden()
    assert cells(box, 0)[:2] == ["2026-11-21 18:00:00", "自动"]
    assert cells(box, 1)[:2] == ["2026-11-20 09:30:00", "手动"]
    assert cells(box, 0)[2].endswith("KB") or cells(box, 0)[2].endswith("MB")
    assert box.title() == "数据备份" and box.backup_button.text() == "立即备份"
    assert box.restore_button.text() == "从备份恢复…" and box.folder_button.text() == "打开备份文件夹"
    taskman.shutdown()


def test_sizes_read_as_people_read_them():
    assert [size_text(n) for n in (300, 830_000, 62_545_920, 3_010_600_960)] == ["1 KB", "830 KB", "62.5 MB", "3.01 GB"]


def test_back_up_now_makes_a_backup_and_the_list_shows_it(qtbot, section, db_path):
    assert section.table.rowCount() == 0 and not section.empty.isHidden()
    with qtbot.waitSignal(section.backup_made, timeout=WAIT_MS) as made:
        qtbot.mouseClick(section.backup_button, Qt.MouseButton.LeftButton)
    path = Path(made.args[0])
    assert path.exists() and maintenance.check_file(path) == []
    assert section.table.rowCount() == 1 and cells(section, 0)[1] == "手动"
    assert "备份已完成" in section.outcome.text() and section.progress_row.isHidden()
    assert section.backup_button.isEnabled()
    assert [b.kind for b in list_backups(db_path)] == [MANUAL]


def test_restore_asks_restores_and_then_closes_the_program(qtbot, window, section, admin_session, db_path, monkeypatch):
    good = maintenance.backup(admin_session)
    add_household(admin_session, "102")
    section.refresh()
    section.table.selectRow(0)
    asked = []

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.mouseClick(section.restore_button, Qt.MouseButton.LeftButton)
    assert good.name in asked[0] and section.task is None and households(db_path) == 2   # "no" changes nothing

    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(section.restored, timeout=WAIT_MS) as restored:
        qtbot.mouseClick(section.restore_button, Qt.MouseButton.LeftButton)
    assert households(db_path) == 1
    safety = Path(restored.args[0])
    assert maintenance.parse_name(safety.name)[1] == BEFORE_RESTORE and households(safety) == 2
    assert "恢复前" in [cells(section, r)[1] for r in range(section.table.rowCount())]
    (box,) = message_boxes()
    assert "重新启动" in box.text() and safety.name in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)   # the program closes


def test_a_damaged_file_is_not_restored(qtbot, section, admin_session, db_path, tmp_path, monkeypatch):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"SQLite format 3\x00" + os.urandom(20000))
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    section.restore(bad)
    qtbot.waitUntil(lambda: section.task is None, timeout=WAIT_MS)
    assert "未做任何改动" in section.outcome.text() and "bad.db" in section.outcome.text()
    assert households(db_path) == 1 and list_backups(db_path) == [] and message_boxes() == []


def test_only_the_manager_may_back_up_and_restore_by_hand(qtbot, admin_session):
    admin_session.actor = Actor("u2", "窗口", "desk")
    taskman = TaskManager(session=admin_session)
    box = BackupsSection(taskman)
    qtbot.addWidget(box)
    assert not box.backup_button.isEnabled() and not box.restore_button.isEnabled()
    assert box.folder_button.isEnabled() and "站长" in box.backup_button.toolTip()
    taskman.shutdown()


def test_open_the_backup_folder(qtbot, section, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    qtbot.mouseClick(section.folder_button, Qt.MouseButton.LeftButton)
    assert opened and Path(opened[0]).name == "backups" and Path(opened[0]).is_dir()


# --- start-up: the integrity check ---------------------------------------------------------------------------------

def alter_the_audit_log(path):
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET user_name = 'someone else' WHERE seq = 2")
    conn.commit()
    conn.close()


def test_a_damaged_database_offers_the_newest_good_backup(qtbot, window, admin_session, db_path):
    older = maintenance.backup(admin_session, now=datetime.now() - timedelta(days=2))
    newest = maintenance.backup(admin_session, now=datetime.now() - timedelta(days=1))
    newest.write_bytes(newest.read_bytes()[:8192])                    # damaged: not the one offered
    alter_the_audit_log(db_path)
    guard = StartupGuard(db_path, None)
    with qtbot.waitSignal(guard.checked, timeout=WAIT_MS) as checked:
        guard.watch(window)
    assert checked.args[0] and "审计日志" in checked.args[0][0] and not guard.passed
    box = guard.dialog
    assert box is not None and box.isVisible()
    text = box.text()
    assert "审计日志" in text and (datetime.now() - timedelta(days=2)).strftime("%Y-%m-%d") in text
    assert guard.restore_button.text() == "恢复这个备份" and guard.quit_button.text() == "退出程序"
    guard.restore_button.click()
    qtbot.waitUntil(lambda: any("备份已恢复" == b.windowTitle() for b in message_boxes()), timeout=WAIT_MS)
    assert maintenance.check_file(db_path) == []                      # the audit log is whole again
    assert BEFORE_RESTORE in [b.kind for b in list_backups(db_path)]          # the damaged state is kept too
    assert older.exists()
    (done,) = message_boxes()
    done.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)
    assert guard.passed is False
    guard.close(admin_session)                                          # no automatic copy of what failed the check
    assert AUTOMATIC not in [b.kind for b in list_backups(db_path)]


def test_without_a_good_backup_the_way_out_is_to_quit(qtbot, window, db_path):
    alter_the_audit_log(db_path)
    guard = StartupGuard(db_path, None)
    with qtbot.waitSignal(guard.checked, timeout=WAIT_MS):
        guard.watch(window)
    assert guard.restore_button is None and "没有找到完好的备份" in guard.dialog.text()
    guard.quit_button.click()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT_MS)


def test_a_sound_database_passes_and_gets_its_daily_backup(qtbot, window, admin_session, db_path, monkeypatch):
    lock = DatabaseLock.take(db_path)
    guard = StartupGuard(db_path, lock)
    with qtbot.waitSignal(guard.checked, timeout=WAIT_MS) as checked:
        guard.watch(window)
    assert checked.args[0] == [] and guard.passed and guard.dialog is None
    qtbot.waitUntil(lambda: guard.backup_task is None and list_backups(db_path) != [], timeout=WAIT_MS)
    assert [b.kind for b in list_backups(db_path)] == [AUTOMATIC]
    # the window stays open past midnight: the hourly look makes the next day's backup
    assert guard.backup_timer.isActive() and guard.backup_timer.interval() == startup.BACKUP_LOOK_MS
    add_household(admin_session, "102")
    real = maintenance.auto_backup
    monkeypatch.setattr(maintenance, "auto_backup", lambda session: real(session, now=datetime.now() + timedelta(days=1)))
    guard.backup_timer.timeout.emit()
    qtbot.waitUntil(lambda: guard.backup_task is None and len(list_backups(db_path)) == 2, timeout=WAIT_MS)
    monkeypatch.setattr(maintenance, "auto_backup", real)
    guard.close(admin_session)                                          # the same day: no third one
    assert len(list_backups(db_path)) == 2 and not guard.backup_timer.isActive()
    assert guard.lock is None
    again = DatabaseLock.take(db_path)                                   # released
    assert again is not None
    again.release()


# --- start-up: one program per database, no network share -----------------------------------------------------------

def test_a_second_copy_on_the_same_database_is_stopped(qtbot, db_path, monkeypatch):
    held = DatabaseLock.take(db_path)
    assert held is not None and lock_path(db_path).exists()
    with pytest.raises(DatabaseInUse) as refused:
        DatabaseLock.take(db_path)
    assert str(os.getpid()) in str(refused.value)
    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: said.append((title, text)))
    assert StartupGuard.acquire(db_path) is None
    assert said and "已经" in said[0][1]
    held.release()
    guard = StartupGuard.acquire(db_path)
    assert guard is not None and guard.lock is not None
    guard.release()


def test_a_lock_left_by_a_crashed_program_does_not_block(db_path):
    script = ("import os, sys\nfrom redstation.store.lock import DatabaseLock\n"
              "lock = DatabaseLock.take(sys.argv[1])\nassert lock.held\nos._exit(9)\n")   # dies holding it
    done = subprocess.run([sys.executable, "-c", script, str(db_path)], timeout=60)
    assert done.returncode == 9 and lock_path(db_path).exists()
    lock = DatabaseLock.take(db_path)
    assert lock is not None and lock.held
    lock.release()


def test_a_database_on_a_network_share_is_refused(qtbot, db_path, monkeypatch):
    monkeypatch.setattr(startup, "is_network_path", lambda path: True)
    said = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text, *a, **k: said.append((title, text)))
    assert StartupGuard.acquire(db_path) is None
    assert said and "网络" in said[0][0] and str(db_path) in said[0][1]
    assert not lock_path(db_path).exists()


# --- unexpected errors ----------------------------------------------------------------------------------------------

@pytest.fixture
def error_handler(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    handler = ErrorHandler(folder / "redstation.log").install()
    yield handler
    handler.uninstall()


def test_an_unexpected_error_in_a_slot_shows_a_dialog_is_logged_and_the_program_goes_on(qtbot, error_handler):
    button = QPushButton("go")
    qtbot.addWidget(button)
    clicks = []

    def broken():
        clicks.append(1)
        raise ValueError("the slot broke")
    button.clicked.connect(broken)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: error_handler.dialog is not None, timeout=WAIT_MS)
    box = error_handler.dialog
    assert box.isVisible() and box.windowTitle() == "意外错误"
    assert "仍在运行" in box.text() and str(error_handler.log_path) in box.text() and "the slot broke" in box.text()
    logged = error_handler.log_path.read_text(encoding="utf-8")
    assert "Traceback" in logged and "ValueError: the slot broke" in logged and "in broken" in logged
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)                 # still running; one dialog at a time
    assert len(clicks) == 2 and error_handler.shown == 2 and len(message_boxes()) == 1
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: error_handler.dialog is None, timeout=WAIT_MS)


def test_an_error_in_a_thread_reaches_the_dialog_and_the_log(qtbot, error_handler):
    worker = threading.Thread(target=lambda: 1 / 0)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: error_handler.dialog is not None, timeout=WAIT_MS)
    assert "ZeroDivisionError" in error_handler.dialog.text()
    assert "ZeroDivisionError" in error_handler.log_path.read_text(encoding="utf-8")
    error_handler.dialog.button(QMessageBox.StandardButton.Ok).click()


def test_the_log_rotates(error_handler):
    assert (error_handler.handler.maxBytes, error_handler.handler.backupCount) == (1_000_000, 5)
    error_handler.handler.maxBytes = 2000
    for n in range(30):
        error_handler.logger.info("line %d %s", n, "x" * 200)
    assert error_handler.log_path.with_name("redstation.log.1").exists()
    assert error_handler.log_path.stat().st_size <= 2000
