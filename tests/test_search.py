"""Search-as-you-type over residents: what a front-desk user types and expects to see."""

import json
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redstation.cli import main
from redstation.domain import idnumber, pinyin
from redstation.services import search, station
from redstation.services.session import Actor, Session
from redstation.store import db, records
from redstation.store import search as index

ID_ENDING_X = idnumber.make("370102", date(1980, 5, 17), 34, "M")      # 37010219800517069X
ID_ENDING_123 = idnumber.make("370102", date(1980, 5, 17), 61, "M")    # 370102198005171238


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    return session


def add(session, *people, estate="阳光花园", building="3", unit="1", room="304", phone=""):
    """One household with these residents (a name, or a dict of resident columns); returns their ids."""
    with session.write("test.add", "households") as change:
        household = change.insert("households", estate=estate, building=building, unit=unit, room=room, phone=phone)
        return [change.insert("residents", household_id=household, **({"name": p} if isinstance(p, str) else p))
                for p in people]


def names(session, query, limit=20):
    return [r["name"] for r in search.search(session, query, limit)]


def household_of(session, resident_id):
    return session.conn.execute("SELECT household_id FROM residents WHERE id = ?", (resident_id,)).fetchone()[0]


# ---- pinyin keys ---------------------------------------------------------------------------------

def test_every_reading_of_a_polyphonic_character_is_kept():
    assert set(pinyin.readings("长")) == {"zhang", "chang"}
    assert set(pinyin.readings("曾")) == {"zeng", "ceng"}
    assert {"shan", "dan"} <= set(pinyin.readings("单")) and {"xie", "jie"} <= set(pinyin.readings("解"))
    assert {"lu", "lv"} <= set(pinyin.readings("吕"))
    assert pinyin.readings("A") == ("a",) and pinyin.readings("·") == ()


def test_spellings_cover_every_reading_and_stay_capped():
    keys = pinyin.spellings("张长锁")
    assert {"zhangchangsuo", "zhangzhangsuo", "zcs", "zzs"} <= set(keys)
    many = pinyin.spellings("朴查仇区单解长曾明重" * 3)
    assert len(many) <= 2 * pinyin.MAX_SPELLINGS
    # the most common readings are always among them
    assert "".join(pinyin.readings(c)[0] for c in "朴查仇区单解长曾明重" * 3) in many


@pytest.mark.parametrize("name, parts", [("张长锁", ("张", "长锁")), ("欧阳明", ("欧阳", "明")), ("司马光", ("司马", "光")),
                                         ("欧阳", ("欧", "阳")), ("王", ("王", ""))])
def test_compound_surnames(name, parts):
    assert pinyin.split_name(name) == parts


@pytest.mark.parametrize("written, key", [("3号楼", "3"), ("6栋", "6"), ("６幢", "6"), ("12#", "12"), ("A座", "a"),
                                          ("1单元", "1"), ("304室", "304"), ("３０４", "304"), ("2-101", "2-101"), ("", "")])
def test_building_unit_and_room_are_normalised(written, key):
    assert index.address_key(written) == key


def test_query_terms_are_classified():
    assert index.parse("  张长锁  zcs 5678 ZHĀNG 123X ３－３０４ 3号楼1单元304室 ") == [
        index.Term("name", "张长锁"), index.Term("pinyin", "zcs"), index.Term("digits", "5678"), index.Term("pinyin", "zhang"),
        index.Term("digits", "123x"), index.Term("room", "3-304"), index.Term("room", "3-1-304")]
    assert index.parse("xi'an 张·三 zhang-san li si 3-304 wu") == [
        index.Term("pinyin", "xian"), index.Term("name", "张三"), index.Term("pinyin", "zhangsanlisi"),
        index.Term("room", "3-304"), index.Term("pinyin", "wu")]
    assert index.parse("   ") == index.parse("") == index.parse(None) == index.parse("·，") == []


# ---- names -----------------------------------------------------------------------------------------

