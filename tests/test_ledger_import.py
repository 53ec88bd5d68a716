"""Importing Excel ledgers written the way people write them (tests/workbooks.py), through the core and the CLI."""

import hashlib
import json
import sqlite3
import tempfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redstation.cli import main
from redstation.domain import idnumber
from redstation.domain import register as rules
from redstation.excel import Cancelled, LedgerFileError, columns, ledger_import
from redstation.excel.ledger_import import analyse, import_ledger, write_rejects
from redstation.services import register, station
from redstation.services.session import Actor, Session

import workbooks
from workbooks import (MESSY_HEADERS, MESSY_IMPORTED, MESSY_REJECTED, damaged_id, make_id, messy_ledger, simple_ledger,
                       write_book, write_workbook)


@pytest.fixture
def desk(session):
    station.init_station(session, "阳光服务站", "阳光社区")
    return session


@pytest.fixture
def cli_db(db_path, capsys):
    assert main(["--db", str(db_path), "init", "--station-name", "阳光服务站", "--community", "阳光社区"]) == 0
    capsys.readouterr()
    return db_path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def residents(conn):
    return {r["name"]: r for r in conn.execute(
        """SELECT r.*, h.estate, h.building, h.unit, h.room, h.residence_type FROM residents r
           JOIN households h ON h.id = r.household_id WHERE r.deleted = 0""")}


def snapshot(path: Path) -> list[str]:
    """The whole database as SQL, for 'nothing changed' checks."""
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the messy ledger, through the command line --------------------------------------------------------------

def test_messy_ledger_json_rows_columns_and_reasons(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    code, out, err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert set(result) >= {"imported", "updated", "unchanged", "rejected"}  # the contract's keys (more are allowed)
    assert (result["imported"], result["updated"], result["unchanged"]) == (len(MESSY_IMPORTED), 0, 0)
    assert all(set(r) == {"row", "column", "reason", "sheet"} and r["sheet"] == "Sheet1" for r in result["rejected"])
    assert result["changes"] == [] and result["sheets"] == ["Sheet1"] and result["skipped_sheets"] == []
    found = {r["row"]: (r["column"], r["reason"]) for r in result["rejected"]}
    assert sorted(found) == sorted(MESSY_REJECTED)  # blank rows, the footer and the total row are skipped silently
    for row, (column, word) in MESSY_REJECTED.items():
        assert found[row][0] == column, row
        assert word in found[row][1], (row, found[row][1])
    assert "重新录入" in found[7][1] and "3.70102E+17" in found[11][1]


def test_messy_ledger_values_are_normalised_and_grouped(desk, tmp_path):
    result = import_ledger(desk, messy_ledger(tmp_path / "台账.xlsx"))
    assert result.households_added == 2 and result.skipped == 3
    people = residents(desk.conn)
    assert set(people) == set(MESSY_IMPORTED.values())
    zhang, li, wang = people["张建国"], people["李秀英"], people["王淑珍"]
    assert zhang["household_id"] == li["household_id"] != wang["household_id"]
    assert (zhang["estate"], zhang["building"], zhang["unit"], zhang["room"]) == ("阳光花园", "6", "", "301")
    assert (wang["building"], wang["room"], wang["residence_type"]) == ("6", "302", "rented")  # 6号楼 is 6栋
    assert zhang["phone"] == "13812345678" and zhang["birth_date"] == "1949-10-01" and zhang["relation"] == "head"
    assert json.loads(zhang["care_categories"]) == ["elderly_alone", "veteran", "party_member"]
    assert json.loads(zhang["emergency_contacts"]) == [{"name": "张伟", "relation": "儿子", "phone": "13912345678"}]
    assert zhang["care_notes"] == "耳背，使用燃气灶"
    assert li["id_number"] == workbooks.LI and li["relation"] == "spouse" and json.loads(li["care_categories"]) == []
    assert wang["id_number"] == idnumber.parse(workbooks.WANG_15).number and len(wang["id_number"]) == 18
    assert json.loads(wang["care_categories"]) == ["elderly_alone", "aged_80"] and wang["notes"] == "租户登记"


def test_reimporting_the_same_file_changes_nothing(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    run(capsys, "--db", cli_db, "import-ledger", ledger)
    conn = sqlite3.connect(cli_db)
    versions = sorted(conn.execute("SELECT id, version FROM residents UNION ALL SELECT id, version FROM households"))
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["updated"], result["unchanged"]) == (0, 0, len(MESSY_IMPORTED))
    assert sorted(conn.execute("SELECT id, version FROM residents UNION ALL SELECT id, version FROM households")) == versions
    details = [json.loads(d) for (d,) in conn.execute("SELECT detail FROM audit_log WHERE action = 'ledger.import' ORDER BY seq")]
    assert [d["file"] for d in details] == ["台账.xlsx", "台账.xlsx"] and details[1]["unchanged"] == len(MESSY_IMPORTED)


def test_dry_run_leaves_the_database_as_it_was(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    before_stats = run(capsys, "--db", cli_db, "stats", "--json")[1]
    before = snapshot(cli_db)
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--dry-run", "--json")
    assert code == 0 and json.loads(out)["imported"] == len(MESSY_IMPORTED)
    assert run(capsys, "--db", cli_db, "stats", "--json")[1] == before_stats
    assert snapshot(cli_db) == before
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--dry-run")
    assert code == 0 and "试运行" in out and "新增 3 人" in out


def test_dry_run_after_an_import_changes_no_version(desk, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    import_ledger(desk, ledger)
    changed = simple_ledger(tmp_path / "changed.xlsx", [["张建国", workbooks.ZHANG, "", "", "13900000000", "阳光花园", "9", "", "901", "", ""]])
    versions = sorted(map(tuple, desk.conn.execute("SELECT id, version FROM residents")))
    result = import_ledger(desk, changed, dry_run=True)
    assert result.updated == 1 and result.dry_run
    assert sorted(map(tuple, desk.conn.execute("SELECT id, version FROM residents"))) == versions
    assert desk.conn.execute("SELECT count(*) FROM households").fetchone()[0] == 2


def test_the_ledger_file_is_never_modified(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    digest = sha(ledger)
    run(capsys, "--db", cli_db, "import-ledger", ledger, "--dry-run")
    run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", tmp_path / "rejects.xlsx")
    analyse(ledger)
    assert sha(ledger) == digest
    code, _out, err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", ledger)
    assert code == 1 and "台账.xlsx" in err and sha(ledger) == digest


def test_text_summary_in_chinese(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", tmp_path / "退回.xlsx")
    assert code == 0
    assert "新增 3 人" in out and "退回 11 行" in out and "第 7 行，公民身份号码" in out and "退回.xlsx" in out


# --- the rejects workbook ----------------------------------------------------------------------------------------

def test_rejects_workbook_round_trip(capsys, cli_db, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    rejects = tmp_path / "退回.xlsx"
    run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", rejects)
    rows = python_calamine.CalamineWorkbook.from_path(str(rejects)).get_sheet_by_index(0).to_python()
    assert rows[0] == MESSY_HEADERS + ["原行号", "问题"]
    body = rows[1:]
    assert [int(r[-2]) for r in body] == sorted(MESSY_REJECTED)
    by_row = {int(r[-2]): r for r in body}
    id_column = MESSY_HEADERS.index("公民身份号码")
    assert all(isinstance(r[id_column], str) for r in body if int(r[-2]) != 7)   # id numbers are text cells,
    assert format(by_row[7][id_column], ".15g") == format(float(workbooks.ZHANG_WEI), ".15g")  # but one Excel damaged
    # stays the number the clerk saw
    assert by_row[9][id_column] == workbooks.ZHAO_BAD
    assert by_row[9][MESSY_HEADERS.index("小区")] == "阳光花园"            # merged cells filled in
    assert by_row[18][-1].startswith("人员类别：") and "网格长" in by_row[18][-1]

    # The clerk corrects the rows in the rejects workbook and imports it as it is.
    book = openpyxl.load_workbook(rejects)
    ws = book.active
    fixes = {7: {"公民身份号码": workbooks.ZHANG_WEI}, 9: {"公民身份号码": workbooks.ZHAO},
             11: {"公民身份号码": workbooks.SUN}, 12: {"出生日期": "1990/2/28"}, 13: {"联系电话(手机)": "13800000013"},
             14: {"小区": "阳光花园", "楼栋": "9", "房号": "901"}, 16: {"出生日期": "1980-05-05"}, 17: {"性别": "女"},
             18: {"人员类别": "独居老人"}, 19: {"姓名": "钱多"}}
    for r in range(ws.max_row, 1, -1):
        original = int(ws.cell(r, len(MESSY_HEADERS) + 1).value)
        if original == 15:  # the second row of 张建国: the clerk deletes it
            ws.delete_rows(r)
        for header, value in fixes.get(original, {}).items():
            ws.cell(r, MESSY_HEADERS.index(header) + 1).value = value
    book.save(rejects)
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", rejects, "--json")
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["updated"], result["rejected"]) == (len(fixes), 0, [])
    conn = sqlite3.connect(cli_db)
    assert conn.execute("SELECT count(*) FROM residents").fetchone()[0] == len(MESSY_IMPORTED) + len(fixes)
    assert conn.execute("SELECT household_id FROM residents WHERE name = '张伟'").fetchone()[0] == \
        conn.execute("SELECT household_id FROM residents WHERE name = '张建国'").fetchone()[0]


def test_duplicate_of_an_existing_resident_in_a_later_file_updates_instead(desk, tmp_path):
    """Only duplicates within one file are refused; the same id number in a later file is an update."""
    import_ledger(desk, messy_ledger(tmp_path / "a.xlsx"))
    again = simple_ledger(tmp_path / "b.xlsx", [["张建国", workbooks.ZHANG, "", "", "", "阳光花园", "8", "", "101", "", ""]])
    result = import_ledger(desk, again)
    assert (result.updated, result.rejected) == (1, [])
    assert residents(desk.conn)["张建国"]["building"] == "8"


def test_write_rejects_refuses_to_overwrite_the_ledger(desk, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    digest = sha(ledger)
    result = import_ledger(desk, ledger, dry_run=True)
    with pytest.raises(LedgerFileError):
        write_rejects(result, analyse(ledger), ledger)
    assert sha(ledger) == digest


# --- updates and matching ---------------------------------------------------------------------------------------

def test_a_row_with_a_known_id_number_updates_keeps_empty_fields_and_moves(desk, tmp_path):
    number = make_id(date(1950, 2, 3), "F", 40)
    household = register.create_household(desk, {"estate": "阳光花园", "building": "1", "unit": "1", "room": "101"})
    rid = register.create_resident(desk, household, {"name": "刘桂兰", "id_number": number, "phone": "13811112222",
                                                     "care_notes": "腿脚不便", "care_categories": ["disabled"]})
    ledger = simple_ledger(tmp_path / "l.xlsx", [["刘桂兰", number, "", "", "", "阳光花园", "2号楼", "3单元", "502室", "", "空巢老人"]])
    result = import_ledger(desk, ledger)
    assert (result.imported, result.updated, result.unchanged) == (0, 1, 0)
    moved = register.resident(desk.conn, rid)
    assert moved["phone"] == "13811112222" and moved["care_notes"] == "腿脚不便"       # left empty: kept
    assert moved["care_categories"] == ["empty_nest"]                                 # given: replaced
    assert (moved["building"], moved["unit"], moved["room"]) == ("2", "3", "502") and moved["household_id"] != household


def test_a_row_without_id_number_matches_the_same_name_in_the_household(desk, tmp_path):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "1", "room": "101"})
    rid = register.create_resident(desk, household, {"name": "马长顺", "phone": "13811112222"})
    ledger = simple_ledger(tmp_path / "l.xlsx", [["马 长顺", "", "男", "", "13833334444", "阳光花园", "1栋", "", "101", "户主", ""],
                                                 ["马小军", "", "男", "", "", "阳光花园", "1栋", "", "101", "子", ""]])
    result = import_ledger(desk, ledger)
    assert (result.imported, result.updated) == (1, 1)
    assert register.resident(desk.conn, rid)["phone"] == "13833334444"


def test_an_id_number_is_added_to_the_same_name_without_one(desk, tmp_path):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "1", "room": "101"})
    rid = register.create_resident(desk, household, {"name": "马长顺", "birth_date": "1950-01-01", "gender": "F"})
    number = make_id(date(1951, 5, 5), "M", 41)
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["马长顺", number, "", "", "", "阳光花园", "1", "", "101", "", ""]]))
    assert result.updated == 1
    updated = register.resident(desk.conn, rid)
    assert (updated["id_number"], updated["birth_date"], updated["gender"]) == (number, "1951-05-05", "M")


