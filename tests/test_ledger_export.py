"""Exporting the ledgers, read back with python-calamine: sheets, masking, formula safety, the round trip."""

import json
import os
import re
import sqlite3
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from hypothesis import given, settings
from hypothesis import strategies as st

from redstation import RedStationError
from redstation.cli import main
from redstation.excel import Cancelled, writing
from redstation.excel.ledger_export import export_ledger
from redstation.excel.ledger_import import import_ledger
from redstation.excel.reading import unquote
from redstation.excel.writing import FORMULA_STARTS, SheetWriter, new_workbook, safe_text
from redstation.services import register, station
from redstation.services.session import Actor, Session

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
MASKED_PHONE = re.compile(r"^\d{3}\*{4}\d{4}$")
SHEETS = ["住户", "居民", "重点户"]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def read(path: Path) -> dict[str, list[list]]:
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def table(rows: list[list]) -> list[dict]:
    """The data rows under the title row (row 1) and the header row (row 2), as dicts by header."""
    return [dict(zip(rows[1], row)) for row in rows[2:]]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    assert main(["--db", str(path), "demo", "--households", "80", "--seed", "5"]) == 0
    return path


@pytest.fixture
def demo_copy(demo_db, tmp_path):
    copy = tmp_path / "copy.db"
    assert main(["--db", str(demo_db), "backup", str(copy)]) == 0
    return copy


@pytest.fixture(scope="module")
def masked_export(demo_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "台账.xlsx"
    assert main(["--db", str(demo_db), "export-ledger", str(out)]) == 0
    return out


def test_three_sheets_with_title_header_and_counts(capsys, demo_db, masked_export):
    sheets = read(masked_export)
    assert list(sheets) == SHEETS
    stats = json.loads(run(capsys, "--db", demo_db, "stats", "--json")[1])
    for name, rows in sheets.items():
        assert "阳光社区红色物业服务站" in rows[0][0] and name in rows[0][0] and "部分隐去" in rows[0][0]
        assert rows[1][0] == "序号" and all(rows[1])
    assert len(sheets["住户"]) - 2 == stats["households"]
    assert len(sheets["居民"]) - 2 == stats["residents"]
    conn = sqlite3.connect(demo_db)
    key = conn.execute("SELECT count(*) FROM residents WHERE deleted = 0 AND care_categories <> '[]' AND status = 'active'").fetchone()[0]
    assert len(sheets["重点户"]) - 2 == key > 0
    assert sheets["居民"][1] == ["序号", "小区", "楼栋", "单元", "房号", "姓名", "性别", "出生日期", "身份证号", "电话", "与户主关系",
                                 "状态", "重点人员类别", "关爱事项", "紧急联系人", "紧急联系电话", "居住类型", "备注"]


def test_id_numbers_and_phones_are_masked_text(demo_db, masked_export):
    sheets = read(masked_export)
    full = {r[0] for r in sqlite3.connect(demo_db).execute("SELECT id_number FROM residents WHERE id_number IS NOT NULL")}
    phones = {r[0] for r in sqlite3.connect(demo_db).execute("SELECT phone FROM residents WHERE phone <> ''")}
    people = table(sheets["居民"])
    assert all(isinstance(p["身份证号"], str) and (p["身份证号"] == "" or MASKED_ID.match(p["身份证号"])) for p in people)
    assert all(isinstance(p["电话"], str) and (p["电话"] == "" or MASKED_PHONE.match(p["电话"])) for p in people)
    contacts = [p["紧急联系电话"] for p in table(sheets["重点户"]) if p["紧急联系电话"]]
    assert contacts and all(MASKED_PHONE.match(n) for c in contacts for n in c.split("、"))
    cells = {str(c) for rows in sheets.values() for row in rows for c in row}
    assert not cells & full and not cells & phones


def test_header_row_is_frozen_below_the_title_and_columns_fit(masked_export):
    book = openpyxl.load_workbook(masked_export)
    for name in SHEETS:
        ws = book[name]
        assert ws.freeze_panes == "A3"
        assert [str(r) for r in ws.merged_cells.ranges][0].startswith("A1:")
    ws = book["居民"]
    widths = {ws.cell(2, c).value: ws.column_dimensions[openpyxl.utils.get_column_letter(c)].width for c in range(1, ws.max_column + 1)}
    assert widths["身份证号"] >= 20 and widths["姓名"] >= 8 and widths["重点人员类别"] >= 10
    assert all(6 <= w <= 62 for w in widths.values())
    with zipfile.ZipFile(masked_export) as archive:
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
    assert 'state="frozen"' in sheet and "<f>" not in sheet  # no formula anywhere


def test_the_export_is_recorded_in_the_audit_log(demo_copy):
    with Session.open(demo_copy, Actor.command_line()) as session:
        export_ledger(session, demo_copy.parent / "a.xlsx")
        export_ledger(session, demo_copy.parent / "b.xlsx", unmasked=True)
        rows = session.conn.execute("SELECT action, detail FROM audit_log ORDER BY seq DESC LIMIT 2").fetchall()
    details = [json.loads(d) for _a, d in rows]
    assert [a for a, _d in rows] == ["ledger.export", "ledger.export"]
    assert [(d["file"], d["masked"]) for d in details] == [("b.xlsx", False), ("a.xlsx", True)]
    assert details[0]["residents"] > 0


def test_only_the_station_manager_may_unmask(demo_copy, capsys):
    with Session.open(demo_copy, Actor(None, "desk1", "desk")) as session:
        with pytest.raises(RedStationError) as refused:
            export_ledger(session, demo_copy.parent / "full.xlsx", unmasked=True)
        assert "站长" in str(refused.value) and not (demo_copy.parent / "full.xlsx").exists()
        export_ledger(session, demo_copy.parent / "masked.xlsx")
    assert (demo_copy.parent / "masked.xlsx").exists()


def test_unmasked_export_imports_into_an_empty_register_as_the_same_residents(demo_db, tmp_path):
    out = tmp_path / "full.xlsx"
    with Session.open(demo_db, Actor.command_line()) as session:
        counts = export_ledger(session, out, unmasked=True)
        before = _residents(session.conn)
    with Session.open(tmp_path / "fresh.db", Actor.command_line()) as fresh:
        station.init_station(fresh, "街道汇总", "阳光社区")
        result = import_ledger(fresh, out)
        assert result.sheet == "居民" and result.rejected == [] and result.imported == counts["residents"]
        assert _residents(fresh.conn) == before


def _residents(conn) -> list[tuple]:
    rows = conn.execute(
        """SELECT r.name, r.id_number, r.gender, r.birth_date, r.phone, r.relation, r.status, r.care_categories, r.care_notes,
                  r.emergency_contacts, r.notes, h.estate, h.building, h.unit, h.room, h.residence_type
           FROM residents r JOIN households h ON h.id = r.household_id WHERE r.deleted = 0""")
    found = [tuple(sorted(json.loads(v)) if k == "care_categories" else v for k, v in zip(row.keys(), row)) for row in rows]
    return sorted(found, key=lambda values: tuple("" if v is None else str(v) for v in values))  # None sorts as empty


def test_reimporting_the_own_export_changes_nothing(demo_copy):
    out = demo_copy.parent / "full.xlsx"
    with Session.open(demo_copy, Actor.command_line()) as session:
        counts = export_ledger(session, out, unmasked=True)
        versions = sorted(map(tuple, session.conn.execute("SELECT id, version FROM residents")))
        result = import_ledger(session, out)
        assert (result.imported, result.updated, result.rejected) == (0, 0, [])
        assert result.unchanged == counts["residents"]
        assert sorted(map(tuple, session.conn.execute("SELECT id, version FROM residents"))) == versions


def test_the_masked_export_is_refused_row_by_row_on_import(demo_db, masked_export, tmp_path):
    with Session.open(tmp_path / "fresh.db", Actor.command_line()) as fresh:
        station.init_station(fresh, "站", "社区")
        result = import_ledger(fresh, masked_export)
    assert result.imported == 0 or all("隐去" in r.reason for r in result.rejected)
    assert any("隐去" in r.reason for r in result.rejected)


# --- formula safety ------------------------------------------------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"点这里\")", "+86 138 0000 0000", "-1+1", "@SUM(A1:A9)", "\t=1+1",
             "\r=cmd|' /C calc'!A0", "\n=2", "'=已经有撇号"]