def test_one_and_two_character_chinese_queries_find_the_right_people(desk):
    add(desk, "张长锁", "赵长锁", "张伟", "王五", "长孙无忌")
    assert set(names(desk, "张")) == {"张长锁", "张伟"}
    assert set(names(desk, "长锁")) == {"张长锁", "赵长锁"}
    assert set(names(desk, "伟")) == {"张伟"}
    assert names(desk, "张长锁") == ["张长锁"]
    assert names(desk, "李") == [] and names(desk, "锁长") == []


def test_best_match_first_exact_then_starting_then_containing(desk):
    add(desk, "王李明", "李明华", "李明")
    assert names(desk, "李明") == ["李明", "李明华", "王李明"]


def test_an_estate_name_is_a_lower_tier(desk):
    add(desk, "王五", estate="阳光花园")
    add(desk, "李阳光", estate="和谐家园")
    assert names(desk, "阳光") == ["李阳光", "王五"]
    assert names(desk, "阳光花园") == ["王五"]


def test_limit(desk):
    add(desk, *["张{n}".format(n=n) for n in "一二三四五六七八九十"])
    assert len(names(desk, "张", limit=4)) == 4 and len(names(desk, "张", limit=50)) == 10


# ---- pinyin ----------------------------------------------------------------------------------------

def test_pinyin_initials_over_every_reading(desk):
    add(desk, "张长锁", "曾小明", "王五")
    assert names(desk, "zcs") == ["张长锁"] and names(desk, "zzs") == ["张长锁"]
    assert names(desk, "zxm") == ["曾小明"] and names(desk, "cxm") == ["曾小明"]
    assert names(desk, "ZCS") == ["张长锁"]
    assert names(desk, "wzs") == []


@pytest.mark.parametrize("typed", ["zhangchangsuo", "zhang", "zhangch", "zhangchangs", "changsuo", "cs", "zhāngchángsuǒ",
                                   "zhang chang suo", "Zhang Changsuo", "z c s"])
def test_full_pinyin_and_what_is_typed_on_the_way(desk, typed):
    add(desk, "张长锁", "王五")
    assert names(desk, typed) == ["张长锁"]


@pytest.mark.parametrize("typed", ["shanxiongxin", "danxiongxin", "sxx", "dxx", "xiejin", "jiejin", "xj", "jj", "lvli", "luli"])
def test_polyphonic_surnames_dan_xie_and_lv(desk, typed):
    add(desk, "单雄信", "解缙", "吕丽")
    found = names(desk, typed)
    assert len(found) == 1 and found[0][0] in "单解吕"


def test_compound_surname_and_given_name_alone(desk):
    add(desk, "欧阳明", "司马光", "王阳明")
    assert names(desk, "oym") == ["欧阳明"] and names(desk, "ouyangming") == ["欧阳明"]
    assert names(desk, "smg") == ["司马光"] and names(desk, "guang") == ["司马光"]
    # the given name of 欧阳明 is 明, of 王阳明 it is 阳明: the whole name first, then the given names
    assert names(desk, "ming") == ["欧阳明"] and names(desk, "yangming") == ["王阳明"]
    assert names(desk, "欧阳") == ["欧阳明"]


def test_whole_name_before_given_name(desk):
    add(desk, "张长锁", "陈帅")
    assert names(desk, "cs") == ["陈帅", "张长锁"]


# ---- numbers -----------------------------------------------------------------------------------------

