"""Test ledgers written the way people write them in Excel and WPS (built with openpyxl).

A real ledger has a title row merged across the sheet, sometimes a second header row under
a merged group header (住址 over 小区/楼栋/房号), estate, building and room cells merged
down over a household's members, id numbers that Excel turned into numbers, dates typed in
every format, full-width digits, stray spaces, blank rows and a footer.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from redstation.domain import idnumber


def write_workbook(path: Path, rows: list[list], *, merges: tuple[str, ...] = (), sheet: str = "Sheet1",
                   text_columns: tuple[int, ...] = (), hidden_columns: tuple[str, ...] = (),
                   formats: dict[str, str] | None = None) -> Path:
    """Write ``rows`` (row 1 first; None or "" leaves a cell empty) and merge the ``merges`` ranges ("A1:Q1").

    Columns in ``text_columns`` (1-based) get Excel's Text format, as a careful clerk sets it;
    ``hidden_columns`` ("C") are hidden; ``formats`` gives cells a number format ({"B2": "0"}).
    """
    return write_book(path, {sheet: rows}, merges={sheet: merges}, text_columns=text_columns,
                      hidden_columns={sheet: hidden_columns}, formats={sheet: formats or {}})


def write_book(path: Path, sheets: dict[str, list[list]], *, merges: dict[str, tuple[str, ...]] | None = None,
               text_columns: tuple[int, ...] = (), hidden_columns: dict[str, tuple[str, ...]] | None = None,
               formats: dict[str, dict[str, str]] | None = None, hidden_sheets: tuple[str, ...] = ()) -> Path:
    """A workbook of several sheets, name → rows, in order; the options of write_workbook per sheet name."""
    book = openpyxl.Workbook()
    for n, (name, rows) in enumerate(sheets.items()):
        ws = book.active if n == 0 else book.create_sheet()
        ws.title = name
        _fill(ws, rows, (merges or {}).get(name, ()), text_columns)
        for letter in (hidden_columns or {}).get(name, ()):
            ws.column_dimensions[letter].hidden = True
        for ref, number_format in (formats or {}).get(name, {}).items():
            ws[ref].number_format = number_format
        if name in hidden_sheets:
            ws.sheet_state = "hidden"
    book.save(path)
    return path


def _fill(ws, rows: list[list], merges: tuple[str, ...], text_columns: tuple[int, ...]) -> None:
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, (date, datetime)):
                cell.number_format = "yyyy-mm-dd"
            if c in text_columns:
                cell.number_format = "@"
    for merged in merges:
        ws.merge_cells(merged)
    for c in range(1, max((len(r) for r in rows), default=0) + 1):
        ws.column_dimensions[get_column_letter(c)].width = 14


def make_id(birth: date, sex: str, sequence: int = 12, region: str = "370102") -> str:
    return idnumber.make(region, birth, sequence, sex)


def fullwidth(text: str) -> str:
    """１２３ for 123: what a Chinese input method types in full-width mode."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# The columns of the messy ledger, A … Q, as the second header row names them.
MESSY_HEADERS = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "小区", "楼栋", "房号", "联系电话(手机)", "与户主关系",
                 "人员类别", "政治面貌", "居住类型", "关爱事项", "紧急联系人", "紧急联系电话", "备注"]

ZHANG = make_id(date(1949, 10, 1), "M", 1)
LI = make_id(date(1952, 3, 8), "F", 2)
ZHANG_WEI = make_id(date(1975, 6, 9), "M", 3)
WANG_15 = "370102491001124"          # a legacy 15-digit number: born 1949-10-01, sequence 124 (a woman)
ZHAO = make_id(date(1960, 1, 2), "M", 4)
ZHAO_BAD = ZHAO[:-1] + ("0" if ZHAO[-1] != "0" else "1")  # one wrong check character
SUN = make_id(date(1970, 7, 7), "F", 5)
FENG = make_id(date(1980, 5, 5), "M", 6)
CHEN = make_id(date(1985, 8, 8), "F", 7)   # a woman, typed as 男
HUANG = make_id(date(1990, 9, 9), "M", 8)
NONAME = make_id(date(1991, 1, 1), "F", 9)

