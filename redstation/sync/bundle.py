"""The bundle: one signed .xlsx that carries records from one station to another.

A workbook Excel, WPS and LibreOffice open: a sheet 说明 that tells a clerk what it is, a
manifest sheet 清单 (format, schema, station, time, scope, row counts, content hash, the
station's public key and its Ed25519 signature), and one sheet per kind of record with
Chinese headers in row 1 and the column names in a hidden row 2; machine columns (ids,
versions, version vectors) are hidden too. A table longer than a sheet continues on the
next one (走访记录 (2) …). Every field travels unmasked, so the bundle is signed and can be
encrypted with a password (Excel's own encryption: Excel and WPS ask for the password).

The signature covers the manifest, and the manifest holds a hash of the records'
*content* (not of the file's bytes): a bundle opened in Excel and saved again unchanged
still verifies, and any changed cell does not. NULL and empty text both are empty cells,
so each row carries a hidden list of its NULL columns.

Reading checks the file before parsing anything: its size, that it is a zip of the parts
a workbook has (no macros, no external links or embedded objects), the compression ratio
of every part (a zip bomb), and then every XML part as a stream (``ooxml.check``): no part
may unpack to more than it says, declare a DTD (entity tricks), hold formulas, or place a
cell where no bundle sheet reaches (which would make calamine allocate gigabytes and abort).
stdlib XML parsing is made safe with defusedxml. A bundle made later than this computer's
clock (more than ``MAX_AHEAD``) is refused: its versions would carry this station's clock
into the future, and every later change here would win over changes made elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import time
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import defusedxml
import python_calamine
import xlsxwriter
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from redstation import RedStationError
from redstation.domain.vocab import label
from redstation.excel import ooxml
from redstation.excel.writing import os_reason, temporary_beside
from redstation.i18n import N_, _
from redstation.paths import publish

defusedxml.defuse_stdlib()  # any XML the standard library parses from here on is parsed safely

FORMAT = "redstation-bundle/1"
MAX_ROWS = 1_048_576 - 2          # an .xlsx sheet's rows, less the two header rows
MAX_CELL = 32_767                 # characters Excel keeps in a cell
MAX_FILE = 2 * 1024 ** 3          # bytes of a bundle file
MAX_UNPACKED = 8 * 1024 ** 3      # bytes of all its parts unpacked
MAX_RATIO = 200                   # unpacked / packed size of a part larger than 1 MB
MAX_COLUMNS = 64                  # columns of a bundle sheet: the widest kind of record (tickets) has 35
MAX_SHEET_CELLS = (MAX_ROWS + 2) * 40   # a sheet full of the widest records: calamine holds it as one block
MAX_AHEAD = timedelta(hours=24)   # how far a bundle may be ahead of this computer's clock
NULLS = "_null"                   # the hidden column listing a row's NULL columns
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # an encrypted Office file
ZIP_MAGIC = b"PK\x03\x04"
ALLOWED_PARTS = re.compile(r"""^(\[Content_Types\]\.xml|_rels/\.rels|docProps/(app|core|custom)\.xml|
    xl/(workbook\.xml|styles\.xml|sharedStrings\.xml|calcChain\.xml|theme/theme\d+\.xml|_rels/workbook\.xml\.rels|
        worksheets/sheet\d+\.xml|worksheets/_rels/sheet\d+\.xml\.rels|printerSettings/printerSettings\d+\.bin|
        metadata\.xml|persons/person\.xml)|customXml/.*)$""", re.X)

# The sheet of each kind of record. Part of the format, so the same in every language of the program.
SHEETS = {
    "stations": "服务站", "households": "住户", "residents": "居民", "visits": "走访记录", "tickets": "工单",
    "ticket_events": "工单办理记录", "surveys": "满意度调查", "satisfaction": "满意度答复", "volunteers": "志愿者",
    "volunteer_skills": "志愿者技能", "teams": "服务队", "team_members": "服务队成员", "activities": "志愿活动",
    "attendance": "活动签到", "meetings": "会议", "meeting_attendees": "参会人员", "meeting_topics": "会议议题",
    "meeting_actions": "跟进事项",
}
MACHINE = {"id", "version", "origin", "deleted", "created_at", "vclock"}   # hidden; so are columns ending in _id


class BundleError(RedStationError):
    """The file is refused: not a bundle, damaged, altered, or of a station not trusted."""


@dataclass
class Manifest:
    station_id: str
    station_name: str
    community: str
    public_key: str
    created_at: str
    schema: int
    scope: str                         # "full", or "since:<peer station id>"
    counts: dict[str, int]
    content_hash: str
    signature: str = ""
    format: str = FORMAT

    FIELDS = ("format", "schema", "station_id", "station_name", "community", "public_key", "created_at", "scope",
              "counts", "content_hash")

    def signed_text(self) -> bytes:
        """What the signature covers: every field but the signature, canonically."""
        return json.dumps({f: getattr(self, f) for f in self.FIELDS}, ensure_ascii=False, sort_keys=True,
                          separators=(",", ":")).encode("utf-8")

    def fingerprint(self) -> str:
        return fingerprint(self.public_key)


def fingerprint(public_key_hex: str) -> str:
    """A key as people compare it on two screens: 8 groups of 4 hex digits of its SHA-256."""
    digest = hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:32].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 32, 4))


# --- the columns of a table and their types ----------------------------------------------------------------------

def columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type) of a table's columns, in table order."""
    return [(row[1], (row[2] or "").upper()) for row in conn.execute("PRAGMA table_info({t})".format(t=table))]


