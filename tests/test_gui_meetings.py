"""The meetings page with real widgets offscreen: a meeting recorded from the keyboard, an action turned into a ticket."""

import os
import subprocess
from datetime import datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.pages.meetings import ActionDialog, AttendeeDialog, TopicDialog  # noqa: E402
from redstation.services import meetings, register, station, tickets, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000


@pytest.fixture
def world(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        users.create_user(session, "admin", "王站长", "admin", "secret123")
        household = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "304"})
        resident = register.create_resident(session, household, {"name": "张长锁", "phone": "13912345678"})
        parking = tickets.accept(session, kind="complaint", source="window", severity="ordinary", summary="外来车辆占用车位",
                                 resident_id=resident, accepted_at=datetime.now() - timedelta(days=2))
        old = meetings.create_meeting(session, {"kind": "tripartite", "estate": "阳光花园", "place": "服务站会议室",
                                                "held_at": datetime.now() - timedelta(days=40)})
        meetings.add_action(session, old, {"description": "公示物业收支", "owner": "王站长",
                                           "due_date": (datetime.now() - timedelta(days=5)).date().isoformat()})
    return db_path, {"resident": resident, "parking": parking, "old": old}


@pytest.fixture
def window(qtbot, world):
    db_path, _ids = world
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    win.show_page(win.pages.index(win.meetings))
    qtbot.waitUntil(lambda: win.meetings.model.rowCount() > 0 and win.meetings.panel.item is not None, timeout=WAIT_MS)
    yield win
    win.taskman.shutdown()
    session.close()


def rows(path, sql, *params):
    with Session.open(path, Actor.command_line()) as session:
        return [dict(r) for r in session.conn.execute(sql, params)]


def wait_dialog(qtbot, panel, kind):
    qtbot.waitUntil(lambda: isinstance(panel.dialog, kind) and panel.dialog.isVisible(), timeout=WAIT_MS)
    return panel.dialog


def test_the_list_shows_the_meetings_and_their_overdue_actions(qtbot, window, qtmodeltester):
    page = window.meetings
    assert window.meetings.header.text() == "会议"
    model = page.model
    assert model.data(model.index(0, 2)) == "阳光花园三方联席会议"
    assert model.data(model.index(0, 3)) == "逾期 1/1"
    assert model.data(model.index(0, 3), Qt.ItemDataRole.ForegroundRole).name() == "#c0141c"
    assert page.summary.text() == "共 1 次会议，1 次有逾期事项"
    qtmodeltester.check(model)
    panel = page.panel
    assert panel.title.text() == "阳光花园三方联席会议" and "服务站会议室" in panel.facts.text()
    assert panel.actions.model.data(panel.actions.model.index(0, 4)).startswith("逾期 5 天")


