"""Round-table meetings: attendees by party, topics linked to tickets, actions that become tickets; the minutes PDF."""

import json
import re
import subprocess
from datetime import datetime, timedelta

import pytest

from redstation import RedStationError
from redstation.cli import main
from redstation.domain.register import FieldError
from redstation.printing.minutes import minutes
from redstation.services import meetings, register, station, tickets, users
from redstation.services.session import Actor, Session

HELD = datetime(2026, 11, 20, 14, 30)
NOW = datetime(2026, 11, 24, 10, 0)


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区", "幸福街道")
    users.create_user(session, "admin", "王站长", "admin", "secret123")
    return session


@pytest.fixture
def world(desk):
    """A household with a resident, an open ticket of 阳光花园 and an old solved one."""
    household = register.create_household(desk, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "304"})
    resident = register.create_resident(desk, household, {"name": "张长锁", "phone": "13912345678"})
    parking = tickets.accept(desk, kind="complaint", source="window", severity="ordinary", summary="外来车辆占用车位",
                             resident_id=resident, accepted_at=HELD - timedelta(days=3))
    bins = tickets.accept(desk, kind="repair", source="phone", severity="ordinary", summary="垃圾桶破损",
                          caller_name="李四", accepted_at=HELD - timedelta(days=10))
    tickets.resolve(desk, bins["id"], resolution="已更换", at=HELD - timedelta(days=10) + timedelta(minutes=20))
    return {"resident": resident, "parking": parking, "bins": bins}


def record(desk, **values):
    header = {"kind": "roundtable", "estate": "阳光花园", "held_at": HELD, "place": "服务站会议室", "host": "刘书记",
              "recorder": "李晓梅"}
    header.update(values)
    return meetings.create_meeting(desk, header)


def audit_actions(session):
    return [r[0] for r in session.conn.execute("SELECT action FROM audit_log ORDER BY seq")]


def full_meeting(desk, world):
    """A round-table of five parties, two topics (one discussing two tickets), two actions."""
    meeting_id = record(desk)
    add = lambda party, name, title="", **kw: meetings.add_attendee(  # noqa: E731
        desk, meeting_id, {"party": party, "name": name, "title": title, **kw})
    add("residents_rep", "张长锁", "居民代表", person_kind="resident", person_id=world["resident"])
    add("owners_committee", "王建国", "业委会主任")
    add("property", "王站长", "服务站站长", person_kind="user",
        person_id=desk.conn.execute("SELECT id FROM users").fetchone()[0])
    add("community", "刘丽", "社区居委会主任")
    add("party", "刘书记", "社区党委书记")
    add("owners_committee", "赵敏", "业委会委员")
    parking = meetings.add_topic(desk, meeting_id, {
        "title": "小区停车难", "raised_by": "张长锁（居民代表）", "discussion": "外来车辆晚上占用车位，消防通道被堵",
        "resolution": "施划临时停车位，外来车辆登记", "ticket_ids": [world["parking"]["id"], world["bins"]["id"]]})
    rubbish = meetings.add_topic(desk, meeting_id, {"title": "垃圾清运", "discussion": "垃圾桶满溢",
                                                    "resolution": "每天清运两次"})
    paint = meetings.add_action(desk, meeting_id, {"description": "北门施划临时停车位", "owner": "王站长",
                                                   "due_date": "2026-12-05", "topic_id": parking})
    clean = meetings.add_action(desk, meeting_id, {"description": "督促保洁公司固定清运时间", "owner": "王建国",
                                                   "due_date": "2026-11-22", "topic_id": rubbish})
    return {"meeting": meeting_id, "parking": parking, "rubbish": rubbish, "paint": paint, "clean": clean}


# --- recording -------------------------------------------------------------------------------------------------