def _typed(value, kind: str):
    """A cell read back from the workbook in the column's own type."""
    if value is None or value == "":
        return value
    if kind.startswith("INT"):
        return int(value)
    if kind.startswith("REAL"):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _canonical(table: str, row: dict) -> bytes:
    return json.dumps([table, row], ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class ContentHash:
    """SHA-256 over every record, table by table in bundle order, rows by id."""

    def __init__(self):
        self._hash = hashlib.sha256()

    def add(self, table: str, row: dict) -> None:
        self._hash.update(_canonical(table, row))
        self._hash.update(b"\n")

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


# --- writing ---------------------------------------------------------------------------------------------------

def _header(column: str) -> str:
    from redstation.sync.labels import column_label
    return column_label(column)


def write(path: Path, manifest_fields: dict, tables: list[tuple[str, list[tuple[str, str]], Iterator[dict]]],
          signing_key_hex: str, *, password: str | None = None,
          progress: Callable[[int], None] | None = None) -> Manifest:
    """Write a bundle to ``path`` (all or nothing) and return its signed manifest.

    ``tables``: (table, columns, rows sorted by id) for each table in bundle order;
    ``manifest_fields``: station_id, station_name, community, public_key, created_at, schema, scope.
    """
    path = Path(path)
    try:
        temporary = temporary_beside(path, "bundle")
    except OSError as exc:
        raise BundleError(_("Cannot write {path}: {error}").format(path=path, error=os_reason(exc))) from None
    try:
        book = xlsxwriter.Workbook(temporary, {"constant_memory": True, "strings_to_numbers": False,
                                               "strings_to_formulas": False, "strings_to_urls": False})
        bold = book.add_format({"bold": True, "bg_color": "#ececec", "border": 1})
        readme = book.add_worksheet("说明")
        manifest_sheet = book.add_worksheet("清单")
        digest, counts = ContentHash(), {}
        written = 0
        for table, table_columns, rows in tables:
            count, part, sheet = 0, 1, None
            for row in rows:
                row = {column: _typed(row[column], kind) for column, kind in table_columns}  # as the reader will see it
                if sheet is None or count and count % MAX_ROWS == 0:
                    name = SHEETS[table] if part == 1 else "{name} ({n})".format(name=SHEETS[table], n=part)
                    sheet = _data_sheet(book, name, table_columns, bold)
                    part += 1
                nulls = [n for n, (column, _kind) in enumerate(table_columns) if row[column] is None]
                line = count % MAX_ROWS + 2
                for n, (column, kind) in enumerate(table_columns):
                    value = row[column]
                    if value is None:
                        continue
                    if isinstance(value, str):
                        if len(value) > MAX_CELL:
                            raise BundleError(_("{table} {id}: the field {column} is longer than a spreadsheet cell holds "
                                                "({count} characters)").format(table=SHEETS[table], id=row["id"],
                                                                                column=column, count=len(value)))
                        sheet.write_string(line, n, value)
                    else:
                        sheet.write_number(line, n, value)
                sheet.write_string(line, len(table_columns), json.dumps(nulls) if nulls else "")
                digest.add(table, row)
                count += 1
                written += 1
                if progress is not None and written % 2000 == 0:
                    progress(written)
            if sheet is None:  # an empty table still has its sheet, so the receiver sees it was asked for
                _data_sheet(book, SHEETS[table], table_columns, bold)
            counts[table] = count
        manifest = Manifest(counts=counts, content_hash=digest.hexdigest(), **manifest_fields)
        key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(signing_key_hex))
        manifest.signature = key.sign(manifest.signed_text()).hex()
        _write_manifest(manifest_sheet, manifest, bold)
        _write_readme(readme, manifest)
        book.close()
        if password:
            _encrypt(temporary, password)
        publish(temporary, path)
    except OSError as exc:
        raise BundleError(_("Cannot write {path}: {error}").format(path=path, error=os_reason(exc))) from None
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return manifest