def test_same_name_twice_in_one_household_without_id_numbers_is_a_duplicate(desk, tmp_path):
    ledger = simple_ledger(tmp_path / "l.xlsx", [["马长顺", "", "", "", "", "阳光花园", "1", "", "101", "", ""],
                                                 ["马长顺", "", "", "", "", "阳光花园", "1", "", "101", "", ""]])
    result = import_ledger(desk, ledger)
    assert result.imported == 1 and [(r.row, r.column) for r in result.rejected] == [(3, "姓名")]
    assert "第 2 行" in result.rejected[0].reason


def test_residence_type_political_status_relations_and_status(desk, tmp_path):
    headers = ["姓名", "小区", "楼号", "房间号", "关系", "政治面貌", "房屋性质", "人员状态", "重点人群"]
    rows = [["甲", "阳光花园", "1", "101", "本人", "预备党员", "出租", "在住", "低保户/残疾"],
            ["乙", "阳光花园", "1", "101", "儿媳", "群众", "", "已迁出", "无"],
            ["丙", "阳光花园", "1", "101", "孙女", "", "", "去世", "高龄 退伍军人"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, headers))
    assert result.imported == 3
    people = residents(desk.conn)
    assert (people["甲"]["relation"], json.loads(people["甲"]["care_categories"])) == ("head", ["hardship", "disabled", "party_member"])
    assert people["甲"]["residence_type"] == "rented"
    assert (people["乙"]["relation"], people["乙"]["status"], people["乙"]["care_categories"]) == ("child_in_law", "moved_out", "[]")
    assert (people["丙"]["relation"], people["丙"]["status"]) == ("grandchild", "deceased")
    assert json.loads(people["丙"]["care_categories"]) == ["aged_80", "veteran"]


def test_political_status_adds_and_removes_party_member_on_update(desk, tmp_path):
    headers = ["姓名", "小区", "楼栋", "房号", "人员类别", "政治面貌"]
    import_ledger(desk, simple_ledger(tmp_path / "a.xlsx", [["甲", "阳光花园", "1", "101", "独居老人", "中共党员"]], headers))
    assert json.loads(residents(desk.conn)["甲"]["care_categories"]) == ["elderly_alone", "party_member"]
    result = import_ledger(desk, simple_ledger(tmp_path / "b.xlsx", [["甲", "阳光花园", "1", "101", "", "群众"]], headers))
    assert result.updated == 1 and json.loads(residents(desk.conn)["甲"]["care_categories"]) == ["elderly_alone"]


def test_category_order_alone_is_no_change(desk, tmp_path):
    headers = ["姓名", "小区", "楼栋", "房号", "人员类别"]
    import_ledger(desk, simple_ledger(tmp_path / "a.xlsx", [["甲", "阳光花园", "1", "101", "独居老人、退役军人"]], headers))
    result = import_ledger(desk, simple_ledger(tmp_path / "b.xlsx", [["甲", "阳光花园", "1", "101", "退伍军人，孤寡老人"]], headers))
    assert result.unchanged == 1


# --- cells as spreadsheets store them ----------------------------------------------------------------------------

@pytest.mark.parametrize("birth", ["1949-10-01", "1949.10.1", "1949/10/1", "1949年10月1日", "19491001", "１９４９．１０．０１",
                                   date(1949, 10, 1), datetime(1949, 10, 1), "1949.10", "1949年10月", 194910, 1949.1, 18172,
                                   " 1949-10-01 ", "1949-10-01 00:00:00"])
def test_birth_dates_in_every_format_agree_with_the_id_number(desk, tmp_path, birth):
    number = make_id(date(1949, 10, 1), "M", 50)
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", number, "男", birth, "", "阳光花园", "1", "", "101", "", ""]]))
    assert result.imported == 1, result.rejected