def test_the_title_comes_from_the_estate_and_kind_unless_typed(desk):
    assert meetings.default_title("roundtable", "阳光花园") == "阳光花园红色物业圆桌会议"
    first = meetings.meeting(desk.conn, record(desk))
    assert first["title"] == "阳光花园红色物业圆桌会议" and first["held_at"] == "2026-11-20T14:30:00"
    whole = meetings.meeting(desk.conn, record(desk, kind="quadripartite", estate=""))
    assert whole["title"] == "阳光社区四方联席会议"          # no estate: the station's community
    typed = meetings.meeting(desk.conn, record(desk, title="关于加装电梯的居民议事", kind="residents"))
    assert typed["title"] == "关于加装电梯的居民议事"


def test_a_meeting_with_attendees_of_several_parties_topics_tickets_and_actions(desk, world):
    ids = full_meeting(desk, world)
    item = meetings.meeting(desk.conn, ids["meeting"], NOW)
    # party by party in the vocabulary's order (Party first, residents last), each party in the order entered
    assert [(a["party"], a["name"]) for a in item["attendees"]] == [
        ("party", "刘书记"), ("community", "刘丽"), ("owners_committee", "王建国"), ("owners_committee", "赵敏"),
        ("property", "王站长"), ("residents_rep", "张长锁")]
    picked = {a["name"]: (a["person_kind"], a["person_id"]) for a in item["attendees"]}
    assert picked["张长锁"] == ("resident", world["resident"]) and picked["王建国"] == (None, None)
    assert picked["王站长"][0] == "user"
    assert [(p, [a["name"] for a in group]) for p, group in meetings.party_groups(item["attendees"])][2] == \
        ("owners_committee", ["王建国", "赵敏"])
    assert [t["title"] for t in item["topics"]] == ["小区停车难", "垃圾清运"]
    assert [t["number"] for t in item["topics"][0]["tickets"]] == [world["parking"]["number"], world["bins"]["number"]]
    assert [a["description"] for a in item["actions"]] == ["北门施划临时停车位", "督促保洁公司固定清运时间"]
    assert item["actions"][0]["topic_title"] == "小区停车难"
    # one transaction and one audit entry per change
    assert audit_actions(desk)[-11:] == ["meeting.create"] + ["meeting.attendee_add"] * 6 + ["meeting.topic_add"] * 2 + \
        ["meeting.action_add"] * 2
    listed = meetings.meetings(desk.conn, now=NOW)
    assert [(m["attendees"], m["topics"], m["actions"], m["open_actions"]) for m in listed] == [(6, 2, 2, 2)]


def test_values_are_checked_and_name_their_field(desk, world):
    meeting_id = record(desk)
    cases = [
        (lambda: meetings.create_meeting(desk, {"kind": "party", "held_at": HELD}), "kind"),
        (lambda: meetings.create_meeting(desk, {"kind": "roundtable", "held_at": "next tuesday"}), "held_at"),
        (lambda: meetings.create_meeting(desk, {"kind": "roundtable", "held_at": ""}), "held_at"),
        (lambda: meetings.add_attendee(desk, meeting_id, {"party": "mayor", "name": "王五"}), "party"),
        (lambda: meetings.add_attendee(desk, meeting_id, {"party": "police", "name": "  "}), "name"),
        (lambda: meetings.add_topic(desk, meeting_id, {"title": "", "resolution": "x"}), "title"),
        (lambda: meetings.add_topic(desk, meeting_id, {"title": "x", "ticket_ids": ["no-such-ticket"]}), "ticket_ids"),
        (lambda: meetings.add_action(desk, meeting_id, {"description": ""}), "description"),
        (lambda: meetings.add_action(desk, meeting_id, {"description": "x", "due_date": "2026-02-30"}), "due_date"),
        (lambda: meetings.add_action(desk, meeting_id, {"description": "x", "topic_id": "elsewhere"}), "topic_id"),
    ]
    for attempt, field in cases:
        with pytest.raises(FieldError) as refused:
            attempt()
        assert refused.value.field == field
    assert meetings.meetings(desk.conn)[0]["attendees"] == 0
    assert desk.conn.execute("SELECT count(*) FROM meeting_actions").fetchone()[0] == 0
    with pytest.raises(RedStationError, match="会议不存在"):
        meetings.add_topic(desk, "no-such-meeting", {"title": "x"})