def _data_sheet(book, name: str, table_columns: list[tuple[str, str]], bold):
    sheet = book.add_worksheet(name[:31])
    # constant_memory keeps only the current row: write the whole header row before the machine row.
    for n, (column, _kind) in enumerate(table_columns):
        sheet.write_string(0, n, _header(column), bold)
        hidden = column in MACHINE or column.endswith("_id")
        sheet.set_column(n, n, 8 if hidden else 16, None, {"hidden": hidden})
    sheet.write_string(0, len(table_columns), NULLS)
    for n, (column, _kind) in enumerate(table_columns):
        sheet.write_string(1, n, column)
    sheet.write_string(1, len(table_columns), NULLS)
    sheet.set_column(len(table_columns), len(table_columns), 8, None, {"hidden": True})
    sheet.set_row(1, None, None, {"hidden": True})
    sheet.freeze_panes(2, 0)
    return sheet


MANIFEST_LABELS = {
    "format": N_("Format"), "schema": N_("Schema version"), "station_id": N_("Station id"),
    "station_name": N_("Station"), "community": N_("Community"), "public_key": N_("Public key"),
    "created_at": N_("Made at"), "scope": N_("Covers"), "counts": N_("Rows per kind (JSON)"),
    "content_hash": N_("Content hash (SHA-256)"), "signature": N_("Signature (Ed25519)"),
}


def _write_manifest(sheet, manifest: Manifest, bold) -> None:
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 70)
    sheet.set_column(2, 2, 16, None, {"hidden": True})
    for line, name in enumerate([*Manifest.FIELDS, "signature"]):
        value = getattr(manifest, name)
        text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)
        sheet.write_string(line, 0, label(MANIFEST_LABELS, name), bold)
        sheet.write_string(line, 1, text)
        sheet.write_string(line, 2, name)


