"""The register's rules and services: what a clerk types, what is stored, what is refused."""

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redstation import RedStationError
from redstation.domain import idnumber
from redstation.domain import register as rules
from redstation.services import register, station

ID_MALE_1949 = idnumber.make("370102", date(1949, 10, 1), 12, "M")


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    return session


def audit_actions(session):
    return [r[0] for r in session.conn.execute("SELECT action FROM audit_log ORDER BY seq")]


@pytest.mark.parametrize("written, expected", [
    ("6栋", "6"), ("6号楼", "6"), ("６幢", "6"), ("6#", "6"), ("第六栋", "6"), ("十二号楼", "12"), ("A座", "A"), (" 6 ", "6"),
    (6.0, "6"),
])
def test_buildings_written_any_way_are_one_building(written, expected):
    assert rules.building(written) == expected


@pytest.mark.parametrize("written, expected", [("2单元", "2"), ("二单元", "2"), ("2", "2"), ("", "")])
def test_units(written, expected):
    assert rules.unit(written) == expected


@pytest.mark.parametrize("written, expected", [("301室", "301"), ("301号", "301"), ("３０１", "301")])
def test_rooms(written, expected):
    assert rules.room(written) == expected


@pytest.mark.parametrize("room, floor", [("301", 3), ("1203", 12), ("5", None), ("A01", None)])
def test_floor_from_the_room_number(room, floor):
    assert rules.floor(room) == floor


@pytest.mark.parametrize("written, expected", [
    ("3号楼2单元301室", ("3", "2", "301")), ("3-2-301", ("3", "2", "301")), ("3栋301", ("3", "", "301")),
    ("３－２－３０１", ("3", "2", "301")), ("幸福路12号", None),
])
def test_split_address(written, expected):
    assert rules.split_address(written) == expected


@pytest.mark.parametrize("written", ["1949-10-01", "1949.10.1", "1949/10/1", "1949年10月1日", "19491001", "１９４９．１０．１",
                                     date(1949, 10, 1), 18172])
def test_dates_as_people_write_them(written):
    assert rules.parse_date(written) == date(1949, 10, 1)


@pytest.mark.parametrize("written", ["1949-13-01", "1949.2.30", "十月一日", "49-10-1"])
def test_impossible_dates_say_so(written):
    with pytest.raises(rules.FieldError, match="不是日期") as caught:
        rules.parse_date(written)
    assert caught.value.field == "birth_date"


@pytest.mark.parametrize("written, expected", [
    ("138 1234 5678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("0531-88881234", "0531-88881234"),
    ("010 88881234", "010-88881234"), ("（0531）88881234", "0531-88881234"),
])
def test_phones(written, expected):
    assert rules.clean_phone(written) == expected


def test_a_resident_takes_birth_date_and_sex_from_the_id_number():
    cleaned = rules.clean_resident({"name": "张  三", "id_number": ID_MALE_1949.lower().replace("x", "x")})
    assert cleaned["name"] == "张三"
    assert (cleaned["birth_date"], cleaned["gender"]) == ("1949-10-01", "M")


def test_a_legacy_15_digit_number_is_upgraded():
    legacy = ID_MALE_1949[:6] + ID_MALE_1949[8:17]
    assert rules.clean_resident({"name": "张三", "id_number": legacy})["id_number"] == ID_MALE_1949


@pytest.mark.parametrize("typed, field, says", [
    ({"birth_date": "1950-10-01"}, "birth_date", "与身份证号"),
    ({"gender": "F"}, "gender", "身份证号"),
    ({"id_number": ID_MALE_1949[:-1] + ("0" if ID_MALE_1949[-1] != "0" else "1")}, "id_number", "校验"),
    ({"name": "  "}, "name", "不能为空"),
    ({"phone": "12345"}, "phone", "不是电话号码"),
    ({"care_categories": ["astronaut"]}, "care_categories", "astronaut"),
    ({"emergency_contacts": [{"name": "张小明", "phone": ""}]}, "emergency_contacts", "联系人"),
])
def test_a_resident_with_a_wrong_field_names_the_field(typed, field, says):
    values = {"name": "张三", "id_number": ID_MALE_1949, **typed}
    with pytest.raises(rules.FieldError, match=says) as caught:
        rules.clean_resident(values)
    assert caught.value.field == field


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 499), st.sampled_from("MF"))
def test_clean_resident_is_idempotent(birth, seq, sex):
    once = rules.clean_resident({"name": "李 四", "id_number": idnumber.make("110101", birth, seq, sex), "phone": "+86 139 0000 1111"})
    assert rules.clean_resident(once) == once


# --- services ----------------------------------------------------------------------------------------------

def new_household(session, **values):
    return register.create_household(session, {"estate": "阳光花园", "building": "3号楼", "unit": "2单元", "room": "301室", **values})


