"""The search index over residents: name, pinyin, phone and id-number tails, building-room.

Tables (migration 0002):

  search_index   FTS5, tokenizer unicode61 (``-`` kept inside tokens), one row per findable resident;
                 columns below, each holding space-separated tokens
  search_keys    rowid INTEGER PRIMARY KEY -> resident_id: the index's row ids (an INTEGER PRIMARY
                 KEY survives VACUUM, the implicit rowid of ``residents`` would not)
  search_dirty   the residents to reindex, filled by triggers on residents and households, so no
                 write path can forget; ``refresh`` drains it inside the caller's transaction

Columns of search_index for 张长锁, phone 13812345678, 阳光花园 3号楼 1单元 304室:

  name    张长锁                        the whole name as one token: exact name
  chars   张 长 锁                      one character per token: phrase queries at any length
                                        (trigram would miss 1-2 character queries)
  pinyin  zhangchangsuo zcs …           whole-name spellings over every reading (domain.pinyin)
  given   changsuo cs …                 the given name alone
  tail    87654321831 x321…201073       phone and id numbers reversed: a tail is a prefix query,
                                        the whole number an exact one
  room    304 3-304 3-1-304             room, building-room, building-unit-room, normalised
  estate  ␣阳 ␣光 ␣花 ␣园                one character per token, each behind ESTATE_MARK (␣): tokens of
                                        their own, so that a name query never wades through the estates
                                        of all residents (园 is in few names and in half the estates)
  state   gone                          only for residents who moved out or died

Searching runs tiers, best first, each a MATCH with a LIMIT that stops early (no sorting of
thousands of matches); results are deduplicated across tiers. Living residents come first,
then the ones who moved out or died; deleted residents are not in the index at all.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

from redstation.domain import pinyin

BATCH = 2000
COLUMNS = ("name", "chars", "pinyin", "given", "tail", "room", "estate", "state")
ESTATE_MARK = "\ue000"  # a private-use character: unicode61 keeps it inside the token, nobody types it

# Words around building, unit and room numbers: 3号楼, 6栋, 2幢, A座, 12#, 1单元, 304室, 5号.
_ADDRESS_WORDS = re.compile("号楼|单元|栋|幢|座|室|号|#")
_HAN = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_DIGITS = re.compile(r"\d+x?")
_PHONE = re.compile(r"(?:86)?(1[3-9]\d{9})|(0\d{9,11})")  # a mobile (maybe with +86), or a landline with its area code
_ESTATE_AND_ROOM = re.compile(r"([^\d\s]+?)(\d.*)")        # 阳光花园3-2-301: an estate written straight before the room


# ---- normalising ---------------------------------------------------------------------------

def _fold(text: str | None) -> str:
    """Full-width to ASCII (NFKC), lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def _alnum(text: str | None) -> str:
    """Letters, digits and Chinese characters only: 张·长锁 -> 张长锁, 138-1234 5678 -> 13812345678."""
    return "".join(c for c in _fold(text) if c.isalnum())


def address_key(text: str | None) -> str:
    """A building, unit or room as typed into the index: 3号楼 -> 3, ６栋 -> 6, 1单元 -> 1, 304室 -> 304, 2-101 -> 2-101."""
    parts = re.split(r"[^0-9a-z\u3400-\u9fff]+", _ADDRESS_WORDS.sub("-", _fold(text)))
    return "-".join(p for p in parts if p)


def room_tokens(building: str | None, unit: str | None, room: str | None) -> list[str]:
    """304, 3-304, 3-1-304 for room 304 of building 3, unit 1."""
    building, unit, room = address_key(building), address_key(unit), address_key(room)
    if not room:
        return []
    tokens = [room, room.rsplit("-", 1)[-1]]  # a room written 1-304 (unit-room) is also room 304
    if building:
        tokens.append("{b}-{r}".format(b=building, r=room))
        if unit:
            tokens.append("{b}-{u}-{r}".format(b=building, u=unit, r=room))
    return list(dict.fromkeys(tokens))


def _estate_tokens(text: str) -> str:
    return " ".join(ESTATE_MARK + c for c in text)