def _write_readme(sheet, manifest: Manifest) -> None:
    sheet.set_column(0, 0, 110)
    lines = [
        _("RedStation data bundle of {station} ({community}), made {time}.").format(
            station=manifest.station_name, community=manifest.community, time=manifest.created_at.replace("T", " ")),
        _("It carries the station's records to another station or to the street office. Import it there with "
          "数据交换 → 导入数据包 (or 'redstation import-bundle'); the records are merged, nothing is lost."),
        _("Do not edit it: the file is signed, and a changed cell makes the receiver refuse it."),
        _("It holds personal data of residents (id numbers, phones, health): keep it safe, protect it with a password "
          "when it leaves the office, and delete it once it has been imported."),
        _("Key fingerprint of the station: {fingerprint}").format(fingerprint=manifest.fingerprint()),
    ]
    for line, text in enumerate(lines):
        sheet.write_string(line, 0, text)


def _encrypt(path: str, password: str) -> None:
    import msoffcrypto
    from msoffcrypto.format.ooxml import OOXMLFile
    with open(path, "rb") as plain:
        data = plain.read()
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    with open(path, "wb") as target:
        target.write(out.getvalue())
    del msoffcrypto


# --- reading ---------------------------------------------------------------------------------------------------

@dataclass
class Opened:
    """A bundle whose manifest was read and signature verified; ``tables`` reads the records."""

    path: Path
    manifest: Manifest
    book: python_calamine.CalamineWorkbook
    sheet_names: list[str] = field(default_factory=list)