def test_edits_change_what_was_asked_and_refuse_a_stale_form(desk, world):
    ids = full_meeting(desk, world)
    item = meetings.meeting(desk.conn, ids["meeting"])
    assert meetings.edit_meeting(desk, ids["meeting"], {"place": "党群服务中心二楼"}, expected_version=item["version"]) == ["place"]
    with pytest.raises(RedStationError, match="其他人修改"):
        meetings.edit_meeting(desk, ids["meeting"], {"host": "王站长"}, expected_version=item["version"])
    topic = item["topics"][0]
    meetings.edit_topic(desk, topic["id"], {"ticket_ids": [world["parking"]["id"]], "resolution": "施划停车位 12 个"})
    again = meetings.meeting(desk.conn, ids["meeting"])
    assert again["place"] == "党群服务中心二楼" and again["host"] == "刘书记"
    assert again["topics"][0]["ticket_ids"] == [world["parking"]["id"]]
    assert again["topics"][0]["resolution"] == "施划停车位 12 个"
    attendee = next(a for a in again["attendees"] if a["name"] == "赵敏")
    meetings.edit_attendee(desk, attendee["id"], {"party": "residents_rep", "title": "楼栋长"})
    assert [a["name"] for a in meetings.meeting(desk.conn, ids["meeting"])["attendees"]][-2:] == ["张长锁", "赵敏"]


def test_topics_move_and_a_removed_topic_leaves_its_actions(desk, world):
    ids = full_meeting(desk, world)
    third = meetings.add_topic(desk, ids["meeting"], {"title": "加装电梯"})
    meetings.move_topic(desk, third, -1)
    meetings.move_topic(desk, third, -1)
    meetings.move_topic(desk, third, -1)   # already first: stays
    assert [t["title"] for t in meetings.meeting(desk.conn, ids["meeting"])["topics"]] == ["加装电梯", "小区停车难", "垃圾清运"]
    meetings.remove_topic(desk, ids["rubbish"])
    item = meetings.meeting(desk.conn, ids["meeting"])
    assert [t["title"] for t in item["topics"]] == ["加装电梯", "小区停车难"]
    assert [(a["description"], a["topic_id"]) for a in item["actions"]][1] == ("督促保洁公司固定清运时间", None)


# --- actions and their tickets ------------------------------------------------------------------------------------

def test_an_action_becomes_a_ticket_linked_both_ways_and_shows_its_progress(desk, world):
    ids = full_meeting(desk, world)
    made = meetings.action_to_ticket(desk, ids["paint"], kind="repair", severity="major", at=NOW)
    ticket = tickets.ticket(desk.conn, made["ticket_id"])
    assert (ticket["source"], ticket["meeting_id"], ticket["summary"]) == ("meeting", ids["meeting"], "北门施划临时停车位")
    assert (ticket["kind"], ticket["severity"], ticket["status"], ticket["number"]) == ("repair", "major", "accepted",
                                                                                         made["number"])
    assert "阳光花园红色物业圆桌会议" in ticket["detail"] and "施划临时停车位，外来车辆登记" in ticket["detail"]
    assert ticket["caller_name"] == "王站长"
    assert desk.conn.execute("SELECT ticket_id FROM meeting_actions WHERE id = ?", (ids["paint"],)).fetchone()[0] == \
        made["ticket_id"]
    assert audit_actions(desk)[-1] == "meeting.action_ticket"

    action = meetings.meeting(desk.conn, ids["meeting"], NOW + timedelta(minutes=3))["actions"][0]
    assert action["ticket"]["number"] == made["number"] and action["ticket"]["status"] == "accepted"
    assert action["progress"] == meetings.TICKET_OPEN
    assert meetings.progress_text(action, NOW.date()) == "工单：受理"
    later = meetings.meeting(desk.conn, ids["meeting"], NOW + timedelta(minutes=20))["actions"][0]
    assert later["progress"] == meetings.TICKET_LATE and later["ticket"]["overdue"]   # 5 minutes to be on site
    assert meetings.progress_text(later, NOW.date()) == "工单：受理，5341 超时"

    tickets.arrive(desk, made["ticket_id"], at=NOW + timedelta(minutes=25))
    tickets.resolve(desk, made["ticket_id"], resolution="已施划 12 个车位", at=NOW + timedelta(hours=2))
    solved = meetings.meeting(desk.conn, ids["meeting"], NOW + timedelta(hours=3))["actions"][0]
    assert solved["progress"] == meetings.TICKET_DONE and solved["ticket"]["late"]
    assert meetings.progress_text(solved, NOW.date()) == "工单已办结（5341 超时）"