def test_a_year_and_month_without_id_number_is_refused(desk, tmp_path):
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", "", "男", "1949.10", "", "阳光花园", "1", "", "101", "", ""]]))
    assert [(r.column, "出生年月" in r.reason) for r in result.rejected] == [("出生日期", True)]


@pytest.mark.parametrize("birth", [1949, 1949.1, "1949"])
def test_a_year_typed_as_a_number_is_not_read_as_a_day_count(desk, tmp_path, birth):
    """Excel makes 1949 or 1949.10 a number; as a day count it would be a date in 1905."""
    with pytest.raises(rules.FieldError):
        rules.parse_date(birth)
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", "", "男", birth, "", "阳光花园", "1", "", "101", "", ""]]))
    assert [r.column for r in result.rejected] == ["出生日期"]


def test_a_month_cell_on_the_first_agrees_with_the_id_number(desk, tmp_path):
    """A date cell formatted as year-month holds the 1st of the month."""
    number = make_id(date(1949, 10, 17), "M", 51)
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", number, "", date(1949, 10, 1), "", "阳光花园", "1", "", "101", "", ""]]))
    assert result.imported == 1


@pytest.mark.parametrize("cell, imported", [(float(370102194910011234), False), (370102194910011234, False), ("3.70102E+17", False),
                                            ("3.70102e17", False), (370102491001123, True), ("370102491001123", True)])
def test_id_numbers_that_excel_made_numbers(desk, tmp_path, cell, imported):
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", cell, "", "", "", "阳光花园", "1", "", "101", "", ""]]))
    assert result.imported == int(imported)
    if not imported:
        assert "丢失" in result.rejected[0].reason and result.rejected[0].column == "身份证号"


def test_masked_numbers_are_refused_with_a_clear_reason(desk, tmp_path):
    rows = [["甲", "370102********1234", "", "", "", "阳光花园", "1", "", "101", "", ""],
            ["乙", "", "", "", "138****5678", "阳光花园", "1", "", "102", "", ""]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows))
    assert [(r.row, r.column, "隐去" in r.reason) for r in result.rejected] == [(2, "身份证号", True), (3, "联系电话", True)]


def test_numbers_stored_as_numbers_and_full_width_digits(desk, tmp_path):
    number = make_id(date(1980, 1, 1), "F", 52)
    rows = [["  王  丽 ", workbooks.fullwidth(number.lower()), "女", "", 13812345678, "阳光花园", 6.0, 2, 301.0, "", ""]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows))
    assert result.imported == 1
    person = residents(desk.conn)["王丽"]
    assert (person["phone"], person["id_number"], person["building"], person["unit"], person["room"]) == \
        ("13812345678", number, "6", "2", "301")


# --- headers ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("header, field", [
    ("姓名", "name"), ("姓　名", "name"), ("*姓名", "name"), ("姓名\n（必填）", "name"), ("身份证号码", "id_number"),
    ("公民身份号码", "id_number"), ("证件号码", "id_number"), ("出生年月", "birth_date"), ("手机号码", "phone"),
    ("联系电话(手机)", "phone"), ("联系电话（手机）", "phone"), ("联系方式", "phone"), ("所在小区", "estate"),
    ("楼栋号", "building"), ("楼", "building"), ("单元号", "unit"), ("门牌号", "room"), ("室", "room"),
    ("家庭住址", "address"), ("现住址", "address"), ("与户主关系", "relation"), ("重点人员类别", "care_categories"),
    ("特殊人群", "care_categories"), ("居住状态", "residence_type"), ("照护说明", "care_notes"), ("特殊情况", "care_notes"),
    ("紧急联系人", "emergency_contact"), ("紧急联系电话", "emergency_phone"), ("备注", "notes"), ("序号", None),
    ("年龄", None), ("民族", None), ("户籍派出所", None),
    # wordings clerks use that the first version did not know
    ("门牌号码", "room"), ("居民身份证号", "id_number"), ("证件号", "id_number"), ("所属小区", "estate"),
    ("居住小区", "estate"), ("楼栋号码", "building"), ("单元号码", "unit"), ("房间", "room"), ("室号", "room"),
    ("联系电话1", "phone"), ("电话1", "phone"), ("手机1", "phone"), ("联系电话2", "other_phone"), ("电话2", "other_phone"),
    ("手机2", "other_phone"), ("户主姓名", None),  # the head's name is not the resident's: see the head-name test
])
def test_header_wordings(header, field):
    assert columns.header_field(header) == field


def test_header_row_under_title_rows_and_two_row_headers(tmp_path):
    analysis = analyse(messy_ledger(tmp_path / "台账.xlsx"))
    assert analysis.header_row == 4 and analysis.sheet == "Sheet1"
    assert [c.header for c in analysis.columns] == MESSY_HEADERS
    assert analysis.mapping[1] == "name" and analysis.mapping[5] == "estate" and 0 not in analysis.mapping
    assert analysis.data_rows == 17 and analysis.preview[0][1] == " 张建国 " and analysis.preview[1][5] == "阳光花园"
    assert analysis.warnings == []


def test_a_header_without_text_is_named_by_its_column_letter(desk, tmp_path):
    rows = [["姓名", "小区", "楼栋", "房号", ""], ["甲", "阳光花园", "1", "101", "13800001111"]]
    ledger = write_workbook(tmp_path / "l.xlsx", rows)
    analysis = analyse(ledger)
    assert analysis.columns[4].header == "E" and analysis.columns[4].field is None
    result = import_ledger(desk, ledger, mapping={**analysis.mapping, 4: "phone"})
    assert result.imported == 1 and residents(desk.conn)["甲"]["phone"] == "13800001111"


def test_the_mapping_overrides_the_detected_one(desk, tmp_path):
    rows = [["姓名", "身份证号", "小区", "楼栋", "房号", "备注"],
            ["甲", "", "阳光花园", "1", "101", "13800001111"]]
    ledger = write_workbook(tmp_path / "l.xlsx", rows)
    mapping = analyse(ledger).mapping
    assert mapping[5] == "notes"
    mapping[5] = "phone"
    del mapping[1]
    result = import_ledger(desk, ledger, mapping=mapping)
    assert result.imported == 1 and residents(desk.conn)["甲"]["phone"] == "13800001111"
    with pytest.raises(LedgerFileError):
        import_ledger(desk, ledger, mapping={2: "estate"})


def test_an_address_column_is_split_and_its_estate_recognised(desk, tmp_path):
    register.create_household(desk, {"estate": "幸福里", "building": "1", "room": "101"})
    headers = ["姓名", "小区名称", "家庭住址"]
    rows = [["甲", "阳光花园", "阳光花园3号楼2单元301室"], ["乙", "", "幸福里12栋501"], ["丙", "阳光花园", "3-2-302"],
            ["丁", "", "绿城一期5幢1单元101室"], ["戊", "", "阳光花园门口"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, headers))
    people = residents(desk.conn)
    place = lambda n: (people[n]["estate"], people[n]["building"], people[n]["unit"], people[n]["room"])  # noqa: E731
    assert place("甲") == ("阳光花园", "3", "2", "301") and place("丙") == ("阳光花园", "3", "2", "302")
    assert place("乙") == ("幸福里", "12", "", "501") and place("丁") == ("绿城一期", "5", "1", "101")
    assert [(r.row, r.column) for r in result.rejected] == [(6, "家庭住址")]


def test_blank_rows_footers_and_repeated_headers_are_skipped(desk, tmp_path):
    rows = [["姓名", "小区", "楼栋", "房号"], ["甲", "阳光花园", "1", "101"], [], ["姓名", "小区", "楼栋", "房号"],
            ["乙", "阳光花园", "1", "102"], ["合计：2人"], ["填表人：李晓梅"], ["制表日期：2026-11-20"]]
    result = import_ledger(desk, write_workbook(tmp_path / "l.xlsx", rows))
    assert (result.imported, result.rejected, result.skipped) == (2, [], 5)


def test_the_sheet_holding_the_ledger_is_picked(desk, tmp_path):
    path = tmp_path / "two.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active["A1"] = "本表由社区填写"
    data = book.create_sheet("居民")
    for row in (["姓名", "小区", "楼栋", "房号"], ["甲", "阳光花园", "1", "101"]):
        data.append(row)
    book.save(path)
    assert analyse(path).sheet == "居民"
    assert import_ledger(desk, path).imported == 1


