"""Bad input, everywhere: every kind of bad file for import-ledger and import-bundle, through the command line.

Each refusal is exit status 1 with one line in Chinese on stderr that names the file and says
what is wrong, nothing on stdout, no traceback, and the database unchanged to the last byte
of its content (a refusal writes no audit entry either). Bad rows of a good ledger are
rejected one by one with their row and column, the others imported (exit status 0).

Files that used to hurt the process itself (a zip bomb, a sheet of two cells at A1 and
XFD1048576, which made calamine allocate 512 GB and abort) run in a child process with a
memory limit, so a regression fails the test instead of killing the test run.
"""

import errno
import io
import json
import os
import re
import resource
import shutil
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import python_calamine

from redstation.cli import main
from redstation.excel import ledger_import, reading
from redstation.services import exchange, maintenance, register
from redstation.services.session import Actor, Session
from redstation.store import records
from redstation.sync import bundle, hlc

from workbooks import make_id, simple_ledger

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MEMORY_LIMIT = 1536 * 1024 ** 2   # bytes of address space for a child process: an import needs far less


# --- the databases and the bundle every test starts from ------------------------------------------------------------

@pytest.fixture(scope="module")
def templates(tmp_path_factory):
    """A station with a register (the database the imports go into), another station, and that one's full bundle."""
    folder = tmp_path_factory.mktemp("templates")
    assert main(["--db", str(folder / "station.db"), "demo", "--households", "8", "--seed", "2"]) == 0
    assert main(["--db", str(folder / "source.db"), "demo", "--households", "5", "--seed", "3"]) == 0
    assert main(["--db", str(folder / "source.db"), "export-bundle", str(folder / "bundle.xlsx")]) == 0
    return folder


@pytest.fixture
def station(templates, tmp_path):
    db = tmp_path / "station.db"
    shutil.copy(templates / "station.db", db)
    return db


@pytest.fixture
def source(templates, tmp_path):
    db = tmp_path / "source.db"
    shutil.copy(templates / "source.db", db)
    return db


@pytest.fixture
def good_bundle(templates, tmp_path):
    path = tmp_path / "甲站数据包.xlsx"
    shutil.copy(templates / "bundle.xlsx", path)
    return path


def snapshot(db: Path) -> list[str]:
    """The whole database as SQL: every table, the audit log included."""
    conn = sqlite3.connect(db)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def cli(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def cli_process(home: Path, *argv) -> tuple[int, str, str]:
    """The command in a child process that may use at most MEMORY_LIMIT and a minute."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    env = dict(os.environ, REDSTATION_HOME=str(home), RUST_BACKTRACE="0")
    done = subprocess.run([sys.executable, "-m", "redstation", *map(str, argv)], capture_output=True, text=True,
                          env=env, timeout=60, preexec_fn=limit)
    return done.returncode, done.stdout, done.stderr


def assert_refused(outcome: tuple[int, str, str], name: str, *words: str) -> str:
    """Exit 1, nothing on stdout, one line in Chinese naming the file and the words that say what is wrong."""
    code, out, err = outcome
    assert code == 1, (code, out, err)
    assert out == "", out
    assert err.count("\n") == 1 and err.startswith("redstation: "), err
    assert "Traceback" not in err and "内部错误" not in err, err
    assert name in err and CHINESE.search(err.replace(name, "")), err
    for word in words:
        assert word in err, (word, err)
    return err


def ledger(path: Path, rows: list[list] | None = None) -> Path:
    """A small good ledger: without ``rows``, three residents of a new building."""
    rows = rows if rows is not None else [["新住户{n}".format(n=n), "", "", "", "1380000{n:04d}".format(n=n), "阳光花园", "99", "1",
                                            str(101 + n), "", ""] for n in range(3)]
    return simple_ledger(path, rows)


def rewrite(source: Path, target: Path, change=None, add: dict | None = None) -> Path:
    """A copy of the zip archive ``source`` with members changed by ``change(name, data)`` and members added."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            new.writestr(info.filename, change(info.filename, data) if change else data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def raw_zip(target: Path, members: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip archive written by hand: (name, deflated data, CRC-32, size it says it unpacks to) for each member."""
    with open(target, "wb") as file:
        central = b""
        for name, data, crc, size in members:
            offset = file.tell()
            encoded = name.encode()
            file.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0)
                       + encoded + data)
            central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(data), size,
                                   len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        start = file.tell()
        file.write(central)
        file.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0))
    return target


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def zip_bomb(source: Path, target: Path, member: str, gigabytes: float, *, lie: bool = False) -> Path:
    """``source`` with ``member`` padded with spaces (inside its sheetData, or at its end) to unpack to ``gigabytes``.

    The deflate stream repeats one block of a megabyte of spaces: 2 GB cost 2 MB. ``lie``: the
    archive says the member unpacks to its old size (a bomb that hides from a look at the sizes).
    """
    members = []
    with zipfile.ZipFile(source) as archive:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename != member:
                members.append((info.filename, deflated(data), zlib.crc32(data), len(data)))
                continue
            cut = data.find(b"</sheetData>") if b"</sheetData>" in data else len(data)
            head, tail = data[:cut], data[cut:]
            packer = zlib.compressobj(9, zlib.DEFLATED, -15)
            start = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
            pad = b" " * 1024 ** 2
            block = packer.compress(pad) + packer.flush(zlib.Z_FULL_FLUSH)   # history-free: it can be repeated
            end = packer.compress(tail) + packer.flush()
            blocks = int(gigabytes * 1024)
            crc, size = zlib.crc32(data), len(data)
            if not lie:
                crc = zlib.crc32(head)
                for _n in range(blocks):
                    crc = zlib.crc32(pad, crc)
                crc, size = zlib.crc32(tail, crc), len(head) + blocks * len(pad) + len(tail)
            members.append((info.filename, start + block * blocks + end, crc, size))
    return raw_zip(target, members)