# Spreadsheet row → what the import must say about it.
MESSY_IMPORTED = {5: "张建国", 6: "李秀英", 8: "王淑珍"}
MESSY_REJECTED = {
    7: ("公民身份号码", "丢失"),         # an 18-digit id number stored as a number
    9: ("公民身份号码", "校验位"),       # wrong check character
    11: ("公民身份号码", "丢失"),        # 3.70102E+17 as text
    12: ("出生日期", "不是日期"),        # 1990/2/30
    13: ("联系电话(手机)", "不是电话号码"),
    14: ("小区", "地址"),                # no address at all
    15: ("公民身份号码", "第 5 行"),      # the same id number as row 5
    16: ("出生日期", "不符"),             # birth date disagrees with the id number
    17: ("性别", "性别"),                 # sex disagrees with the id number
    18: ("人员类别", "网格长"),           # unknown care category, named
    19: ("姓名", "姓名"),                 # no name
}


def messy_ledger(path: Path) -> Path:
    """The ledger every import test starts from: see MESSY_IMPORTED and MESSY_REJECTED for its rows."""
    q = len(MESSY_HEADERS)
    last = get_column_letter(q)
    upper = ["序号", "姓名", "性别", "公民身份号码", "出生日期", "住址", "", "", "联系电话(手机)", "与户主关系", "人员类别",
             "政治面貌", "居住类型", "关爱事项", "紧急联系人", "紧急联系电话", "备注"]
    lower = ["", "", "", "", "", "小区", "楼栋", "房号"] + [""] * (q - 8)
    rows = [
        ["阳光社区重点人员信息台账"],                                            # 1 title, merged across
        ["填报单位：阳光社区居委会        填报日期：2026年11月"],                   # 2 merged across
        upper,                                                                  # 3 header, upper row
        lower,                                                                  # 4 header, lower row
        # 5-7: one household; estate, building, room and residence type merged down over its three rows
        [1, " 张建国 ", "男", ZHANG, "1949.10.1", "阳光花园", "6栋", "301", "138 1234 5678", "户主",
         "独居老人、退役军人", "中共党员", "自住", "耳背，使用燃气灶", "张伟（儿子）", "13912345678", ""],
        [2, "李秀英", "女", fullwidth(LI), datetime(1952, 3, 8), None, None, None, "13812345679", "妻", "", "群众",
         None, "", "", "", ""],
        [3, "张  伟", "男", int(ZHANG_WEI), "1975/6/9", None, None, None, "13700000001", "子", "", "", None, "", "", "", ""],
        # 8-9: the same building written another way, room 302
        [4, "王淑珍", "女", int(WANG_15), "1949年10月1日", "阳光花园", "6号楼", "302室", "", "户主", "孤寡老人，80岁以上",
         "", "出租", "", "", "", "租户登记"],
        [5, "赵强", "男", ZHAO_BAD, "", None, None, None, "", "户主", "", "", None, "", "", "", ""],
        [],                                                                     # 10 blank
        [6, "孙丽", "女", "3.70102E+17", "", "阳光花园", "7", fullwidth("101"), "", "户主", "", "", "自住", "", "", "", ""],
        [7, "周敏", "女", "", "1990/2/30", "阳光花园", "7", "102", "", "户主", "", "", "", "", "", "", ""],
        [8, "吴军", "男", "", "", "阳光花园", "7", "103", "12345", "户主", "", "", "", "", "", "", ""],
        [9, "郑红", "女", "", "", "", "", "", "13800000009", "", "", "", "", "", "", "", ""],
        [10, "张建国", "男", ZHANG, "", "阳光花园", "8", "101", "", "户主", "", "", "", "", "", "", ""],
        [11, "冯磊", "男", FENG, "1980-05-06", "阳光花园", "8", "102", "", "户主", "", "", "", "", "", "", ""],
        [12, "陈芳", "男", CHEN, "", "阳光花园", "8", "103", "", "户主", "", "", "", "", "", "", ""],
        [13, "黄涛", "男", HUANG, "", "阳光花园", "8", "104", "", "户主", "独居老人、网格长", "", "", "", "", "", ""],
        [14, "", "女", NONAME, "", "阳光花园", "8", "105", "", "户主", "", "", "", "", "", "", ""],
        ["填表人：李晓梅        审核人：王站长        制表日期：2026年11月20日"],   # 20 footer, merged across
        ["合计", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "11人"],  # 21 total row
    ]
    merges = ["A1:{last}1".format(last=last), "A2:{last}2".format(last=last), "F3:H3", "A20:{last}20".format(last=last)]
    merges += ["{c}3:{c}4".format(c=get_column_letter(c)) for c in range(1, q + 1) if c not in (6, 7, 8)]
    merges += ["{c}5:{c}7".format(c=c) for c in ("F", "G", "H", "M")]
    merges += ["{c}8:{c}9".format(c=c) for c in ("F", "G", "H", "M")]
    return write_workbook(path, rows, merges=tuple(merges))


