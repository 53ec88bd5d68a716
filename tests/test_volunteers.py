"""Volunteers, skills, teams, activities with attendance, service hours and the hours certificate."""

import json
import subprocess
from datetime import date, datetime, time, timedelta

import pytest

from redstation import RedStationError
from redstation.domain import idnumber
from redstation.domain.register import FieldError
from redstation.services import register, station
from redstation.services import volunteers as vs

RESIDENT_ID = idnumber.make("370102", date(1960, 5, 4), 12, "M")
OTHER_ID = idnumber.make("370103", date(1985, 3, 2), 40, "F")


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光花园红色物业服务站", "阳光社区")
    return session


@pytest.fixture
def resident(desk):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "3", "unit": "1", "room": "301"})
    return register.create_resident(desk, household, {"name": "张建国", "id_number": RESIDENT_ID, "phone": "13812345678"})


def audit(desk, action=None):
    rows = [dict(r) for r in desk.conn.execute("SELECT action, record_id, detail FROM audit_log ORDER BY seq")]
    return [r for r in rows if action is None or r["action"] == action]


def activity(desk, title="清理绿化带", day=date(2026, 11, 21), start=time(9, 0), end=time(11, 30), **more):
    starts, ends = vs.activity_span(day, start, end)
    return vs.create_activity(desk, dict(title=title, kind="cleanup", estate="阳光花园", place="中心广场",
                                         starts_at=starts, ends_at=ends, **more))


def volunteer(desk, name="李秀英", skills=(), **values):
    return vs.register_volunteer(desk, dict(name=name, **values), skills=skills)


# --- the hours arithmetic ------------------------------------------------------------------------------------------

def test_an_activity_across_midnight_ends_the_next_day():
    starts, ends = vs.activity_span(date(2026, 12, 31), time(22, 0), time(2, 0))
    assert (starts, ends) == (datetime(2026, 12, 31, 22, 0), datetime(2027, 1, 1, 2, 0))
    assert vs.default_hours(starts, ends) == 4.0
    with pytest.raises(FieldError) as refused:
        vs.activity_span(date(2026, 12, 31), time(9, 0), time(9, 0))
    assert refused.value.field == "ends_at"


@pytest.mark.parametrize("minutes, hours", [(0, 0.0), (14, 0.0), (15, 0.5), (44, 0.5), (45, 1.0), (60, 1.0), (74, 1.0),
                                            (75, 1.5), (90, 1.5), (105, 2.0), (150, 2.5), (23 * 60 + 59, 24.0)])
def test_default_hours_are_the_length_rounded_to_half_hours(minutes, hours):
    assert vs.round_half_hours(minutes) == hours
    starts = datetime(2026, 11, 21, 9, 0)
    assert vs.default_hours(starts, starts + timedelta(minutes=minutes)) == hours


def test_hours_typed_for_one_attendee():
    assert vs.clean_hours("2.3") == 2.5 and vs.clean_hours("３") == 3.0 and vs.clean_hours(1.74) == 1.5
    assert vs.clean_hours("2小时") == 2.0 and vs.clean_hours(0) == 0.0 and vs.clean_hours("24") == 24.0
    for bad in ("-1", "24.5", "两小时", ""):
        with pytest.raises(FieldError):
            vs.clean_hours(bad)


def test_period_bounds_take_both_days_whole():
    assert vs.period_bounds(date(2026, 11, 1), date(2026, 11, 30)) == ("2026-11-01T00:00:00", "2026-12-01T00:00:00")
    assert vs.period_bounds(None, None) == (None, None)
    with pytest.raises(RedStationError, match="晚于"):
        vs.period_bounds(date(2026, 11, 30), date(2026, 11, 1))


