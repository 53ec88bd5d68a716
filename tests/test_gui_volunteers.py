"""The volunteers page with real widgets offscreen: registering from the keyboard, attendance ticks, teams, certificate."""

import os
import subprocess
from datetime import date, time, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.domain import idnumber  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.pages.volunteers import ATTENDED, HOURS, PERIODS, SIGNED  # noqa: E402
from redstation.services import register, station, users  # noqa: E402
from redstation.services import volunteers as vs  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000
DAY = date.today() - timedelta(days=3)
OTHER_ID = idnumber.make("370103", date(1985, 3, 2), 40, "F")


@pytest.fixture
def world(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光花园红色物业服务站", "阳光社区")
        users.create_user(session, "admin", "王站长", "admin", "secret123")
        household = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "304"})
        resident = register.create_resident(session, household, {"name": "张长锁", "phone": "13912345678"})
        li = vs.register_volunteer(session, {"name": "李秀英", "phone": "13900001111"},
                                   skills=[{"skill": "sewing", "level": 2}])
        wang = vs.register_volunteer(session, {"name": "王芳", "phone": "13900002222", "party_member": True},
                                     skills=[{"skill": "health_care", "level": 3}])
        zhao = vs.register_volunteer(session, {"name": "赵刚", "phone": "13900003333"})
        team = vs.create_team(session, "银发互助队", member_ids=[li, wang], leader_id=wang)
        starts, ends = vs.activity_span(DAY, time(9, 0), time(11, 30))
        activity = vs.create_activity(session, {"title": "清理绿化带", "kind": "cleanup", "estate": "阳光花园",
                                                "place": "中心广场", "starts_at": starts, "ends_at": ends, "team_id": team})
        vs.sign_up(session, activity, [li, wang, zhao])
    return db_path, {"resident": resident, "li": li, "wang": wang, "zhao": zhao, "team": team, "activity": activity}


@pytest.fixture
def window(qtbot, world):
    db_path, _ids = world
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    win.show_page(win.pages.index(win.volunteers))
    page = win.volunteers
    page.period.choice.setCurrentIndex(PERIODS.index("all"))
    qtbot.waitUntil(lambda: page.volunteer_model.rowCount() == 3, timeout=WAIT_MS)
    yield win
    win.taskman.shutdown()
    session.close()


def rows(path, sql, *params):
    with Session.open(path, Actor.command_line()) as session:
        return [dict(r) for r in session.conn.execute(sql, params)]


def shown(model, column):
    return [model.data(model.index(n, column)) for n in range(model.rowCount())]


def test_the_page_replaces_the_placeholder_and_lists_skills_teams_and_hours(qtbot, window):
    page = window.volunteers
    assert window.pages[4] is page and page.header.text() == "志愿者"
    assert sorted(shown(page.volunteer_model, 0)) == sorted(["李秀英", "王芳", "赵刚"])
    number = shown(page.volunteer_model, 0).index("王芳")
    assert page.volunteer_model.data(page.volunteer_model.index(number, 4)) == "医疗卫生"
    assert page.volunteer_model.data(page.volunteer_model.index(number, 5)) == "银发互助队（队长）"
    assert page.volunteer_model.data(page.volunteer_model.index(number, 3)) == "0"
    assert page.volunteer_model.data(page.volunteer_model.index(number, 2)) == "139****2222"
    page.skill.setCurrentIndex(page.skill.findData("sewing"))
    qtbot.waitUntil(lambda: shown(page.volunteer_model, 0) == ["李秀英"], timeout=WAIT_MS)
    page.skill.setCurrentIndex(0)
    page.team.setCurrentIndex(1)
    qtbot.waitUntil(lambda: sorted(shown(page.volunteer_model, 0)) == sorted(["李秀英", "王芳"]), timeout=WAIT_MS)
    page.team.setCurrentIndex(0)
    qtbot.keyClicks(page.query, "zg")
    qtbot.waitUntil(lambda: shown(page.volunteer_model, 0) == ["赵刚"], timeout=WAIT_MS)