def encrypted(source: Path, target: Path, password: str = "口令123") -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(source.read_bytes())).encrypt(password, out)
    target.write_bytes(out.getvalue())
    return target


def with_cells(source: Path, target: Path, sheet_part: str, cells: bytes, *, keep_dimension: bool = True) -> Path:
    """``source`` with a row of raw cell XML added at the end of one sheet's data."""
    def change(name, data):
        if name != sheet_part:
            return data
        if not keep_dimension:
            data = re.sub(rb"<dimension [^>]*/>", b"", data)
        return data.replace(b"</sheetData>", b'<row r="1048576">' + cells + b"</row></sheetData>")
    return rewrite(source, target, change)


# --- files that are no workbook, or no workbook we may read ---------------------------------------------------------

def test_a_truncated_ledger(capsys, station, tmp_path):
    whole = ledger(tmp_path / "whole.xlsx").read_bytes()
    cut = tmp_path / "断了一半的台账.xlsx"
    cut.write_bytes(whole[:len(whole) // 2])
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", cut, "--json"), cut.name, "已损坏")
    assert snapshot(station) == before


def test_random_bytes_named_xlsx(capsys, station, tmp_path):
    path = tmp_path / "乱码.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "已损坏", "不是 Excel 工作簿")
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "不是数据包")
    assert snapshot(station) == before


def test_an_empty_file(capsys, station, tmp_path):
    path = tmp_path / "空的.xlsx"
    path.write_bytes(b"")
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "空文件")
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "空文件")
    assert snapshot(station) == before


def test_a_truncated_bundle(capsys, station, good_bundle, tmp_path):
    cut = tmp_path / "断了的数据包.xlsx"
    data = good_bundle.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", cut, "--trust", "--json"), cut.name, "不是数据包")
    assert snapshot(station) == before


def test_a_password_protected_ledger_says_to_save_it_without_one(capsys, station, tmp_path):
    path = encrypted(ledger(tmp_path / "plain.xlsx"), tmp_path / "加密台账.xlsx")
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "密码保护", "另存为无密码")
    assert snapshot(station) == before


def test_a_password_protected_bundle_without_its_password(capsys, station, source, tmp_path, monkeypatch):
    path = tmp_path / "加密数据包.xlsx"
    monkeypatch.setenv("REDSTATION_BUNDLE_PASSWORD", "口令123")
    assert cli(capsys, "--db", source, "export-bundle", path, "--password")[0] == 0
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "密码保护")
    monkeypatch.setenv("REDSTATION_BUNDLE_PASSWORD", "不对")
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust", "--password"), path.name, "密码不对")
    assert snapshot(station) == before


