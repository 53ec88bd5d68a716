"""The tickets page with real widgets offscreen: intake from the keyboard, the flow, callback, the desk view."""

import os
import subprocess
from datetime import datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.services import register, station, tickets, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000


@pytest.fixture
def world(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        users.create_user(session, "admin", "王站长", "admin", "secret123")
        household = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "304"})
        resident = register.create_resident(session, household, {"name": "张长锁", "phone": "13912345678"})
        old = tickets.accept(session, kind="complaint", source="phone", severity="ordinary", summary="广场舞音响太吵",
                             caller_name="李四", accepted_at=datetime.now() - timedelta(hours=2))
        with session.write("test.volunteer", "volunteers") as change:
            volunteer = change.insert("volunteers", name="刘师傅")
            change.insert("volunteer_skills", volunteer_id=volunteer, skill="appliance_repair", level=3)
    return db_path, {"resident": resident, "old": old["id"], "volunteer": volunteer}


@pytest.fixture
def window(qtbot, world):
    db_path, _ids = world
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    win.show_page(win.pages.index(win.tickets))
    qtbot.waitUntil(lambda: win.tickets.model.rowCount() > 0, timeout=WAIT_MS)
    yield win
    win.taskman.shutdown()
    session.close()


def ticket_rows(path, sql, *params):
    with Session.open(path, Actor.command_line()) as session:
        return [dict(r) for r in session.conn.execute(sql, params)]


def test_the_desk_view_shows_the_late_ticket_in_red(qtbot, window):
    page = window.tickets
    model = page.model
    assert model.data(model.index(0, 3)) == "广场舞音响太吵"
    assert model.data(model.index(0, 0)).startswith("超时")
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole).name() == "#c0141c"
    assert page.summary.text() == "共 1 件：超时 1 件，即将到期 0 件"
    qtbot.waitUntil(lambda: page.panel.item is not None, timeout=WAIT_MS)
    assert "到场：超时" in page.panel.stages.text() and "办结：超时" in page.panel.stages.text()


def test_intake_typed_from_the_keyboard(qtbot, window, world):
    db_path, ids = world
    page = window.tickets
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.intake_dialog is not None and page.intake_dialog.isVisible(), timeout=WAIT_MS)
    dialog = page.intake_dialog
    assert dialog.focusWidget() is dialog.search
    qtbot.keyClicks(dialog.search, "zcs")
    qtbot.waitUntil(lambda: bool(dialog.search.items), timeout=WAIT_MS)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.resident["id"] == ids["resident"] and "张长锁" in dialog.chosen.text()
    assert dialog.focusWidget() is dialog.kind
    qtbot.keyClicks(dialog.kind, "3")                       # 3 报修
    assert dialog.kind.currentData() == "repair"
    dialog.summary.setText("楼道灯不亮")                      # Chinese goes in with setText
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已受理工单" in page.saved.text(), timeout=WAIT_MS)
    made = ticket_rows(db_path, "SELECT * FROM tickets WHERE summary = '楼道灯不亮'")
    assert len(made) == 1 and made[0]["resident_id"] == ids["resident"] and made[0]["caller_phone"] == "13912345678"
    assert (made[0]["kind"], made[0]["source"], made[0]["severity"]) == ("repair", "window", "ordinary")
    assert made[0]["number"] in page.saved.text()
    qtbot.waitUntil(lambda: page.panel.item is not None and page.panel.item["id"] == made[0]["id"], timeout=WAIT_MS)
    assert "到场：剩" in page.panel.stages.text()


def test_intake_without_a_resident_or_caller_is_refused(qtbot, window, world):
    db_path, _ids = world
    dialog = window.tickets.new_ticket()
    dialog.summary.setText("咨询医保缴费")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=WAIT_MS)
    assert "来电人" in dialog.message.text() and dialog.isVisible()
    assert len(ticket_rows(db_path, "SELECT * FROM tickets")) == 1


def test_assign_on_site_solve_and_call_back(qtbot, window, world):
    db_path, ids = world
    page = window.tickets
    panel = page.panel
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    assert panel.buttons["assign"].isEnabled() and not panel.buttons["callback"].isEnabled()
    panel.act("assign", assignee_kind="volunteer", assignee_id=ids["volunteer"], assignee_name="刘师傅")
    qtbot.waitUntil(lambda: panel.item["status"] == "assigned", timeout=WAIT_MS)
    qtbot.mouseClick(panel.buttons["on_site"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.item["status"] == "on_site", timeout=WAIT_MS)
    panel.act("resolve", "已协调降低音量")
    qtbot.waitUntil(lambda: panel.item["status"] == "resolved", timeout=WAIT_MS)
    assert panel.buttons["callback"].isEnabled() and panel.buttons["reopen"].isEnabled()
    panel.act("callback", "基本解决了", rating="basic")
    qtbot.waitUntil(lambda: panel.item["status"] == "called_back", timeout=WAIT_MS)
    actions = [panel.history.item(i).text() for i in range(panel.history.count())]
    assert actions[0].endswith("回访：基本满意 基本解决了") and any("派单：刘师傅" in a for a in actions)
    answer = ticket_rows(db_path, "SELECT * FROM satisfaction WHERE ticket_id = ?", ids["old"])
    assert [(a["rating"], a["comment"]) for a in answer] == [("basic", "基本解决了")]
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=WAIT_MS)   # no longer open


def test_a_dissatisfied_callback_can_be_reopened(qtbot, window, world):
    db_path, ids = world
    panel = window.tickets.panel
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    panel.act("resolve", "已劝导")
    qtbot.waitUntil(lambda: panel.item["status"] == "resolved", timeout=WAIT_MS)
    panel.act("callback", "晚上还是很吵", rating="dissatisfied")
    qtbot.waitUntil(lambda: panel.item["status"] == "called_back", timeout=WAIT_MS)
    panel.act("reopen", "居民不满意，重新协调")
    qtbot.waitUntil(lambda: panel.item["status"] == "accepted", timeout=WAIT_MS)
    assert ticket_rows(db_path, "SELECT status FROM tickets WHERE id = ?", ids["old"])[0]["status"] == "accepted"


def test_waiting_stops_the_clock_on_screen(qtbot, window):
    panel = window.tickets.panel
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    panel.act("pause", "等待居民在家")
    qtbot.waitUntil(lambda: panel.item["paused"] == 1, timeout=WAIT_MS)
    assert panel.buttons["resume"].isEnabled() and not panel.buttons["pause"].isEnabled()
    assert "（等待中）" in panel.title.text()


def test_print_receipt_from_the_panel(qtbot, window):
    panel = window.tickets.panel
    qtbot.waitUntil(lambda: panel.item is not None, timeout=WAIT_MS)
    job = panel.print_receipt()
    qtbot.waitUntil(lambda: job.dialog is not None, timeout=WAIT_MS)
    text = subprocess.run(["pdftotext", str(job.path), "-"], capture_output=True, text=True, check=True).stdout
    assert "受理回执" in text and panel.item["number"] in text and "广场舞音响太吵" in text
    job.dialog.close()


def test_a_ticket_for_a_member_from_the_register(qtbot, window, world):
    _db_path, ids = world
    window.new_ticket_for({"id": ids["resident"], "name": "张长锁", "address": "阳光花园 3-1-304", "phone": "13912345678"})
    dialog = window.tickets.intake_dialog
    assert window.current_page() is window.tickets and dialog.resident["id"] == ids["resident"]
    assert dialog.focusWidget() is dialog.summary