def test_an_action_cannot_become_two_tickets(desk, world):
    ids = full_meeting(desk, world)
    first = meetings.action_to_ticket(desk, ids["paint"], kind="repair", severity="major")
    with pytest.raises(RedStationError, match=re.escape(first["number"])):
        meetings.action_to_ticket(desk, ids["paint"], kind="complaint", severity="ordinary")
    assert desk.conn.execute("SELECT count(*) FROM tickets WHERE meeting_id = ?", (ids["meeting"],)).fetchone()[0] == 1
    with pytest.raises(RedStationError, match="类型和问题等级"):
        meetings.action_to_ticket(desk, ids["clean"], kind="party", severity="major")
    with pytest.raises(RedStationError, match="不能移除"):
        meetings.remove_action(desk, ids["paint"])


def test_marking_done_reopening_and_what_is_late(desk, world):
    ids = full_meeting(desk, world)
    listed = meetings.meetings(desk.conn, now=NOW)[0]
    assert listed["late_actions"] == 1                      # 督促保洁 was due 2026-11-22
    clean = meetings.meeting(desk.conn, ids["meeting"], NOW)["actions"][1]
    assert clean["progress"] == meetings.LATE and meetings.progress_text(clean, NOW.date()) == "逾期 2 天"
    meetings.mark_action_done(desk, ids["clean"], at=NOW)
    done = meetings.meeting(desk.conn, ids["meeting"], NOW)["actions"][1]
    assert (done["status"], done["done_at"], done["progress"]) == ("done", "2026-11-24T10:00:00", meetings.DONE)
    assert meetings.progress_text(done, NOW.date()) == "已完成 11-24"
    assert meetings.meetings(desk.conn, now=NOW)[0]["late_actions"] == 0
    with pytest.raises(RedStationError, match="已标记为完成"):
        meetings.mark_action_done(desk, ids["clean"])
    with pytest.raises(RedStationError, match="先改为未完成"):
        meetings.action_to_ticket(desk, ids["clean"], kind="complaint", severity="ordinary")
    meetings.reopen_action(desk, ids["clean"])
    assert meetings.meeting(desk.conn, ids["meeting"], NOW)["actions"][1]["status"] == "open"

    made = meetings.action_to_ticket(desk, ids["paint"], kind="repair", severity="major", at=NOW)
    with pytest.raises(RedStationError, match="请先办结工单"):
        meetings.mark_action_done(desk, ids["paint"])     # its ticket is still open
    tickets.resolve(desk, made["ticket_id"], resolution="已施划", at=NOW + timedelta(minutes=20))
    meetings.mark_action_done(desk, ids["paint"])
    assert audit_actions(desk)[-1] == "meeting.action_done"


def test_deleting_a_meeting_leaves_tombstones_and_keeps_its_tickets(desk, world):
    ids = full_meeting(desk, world)
    made = meetings.action_to_ticket(desk, ids["paint"], kind="repair", severity="major")
    meetings.delete_meeting(desk, ids["meeting"])
    assert meetings.meetings(desk.conn) == [] and meetings.meeting(desk.conn, ids["meeting"]) is None
    for table in ("meetings", "meeting_attendees", "meeting_topics", "meeting_actions"):
        assert desk.conn.execute("SELECT count(*) FROM {t} WHERE deleted = 0".format(t=table)).fetchone()[0] == 0
        assert desk.conn.execute("SELECT count(*) FROM {t}".format(t=table)).fetchone()[0] > 0
    assert tickets.ticket(desk.conn, made["ticket_id"])["status"] == "accepted"


