"""Tickets: intake, numbers, the flow and its history, pauses of the 5341 clock, assignment, callback."""

from datetime import datetime, timedelta

import pytest

from redstation import RedStationError
from redstation.services import register, station, tickets, users
from redstation.services.session import Session, Write  # noqa: F401

T = datetime(2026, 11, 23, 23, 50)
M = timedelta(minutes=1)


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    users.create_user(session, "desk1", "李晓梅", "desk", "secret123")
    return session


@pytest.fixture
def resident(desk):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "301"})
    return register.create_resident(desk, household, {"name": "张三", "phone": "13812345678"})


def take(desk, at=T, **kwargs):
    values = dict(kind="repair", source="window", severity="ordinary", summary="楼道灯不亮", accepted_at=at)
    values.update(kwargs)
    return tickets.accept(desk, **values)


def history(desk, ticket_id):
    return [(e["action"], e["status_from"], e["status_to"]) for e in tickets.ticket(desk.conn, ticket_id)["events"]]


def states(item):
    return {c.stage: c.state for c in item["clocks"]}


def test_intake_for_a_resident_takes_name_phone_and_household(desk, resident):
    item = take(desk, resident_id=resident)
    assert (item["caller_name"], item["caller_phone"]) == ("张三", "13812345678")
    assert item["household_id"] is not None and item["status"] == "accepted"
    assert item["number"] == "{code}-20261123-001".format(code=desk.station()["code"])
    assert datetime.fromisoformat(item["onsite_due_at"]) == T + 5 * M
    assert datetime.fromisoformat(item["resolve_due_at"]) == datetime(2026, 11, 24, 0, 20)   # across midnight
    assert history(desk, item["id"]) == [("accept", None, "accepted")]


def test_a_walk_in_caller_needs_a_name_or_phone(desk):
    with pytest.raises(RedStationError, match="来电人"):
        take(desk)
    item = take(desk, caller_phone="139 0000 1111")
    assert item["caller_phone"] == "13900001111" and item["household_id"] is None
    with pytest.raises(RedStationError, match="不是电话号码"):
        take(desk, caller_phone="12345")
    assert desk.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 1


def test_numbers_run_per_day_and_start_again_the_next_day(desk):
    numbers = [take(desk, caller_name="王五", at=T + n * M)["number"][-12:] for n in range(3)]
    assert numbers == ["20261123-001", "20261123-002", "20261123-003"]
    assert take(desk, caller_name="王五", at=T + 15 * M)["number"].endswith("20261124-001")


def test_the_whole_flow_is_recorded_with_who_and_when(desk):
    item = take(desk, caller_name="王五")
    tickets.assign(desk, item["id"], assignee_kind="user", assignee_id=None, assignee_name="赵师傅", at=T + M)
    tickets.arrive(desk, item["id"], at=T + 4 * M)
    done = tickets.resolve(desk, item["id"], resolution="已更换灯泡", at=T + 25 * M)
    assert done["status"] == "resolved" and states(done) == {"onsite": "done", "resolve": "done"}
    tickets.callback(desk, item["id"], rating="satisfied", comment="很及时", at=T + 60 * M)
    assert history(desk, item["id"]) == [("accept", None, "accepted"), ("assign", "accepted", "assigned"),
                                         ("on_site", "assigned", "on_site"), ("resolve", "on_site", "resolved"),
                                         ("callback", "resolved", "called_back")]
    events = tickets.ticket(desk.conn, item["id"])["events"]
    assert {e["actor_name"] for e in events} == {desk.actor.name}
    assert [e["at"][11:16] for e in events] == ["23:50", "23:51", "23:54", "00:15", "00:50"]
    answer = desk.conn.execute("SELECT * FROM satisfaction WHERE ticket_id = ?", (item["id"],)).fetchone()
    assert (answer["channel"], answer["rating"], answer["comment"]) == ("callback", "satisfied", "很及时")