MACRO_TYPES = (b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
               b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")


def macro_enabled(source: Path, target: Path) -> Path:
    """``source`` as Excel saves a workbook with a VBA project that runs when it opens (.xlsm)."""
    def change(name, data):
        if name == "[Content_Types].xml":
            data = data.replace(*MACRO_TYPES).replace(
                b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
        return data
    project = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"ThisWorkbook\"\r\nSub Workbook_Open()\r\n" \
        b"Shell \"cmd /c del /q C:\\*\"\r\nEnd Sub\r\n" * 20
    return rewrite(source, target, change, add={"xl/vbaProject.bin": project})


def test_a_macro_enabled_ledger_is_read_for_its_values_and_its_macros_never_run(capsys, station, tmp_path):
    """Decision: an .xlsm ledger is imported (clerks save ledgers with macros too); calamine reads only the values of
    the cells, nothing of the VBA project is run or kept, and the import says so."""
    path = macro_enabled(ledger(tmp_path / "plain.xlsx"), tmp_path / "带宏的台账.xlsm")
    written = path.read_bytes()
    code, out, err = cli(capsys, "--db", station, "import-ledger", path, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["imported"] == 3 and result["rejected"] == []
    assert any("宏" in w and "没有运行" in w for w in result["warnings"])
    assert path.read_bytes() == written
    conn = sqlite3.connect(station)
    assert not [row for row in conn.iterdump() if "Workbook_Open" in row or "VB_Name" in row]


def test_a_macro_enabled_bundle_is_refused(capsys, station, good_bundle, tmp_path):
    path = macro_enabled(good_bundle, tmp_path / "带宏的数据包.xlsm")
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "vbaProject.bin", "不应有")
    assert snapshot(station) == before


# --- too large, and zip bombs ----------------------------------------------------------------------------------------

def test_a_ledger_file_over_the_size_limit(capsys, station, tmp_path, monkeypatch):
    path = ledger(tmp_path / "大台账.xlsx")
    monkeypatch.setattr(reading, "MAX_FILE", path.stat().st_size - 1)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "超过台账文件的上限", "拆分")
    assert snapshot(station) == before


def test_a_bundle_over_the_size_limits(capsys, station, good_bundle, monkeypatch):
    before = snapshot(station)
    monkeypatch.setattr(bundle, "MAX_FILE", 64 * 1024)
    assert_refused(cli(capsys, "--db", station, "import-bundle", good_bundle, "--trust"), good_bundle.name,
                   "超过 64 KB", "不是数据包")
    monkeypatch.undo()
    monkeypatch.setattr(bundle, "MAX_UNPACKED", 100 * 1024)
    assert_refused(cli(capsys, "--db", station, "import-bundle", good_bundle, "--trust"), good_bundle.name,
                   "解压后超过 100 KB")
    assert snapshot(station) == before


@pytest.fixture(scope="module")
def bombs(templates, tmp_path_factory):
    """A ledger and a bundle whose first sheet unpacks to 2 GB of spaces (2 MB each), and the same with a part that
    says it is as small as it was."""
    folder = tmp_path_factory.mktemp("bombs")
    plain = ledger(folder / "plain.xlsx")
    made = {"ledger": zip_bomb(plain, folder / "台账炸弹.xlsx", "xl/worksheets/sheet1.xml", 2),
            "ledger-lie": zip_bomb(plain, folder / "假尺寸台账.xlsx", "xl/worksheets/sheet1.xml", 2, lie=True),
            "bundle": zip_bomb(templates / "bundle.xlsx", folder / "数据包炸弹.xlsx", "xl/worksheets/sheet1.xml", 2),
            "bundle-lie": zip_bomb(templates / "bundle.xlsx", folder / "假尺寸数据包.xlsx", "xl/worksheets/sheet1.xml", 2,
                                   lie=True)}
    assert all(path.stat().st_size < 4 * 1024 ** 2 for path in made.values())
    return made


@pytest.mark.parametrize("kind, command, words", [
    ("ledger", "import-ledger", ("压缩炸弹",)), ("ledger-lie", "import-ledger", ("已损坏",)),
    ("bundle", "import-bundle", ("压缩炸弹",)), ("bundle-lie", "import-bundle", ("已损坏",)),
])
def test_a_zip_bomb_is_refused_at_once_without_unpacking_it(bombs, station, redstation_home, kind, command, words):
    """Before the check, calamine unpacked the ledger's 2 GB into memory (7 s, 2.1 GB) and imported it."""
    before = snapshot(station)
    started = time.monotonic()
    outcome = cli_process(redstation_home, "--db", station, command, bombs[kind], "--trust" if command == "import-bundle"
                          else "--dry-run")
    assert time.monotonic() - started < 20
    assert_refused(outcome, bombs[kind].name, *words)
    assert snapshot(station) == before


FAR_CELLS = {
    "r first": b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
    "r second": b'<c t="inlineStr" r="XFD1048576"><is><t>x</t></is></c>',
    "a prefix": b'<x:c xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="XFD1048576" t="n">'
                b'<x:v>1</x:v></x:c>',
}


@pytest.mark.parametrize("written", sorted(FAR_CELLS))
@pytest.mark.parametrize("keep_dimension", [True, False])
def test_a_sheet_reaching_the_last_cell_is_refused_instead_of_aborting(station, tmp_path, redstation_home, written,
                                                                         keep_dimension):
    """Two cells, at A1 and XFD1048576: calamine allocated 16,384 × 1,048,576 cells (512 GB) and aborted the process."""
    path = with_cells(ledger(tmp_path / "plain.xlsx"), tmp_path / "远处有一格.xlsx", "xl/worksheets/sheet1.xml",
                      FAR_CELLS[written], keep_dimension=keep_dimension)
    before = snapshot(station)
    assert_refused(cli_process(redstation_home, "--db", station, "import-ledger", path), path.name,
                   "XFD1048576", "工作表 Sheet1", "请删除台账下方或右侧多余的内容")
    assert snapshot(station) == before


def ods(path: Path, rows: list[list[str]], *, repeat_rows: int = 1, repeat_columns: int = 1) -> Path:
    """An .ods workbook of text cells whose last row is repeated ``repeat_rows`` times and its last cell
    ``repeat_columns`` times, as LibreOffice writes an empty tail (here with a value in it)."""
    def row(cells, last):
        out = "".join('<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'.format(v=v)
                      for v in cells[:-1])
        out += '<table:table-cell office:value-type="string"{rep}><text:p>{v}</text:p></table:table-cell>'.format(
            v=cells[-1], rep=' table:number-columns-repeated="{n}"'.format(n=repeat_columns) if last else "")
        return '<table:table-row{rep}>{cells}</table:table-row>'.format(
            cells=out, rep=' table:number-rows-repeated="{n}"'.format(n=repeat_rows) if last else "")
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
               'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="居民">{rows}</table:table></office:spreadsheet></office:body>'
               '</office:document-content>').format(rows="".join(row(r, n == len(rows) - 1) for n, r in enumerate(rows)))
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.'
                'spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", manifest)
        archive.writestr("content.xml", content)
    return path