def _size(size: int) -> str:
    """2 GB, 512 MB, 64 KB."""
    for unit, power in (("GB", 3), ("MB", 2)):
        if size >= 1024 ** power:
            return "{n:,} {unit}".format(n=size // 1024 ** power, unit=unit)
    return "{n:,} KB".format(n=max(1, size // 1024))


def _check_zip(data: bytes, path: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise BundleError(_("{path} is not a data bundle (it is not an Excel workbook)").format(path=path.name)) from None
    unpacked = 0
    for part in archive.infolist():
        if not ALLOWED_PARTS.match(part.filename):
            raise BundleError(_("{path} holds a part a data bundle never has ({part}): it is refused").format(
                path=path.name, part=part.filename))
        unpacked += part.file_size
        if part.file_size > 1024 ** 2 and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise BundleError(_("{path} unpacks to far more than it holds ({part}): it is refused as a zip bomb").format(
                path=path.name, part=part.filename))
    if unpacked > MAX_UNPACKED:
        raise BundleError(_("{path} unpacks to more than {size}: it is refused").format(
            path=path.name, size=_size(MAX_UNPACKED)))
    try:
        checked = ooxml.check(io.BytesIO(data), max_cells=MAX_SHEET_CELLS, max_columns=MAX_COLUMNS,
                              max_part=MAX_UNPACKED, max_unpacked=MAX_UNPACKED)
    except ooxml.Unsafe as exc:
        if exc.kind == "large":
            raise BundleError(_("{path} unpacks to more than {size}: it is refused").format(
                path=path.name, size=_size(exc.detail["limit"]))) from None
        if exc.kind == "bomb":
            raise BundleError(_("{path} unpacks to far more than it holds ({part}): it is refused as a zip bomb").format(
                path=path.name, part=exc.part)) from None
        if exc.kind == "dtd":
            raise BundleError(_("{path} holds an XML document type declaration ({part}), which a data bundle never has: "
                                "it is refused").format(path=path.name, part=exc.part)) from None
        if exc.kind == "extent":
            raise BundleError(_("{path}: the sheet {sheet} has cells as far as {cell}, where no sheet of a data bundle "
                                "reaches: it is refused").format(
                path=path.name, sheet=exc.detail.get("sheet", exc.part),
                cell=_column_letters(exc.detail["columns"]) + str(exc.detail["rows"]))) from None
        raise BundleError(_("{path} is damaged and cannot be read").format(path=path.name)) from None
    with_formulas = [part for part, cells in checked.parts.items() if cells.formulas]
    if with_formulas:
        sheets = {part: name for name, part in checked.names.items()}
        raise BundleError(_("{path} holds formulas (sheet {sheet}), which a data bundle never has: it is refused").format(
            path=path.name, sheet=sheets.get(with_formulas[0], with_formulas[0])))


def _column_letters(number: int) -> str:
    """1 → A, 16384 → XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def load(path: str | Path, password: str | None = None) -> bytes:
    """The workbook's bytes, decrypted; BundleError for anything that is not a plain or encrypted workbook."""
    path = Path(path)
    if not path.is_file():
        raise BundleError(_("There is no file {path}").format(path=path))
    size = path.stat().st_size
    if size == 0:
        raise BundleError(_("{path} is empty (0 bytes): it is not a data bundle").format(path=path.name))
    if size > MAX_FILE:
        raise BundleError(_("{path} is larger than {size}: it is not a data bundle").format(
            path=path.name, size=_size(MAX_FILE)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleError(_("{path} cannot be read ({error})").format(path=path.name, error=exc.strerror or exc)) from None
    if data.startswith(OLE_MAGIC):
        if not password:
            raise BundleError(_("{path} is protected with a password: give the password").format(path=path.name))
        from msoffcrypto.exceptions import DecryptionError, InvalidKeyError
        from msoffcrypto.format.ooxml import OOXMLFile
        try:
            source = OOXMLFile(io.BytesIO(data))
            source.load_key(password=password)
            plain = io.BytesIO()
            source.decrypt(plain)
        except (InvalidKeyError, DecryptionError):
            raise BundleError(_("The password of {path} is wrong").format(path=path.name)) from None
        except Exception:
            raise BundleError(_("{path} is not a data bundle (it cannot be decrypted)").format(path=path.name)) from None
        data = plain.getvalue()
    elif not data.startswith(ZIP_MAGIC):
        raise BundleError(_("{path} is not a data bundle (it is not an Excel workbook)").format(path=path.name))
    _check_zip(data, path)
    return data


def _read_manifest(book, path: Path) -> Manifest:
    names = book.sheet_names
    if len(names) < 2:
        raise BundleError(_("{path} is not a data bundle (it has no manifest)").format(path=path.name))
    rows = book.get_sheet_by_index(1).to_python()
    values = {row[2]: row[1] for row in rows if len(row) >= 3 and row[2]}
    try:
        manifest = Manifest(
            station_id=str(values["station_id"]), station_name=str(values["station_name"]),
            community=str(values["community"]), public_key=str(values["public_key"]),
            created_at=str(values["created_at"]), schema=int(values["schema"]), scope=str(values["scope"]),
            counts={k: int(v) for k, v in json.loads(values["counts"]).items()},
            content_hash=str(values["content_hash"]), signature=str(values["signature"]), format=str(values["format"]))
    except (KeyError, ValueError, TypeError, json.JSONDecodeError):
        raise BundleError(_("{path} is not a data bundle, or its manifest was damaged").format(path=path.name)) from None
    if manifest.format != FORMAT:
        raise BundleError(_("{path} is a bundle of another format ({format}): update RedStation").format(
            path=path.name, format=manifest.format))
    return manifest


def verify(manifest: Manifest, path: Path) -> None:
    """The manifest is signed by the key it names; BundleError otherwise."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(manifest.public_key))
        key.verify(bytes.fromhex(manifest.signature), manifest.signed_text())
    except (ValueError, InvalidSignature):
        # not named after the station it claims: with a broken signature that claim is not to be believed either
        raise BundleError(_("{path} was altered after it was made (its signature does not match): it is "
                            "refused").format(path=path.name)) from None


def open_bundle(path: str | Path, password: str | None = None) -> Opened:
    """Check the file, read the manifest and verify its signature; no record is read yet."""
    path = Path(path)
    data = load(path, password)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        raise BundleError(_("{path} is damaged and cannot be read").format(path=path.name)) from None
    manifest = _read_manifest(book, path)
    verify(manifest, path)
    made = _parse_time(manifest.created_at)
    now = datetime.now()
    if made is not None and made > now + MAX_AHEAD:
        raise BundleError(_("{path} was made by {station} at {time}, later than the clock of this computer ({now}): "
                            "the clock of one of the two computers is wrong; set it right, then make the bundle "
                            "again").format(path=path.name, station=manifest.station_name, time=_shown_time(made),
                                            now=_shown_time(now)))
    return Opened(path, manifest, book, list(book.sheet_names))


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except (TypeError, ValueError):
        return None


def _shown_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def read_tables(opened: Opened, schema: dict[str, list[tuple[str, str]]]) -> dict[str, list[dict]]:
    """Every record of the bundle, table -> rows in their column types; checks counts and the content hash."""
    manifest, path = opened.manifest, opened.path
    found: dict[str, list[dict]] = {}
    digest = ContentHash()
    data_sheets = opened.sheet_names[2:]
    by_table: dict[str, list[str]] = {}
    sheet_table = {SHEETS[t]: t for t in SHEETS}
    for name in data_sheets:
        base = re.sub(r" \(\d+\)$", "", name)
        if base not in sheet_table:
            raise BundleError(_("{path} holds a sheet a data bundle never has ({sheet})").format(path=path.name, sheet=name))
        by_table.setdefault(sheet_table[base], []).append(name)
    unknown = set(manifest.counts) - set(SHEETS)
    ahead = "{ms:013d}".format(ms=int((time.time() + MAX_AHEAD.total_seconds()) * 1000))   # versions start with ms
    for table in [t for t in SHEETS if t in manifest.counts] + sorted(unknown):   # the order the writer hashed them in
        if table not in schema:
            raise BundleError(_("{path} carries records this program does not know ({table}): update RedStation").format(
                path=path.name, table=table))
        rows: list[dict] = []
        kinds = dict(schema[table])
        for name in by_table.get(table, []):
            grid = opened.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if len(grid) < 2:
                continue
            names = [str(c) for c in grid[1]]
            if not names or names[-1] != NULLS or any(c not in kinds for c in names[:-1]):
                raise BundleError(_("{path}: the columns of the sheet {sheet} were changed").format(path=path.name, sheet=name))
            for cells in grid[2:]:
                if not any(c != "" for c in cells):
                    continue
                cells = list(cells) + [""] * (len(names) - len(cells))
                nulls = set(json.loads(cells[-1])) if cells[-1] else set()
                row = {}
                for n, column in enumerate(names[:-1]):
                    row[column] = None if n in nulls else _typed(cells[n], kinds[column])
                rows.append(row)
        rows.sort(key=lambda r: r["id"])
        if len(rows) != manifest.counts[table]:
            raise BundleError(_("{path}: the manifest says {expected} rows of {sheet}, the file holds {found}: "
                                "it was altered").format(path=path.name, expected=manifest.counts[table],
                                                         sheet=SHEETS[table], found=len(rows)))
        for row in rows:
            digest.add(table, row)
        found[table] = rows
    if digest.hexdigest() != manifest.content_hash:
        raise BundleError(_("{path} was altered after {station} made it (its records do not match the signed "
                            "content hash): it is refused").format(path=path.name, station=manifest.station_name))
    for table, rows in found.items():
        latest = max((str(row.get("version") or "") for row in rows), default="")
        if latest[:13] > ahead:
            changed = datetime.fromtimestamp(int(latest[:13]) / 1000) if latest[:13].isdigit() else None
            raise BundleError(_("{path} holds records of {sheet} changed at {time}, later than the clock of this "
                                "computer ({now}): the clock of {station} or of this computer is wrong; set it right, "
                                "then make the bundle again").format(
                path=path.name, sheet=SHEETS.get(table, table), station=manifest.station_name,
                time=_shown_time(changed) if changed else latest, now=_shown_time(datetime.now())))
    return found
