"""The dashboard with real widgets offscreen: the figures, the month, the charts, the drill-down, surveys."""

import os
from datetime import datetime, timedelta

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QEvent, QPointF, QSize, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFontMetricsF, QHelpEvent, QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollArea, QToolTip  # noqa: E402

from redstation.domain.vocab import TICKET_KINDS  # noqa: E402
from redstation.gui import charts  # noqa: E402
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
    assert board.kind_chart.categories == ["投诉", "咨询", "报修", "纠纷", "建议"]
    assert board.kind_chart.values == [1.0, 0.0, 1.0, 0.0, 0.0]   # complaint, …, repair
    assert board.estate_chart.categories == ["和谐家园"] and board.estate_chart.values == [0.0]
    assert board.estate_chart.highlighted == {0} and board.estate_chart.reference == 60
    assert "需约谈" in board.estate_chart.tooltips[0]
    week = board.week_chart
    assert len(week.categories) == 6 and [line.name for line in week.lines] == ["办结按时率", "到场按时率"]
    assert week.lines[0].values == [None if w["resolve"] is None else round(w["resolve"] * 100, 1) for w in board.weekly]
    assert week.lines[1].values == [None if w["onsite"] is None else round(w["onsite"] * 100, 1) for w in board.weekly]
    assert week.lines[0].values[:4] == [None] * 4   # no tickets in those weeks: no value, not 0 %
    assert sum(v is not None for v in week.lines[0].values) >= 1


def test_the_charts_name_what_is_under_the_mouse(qtbot, window):
    chart = window.dashboard.kind_chart
    window.dashboard.findChild(QScrollArea).ensureWidgetVisible(chart)
    assert chart.tooltips[2] == "报修：本月 1 件，点击查看这些工单"
    for index in (2, 0):
        point = chart.bar_rect(index).center().toPoint()
        QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, point, chart.mapToGlobal(point)))
        qtbot.waitUntil(lambda: QToolTip.isVisible() and QToolTip.text() == chart.tooltips[index], timeout=WAIT_MS)
    estates = window.dashboard.estate_chart
    point = estates.bar_rect(0).center().toPoint()
    QApplication.sendEvent(estates, QHelpEvent(QEvent.Type.ToolTip, point, estates.mapToGlobal(point)))
    qtbot.waitUntil(lambda: QToolTip.text() == "和谐家园：满意度 0.0%（有效回答 1 份），低于 60%，需约谈", timeout=WAIT_MS)
    QToolTip.hideText()


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
    chart = window.dashboard.kind_chart
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=chart.bar_rect(2).center().toPoint())   # 报修 (repair)
    assert window.current_page() is window.tickets and window.tickets.kind.currentData() == "repair"
    assert window.tickets.status.currentData() is None
    qtbot.waitUntil(lambda: window.tickets.model.rowCount() == 1, timeout=WAIT_MS)

    window.show_page(0)   # a bar of nothing is still its kind's list; and the keyboard reaches the bars
    chart.setFocus()
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Return)
    assert window.current_page() is window.tickets and window.tickets.kind.currentData() == list(TICKET_KINDS)[3]

    window.show_page(0)
    title = QFontMetricsF(chart.title_font(), chart).height()
    qtbot.mouseClick(chart, Qt.MouseButton.LeftButton, pos=QPointF(chart.width() / 2, title / 2 + 10).toPoint())
    assert window.current_page() is window.dashboard   # the title is not a bar


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


