"""The visits page with real widgets offscreen: the round, logging from the keyboard, history, corrections."""

import os
from datetime import datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QDateTime, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.services import register, station, users, visits  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 10_000
H = timedelta(hours=1)


def household(session, room, name, categories, last_visit=None):
    household_id = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": room})
    register.create_resident(session, household_id, {"name": name, "care_categories": categories, "care_notes": "耳背",
                                                     "emergency_contacts": [{"name": "张小明", "relation": "儿子",
                                                                             "phone": "13800001111"}]})
    if last_visit is not None:
        visits.log_visit(session, household_id, outcome="normal", visited_at=datetime.now() - last_visit,
                         visitor_name="赵卫东")
    return household_id


@pytest.fixture
def world(db_path):
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        users.create_user(session, "admin", "王站长", "admin", "secret123")
        ids = {"late": household(session, "501", "张三", ["elderly_alone"], 30 * H),
               "later": household(session, "201", "李四", ["elderly_alone"], 40 * H),
               "due": household(session, "301", "王五", ["aged_80"], 46 * H),
               "fine": household(session, "401", "赵六", ["veteran"], 24 * H)}
    return db_path, ids


@pytest.fixture
def window(qtbot, world):
    db_path, _ids = world
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    win.show_page(win.pages.index(win.visits))
    qtbot.waitUntil(lambda: win.visits.round_model.rowCount() > 0, timeout=WAIT_MS)
    yield win
    win.taskman.shutdown()
    session.close()


def rows(path, sql, *params):
    with Session.open(path, Actor.command_line()) as session:
        return [dict(r) for r in session.conn.execute(sql, params)]


def round_addresses(page):
    return [page.round_model.row(i)["address"] for i in range(page.round_model.rowCount())]


def shown(model, row, column):
    return model.data(model.index(row, column))


def open_dialog(qtbot, page):
    page.round_table.setFocus()
    qtbot.keyClick(page.round_table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), type(page).dialog_type()), timeout=WAIT_MS)
    return QApplication.activeModalWidget()


def test_the_round_lists_overdue_first_in_red_then_due(qtbot, window):
    page = window.visits
    assert round_addresses(page) == ["阳光花园 3-1-201", "阳光花园 3-1-501", "阳光花园 3-1-301"]
    assert shown(page.round_model, 0, 0).startswith("逾期 16 小时")
    assert page.round_model.data(page.round_model.index(0, 0), Qt.ItemDataRole.ForegroundRole).name() == "#c0141c"
    assert shown(page.round_model, 2, 0).endswith("前应访")
    assert "李四" in shown(page.round_model, 0, 2) and "独居老人" in shown(page.round_model, 0, 2)
    assert shown(page.round_model, 0, 3) == "耳背" and "张小明（儿子）13800001111" in shown(page.round_model, 0, 4)
    assert page.notice.text() == "逾期 2 户，应访 1 户"


def test_logging_a_normal_visit_takes_two_keys(qtbot, window, world):
    db_path, ids = world
    page = window.visits
    dialog = open_dialog(qtbot, page)
    assert dialog.household["id"] == ids["later"] and dialog.normal.isChecked()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: round_addresses(page) == ["阳光花园 3-1-501", "阳光花园 3-1-301"], timeout=WAIT_MS)
    logged = rows(db_path, "SELECT * FROM visits WHERE household_id = ? ORDER BY visited_at DESC", ids["later"])[0]
    assert logged["outcome"] == "normal" and logged["late_entry"] == 0 and logged["visitor_name"] == "王站长"
    assert page.saved.text() == "已登记 阳光花园 3-1-201 的走访。"


def test_logging_an_escalated_anomaly_from_the_keyboard_opens_a_ticket(qtbot, window, world):
    db_path, ids = world
    page = window.visits
    dialog = open_dialog(qtbot, page)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_2)
    assert dialog.anomaly.isChecked() and dialog.focusWidget() is dialog.finding
    dialog.finding.setText("高压锅干烧")
    qtbot.keyClick(dialog.finding, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.on_site
    qtbot.keyClick(dialog.on_site, Qt.Key.Key_2)
    assert dialog.escalated.isChecked() and dialog.ticket_row.isEnabled()
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "已生成工单" in page.saved.text(), timeout=WAIT_MS)
    logged = rows(db_path, "SELECT * FROM visits WHERE household_id = ? AND outcome = 'anomaly'", ids["later"])
    assert len(logged) == 1 and logged[0]["handling"] == "escalated" and logged[0]["finding"] == "高压锅干烧"
    ticket = rows(db_path, "SELECT * FROM tickets WHERE id = ?", logged[0]["ticket_id"])[0]
    assert ticket["visit_id"] == logged[0]["id"] and ticket["source"] == "visit"
    assert (ticket["kind"], ticket["severity"]) == ("repair", "major") and ticket["number"] in page.saved.text()


