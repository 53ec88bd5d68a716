"""Logging in, locking, switching users, each role's window, masked numbers and accounts, with real widgets."""

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QGroupBox  # noqa: E402

from redstation.gui.audit_log import AuditLogDialog  # noqa: E402
from redstation.gui.forms import ResidentDialog  # noqa: E402
from redstation.gui.login import Doorman, LoginDialog  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.tasks import TaskManager  # noqa: E402
from redstation.gui.users import AccountSection, UsersSection  # noqa: E402
from redstation.services import demo, register, users  # noqa: E402
from redstation.services.demo import DEMO_PASSWORD  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000
ID = "110101194905010015"


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    path = tmp_path_factory.mktemp("login") / "station.db"
    with Session.open(path, Actor.command_line()) as s:
        demo.generate(s, 20, seed=5)
        household = register.create_household(s, {"estate": "阳光花园", "building": "9", "unit": "1", "room": "304"})
        resident = register.create_resident(s, household, {"name": "张长锁", "id_number": ID, "phone": "13912345678"})
    return path, household, resident


@pytest.fixture
def db(made, db_path):
    shutil.copyfile(made[0], db_path)
    return db_path


@pytest.fixture
def session(db):
    s = Session.open(db, Actor(None, "window", ""))
    yield s
    s.close()


def log_in(qtbot, dialog, username, password):
    dialog.username.setCurrentText(username)
    dialog.password.setFocus()
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def audit(session, action):
    return [tuple(r) for r in session.conn.execute(
        "SELECT user_name, detail FROM audit_log WHERE action = ? ORDER BY seq", (action,))]


@pytest.fixture
def doorman(qtbot, session):
    shown = []
    keeper = Doorman(session, build_main_window, lambda window: (shown.append(window), window.show()))
    yield keeper
    for window in shown:
        window.taskman.shutdown()
        window.close()
    keeper.watcher.stop()


def start(qtbot, doorman, username):
    """Log in at start as ``username`` (the start-up dialog is modal: typed into once it is open)."""
    def type_in():
        log_in(qtbot, doorman.dialog, username, DEMO_PASSWORD)
    from PySide6.QtCore import QTimer
    QTimer.singleShot(0, type_in)
    assert doorman.log_in()
    qtbot.waitUntil(doorman.window.isActiveWindow, timeout=WAIT_MS)
    return doorman.window


def test_a_wrong_password_is_refused_in_chinese_and_recorded(qtbot, session):
    dialog = LoginDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    assert "desk1" in [dialog.username.itemText(i) for i in range(dialog.username.count())]
    log_in(qtbot, dialog, "desk1", "wrong-one")
    assert dialog.isVisible() and dialog.message.text() == "用户名或密码不对" and dialog.password.text() == ""
    assert session.actor.role == ""
    log_in(qtbot, dialog, "desk1", DEMO_PASSWORD)
    assert dialog.result() == LoginDialog.DialogCode.Accepted and session.actor.role == "desk"
    assert audit(session, "session.login_failed")[-1][0] == "desk1"
    assert audit(session, "session.login")[-1][0] == "李晓梅"


def test_five_wrong_passwords_make_the_user_wait(qtbot, session):
    dialog = LoginDialog(session)
    qtbot.addWidget(dialog)
    dialog.show()
    for _n in range(5):
        log_in(qtbot, dialog, "desk1", "nope-nope")
    assert not dialog.ok_button.isEnabled() and "30 秒" in dialog.message.text()
    log_in(qtbot, dialog, "desk1", DEMO_PASSWORD)              # Enter does nothing while it waits
    assert session.actor.role == "" and dialog.isVisible()


def test_each_role_gets_its_own_pages_and_buttons(qtbot, doorman):
    window = start(qtbot, doorman, "guard1")
    assert [page.title for page in window.pages] == ["走访", "设置"]
    assert not window.search.isVisible() and window.register is None
    assert window.visits.log_button.isVisible() and not window.visits.intervals_button.isVisible()
    assert "赵卫东" in window.user_label.text() and "保安" in window.user_label.text()