def render(chart: charts.Chart, ratio: float = 1.0) -> QImage:
    """The chart painted into an image, as on a screen with ``ratio`` device pixels per point."""
    image = QImage(QSize(round(chart.width() * ratio), round(chart.height() * ratio)), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    chart.render(image)
    return image


def pixel(image: QImage, point: QPointF) -> QColor:
    ratio = image.devicePixelRatio()
    return image.pixelColor(round(point.x() * ratio), round(point.y() * ratio))


def count(image: QImage, color: QColor) -> int:
    wanted = color.rgb()
    return sum(image.pixel(x, y) == wanted for y in range(0, image.height(), 2) for x in range(0, image.width(), 2))


def test_the_dashboard_charts_paint_their_bars(window):
    chart = window.dashboard.kind_chart
    image = render(chart)
    assert pixel(image, chart.bar_rect(0).center()) == charts.ACCENT
    assert pixel(image, chart.bar_rect(2).center()) == charts.ACCENT
    assert pixel(image, chart.bar_rect(1).center()) != charts.ACCENT   # nothing there: no bar
    assert count(image, charts.ACCENT) > 100
    week = window.dashboard.week_chart
    known = [i for i, value in enumerate(week.lines[0].values) if value is not None]
    assert known and all(pixel(render(week), week.point(0, i)) == charts.ACCENT for i in known)


@pytest.mark.parametrize("ratio", [1.0, 2.0])
def test_each_chart_paints_where_its_data_is(qtbot, ratio):
    bars = charts.BarChart("本月工单类型", clickable=True)
    lines = charts.LineChart("每周按时率")
    estates = charts.HorizontalBarChart("本月各小区满意度", reference=60)
    for chart in (bars, lines, estates):
        qtbot.addWidget(chart)
        chart.resize(400, 320)
    bars.set_data(["投诉", "咨询", "报修", "纠纷"], [3, 0, 12, 7])
    lines.set_data(["10/19", "10/26", "11/2"], [charts.Line("办结按时率", charts.ACCENT, [50.0, None, 80.0]),
                                                charts.Line("到场按时率", charts.MUTED_LINE, [70.0, 90.0, 100.0])])
    estates.set_data(["泉城花园", "阳光花园", "和谐家园"], [45.0, 80.0, 95.5], highlighted={0})

    image = render(bars, ratio)
    for index in (0, 2, 3):
        assert pixel(image, bars.bar_rect(index).center()) == charts.ACCENT
    assert bars.bar_rect(2).height() > bars.bar_rect(3).height() > bars.bar_rect(0).height() > 0

    image = render(lines, ratio)
    assert [pixel(image, lines.point(0, i)) for i in (0, 2)] == [charts.ACCENT] * 2
    assert lines.point(0, 1) is None
    assert [pixel(image, lines.point(1, i)) for i in range(3)] == [charts.MUTED_LINE] * 3
    assert lines.point(1, 2).y() < lines.point(1, 0).y()   # 100 % above 70 %
    legend = image.copy(0, round((lines.plot_rect().bottom() + 4) * ratio), image.width(),
                        round((lines.height() - lines.plot_rect().bottom() - 4) * ratio))
    assert count(legend, charts.ACCENT) > 0 and count(legend, charts.MUTED_LINE) > 0   # the legend's samples

    image = render(estates, ratio)
    assert pixel(image, estates.bar_rect(0).center()) == charts.FLAGGED   # under 60 %: darker
    assert [pixel(image, estates.bar_rect(i).center()) for i in (1, 2)] == [charts.ACCENT] * 2
    assert estates.bar_rect(2).width() > estates.bar_rect(1).width() > estates.bar_rect(0).width()
    x = estates.x_of(60)
    column = image.copy(round(x * ratio) - 1, 0, 3, image.height())
    assert count(column, charts.ALERT) > 0   # the dashed 60 % line


def test_a_chart_without_data_says_so_and_draws_no_bars(qtbot):
    chart = charts.BarChart("本月工单类型", "本月暂无工单")
    qtbot.addWidget(chart)
    chart.resize(400, 320)
    blank = render(chart)   # before the data has come: title only
    chart.set_data(["投诉", "报修"], [0, 0])
    assert chart.empty
    image = render(chart)
    assert count(image, charts.ACCENT) == 0
    assert image != blank   # the message is painted in the middle
    middle = image.copy(0, chart.height() // 2 - 15, chart.width(), 30)
    assert any(middle.pixelColor(x, y).value() < 200 for y in range(middle.height()) for x in range(middle.width()))
    for empty in (charts.LineChart("每周按时率"), charts.HorizontalBarChart("本月各小区满意度", reference=60)):
        qtbot.addWidget(empty)
        empty.resize(400, 320)
        if isinstance(empty, charts.LineChart):
            empty.set_data(["10/19", "10/26"], [charts.Line("办结按时率", charts.ACCENT, [None, None])])
        else:
            empty.set_data([], [])
        assert empty.empty and count(render(empty), charts.ACCENT) == 0 and count(render(empty), charts.ALERT) == 0


def test_many_estates_keep_their_names_apart(qtbot):
    chart = charts.HorizontalBarChart("本月各小区满意度", reference=60)
    qtbot.addWidget(chart)
    chart.resize(360, 320)
    names = ["第{n}号非常非常长名字的住宅小区".format(n=n) for n in range(60)]
    chart.set_data(names, [40.0 + n for n in range(60)], highlighted=set(range(20)))
    assert chart.minimumHeight() > 320   # taller (the dashboard scrolls), not squeezed
    chart.resize(360, chart.minimumHeight())
    text = QFontMetricsF(chart.small_font(), chart).height()
    rows = [chart._row(i) for i in range(60)]
    assert all(row.height() >= text for row in rows)
    assert all(a.bottom() <= b.top() + 1e-6 for a, b in zip(rows, rows[1:]))
    assert chart.label_width() < QFontMetricsF(chart.small_font(), chart).horizontalAdvance(names[0])   # elided
    image = render(chart)
    assert pixel(image, chart.bar_rect(0).center()) == charts.FLAGGED
    assert pixel(image, chart.bar_rect(59).center()) == charts.ACCENT