def test_no_exported_text_starts_like_a_formula_and_it_all_comes_back(tmp_path):
    with Session.open(tmp_path / "s.db", Actor.command_line()) as session:
        station.init_station(session, "=站", "社区")
        household = register.create_household(session, {"estate": "阳光花园", "building": "1", "room": "101", "notes": DANGEROUS[0]})
        for n, text in enumerate(DANGEROUS):
            register.create_resident(session, household, {
                "name": "居民{n}".format(n=n), "notes": text, "care_notes": text, "care_categories": ["elderly_alone"],
                "emergency_contacts": [{"name": "子女{n}".format(n=n), "relation": "-", "phone": "13800000000"}]})
        export_ledger(session, tmp_path / "masked.xlsx")
        export_ledger(session, tmp_path / "full.xlsx", unmasked=True)
        before = _residents(session.conn)
    for out in ("masked.xlsx", "full.xlsx"):
        texts = [c for rows in read(tmp_path / out).values() for row in rows for c in row if isinstance(c, str)]
        assert texts and not [t for t in texts if t.startswith(FORMULA_STARTS)]
        assert "'" + DANGEROUS[0] in texts and "'" + DANGEROUS[-1] in texts
    with Session.open(tmp_path / "fresh.db", Actor.command_line()) as fresh:
        station.init_station(fresh, "站", "社区")
        assert import_ledger(fresh, tmp_path / "full.xlsx").imported == len(DANGEROUS)
        assert _residents(fresh.conn) == before