def test_the_viewer_sees_figures_without_buttons_that_change_things(qtbot, doorman):
    window = start(qtbot, doorman, "viewer1")
    assert "数据交换" not in [page.title for page in window.pages]
    window.show_page(window.pages.index(window.register))
    assert not window.register.new_button.isVisible() and not window.register.import_button.isVisible()
    assert window.register.export_button.isVisible()
    assert window.settings.users_box is None


def test_lock_hides_the_window_and_the_same_user_comes_back_to_it(qtbot, doorman, session):
    window = start(qtbot, doorman, "desk1")
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: doorman.dialog is not None and doorman.dialog.isVisible(), timeout=WAIT_MS)
    assert not window.isVisible() and doorman.dialog.username.currentText() == "desk1"
    assert audit(session, "session.logout")[-1] == ("李晓梅", '{"why": "lock"}')
    log_in(qtbot, doorman.dialog, "desk1", DEMO_PASSWORD)
    qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
    assert doorman.window is window and session.actor.name == "李晓梅"


def test_switching_user_gives_the_next_one_their_own_window(qtbot, doorman, session):
    window = start(qtbot, doorman, "admin")
    assert window.exchange is not None and window.settings.users_box is not None
    window.switch_label.linkActivated.emit("switch")
    qtbot.waitUntil(lambda: doorman.dialog is not None and doorman.dialog.isVisible(), timeout=WAIT_MS)
    assert doorman.dialog.username.currentText() == ""
    log_in(qtbot, doorman.dialog, "guard2", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: doorman.window is not window and doorman.window.isVisible(), timeout=WAIT_MS)
    assert [page.title for page in doorman.window.pages] == ["走访", "设置"]
    assert session.actor.name == "孙志强" and doorman.window.taskman.actor.role == "guard"


def test_five_idle_minutes_lock_the_window(qtbot, session):
    shown = []
    keeper = Doorman(session, build_main_window, lambda w: (shown.append(w), w.show()), idle_minutes=0.005)  # 0.3 s
    users.log_in(session, "desk1", DEMO_PASSWORD)
    keeper.open_window()
    qtbot.waitExposed(keeper.window)
    qtbot.waitUntil(lambda: keeper.dialog is not None and keeper.dialog.isVisible(), timeout=WAIT_MS)
    assert not keeper.window.isVisible() and audit(session, "session.logout")[-1][1] == '{"why": "idle"}'
    keeper.dialog.reject()                                         # 退出程序 while locked quits
    keeper.window.taskman.shutdown()


# --- numbers the desk sees masked -----------------------------------------------------------------------------------

@pytest.fixture
def desk_taskman(qtbot, session):
    users.log_in(session, "desk1", DEMO_PASSWORD)
    taskman = TaskManager(session=session)
    yield taskman
    taskman.shutdown()


def test_the_desk_sees_numbers_masked_and_unmasks_them_with_a_reason(qtbot, session, desk_taskman, made):
    current = register.resident(session.conn, made[2])
    dialog = ResidentDialog(desk_taskman, made[1], current["address"], current)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.id_number.text() == "110101********0015" and dialog.id_number.isReadOnly()
    assert dialog.phone.text() == "139****5678"
    reason = dialog.ask_reason("residents", made[2])
    reason.choice.setCurrentText("办理高龄补贴核对身份")
    qtbot.keyClick(reason.choice, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.id_number.text() == ID, timeout=WAIT_MS)
    assert dialog.phone.text() == "13912345678" and not dialog.id_number.isReadOnly()
    assert "已记录" in dialog.unmask_button.text()
    assert audit(session, "unmask")[-1] == ("李晓梅", '{"reason": "办理高龄补贴核对身份"}')


def test_saving_with_masked_numbers_keeps_the_stored_ones(qtbot, session, desk_taskman, made):
    current = register.resident(session.conn, made[2])
    dialog = ResidentDialog(desk_taskman, made[1], current["address"], current)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.care_notes.setText("耳背")
    qtbot.keyClick(dialog.care_notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.result() == ResidentDialog.DialogCode.Accepted, timeout=WAIT_MS)
    saved = register.resident(session.conn, made[2])
    assert (saved["care_notes"], saved["id_number"], saved["phone"]) == ("耳背", ID, "13912345678")
    assert audit(session, "unmask") == []