# --- refused files ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content", [("text.xlsx", b"hello"), ("empty.xlsx", b""), ("zip.xlsx", b"PK\x03\x04junk"),
                                           ("notes.txt", b"hello"), ("data.csv", "姓名,小区\n甲,阳光花园\n".encode())])
def test_a_file_that_is_not_a_workbook_exits_1_naming_it(capsys, cli_db, tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    before = snapshot(cli_db)
    code, out, err = run(capsys, "--db", cli_db, "import-ledger", path, "--json")
    assert code == 1 and out == "" and err.count("\n") == 1 and name in err and "Traceback" not in err
    assert snapshot(cli_db) == before


@pytest.mark.parametrize("rows", [[["序号", "身份证号", "联系电话"], [1, "x", "y"]], [], [["阳光社区居民台账"]]])
def test_a_workbook_without_a_name_column_exits_1(capsys, cli_db, tmp_path, rows):
    path = write_workbook(tmp_path / "无姓名.xlsx", rows)
    code, out, err = run(capsys, "--db", cli_db, "import-ledger", path)
    assert code == 1 and out == "" and "无姓名.xlsx" in err and "姓名" in err and err.count("\n") == 1


def test_a_missing_file_and_usage_errors(capsys, cli_db, tmp_path):
    code, _out, err = run(capsys, "--db", cli_db, "import-ledger", tmp_path / "nope.xlsx")
    assert code == 1 and "nope.xlsx" in err
    assert run(capsys, "--db", cli_db, "import-ledger")[0] == 2
    assert run(capsys, "--db", cli_db, "import-ledger", "a.xlsx", "--frobnicate")[0] == 2
    assert run(capsys, "--db", cli_db, "export-ledger")[0] == 2


def test_import_into_a_database_without_station_exits_1(capsys, db_path, tmp_path):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    Session.open(db_path, Actor.command_line()).close()
    code, _out, err = run(capsys, "--db", db_path, "import-ledger", ledger)
    assert code == 1 and "init" in err


# --- one transaction ----------------------------------------------------------------------------------------------

def test_a_failure_in_the_middle_leaves_the_database_as_it_was(desk, db_path, tmp_path, monkeypatch):
    import_ledger(desk, simple_ledger(tmp_path / "first.xlsx", [["老住户", "", "", "", "", "阳光花园", "1", "", "101", "", ""]]))
    before = snapshot(db_path)
    calls = []
    original = register.add_resident

    def failing(change, household_id, values):
        calls.append(values["name"])
        if len(calls) == 3:
            raise RuntimeError("disk unplugged")
        return original(change, household_id, values)

    monkeypatch.setattr(register, "add_resident", failing)
    with pytest.raises(RuntimeError):
        import_ledger(desk, messy_ledger(tmp_path / "台账.xlsx"))
    assert len(calls) == 3
    assert snapshot(db_path) == before


def test_cancel_leaves_nothing_and_progress_is_reported(desk, db_path, tmp_path):
    rows = [["甲{n}".format(n=n), "", "", "", "", "阳光花园", str(n // 100 + 1), "", str(101 + n % 100), "", ""] for n in range(700)]
    ledger = simple_ledger(tmp_path / "l.xlsx", rows)
    before = snapshot(db_path)
    seen = []
    with pytest.raises(Cancelled):
        import_ledger(desk, ledger, progress=lambda done, total: seen.append((done, total)), cancelled=lambda: len(seen) >= 2)
    assert snapshot(db_path) == before and seen[0] == (0, 700)
    seen.clear()
    result = import_ledger(desk, ledger, progress=lambda done, total: seen.append((done, total)))
    assert result.imported == 700 and seen[-1] == (700, 700) and len(seen) >= 3


# --- properties ---------------------------------------------------------------------------------------------------

_names = st.text(alphabet="王李张刘陈杨黄赵吴周建国秀英丽华", min_size=2, max_size=3)
_people = st.lists(st.tuples(_names, st.booleans(), st.integers(0, 499), st.sampled_from("MF"),
                             st.dates(date(1930, 1, 1), date(2015, 12, 31)), st.integers(1, 3), st.integers(101, 103),
                             st.sampled_from(["", "独居老人", "空巢老人、残疾人", "80岁以上，低保户"]),
                             st.sampled_from(["", "138 0000 {n:04d}", "０５３１－８８８８{n:04d}"])),
                   min_size=1, max_size=12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=_people)
def test_reimport_is_idempotent(people):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        rows = []
        for n, (name, with_id, seq, sex, birth, building, room, categories, phone_) in enumerate(people):
            number = make_id(birth, sex, seq) if with_id else ""
            rows.append([name, number, "男" if sex == "M" else "女", birth, phone_.format(n=n), "阳光花园", building, "",
                         room, "", categories])
        ledger = simple_ledger(folder / "l.xlsx", rows)
        with Session.open(folder / "s.db", Actor.command_line()) as session:
            station.init_station(session, "站", "社区")
            first = import_ledger(session, ledger)
            versions = sorted(map(tuple, session.conn.execute("SELECT id, version FROM residents")))
            second = import_ledger(session, ledger)
            assert (second.imported, second.updated, second.rejected) == (0, 0, first.rejected)
            assert second.unchanged == first.imported + first.updated + first.unchanged
            assert sorted(map(tuple, session.conn.execute("SELECT id, version FROM residents"))) == versions


def test_the_api_the_window_uses(tmp_path):
    analysis = analyse(messy_ledger(tmp_path / "台账.xlsx"))
    index, header, field = analysis.columns[3]
    assert (index, header, field) == (3, "公民身份号码", "id_number")
    assert set(ledger_import.FIELDS) >= {"name", "id_number", "phone", "estate", "building", "unit", "room", "address"}


# --- what a clerk found using it (review of the first version) ------------------------------------------------------

def read_rejects(path: Path) -> dict[str, list[list]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_a_damaged_id_number_stays_refused_in_the_rejects_workbook(capsys, cli_db, tmp_path):
    """Excel kept 15 digits of the number; written back as 18 digits it would pass the check about once in eleven."""
    real, stored = damaged_id()
    ledger = write_workbook(tmp_path / "l.xlsx", [["姓名", "身份证号", "小区", "楼栋", "房号"], ["钱丽", stored, "阳光花园", "9", "101"],
                                                  ["孙丽", stored + 1e4, "阳光花园", "9", "102"]], formats={"B2": "0"})
    rejects = tmp_path / "退回.xlsx"
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", rejects, "--json")
    reasons = [r["reason"] for r in json.loads(out)["rejected"]]
    shown = format(Decimal("{v:.15g}".format(v=stored)), "f")  # what the cell of format 0 shows: 15 digits, then zeros
    assert code == 0 and shown in reasons[0] and "E+17" not in reasons[0]   # the reason quotes what the clerk sees
    assert "3.70102E+17" in reasons[1]                                       # a General cell shows the E+17 form
    # The rejects workbook keeps each cell as the clerk saw it: the same number in the same number format, so that its
    # cell shows the digits the reason quotes; never text of the damaged digits, which could pass the check.
    cells = [row[1] for row in read_rejects(rejects)["退回的行"][1:]]
    assert cells == [stored, stored + 1e4]
    assert [c.number_format for c in list(openpyxl.load_workbook(rejects).active["B"])[1:]] == ["0", "General"]
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", rejects, "--json")  # imported again as it is
    result = json.loads(out)
    assert result["imported"] == 0 and [r["reason"] for r in result["rejected"]] == reasons


def duplicates_ledger(path: Path) -> Path:
    zhang = workbooks.ZHANG
    return simple_ledger(path, [["张建国", zhang, "", "", "13700007890", "阳光花园", "3", "2", "301", "户主", ""],
                                ["刘洋", "", "", "", "13700007890", "阳光花园", "7", "1", "202", "户主", ""],
                                ["张建国", zhang, "", "", "13700007890", "阳光花园", "6", "1", "101", "户主", ""],
                                ["刘洋", "", "", "", "13700007891", "阳光花园", "7", "1", "202", "子", ""]])


def test_duplicate_rows_say_to_delete_them_and_a_later_import_reports_what_it_changed(capsys, cli_db, tmp_path):
    rejects = tmp_path / "退回.xlsx"
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", duplicates_ledger(tmp_path / "l.xlsx"), "--rejects", rejects,
                          "--json")
    found = {r["row"]: r["reason"] for r in json.loads(out)["rejected"]}
    assert sorted(found) == [4, 5] and all("删除本行" in reason for reason in found.values())
    assert "第 2 行" in found[4] and "第 3 行" in found[5]
    # The clerk imports the rejects workbook without deleting the duplicates: the updates are not silent.
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", rejects, "--json")
    result = json.loads(out)
    assert (result["updated"], result["rejected"]) == (2, [])
    changes = {c["name"]: (c["row"], c["fields"]) for c in result["changes"]}
    assert changes["张建国"] == (2, {"地址": {"old": "阳光花园 3-2-301", "new": "阳光花园 6-1-101"}})
    assert changes["刘洋"][1]["电话"] == {"old": "137****7890", "new": "137****7891"}
    assert changes["刘洋"][1]["与户主关系"] == {"old": "户主", "new": "子女"}
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", duplicates_ledger(tmp_path / "again.xlsx"))
    lines = out.splitlines()
    assert "更新 2 人" in lines[0] and "  第 2 行 张建国：地址：阳光花园 6-1-101 → 阳光花园 3-2-301" in lines
    assert lines.index("  第 2 行 张建国：地址：阳光花园 6-1-101 → 阳光花园 3-2-301") < lines.index("退回的行：")


def test_an_id_number_registered_to_another_name_is_refused(desk, tmp_path):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "3", "unit": "2", "room": "301"})
    rid = register.create_resident(desk, household, {"name": "张建国", "id_number": workbooks.ZHANG})
    before = register.resident(desk.conn, rid)
    rows = [["李四", workbooks.ZHANG, "", "", "", "阳光花园", "6", "1", "101", "", ""],
            ["张  建国", workbooks.ZHANG, "", "", "13800001111", "阳光花园", "3", "2", "301", "", ""]]  # the same name, spaced
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows))
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (2, "身份证号", "该身份证号已登记为 张建国（阳光花园 3-2-301）；如需更正姓名，请在住户页修改")]
    assert result.updated == 1
    after = register.resident(desk.conn, rid)
    assert (after["name"], after["household_id"], after["phone"]) == (before["name"], household, "13800001111")


