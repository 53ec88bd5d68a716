"""Key households and home visits: the schedule rule, logging, escalation, corrections, coverage."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redstation import RedStationError
from redstation.domain import schedule
from redstation.services import register, station, visits

NOW = datetime(2026, 11, 24, 10, 0, 0)
H = timedelta(hours=1)


# --- the rule ---------------------------------------------------------------------------------------------------

def test_the_interval_is_the_shortest_of_the_categories_or_the_households_own():
    assert schedule.interval_hours({"veteran", "elderly_alone"}, None) == 24
    assert schedule.interval_hours({"veteran"}, None) == 14 * 24
    assert schedule.interval_hours({"veteran", "elderly_alone"}, 72) == 72
    assert schedule.interval_hours(set(), None) is None
    assert schedule.interval_hours({"veteran"}, None, {"veteran": 30}) == 30


@pytest.mark.parametrize("last, state", [
    (NOW - 24 * H, schedule.DUE),                     # due exactly now: not yet overdue
    (NOW - 24 * H - timedelta(seconds=1), schedule.OVERDUE),
    (NOW - 18 * H, schedule.DUE),                     # due in 6 hours: inside the look-ahead (a quarter of a day)
    (NOW - 18 * H + timedelta(seconds=1), schedule.OK),
    (NOW - 2 * H, schedule.OK),
])
def test_overdue_and_due_at_the_boundaries_for_a_daily_household(last, state):
    assert schedule.visit_state(last, 24, NOW).state == state


@pytest.mark.parametrize("last, state", [
    (NOW - 14 * 24 * H + 12 * H, schedule.DUE),       # two-weekly: the look-ahead stops at 12 hours
    (NOW - 14 * 24 * H + 12 * H + timedelta(seconds=1), schedule.OK),
    (NOW - 15 * 24 * H, schedule.OVERDUE),
])
def test_intervals_in_days_look_ahead_at_most_12_hours(last, state):
    assert schedule.visit_state(last, 14 * 24, NOW).state == state


def test_never_visited_is_due_one_interval_after_coming_under_care():
    assert schedule.visit_state(None, 24, NOW, since=NOW - 2 * H).state == schedule.OK
    assert schedule.visit_state(None, 24, NOW, since=NOW - 25 * H).state == schedule.OVERDUE
    assert schedule.visit_state(None, 24, NOW).state == schedule.DUE


def test_late_entry_is_half_an_hour_after_the_visit():
    assert not schedule.is_late_entry(NOW - timedelta(minutes=30), NOW)
    assert schedule.is_late_entry(NOW - timedelta(minutes=31), NOW)


def test_on_time_means_never_overdue_in_the_period():
    start, end = NOW - 72 * H, NOW
    assert schedule.on_time([start - 10 * H, start + 12 * H, start + 35 * H, start + 58 * H], 24, start, end)
    assert not schedule.on_time([start - 10 * H, start + 15 * H, start + 40 * H], 24, start, end)  # 25 h gap
    assert not schedule.on_time([start - 10 * H, start + 12 * H, start + 35 * H], 24, start, end)  # overdue at the end
    assert not schedule.on_time([], 24, start, end)
    assert schedule.on_time([], 24, start, end, since=end - 3 * H)     # came under care 3 hours ago


@given(st.lists(st.integers(0, 200), max_size=12), st.integers(1, 72))
def test_on_time_agrees_with_the_state_at_every_hour(offsets, hours):
    """A household is on time over a period exactly when no hour of it finds the household overdue."""
    start = NOW - 100 * H
    times = sorted(start - 50 * H + o * H for o in offsets)
    expected = True
    for step in range(1, 201):   # every half hour of the period (visits fall on whole hours)
        moment = start + step * H / 2
        last = max((t for t in times if t <= moment), default=None)
        if last is None or schedule.visit_state(last, hours, moment).state == schedule.OVERDUE:
            expected = False
    assert schedule.on_time(times, hours, start, NOW) == expected


# --- the services ------------------------------------------------------------------------------------------------

@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    return session


def household(session, room, *people, interval=None):
    household_id = register.create_household(session, {"estate": "阳光花园", "building": "3", "unit": "1", "room": room,
                                                       "visit_interval_hours": interval})
    for name, categories in people:
        register.create_resident(session, household_id, {"name": name, "care_categories": categories})
    return household_id


def visit(session, household_id, when, **kwargs):
    return visits.log_visit(session, household_id, outcome=kwargs.pop("outcome", "normal"), visited_at=when, now=NOW, **kwargs)


def test_round_lists_overdue_first_then_due_in_address_order(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    b = household(desk, "201", ("李四", ["veteran"]), ("王五", ["aged_80"]))
    c = household(desk, "301", ("赵六", ["elderly_alone"]))
    d = household(desk, "101", ("钱七", []))          # not a key household
    e = household(desk, "601", ("孙八", ["veteran"]))  # visited recently: not in the round
    visit(desk, a, NOW - 30 * H)    # daily: overdue by 6 hours
    visit(desk, b, NOW - 47 * H)    # aged 80+: every 2 days, due in an hour
    visit(desk, c, NOW - 26 * H)    # overdue by 2 hours
    visit(desk, e, NOW - 24 * H)
    listed = visits.round_list(desk.conn, NOW)
    assert [h["id"] for h in listed] == [c, a, b]
    assert [h["state"] for h in listed] == ["overdue", "overdue", "due"]
    assert listed[1]["overdue_hours"] == pytest.approx(6)
    assert listed[2]["interval_hours"] == 48 and {m["name"] for m in listed[2]["members"]} == {"王五", "李四"}
    assert d not in [h["id"] for h in visits.household_states(desk.conn, NOW)]
    assert visits.counts(desk.conn, NOW) == {"key_households": 4, "overdue": 2, "due": 1}


def test_a_households_own_interval_and_the_stations_intervals_decide(desk):
    a = household(desk, "501", ("张三", ["veteran"]), interval=12)
    visit(desk, a, NOW - 13 * H)
    assert visits.round_list(desk.conn, NOW)[0]["state"] == "overdue"
    b = household(desk, "502", ("李四", ["veteran"]))
    visit(desk, b, NOW - 8 * 24 * H)
    assert b not in [h["id"] for h in visits.round_list(desk.conn, NOW)]
    visits.set_intervals(desk, {"veteran": 7 * 24})
    assert b in [h["id"] for h in visits.round_list(desk.conn, NOW)]
    with pytest.raises(RedStationError, match="退役军人"):
        visits.set_intervals(desk, {"veteran": 0})
    assert visits.intervals(desk.conn)["veteran"] == 7 * 24


def test_a_normal_visit_takes_the_household_off_the_round(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    visit(desk, a, NOW - 30 * H)
    logged = visit(desk, a, None)
    assert logged["late_entry"] is False and logged["ticket_id"] is None
    assert visits.round_list(desk.conn, NOW) == []
    row = desk.conn.execute("SELECT * FROM visits WHERE id = ?", (logged["visit_id"],)).fetchone()
    assert row["visitor_name"] == desk.actor.name and row["outcome"] == "normal" and row["handling"] is None


def test_an_escalated_anomaly_opens_a_ticket_with_the_5341_deadlines(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    logged = visit(desk, a, NOW - 10 * timedelta(minutes=1), outcome="anomaly", finding="高压锅干烧", handling="escalated",
                   escalation={"kind": "repair", "severity": "major"})
    ticket = desk.conn.execute("SELECT * FROM tickets WHERE id = ?", (logged["ticket_id"],)).fetchone()
    assert ticket["visit_id"] == logged["visit_id"] and ticket["source"] == "visit" and ticket["household_id"] == a
    assert ticket["summary"] == "高压锅干烧" and (ticket["kind"], ticket["severity"]) == ("repair", "major")
    accepted = datetime.fromisoformat(ticket["accepted_at"])
    assert accepted == NOW - 10 * timedelta(minutes=1)
    assert datetime.fromisoformat(ticket["onsite_due_at"]) == accepted + timedelta(minutes=5)
    assert datetime.fromisoformat(ticket["resolve_due_at"]) == accepted + timedelta(hours=4)
    assert ticket["number"] == "{code}-20261124-001".format(code=desk.station()["code"])
    assert desk.conn.execute("SELECT ticket_id FROM visits WHERE id = ?", (logged["visit_id"],)).fetchone()[0] == ticket["id"]
    events = desk.conn.execute("SELECT action, status_to FROM ticket_events WHERE ticket_id = ?", (ticket["id"],)).fetchall()
    assert [tuple(e) for e in events] == [("accept", "accepted")]
    second = visit(desk, a, NOW, outcome="anomaly", finding="燃气未关", handling="escalated")
    assert second["ticket_number"].endswith("-002")


def test_an_anomaly_handled_on_the_spot_opens_no_ticket(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    logged = visit(desk, a, NOW, outcome="anomaly", finding="燃气未关", handling="on_site", notes="已关闭阀门")
    assert logged["ticket_id"] is None
    assert desk.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


@pytest.mark.parametrize("kwargs, says", [
    ({"outcome": "anomaly", "handling": "on_site"}, "发现"),
    ({"outcome": "anomaly", "finding": "摔倒"}, "现场处置"),
    ({"outcome": "maybe"}, "maybe"),
])
def test_an_incomplete_visit_is_refused_and_nothing_is_written(desk, kwargs, says):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    with pytest.raises(RedStationError, match=says):
        visit(desk, a, NOW, **kwargs)
    assert desk.conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 0


def test_a_visit_in_the_future_is_refused(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    with pytest.raises(RedStationError, match="晚于"):
        visit(desk, a, NOW + 2 * H)


def test_a_visit_entered_later_is_marked_late_and_counts_at_its_real_time(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    visit(desk, a, NOW - 30 * H)
    logged = visit(desk, a, NOW - 3 * H, notes="纸质巡查单补录")
    assert logged["late_entry"] is True
    assert visits.round_list(desk.conn, NOW) == []   # visited 3 hours ago: not due
    assert visits.household_states(desk.conn, NOW)[0]["last_visit"] == (NOW - 3 * H).isoformat()


def test_a_correction_replaces_the_visit_and_keeps_it(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    b = household(desk, "502", ("李四", ["elderly_alone"]))
    wrong = visit(desk, a, NOW - 2 * H)["visit_id"]          # logged at the wrong door
    visit(desk, a, NOW - 30 * H)
    fixed = visits.correct_visit(desk, wrong, household_id=b, now=NOW)["visit_id"]
    assert desk.conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 3  # nothing removed
    states = {h["id"]: h["state"] for h in visits.household_states(desk.conn, NOW)}
    assert states == {a: "overdue", b: "ok"}
    history = visits.visit_history(desk.conn, b)
    assert history[0]["id"] == fixed and history[0]["corrects_id"] == wrong
    assert visits.visit_history(desk.conn, a)[0]["superseded"] is True
    with pytest.raises(RedStationError, match="已被更正"):
        visits.correct_visit(desk, wrong, outcome="normal", now=NOW)


def test_a_voided_visit_no_longer_counts(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    visit(desk, a, NOW - 30 * H)
    mistake = visit(desk, a, NOW - 1 * H)["visit_id"]
    assert visits.round_list(desk.conn, NOW) == []
    visits.correct_visit(desk, mistake, void=True, now=NOW)
    assert [h["id"] for h in visits.round_list(desk.conn, NOW)] == [a]


def test_visits_are_append_only_in_the_database(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    visit_id = visit(desk, a, NOW)["visit_id"]
    with pytest.raises(Exception, match="append-only"):
        desk.conn.execute("UPDATE visits SET outcome = 'anomaly' WHERE id = ?", (visit_id,))


def test_coverage_counts_households_never_overdue_in_the_period(desk):
    start = NOW - 72 * H
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    b = household(desk, "502", ("李四", ["elderly_alone"]))
    desk.conn.execute("UPDATE households SET created_at = ? WHERE id IN (?, ?)", ((start - 48 * H).isoformat(), a, b))
    for hours in (80, 60, 40, 20, 2):
        visit(desk, a, NOW - hours * H)
    for hours in (80, 40, 2):                                  # a 40-hour gap
        visit(desk, b, NOW - hours * H)
    result = visits.coverage(desk.conn, start, NOW)
    assert (result["key_households"], result["on_time"], result["late"]) == (2, 1, [b])
    assert result["rate"] == 0.5


def test_guard_shift_bounds():
    day_start, day_end = visits.shift(NOW.date())
    night_start, night_end = visits.shift(NOW.date(), night=True)
    assert (day_start.hour, day_end.hour, night_start.hour, night_end.hour) == (8, 20, 20, 8)
    assert night_end.date() == NOW.date() + timedelta(days=1)


def test_the_state_at_an_earlier_moment_ignores_later_visits(desk):
    a = household(desk, "501", ("张三", ["elderly_alone"]))
    visit(desk, a, NOW - 40 * H)
    visit(desk, a, NOW - 2 * H)
    earlier = visits.household_states(desk.conn, NOW - 10 * H)[0]
    assert earlier["last_visit"] == (NOW - 40 * H).isoformat() and earlier["state"] == "overdue"
    assert visits.household_states(desk.conn, NOW)[0]["state"] == "ok"