@given(st.text())
def test_safe_text_never_starts_a_formula_and_is_undone_on_reading(text):
    safe = safe_text(text)
    assert not safe.startswith(FORMULA_STARTS)
    assert unquote(safe) == text


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=30), min_size=1, max_size=20))
def test_any_text_written_is_read_back_by_calamine_as_text(tmp_path_factory, texts):
    path = tmp_path_factory.mktemp("texts") / "t.xlsx"
    book = new_workbook(path)
    writer = SheetWriter(book, "表", ["文本"])
    for text in texts:
        writer.write([text])
    writer.finish()
    book.close()
    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    read_back = [row[0] for row in rows[1:]] + [""] * (len(texts) + 1 - len(rows))
    assert read_back == [safe_text(t) for t in texts]
    assert not [t for t in read_back if isinstance(t, str) and t.startswith(FORMULA_STARTS)]


# --- the rest -------------------------------------------------------------------------------------------------------

def test_a_long_table_continues_on_another_sheet(demo_db, tmp_path, monkeypatch):
    monkeypatch.setattr(writing, "MAX_ROWS", 40)
    with Session.open(demo_db, Actor.command_line()) as session:
        counts = export_ledger(session, tmp_path / "long.xlsx")
    sheets = read(tmp_path / "long.xlsx")
    residents = [name for name in sheets if name.startswith("居民")]
    assert residents[:2] == ["居民", "居民 (2)"]
    assert all(sheets[n][1][0] == "序号" for n in residents)
    assert sum(len(sheets[n]) - 2 for n in residents) == counts["residents"]


def test_cancel_leaves_no_file(demo_db, tmp_path):
    out = tmp_path / "cancelled.xlsx"
    with Session.open(demo_db, Actor.command_line()) as session:
        with pytest.raises(Cancelled):
            export_ledger(session, out, cancelled=lambda: True)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_export_messages_and_errors(capsys, demo_copy, tmp_path):
    code, out, err = run(capsys, "--db", demo_copy, "export-ledger", tmp_path / "x.xlsx", "--unmasked")
    assert code == 0 and "x.xlsx" in out and "隐去" not in out
    code, out, err = run(capsys, "--db", demo_copy, "export-ledger", tmp_path / "no" / "such" / "x.xlsx")
    assert code == 1 and out == "" and err.count("\n") == 1 and "x.xlsx" in err
    code, out, err = run(capsys, "--db", tmp_path / "missing.db", "export-ledger", tmp_path / "y.xlsx")
    assert code == 1 and not (tmp_path / "y.xlsx").exists() and not (tmp_path / "missing.db").exists()


# --- files as the review found them ------------------------------------------------------------------------------

@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_exported_and_rejects_files_are_created_as_the_umask_says(demo_db, tmp_path, umask_022):
    with Session.open(demo_db, Actor.command_line()) as session:
        export_ledger(session, tmp_path / "台账.xlsx")
    assert stat.S_IMODE((tmp_path / "台账.xlsx").stat().st_mode) == 0o644
    ledger = tmp_path / "l.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["姓名", "小区", "楼栋", "房号"])
    book.active.append(["甲", "阳光花园", "1", ""])
    book.save(ledger)
    with Session.open(tmp_path / "fresh.db", Actor.command_line()) as fresh:
        station.init_station(fresh, "站", "社区")
        result = import_ledger(fresh, ledger, rejects=tmp_path / "退回.xlsx")
    assert result.rejects_path == tmp_path / "退回.xlsx" and stat.S_IMODE(result.rejects_path.stat().st_mode) == 0o644


def test_an_unfinished_export_is_named_as_one_and_removed(demo_db, tmp_path):
    seen = set()
    with Session.open(demo_db, Actor.command_line()) as session:
        export_ledger(session, tmp_path / "台账.xlsx", progress=lambda done, total: seen.update(p.name for p in tmp_path.iterdir()))
    partial = [name for name in seen if name != "台账.xlsx"]
    assert partial and all(re.fullmatch(r"\.~redstation-export-.+\.xlsx\.partial", name) for name in partial)
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


def test_cli_export_says_when_it_replaced_a_file(capsys, demo_copy, tmp_path):
    out = tmp_path / "台账.xlsx"
    code, first, _err = run(capsys, "--db", demo_copy, "export-ledger", out)
    code, second, _err = run(capsys, "--db", demo_copy, "export-ledger", out)
    assert code == 0 and "替换" not in first and "已替换" in second


def test_the_own_export_imports_its_residents_sheet_and_says_why_not_the_others(demo_db, masked_export, tmp_path):
    with Session.open(tmp_path / "fresh.db", Actor.command_line()) as fresh:
        station.init_station(fresh, "站", "社区")
        result = import_ledger(fresh, masked_export, dry_run=True)
    assert [s.name for s in result.sheets] == ["居民"]
    assert [name for name, _why in result.skipped_sheets] == ["住户", "重点户"] and "居民" in result.skipped_sheets[1][1]