def test_hours_count_only_when_attended_and_follow_ticks_adjustments_and_removal(desk):
    a = activity(desk)                                  # 09:00-11:30: 2.5 hours each
    li, wang, zhao = volunteer(desk, "李秀英"), volunteer(desk, "王芳"), volunteer(desk, "赵刚")
    view = vs.sign_up(desk, a, [li, wang, zhao, li])
    assert [(r["name"], r["signed_up"], r["attended"], r["credited"]) for r in view["attendance"]] == [
        ("李秀英", 1, 0, 0.0), ("王芳", 1, 0, 0.0), ("赵刚", 1, 0, 0.0)]
    assert view["total_hours"] == 0
    vs.set_attendance(desk, a, li, attended=True)
    vs.set_attendance(desk, a, wang, attended=True)
    view = vs.set_attendance(desk, a, zhao, hours="3")            # giving hours ticks attended
    by_name = {r["name"]: r for r in view["attendance"]}
    assert [by_name[n]["hours"] for n in ("李秀英", "王芳", "赵刚")] == [2.5, 2.5, 3.0]
    assert not by_name["李秀英"]["adjusted"] and by_name["赵刚"]["adjusted"]
    assert view["total_hours"] == 8.0 and view["attended"] == 3
    assert vs.volunteer_hours(desk.conn, zhao) == 3.0

    view = vs.set_attendance(desk, a, wang, attended=False)        # did not come after all
    assert view["total_hours"] == 5.5 and vs.volunteer_hours(desk.conn, wang) == 0
    view = vs.set_attendance(desk, a, wang, attended=True)         # did come: the default again
    assert {r["name"]: r["hours"] for r in view["attendance"]}["王芳"] == 2.5
    view = vs.remove_attendee(desk, a, li)                         # signed up by mistake
    assert [r["name"] for r in view["attendance"]] == ["王芳", "赵刚"] and view["total_hours"] == 5.5
    assert vs.volunteer_hours(desk.conn, li) == 0
    with pytest.raises(RedStationError):
        vs.remove_attendee(desk, a, li)
    view = vs.set_attendance(desk, a, li, attended=True)           # came without signing up (again)
    assert {r["name"]: (r["signed_up"], r["hours"]) for r in view["attendance"]}["李秀英"] == (0, 2.5)
    assert [e["action"] for e in audit(desk)].count("attendance.update") == 6


def test_a_deleted_activity_counts_for_nobody(desk):
    a, b = activity(desk, "清理绿化带"), activity(desk, "义诊", day=date(2026, 11, 22), end=time(10, 0))
    li = volunteer(desk)
    vs.sign_up(desk, a, [li])
    vs.sign_up(desk, b, [li])
    vs.set_attendance(desk, a, li, attended=True)
    vs.set_attendance(desk, b, li, attended=True)
    assert vs.volunteer_hours(desk.conn, li) == 3.5
    vs.remove_activity(desk, a)
    assert vs.volunteer_hours(desk.conn, li) == 1.0
    assert [r["title"] for r in vs.volunteer_view(desk.conn, li)["activities"]] == ["义诊"]
    assert vs.volunteer_list(desk.conn)[0]["hours"] == 1.0
    assert [r["title"] for r in vs.activity_list(desk.conn)] == ["义诊"]
    with pytest.raises(RedStationError):
        vs.set_attendance(desk, a, li, attended=True)


def test_changing_the_time_moves_default_hours_and_keeps_adjusted_ones(desk):
    a = activity(desk)                                              # 2.5 hours
    li, wang = volunteer(desk, "李秀英"), volunteer(desk, "王芳")
    vs.set_attendance(desk, a, li, attended=True)
    vs.set_attendance(desk, a, wang, hours=1)
    current = vs.activity_view(desk.conn, a)
    vs.edit_activity(desk, a, {"ends_at": datetime(2026, 11, 21, 12, 0)}, expected_version=current["version"])
    hours = {r["name"]: r["hours"] for r in vs.activity_view(desk.conn, a)["attendance"]}
    assert hours == {"李秀英": 3.0, "王芳": 1.0}
    with pytest.raises(RedStationError, match="其他人修改"):
        vs.edit_activity(desk, a, {"title": "改名"}, expected_version=current["version"])


