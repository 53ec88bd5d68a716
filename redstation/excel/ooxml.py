"""What calamine does not say about an .xlsx sheet, read from the workbook's XML: hidden columns, number formats;
and ``check``, which looks at a workbook before calamine reads it.

Hidden columns and number formats are best effort: for an .xls or .ods file, or an .xlsx file
whose parts are not where they should be, the answer is "nothing known" (no hidden column, no
format), never an error. Only the start of a sheet's XML is read for its columns; number
formats are looked up for a few cells, reading the sheet no further than the last of them.

``check`` is not best effort: calamine trusts what a workbook says, so a file of a few
kilobytes can make it unpack gigabytes (a zip bomb) or allocate a sheet of 16,384 columns by
1,048,576 rows (two cells, at A1 and XFD1048576: calamine holds a sheet as one dense block,
and the process aborts). ``check`` reads every XML part as a stream, never more than the part
says it holds, and raises ``Unsafe`` for a part that unpacks to too much, an XML document
type declaration (entity tricks: Excel never writes one) or a sheet whose cells span more
than ``MAX_CELLS``; it also finds the formulas without a calculated value (a file written by
a program and never opened in Excel), whose cells calamine reads as empty.
"""

from __future__ import annotations

import html
import posixpath
import pyexpat
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

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


# --- checking a workbook before calamine reads it ------------------------------------------------------------

MAX_PART = 1024 ** 3            # bytes one part may unpack to: a sheet of a million rows of a ledger is less
MAX_UNPACKED = 2 * 1024 ** 3    # bytes all parts together
MAX_RATIO = 200                 # unpacked / packed size of a part over 1 MB: real sheets stay far below
MAX_CELLS = 2 ** 24             # rows × columns of one sheet as calamine holds it (32 bytes a cell: 512 MB);
                                # as many as an .xls sheet can have (65,536 × 256), which is not checked
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384   # of an .xlsx sheet
MAX_FORMULAS = 100_000          # formulas without a value remembered per sheet (the rest are counted)
_CHUNK = 4 * 1024 ** 2
_DTD = (b"<!DOCTYPE", b"<!ENTITY")
_AFTER_NAME = (b" ", b">", b"\t", b"\n", b"\r")   # what may follow an element's name
_ROOT = re.compile(rb"<(?![?!])(?:([A-Za-z_][\w.-]*):)?([A-Za-z_][\w.-]*)")   # the first element


class Unsafe(Exception):
    """Why a workbook is refused before it is read. ``kind``: "large" (its parts unpack to more than ``limit``
    bytes), "bomb" (a part unpacks to far more than it holds), "damaged" (a part is not what the archive says),
    "dtd" (an XML document type declaration), "extent" (a sheet whose cells reach row ``rows`` and column
    ``columns``)."""

    def __init__(self, kind: str, part: str, **detail):
        super().__init__("{kind}: {part} {detail}".format(kind=kind, part=part, detail=detail))
        self.kind, self.part, self.detail = kind, part, detail


@dataclass
class Cells:
    """What ``check`` found in one sheet's XML."""

    rows: int = 0        # the last row and column (1-based) that hold a cell: calamine's block is at most that
    columns: int = 0
    formulas: int = 0    # formulas of any kind
    uncalculated: dict[tuple[int, int], str] = field(default_factory=dict)   # (row, column), 0-based → formula text


@dataclass
class Checked:
    parts: dict[str, Cells] = field(default_factory=dict)     # sheet part (or .ods table) → its cells
    names: dict[str, str] = field(default_factory=dict)       # sheet name → its part, where known
    macros: bool = False                                      # it holds a VBA project (never run: only read past)

    def sheet(self, name: str) -> Cells | None:
        part = self.names.get(name)
        return self.parts.get(part) if part is not None else None


def column_number(letters: bytes | str) -> int:
    """A = 1, Z = 26, AA = 27, XFD = 16384."""
    number = 0
    for letter in (letters.encode() if isinstance(letters, str) else letters).upper():
        number = number * 26 + letter - 64
    return number