def test_tickets_a_topic_may_discuss(desk, world):
    elsewhere = tickets.accept(desk, kind="repair", source="phone", severity="ordinary", summary="楼道灯不亮",
                               caller_name="王五", accepted_at=HELD - timedelta(days=1))
    old = tickets.accept(desk, kind="complaint", source="phone", severity="ordinary", summary="噪音扰民",
                         caller_name="赵六", accepted_at=HELD - timedelta(days=200))
    tickets.resolve(desk, old["id"], resolution="已劝导", at=HELD - timedelta(days=200) + timedelta(minutes=10))
    found = meetings.ticket_choices(desk.conn, since=HELD - timedelta(days=90), estate="阳光花园")
    assert [t["summary"] for t in found] == ["外来车辆占用车位", "楼道灯不亮", "垃圾桶破损"]   # the estate's first
    assert [t["summary"] for t in meetings.ticket_choices(desk.conn, "车位")] == ["外来车辆占用车位"]
    assert meetings.ticket_choices(desk.conn, "噪音", since=HELD - timedelta(days=90)) == []   # old and solved
    assert [t["id"] for t in meetings.ticket_choices(desk.conn, old["number"])] == [old["id"]]  # unless named
    assert elsewhere["id"] in [t["id"] for t in meetings.ticket_choices(desk.conn, elsewhere["number"][-3:])]


# --- the minutes ---------------------------------------------------------------------------------------------------

def pdftext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(path) -> str:
    return re.sub(r"\s+", "", pdftext(path))


def pdf_fonts(path) -> list[tuple[str, str]]:
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines]