def test_an_ods_sheet_repeating_a_cell_over_millions_is_refused(station, tmp_path, redstation_home):
    """One row repeated a million times with a cell repeated 60 times: calamine took 7.7 GB and over a minute."""
    rows = [["姓名", "小区", "楼栋", "房号"], ["欧一", "阳光花园", "98", "101"]]
    path = ods(tmp_path / "重复.ods", rows + [["x"]], repeat_rows=1_000_000, repeat_columns=60)
    before = snapshot(station)
    assert_refused(cli_process(redstation_home, "--db", station, "import-ledger", path), path.name, "工作表 居民",
                   "BH1000002")
    assert snapshot(station) == before
    # LibreOffice's own empty tail (repeated rows and columns with nothing in them) is no reason to refuse
    tail = ods(tmp_path / "正常.ods", rows + [["欧二", "阳光花园", "98", "102"]])
    content = zipfile.ZipFile(tail).read("content.xml").replace(
        b"</table:table>", b'<table:table-row table:number-rows-repeated="1048570"><table:table-cell '
                           b'table:number-columns-repeated="1024"/></table:table-row></table:table>')
    rewrite(tail, tmp_path / "正常2.ods", lambda name, data: content if name == "content.xml" else data)
    code, out, err = cli_process(redstation_home, "--db", station, "import-ledger", tmp_path / "正常2.ods", "--json")
    assert code == 0 and json.loads(out)["imported"] == 2, err


def test_a_bundle_whose_manifest_sheet_reaches_the_last_cell_is_refused(station, good_bundle, tmp_path,
                                                                         redstation_home):
    """The manifest is read before the signature is checked: any file could abort the program there."""
    path = with_cells(good_bundle, tmp_path / "远处有一格的数据包.xlsx", "xl/worksheets/sheet2.xml", FAR_CELLS["r first"])
    before = snapshot(station)
    assert_refused(cli_process(redstation_home, "--db", station, "import-bundle", path, "--trust"), path.name,
                   "XFD1048576", "清单")
    assert snapshot(station) == before