def document(name: str, id_number: str | None, phones: list[str | None], estate: str, building: str, unit: str,
             room: str, status: str) -> dict[str, str]:
    """The index row of one resident: column -> space-separated tokens."""
    name = _alnum(name)
    full, given = pinyin.name_keys(name)
    numbers = dict.fromkeys(t for t in [_alnum(p) for p in phones] + [_alnum(id_number)] if t)
    return {
        "name": name,
        "chars": " ".join(name),
        "pinyin": " ".join(full),
        "given": " ".join(given),
        "tail": " ".join(t[::-1] for t in numbers),
        "room": " ".join(room_tokens(building, unit, room)),
        "estate": _estate_tokens(_alnum(estate)),
        "state": "" if status == "active" else "gone",
    }


# ---- keeping the index up to date -------------------------------------------------------------

_DIRTY_SQL = """
    SELECT d.resident_id, k.rowid AS key, r.name, r.id_number, r.phone, r.status, r.deleted,
           h.estate, h.building, h.unit, h.room, h.phone AS household_phone, h.deleted AS household_deleted
    FROM (SELECT resident_id FROM search_dirty LIMIT ?) d
    LEFT JOIN search_keys k ON k.resident_id = d.resident_id
    LEFT JOIN residents r ON r.id = d.resident_id
    LEFT JOIN households h ON h.id = r.household_id"""
_INSERT_SQL = "INSERT INTO search_index (rowid, {cols}) VALUES (?, {marks})".format(
    cols=", ".join(COLUMNS), marks=", ".join("?" * len(COLUMNS)))


def pending(conn: sqlite3.Connection) -> bool:
    """True when residents wait to be (re)indexed."""
    return conn.execute("SELECT 1 FROM search_dirty LIMIT 1").fetchone() is not None


def refresh(conn: sqlite3.Connection) -> int:
    """Reindex the residents queued in search_dirty and empty the queue; returns how many.

    Runs inside the caller's transaction. A deleted resident, or one of a deleted household,
    leaves the index; every other one is indexed with its household's address and phone.
    """
    done = 0
    next_key = None
    while True:
        rows = conn.execute(_DIRTY_SQL, (BATCH,)).fetchall()
        if not rows:
            return done
        stale, dropped, new_keys, documents = [], [], [], []
        for row in rows:
            key = row["key"]
            if key is not None:
                stale.append((key,))
            if row["name"] is None or row["deleted"] or row["household_deleted"] is None or row["household_deleted"]:
                if key is not None:
                    dropped.append((key,))
                continue
            if key is None:
                if next_key is None:
                    next_key = conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM search_keys").fetchone()[0]
                key, next_key = next_key, next_key + 1
                new_keys.append((key, row["resident_id"]))
            doc = document(row["name"], row["id_number"], [row["phone"], row["household_phone"]], row["estate"],
                           row["building"], row["unit"], row["room"], row["status"])
            documents.append((key, *(doc[c] for c in COLUMNS)))
        conn.executemany("DELETE FROM search_index WHERE rowid = ?", stale)
        conn.executemany("DELETE FROM search_keys WHERE rowid = ?", dropped)
        conn.executemany("INSERT INTO search_keys (rowid, resident_id) VALUES (?, ?)", new_keys)
        conn.executemany(_INSERT_SQL, documents)
        conn.executemany("DELETE FROM search_dirty WHERE resident_id = ?", [(row["resident_id"],) for row in rows])
        done += len(rows)


# ---- searching ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    kind: str   # "name", "pinyin", "digits" or "room"
    text: str   # normalised: 张长锁, zcs, 123x, 3-1-304


def _is_address(word: str) -> bool:
    """3号楼304, 6栋1单元: digits with address words and no other Chinese."""
    return any(c.isdigit() for c in word) and not _HAN.search(_ADDRESS_WORDS.sub("", word))


