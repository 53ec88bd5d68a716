"""The dashboard with real widgets offscreen: the figures, the month, the charts, the drill-down, surveys."""

import os
from datetime import datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.services import evaluation, register, station, tickets, users, visits  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

WAIT_MS = 15_000
H = timedelta(hours=1)


@pytest.fixture
def world(db_path):
    now = datetime.now()
    with Session.open(db_path, Actor.command_line()) as session:
        station.init_station(session, "阳光服务站", "阳光社区")
        users.create_user(session, "admin", "王站长", "admin", "secret123")
        homes = {}
        for estate, room, categories in (("阳光花园", "101", ["elderly_alone"]), ("阳光花园", "102", []),
                                         ("和谐家园", "201", ["elderly_alone"]), ("和谐家园", "202", [])):
            household = register.create_household(session, {"estate": estate, "building": "1", "unit": "1", "room": room})
            register.create_resident(session, household, {"name": "居民" + room, "care_categories": categories})
            homes[room] = household
        visits.log_visit(session, homes["101"], outcome="normal", visited_at=now - 30 * H)   # overdue
        resident = session.conn.execute("SELECT id FROM residents WHERE household_id = ?", (homes["202"],)).fetchone()[0]
        late = tickets.accept(session, kind="repair", source="window", severity="ordinary", summary="楼道灯不亮",
                              resident_id=resident, accepted_at=now - 2 * H)
        done = tickets.accept(session, kind="complaint", source="phone", severity="ordinary", summary="噪音扰民",
                              resident_id=resident, accepted_at=max(now - 3 * H, now.replace(day=1, hour=0, minute=5)))
        tickets.resolve(session, done["id"], resolution="已劝导", at=datetime.fromisoformat(done["accepted_at"]) + 10 * timedelta(minutes=1))
        tickets.callback(session, done["id"], rating="dissatisfied", at=datetime.fromisoformat(done["accepted_at"]) + H)
        survey = evaluation.create_survey(session, "阳光花园", now.strftime("%Y-%m"))
    return db_path, {"homes": homes, "late": late, "survey": survey}


@pytest.fixture
def window(qtbot, world):
    db_path, _ids = world
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    win = build_main_window(session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.dashboard.month is not None and not win.dashboard.loading, timeout=WAIT_MS)
    yield win
    win.taskman.shutdown()
    session.close()


def test_the_figures_of_now_and_of_the_month(window):
    board = window.dashboard
    assert board.cards["visits_overdue"].number.text() == "1"
    assert board.cards["visits_overdue"].number.property("alert") is True
    assert board.cards["tickets_open"].number.text() == "1" and board.cards["tickets_late"].number.text() == "1"
    assert board.cards["households"].number.text() == "4"
    assert board.month_cards["satisfaction"].number.text() == "0.0%"
    assert board.month_cards["satisfaction"].detail.text().startswith("有效回答 1 份")
    assert board.flagged.text() == "满意度低于 60%，需约谈：和谐家园（0.0%）"
    assert board.month_cards["coverage"].number.text() == "50.0%"   # 101 overdue now; 201 registered today, not yet due
    kinds = board.kind_chart.series()[0].barSets()[0]
    assert [kinds.at(i) for i in range(kinds.count())] == [1.0, 0.0, 1.0, 0.0, 0.0]   # complaint, …, repair
    estates = board.estate_chart.series()[0].barSets()[0]
    assert [estates.at(i) for i in range(estates.count())] == [0.0]


def test_clicking_a_card_opens_the_list_behind_it(qtbot, window):
    qtbot.mouseClick(window.dashboard.cards["tickets_late"], Qt.MouseButton.LeftButton)
    assert window.current_page() is window.tickets
    qtbot.waitUntil(lambda: window.tickets.model.rowCount() == 1, timeout=WAIT_MS)
    assert window.tickets.model.row(0)["summary"] == "楼道灯不亮"

    window.show_page(0)
    window.dashboard.cards["visits_overdue"].setFocus()
    qtbot.keyClick(window.dashboard.cards["visits_overdue"], Qt.Key.Key_Return)
    assert window.current_page() is window.visits and window.visits.tabs.currentIndex() == 0
    qtbot.waitUntil(lambda: window.visits.round_model.rowCount() >= 1, timeout=WAIT_MS)

    window.show_page(0)
    qtbot.mouseClick(window.dashboard.cards["key_households"], Qt.MouseButton.LeftButton)
    assert window.current_page() is window.register
    qtbot.waitUntil(lambda: not window.register.model().loading and window.register.model().rowCount() == 2, timeout=WAIT_MS)


def test_a_bar_of_the_tickets_chart_opens_that_kind(qtbot, window):
    bars = window.dashboard.kind_chart.series()[0].barSets()[0]
    bars.clicked.emit(4 - 2)   # 报修 (repair), the third kind
    assert window.current_page() is window.tickets and window.tickets.kind.currentData() == "repair"
    assert window.tickets.status.currentData() is None
    qtbot.waitUntil(lambda: window.tickets.model.rowCount() == 1, timeout=WAIT_MS)


def test_survey_answers_entered_on_the_sheet_change_the_figures(qtbot, window, world):
    db_path, ids = world
    dialog = window.dashboard.open_surveys()
    qtbot.waitUntil(lambda: len(dialog.rounds) == 1, timeout=WAIT_MS)
    sheet = dialog.open_answers()
    qtbot.waitUntil(lambda: len(sheet.households) == 2, timeout=WAIT_MS)
    rows = {sheet.households[r]["id"]: r for r in range(2)}
    first = sheet.table.cellWidget(rows[ids["homes"]["101"]], 2)
    first.setFocus()
    qtbot.keyClicks(first, "1")                           # 1 满意
    assert first.currentData() == "satisfied"
    second = sheet.table.cellWidget(rows[ids["homes"]["102"]], 2)
    qtbot.keyClicks(second, "2")                          # 2 基本满意
    sheet.table.item(rows[ids["homes"]["102"]], 3).setText("停车还是难")
    sheet.accept()
    qtbot.waitUntil(lambda: sheet.saved == 2, timeout=WAIT_MS)
    dialog.accept()
    qtbot.waitUntil(lambda: not window.dashboard.loading and window.dashboard.month["estates"]["阳光花园"]["satisfaction"][
        "answered"] == 2, timeout=WAIT_MS)
    assert window.dashboard.month_cards["satisfaction"].number.text() == "66.7%"
    with Session.open(db_path, Actor.command_line()) as session:
        comments = {r[0] for r in session.conn.execute("SELECT comment FROM satisfaction WHERE survey_id = ?", (ids["survey"],))}
    assert "停车还是难" in comments


def test_the_monthly_report_opens_in_the_print_preview(qtbot, window):
    import subprocess
    window.dashboard.print_report()
    job = window.dashboard.print_job
    qtbot.waitUntil(lambda: job.dialog is not None, timeout=WAIT_MS)
    text = subprocess.run(["pdftotext", str(job.path), "-"], capture_output=True, text=True, check=True).stdout
    assert "红色物业服务考评月报" in text and "和谐家园" in text
    job.dialog.close()