# --- XML entity tricks -----------------------------------------------------------------------------------------------

LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
EXTERNAL = b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def shared_strings_ledger(path: Path) -> Path:
    """A ledger as Excel writes one, its texts in xl/sharedStrings.xml (openpyxl writes them inline)."""
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("居民")
    for r, row in enumerate([["姓名", "小区", "楼栋", "房号", "备注"], ["欧三", "阳光花园", "97", "101", "NOTE"]]):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return path


def with_doctype(source: Path, target: Path, part: str, doctype: bytes, entity: bytes = b"") -> Path:
    def change(name, data):
        if name != part:
            return data
        data = re.sub(rb"^(<\?xml[^>]*\?>)?", lambda m: (m[0] or b"") + doctype, data, count=1)
        return data.replace(b"NOTE", entity) if entity else data
    return rewrite(source, target, change)


@pytest.mark.parametrize("part, doctype, entity", [
    ("xl/sharedStrings.xml", LAUGHS, b"&lol3;"),
    ("xl/sharedStrings.xml", EXTERNAL, b"&xxe;"),
    ("xl/worksheets/sheet1.xml", EXTERNAL, b""),
    ("xl/workbook.xml", LAUGHS, b""),
])
def test_xml_entity_tricks_in_a_ledger(capsys, station, tmp_path, part, doctype, entity):
    path = with_doctype(shared_strings_ledger(tmp_path / "plain.xlsx"), tmp_path / "实体.xlsx", part, doctype, entity)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "文档类型声明", part)
    assert snapshot(station) == before


@pytest.mark.parametrize("part", ["xl/worksheets/sheet2.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_xml_entity_tricks_in_a_bundle(capsys, station, good_bundle, tmp_path, part):
    path = with_doctype(good_bundle, tmp_path / "实体数据包.xlsx", part, LAUGHS)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "文档类型声明", part)
    assert snapshot(station) == before


def test_an_entity_trick_in_an_ods_ledger(capsys, station, tmp_path):
    plain = ods(tmp_path / "plain.ods", [["姓名", "小区", "楼栋", "房号"], ["欧四", "阳光花园", "96", "101"]])
    path = rewrite(plain, tmp_path / "实体.ods", lambda name, data: data.replace(b"?>", b"?>" + LAUGHS, 1)
                   if name == "content.xml" else data)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-ledger", path), path.name, "文档类型声明", "content.xml")
    assert snapshot(station) == before


# --- cells over 32,767 characters ------------------------------------------------------------------------------------

def test_a_cell_over_32767_characters_rejects_its_row(capsys, station, tmp_path):
    """openpyxl and Excel cut such a text; a file written otherwise keeps it, and calamine reads all of it."""
    rows = [["欧五", "", "", "", "", "阳光花园", "95", "1", "101", "", "", "LONG"],
            ["欧六", "", "", "", "", "阳光花园", "95", "1", "102", "", "", "正常备注"]]
    headers = ["姓名", "身份证号", "性别", "出生日期", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "人员类别", "备注"]
    plain = simple_ledger(tmp_path / "plain.xlsx", rows, headers)
    path = rewrite(plain, tmp_path / "超长.xlsx", lambda name, data: data.replace(b"LONG", "长".encode() * 40_000))
    assert len(python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()[1][11]) == 40_000
    rejects = tmp_path / "退回.xlsx"
    code, out, err = cli(capsys, "--db", station, "import-ledger", path, "--json", "--rejects", rejects)
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["imported"] == 1 and [(r["row"], r["column"]) for r in result["rejected"]] == [(2, "备注")]
    assert "40000" in result["rejected"][0]["reason"] and "32767" in result["rejected"][0]["reason"]
    conn = sqlite3.connect(station)
    assert conn.execute("SELECT count(*) FROM residents WHERE name = '欧五'").fetchone()[0] == 0
    assert conn.execute("SELECT max(length(notes)) FROM residents").fetchone()[0] < 32_767
    back = python_calamine.CalamineWorkbook.from_path(str(rejects)).get_sheet_by_index(0).to_python()
    assert back[1][0] == "欧五" and len(back[1][11]) <= 32_767           # the rejects workbook holds what a cell can


def test_a_long_cell_in_a_bundle_is_refused_as_altered(capsys, station, good_bundle, tmp_path):
    def change(name, data):
        if name == "xl/worksheets/sheet8.xml":   # 居民
            return re.sub(rb"(<c r=\"[A-Z]+3\" t=\"inlineStr\"><is><t>)[^<]*", lambda m: m[1] + "长".encode() * 40_000,
                          data, count=1)
        return data
    path = rewrite(good_bundle, tmp_path / "超长数据包.xlsx", change)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "被改动过")
    assert snapshot(station) == before