def test_periods_count_activities_by_their_start_day_both_ends_included(desk):
    li = volunteer(desk)
    night = activity(desk, "跨年夜巡逻", day=date(2026, 10, 31), start=time(23, 0), end=time(1, 0))   # ends 11-01
    first = activity(desk, "月初清扫", day=date(2026, 11, 1), start=time(0, 0), end=time(1, 0))
    last = activity(desk, "月末清扫", day=date(2026, 11, 30), start=time(23, 0), end=time(23, 30))
    after = activity(desk, "下月清扫", day=date(2026, 12, 1), start=time(0, 0), end=time(0, 30))
    for a in (night, first, last, after):
        vs.set_attendance(desk, a, li, attended=True)
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert vs.volunteer_hours(desk.conn, li, *november) == 1.5      # 1 + 0.5: the night of 10-31 is October's
    assert vs.volunteer_hours(desk.conn, li, date(2026, 10, 31), date(2026, 10, 31)) == 2.0
    assert vs.volunteer_hours(desk.conn, li, date(2026, 12, 1), None) == 0.5
    assert vs.volunteer_hours(desk.conn, li, None, date(2026, 11, 1)) == 3.0
    assert vs.volunteer_hours(desk.conn, li) == 4.0
    assert [a["title"] for a in vs.activity_list(desk.conn, start=november[0], end=november[1])] == ["月末清扫", "月初清扫"]
    assert vs.volunteer_list(desk.conn, start=november[0], end=november[1])[0]["hours"] == 1.5


def test_activities_are_checked(desk):
    with pytest.raises(FieldError) as refused:
        vs.create_activity(desk, {"title": " ", "starts_at": datetime(2026, 1, 1, 9), "ends_at": datetime(2026, 1, 1, 10)})
    assert refused.value.field == "title"
    for ends in (datetime(2026, 1, 1, 9), datetime(2026, 1, 2, 9)):
        with pytest.raises(FieldError) as refused:
            vs.create_activity(desk, {"title": "义诊", "starts_at": datetime(2026, 1, 1, 9), "ends_at": ends})
        assert refused.value.field == "ends_at"
    with pytest.raises(FieldError):
        vs.create_activity(desk, {"title": "义诊", "kind": "party", "starts_at": datetime(2026, 1, 1, 9),
                                  "ends_at": datetime(2026, 1, 1, 10)})
    assert desk.conn.execute("SELECT count(*) FROM activities").fetchone()[0] == 0


# --- volunteers ------------------------------------------------------------------------------------------------------

def test_a_resident_volunteer_takes_name_sex_and_id_number_from_the_register(desk, resident):
    vid = vs.register_volunteer(desk, {"resident_id": resident, "name": "别的名字", "party_member": True},
                                skills=[{"skill": "legal_aid", "level": 3}])
    item = vs.volunteer_view(desk.conn, vid)
    assert (item["name"], item["gender"], item["id_number"], item["phone"]) == ("张建国", "M", RESIDENT_ID, "13812345678")
    assert item["address"] == "阳光花园 3-1-301" and item["party_member"] == 1 and item["active"] == 1
    with pytest.raises(FieldError, match="已登记为志愿者") as refused:
        vs.register_volunteer(desk, {"resident_id": resident})
    assert refused.value.field == "resident_id"
    with pytest.raises(FieldError, match="张建国") as refused:   # typed in as if not a resident: pick them instead
        vs.register_volunteer(desk, {"name": "张建国", "id_number": RESIDENT_ID})
    assert refused.value.field == "id_number"
    entries = audit(desk, "volunteer.create")
    assert len(entries) == 1 and entries[0]["record_id"] == vid
    assert RESIDENT_ID not in json.dumps([dict(e) for e in audit(desk)], ensure_ascii=False)