def parse(text: str | None) -> list[Term]:
    """The whitespace-separated terms of a query, normalised and classified; empty for a blank query.

    Chinese is a name (or an estate), letters are pinyin (words of pinyin in a row are one name:
    zhang san), digits (with a final x) the tail of a phone or id number or a room, anything
    else (3-304, 3号楼1单元304室) a building-room.
    """
    phone_number = _PHONE.fullmatch(re.sub(r"[\s\-()+]", "", _fold(text)))
    if phone_number:  # 138-1234-5678, 138 1234 5678, +86 13812345678, 0531-88886666: one number, not several terms
        return [Term("digits", phone_number.group(1) or phone_number.group(2))]
    plain = unicodedata.normalize("NFD", _fold(text).replace("ü", "v"))
    plain = unicodedata.normalize("NFC", "".join(c for c in plain if not unicodedata.combining(c)))  # zhāng -> zhang
    terms = []
    for word in plain.split():
        letters = _alnum(word)
        glued = _ESTATE_AND_ROOM.fullmatch(word)
        if glued and _HAN.search(glued.group(1)) and _is_address(glued.group(2)) and address_key(glued.group(2)):
            terms += [Term("name", _alnum(glued.group(1))), Term("room", address_key(glued.group(2)))]
        elif _HAN.search(word) and not _is_address(word):
            terms.append(Term("name", letters))
        elif letters.isascii() and letters.isalpha():   # also xi'an, zhang-san
            if terms and terms[-1].kind == "pinyin":     # zhang chang suo is one name
                letters = terms.pop().text + letters
            terms.append(Term("pinyin", letters))
        elif _DIGITS.fullmatch(word):
            terms.append(Term("digits", word))
        elif address_key(word):
            terms.append(Term("room", address_key(word)))
    return terms


def _quote(text: str) -> str:
    return '"{t}"'.format(t=text.replace('"', '""'))


def tiers(term: Term) -> list[str]:
    """FTS5 expressions for one term, best match first."""
    quoted = _quote(term.text)
    if term.kind == "name":
        chars = _quote(" ".join(term.text))
        estate = _quote(_estate_tokens(term.text))
        return ["name : {q}".format(q=quoted),      # exactly this name
                "chars : ^{c}".format(c=chars),     # a name starting with it
                "chars : {c}".format(c=chars),      # a name containing it
                "estate : {e}".format(e=estate)]    # living in an estate of that name
    if term.kind == "pinyin":
        return ["pinyin : {q}".format(q=quoted),    # the whole name: zcs, zhangchangsuo
                "pinyin : {q}*".format(q=quoted),   # the whole name, while typing: zhangch
                "given : {q}*".format(q=quoted)]    # the given name alone: cs, changsuo
    if term.kind == "digits":
        backwards = _quote(term.text[::-1])
        return ["tail : {b}".format(b=backwards),   # the whole phone or id number
                "tail : {b}*".format(b=backwards),  # its last digits
                "room : {q}*".format(q=quoted)]     # a room number
    return ["room : {q}".format(q=quoted),          # this building-room
            "room : {q}*".format(q=quoted)]         # while typing: 3-30


def plans(terms: list[Term]) -> list[str]:
    """One FTS5 expression per tier of the first term, each ANDed with every other term (any of its tiers)."""
    if not terms:
        return []
    first, *rest = terms
    others = "".join(" AND ({any})".format(any=" OR ".join("({t})".format(t=t) for t in tiers(term))) for term in rest)
    return ["({tier}){others}".format(tier=tier, others=others) for tier in tiers(first)]


def find(conn: sqlite3.Connection, text: str | None, limit: int = 20) -> list[str]:
    """Ids of the residents matching ``text``, best match first, at most ``limit``."""
    found: dict[int, None] = {}
    for state in ("({plan}) NOT state : gone", "({plan}) AND state : gone"):  # the living first
        for plan in plans(parse(text)):
            if len(found) >= limit:
                break
            rows = conn.execute("SELECT rowid FROM search_index WHERE search_index MATCH ? LIMIT ?",
                                (state.format(plan=plan), limit + len(found)))
            for (rowid,) in rows:
                found.setdefault(rowid)
    keys = list(found)[:limit]
    if not keys:
        return []
    ids = dict(conn.execute("SELECT rowid, resident_id FROM search_keys WHERE rowid IN ({marks})".format(
        marks=", ".join("?" * len(keys))), keys).fetchall())
    return [ids[key] for key in keys if key in ids]
