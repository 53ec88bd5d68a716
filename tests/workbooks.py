"""Test ledgers written the way people write them in Excel and WPS (built with openpyxl).

A real ledger has a title row merged across the sheet, sometimes a second header row under
a merged group header (住址 over 小区/楼栋/房号), estate, building and room cells merged
down over a household's members, id numbers that Excel turned into numbers, dates typed in
every format, full-width digits, stray spaces, blank rows and a footer.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from redstation.domain import idnumber


def write_workbook(path: Path, rows: list[list], *, merges: tuple[str, ...] = (), sheet: str = "Sheet1",
                   text_columns: tuple[int, ...] = ()) -> Path:
    """Write ``rows`` (row 1 first; None or "" leaves a cell empty) and merge the ``merges`` ranges ("A1:Q1").

    Columns in ``text_columns`` (1-based) get Excel's Text format, as a careful clerk sets it.
    """
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
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
    book.save(path)
    return path


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