# --- formulas ----------------------------------------------------------------------------------------------------

def test_texts_that_look_like_formulas_stay_text_and_never_come_back_as_formulas(capsys, station, tmp_path):
    notes = ['=1+1', '=HYPERLINK("http://example.com/x","点我")', "+86 123", "-1", "@SUM(A1:A9)", "'=引号"]
    rows = [["欧七{n}".format(n=n), "", "", "", "", "阳光花园", "94", "1", str(101 + n), "", "", note]
            for n, note in enumerate(notes)]
    headers = ["姓名", "身份证号", "性别", "出生日期", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "人员类别", "备注"]
    path = simple_ledger(tmp_path / "公式样.xlsx", rows, headers)
    book = openpyxl.load_workbook(path)
    for row in book.active.iter_rows(min_row=2, min_col=12, max_col=12):
        row[0].data_type = "s"   # text cells, as Excel keeps what a clerk typed after an apostrophe
    book.save(path)
    code, out, err = cli(capsys, "--db", station, "import-ledger", path, "--json")
    assert code == 0 and json.loads(out)["imported"] == len(notes), (out, err)
    conn = sqlite3.connect(station)
    stored = {name: note for name, note in conn.execute("SELECT name, notes FROM residents WHERE name LIKE '欧七%'")}
    expected = {"欧七{n}".format(n=n): note for n, note in enumerate(notes)}
    expected["欧七5"] = "=引号"   # a leading apostrophe is the formula-safe writers' mark, and dropped (README)
    assert stored == expected

    out_path = tmp_path / "导出.xlsx"
    assert cli(capsys, "--db", station, "export-ledger", out_path, "--unmasked")[0] == 0
    with zipfile.ZipFile(out_path) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)          # no cell of the export is a formula
    exported = openpyxl.load_workbook(out_path)["居民"]
    column = [c.value for c in next(exported.iter_rows(min_row=2, max_row=2))].index("备注") + 1
    cells = {exported.cell(r, column).value for r in range(3, exported.max_row + 1)}
    assert {"'=1+1", "'=HYPERLINK(\"http://example.com/x\",\"点我\")", "'+86 123", "'-1", "'@SUM(A1:A9)", "'=引号"} <= cells
    code, out, _err = cli(capsys, "--db", station, "import-ledger", out_path, "--json")   # and back, unchanged
    assert code == 0 and json.loads(out)["updated"] == 0


def test_formula_cells_give_the_value_excel_calculated_and_never_one_of_ours(capsys, station, tmp_path):
    rows = [["欧八", "", "", "", "", "阳光花园", "93", "1", "101", "", "", "A"],
            ["欧九", "", "", "", "", "阳光花园", "93", "1", "102", "", "", "B"],
            ["欧十", "", "", "", "", "阳光花园", "93", "1", "103", "", "", "C"],
            ["NAME", "", "", "", "", "阳光花园", "93", "1", "104", "", "", ""]]
    headers = ["姓名", "身份证号", "性别", "出生日期", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "人员类别", "备注"]
    plain = simple_ledger(tmp_path / "plain.xlsx", rows, headers)

    def change(name, data):
        if name != "xl/worksheets/sheet1.xml":
            return data
        for old, new in (
                (rb'<c r="L2" t="inlineStr"><is><t>A</t></is></c>', rb'<c r="L2"><f>1+1</f><v>2</v></c>'),
                (rb'<c r="L3" t="inlineStr"><is><t>B</t></is></c>',
                 rb'<c r="L3" t="str"><f>HYPERLINK("http://example.com/x","&#28857;&#25105;")</f><v>&#28857;&#25105;</v></c>'),
                (rb'<c r="L4" t="inlineStr"><is><t>C</t></is></c>', rb'<c r="L4"><f>1+1</f><v /></c>'),
                (rb'<c r="A5" t="inlineStr"><is><t>NAME</t></is></c>', rb'<c r="A5" t="str"><f>"&#27431;"&amp;"&#21313;&#19968;"</f></c>')):
            assert old in data
            data = data.replace(old, new)
        return data
    path = rewrite(plain, tmp_path / "公式.xlsx", change)
    code, out, err = cli(capsys, "--db", station, "import-ledger", path, "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["imported"] == 2
    found = {r["row"]: (r["column"], r["reason"]) for r in result["rejected"]}
    assert sorted(found) == [4, 5]
    assert found[4][0] == "备注" and "=1+1" in found[4][1] and "从未计算" in found[4][1]
    assert found[5][0] == "姓名" and '="欧"&"十一"' in found[5][1]            # a name that is a formula: no blank row
    conn = sqlite3.connect(station)
    stored = dict(conn.execute("SELECT name, notes FROM residents WHERE name IN ('欧八', '欧九', '欧十')"))
    assert stored == {"欧八": "2", "欧九": "点我"}


def test_a_formula_in_a_bundle_is_refused(capsys, station, good_bundle, tmp_path):
    path = rewrite(good_bundle, tmp_path / "有公式的数据包.xlsx", lambda name, data: data.replace(
        b"</sheetData>", b'<row r="40"><c r="A40"><f>HYPERLINK("http://example.com/","x")</f><v>x</v></c></row>'
                         b"</sheetData>") if name == "xl/worksheets/sheet1.xml" else data)
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "公式", "说明")
    assert snapshot(station) == before