def test_phone_tail_any_length_and_the_whole_number(desk):
    add(desk, {"name": "张三", "phone": "13812345678"}, {"name": "李四", "phone": "13900005679"})
    add(desk, "王五", phone="13712340000")   # the household's phone
    assert names(desk, "5678") == ["张三"] and names(desk, "8") == ["张三"] and names(desk, "45678") == ["张三"]
    assert names(desk, "13812345678") == ["张三"] and names(desk, "0000") == ["王五"]
    assert names(desk, "1234") == []
    for written in ("138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "(+86)13812345678"):
        assert names(desk, written) == ["张三"], written


def test_id_number_tail_with_x(desk):
    add(desk, {"name": "张三", "id_number": ID_ENDING_X}, {"name": "李四", "id_number": ID_ENDING_123})
    assert names(desk, "069X") == ["张三"] and names(desk, "069x") == ["张三"] and names(desk, "9X") == ["张三"]
    assert names(desk, ID_ENDING_X) == ["张三"] and names(desk, ID_ENDING_X.lower()) == ["张三"]
    assert names(desk, "1238") == ["李四"]


def test_the_whole_number_before_tails(desk):
    add(desk, {"name": "后", "phone": "13800001111"})
    add(desk, {"name": "先", "phone": "1111"})
    assert names(desk, "1111") == ["先", "后"]


# ---- rooms -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["3-304", "3-1-304", "3-30", "3-1-3", "３－３０４", "3号楼304", "3号楼1单元304室", "3栋304"])
def test_building_room_however_written(desk, typed):
    add(desk, "张三", building="3号楼", unit="1单元", room="304室")
    add(desk, "李四", building="3", unit="1", room="404")
    add(desk, "王五", building="13", unit="2", room="304")
    assert names(desk, typed) == ["张三"]


def test_building_with_dong_and_full_width_digits(desk):
    add(desk, "张三", building="6栋", unit="", room="３０２")
    assert names(desk, "6-302") == ["张三"] and names(desk, "6-3") == ["张三"] and names(desk, "302") == ["张三"]
    assert names(desk, "6-1-302") == []


# ---- several terms -------------------------------------------------------------------------------------

def test_several_terms_must_all_match(desk):
    add(desk, "张三", "李四", building="3", room="304")
    add(desk, "张伟", building="5", room="501")
    add(desk, "张飞", estate="和谐家园", building="3", room="304")
    assert sorted(names(desk, "张 3-304")) == ["张三", "张飞"]
    assert names(desk, "张 阳光花园 3-304") == ["张三"]
    assert sorted(names(desk, "阳光花园 304")) == ["张三", "李四"]
    assert names(desk, "zs 3-304") == ["张三"]
    assert names(desk, "张 9-999") == []


@pytest.mark.parametrize("typed", ["阳光花园3-1-304", "阳光花园304", "阳光花园3号楼1单元304室", "阳光花园 3-304"])
def test_an_estate_written_straight_before_the_room(desk, typed):
    add(desk, "张三", building="3", room="304")
    add(desk, "张飞", estate="和谐家园", building="3", room="304")
    add(desk, "李四", building="3", room="305")
    assert names(desk, typed) == ["张三"]


@pytest.mark.parametrize("typed", ["0531-88886666", "0531 88886666", "053188886666", "(0531)88886666"])
def test_a_landline_typed_as_a_clerk_writes_it(desk, typed):
    add(desk, {"name": "王淑珍", "phone": "0531-88886666"})
    add(desk, {"name": "李四", "phone": "0531-88886667"})
    assert names(desk, typed) == ["王淑珍"]


# ---- status and deletion --------------------------------------------------------------------------------

def test_moved_out_and_deceased_come_after_the_living(desk):
    add(desk, {"name": "张三", "status": "deceased"}, {"name": "张三", "status": "moved_out"}, "张三丰", "张三")
    found = [(r["name"], r["status"]) for r in search.search(desk, "张三")]
    assert found[:2] == [("张三", "active"), ("张三丰", "active")]
    assert sorted(found[2:]) == [("张三", "deceased"), ("张三", "moved_out")]


def test_deleted_residents_and_households_are_never_found(desk):
    gone, kept = add(desk, "张三", "张四")
    with desk.write("test.delete") as change:
        change.delete("residents", gone)
    assert names(desk, "张") == ["张四"]
    with desk.write("test.delete") as change:
        change.delete("households", household_of(desk, kept))
    assert names(desk, "张") == [] and names(desk, "3-304") == []


# ---- the index follows every change ---------------------------------------------------------------------

def test_edits_show_at_the_next_search(desk):
    (resident,) = add(desk, {"name": "张三", "phone": "13812345678"})
    household = household_of(desk, resident)
    with desk.write("test.edit") as change:
        change.update("residents", resident, name="李四", phone="13900001111")
    assert names(desk, "张三") == [] and names(desk, "5678") == []
    assert names(desk, "李四") == ["李四"] and names(desk, "ls") == ["李四"] and names(desk, "1111") == ["李四"]
    with desk.write("test.move") as change:
        change.update("households", household, estate="和谐家园", building="5", unit="2", room="601")
    assert names(desk, "3-304") == [] and names(desk, "阳光花园") == []
    assert names(desk, "5-2-601") == ["李四"] and names(desk, "和谐家园 5-601") == ["李四"]
    with desk.write("test.status") as change:
        change.update("residents", resident, status="moved_out")
    assert [r["status"] for r in search.search(desk, "李四")] == ["moved_out"]


def test_a_resident_moved_to_another_household(desk):
    (resident,) = add(desk, "张三", building="3", room="304")
    (other,) = add(desk, "李四", building="8", room="808")
    with desk.write("test.move") as change:
        change.update("residents", resident, household_id=household_of(desk, other))
    assert sorted(names(desk, "8-808")) == ["张三", "李四"] and names(desk, "3-304") == []


def test_the_queue_is_empty_after_every_write(desk):
    (resident,) = add(desk, "张三")
    assert not index.pending(desk.conn)
    with desk.write("test.edit") as change:
        change.update("residents", resident, name="张三丰")
        assert index.pending(desk.conn)   # queued by the trigger, drained when the write ends
    assert not index.pending(desk.conn)
    assert desk.conn.execute("SELECT count(*) FROM search_keys").fetchone()[0] == 1


def test_a_failed_write_leaves_the_index_as_it_was(desk):
    add(desk, "张三")
    with pytest.raises(ZeroDivisionError):
        with desk.write("test.fail") as change:
            add_id = change.insert("households", estate="阳光花园", building="1", room="101")
            change.insert("residents", household_id=add_id, name="李四")
            1 / 0
    assert names(desk, "李四") == [] and names(desk, "张三") == ["张三"] and not index.pending(desk.conn)


def test_rows_written_without_a_session_are_indexed_at_the_next_open(desk, db_path):
    add(desk, "张三")
    raw = sqlite3.connect(db_path)   # as a sync import or a repair by hand would write
    household = raw.execute("SELECT id FROM households").fetchone()[0]
    raw.execute("INSERT INTO residents (id, version, origin, created_at, household_id, name) VALUES (?, 'v', 'o', 'now', ?, ?)",
                (records.new_id(), household, "李四"))
    raw.execute("UPDATE residents SET name = '张三丰' WHERE name = '张三'")
    raw.commit()
    raw.close()
    with Session.open(db_path, Actor.command_line()) as again:
        assert not index.pending(again.conn)
        assert names(again, "李四") == ["李四"] and names(again, "张三") == ["张三丰"]


def test_an_existing_register_without_an_index_is_indexed_on_open(tmp_path):
    """A database of schema 1 (before search) with residents: migration 2 queues them, opening indexes them."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(db.migrations()[0][1])
    conn.execute("PRAGMA user_version = 1")
    conn.execute("PRAGMA application_id = {app}".format(app=db.APPLICATION_ID))
    stamp = {"version": "v", "origin": "o", "deleted": 0, "created_at": "2026-01-01T00:00:00"}
    records.insert(conn, "households", dict(stamp, id="h1", estate="阳光花园", building="3号楼", unit="1单元", room="304"))
    records.insert(conn, "residents", dict(stamp, id="r1", household_id="h1", name="曾小明", phone="13812345678"))
    records.insert(conn, "residents", dict(stamp, id="r2", household_id="h1", name="李四", deleted=1))
    conn.close()
    with Session.open(path, Actor.command_line()) as session:
        assert db.schema_version(session.conn) == db.SCHEMA_VERSION and not index.pending(session.conn)
        for typed in ("曾", "小明", "cxm", "zxm", "zengxiaoming", "5678", "3-1-304"):
            assert [r["id"] for r in search.search(session, typed)] == ["r1"], typed
        assert names(session, "李四") == []


def test_the_index_survives_vacuum(desk):
    ids = add(desk, "张三", "李四", "王五")
    with desk.write("test.delete") as change:
        change.delete("residents", ids[0])
    desk.conn.execute("VACUUM")
    assert names(desk, "李四") == ["李四"] and names(desk, "ww") == ["王五"] and names(desk, "张三") == []
    with desk.write("test.edit") as change:
        change.update("residents", ids[1], name="李四海")
    assert names(desk, "李四") == ["李四海"]


# ---- property: everyone is found by their own name and initials ---------------------------------------

SURNAMES = ["张", "王", "曾", "单", "解", "吕", "欧阳", "司马", "长孙", "区", "朴"]
GIVEN = "长锁小明伟丽华重行乐强"
person_names = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES), st.text(GIVEN, min_size=1, max_size=3))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(person_names, min_size=1, max_size=12))
def test_everyone_is_found_by_their_own_name_and_initials(people):
    with tempfile.TemporaryDirectory() as folder:
        with Session.open(Path(folder) / "p.db", Actor.command_line()) as session:
            station.init_station(session, "站", "社区")
            ids = add(session, *people)
            for resident, name in zip(ids, people):
                by_name = search.search(session, name, limit=len(people))
                assert resident in [r["id"] for r in by_name]
                assert by_name[0]["name"] == name  # an exact name comes first
                for initials in [k for k in pinyin.spellings(name) if len(k) == len(name)]:
                    assert resident in [r["id"] for r in search.search(session, initials, limit=len(people))], initials


# ---- command line ---------------------------------------------------------------------------------------

def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def register_db(desk, db_path):
    add(desk, {"name": "张长锁", "phone": "13812345678", "id_number": ID_ENDING_X, "gender": "M"}, "张伟",
        {"name": "张长", "status": "deceased"})
    add(desk, "王五", building="6栋", room="502")
    desk.close()
    return db_path


def test_cli_search_json(capsys, register_db):
    code, out, err = run(capsys, "--db", register_db, "search", "zcs", "--json")
    assert code == 0 and err == ""
    results = json.loads(out)["results"]
    assert [r["name"] for r in results] == ["张长锁"]
    first = results[0]
    assert first["id"] and first["address"] == "阳光花园 3-1-304" and first["household_id"]
    assert first["phone"] == "138****5678" and first["id_number"] == "370102********069X"
    assert first["status"] == "active" and first["gender"] == "M"


def test_cli_search_best_first_and_limit(capsys, register_db):
    code, out, _ = run(capsys, "--db", register_db, "search", "张长", "--json")
    assert code == 0 and [r["name"] for r in json.loads(out)["results"]] == ["张长锁", "张长"]
    code, out, _ = run(capsys, "--db", register_db, "search", "张", "--limit", "1", "--json")
    assert code == 0 and len(json.loads(out)["results"]) == 1
    code, out, _ = run(capsys, "--db", register_db, "search", "nobody", "--json")
    assert code == 0 and json.loads(out) == {"results": []}


def test_cli_search_as_a_table_in_chinese(capsys, register_db):
    code, out, _ = run(capsys, "--db", register_db, "search", "6-502")
    lines = out.splitlines()
    assert code == 0 and lines[0].split("\t") == ["id", "姓名", "性别", "出生日期", "地址", "电话", "身份证号", "状态"]
    assert len(lines) == 2 and lines[1].split("\t")[1] == "王五" and lines[1].endswith("在住")
    code, out, _ = run(capsys, "--db", register_db, "search", "张长")
    assert "已故" in out.splitlines()[-1] and "13812345678" not in out
    code, out, _ = run(capsys, "--db", register_db, "search", "李")
    assert code == 0 and "没有" in out


@pytest.mark.parametrize("argv", [["search"], ["search", ""], ["search", "   "], ["search", "，。"], ["search", "张", "--limit", "0"],
                                  ["search", "张", "--limit", "x"], ["search", "张", "--nope"]])
def test_cli_search_usage_errors_exit_2(capsys, register_db, argv):
    code, out, err = run(capsys, "--db", register_db, *argv)
    assert code == 2 and out == "" and "usage" in err


def test_cli_search_on_a_missing_database_exits_1(capsys, tmp_path):
    missing = tmp_path / "missing.db"
    code, out, err = run(capsys, "--db", missing, "search", "张")
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1 and not missing.exists()