def test_an_anomaly_without_a_finding_is_not_saved(qtbot, window, world):
    db_path, ids = world
    dialog = open_dialog(qtbot, window.visits)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_2)
    qtbot.keyClick(dialog.finding, Qt.Key.Key_Return)
    assert dialog.isVisible() and "请填写走访时发现的问题" in dialog.message.text()
    assert len(rows(db_path, "SELECT * FROM visits WHERE household_id = ?", ids["later"])) == 1


def test_a_visit_from_a_paper_sheet_is_saved_as_late_entered(qtbot, window, world):
    db_path, ids = world
    dialog = open_dialog(qtbot, window.visits)
    earlier = datetime.now().replace(second=0, microsecond=0) - 3 * H
    dialog.when.setDateTime(QDateTime(earlier))
    assert dialog.when_hint.text() == "事后录入：将标记为补录"
    dialog.notes.setText("纸质巡查单补录")
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    logged = rows(db_path, "SELECT * FROM visits WHERE household_id = ? ORDER BY visited_at DESC", ids["later"])[0]
    assert logged["late_entry"] == 1 and logged["visited_at"] == earlier.isoformat(timespec="seconds")


def test_history_shows_visits_and_a_correction_keeps_the_original(qtbot, window, world):
    db_path, ids = world
    page = window.visits
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not page.visit_model.loading and page.visit_model.rowCount() == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "按时走访率" in page.coverage.text(), timeout=WAIT_MS)
    page.visit_model.row(0)
    qtbot.waitUntil(lambda: page.visit_model.row(3) is not None, timeout=WAIT_MS)
    page.visit_table.selectRow(0)
    first = page.selected_visit()
    dialog = page.correct_selected()
    qtbot.addWidget(dialog)
    dialog.void.setChecked(True)
    dialog.accept()
    qtbot.waitUntil(lambda: page.visit_model.rowCount() == 5, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: page.visit_model.row(4) is not None and page.visit_model.row(0) is not None, timeout=WAIT_MS)
    entries = {page.visit_model.row(i)["id"]: shown(page.visit_model, i, 7) for i in range(5)}
    assert entries[first["id"]].startswith("已作废")
    assert "作废记录" in entries.values()
    assert len(rows(db_path, "SELECT * FROM visits")) == 5


def test_visit_history_of_one_household_from_the_register(qtbot, window, world):
    db_path, ids = world
    window.show_visits_of({"id": ids["fine"], "address": "阳光花园 3-1-401"})
    page = window.visits
    assert window.current_page() is page and page.household_label.text() == "阳光花园 3-1-401"
    qtbot.waitUntil(lambda: not page.visit_model.loading and page.visit_model.rowCount() == 1, timeout=WAIT_MS)


def test_changing_an_interval_changes_the_round(qtbot, window):
    page = window.visits
    page.edit_intervals()
    qtbot.waitUntil(lambda: getattr(page, "intervals_dialog", None) is not None, timeout=WAIT_MS)
    dialog = page.intervals_dialog
    amount, unit = dialog.rows["veteran"]
    assert (amount.value(), unit.currentData()) == (14, 24)
    amount.setValue(20)
    unit.setCurrentIndex(0)   # 20 hours: the veteran visited a day ago is overdue now
    dialog.accept()
    qtbot.waitUntil(lambda: "阳光花园 3-1-401" in round_addresses(page), timeout=WAIT_MS)


def pdf_text(path):
    import subprocess
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_print_round_sheet_opens_the_preview_of_the_households_due(qtbot, window):
    page = window.visits
    qtbot.mouseClick(page.sheet_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.print_job is not None and page.print_job.dialog is not None, timeout=WAIT_MS)
    text = pdf_text(page.print_job.path)
    assert "巡查走访单" in text and "阳光花园 3-1-201" in text and "李四" in text and "阳光花园 3-1-401" not in text
    page.print_job.dialog.close()


def test_print_visit_log_of_one_household(qtbot, window, world):
    _db_path, ids = world
    window.show_visits_of({"id": ids["fine"], "address": "阳光花园 3-1-401"})
    page = window.visits
    qtbot.mouseClick(page.log_print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.print_job is not None and page.print_job.dialog is not None, timeout=WAIT_MS)
    text = pdf_text(page.print_job.path)
    assert "走访记录表" in text and "赵六" in text and "李四" not in text
    page.print_job.dialog.close()


def test_a_member_with_nothing_more_known_shows_without_empty_brackets():
    from redstation.gui.pages.visits import members_text
    item = {"members": [{"name": "张桂兰", "birth_date": "1945-03-01", "care_categories": ["elderly_alone"]},
                        {"name": "李强", "birth_date": None, "care_categories": []}]}
    text = members_text(item)
    assert text.startswith("张桂兰（") and "独居老人" in text and text.endswith("；李强")