# --- dates in the future ------------------------------------------------------------------------------------------

def test_birth_dates_in_the_future_reject_their_rows(capsys, station, tmp_path):
    rows = [["欧十二", "", "", date(2099, 1, 1), "", "阳光花园", "92", "1", "101", "", ""],
            ["欧十三", "", "", "2099-05-05", "", "阳光花园", "92", "1", "102", "", ""],
            ["欧十四", make_id(date(2090, 3, 3), "M", 5), "", "", "", "阳光花园", "92", "1", "103", "", ""],
            ["欧十五", "", "", "1990-05-05", "", "阳光花园", "92", "1", "104", "", ""]]
    code, out, err = cli(capsys, "--db", station, "import-ledger", simple_ledger(tmp_path / "未来.xlsx", rows), "--json")
    assert code == 0 and err == ""
    result = json.loads(out)
    assert result["imported"] == 1
    found = {r["row"]: (r["column"], r["reason"]) for r in result["rejected"]}
    assert found[2][0] == found[3][0] == "出生日期" and "2099-01-01" in found[2][1] and "晚于今天" in found[3][1]
    assert found[4][0] == "身份证号"


def future_source(source: Path, years: int = 30) -> None:
    """The station ``source`` as a PC whose clock runs ``years`` ahead leaves it: a change stamped in the future."""
    with Session.open(source, Actor.command_line()) as session:
        ahead = int((time.time() + years * 365 * 86400) * 1000)
        records.set_setting(session.conn, "hlc_last", hlc.format_version(ahead, 0, session.station_id))
        rid = session.conn.execute("SELECT id FROM residents WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]
        register.edit_resident(session, rid, {"notes": "时钟快了三十年"})


def test_a_bundle_with_changes_from_the_future_is_refused(capsys, station, source, tmp_path):
    """Its versions would carry this station's clock decades ahead, and every later change here would win."""
    future_source(source)
    path = tmp_path / "来自未来.xlsx"
    assert cli(capsys, "--db", source, "export-bundle", path)[0] == 0
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "居民", "晚于本机时钟")
    assert snapshot(station) == before


def test_a_bundle_made_in_the_future_is_refused(capsys, station, source, tmp_path, monkeypatch):
    path = tmp_path / "未来制作.xlsx"
    monkeypatch.setattr(exchange, "_now", lambda: "2099-01-01T08:00:00")
    assert cli(capsys, "--db", source, "export-bundle", path)[0] == 0
    monkeypatch.undo()
    before = snapshot(station)
    assert_refused(cli(capsys, "--db", station, "import-bundle", path, "--trust"), path.name, "2099-01-01 08:00",
                   "晚于本机时钟")
    assert snapshot(station) == before


# --- a full disk ---------------------------------------------------------------------------------------------------

def full(message: str = "database or disk is full") -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error