def test_household_is_stored_normalised_with_its_floor(desk):
    household_id = new_household(desk)
    row = register.household(desk.conn, household_id)
    assert (row["building"], row["unit"], row["room"], row["floor"]) == ("3", "2", "301", 3)
    assert register.address_text(row) == "阳光花园 3-2-301"


def test_the_same_address_cannot_be_registered_twice(desk):
    new_household(desk)
    with pytest.raises(rules.FieldError, match="已登记"):
        new_household(desk, building="3", unit="2", room="301")
    assert desk.conn.execute("SELECT count(*) FROM households").fetchone()[0] == 1


def test_resident_create_edit_and_remove_are_audited(desk):
    household_id = new_household(desk)
    resident_id = register.create_resident(desk, household_id, {
        "name": "张三", "id_number": ID_MALE_1949, "care_categories": ["elderly_alone"], "care_notes": "耳背，说话要大声",
        "emergency_contacts": [{"name": "张小明", "relation": "儿子", "phone": "13900001111"}]})
    row = register.resident(desk.conn, resident_id)
    assert row["care_categories"] == ["elderly_alone"] and row["emergency_contacts"][0]["phone"] == "13900001111"
    assert row["care_notes"] == "耳背，说话要大声"  # free text keeps its Chinese punctuation
    version = row["version"]
    assert register.edit_resident(desk, resident_id, {"phone": "138 1234 5678"}, expected_version=version) == ["phone"]
    assert register.resident(desk.conn, resident_id)["version"] > version
    register.remove_resident(desk, resident_id)
    assert register.resident(desk.conn, resident_id) is None
    assert desk.conn.execute("SELECT deleted FROM residents WHERE id = ?", (resident_id,)).fetchone()[0] == 1
    assert audit_actions(desk)[-4:] == ["household.create", "resident.create", "resident.update", "resident.delete"]
    detail = json.loads(desk.conn.execute("SELECT detail FROM audit_log WHERE action = 'resident.update'").fetchone()[0])
    assert detail == {"fields": ["phone"]}


def test_an_edit_that_changes_nothing_keeps_the_version(desk):
    resident_id = register.create_resident(desk, new_household(desk), {"name": "张三", "id_number": ID_MALE_1949})
    version = register.resident(desk.conn, resident_id)["version"]
    assert register.edit_resident(desk, resident_id, {"name": "张 三"}) == []
    assert register.resident(desk.conn, resident_id)["version"] == version


def test_an_edit_of_a_record_changed_meanwhile_is_refused(desk):
    resident_id = register.create_resident(desk, new_household(desk), {"name": "张三"})
    seen = register.resident(desk.conn, resident_id)["version"]
    register.edit_resident(desk, resident_id, {"phone": "13812345678"})
    with pytest.raises(RedStationError, match="其他人修改"):
        register.edit_resident(desk, resident_id, {"name": "张四"}, expected_version=seen)
    assert register.resident(desk.conn, resident_id)["name"] == "张三"


def test_an_id_number_belongs_to_one_resident(desk):
    household_id = new_household(desk)
    register.create_resident(desk, household_id, {"name": "张三", "id_number": ID_MALE_1949})
    count = desk.conn.execute("SELECT count(*) FROM residents").fetchone()[0]
    with pytest.raises(rules.FieldError, match="张三（阳光花园 3-2-301）"):
        register.create_resident(desk, household_id, {"name": "李四", "id_number": ID_MALE_1949})
    assert desk.conn.execute("SELECT count(*) FROM residents").fetchone()[0] == count


def test_moving_a_resident_to_another_household(desk):
    first, second = new_household(desk), new_household(desk, room="302")
    resident_id = register.create_resident(desk, first, {"name": "张三"})
    assert register.edit_resident(desk, resident_id, {"household_id": second}) == ["household_id"]
    assert register.resident(desk.conn, resident_id)["address"] == "阳光花园 3-2-302"


def test_a_household_with_residents_cannot_be_removed(desk):
    household_id = new_household(desk)
    register.create_resident(desk, household_id, {"name": "张三"})
    with pytest.raises(RedStationError, match="还有 1 名居民"):
        register.remove_household(desk, household_id)
    assert register.household(desk.conn, household_id) is not None


def test_household_view_lists_members_head_first(desk):
    household_id = new_household(desk)
    register.create_resident(desk, household_id, {"name": "张小明", "relation": "child", "birth_date": "1980-01-01"})
    register.create_resident(desk, household_id, {"name": "张三", "relation": "head", "birth_date": "1950-01-01"})
    view = register.household_view(desk.conn, household_id)
    assert [m["name"] for m in view["members"]] == ["张三", "张小明"]
    assert view["visits"] == [] and view["tickets"] == []
