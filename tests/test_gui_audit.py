"""The audit-log dialog with real widgets offscreen: browse, filter, see the chain's state; the station manager only.

Chinese goes into widgets with setText (qtbot.keyClicks with a Chinese character aborts the
process); ASCII is typed with keyClicks.
"""

import os
import shutil
import sqlite3
from datetime import date, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QDate, Qt  # noqa: E402

from redstation.gui.audit_log import AuditLogDialog  # noqa: E402
from redstation.gui.models import PENDING  # noqa: E402
from redstation.gui.tasks import TaskManager  # noqa: E402
from redstation.services import demo, register, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000
TIME, USER, ACTION, KIND, DETAILS = range(5)


@pytest.fixture(scope="module")
def made_db(tmp_path_factory):
    """A small demo station, then a failed login, a desk user's login, a change and an unmasking."""
    path = tmp_path_factory.mktemp("gui-audit") / "demo.db"
    with Session.open(path, Actor.command_line()) as session:
        demo.generate(session, 12, seed=5)
        with pytest.raises(users.LoginFailed):
            users.log_in(session, "intruder", "guess")
        desk = users.log_in(session, "desk1", demo.DEMO_PASSWORD)
        resident = session.conn.execute("SELECT id FROM residents WHERE deleted = 0 LIMIT 1").fetchone()[0]
        register.edit_resident(session, resident, {"care_notes": "耳背，说话要大声"})
        register.unmask(session, "residents", resident, "办理低保核对身份")
        users.log_out(session)
    return path, desk.name


@pytest.fixture
def audit_db(made_db, db_path):
    shutil.copy(made_db[0], db_path)
    return db_path


def open_dialog(qtbot, path, actor=None):
    session = Session.open(path, Actor.command_line())
    session.actor = actor or users.first_admin(session)
    taskman = TaskManager(session=session)
    dialog = AuditLogDialog(taskman)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog, taskman, session


@pytest.fixture
def dialog(qtbot, audit_db):
    dialog, taskman, session = open_dialog(qtbot, audit_db)
    wait_loaded(qtbot, dialog)
    yield dialog
    taskman.shutdown()
    session.close()


def db_count(path, sql="SELECT count(*) FROM audit_log"):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


def wait_loaded(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.model.loading and dialog.count.text().startswith("共"), timeout=WAIT_MS)


def column(qtbot, dialog, number):
    """The texts of one column of every row shown, once their blocks have arrived."""
    model = dialog.model
    for row in range(model.rowCount()):
        model.row(row)
    qtbot.waitUntil(lambda: all(model.data(model.index(r, 0)) != PENDING for r in range(model.rowCount())),
                    timeout=WAIT_MS)
    return [model.data(model.index(r, number)) for r in range(model.rowCount())]


def choose(combo, text):
    index = combo.findText(text)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)


def test_the_log_newest_first_and_the_chain_intact(qtbot, dialog, audit_db, qtmodeltester):
    total = db_count(audit_db)
    assert dialog.model.rowCount() == total and dialog.count.text() == "共 {n} 条".format(n=total)
    actions = column(qtbot, dialog, ACTION)
    assert actions[:6] == ["退出登录", "查看完整证件号", "修改居民", "登录", "登录失败", "生成示例数据"]
    assert column(qtbot, dialog, DETAILS)[1] == "原因：办理低保核对身份"
    assert column(qtbot, dialog, KIND)[1] == "居民"
    times = column(qtbot, dialog, TIME)
    assert times == sorted(times, reverse=True) and times[0].startswith(date.today().isoformat())
    red = dialog.model.data(dialog.model.index(1, ACTION), Qt.ItemDataRole.ForegroundRole)
    assert red is not None and red.name() == "#c0141c"   # an unmasking stands out
    qtbot.waitUntil(lambda: dialog.chain_result is not None, timeout=WAIT_MS)
    assert dialog.chain_result["intact"] and dialog.chain.objectName() == "success"
    assert dialog.chain.text() == "审计日志完好：全部 {n} 条记录与写入时一致，没有被删除。".format(n=total)
    qtmodeltester.check(dialog.model)