class FullAtCommit(sqlite3.Connection):
    """A connection whose disk fills up when the import commits: SQLite gives up the transaction and says so."""

    actions = ("ledger.import", "bundle.import")

    def execute(self, sql, *args):
        if sql == "COMMIT" and self.in_transaction:
            last = super().execute("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
            if last is not None and last[0] in self.actions:
                super().execute("ROLLBACK")
                raise full()
        return super().execute(sql, *args)


def fill_disk_at_commit(monkeypatch, db: Path) -> None:
    connect = sqlite3.connect

    def connecting(path, *args, **kwargs):
        if Path(str(path)).resolve() == db.resolve():
            kwargs["factory"] = FullAtCommit
        return connect(path, *args, **kwargs)
    monkeypatch.setattr(sqlite3, "connect", connecting)


def fill_disk_now(monkeypatch, db: Path) -> None:
    """The database may not grow by a page: SQLite itself answers SQLITE_FULL to the first insert that needs one."""
    connect = sqlite3.connect

    def connecting(path, *args, **kwargs):
        conn = connect(path, *args, **kwargs)
        if Path(str(path)).resolve() == db.resolve():
            conn.execute("PRAGMA max_page_count = 1")   # never below the pages it has: it stops growing here
        return conn
    monkeypatch.setattr(sqlite3, "connect", connecting)


def no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def big_ledger(path: Path) -> Path:
    return ledger(path, [["欧满{n}".format(n=n), "", "", "", "", "阳光花园", str(90 - n // 50), "1", str(101 + n % 50), "",
                          "独居老人"] for n in range(300)])


@pytest.mark.parametrize("where", ["inserting", "committing", "backing up"])
def test_a_full_disk_during_a_ledger_import(capsys, station, tmp_path, monkeypatch, where):
    path = big_ledger(tmp_path / "满盘台账.xlsx")
    before = snapshot(station)
    if where == "inserting":
        fill_disk_now(monkeypatch, station)
    elif where == "committing":
        fill_disk_at_commit(monkeypatch, station)
    else:
        monkeypatch.setattr(maintenance, "_copy", no_space)
    outcome = cli(capsys, "--db", station, "import-ledger", path)
    monkeypatch.undo()
    assert_refused(outcome, path.name, "磁盘已满", "未做任何改动")
    assert snapshot(station) == before


def test_a_full_disk_while_writing_the_rejected_rows(capsys, station, tmp_path, monkeypatch):
    import xlsxwriter.workbook
    path = ledger(tmp_path / "台账.xlsx", [["欧满", "", "", "", "12345", "阳光花园", "89", "1", "101", "", ""]])
    before = snapshot(station)
    monkeypatch.setattr(xlsxwriter.workbook.Workbook, "_store_workbook", no_space)
    rejects = tmp_path / "退回.xlsx"
    assert_refused(cli(capsys, "--db", station, "import-ledger", path, "--rejects", rejects), rejects.name, "磁盘已满")
    assert snapshot(station) == before
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".~redstation") or p.name == rejects.name]


@pytest.mark.parametrize("where", ["committing", "backing up"])
def test_a_full_disk_during_a_bundle_import(capsys, station, good_bundle, monkeypatch, where):
    before = snapshot(station)
    if where == "committing":
        fill_disk_at_commit(monkeypatch, station)
    else:
        monkeypatch.setattr(maintenance, "_copy", lambda *args, **kwargs: (_ for _ in ()).throw(full()))
    outcome = cli(capsys, "--db", station, "import-bundle", good_bundle, "--trust")
    monkeypatch.undo()
    assert_refused(outcome, good_bundle.name, "磁盘已满", "未做任何改动")
    assert snapshot(station) == before
    code, out, _err = cli(capsys, "--db", station, "import-bundle", good_bundle, "--trust", "--json")
    assert code == 0 and json.loads(out)["inserted"] > 0    # with room again, the same bundle goes in


@pytest.mark.parametrize("command", [["export-bundle"], ["export-ledger"], ["print", "round-sheet"],
                                     ["report", "monthly", "2026-01"], ["backup"]])
def test_writing_into_a_folder_that_does_not_exist(capsys, source, tmp_path, command):
    before = snapshot(source)
    out = tmp_path / "没有的文件夹" / "out.xlsx"
    if command[0] in ("print", "report"):
        out = out.with_suffix(".pdf")
    err = assert_refused(cli(capsys, "--db", source, *command, out), out.name)
    assert "没有的文件夹" in err or "找不到" in err, err
    assert not out.parent.exists()
    if command[0] != "backup":
        assert snapshot(source) == before