def simple_ledger(path: Path, rows: list[list], headers: list[str] | None = None, **kwargs) -> Path:
    """One header row, then ``rows``; the default header is the usual eight columns."""
    headers = headers or ["姓名", "身份证号", "性别", "出生日期", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系", "人员类别"]
    return write_workbook(path, [headers] + rows, **kwargs)


def damaged_id(birth: date = date(1950, 1, 1)) -> tuple[str, float]:
    """(a real id number, the number Excel keeps of it) where the damaged 18 digits (15 significant ones and
    000) happen to pass the check character, as about one in eleven do: only "lost digits" can refuse it."""
    day = birth
    while True:
        for sequence in range(500):
            real = idnumber.make("370102", day, sequence, "F")
            if not real[-1].isdigit():
                continue
            damaged = format(Decimal("{v:.15g}".format(v=float(real))), "f")
            if damaged == real:
                continue
            try:
                idnumber.parse(damaged)
            except idnumber.IdNumberError:
                continue
            return real, float(real)
        day = date.fromordinal(day.toordinal() + 1)


def three_buildings(path: Path) -> Path:
    """One sheet per building, a note sheet, a hidden sheet; sheet 2号楼 repeats an id number of 1号楼 in its row 4."""
    def sheet(n: int, rows: list[list]) -> list[list]:
        return [["阳光花园{n}号楼住户花名册".format(n=n)], ["序号", "姓名", "身份证号", "家庭住址", "联系电话"]] + rows
    return write_book(path, {
        "填表说明": [["填表说明：身份证号请设为文本格式"], ["姓名"]],
        "1号楼": sheet(1, [[1, "赵一", make_id(date(1960, 1, 1), "M", 60), "阳光花园1号楼1单元101室", "13800000101"],
                           [2, "钱一", make_id(date(1961, 1, 1), "M", 61), "阳光花园1号楼1单元102室", ""]]),
        "2号楼": sheet(2, [[1, "孙二", make_id(date(1962, 1, 1), "M", 62), "阳光花园2号楼1单元101室", ""],
                           [2, "李二", make_id(date(1960, 1, 1), "M", 60), "阳光花园2号楼1单元102室", ""],
                           [3, "周二", "", "阳光花园2号楼1单元103室", "12345"]]),
        "3号楼": sheet(3, [[1, "吴三", make_id(date(1963, 1, 1), "F", 63), "阳光花园3号楼1单元101室", ""]]),
        "旧表": sheet(9, [[1, "郑九", "", "阳光花园9号楼1单元101室", ""]]),
    }, merges={name: ("A1:E1",) for name in ("1号楼", "2号楼", "3号楼", "旧表")}, hidden_sheets=("旧表",))