def test_every_sheet_holding_a_ledger_is_imported_in_one_transaction(capsys, cli_db, tmp_path):
    ledger = workbooks.three_buildings(tmp_path / "花名册.xlsx")
    analysis = analyse(ledger)
    assert analysis.sheet == "1号楼" and [a.sheet for a in analysis.sheets] == ["1号楼", "2号楼", "3号楼"]
    assert [name for name, _why in analysis.skipped_sheets] == ["填表说明", "旧表"]
    rejects = tmp_path / "退回.xlsx"
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json", "--rejects", rejects)
    result = json.loads(out)
    assert code == 0 and result["imported"] == 4 and result["sheets"] == ["1号楼", "2号楼", "3号楼"]
    assert [(r["sheet"], r["row"]) for r in result["rejected"]] == [("2号楼", 4), ("2号楼", 5)]
    assert "工作表 1号楼 第 3 行" in result["rejected"][0]["reason"]   # the same id number, on another sheet
    assert [s["sheet"] for s in result["skipped_sheets"]] == ["填表说明", "旧表"]
    conn = sqlite3.connect(cli_db)
    assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'ledger.import'").fetchone()[0] == 1
    assert list(read_rejects(rejects)) == ["2号楼"] and read_rejects(rejects)["2号楼"][1][:2] == ["序号", "姓名"]
    assert read_rejects(rejects)["2号楼"][0][0] == "阳光花园小区2号楼（退回的行）"  # the estate and building its title gave

    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--dry-run")
    assert "已导入的工作表：1号楼、2号楼、3号楼" in out and "未导入的工作表：填表说明（" in out and "旧表（隐藏的工作表）" in out
    assert "  工作表 2号楼 第 5 行，联系电话：" in out


def test_one_sheet_is_imported_with_sheet(capsys, cli_db, tmp_path):
    ledger = workbooks.three_buildings(tmp_path / "花名册.xlsx")
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--sheet", "3号楼", "--json")
    assert code == 0 and json.loads(out)["imported"] == 1 and json.loads(out)["sheets"] == ["3号楼"]
    assert analyse(ledger, sheet="2号楼").sheet == "2号楼"
    code, out, err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--sheet", "4号楼")
    assert code == 1 and "4号楼" in err


def test_a_mapping_is_for_one_sheet(desk, tmp_path):
    ledger = workbooks.three_buildings(tmp_path / "花名册.xlsx")
    with pytest.raises(ValueError):
        import_ledger(desk, ledger, mapping=analyse(ledger).mapping)
    result = import_ledger(desk, ledger, sheet="1号楼", mapping={**analyse(ledger, sheet="1号楼").mapping, 4: None})
    assert result.imported == 2 and residents(desk.conn)["赵一"]["phone"] == ""


def test_words_clerks_use_and_rejects_name_columns_of_the_file(capsys, cli_db, tmp_path):
    headers = ["序号", "姓名", "居民身份证号", "所属小区", "楼栋号码", "单元号码", "门牌号码", "联系电话1", "联系电话2", "户籍派出所"]
    rows = [[1, "周一", make_id(date(1950, 2, 2), "M", 70), "阳光花园", "8", "1", "101", "13900000001", "13900000002", "历下"],
            [2, "吴二", "", "阳光花园", "8", "1", "", "13900000003", "", ""]]
    ledger = simple_ledger(tmp_path / "l.xlsx", rows, headers)
    assert analyse(ledger).warnings == ["以下各列的表头无法识别，不会导入：J 列（户籍派出所）（在窗口中导入时可以为这些列选择对应的字段）"]
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    result = json.loads(out)
    assert result["imported"] == 1 and [(r["row"], r["column"]) for r in result["rejected"]] == [(3, "门牌号码")]
    assert all(r["column"] in headers for r in result["rejected"])
    person = sqlite3.connect(cli_db).execute("SELECT phone, notes FROM residents WHERE name = '周一'").fetchone()
    assert person == ("13900000001", "其他电话：13900000002")
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger)
    assert "注意：以下各列的表头无法识别，不会导入：J 列（户籍派出所）" in out


def test_the_heads_name_column_is_the_name_only_when_there_is_no_name_column(desk, tmp_path):
    heads = simple_ledger(tmp_path / "heads.xlsx", [["张三", "阳光花园", "1", "101"]], ["户主姓名", "小区", "楼栋", "房号"])
    analysis = analyse(heads)
    assert analysis.mapping[0] == "name" and any("户主姓名" in w for w in analysis.warnings)
    assert import_ledger(desk, heads).imported == 1 and residents(desk.conn)["张三"]["relation"] == "head"
    both = simple_ledger(tmp_path / "both.xlsx", [["张三", "李四", "阳光花园", "1", "101", "配偶"]],
                         ["户主姓名", "姓名", "小区", "楼栋", "房号", "与户主关系"])
    assert analyse(both).mapping == {1: "name", 2: "estate", 3: "building", 4: "room", 5: "relation"}
    assert import_ledger(desk, both).imported == 1 and residents(desk.conn)["李四"]["relation"] == "spouse"


def test_rejects_that_cannot_be_written_leave_the_database_unchanged(capsys, cli_db, tmp_path, monkeypatch):
    ledger = messy_ledger(tmp_path / "台账.xlsx")
    before = snapshot(cli_db)
    if Path("/proc/self").is_dir():
        code, out, err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", "/proc/x.xlsx")
        assert code == 1 and out == "" and "x.xlsx" in err and snapshot(cli_db) == before

    def failing(temporary, out):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(ledger_import.writing, "publish", failing)
    code, out, err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", tmp_path / "退回.xlsx")
    assert code == 1 and out == "" and "退回.xlsx" in err and err.count("\n") == 1
    assert snapshot(cli_db) == before and sorted(p.name for p in tmp_path.iterdir()) == ["station.db", "台账.xlsx"]