@pytest.mark.parametrize("step", [
    lambda d, i: tickets.callback(d, i, rating="satisfied"),
    lambda d, i: tickets.reopen(d, i, reason="没修好"),
    lambda d, i: tickets.resume(d, i),
])
def test_steps_out_of_order_are_refused_and_change_nothing(desk, step):
    item = take(desk, caller_name="王五")
    before = history(desk, item["id"])
    with pytest.raises(RedStationError):
        step(desk, item["id"])
    assert history(desk, item["id"]) == before
    assert tickets.ticket(desk.conn, item["id"])["status"] == "accepted"


def test_waiting_for_parts_stops_the_clock(desk):
    item = take(desk, caller_name="王五")
    tickets.arrive(desk, item["id"], at=T + 3 * M)
    paused = tickets.pause(desk, item["id"], reason="等待配件", at=T + 10 * M)
    assert paused["paused"] == 1 and states(paused)["resolve"] == "paused"
    during = tickets.with_clocks(desk.conn, item["id"], now=T + 200 * M)
    assert states(during)["resolve"] == "paused" and during["clocks"][1].left == 20 * M
    tickets.resume(desk, item["id"], at=T + 130 * M)                 # two hours waiting
    later = tickets.with_clocks(desk.conn, item["id"], now=T + 140 * M)
    assert later["clocks"][1].due_at == T + 150 * M and states(later)["resolve"] == "running"
    done = tickets.resolve(desk, item["id"], resolution="配件到货已修好", at=T + 145 * M)
    assert states(done)["resolve"] == "done"


def test_solving_while_waiting_ends_the_wait(desk):
    item = take(desk, caller_name="王五")
    tickets.arrive(desk, item["id"], at=T + 3 * M)
    tickets.pause(desk, item["id"], reason="等待居民在家", at=T + 10 * M)
    done = tickets.resolve(desk, item["id"], resolution="已处理", at=T + 50 * M)
    assert done["paused"] == 0 and states(done)["resolve"] == "done"
    assert [e[0] for e in history(desk, item["id"])][-2:] == ["resume", "resolve"]


def test_a_consultation_answered_at_the_window_is_on_site_and_solved_at_once(desk):
    item = take(desk, kind="consultation", caller_name="王五")
    done = tickets.resolve(desk, item["id"], resolution="已告知办理流程", at=T + 2 * M)
    assert states(done) == {"onsite": "done", "resolve": "done"}


def test_dissatisfied_callback_then_reopen(desk):
    item = take(desk, caller_name="王五")
    tickets.assign(desk, item["id"], assignee_kind="user", assignee_id=None, assignee_name="赵师傅", at=T + M)
    tickets.resolve(desk, item["id"], resolution="已修", at=T + 20 * M)
    tickets.callback(desk, item["id"], rating="dissatisfied", comment="又坏了", at=T + 90 * M)
    again = tickets.reopen(desk, item["id"], reason="居民反映又坏了", at=T + 91 * M)
    assert again["status"] == "assigned" and again["resolved_at"] is None and again["called_back_at"] is None
    assert history(desk, item["id"])[-1] == ("reopen", "called_back", "assigned")


def test_a_callback_that_reaches_nobody_keeps_the_ticket_resolved(desk):
    item = take(desk, caller_name="王五")
    tickets.resolve(desk, item["id"], resolution="已修", at=T + 20 * M)
    after = tickets.callback(desk, item["id"], rating=None, comment="电话无人接听", at=T + 60 * M)
    assert after["status"] == "resolved"
    assert desk.conn.execute("SELECT rating FROM satisfaction WHERE ticket_id = ?", (item["id"],)).fetchone()[0] is None


def test_a_time_before_acceptance_is_refused(desk):
    item = take(desk, caller_name="王五")
    with pytest.raises(RedStationError, match="受理之前"):
        tickets.arrive(desk, item["id"], at=T - M)