def test_a_volunteer_who_is_not_a_resident(desk):
    vid = vs.register_volunteer(desk, {"name": "王  芳", "phone": "139 0000 1111", "id_number": OTHER_ID.lower(),
                                       "serving_party_member": True, "employer": "区税务局", "availability": "周末上午",
                                       "joined_on": "2024.3.1"})
    item = vs.volunteer_view(desk.conn, vid)
    assert (item["name"], item["phone"], item["gender"], item["id_number"]) == ("王芳", "13900001111", "F", OTHER_ID)
    assert item["resident_id"] is None and item["address"] == ""
    assert (item["party_member"], item["serving_party_member"], item["joined_on"]) == (1, 1, "2024-03-01")
    assert vs.register_volunteer(desk, {"name": "赵刚"})                    # id number optional
    for values, field in (({"name": ""}, "name"), ({"name": "钱七", "id_number": OTHER_ID[:-1] + "0"}, "id_number"),
                          ({"name": "钱七", "id_number": RESIDENT_ID, "gender": "F"}, "gender"),
                          ({"name": "钱七", "phone": "12345"}, "phone"), ({"name": "钱七", "id_number": OTHER_ID}, "id_number"),
                          ({"name": "钱七", "joined_on": "2099-01-01"}, "joined_on")):
        with pytest.raises(FieldError) as refused:
            vs.register_volunteer(desk, values)
        assert refused.value.field == field, values
    assert desk.conn.execute("SELECT count(*) FROM volunteers").fetchone()[0] == 2


def test_editing_a_volunteer_names_the_fields_and_checks_the_version(desk):
    vid = volunteer(desk, phone="13900001111")
    current = vs.volunteer_view(desk.conn, vid)
    changed = vs.edit_volunteer(desk, vid, {"phone": "13900002222", "active": False}, expected_version=current["version"])
    assert changed == ["active", "phone"]
    assert json.loads(audit(desk, "volunteer.update")[-1]["detail"])["fields"] == ["active", "phone"]
    with pytest.raises(RedStationError, match="其他人修改"):
        vs.edit_volunteer(desk, vid, {"phone": "13900003333"}, expected_version=current["version"])
    assert vs.volunteer_list(desk.conn) == [] and vs.volunteer_list(desk.conn, active=False)[0]["id"] == vid


def test_skills_with_levels_and_free_text(desk):
    assert vs.parse_skills("摄影2、剪纸, 医疗卫生（3）") == [{"skill": "摄影", "level": 2}, {"skill": "剪纸", "level": 1},
                                                      {"skill": "医疗卫生", "level": 3}]
    vid = vs.register_volunteer(desk, {"name": "李秀英"}, skills=[
        {"skill": "sewing", "level": 2}, {"skill": "医疗卫生", "level": 3}, {"skill": "摄影", "level": 1},
        {"skill": "sewing", "level": 1}])
    assert {(s["skill"], s["level"]) for s in vs.volunteer_view(desk.conn, vid)["skills"]} == {
        ("sewing", 2), ("health_care", 3), ("摄影", 1)}
    assert vs.skill_text({"skill": "health_care", "level": 3}) == "医疗卫生（专业）"
    with pytest.raises(FieldError) as refused:
        vs.edit_volunteer(desk, vid, {}, skills=[{"skill": "sewing", "level": 4}])
    assert refused.value.field == "skills"
    vs.edit_volunteer(desk, vid, {}, skills=[{"skill": "sewing", "level": 3}, {"skill": "剪纸", "level": 1}])
    assert {(s["skill"], s["level"]) for s in vs.volunteer_view(desk.conn, vid)["skills"]} == {("sewing", 3), ("剪纸", 1)}
    live = desk.conn.execute("SELECT count(*) FROM volunteer_skills WHERE deleted = 0").fetchone()[0]
    tombstones = desk.conn.execute("SELECT count(*) FROM volunteer_skills WHERE deleted = 1").fetchone()[0]
    assert (live, tombstones) == (2, 2)
    assert vs.skill_choices(desk.conn)[-1:] == ["剪纸"] and vs.skill_choices(desk.conn)[0] == "health_care"