def test_no_rejects_workbook_when_no_row_is_rejected(capsys, cli_db, tmp_path):
    ledger = simple_ledger(tmp_path / "l.xlsx", [["甲", "", "", "", "", "阳光花园", "1", "", "101", "", ""]])
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", tmp_path / "退回.xlsx")
    assert code == 0 and "没有退回的行：未写入" in out and not (tmp_path / "退回.xlsx").exists()


@pytest.mark.parametrize("cell, phone, notes", [
    ("13800138002/13900139003", "13800138002", "其他电话：13900139003"),
    ("13800138002 13900139003", "13800138002", "其他电话：13900139003"),
    ("13812345678（女儿）", "13812345678", "电话备注：女儿"),
    ("0531-88886666、13800138002", "0531-88886666", "其他电话：13800138002"),
    ("无", "", ""), ("/", "", ""), ("-", "", ""), ("暂无", "", ""),
    ("88886666", "", "固定电话（未写区号）：88886666"),
])
def test_phone_cells_as_clerks_fill_them_keep_every_number(desk, tmp_path, cell, phone, notes):
    ledger = simple_ledger(tmp_path / "l.xlsx", [["甲", "", "", "", cell, "阳光花园", "1", "", "101", "", ""]])
    result = import_ledger(desk, ledger)
    assert result.imported == 1, result.rejected
    person = residents(desk.conn)["甲"]
    assert (person["phone"], person["notes"]) == (phone, notes)
    assert any("区号" in n and "第 2 行" in n for n in result.notices) == ("区号" in notes)
    assert import_ledger(desk, ledger).unchanged == 1  # the notes are not added twice


def test_a_phone_cell_of_nothing_but_a_wrong_number_is_still_refused_and_none_keeps_the_stored_phone(desk, tmp_path):
    household = register.create_household(desk, {"estate": "阳光花园", "building": "1", "room": "101"})
    rid = register.create_resident(desk, household, {"name": "甲", "phone": "13811112222", "notes": "腿脚不便"})
    rows = [["甲", "", "", "", "无", "阳光花园", "1", "", "101", "", ""], ["乙", "", "", "", "1370000678", "阳光花园", "1", "", "102", "", ""]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows))
    assert result.unchanged == 1 and [(r.row, r.column) for r in result.rejected] == [(3, "联系电话")]
    result = import_ledger(desk, simple_ledger(tmp_path / "m.xlsx", [["甲", "", "", "", "13811112222/13900001111", "阳光花园", "1",
                                                                      "", "101", "", ""]]))
    assert register.resident(desk.conn, rid)["notes"] == "腿脚不便；其他电话：13900001111"  # added to what was there


def test_a_vacant_flat_is_registered_as_a_household_without_residents(capsys, cli_db, tmp_path):
    headers = ["姓名", "小区", "楼栋", "单元", "房号", "居住类型", "备注"]
    ledger = simple_ledger(tmp_path / "l.xlsx", [["", "幸福小区", "2", "1", "101", "空置", "业主在外地"],
                                                 ["秦一", "幸福小区", "2", "1", "102", "自住", ""]], headers)
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    result = json.loads(out)
    assert (result["imported"], result["households_added"], result["rejected"]) == (1, 2, [])
    conn = sqlite3.connect(cli_db)
    assert conn.execute("SELECT residence_type, notes FROM households WHERE room = '101'").fetchone() == ("vacant", "业主在外地")
    assert conn.execute("SELECT count(*) FROM residents").fetchone()[0] == 1
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    assert json.loads(out)["households_added"] == 0 and conn.execute("SELECT count(*) FROM households").fetchone()[0] == 2


def test_two_row_header_without_vertical_merges(desk, tmp_path):
    """WPS: 住址 merged across 楼栋, 单元, 房号 in the row below; 序号, 姓名 … only in the upper row."""
    rows = [["阳光花园居民花名册"], ["序号", "姓名", "身份证号", "小区", "住址", "", "", "联系电话"],
            ["", "", "", "", "楼栋", "单元", "房号", ""],
            [1, "严一", make_id(date(1950, 1, 1), "M", 80), "阳光花园", "3栋", "2单元", "301", "13800000001"]]
    ledger = write_workbook(tmp_path / "l.xlsx", rows, merges=("A1:H1", "E2:G2"))
    analysis = analyse(ledger)
    assert analysis.header_row == 3 and [c.header for c in analysis.columns][:7] == ["序号", "姓名", "身份证号", "小区", "楼栋", "单元", "房号"]
    assert [c.field for c in analysis.columns][4:7] == ["building", "unit", "room"]
    assert import_ledger(desk, ledger).imported == 1
    person = residents(desk.conn)["严一"]
    assert (person["building"], person["unit"], person["room"]) == ("3", "2", "301")


def test_an_address_merged_across_columns_without_sub_headers_is_read_together(desk, tmp_path):
    rows = [["姓名", "住址", "", ""], ["甲", "阳光花园", "3栋", "301"]]
    result = import_ledger(desk, write_workbook(tmp_path / "l.xlsx", rows, merges=("B1:D1",)))
    assert result.imported == 1 and residents(desk.conn)["甲"]["room"] == "301"


def test_a_registered_estate_is_found_anywhere_in_an_address(desk, tmp_path):
    register.create_household(desk, {"estate": "阳光花园", "building": "1", "room": "101"})
    register.create_household(desk, {"estate": "花园", "building": "1", "room": "101"})
    rows = [["甲", "", "阳光花园小区3号楼2单元302室"], ["乙", "", "山东省济南市历下区阳光花园3号楼2单元307室"],
            ["丙", "阳光花园小区", "3-2-308"], ["丁", "", "济南市历下区幸福里5栋101"], ["戊", "", "燕山街道阳光社区绿城一期2栋101"],
            ["己", "", "新城花园3栋101"], ["庚", "", "阳光花园社区3号楼2单元309室"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "小区", "住址"]))
    assert result.rejected == [] and result.imported == len(rows)
    people = residents(desk.conn)
    assert {people[n]["estate"] for n in "甲乙丙庚"} == {"阳光花园"}
    assert (people["丁"]["estate"], people["戊"]["estate"], people["己"]["estate"]) == ("幸福里", "绿城一期", "新城花园")


def test_a_hidden_column_gives_way_to_a_visible_one_of_the_same_field(desk, tmp_path):
    rows = [["姓名", "小区", "楼栋", "房号", "联系电话", "联系电话"], ["甲", "阳光花园", "1", "101", "13911110000", "13822220000"]]
    hidden = write_workbook(tmp_path / "hidden.xlsx", rows, hidden_columns=("E",))
    analysis = analyse(hidden)
    assert analysis.mapping.get(4) is None and analysis.mapping[5] == "phone"
    assert any("隐藏" in w and "E 列" in w for w in analysis.warnings)
    import_ledger(desk, hidden)
    assert (residents(desk.conn)["甲"]["phone"], residents(desk.conn)["甲"]["notes"]) == ("13822220000", "")
    shown = write_workbook(tmp_path / "shown.xlsx", [rows[0], ["乙", "阳光花园", "1", "102", "13911110000", "13822220000"]])
    assert any("E 列（联系电话）、F 列（联系电话）" in w for w in analyse(shown).warnings)
    import_ledger(desk, shown)
    assert (residents(desk.conn)["乙"]["phone"], residents(desk.conn)["乙"]["notes"]) == ("13911110000", "其他电话：13822220000")


def test_a_damaged_file_is_refused_in_chinese_with_the_details_in_the_log(capsys, cli_db, tmp_path, redstation_home):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04junk")
    code, _out, err = run(capsys, "--db", cli_db, "import-ledger", path)
    assert code == 1 and "已损坏" in err and "坏.xlsx" in err and "Zip" not in err and "EOCD" not in err
    assert "坏.xlsx" in (redstation_home / "logs" / "ledger-files.log").read_text(encoding="utf-8")


def test_a_header_with_a_line_break_is_named_without_it(desk, tmp_path):
    rows = [["姓名", "小区", "楼栋", "房号", "与户主\n关系"], ["甲", "阳光花园", "1", "101", "表哥"]]
    result = import_ledger(desk, write_workbook(tmp_path / "l.xlsx", rows))
    assert [(r.column, r.row) for r in result.rejected] == [("与户主关系", 2)]


