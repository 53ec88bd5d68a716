"""The monthly evaluation, worked out from hand-built records: every figure, empty months, estates without answers."""

from datetime import datetime, timedelta

import pytest

from redstation import RedStationError
from redstation.services import evaluation, register, station, tickets, visits

NOW = datetime(2026, 11, 24, 12, 0)
NOV = datetime(2026, 11, 1)
OCT = datetime(2026, 10, 1)
H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    return session


def household(session, estate, room, categories=(), created=OCT - timedelta(days=30)):
    household_id = register.create_household(session, {"estate": estate, "building": "1", "unit": "1", "room": room})
    register.create_resident(session, household_id, {"name": "居民" + room, "care_categories": list(categories)})
    session.conn.execute("UPDATE households SET created_at = ? WHERE id = ?", (created.isoformat(), household_id))
    return household_id


def resident_of(session, household_id):
    return session.conn.execute("SELECT id FROM residents WHERE household_id = ?", (household_id,)).fetchone()[0]


def ticket(session, household_id, at, **kwargs):
    values = dict(kind="repair", source="window", severity="ordinary", summary="楼道灯不亮", accepted_at=at)
    values.update(kwargs)
    return tickets.accept(session, resident_id=resident_of(session, household_id), **values)["id"]


def test_a_bad_month_is_refused():
    for bad in ("2026-13", "2026/11", "11-2026", "", "1999-01"):
        with pytest.raises(RedStationError, match="YYYY-MM"):
            evaluation.month_bounds(bad)
    assert evaluation.month_bounds("2026-12") == (datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert evaluation.previous_month("2026-01") == "2025-12"


def test_a_month_not_begun_is_refused(desk):
    with pytest.raises(RedStationError, match="尚未开始"):
        evaluation.monthly(desk.conn, "2026-12", now=NOW)


def test_an_empty_month_has_no_rates_and_no_flags(desk):
    household(desk, "阳光花园", "101")
    result = evaluation.monthly(desk.conn, "2026-11", now=NOW)
    assert result["partial"] is True and result["flagged"] == []
    figures = result["estates"]["阳光花园"]
    assert figures["satisfaction"]["answered"] == 0 and figures["satisfaction"]["rate"] is None
    assert figures["on_time"]["onsite"] == {"on_time": 0, "late": 0, "pending": 0, "rate": None}
    assert figures["coverage"] == {"key_households": 0, "on_time": 0, "rate": None}
    assert figures["tickets"]["total"] == 0 and figures["volunteers"]["hours"] == 0
    assert figures["flagged"] is False


def test_satisfaction_rate_per_estate_from_callbacks_and_surveys_and_the_60_percent_flag(desk):
    good = household(desk, "阳光花园", "101")
    poor = [household(desk, "和谐家园", str(200 + n)) for n in range(5)]
    household(desk, "幸福里", "301")                                  # an estate nobody answered in
    done = ticket(desk, good, NOV + 24 * H)
    tickets.resolve(desk, done, resolution="已修", at=NOV + 24 * H + 20 * M)
    tickets.callback(desk, done, rating="basic", at=NOV + 30 * H)
    survey = evaluation.create_survey(desk, "和谐家园", "2026-11")
    for household_id, rating in zip(poor, ("satisfied", "dissatisfied", "dissatisfied", "basic", None)):
        evaluation.record_answer(desk, survey, household_id, rating, answered_at=NOV + 48 * H)
    evaluation.record_answer(desk, survey, poor[0], "dissatisfied", answered_at=NOV + 50 * H)   # replaces the first
    result = evaluation.monthly(desk.conn, "2026-11", now=NOW)
    assert result["estates"]["阳光花园"]["satisfaction"]["rate"] == 1.0
    harmony = result["estates"]["和谐家园"]["satisfaction"]
    assert (harmony["satisfied"], harmony["basic"], harmony["dissatisfied"], harmony["answered"], harmony["not_reached"]) == (
        0, 1, 3, 4, 1)
    assert harmony["rate"] == 0.25 and result["estates"]["和谐家园"]["flagged"] is True
    assert result["estates"]["幸福里"]["satisfaction"]["rate"] is None and not result["estates"]["幸福里"]["flagged"]
    assert result["flagged"] == ["和谐家园"]
    assert result["station"]["satisfaction"]["rate"] == pytest.approx(2 / 5)
    assert evaluation.surveys(desk.conn, "2026-11")[0]["rate"] == 0.25


def test_5341_on_time_rate_per_stage(desk):
    home = household(desk, "阳光花园", "101")
    quick = ticket(desk, home, NOV + 10 * H)
    tickets.arrive(desk, quick, at=NOV + 10 * H + 4 * M)
    tickets.resolve(desk, quick, resolution="好了", at=NOV + 10 * H + 25 * M)       # on time twice
    slow = ticket(desk, home, NOV + 20 * H)
    tickets.arrive(desk, slow, at=NOV + 20 * H + 9 * M)
    tickets.resolve(desk, slow, resolution="好了", at=NOV + 21 * H)                  # late twice
    waited = ticket(desk, home, NOV + 30 * H)
    tickets.arrive(desk, waited, at=NOV + 30 * H + 2 * M)
    tickets.pause(desk, waited, reason="等配件", at=NOV + 30 * H + 10 * M)
    tickets.resume(desk, waited, at=NOV + 40 * H)
    tickets.resolve(desk, waited, resolution="好了", at=NOV + 40 * H + 15 * M)       # on time thanks to the wait
    open_ = ticket(desk, home, NOW - 2 * M, severity="major")                          # still running: not counted
    complex_ = ticket(desk, home, NOV + 50 * H, severity="complex")
    tickets.arrive(desk, complex_, at=NOV + 50 * H + 3 * M)                            # plan never came: overdue
    ticket(desk, home, OCT + 5 * H)                                                    # another month
    result = evaluation.monthly(desk.conn, "2026-11", now=NOW)["estates"]["阳光花园"]
    assert result["on_time"]["onsite"] == {"on_time": 3, "late": 1, "pending": 1, "rate": 0.75}
    assert result["on_time"]["resolve"] == {"on_time": 2, "late": 1, "pending": 1, "rate": pytest.approx(2 / 3)}
    assert result["on_time"]["plan"] == {"on_time": 0, "late": 1, "pending": 0, "rate": 0.0}
    assert result["tickets"]["total"] == 5 and result["tickets"]["by_kind"]["repair"] == 5
    assert result["tickets"]["by_source"]["window"] == 5
    assert open_


def test_visit_coverage_per_estate(desk):
    kept = household(desk, "阳光花园", "101", ["elderly_alone"])
    missed = household(desk, "阳光花园", "102", ["elderly_alone"])
    other = household(desk, "和谐家园", "201", ["veteran"])
    day = timedelta(days=1)
    moment = OCT - 2 * H
    while moment < NOW:
        visits.log_visit(desk, kept, outcome="normal", visited_at=moment, now=NOW)
        moment += day - H
    visits.log_visit(desk, missed, outcome="normal", visited_at=NOV + 3 * day, now=NOW)
    for week in range(0, 60, 10):
        visits.log_visit(desk, other, outcome="normal", visited_at=OCT - 5 * day + week * day, now=NOW)
    result = evaluation.monthly(desk.conn, "2026-11", now=NOW)
    assert result["estates"]["阳光花园"]["coverage"] == {"key_households": 2, "on_time": 1, "rate": 0.5}
    assert result["estates"]["和谐家园"]["coverage"]["rate"] == 1.0
    assert result["station"]["coverage"] == {"key_households": 3, "on_time": 2, "rate": pytest.approx(2 / 3)}


def test_volunteer_hours_activities_meetings_and_actions(desk):
    household(desk, "阳光花园", "101")
    with desk.write("test.people", "volunteers") as change:
        a = change.insert("volunteers", name="刘师傅")
        b = change.insert("volunteers", name="王阿姨")
        clean = change.insert("activities", title="大扫除", estate="阳光花园", starts_at=(NOV + 8 * H).isoformat(),
                              ends_at=(NOV + 11 * H).isoformat(), hours=3)
        change.insert("attendance", activity_id=clean, volunteer_id=a, attended=1, hours=3)
        change.insert("attendance", activity_id=clean, volunteer_id=b, attended=1, hours=2.5)
        change.insert("attendance", activity_id=clean, volunteer_id=a, attended=0, hours=0, signed_up=1)
        earlier = change.insert("activities", title="义诊", estate="阳光花园", starts_at=(OCT + 8 * H).isoformat(),
                                ends_at=(OCT + 10 * H).isoformat(), hours=2)
        change.insert("attendance", activity_id=earlier, volunteer_id=a, attended=1, hours=2)
        meeting = change.insert("meetings", title="圆桌会议", kind="roundtable", estate="阳光花园",
                                held_at=(NOV + 100 * H).isoformat())
        change.insert("meeting_actions", meeting_id=meeting, description="施划停车位", status="done",
                      done_at=(NOV + 200 * H).isoformat())
        change.insert("meeting_actions", meeting_id=meeting, description="安装充电桩", status="open")
    result = evaluation.monthly(desk.conn, "2026-11", now=NOW)
    figures = result["estates"]["阳光花园"]
    assert figures["volunteers"] == {"hours": 5.5, "activities": 1, "volunteers": 2}
    assert figures["meetings"] == {"held": 1, "actions_closed": 1, "actions_open": 1}
    assert result["previous"]["estates"]["阳光花园"]["volunteers"]["hours"] == 2
    assert evaluation.change(figures["volunteers"]["hours"], result["previous"]["estates"]["阳光花园"]["volunteers"]["hours"]) == 3.5
    assert evaluation.change(None, 0.5) is None


# --- the monthly report ----------------------------------------------------------------------------------------

def test_monthly_report_pdf_flagged_estates_first(desk, db_path, tmp_path, capsys):
    import subprocess
    from redstation.cli import main
    happy = household(desk, "阳光花园", "101")
    unhappy = household(desk, "和谐家园", "201")
    for home, rating in ((happy, "satisfied"), (unhappy, "dissatisfied")):
        done = ticket(desk, home, datetime(2026, 10, 5, 9))
        tickets.resolve(desk, done, resolution="已处理", at=datetime(2026, 10, 5, 9, 20))
        tickets.callback(desk, done, rating=rating, at=datetime(2026, 10, 6, 10))
    desk.close()
    out = tmp_path / "report.pdf"
    assert main(["--db", str(db_path), "report", "monthly", "2026-10", str(out)]) == 0
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "红色物业服务考评月报" in text and "阳光服务站" in text and "2026年10月" in text
    called_in = text.index("一、需约谈的小区")
    assert text.index("和谐家园", called_in) < text.index("二、本站本月与上月对比")
    each = text.index("三、各小区考评情况")
    assert text.index("和谐家园", each) < text.index("阳光花园", each)       # flagged estates first
    assert "约谈" in text[each:] and "各小区满意度" in text and "工单类型" in text and "第 1 页 共" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all("WenQuanYi" in line and " yes " in line for line in fonts)
    capsys.readouterr()
    assert main(["--db", str(db_path), "report", "monthly", "2026-13", str(tmp_path / "x.pdf")]) == 2
    assert main(["--db", str(db_path), "report", "monthly", "2099-01", str(tmp_path / "x.pdf")]) == 1
    assert "尚未开始" in capsys.readouterr().err and not (tmp_path / "x.pdf").exists()


def test_weekly_on_time_rates(desk):
    home = household(desk, "阳光花园", "101")
    monday = datetime(2026, 11, 23)           # NOW is the Tuesday after
    on_time = ticket(desk, home, monday + 2 * H)
    tickets.resolve(desk, on_time, resolution="好了", at=monday + 2 * H + 10 * M)
    late = ticket(desk, home, monday - 3 * 24 * H)                       # the week before
    tickets.resolve(desk, late, resolution="好了", at=monday - 3 * 24 * H + 2 * H)
    weeks = evaluation.weekly_on_time(desk.conn, NOW, weeks=3)
    assert [w["week"].isoformat() for w in weeks] == ["2026-11-09", "2026-11-16", "2026-11-23"]
    assert [(w["tickets"], w["onsite"], w["resolve"]) for w in weeks] == [(0, None, None), (1, 0.0, 0.0), (1, 0.0, 1.0)]  # solved at the window, on site then too