def test_teams_members_and_leader(desk):
    li, wang, zhao = volunteer(desk, "李秀英"), volunteer(desk, "王芳"), volunteer(desk, "赵刚")
    team = vs.create_team(desk, "党员先锋服务队", description="在职党员", member_ids=[li, wang], leader_id=li)
    with pytest.raises(FieldError, match="已有"):
        vs.create_team(desk, " 党员先锋服务队 ")
    other = vs.create_team(desk, "银发互助队")
    with pytest.raises(FieldError):
        vs.edit_team(desk, other, name="党员先锋服务队")
    assert vs.edit_team(desk, other, name="银发互助服务队") == ["name"]
    assert vs.edit_team(desk, team, leader_id=zhao) == ["leader_id"]          # a leader who was not a member joins
    view = vs.team_view(desk.conn, team)
    assert [(m["name"], bool(m["leader"])) for m in view["members"]] == [("赵刚", True), ("李秀英", False), ("王芳", False)]
    assert vs.add_members(desk, team, [li, wang]) == 0
    vs.remove_member(desk, team, zhao)                                        # the leader leaves: no leader
    assert vs.team_view(desk.conn, team)["leader_name"] == "" and {t["name"]: t["members"] for t in vs.team_list(desk.conn)}["党员先锋服务队"] == 2
    vs.edit_volunteer(desk, wang, {}, team_ids=[other])                       # the volunteer form's team ticks
    assert [t["name"] for t in vs.volunteer_view(desk.conn, wang)["teams"]] == ["银发互助服务队"]
    vs.remove_team(desk, other)
    assert vs.volunteer_view(desk.conn, wang)["teams"] == [] and [t["name"] for t in vs.team_list(desk.conn)] == ["党员先锋服务队"]
    assert {e["action"] for e in audit(desk)} >= {"team.create", "team.update", "team.members", "team.delete"}


def test_team_hours_are_the_hours_at_its_activities_in_the_period(desk):
    li, wang = volunteer(desk, "李秀英"), volunteer(desk, "王芳")
    team = vs.create_team(desk, "便民维修队", member_ids=[li])
    fix = activity(desk, "便民维修", team_id=team)                            # 2.5 h
    other = activity(desk, "义诊", day=date(2026, 10, 10))
    vs.set_attendance(desk, fix, li, attended=True)
    vs.set_attendance(desk, fix, wang, hours=2)                               # not a member, but at the team's activity
    vs.set_attendance(desk, other, li, attended=True)
    assert vs.team_hours(desk.conn, team) == 4.5
    assert vs.team_hours(desk.conn, team, date(2026, 10, 1), date(2026, 10, 31)) == 0
    view = vs.team_view(desk.conn, team, date(2026, 11, 1), date(2026, 11, 30))
    assert (view["activities"], view["hours"]) == (1, 4.5)
    assert [(m["name"], m["hours"]) for m in view["members"]] == [("李秀英", 2.5)]
    listed = vs.team_list(desk.conn)
    assert [(t["name"], t["activities"], t["hours"]) for t in listed] == [("便民维修队", 1, 4.5)]


def test_signing_up_the_whole_team(desk):
    li, wang, gone = volunteer(desk, "李秀英"), volunteer(desk, "王芳"), volunteer(desk, "赵刚", active=False)
    team = vs.create_team(desk, "银发互助队", member_ids=[li, wang, gone])
    a = activity(desk, "走访独居老人", team_id=team)
    view = vs.sign_up_team(desk, a)
    assert [r["name"] for r in view["attendance"]] == ["李秀英", "王芳"]
    with pytest.raises(RedStationError):
        vs.sign_up_team(desk, activity(desk, "义诊"))


def test_filters_by_skill_team_party_and_typed_text(desk):
    li = vs.register_volunteer(desk, {"name": "李秀英", "phone": "13900001111", "party_member": True},
                               skills=[{"skill": "sewing", "level": 2}])
    zhang = vs.register_volunteer(desk, {"name": "张长锁", "phone": "13900002222", "serving_party_member": True},
                                  skills=[{"skill": "摄影", "level": 1}, {"skill": "sewing", "level": 1}])
    wang = vs.register_volunteer(desk, {"name": "王芳", "phone": "13900003333"})
    team = vs.create_team(desk, "便民维修队", member_ids=[wang, li])

    def names(**filters):
        return [v["name"] for v in vs.volunteer_list(desk.conn, **filters)]
    assert sorted(names()) == sorted(["张长锁", "李秀英", "王芳"])
    assert sorted(names(skill="sewing")) == ["张长锁", "李秀英"] and names(skill="摄影") == ["张长锁"]
    assert names(skill="缝纫") == names(skill="sewing")
    assert sorted(names(team_id=team)) == ["李秀英", "王芳"]
    assert sorted(names(party="member")) == ["张长锁", "李秀英"] and names(party="serving") == ["张长锁"]
    assert names(query="zcs") == ["张长锁"] and names(query="zhangch") == ["张长锁"] and names(query="秀") == ["李秀英"]
    assert names(query="3333") == ["王芳"] and names(query="wf") == ["王芳"] and names(query="nobody") == []
    assert names(skill="sewing", team_id=team) == ["李秀英"]
    listed = {v["name"]: v for v in vs.volunteer_list(desk.conn)}
    assert [t["name"] for t in listed["王芳"]["teams"]] == ["便民维修队"] and listed["王芳"]["skills"] == []
    assert zhang and listed["张长锁"]["hours"] == 0