# --- ledgers as a tester found them in the wild -------------------------------------------------------------------

def households(conn) -> set[tuple]:
    return {tuple(r) for r in conn.execute("SELECT estate, building, unit, room FROM households WHERE deleted = 0")}


def test_the_sheet_name_and_title_give_estate_and_building_where_the_sheet_has_no_column(desk, tmp_path):
    """One sheet per building (1号楼, 2号楼 …) under a title 阳光花园1号楼居民花名册, no 楼栋 column, or no 小区 either:
    every row used to be rejected for its missing building or estate."""
    def sheet(n: int, with_estate: bool) -> list[list]:
        headers = ["序号", "姓名", "身份证号", "单元", "房号"] + (["小区"] if with_estate else [])
        first = [1, "甲{n}".format(n=n), make_id(date(1960, 1, n), "M", 90), "1", "101"] + (["阳光花园"] if with_estate else [])
        return [["阳光花园{n}号楼居民花名册".format(n=n)], headers, first,
                [2, "乙{n}".format(n=n), make_id(date(1961, 1, n), "F", 91), "", ""] + ([""] if with_estate else [])]
    ledger = write_book(tmp_path / "花名册.xlsx", {"1号楼": sheet(1, True), "2号楼": sheet(2, False),
                                                   "幸福小区3栋": [["姓名", "房号"], ["丙3", "2-301"]]},
                        merges={"1号楼": ("A1:F1", "D3:D4", "E3:E4", "F3:F4"), "2号楼": ("A1:E1", "D3:D4", "E3:E4")})
    analysis = analyse(ledger)
    warnings = [w for a in analysis.sheets for w in a.warnings]
    assert any("按 1 号楼导入" in w and "工作表名“1号楼”" in w for w in warnings)
    assert any("未写小区的行按 阳光花园 导入" in w and "标题行“阳光花园2号楼居民花名册”" in w for w in warnings)
    result = import_ledger(desk, ledger)
    assert (result.imported, result.rejected) == (5, [])
    assert households(desk.conn) == {("阳光花园", "1", "1", "101"), ("阳光花园", "2", "1", "101"), ("幸福小区", "3", "2", "301")}
    assert residents(desk.conn)["乙2"]["household_id"] == residents(desk.conn)["甲2"]["household_id"]


def test_a_ledger_that_names_no_estate_uses_a_sensible_one_and_says_so(desk, tmp_path):
    headers = ["姓名", "身份证号", "住址"]
    rows = [["林一", make_id(date(1970, 1, 1), "M", 1), "3号楼2单元301"], ["林二", make_id(date(1970, 1, 1), "M", 2), "3-2-302"]]
    ledger = simple_ledger(tmp_path / "l.xlsx", rows, headers)
    result = import_ledger(desk, ledger, dry_run=True)  # an empty register: the station's community
    assert (result.imported, result.rejected) == (2, [])
    assert result.notices == ["第 2、3 行未写小区，已按 阳光社区（本站所在社区）导入；如不对，请在导入时指定小区（命令行 --estate，"
                               "窗口中“表中没有小区时使用”）"]
    register.create_household(desk, {"estate": "阳光花园", "building": "1", "room": "101"})
    result = import_ledger(desk, ledger)  # the register's only estate
    assert households(desk.conn) >= {("阳光花园", "3", "2", "301"), ("阳光花园", "3", "2", "302")}
    assert "阳光花园（本站登记的唯一小区）" in result.notices[0]
    register.create_household(desk, {"estate": "幸福里", "building": "1", "room": "101"})
    rows = [["林三", make_id(date(1970, 1, 1), "M", 3), "3号楼2单元303"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "m.xlsx", rows, headers))  # two estates: no guess
    assert result.imported == 0 and result.notices == []
    assert [(r.column, "--estate" in r.reason) for r in result.rejected] == [("住址", True)]


def test_the_user_names_the_estate_and_building_of_rows_that_give_none(capsys, cli_db, tmp_path):
    register_two = [["姓名", "小区", "楼栋", "房号"], ["甲", "阳光花园", "1", "101"], ["乙", "幸福里", "1", "101"]]
    run(capsys, "--db", cli_db, "import-ledger", write_workbook(tmp_path / "a.xlsx", register_two))
    ledger = write_workbook(tmp_path / "b.xlsx", [["姓名", "小区", "房号"], ["丙", "", "2-201"], ["丁", "幸福里", "202"]])
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
    assert [r["row"] for r in json.loads(out)["rejected"]] == [2, 3]   # no estate for 丙, no building for either
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--estate", "阳光花园小区5号楼", "--json")
    result = json.loads(out)
    assert code == 0 and (result["imported"], result["rejected"]) == (2, [])
    assert not any("小区" in w for w in result["warnings"])   # the user named it: nothing to warn about
    conn = sqlite3.connect(cli_db)
    assert sorted(conn.execute("SELECT r.name, h.estate, h.building, h.unit, h.room FROM residents r JOIN households h "
                               "ON h.id = r.household_id WHERE r.name IN ('丙', '丁')")) == [
        ("丁", "幸福里", "5", "", "202"), ("丙", "阳光花园", "5", "2", "201")]   # a 小区 cell wins over --estate
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", "--help")
    assert "--estate" in out


def test_an_estate_with_or_without_xiaoqu_is_one_estate_in_any_row_order(desk, tmp_path):
    ids = [make_id(date(1970, 1, 1), "M", n) for n in range(1, 6)]
    rows = [["甲", ids[0], "阳光花园小区", "6", "1-101"], ["乙", ids[1], "阳光花园", "6", "1-102"],
            ["丙", ids[2], " 阳光花园 小区", "6号楼", "1单元103"]]
    import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "身份证号", "小区", "楼栋", "门牌号"]))
    assert {e for e, _b, _u, _r in households(desk.conn)} == {"阳光花园小区"}      # spelled as first met
    headers = ["户主姓名", "身份证号码", "家庭住址"]
    rows = [["丁", ids[3], "阳光花园小区3号楼2单元301室"], ["戊", ids[4], "阳光花园3-2-302"]]
    import_ledger(desk, simple_ledger(tmp_path / "m.xlsx", rows, headers))
    assert {e for e, _b, _u, _r in households(desk.conn)} == {"阳光花园小区"}
    assert rules.estate_key("幸福小区") == rules.estate_key("幸福") == "幸福" and rules.estate_key("乙小区") == "乙小区"
    assert rules.estate("花园小区") == "花园小区"                                   # nobody's estate is renamed


def test_the_register_keeps_the_spelling_it_met_first_in_forms_and_imports(desk, tmp_path):
    from redstation.services import register
    first = register.create_household(desk, {"estate": "康乐小区", "building": "1", "room": "101"})
    second = register.create_household(desk, {"estate": "康乐", "building": "1", "room": "102"})
    register.edit_household(desk, first, {"phone": "13900001111"})
    import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", [["甲", "康乐", "2", "201"], ["乙", "康乐 小区", "2", "202"]],
                                      ["姓名", "小区", "楼栋", "房号"]))
    assert {e for e, _b, _u, _r in households(desk.conn)} == {"康乐小区"}
    assert register.household(desk.conn, second)["estate"] == "康乐小区"


def test_a_room_cell_naming_the_unit_or_building_is_split_as_the_address_parser_does(desk, tmp_path):
    rows = [["甲", "阳光花园", "6", "", "1-101"], ["乙", "阳光花园", "6", "", "2-301"], ["丙", "阳光花园", "6", "", "1单元103"],
            ["丁", "阳光花园", "6号楼", "", "6-1-105"], ["戊", "阳光花园", "6", "", "308-1"], ["己", "阳光花园", "7", "", "6-1-106"],
            ["庚", "阳光花园", "6", "2", "1-107"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "小区", "楼栋", "单元", "房号"]))
    people = residents(desk.conn)
    place = lambda n: (people[n]["building"], people[n]["unit"], people[n]["room"])  # noqa: E731
    assert [place(n) for n in "甲乙丙丁戊"] == [("6", "1", "101"), ("6", "2", "301"), ("6", "1", "103"), ("6", "1", "105"),
                                             ("6", "", "308-1")]
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (7, "房号", "房号 6-1-106 中的楼栋为 6，与 7 不符"), (8, "房号", "房号 1-107 中的单元为 1，与 2 不符")]
    rows = [["辛", "阳光花园3号楼2单元308-1"], ["壬", "阳光花园3号楼2单元309室（车库）"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "m.xlsx", rows, ["姓名", "家庭住址"]))
    people = residents(desk.conn)
    assert result.rejected == [] and place("辛") == ("3", "2", "308-1") and place("壬") == ("3", "2", "309")


