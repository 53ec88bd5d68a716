"""What calamine does not say about an .xlsx sheet, read from the workbook's XML: hidden columns, number formats.

Both are best effort: for an .xls or .ods file, or an .xlsx file whose parts are not where
they should be, the answer is "nothing known" (no hidden column, no format), never an error.
Only the start of a sheet's XML is read for its columns; number formats are looked up for a
few cells, reading the sheet no further than the last of them.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from defusedxml import ElementTree

# Excel's built-in number formats that matter here (the others show a long number in the E+17 form or with decimals).
_BUILTIN_FORMATS = {0: "General", 1: "0", 3: "#,##0", 49: "@"}
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the archive member holding its XML."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") or "" for r in rels if _local(r.tag) == "Relationship"}
    parts = {}
    for element in book.iter():
        if _local(element.tag) != "sheet":
            continue
        rel = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        target = targets.get(rel)
        if target:
            parts[element.get("name")] = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    return parts


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() in (".xlsx", ".xlsm") and zipfile.is_zipfile(path)


def hidden_columns(path: str | Path) -> dict[str, list[tuple[int, int]]]:
    """Sheet name → ranges (first, last) of hidden columns, 0-based: A = 0."""
    path = Path(path)
    found: dict[str, list[tuple[int, int]]] = {}
    try:
        if not _is_zip(path):
            return found
        with zipfile.ZipFile(path) as archive:
            for name, part in _sheet_parts(archive).items():
                ranges = []
                with archive.open(part) as stream:
                    for event, element in ElementTree.iterparse(stream, events=("start", "end")):
                        tag = _local(element.tag)
                        if event == "start" and tag == "sheetData":
                            break  # the columns come before the cells: read no further
                        if event == "end" and tag == "col" and element.get("hidden") in ("1", "true"):
                            ranges.append((int(element.get("min")) - 1, int(element.get("max")) - 1))
                found[name] = ranges
    except Exception:  # noqa: BLE001 - best effort: an unusual file simply has no known hidden columns
        return {}
    return found


def is_hidden(ranges: list[tuple[int, int]], column: int) -> bool:
    return any(first <= column <= last for first, last in ranges)


def _formats(archive: zipfile.ZipFile) -> list[str]:
    """The number format code of each cell style (the index a cell's ``s`` attribute gives)."""
    styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    custom = {}
    codes = []
    for element in styles.iter():
        tag = _local(element.tag)
        if tag == "numFmt":
            custom[int(element.get("numFmtId"))] = element.get("formatCode") or ""
        elif tag == "cellXfs":
            for xf in element:
                number = int(xf.get("numFmtId") or 0)
                codes.append(custom.get(number, _BUILTIN_FORMATS.get(number, "")))
    return codes


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def number_formats(path: str | Path, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """(row, column) → number format code of those ``cells`` (0-based) of ``sheet`` that have one."""
    path = Path(path)
    found: dict[tuple[int, int], str] = {}
    if not cells:
        return found
    last_row = max(row for row, _column in cells)
    try:
        if not _is_zip(path):
            return found
        with zipfile.ZipFile(path) as archive:
            part = _sheet_parts(archive).get(sheet)
            if part is None:
                return found
            codes = _formats(archive)
            with archive.open(part) as stream:
                for _event, element in ElementTree.iterparse(stream, events=("end",)):
                    tag = _local(element.tag)
                    if tag == "c":
                        ref = _CELL_REF.fullmatch(element.get("r") or "")
                        if ref:
                            where = (int(ref[2]) - 1, _column_index(ref[1]))
                            if where in cells:
                                style = int(element.get("s") or 0)
                                found[where] = codes[style] if style < len(codes) else ""
                    elif tag == "row":
                        number = int(element.get("r") or 0)
                        element.clear()
                        if number > last_row or len(found) == len(cells):
                            break
    except Exception:  # noqa: BLE001 - best effort, as above
        return found
    return found


def shows_whole_number(code: str) -> bool:
    """True when a number format shows a long number with all its digits (0, #,##0), not as 3.70102E+17."""
    plain = re.sub(r'"[^"]*"|\\.|_.|\[[^\]]*\]', "", code or "").split(";")[0].strip()
    return bool(re.fullmatch(r"[#0,]*0[#0,]*", plain))