def test_register_a_resident_as_a_volunteer_from_the_keyboard(qtbot, window, world):
    db_path, ids = world
    page = window.volunteers
    page.volunteer_table.setFocus()
    qtbot.keyClick(page.volunteer_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog.focusWidget() is dialog.search
    qtbot.keyClicks(dialog.search, "zcs")
    qtbot.waitUntil(lambda: bool(dialog.search.items), timeout=WAIT_MS)
    qtbot.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.resident["id"] == ids["resident"] and "张长锁" in dialog.chosen.text()
    assert dialog.name.text() == "张长锁" and not dialog.name.isEnabled()
    assert dialog.focusWidget() is dialog.phone and dialog.phone.text() == ""    # the register's phone, kept masked
    assert "139****5678" in dialog.phone.placeholderText() and "13912345678" not in dialog.phone.placeholderText()
    assert dialog.id_number.text() == idnumber.mask(dialog.resident["id_number"])
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Tab)                    # the first skill: 医疗卫生
    assert dialog.focusWidget() is dialog.skill_boxes["health_care"][0]
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Space)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)            # its level, enabled by the tick
    assert dialog.focusWidget() is dialog.skill_boxes["health_care"][1]
    qtbot.keyClicks(dialog.focusWidget(), "3")
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已登记志愿者 张长锁" in page.saved.text(), timeout=WAIT_MS)
    made = rows(db_path, "SELECT * FROM volunteers WHERE name = '张长锁'")
    assert len(made) == 1 and made[0]["resident_id"] == ids["resident"] and made[0]["phone"] == "13912345678"
    skills = rows(db_path, "SELECT skill, level FROM volunteer_skills WHERE volunteer_id = ? AND deleted = 0", made[0]["id"])
    assert skills == [{"skill": "health_care", "level": 3}]
    qtbot.waitUntil(lambda: "张长锁" in shown(page.volunteer_model, 0), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.volunteer_panel.item and page.volunteer_panel.item.get("name") == "张长锁",
                    timeout=WAIT_MS)
    assert "本社区居民：阳光花园 3-1-304" in page.volunteer_panel.facts.text()
    assert rows(db_path, "SELECT count(*) AS n FROM audit_log WHERE action = 'volunteer.create'")[0]["n"] == 4