def check(source: str | Path | BinaryIO, *, max_cells: int = MAX_CELLS, max_columns: int = MAX_COLUMNS,
          max_part: int = MAX_PART, max_unpacked: int = MAX_UNPACKED) -> Checked:
    """Look at the zip archive of an .xlsx, .xlsm or .ods workbook before calamine reads it; ``Unsafe`` says why not.

    zipfile.BadZipFile when it is not a zip archive at all (calamine then says what it is). An
    ``Unsafe`` of kind "extent" names the sheet in ``detail["sheet"]`` where the workbook says it.
    """
    found = Checked()
    with zipfile.ZipFile(source) as archive:
        infos = archive.infolist()
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > 1024 ** 2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise Unsafe("bomb", info.filename)
            if info.file_size > max_part or total > max_unpacked:
                raise Unsafe("large", info.filename, limit=max_part if info.file_size > max_part else max_unpacked)
        found.macros = any(posixpath.basename(i.filename).lower() == "vbaproject.bin" for i in infos)
        try:
            if max(archive.getinfo(n).file_size for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")) < 2 ** 24:
                found.names = _sheet_parts(archive)
        except Exception:  # noqa: BLE001 - an .ods file, or a broken workbook: calamine reports that
            pass
        sheets = {part: name for name, part in found.names.items()}
        for info in infos:
            name = info.filename.lower()
            if not (name.endswith(".xml") or name.endswith(".rels")):
                continue  # pictures, printer settings, a VBA project: calamine does not read them
            try:
                with archive.open(info) as stream:
                    cells = _scan_part(stream, info, max_cells, max_columns)
            except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
                raise Unsafe("damaged", info.filename, error="{kind}: {error}".format(
                    kind=type(exc).__name__, error=exc)) from None
            except Unsafe as exc:
                if exc.kind == "extent":
                    exc.detail.setdefault("sheet", sheets.get(info.filename, info.filename))
                raise
            if isinstance(cells, dict):   # the tables of an .ods file
                found.parts.update(cells)
                found.names.update({table: table for table in cells})
            elif cells is not None:
                found.parts[info.filename] = cells
    return found


def _scan_part(stream: BinaryIO, info: zipfile.ZipInfo, max_cells: int, max_columns: int):
    """Read one XML part to its end (the archive stops at the size it declares): refuse a DTD; for a sheet, its cells.

    Every part is read as a sheet could be: calamine finds its sheets through the workbook's
    relationships, which may name any part. A part in UTF-16 is only read to its end: calamine
    reads none of its cells.
    """
    first = stream.read(_CHUNK)
    if b"\x00" in first[:64]:
        while stream.read(_CHUNK):
            pass
        return None
    root = _ROOT.search(first)
    if root is None and first.strip():
        raise Unsafe("damaged", info.filename, error="no XML element in the first {n} bytes".format(n=_CHUNK))
    if root is not None and any(mark in first[:root.start()] for mark in _DTD):   # only the prolog can declare one
        raise Unsafe("dtd", info.filename)
    if root is not None and root[2] == b"document-content":
        return _scan_ods(first, stream, info.filename, max_cells, max_columns)
    sheet = _SheetScan(info.filename, max_cells, max_columns)
    carry, chunk = b"", first
    while chunk:
        carry = sheet.feed(carry + chunk)
        chunk = stream.read(_CHUNK)
    sheet.feed(carry, last=True)
    return sheet.cells if sheet.cells.rows or (root is not None and root[2] == b"worksheet") else None


class _SheetScan:
    """The cells of one worksheet's XML, chunk by chunk: how far they reach, and the formulas without a value.

    The common case is fast: every cell written ``<c r="B7" …>`` (Excel, WPS, LibreOffice and the
    Python writers all put ``r`` first) and none outside the sheet's ``<dimension ref="A1:R9000">``,
    which one regular-expression search per chunk confirms. Without a dimension (or with cells
    outside it) every cell reference is read; a piece where some cell is written otherwise (``r``
    not first, no ``r``, a namespace prefix) is read tag by tag.
    """

    _ANY = rb"(?:[A-Za-z_][\w.-]*:)?"

    def __init__(self, part: str, max_cells: int, max_columns: int):
        self.part, self.max_cells, self.max_columns = part, max_cells, max_columns
        self.cells = Cells()
        self._dimension = re.compile(b"<" + self._ANY + rb'dimension\s+ref\s*=\s*"(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')
        self._bound: tuple[int, int] | None = None       # (rows, columns) of the dimension, while no cell is outside
        self._outside: re.Pattern | None = None
        self._started = False
        self._numbers = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
        self._letters = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
        self._row_ends = (b"</row>", b":row>")
        self._tag = re.compile(b"<(/?)" + self._ANY + rb"(c|row)(?=[\s/>])([^>]*)>")
        self._ref = re.compile(rb'(?:^|\s)r\s*=\s*["\']([A-Za-z]*)([0-9]*)["\']')
        self._formula = re.compile(b"<" + self._ANY + rb"f[\s/>]")
        self._cell_start = re.compile(b"<" + self._ANY + rb"c((?:\s[^>]*?)?)(/?)>")
        self._cell_end = re.compile(b"</" + self._ANY + rb"c>")
        self._value = re.compile(b"<" + self._ANY + rb"v(?:\s[^>]*)?>\s*[^<\s]")
        self._value_tag = re.compile(b"<" + self._ANY + rb"v[\s/>]")
        self._string = re.compile(rb'(?:^|\s)t\s*=\s*["\']str["\']')
        self._formula_text = re.compile(b"<" + self._ANY + rb"f(?:\s[^>]*)?>(.*?)</" + self._ANY + rb"f>", re.S)
        self._row, self._column = 0, 0   # where the tag-by-tag reading is (for cells and rows without r)

    def feed(self, data: bytes, last: bool = False) -> bytes:
        """Take the whole rows of ``data``; return what is left for the next chunk."""
        if last:
            piece, rest = data, b""
        else:
            cut = max(data.rfind(end) + len(end) if data.rfind(end) >= 0 else -1 for end in self._row_ends)
            if cut < 0:
                if len(data) < 16 * _CHUNK:
                    return data      # a row longer than a chunk: wait for its end
                cut = data.rfind(b"<")   # a row longer than 64 MB: cut between two tags
            piece, rest = data[:cut], data[cut:]
        if piece:
            self._piece(piece)
        return rest

    def _start(self, piece: bytes) -> None:
        """The sheet's dimension, if it has one before its cells and it is within the limits."""
        self._started = True
        found = self._dimension.search(piece)
        data = piece.find(b"sheetData")
        if found is None or (data >= 0 and found.start() > data):
            return
        rows, columns = int(found[2]), column_number(found[1])
        if rows > MAX_ROWS or columns > self.max_columns or rows * columns > self.max_cells:
            return
        self._bound = (rows, columns)
        self._outside = re.compile(rb'<c r="(?:(?![A-Z]{1,3}[0-9]{1,7}")|' + _greater_letters(found[1]) +
                                   rb'[0-9]|[A-Z]{1,3}' + _greater_number(found[2]) + rb'")')   # or written otherwise

    def _piece(self, piece: bytes) -> None:
        cells = self.cells
        if not self._started:
            self._start(piece)
        if b"<c" in piece or b":c" in piece:
            plain = sum(piece.count(b"<c" + after) for after in _AFTER_NAME)
            numbers = None
            if plain == piece.count(b'<c r="') and not any(b":c" + after in piece for after in _AFTER_NAME):
                if self._bound is not None and self._outside.search(piece) is None:
                    if plain:
                        cells.rows, cells.columns = max(cells.rows, self._bound[0]), max(cells.columns, self._bound[1])
                        self._row, self._column = cells.rows, 0
                    numbers = ()
                else:
                    self._bound = None   # a cell outside the dimension: read every reference from now on
                    numbers = self._numbers.findall(piece)
                    if len(numbers) != plain:
                        numbers = None   # a reference written otherwise (a8, A10000000): read tag by tag
            if numbers is None:
                self._bound = None
                self._tag_by_tag(piece)
            elif numbers:
                cells.rows = max([cells.rows] + [int(n) for n in numbers])
                cells.columns = max([cells.columns] + [column_number(c) for c in set(self._letters.findall(piece))])
                self._row, self._column = cells.rows, 0
            if cells.rows > MAX_ROWS or cells.columns > self.max_columns or cells.rows * cells.columns > self.max_cells:
                raise Unsafe("extent", self.part, rows=cells.rows, columns=cells.columns)
        elif b"row" in piece:
            self._tag_by_tag(piece)   # rows without cells still move the rows without r that follow
        if b"<f" in piece or b":f" in piece:
            self._formulas(piece)

    def _tag_by_tag(self, piece: bytes) -> None:
        """Cells and rows whose position is implied (no r) or written unusually: follow them one by one."""
        cells = self.cells
        for end, tag, attributes in self._tag.findall(piece):
            if end:
                continue
            ref = self._ref.search(attributes)
            if tag == b"row":
                self._row = int(ref[2]) if ref and ref[2] else self._row + 1
                self._column = 0
                cells.rows = max(cells.rows, self._row)
                continue
            if ref and ref[1]:
                self._column = column_number(ref[1])
                if ref[2]:
                    self._row = int(ref[2])
            else:
                self._column += 1
            cells.rows, cells.columns = max(cells.rows, self._row), max(cells.columns, self._column)

    def _formulas(self, piece: bytes) -> None:
        """Count the formulas; remember those without a calculated value (``<f>`` comes first in its cell)."""
        cells = self.cells
        for found in self._formula.finditer(piece):
            at = found.start()
            start = piece.rfind(b"<", 0, at)
            cell = self._cell_start.match(piece, start) if start >= 0 else None
            if cell is None or cell.end() != at or cell[2]:
                continue   # not an <f> of a cell
            cells.formulas += 1
            close = self._cell_end.search(piece, at)
            content = piece[at:close.start() if close else len(piece)]
            attributes = cell[1]
            if self._value.search(content) or (self._string.search(attributes) and self._value_tag.search(content)):
                continue   # Excel calculated it (an empty text too): calamine reads that value
            ref = self._ref.search(attributes)
            if not (ref and ref[1] and ref[2]) or len(cells.uncalculated) >= MAX_FORMULAS:
                continue
            text = self._formula_text.match(content)
            cells.uncalculated[(int(ref[2]) - 1, column_number(ref[1]) - 1)] = _unescape(text[1]) if text else ""


def _greater_number(digits: bytes) -> bytes:
    """A regular expression matching the decimal numbers (of up to 7 digits) greater than ``digits``."""
    found = [rb"[0-9]{%d,7}" % (len(digits) + 1)] if len(digits) < 7 else []
    for n, digit in enumerate(digits):
        if digit != ord("9"):
            found.append(digits[:n] + b"[%c-9]" % (digit + 1) + b"[0-9]" * (len(digits) - n - 1))
    return b"(?:" + b"|".join(found) + b")"


def _greater_letters(letters: bytes) -> bytes:
    """A regular expression matching the column letters (up to 3) after ``letters``: after R, S … Z and AA … XFD."""
    found = [rb"[A-Z]{%d,3}" % (len(letters) + 1)] if len(letters) < 3 else []
    for n, letter in enumerate(letters):
        if letter != ord("Z"):
            found.append(letters[:n] + b"[%c-Z]" % (letter + 1) + b"[A-Z]" * (len(letters) - n - 1))
    return b"(?:" + b"|".join(found) + b")" if found else b"(?!)"


def _unescape(raw: bytes) -> str:
    """A formula's text as Excel shows it: the XML's character references (&amp; &#28857;) resolved."""
    return html.unescape(raw.decode("utf-8", "replace"))


_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _scan_ods(first: bytes, stream: BinaryIO, part: str, max_cells: int, max_columns: int) -> dict[str, Cells]:
    """The tables of an .ods content.xml: how far their cells with a value reach, repeats counted as calamine does.

    LibreOffice writes a sheet's empty tail as one row repeated a million times; only rows and
    cells holding something count. Read with expat, which refuses nothing by itself: a DTD is.
    """
    tables: dict[str, Cells] = {}
    state = {"table": None, "name": "", "row": 0, "repeat": 1, "column": 0, "width": 0, "cell": None}

    def refuse_dtd(*_args):
        raise Unsafe("dtd", part)

    def start(name, attributes):
        space, _sep, local = name.rpartition(" ")
        if space == _ODS_TABLE and local == "table":
            state["name"] = attributes.get(_ODS_TABLE + " name", str(len(tables)))
            state["table"] = tables.setdefault(state["name"], Cells())
            state["row"] = 0
        elif space == _ODS_TABLE and local == "table-row":
            state.update(repeat=int(attributes.get(_ODS_TABLE + " number-rows-repeated", 1)), column=0, width=0)
        elif space == _ODS_TABLE and local in ("table-cell", "covered-table-cell"):
            repeat = int(attributes.get(_ODS_TABLE + " number-columns-repeated", 1))
            state["cell"] = (state["column"], repeat)
            if _ODS_OFFICE + " value-type" in attributes:
                state["width"] = state["column"] + repeat
            state["column"] += repeat
        elif space == _ODS_TEXT and local == "p" and state["cell"] is not None:
            column, repeat = state["cell"]
            state["width"] = max(state["width"], column + repeat)

    def end(name):
        space, _sep, local = name.rpartition(" ")
        if space == _ODS_TABLE and local in ("table-cell", "covered-table-cell"):
            state["cell"] = None
        elif space == _ODS_TABLE and local == "table-row" and state["table"] is not None:
            table = state["table"]
            if state["width"]:
                table.rows = state["row"] + state["repeat"]
                table.columns = max(table.columns, state["width"])
                if table.rows > MAX_ROWS or table.columns > max_columns or table.rows * table.columns > max_cells:
                    raise Unsafe("extent", part, rows=table.rows, columns=table.columns, sheet=state["name"])
            state["row"] += state["repeat"]

    parser = pyexpat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    chunk = first
    try:
        while chunk:
            parser.Parse(chunk, False)
            chunk = stream.read(_CHUNK)
        parser.Parse(b"", True)
    except (pyexpat.ExpatError, ValueError) as exc:
        raise Unsafe("damaged", part, error=str(exc)) from None
    return tables