def test_a_reason_is_required_of_the_desk(qtbot, session, desk_taskman, made):
    current = register.resident(session.conn, made[2])
    dialog = ResidentDialog(desk_taskman, made[1], current["address"], current)
    qtbot.addWidget(dialog)
    dialog.show()
    reason = dialog.ask_reason("residents", made[2])
    qtbot.keyClick(reason.choice, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "原因" in dialog.message.text(), timeout=WAIT_MS)
    assert dialog.id_number.text() == "110101********0015" and audit(session, "unmask") == []


# --- accounts ---------------------------------------------------------------------------------------------------------

def test_the_manager_adds_and_retires_an_account(qtbot, session):
    users.log_in(session, "admin", DEMO_PASSWORD)
    taskman = TaskManager(session=session)
    section = UsersSection(taskman)
    qtbot.addWidget(section)
    section.show()
    qtbot.waitUntil(lambda: section.table.rowCount() == 7, timeout=WAIT_MS)
    dialog = section.new()
    qtbot.keyClicks(dialog.username, "liu")
    dialog.display_name.setText("刘芳")
    dialog.role.setCurrentIndex(dialog.role.findData("desk"))
    qtbot.keyClicks(dialog.password, "liufang1")
    qtbot.keyClicks(dialog.confirm, "liufang1")
    qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.table.rowCount() == 8, timeout=WAIT_MS)
    names = [section.table.item(n, 1).text() for n in range(8)]
    row = names.index("刘芳")
    assert section.table.item(row, 2).text() == "窗口"
    section.table.selectRow(row)
    edit = section.edit()
    edit.active.setChecked(False)
    qtbot.keyClick(edit.display_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(section.table.item(n, 4).text() == "已停用" for n in range(8)), timeout=WAIT_MS)
    with Session.open(session.path, Actor(None, "?", "")) as other, pytest.raises(users.LoginFailed):
        users.log_in(other, "liu", "liufang1")
    taskman.shutdown()


def test_the_last_manager_cannot_be_retired_from_the_window(qtbot, session):
    users.log_in(session, "admin", DEMO_PASSWORD)
    taskman = TaskManager(session=session)
    section = UsersSection(taskman)
    qtbot.addWidget(section)
    qtbot.waitUntil(lambda: section.table.rowCount() == 7, timeout=WAIT_MS)
    section.table.selectRow(0)                              # the manager comes first
    edit = section.edit()
    assert edit.username.text() == "admin" and edit.username.isReadOnly()
    edit.active.setChecked(False)
    qtbot.keyClick(edit.display_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "唯一的站长" in edit.message.text(), timeout=WAIT_MS)
    assert edit.isVisible()
    taskman.shutdown()


def test_everyone_changes_their_own_password(qtbot, session):
    users.log_in(session, "guard1", DEMO_PASSWORD)
    taskman = TaskManager(session=session)
    section = AccountSection(taskman)
    qtbot.addWidget(section)
    qtbot.keyClicks(section.old, "wrong-old")
    qtbot.keyClicks(section.new, "xinmima9")
    qtbot.keyClicks(section.confirm, "xinmima9")
    qtbot.keyClick(section.confirm, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: section.message.text() == "原密码不对", timeout=WAIT_MS)
    section.old.setText(DEMO_PASSWORD)
    section.change_button.click()
    qtbot.waitUntil(lambda: section.message.text() == "密码已修改。", timeout=WAIT_MS)
    assert section.old.text() == ""
    with Session.open(session.path, Actor(None, "?", "")) as other:
        assert users.log_in(other, "guard1", "xinmima9").name == "赵卫东"
    taskman.shutdown()
    QApplication.processEvents()


def test_the_manager_opens_the_audit_log_from_the_settings_page(qtbot, doorman):
    window = start(qtbot, doorman, "admin")
    window.show_page(window.pages.index(window.settings))
    window.settings.audit_button.click()
    dialog = window.settings.findChild(AuditLogDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.windowTitle() == "审计日志"


def test_the_desk_has_no_audit_log_and_no_accounts(qtbot, doorman):
    window = start(qtbot, doorman, "desk1")
    boxes = [box.title() for box in window.settings.findChildren(QGroupBox)]
    assert "审计日志" not in boxes and "用户" not in boxes and "我的账号" in boxes