def test_invisible_characters_and_dashes_in_an_id_number_are_dropped(desk, tmp_path):
    numbers = [make_id(date(1960, 1, 1 + n), "M", n) for n in range(6)]
    written = ["\u200b" + numbers[0], numbers[1] + "\u00a0", "\ufeff" + numbers[2], numbers[3][:6] + "\u00ad" + numbers[3][6:],
               "{a}-{b}-{c}".format(a=numbers[4][:6], b=numbers[4][6:14], c=numbers[4][14:]), numbers[5] + "\u200b1"]
    rows = [["甲{n}".format(n=n), w, "阳光花园", "1", "10{n}".format(n=n)] for n, w in enumerate(written)]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "身份证号", "小区", "楼栋", "房号"]))
    assert result.imported == 5
    assert {p["id_number"] for p in residents(desk.conn).values()} == set(numbers[:5])
    assert [(r.row, r.reason) for r in result.rejected] == [(7, "身份证号应为 18 位，这个是 19 位")]  # 19 visible digits
    assert rules.clean_name("\u200b张三\ufeff") == "张三"


def test_the_dots_in_a_name_are_the_middle_dot(desk, tmp_path):
    number = make_id(date(1980, 1, 1), "M", 30, region="650102")
    headers = ["姓名", "身份证号", "小区", "楼栋", "房号"]
    import_ledger(desk, simple_ledger(tmp_path / "a.xlsx", [["阿卜杜拉·买买提", number, "阳光花园", "8", "101"]], headers))
    for n, dot in enumerate("•・．‧●.\u00b7"):
        result = import_ledger(desk, simple_ledger(tmp_path / "b{n}.xlsx".format(n=n),
                                                   [["阿卜杜拉{dot}买买提".format(dot=dot), number, "阳光花园", "8", "101"]], headers))
        assert (result.unchanged, result.rejected) == (1, []), dot
    assert list(residents(desk.conn)) == ["阿卜杜拉·买买提"]


def test_a_vacant_flat_counts_the_same_on_every_import(capsys, cli_db, tmp_path):
    rows = [["邱一", make_id(date(1970, 4, 1), "M", 81), "阳光花园", "13", "101", "自住"], ["", "", "阳光花园", "13", "102", "空置"]]
    ledger = simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "身份证号", "小区", "楼栋", "房号", "居住类型"])
    counts = []
    for _n in range(2):
        code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--json")
        r = json.loads(out)
        counts.append((r["imported"], r["updated"], r["unchanged"], r["households_alone"]))
    assert counts == [(1, 0, 0, 1), (0, 0, 1, 1)]   # the flat is never counted as a resident
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger)
    assert "未变 1 人" in out and "无人员的住户行（如空置房）：1 行" in out


def test_footers_typed_into_the_data_columns_are_skipped(desk, tmp_path):
    rows = [["序号", "姓名", "身份证号", "联系电话", "小区", "楼栋", "房号"],
            [1, "田一", make_id(date(1970, 1, 1), "M", 1), "13700000001", "阳光花园", "9", "101"],
            ["", "小计", "", "1人"], ["", "合计", "3人"], ["", "以下空白"], ["", "填表人：李四 审核人：王五"],
            ["", "", "制表：", ""], ["", "注：身份证号以文本录入"], ["", "", "", "填报：13700000099"]]
    result = import_ledger(desk, write_workbook(tmp_path / "l.xlsx", rows))
    assert (result.imported, result.rejected, result.skipped) == (1, [], 7)


def test_phone_cells_as_clerks_write_them(desk, tmp_path):
    phones = ["电话：13811112222", "手机13800138008", "13800138013.0", "021-6234-5678", "8888-6666", "手机：13800138009，座机：0531-88886669"]
    rows = [["测{n}".format(n=n), make_id(date(1980, 1, 1), "M", n), p, "阳光花园", "9", str(101 + n)] for n, p in enumerate(phones)]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "身份证号", "联系电话", "小区", "楼栋", "房号"]))
    assert result.rejected == [] and result.imported == len(phones)
    people = residents(desk.conn)
    assert [(people["测{n}".format(n=n)]["phone"], people["测{n}".format(n=n)]["notes"]) for n in range(len(phones))] == [
        ("13811112222", ""), ("13800138008", ""), ("13800138013", ""), ("021-62345678", ""),
        ("", "固定电话（未写区号）：88886666"), ("13800138009", "其他电话：0531-88886669")]
    assert any("第 6 行" in w and "88886666" in w for w in result.warnings)
    assert rules.clean_phone("0531-8888-6666") == "0531-88886666"


def test_the_rejects_workbook_keeps_what_the_clerk_typed(capsys, cli_db, tmp_path):
    """A formula Excel never calculated keeps its text; an id number Excel damaged shows the digits the reason quotes."""
    _real, stored = damaged_id()
    rows = [["姓名", "身份证号", "联系电话", "小区", "楼栋", "房号"], ["甲", "", '="13900001120"', "阳光花园", "9", "101"],
            ["乙", stored, "13900001121", "阳光花园", "9", "102"]]
    ledger = write_workbook(tmp_path / "l.xlsx", rows, formats={"B3": "0"})
    rejects = tmp_path / "退回.xlsx"
    rejects.write_bytes(b"an older file")
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", ledger, "--rejects", rejects)
    assert code == 0 and "已替换该位置原有的文件" in out
    shown = format(Decimal("{v:.15g}".format(v=stored)), "f")
    assert "第 3 行，身份证号：Excel 已把这个身份证号存成数字，末尾几位已经丢失（{shown}）".format(shown=shown) in out
    book = openpyxl.load_workbook(rejects)
    cells = {c.coordinate: c for row in book.active.iter_rows() for c in row}
    assert cells["C2"].value == '\'="13900001120"'                       # the formula as typed (made safe)
    assert (cells["B3"].value, cells["B3"].number_format) == (stored, "0")  # shows 3701…000, as the reason says
    code, out, _err = run(capsys, "--db", cli_db, "import-ledger", tmp_path / "l.xlsx", "--rejects", rejects, "--dry-run")
    assert "已替换该位置原有的文件" in out


def test_a_remark_in_brackets_is_kept_as_a_note_not_refused(desk, tmp_path):
    rows = [["甲", "阳光花园", "3", "309室（车库）", "自住"], ["乙", "阳光花园", "3", "310", "出租（群租）"],
            ["", "阳光花园", "3", "311", "出租(群租)"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "小区", "楼栋", "房号", "居住类型"]))
    assert (result.imported, result.rejected, result.households_alone) == (2, [], 1)
    found = {tuple(r) for r in desk.conn.execute("SELECT room, residence_type, notes FROM households")}
    assert found == {("309", "owner", "车库"), ("310", "rented", "群租"), ("311", "rented", "群租")}
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "小区", "楼栋", "房号", "居住类型"]))
    assert (result.unchanged, result.changes) == (2, [])   # the note is added once


def test_a_field_far_too_long_rejects_its_row_and_the_form_too(desk, tmp_path):
    from redstation.services import register
    rows = [["张" * 5000, "阳光花园", "1", "101"], ["李四", "阳光花园", "1", "102"], ["王五", "阳光花园", "1" * 30, "103"]]
    result = import_ledger(desk, simple_ledger(tmp_path / "l.xlsx", rows, ["姓名", "小区", "楼栋", "房号"]))
    assert result.imported == 1
    assert [(r.row, r.column, r.reason) for r in result.rejected] == [
        (2, "姓名", "姓名过长：5000 个字符，最多 60 个"), (4, "楼栋", "楼栋过长：30 个字符，最多 20 个")]
    household = register.create_household(desk, {"estate": "阳光花园", "building": "2", "room": "201"})
    with pytest.raises(rules.FieldError, match="备注过长"):
        register.create_resident(desk, household, {"name": "赵六", "notes": "很" * 2001})