def pdf_info(path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def printed(desk, world, tmp_path):
    ids = full_meeting(desk, world)
    meetings.edit_meeting(desk, ids["meeting"], {"summary": "会议形成两项决议，明确了责任人和完成时限。"})
    made = meetings.action_to_ticket(desk, ids["paint"], kind="repair", severity="major", at=NOW)
    out = tmp_path / "纪要.pdf"
    result = minutes(desk, ids["meeting"], out, now=NOW + timedelta(minutes=2))
    return out, result, ids, made


def test_minutes_hold_the_title_every_attendee_every_resolution_and_the_actions(printed, world):
    out, result, _ids, made = printed
    assert result == {"pages": result["pages"], "title": "阳光花园红色物业圆桌会议", "attendees": 6, "topics": 2, "actions": 2}
    text = flat(out)
    assert "阳光花园红色物业圆桌会议纪要" in text
    for part in ("会议时间2026年11月20日（星期五）14:30", "会议地点服务站会议室", "主持人刘书记", "记录人李晓梅", "会议类型圆桌会议"):
        assert part in text, part
    for attendee in ("党组织：刘书记（社区党委书记）", "社区居委会：刘丽（社区居委会主任）",
                     "业委会：王建国（业委会主任）、赵敏（业委会委员）", "物业：王站长（服务站站长）",
                     "居民代表：张长锁（居民代表）", "共6人"):
        assert attendee in text, attendee
    for part in ("一、会议议题及决议", "（一）小区停车难", "提出人：张长锁（居民代表）", "讨论情况：外来车辆晚上占用车位，消防通道被堵",
                 "会议决议：施划临时停车位，外来车辆登记", "会议决议：每天清运两次", "（二）垃圾清运",
                 "涉及工单：{p}（受理）、{b}（办结）".format(p=world["parking"]["number"], b=world["bins"]["number"])):
        assert part in text, part
    for part in ("二、跟进事项", "北门施划临时停车位", "督促保洁公司固定清运时间", "2026-12-05", "2026-11-22", "逾期2天",
                 made["number"], "工单：受理", "三、会议小结", "会议形成两项决议", "四、参会人员签字", "主持人（签名）",
                 "记录人（签名）"):
        assert part in text, part
    assert text.index("（一）小区停车难") < text.index("（二）垃圾清运") < text.index("二、跟进事项") < text.index("四、参会人员签字")
    layout = pdftext(out)
    assert "阳光服务站" in layout and "会议纪要" in layout and "2026年11月20日" in layout.splitlines()[0]
    signing = layout[layout.index("参会人员签字"):]
    for name in ("刘书记", "刘丽", "王建国", "赵敏", "王站长", "张长锁"):
        assert name in signing


def test_minutes_are_a4_with_page_numbers_and_every_font_embedded(printed):
    out, result, _ids, _made = printed
    fonts = pdf_fonts(out)
    assert fonts and all(emb == "yes" for _name, emb in fonts), fonts
    assert all("WenQuanYiMicroHei" in name for name, _emb in fonts)
    info = pdf_info(out)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert "第 1 页 共 {n} 页".format(n=result["pages"]) in pdftext(out)


def test_a_long_meeting_runs_over_pages_and_the_print_is_audited(desk, world, tmp_path):
    ids = full_meeting(desk, world)
    for n in range(30):
        meetings.add_attendee(desk, ids["meeting"], {"party": "residents_rep", "name": "居民{n}".format(n=n)})
    for n in range(8):
        meetings.add_topic(desk, ids["meeting"], {"title": "议题{n}".format(n=n), "discussion": "讨论" * 80,
                                                  "resolution": "决议{n}".format(n=n)})
    result = minutes(desk, ids["meeting"], tmp_path / "long.pdf")
    assert result["pages"] >= 3 and result["attendees"] == 36
    text = flat(tmp_path / "long.pdf")
    assert all("决议{n}".format(n=n) in text for n in range(8)) and "居民29" in text
    assert "第{n}页共{n}页".format(n=result["pages"]) in text
    entry = desk.conn.execute("SELECT action, record_id, detail FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert (entry["action"], entry["record_id"]) == ("print.minutes", ids["meeting"])
    assert json.loads(entry["detail"]) == {"pages": result["pages"], "attendees": 36, "topics": 10, "actions": 2}


def test_minutes_of_an_empty_meeting_still_have_a_sign_in_sheet(desk, tmp_path):
    meeting_id = record(desk, estate="", kind="tripartite", place="", host="")
    result = minutes(desk, meeting_id, tmp_path / "empty.pdf")
    text = flat(tmp_path / "empty.pdf")
    assert result["pages"] == 1 and "阳光社区三方联席会议纪要" in text
    assert "未记录议题" in text and "未记录跟进事项" in text and "参会人员签字" in text


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_prints_the_minutes_and_refuses_an_unknown_meeting(capsys, desk, world, tmp_path):
    ids = full_meeting(desk, world)
    db = desk.path
    code, out, err = run(capsys, "--db", db, "print", "minutes", ids["meeting"], tmp_path / "m.pdf")
    assert code == 0 and err == "" and str(tmp_path / "m.pdf") in out and "参会 6 人" in out
    assert "阳光花园红色物业圆桌会议纪要" in flat(tmp_path / "m.pdf")
    code, out, err = run(capsys, "--db", db, "print", "minutes", "no-such-meeting", tmp_path / "x.pdf")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no-such-meeting" in err
    assert not (tmp_path / "x.pdf").exists()
    code, _out, err = run(capsys, "--db", db, "print", "minutes", ids["meeting"])
    assert code == 2 and "usage" in err
    code, out, err = run(capsys, "--db", db, "list", "meetings", "--json")
    assert code == 0 and json.loads(out)["items"][0]["id"] == ids["meeting"]


def test_the_demo_meetings_read_and_print(tmp_path):
    from redstation.services import demo
    with Session.open(tmp_path / "demo.db", Actor.command_line()) as session:
        demo.generate(session, 300, 2)
        listed = meetings.meetings(session.conn)
        assert listed and [m["held_at"] for m in listed] == sorted((m["held_at"] for m in listed), reverse=True)
        linked = [a for m in listed for a in meetings.meeting(session.conn, m["id"])["actions"] if a["ticket"]]
        assert linked and all(a["ticket"]["number"] for a in linked)
        result = minutes(session, listed[0]["id"], tmp_path / "demo.pdf")
        assert result["attendees"] >= 5 and listed[0]["title"] + "纪要" in flat(tmp_path / "demo.pdf")