def test_filter_by_user_action_date_and_text(qtbot, dialog, made_db):
    desk_name = made_db[1]
    qtbot.waitUntil(lambda: dialog.user.count() > 3 and dialog.group.count() > 3, timeout=WAIT_MS)
    choose(dialog.user, desk_name)
    wait_loaded(qtbot, dialog)
    assert column(qtbot, dialog, USER) == [desk_name] * 4
    assert column(qtbot, dialog, ACTION) == ["退出登录", "查看完整证件号", "修改居民", "登录"]

    choose(dialog.group, "查看完整证件号")
    wait_loaded(qtbot, dialog)
    assert column(qtbot, dialog, ACTION) == ["查看完整证件号"] and dialog.count.text() == "共 1 条"
    dialog.table.setCurrentIndex(dialog.model.index(0, 0))
    assert "第 " in dialog.details.text() and "办理低保核对身份" in dialog.details.text()

    choose(dialog.user, "全部用户")
    choose(dialog.group, "登录失败")
    wait_loaded(qtbot, dialog)
    assert column(qtbot, dialog, USER) == ["?"]

    choose(dialog.group, "全部操作")
    tomorrow = date.today() + timedelta(days=1)
    dialog.start.setDate(QDate(tomorrow.year, tomorrow.month, tomorrow.day))
    wait_loaded(qtbot, dialog)
    assert dialog.model.rowCount() == 0 and dialog.count.text() == "共 0 条"
    dialog.start.setDate(dialog.start.minimumDate())
    assert dialog.start.text() == "不限"
    wait_loaded(qtbot, dialog)
    assert dialog.model.rowCount() > 5

    qtbot.keyClicks(dialog.text, "?")   # typing waits for a pause, Enter loads at once
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=WAIT_MS)
    assert column(qtbot, dialog, ACTION) == ["登录失败"]
    dialog.text.setText("低保")
    qtbot.waitUntil(lambda: not dialog.model.loading and column(qtbot, dialog, ACTION) == ["查看完整证件号"],
                    timeout=WAIT_MS)
    dialog.text.clear()
    qtbot.waitUntil(lambda: not dialog.model.loading and dialog.model.rowCount() > 5, timeout=WAIT_MS)


def test_an_altered_log_is_shown_in_red_naming_the_entry(qtbot, audit_db):
    with sqlite3.connect(audit_db) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        seq = conn.execute("SELECT seq FROM audit_log WHERE action = 'unmask'").fetchone()[0]
        conn.execute("UPDATE audit_log SET detail = '{}' WHERE seq = ?", (seq,))
    dialog, taskman, session = open_dialog(qtbot, audit_db)
    try:
        qtbot.waitUntil(lambda: dialog.chain_result is not None, timeout=WAIT_MS)
        assert not dialog.chain_result["intact"] and dialog.chain.objectName() == "error"
        assert "审计日志被改动过" in dialog.chain.text() and "第 {n} 条".format(n=seq) in dialog.chain.text()
        assert "查看完整证件号" in dialog.chain.text()
    finally:
        taskman.shutdown()
        session.close()


@pytest.mark.parametrize("username", ["desk1", "guard1", "viewer1"])
def test_anyone_but_the_station_manager_is_refused(qtbot, audit_db, username):
    with Session.open(audit_db, Actor.command_line()) as setup:
        row = setup.conn.execute("SELECT id FROM users WHERE username = ?", (username,)).fetchone()
        actor = users.actor(setup, row[0])
    before = db_count(audit_db)
    dialog, taskman, session = open_dialog(qtbot, audit_db, actor)
    try:
        assert dialog.refusal is not None and dialog.message.isVisible()
        assert "站长" in dialog.message.text()
        assert dialog.table is None and dialog.model is None and not taskman.busy
        assert db_count(audit_db) == before
    finally:
        taskman.shutdown()
        session.close()