def test_a_volunteer_entered_by_mistake_can_be_deleted_one_who_served_not(desk):
    li, wang = volunteer(desk, "李秀英"), volunteer(desk, "王芳", skills=[{"skill": "sewing"}])
    team = vs.create_team(desk, "银发互助队", member_ids=[wang], leader_id=wang)
    vs.set_attendance(desk, activity(desk), li, attended=True)
    with pytest.raises(RedStationError, match="仍在服务"):
        vs.remove_volunteer(desk, li)
    vs.remove_volunteer(desk, wang)
    assert [v["name"] for v in vs.volunteer_list(desk.conn)] == ["李秀英"]
    assert vs.team_view(desk.conn, team)["members"] == [] and vs.team_view(desk.conn, team)["leader_id"] is None


# --- the certificate -------------------------------------------------------------------------------------------------

def pdf(*args):
    return subprocess.run(list(args), capture_output=True, text=True, check=True).stdout


@pytest.fixture
def served(desk, resident):
    vid = vs.register_volunteer(desk, {"resident_id": resident})
    team = vs.create_team(desk, "党员先锋服务队", member_ids=[vid])
    titles = ["清理绿化带", "义诊测血压", "走访独居老人", "消防知识宣传"]
    for n, title in enumerate(titles):
        a = activity(desk, title, day=date(2026, 10, 3 + 7 * n), team_id=team)
        vs.set_attendance(desk, a, vid, attended=True) if n != 2 else vs.set_attendance(desk, a, vid, hours=1)
    skipped = activity(desk, "没去的活动", day=date(2026, 10, 9))
    vs.sign_up(desk, skipped, [vid])
    gone = activity(desk, "删除的活动", day=date(2026, 10, 11))
    vs.set_attendance(desk, gone, vid, attended=True)
    vs.remove_activity(desk, gone)
    return vid, titles


def test_certificate_lists_every_activity_with_the_total(desk, served, tmp_path):
    from redstation.printing import certificate
    vid, titles = served
    out = tmp_path / "证明.pdf"
    made = certificate.certificate(desk, vid, out, printed_at=datetime(2026, 11, 24, 10, 0))
    assert made == {"pages": 1, "name": "张建国", "activities": 4, "hours": 8.5, "start": "2026-10-03", "end": "2026-11-24"}
    text = pdf("pdftotext", "-layout", str(out), "-")
    for expected in ("志愿服务时长证明", "阳光花园红色物业服务站", "张建国", idnumber.mask(RESIDENT_ID), "党员先锋服务队",
                     *titles, "2026-10-03", "合计：4 次活动", "8.5", "兹证明 张建国 同志", "累计志愿服务时长 8.5 小时",
                     "阳光花园红色物业服务站（盖章）", "2026年11月24日", "经办人（签名）", "第 1 页 共 1 页"):
        assert expected in text, expected
    assert RESIDENT_ID not in text and "没去的活动" not in text and "删除的活动" not in text
    fonts = pdf("pdffonts", str(out)).splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)
    assert "595.276 x 841.89" in pdf("pdfinfo", str(out))
    entry = audit(desk, "print.certificate")[-1]
    assert entry["record_id"] == vid and json.loads(entry["detail"])["hours"] == 8.5
    assert RESIDENT_ID not in entry["detail"]