def test_register_someone_who_is_not_a_resident_with_an_id_number(qtbot, window, world):
    db_path, _ids = world
    page = window.volunteers
    dialog = page.new_volunteer()
    qtbot.keyClick(dialog.search, Qt.Key.Key_Tab)                   # past the resident box: not a resident
    assert dialog.focusWidget() is dialog.name
    dialog.name.setText("孙丽")                                      # Chinese goes in with setText
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.id_number, OTHER_ID[:-1] + ("0" if OTHER_ID[-1] != "0" else "1"))
    assert "校验" in dialog.message.text() and dialog.message.isVisible()   # a mistyped number is named at once
    dialog.id_number.clear()
    qtbot.keyClicks(dialog.id_number, OTHER_ID)
    assert dialog.gender.currentData() == "F" and "1985-03-02" in dialog.id_hint.text()
    qtbot.keyClick(dialog.id_number, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    made = rows(db_path, "SELECT * FROM volunteers WHERE name = '孙丽'")
    assert len(made) == 1 and made[0]["id_number"] == OTHER_ID and made[0]["gender"] == "F" and made[0]["resident_id"] is None


def select_activity(qtbot, page, activity_id):
    page.show_tab("activities")
    qtbot.waitUntil(lambda: page.activity_model.rowCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.activity_panel.item is not None and page.activity_panel.item.get("id") == activity_id
                    and "attendance" in page.activity_panel.item, timeout=WAIT_MS)
    return page.activity_panel


def test_record_attendance_by_ticking_and_adjusting_hours(qtbot, window, world):
    db_path, ids = world
    page = window.volunteers
    panel = select_activity(qtbot, page, ids["activity"])
    assert panel.total.text() == "报名 3 人，到场 0 人，共 0 小时"
    table = panel.table
    names = [table.item(n, 0).text() for n in range(table.rowCount())]
    row = {name: n for n, name in enumerate(names)}
    table.setFocus()
    table.setCurrentCell(row["李秀英"], ATTENDED)
    qtbot.keyClick(table, Qt.Key.Key_Space)                         # 李秀英 came: the default 2.5 hours
    qtbot.waitUntil(lambda: panel.total.text() == "报名 3 人，到场 1 人，共 2.5 小时", timeout=WAIT_MS)
    table.setCurrentCell(row["王芳"], ATTENDED)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    table.setCurrentCell(row["赵刚"], HOURS)                         # 赵刚 stayed longer: typed hours tick him attended
    qtbot.keyClicks(table, "3")
    qtbot.keyClick(table.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.total.text() == "报名 3 人，到场 3 人，共 8 小时", timeout=WAIT_MS)
    assert table.item(row["赵刚"], HOURS).text() == "3" and "已调整" in table.item(row["赵刚"], 4).text()
    assert table.item(row["赵刚"], ATTENDED).checkState() == Qt.CheckState.Checked
    assert table.item(row["李秀英"], HOURS).text() == "2.5"
    saved = {r["volunteer_id"]: (r["attended"], r["hours"]) for r in rows(
        db_path, "SELECT * FROM attendance WHERE activity_id = ? AND deleted = 0", ids["activity"])}
    assert saved == {ids["li"]: (1, 2.5), ids["wang"]: (1, 2.5), ids["zhao"]: (1, 3.0)}
    model = page.activity_model
    assert (model.data(model.index(0, 5)), model.data(model.index(0, 6))) == ("3", "8")   # the list's row follows

    table.setCurrentCell(row["王芳"], SIGNED)                        # 王芳 had not signed up in advance after all
    qtbot.keyClick(table, Qt.Key.Key_Space)
    table.setCurrentCell(row["李秀英"], ATTENDED)                    # and 李秀英 left before it began
    qtbot.keyClick(table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: panel.total.text() == "报名 2 人，到场 2 人，共 5.5 小时", timeout=WAIT_MS)
    assert table.item(row["李秀英"], HOURS).text() == ""
    with Session.open(db_path, Actor.command_line()) as session:
        assert vs.volunteer_hours(session.conn, ids["li"]) == 0 and vs.volunteer_hours(session.conn, ids["zhao"]) == 3

    page.show_tab("volunteers")                                     # the hours on the volunteers' list
    qtbot.waitUntil(lambda: dict(zip(shown(page.volunteer_model, 0), shown(page.volunteer_model, 3))) == {
        "李秀英": "0", "王芳": "2.5", "赵刚": "3"}, timeout=WAIT_MS)
    assert "共服务 5.5 小时" in page.summary.text()


def test_hours_being_typed_survive_a_tick_saved_meanwhile(qtbot, window, world):
    """Tick attended, and type other hours in the same row before the tick's save comes back: the typed hours win."""
    import time as clock
    db_path, ids = world
    panel = select_activity(qtbot, window.volunteers, ids["activity"])
    table = panel.table
    number = next(n for n in range(table.rowCount()) if table.item(n, 0).text() == "赵刚")
    window.taskman.db(lambda session: clock.sleep(0.4))             # the database thread is busy for a moment
    table.setFocus()
    table.setCurrentCell(number, ATTENDED)
    qtbot.keyClick(table, Qt.Key.Key_Space)
    table.setCurrentCell(number, HOURS)
    qtbot.keyClicks(table, "3")                                     # the editor is open when the tick's save arrives
    qtbot.waitUntil(lambda: panel.total.text() == "报名 3 人，到场 1 人，共 2.5 小时", timeout=WAIT_MS)
    qtbot.keyClick(table.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.total.text() == "报名 3 人，到场 1 人，共 3 小时", timeout=WAIT_MS)
    assert rows(db_path, "SELECT hours FROM attendance WHERE volunteer_id = ? AND deleted = 0", ids["zhao"]) == [{"hours": 3.0}]


def test_sign_up_more_volunteers_with_the_picker_and_take_one_off(qtbot, window, world):
    db_path, ids = world
    page = window.volunteers
    with Session.open(db_path, Actor.command_line()) as session:
        extra = vs.register_volunteer(session, {"name": "钱多多", "phone": "13900004444"})
    page.load_choices()
    qtbot.waitUntil(lambda: len(page.choices["volunteers"]) == 4, timeout=WAIT_MS)
    panel = select_activity(qtbot, page, ids["activity"])
    picker = page.sign_up()
    assert picker.list.count() == 1                                 # those on the activity already are left out
    qtbot.keyClicks(picker.filter, "qdd")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.total.text().startswith("报名 4 人"), timeout=WAIT_MS)
    assert rows(db_path, "SELECT signed_up FROM attendance WHERE volunteer_id = ? AND deleted = 0", extra) == [{"signed_up": 1}]
    number = next(n for n in range(panel.table.rowCount()) if panel.table.item(n, 0).text() == "钱多多")
    panel.table.setCurrentCell(number, 0)
    panel.remove_attendee_button.click()
    qtbot.waitUntil(lambda: panel.total.text().startswith("报名 3 人"), timeout=WAIT_MS)
    assert rows(db_path, "SELECT deleted FROM attendance WHERE volunteer_id = ?", extra) == [{"deleted": 1}]