def test_the_desk_view_puts_late_first_then_due_soon(desk):
    late = take(desk, caller_name="甲", at=T)
    soon = take(desk, caller_name="乙", at=T + 25 * M)
    calm = take(desk, caller_name="丙", severity="major", at=T + 29 * M)
    for item in (late, soon, calm):
        tickets.arrive(desk, item["id"], at=datetime.fromisoformat(item["accepted_at"]) + 2 * M)
    done = take(desk, caller_name="丁", at=T)
    tickets.resolve(desk, done["id"], resolution="好了", at=T + 10 * M)
    view = tickets.desk_view(desk.conn, T + 45 * M)
    assert [t["caller_name"] for t in view] == ["甲", "乙", "丙"]
    assert [(t["late"], t["due_soon"]) for t in view] == [(True, False), (False, True), (False, False)]
    assert tickets.counts(desk.conn, T + 45 * M) == {"open": 3, "late": 1, "due_soon": 1}


def test_a_repair_is_suggested_to_volunteers_who_repair_least_busy_first(desk):
    with desk.write("test.volunteers", "volunteers") as change:
        busy = change.insert("volunteers", name="王师傅")
        change.insert("volunteer_skills", volunteer_id=busy, skill="appliance_repair", level=2)
        free = change.insert("volunteers", name="刘师傅")
        change.insert("volunteer_skills", volunteer_id=free, skill="plumbing", level=2)
        lawyer = change.insert("volunteers", name="陈律师")
        change.insert("volunteer_skills", volunteer_id=lawyer, skill="legal_aid", level=3)
    item = take(desk, caller_name="王五")
    tickets.assign(desk, item["id"], assignee_kind="volunteer", assignee_id=busy, assignee_name="王师傅")
    suggested = tickets.suggested_assignees(desk.conn, "repair")
    assert [(s["kind"], s["name"]) for s in suggested[:2]] == [("volunteer", "刘师傅"), ("volunteer", "王师傅")]
    assert "陈律师" not in [s["name"] for s in suggested]
    assert ("user", "李晓梅") in [(s["kind"], s["name"]) for s in suggested]
    assert [s["name"] for s in tickets.suggested_assignees(desk.conn, "dispute")][0] == "陈律师"


# --- the receipt --------------------------------------------------------------------------------------------------

def pdf(*args):
    import subprocess
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


def test_receipt_pdf_by_id_or_number_on_a4_or_a5(desk, resident, db_path, tmp_path, capsys):
    from redstation.cli import main
    item = take(desk, resident_id=resident, severity="major", summary="电梯故障", detail="3号楼电梯运行中异响")
    desk.close()
    a4, a5 = tmp_path / "a4.pdf", tmp_path / "a5.pdf"
    assert main(["--db", str(db_path), "print", "receipt", item["id"], str(a4)]) == 0
    assert main(["--db", str(db_path), "print", "receipt", item["number"], str(a5), "--a5"]) == 0
    text = pdf("pdftotext", "-layout", str(a4), "-")
    for expected in ("受理回执", item["number"], "张三", "138****5678", "阳光花园 3-1-301", "电梯故障", "3号楼电梯运行中异响",
                     "2026-11-23 23:55 前工作人员到场", "2026-11-24 03:50 前办结", "受理人（签名）", "第 1 页 共 1 页"):
        assert expected in text, expected
    assert "13812345678" not in text
    fonts = pdf("pdffonts", str(a5)).splitlines()[2:]
    assert fonts and all("WenQuanYi" in line and " yes " in line for line in fonts)
    assert "419.528 x 595.276" in pdf("pdfinfo", str(a5))    # A5 portrait
    assert "595.276 x 841.89" in pdf("pdfinfo", str(a4))
    capsys.readouterr()
    assert main(["--db", str(db_path), "print", "receipt", "NOPE-1", str(tmp_path / "x.pdf")]) == 1
    assert "没有工单 NOPE-1" in capsys.readouterr().err and not (tmp_path / "x.pdf").exists()