def test_certificate_of_a_period_and_of_someone_without_service(desk, served, tmp_path):
    from redstation.printing import certificate
    vid, titles = served
    made = certificate.certificate(desk, vid, tmp_path / "a.pdf", start=date(2026, 10, 10), end=date(2026, 10, 17),
                                   printed_at=datetime(2026, 11, 24, 10, 0))
    assert (made["activities"], made["hours"]) == (2, 3.5)
    text = pdf("pdftotext", "-layout", str(tmp_path / "a.pdf"), "-")
    assert titles[1] in text and titles[2] in text and titles[0] not in text and "2026年10月10日 至 2026年10月17日" in text
    newcomer = vs.register_volunteer(desk, {"name": "王芳"})
    made = certificate.certificate(desk, newcomer, tmp_path / "b.pdf", printed_at=datetime(2026, 11, 24, 10, 0))
    assert (made["activities"], made["hours"]) == (0, 0)
    text = pdf("pdftotext", "-layout", str(tmp_path / "b.pdf"), "-")
    assert "本期间无志愿服务记录" in text and "身份证号：" not in text and "累计志愿服务时长 0 小时" in text


def test_a_long_certificate_runs_over_pages(desk, tmp_path):
    from redstation.printing import certificate
    vid = volunteer(desk)
    for n in range(60):
        vs.set_attendance(desk, activity(desk, "第{n}次清扫".format(n=n + 1), day=date(2026, 1, 1 + n % 28)), vid,
                          attended=True)
    made = certificate.certificate(desk, vid, tmp_path / "long.pdf", printed_at=datetime(2026, 11, 24))
    assert made["pages"] == 3 and made["hours"] == 150
    pages = pdf("pdftotext", "-layout", str(tmp_path / "long.pdf"), "-").split("\f")
    assert "第60次清扫" in pages[0] and "第 3 页 共 3 页" in pages[2]
    assert "序号" in pages[1] and "序号" not in pages[2]                     # the header row on each page of the table
    assert all(part in pages[2] for part in ("兹证明", "盖章", "经办人"))      # statement, seal and signature together


def run(capsys, *argv):
    from redstation.cli import main
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_print_certificate(desk, served, db_path, tmp_path, capsys):
    vid, titles = served
    desk.close()
    code, out, err = run(capsys, "--db", db_path, "print", "certificate", vid, tmp_path / "c.pdf", "--from", "2026-10-01",
                         "--to", "2026-10-31")
    assert code == 0 and err == "" and "张建国" in out and "8.5 小时" in out and str(tmp_path / "c.pdf") in out
    assert "消防知识宣传" in pdf("pdftotext", "-layout", str(tmp_path / "c.pdf"), "-")
    code, out, err = run(capsys, "--db", db_path, "print", "certificate", "no-such-id", tmp_path / "x.pdf")
    assert code == 1 and out == "" and err.count("\n") == 1 and "no-such-id" in err
    for argv in (["--from", "2026-13-01"], ["--to", "yesterday"], ["--from", "2026-11-02", "--to", "2026-11-01"]):
        code, out, err = run(capsys, "--db", db_path, "print", "certificate", vid, tmp_path / "y.pdf", *argv)
        assert code == 2 and "usage" in err, argv
    code, out, err = run(capsys, "--db", db_path, "print", "certificate", vid, tmp_path / "nowhere" / "z.pdf")
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_the_demo_keeps_the_hours_rule(db_path):
    from redstation.services import demo
    from redstation.services.session import Actor, Session
    with Session.open(db_path, Actor.command_line()) as session:
        demo.generate(session, 120, 3)
        for item in vs.activity_list(session.conn):
            starts, ends = datetime.fromisoformat(item["starts_at"]), datetime.fromisoformat(item["ends_at"])
            assert item["hours"] == vs.default_hours(starts, ends), item["title"]
            for row in vs.activity_view(session.conn, item["id"])["attendance"]:
                assert row["hours"] * 2 == int(row["hours"] * 2) and (row["attended"] or row["hours"] == 0)
        listed = vs.volunteer_list(session.conn, active=None)
        assert sum(v["hours"] for v in listed) == sum(a["total_hours"] for a in vs.activity_list(session.conn)) > 0
        assert all(any(v["id"] == t["leader_id"] for v in listed) for t in vs.team_list(session.conn))