def test_a_meeting_recorded_from_the_keyboard(qtbot, window, world, tmp_path):
    db_path, ids = world
    page, panel = window.meetings, window.meetings.panel

    # the header: Ctrl+N, kind 3 (圆桌会议), estate from its list, place and host, Enter
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog.focusWidget() is dialog.kind
    qtbot.keyClicks(dialog.kind, "3")
    assert dialog.kind.currentData() == "roundtable"
    assert dialog.estate.currentText() == "阳光花园"                      # the latest meeting's estate
    assert dialog.title.text() == "阳光花园红色物业圆桌会议"              # from the estate and kind
    assert dialog.recorder.currentText() == "王站长"                      # who uses the window
    qtbot.keyClick(dialog.kind, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.estate.lineEdit() or dialog.focusWidget() is dialog.estate
    qtbot.keyClick(dialog.estate, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.title, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.held_at, Qt.Key.Key_Tab)
    dialog.place.lineEdit().setText("")
    dialog.place.lineEdit().insert("党群服务中心二楼")                    # Chinese goes in with insert
    dialog.host.lineEdit().insert("刘书记")
    qtbot.keyClick(dialog.host, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.item is not None and panel.item["kind"] == "roundtable", timeout=WAIT_MS)
    made = rows(db_path, "SELECT * FROM meetings WHERE kind = 'roundtable'")
    assert len(made) == 1 and (made[0]["title"], made[0]["place"], made[0]["host"], made[0]["recorder"]) == (
        "阳光花园红色物业圆桌会议", "党群服务中心二楼", "刘书记", "王站长")
    assert "请继续添加参会人员" in panel.saved.text()
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT_MS)
    meeting_id = made[0]["id"]

    # an attendee typed in: Insert, party 3 (业委会), Tab Tab, the name, the title, Enter
    qtbot.waitUntil(lambda: window.focusWidget() is panel.attendees.table, timeout=WAIT_MS)
    qtbot.keyClick(panel.attendees.table, Qt.Key.Key_Insert)
    dialog = wait_dialog(qtbot, panel, AttendeeDialog)
    assert dialog.focusWidget() is dialog.party
    qtbot.keyClicks(dialog.party, "3")
    assert dialog.party.currentData() == "owners_committee"
    qtbot.keyClick(dialog.party, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.search
    qtbot.keyClick(dialog.search, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.staff, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.name
    dialog.name.insert("王建国")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
    dialog.title.lineEdit().insert("业委会主任")
    qtbot.keyClick(dialog.title, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.item is not None and len(panel.item["attendees"]) == 1, timeout=WAIT_MS)

    # a resident picked with the search box: Insert, party 6 (居民代表), zcs, Enter picks, Enter saves
    qtbot.waitUntil(lambda: window.focusWidget() is panel.attendees.table, timeout=WAIT_MS)
    qtbot.keyClick(panel.attendees.table, Qt.Key.Key_Insert)
    qtbot.waitUntil(lambda: panel.dialog is not dialog and panel.dialog.isVisible(), timeout=WAIT_MS)
    dialog = panel.dialog
    assert dialog.party.currentData() == "owners_committee"              # the party of the last one added
    qtbot.keyClicks(dialog.party, "6")
    qtbot.keyClick(dialog.party, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.search, "zcs")
    qtbot.waitUntil(lambda: bool(dialog.search.items), timeout=WAIT_MS)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.name.text() == "张长锁" and dialog.title.currentText() == "居民代表"
    assert "登记居民：张长锁" in dialog.picked.text() and dialog.isVisible()
    assert dialog.focusWidget() is dialog.title.lineEdit() or dialog.focusWidget() is dialog.title
    qtbot.keyClick(dialog.title, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(panel.item["attendees"]) == 2, timeout=WAIT_MS)
    attendees = rows(db_path, "SELECT party, name, title, person_kind, person_id FROM meeting_attendees "
                              "WHERE meeting_id = ? ORDER BY seq", meeting_id)
    assert attendees == [{"party": "owners_committee", "name": "王建国", "title": "业委会主任", "person_kind": None,
                          "person_id": None},
                         {"party": "residents_rep", "name": "张长锁", "title": "居民代表", "person_kind": "resident",
                          "person_id": ids["resident"]}]
    assert panel.attendees.note.text() == "业委会 1 人  ·  居民代表 1 人"
    assert panel.tabs.tabText(0) == "参会人员（2）"

    # a topic with a resolution, discussing a ticket ticked in the list
    panel.tabs.setCurrentIndex(1)
    panel.topics.table.setFocus()
    qtbot.keyClick(panel.topics.table, Qt.Key.Key_Insert)
    dialog = wait_dialog(qtbot, panel, TopicDialog)
    dialog.title.insert("夜间停车难")
    qtbot.keyClick(dialog.title, Qt.Key.Key_Tab)
    dialog.raised_by.setCurrentIndex(1)                                  # 张长锁（居民代表）
    qtbot.keyClick(dialog.raised_by, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.discussion
    dialog.discussion.insertPlainText("外来车辆占用车位")
    qtbot.keyClick(dialog.discussion, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)   # a new line
    dialog.discussion.insertPlainText("消防通道被堵")
    assert dialog.isVisible()
    qtbot.keyClick(dialog.discussion, Qt.Key.Key_Tab)
    dialog.resolution.insertPlainText("施划临时停车位，外来车辆登记")
    qtbot.keyClick(dialog.resolution, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.tickets.find
    qtbot.keyClicks(dialog.tickets.find, ids["parking"]["number"][-3:])
    qtbot.waitUntil(lambda: not dialog.tickets.searching and any(
        t["id"] == ids["parking"]["id"] for t in dialog.tickets.found), timeout=WAIT_MS)
    qtbot.keyClick(dialog.tickets.find, Qt.Key.Key_Down)
    assert dialog.focusWidget() is dialog.tickets.list
    qtbot.keyClick(dialog.tickets.list, Qt.Key.Key_Space)
    assert dialog.tickets.ticket_ids() == [ids["parking"]["id"]]
    qtbot.keyClick(dialog.tickets.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(panel.item["topics"]) == 1, timeout=WAIT_MS)
    topic = panel.item["topics"][0]
    assert (topic["title"], topic["raised_by"], topic["discussion"], topic["resolution"]) == (
        "夜间停车难", "张长锁（居民代表）", "外来车辆占用车位\n消防通道被堵", "施划临时停车位，外来车辆登记")
    assert [t["number"] for t in topic["tickets"]] == [ids["parking"]["number"]]
    assert panel.topics.model.data(panel.topics.model.index(0, 4)) == ids["parking"]["number"]

    # an action under that topic, owned by an attendee
    panel.tabs.setCurrentIndex(2)
    panel.actions.table.setFocus()
    qtbot.keyClick(panel.actions.table, Qt.Key.Key_Insert)
    dialog = wait_dialog(qtbot, panel, ActionDialog)
    dialog.description.insert("北门施划临时停车位")
    dialog.topic.setCurrentIndex(1)
    dialog.owner.setCurrentText("王建国")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(panel.item["actions"]) == 1, timeout=WAIT_MS)
    action = panel.item["actions"][0]
    assert (action["description"], action["owner"], action["topic_id"], action["status"]) == (
        "北门施划临时停车位", "王建国", topic["id"], "open")
    assert action["due_date"] == (datetime.fromisoformat(made[0]["held_at"]).date() + timedelta(days=14)).isoformat()
    model = panel.actions.model
    assert model.data(model.index(0, 4)) == "未完成"

    # one click turns it into a ticket of the kind and severity chosen beside the button
    panel.actions.table.selectRow(0)
    assert panel.ticket_button.isEnabled()
    qtbot.keyClicks(panel.ticket_kind, "3")                             # 报修
    qtbot.keyClicks(panel.ticket_severity, "2")                         # 重大问题
    qtbot.mouseClick(panel.ticket_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.item["actions"][0]["ticket"] is not None, timeout=WAIT_MS)
    ticket = rows(db_path, "SELECT * FROM tickets WHERE meeting_id = ?", meeting_id)
    assert len(ticket) == 1 and (ticket[0]["source"], ticket[0]["kind"], ticket[0]["severity"], ticket[0]["summary"]) == (
        "meeting", "repair", "major", "北门施划临时停车位")
    assert rows(db_path, "SELECT ticket_id FROM meeting_actions WHERE id = ?", action["id"])[0]["ticket_id"] == ticket[0]["id"]
    assert ticket[0]["number"] in panel.saved.text()
    assert model.data(model.index(0, 5)) == ticket[0]["number"]
    assert model.data(model.index(0, 4)) == "工单：受理"
    assert not panel.ticket_button.isEnabled() and not panel.actions.buttons["remove"].isEnabled()
    qtbot.waitUntil(lambda: window.dashboard.counts is not None and window.dashboard.counts["tickets"] == 2,
                    timeout=WAIT_MS)

    # the ticket is solved at the desk: the meeting shows it, and the action can be marked done
    with Session.open(db_path, Actor.command_line()) as other:
        tickets.resolve(other, ticket[0]["id"], resolution="已施划 12 个车位")
    panel.reload()
    qtbot.waitUntil(lambda: panel.item["actions"][0]["ticket"]["resolved"], timeout=WAIT_MS)
    assert model.data(model.index(0, 4)).startswith("工单已办结")
    assert model.data(model.index(0, 4), Qt.ItemDataRole.ForegroundRole).name() == "#1d6b2a"
    panel.actions.table.selectRow(0)
    qtbot.mouseClick(panel.actions.buttons["done"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.item["actions"][0]["status"] == "done", timeout=WAIT_MS)
    assert model.data(model.index(0, 4)).startswith("已完成")

    # the minutes, made on a worker and saved
    job = panel.print_minutes(save_to=tmp_path / "纪要.pdf")
    qtbot.waitUntil(lambda: job.outcome is not None, timeout=WAIT_MS * 2)
    assert job.outcome.ok, job.outcome.error
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "纪要.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for part in ("阳光花园红色物业圆桌会议纪要", "王建国（业委会主任）", "施划临时停车位，外来车辆登记", "北门施划临时停车位",
                 ticket[0]["number"]):
        assert part in text, part


def test_a_refused_step_is_shown_and_changes_nothing(qtbot, window, world):
    db_path, ids = world
    panel = window.meetings.panel
    panel.tabs.setCurrentIndex(2)
    panel.actions.table.selectRow(0)
    panel.act_action("ticket")
    qtbot.waitUntil(lambda: panel.item["actions"][0]["ticket"] is not None, timeout=WAIT_MS)
    panel.actions.table.selectRow(0)
    panel.act_action("done")                                             # its ticket is still open
    qtbot.waitUntil(lambda: panel.message.isVisible(), timeout=WAIT_MS)
    assert "请先办结工单" in panel.message.text()
    assert rows(db_path, "SELECT status FROM meeting_actions")[0]["status"] == "open"


def test_topics_move_and_go_and_the_meeting_can_be_deleted(qtbot, window, world):
    db_path, ids = world
    panel = window.meetings.panel
    with Session.open(db_path, Actor.command_line()) as session:
        for title in ("停车", "绿化", "电梯"):
            meetings.add_topic(session, ids["old"], {"title": title})
    panel.reload()
    qtbot.waitUntil(lambda: len(panel.item["topics"]) == 3, timeout=WAIT_MS)
    panel.tabs.setCurrentIndex(1)
    panel.topics.table.setFocus()
    panel.topics.table.selectRow(2)
    qtbot.keyClick(panel.topics.table, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: [t["title"] for t in panel.item["topics"]] == ["停车", "电梯", "绿化"], timeout=WAIT_MS)
    assert panel.topics.selected()["title"] == "电梯"                      # the moved topic stays chosen
    panel.act_topic("remove", confirmed=True)
    qtbot.waitUntil(lambda: [t["title"] for t in panel.item["topics"]] == ["停车", "绿化"], timeout=WAIT_MS)
    panel.delete_meeting(confirmed=True)
    qtbot.waitUntil(lambda: window.meetings.model.rowCount() == 0, timeout=WAIT_MS)
    assert panel.item is None and not panel.edit_button.isEnabled()
    assert rows(db_path, "SELECT deleted FROM meetings") == [{"deleted": 1}]


def test_an_attendee_chosen_among_the_staff_with_the_arrow_keys(qtbot, window, world):
    db_path, ids = world
    panel = window.meetings.panel
    dialog = panel.act_attendee("add")
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=WAIT_MS)
    qtbot.keyClicks(dialog.party, "4")                                   # 物业
    qtbot.keyClick(dialog.party, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.staff
    qtbot.keyClick(dialog.staff, Qt.Key.Key_Down)                        # the first of the staff: 王站长
    assert dialog.name.text() == "王站长" and dialog.picked.text() == "工作人员：王站长"
    dialog.title.setCurrentIndex(0)                                      # the property's first title: 站长
    qtbot.keyClick(dialog.staff, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(a["name"] == "王站长" for a in (panel.item or {}).get("attendees", [])), timeout=WAIT_MS)
    saved = rows(db_path, "SELECT party, name, title, person_kind FROM meeting_attendees WHERE meeting_id = ?", ids["old"])
    assert saved == [{"party": "property", "name": "王站长", "title": "站长", "person_kind": "user"}]
    # typing another name over a picked one makes it a typed-in attendee
    dialog = panel.act_attendee("edit")
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=WAIT_MS)
    assert dialog.staff.currentText() == "王站长（工作人员）"
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "Li")
    assert dialog.person is None and dialog.staff.currentIndex() == 0 and dialog.picked.text() == "手动填写"