def test_new_activity_from_the_keyboard_with_its_default_hours(qtbot, window, world):
    db_path, _ids = world
    page = window.volunteers
    page.show_tab("activities")
    qtbot.waitUntil(lambda: page.activity_model.rowCount() == 1, timeout=WAIT_MS)
    page.activity_table.setFocus()
    qtbot.keyClick(page.activity_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.dialog is not None and page.dialog.isVisible(), timeout=WAIT_MS)
    dialog = page.dialog
    assert dialog.focusWidget() is dialog.title_edit
    dialog.title_edit.setText("夜间安全巡逻")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.kind, "7")                               # 7 其他活动
    dialog.start.setTime(dialog.start.time().fromString("22:00", "HH:mm"))
    dialog.end.setTime(dialog.end.time().fromString("01:15", "HH:mm"))
    assert dialog.length.text() == "次日结束，每人 3.5 小时（按半小时计）"     # 3 h 15 min: a quarter hour rounds up
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    made = rows(db_path, "SELECT * FROM activities WHERE title = '夜间安全巡逻'")
    assert len(made) == 1 and made[0]["kind"] == "other" and made[0]["hours"] == 3.5
    assert made[0]["ends_at"][11:16] == "01:15" and made[0]["ends_at"][:10] > made[0]["starts_at"][:10]
    assert made[0]["organiser"] == "王站长"
    qtbot.waitUntil(lambda: page.activity_panel.item and page.activity_panel.item.get("title") == "夜间安全巡逻",
                    timeout=WAIT_MS)


def test_teams_tab_new_team_members_and_leader(qtbot, window, world):
    db_path, ids = world
    page = window.volunteers
    page.show_tab("teams")
    qtbot.waitUntil(lambda: page.team_model.rowCount() == 1, timeout=WAIT_MS)
    dialog = page.new_team()
    dialog.name.setText("党员先锋服务队")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.team_model.rowCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.team_panel.item and page.team_panel.item.get("name") == "党员先锋服务队", timeout=WAIT_MS)
    picker = page.add_team_members()
    qtbot.keyClicks(picker.filter, "wf")
    qtbot.keyClick(picker.filter, Qt.Key.Key_Down)
    qtbot.keyClick(picker.list, Qt.Key.Key_Space)
    assert picker.count.text() == "显示 1 人，已勾选 1 人"
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.team_panel.item and len(page.team_panel.item.get("members", [])) == 1, timeout=WAIT_MS)
    page.team_panel.members.selectRow(0)
    page.make_leader()
    qtbot.waitUntil(lambda: page.team_panel.item.get("leader_name") == "王芳", timeout=WAIT_MS)
    team = rows(db_path, "SELECT * FROM teams WHERE name = '党员先锋服务队'")[0]
    assert team["leader_id"] == ids["wang"]


def test_print_the_hours_certificate_from_the_volunteer(qtbot, window, world):
    db_path, ids = world
    with Session.open(db_path, Actor.command_line()) as session:
        vs.set_attendance(session, ids["activity"], ids["wang"], attended=True)
    page = window.volunteers
    page.refresh()
    qtbot.waitUntil(lambda: "2.5" in shown(page.volunteer_model, 3), timeout=WAIT_MS)
    number = shown(page.volunteer_model, 0).index("王芳")
    page.volunteer_table.selectRow(number)
    qtbot.waitUntil(lambda: page.volunteer_panel.item and page.volunteer_panel.item.get("name") == "王芳", timeout=WAIT_MS)
    assert "服务 2.5 小时" in page.volunteer_panel.total.text()
    page.volunteer_panel.certificate_button.click()
    job = page.print_job
    qtbot.waitUntil(lambda: job.dialog is not None, timeout=WAIT_MS)
    text = subprocess.run(["pdftotext", "-layout", str(job.path), "-"], capture_output=True, text=True, check=True).stdout
    assert "志愿服务时长证明" in text and "王芳" in text and "清理绿化带" in text and "2.5 小时" in text
    job.dialog.close()
    assert rows(db_path, "SELECT record_id FROM audit_log WHERE action = 'print.certificate'") == [{"record_id": ids["wang"]}]
