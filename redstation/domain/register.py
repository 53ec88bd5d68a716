"""Rules of the register: what a household or a resident may hold, and how typed values are read.

The same functions check a form as the user types and a row of an imported ledger, so the
two never disagree. Each problem is a ``FieldError`` naming the field and saying what is
wrong, in words a front-desk clerk understands.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain.vocab import CARE_CATEGORIES, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.i18n import N_, _

# Field names as the user sees them (forms, import messages, ledger headers).
HOUSEHOLD_FIELDS = {
    "estate": N_("Estate"),
    "building": N_("Building"),
    "unit": N_("Unit"),
    "room": N_("Room"),
    "residence_type": N_("Residence type"),
    "phone": N_("Household phone"),
    "visit_interval_hours": N_("Own visit interval (hours)"),
    "notes": N_("Notes"),
}
RESIDENT_FIELDS = {
    "name": N_("Name"),
    "id_number": N_("Id number"),
    "gender": N_("Sex"),
    "birth_date": N_("Date of birth"),
    "phone": N_("Phone"),
    "relation": N_("Relation to head"),
    "status": N_("Status"),
    "care_categories": N_("Care categories"),
    "care_notes": N_("Care notes"),
    "emergency_contacts": N_("Emergency contacts"),
    "notes": N_("Notes"),
}


class FieldError(RedStationError):
    """A value the register cannot take; ``field`` is the key in HOUSEHOLD_FIELDS / RESIDENT_FIELDS."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# Characters nobody sees, which a copy from a web page or a chat leaves in a cell: soft hyphen, zero-width space and
# joiners, direction marks, word joiner, byte order mark.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"))


def text(value) -> str:
    """A typed or imported value as clean text: full-width to ASCII (NFKC), invisible characters dropped, spaces
    collapsed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    written = unicodedata.normalize("NFKC", str(value))
    if not written.isprintable():  # a control or format character (invisible), or a line break
        written = written.translate(_INVISIBLE)
    return " ".join(written.split())


_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"
# The dots people type between the parts of a name (阿卜杜拉·买买提) with one input method or another; the standard
# one is the middle dot U+00B7. (NFKC has already made ． a full stop and ･ a ・.)
_NAME_DOTS = dict.fromkeys(map(ord, "•・‧●∙⋅⸱◦"), "·")
_NAME_DOT = re.compile(r" ?· ?|(?<={cjk}) ?\. ?(?={cjk})".format(cjk=_CJK))


def note(value) -> str:
    """Free text (notes, care notes) as typed, trimmed; its punctuation and line breaks are kept."""
    return "" if value is None else str(value).strip()


def clean_name(value) -> str:
    """A name with the spaces ledgers put inside two-character names (张  三) removed, and the dot between the parts
    of a name, however it was typed (•, ・, ．, ‧, ●), made the middle dot: 阿卜杜拉•买买提 is 阿卜杜拉·买买提."""
    name = text(value)
    if name.isascii():
        return name
    name = name.translate(_NAME_DOTS)
    if "·" in name or "." in name:
        name = _NAME_DOT.sub("·", name)
    return _NAME_SPACE.sub("", name)


_NAME_SPACE = re.compile(r"(?<={cjk}) (?={cjk})".format(cjk=_CJK))


_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _chinese_number(word: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23; anything else unchanged."""
    if not word or any(c not in _NUMERALS and c != "十" for c in word):
        return word
    if "十" not in word:
        return "".join(str(_NUMERALS[c]) for c in word)
    tens, _sep, ones = word.partition("十")
    if "十" in ones:
        return word
    return str((_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0))


def _address_part(value, suffix: re.Pattern) -> str:
    part = text(value).replace(" ", "").upper()
    if part.isdigit():
        return part
    part = suffix.sub("", part.removeprefix("第"))
    return _chinese_number(part)


_BUILDING_SUFFIX = re.compile(r"(?:号楼|号栋|栋|幢|座|楼|号|#)$")
_UNIT_SUFFIX = re.compile(r"(?:单元|门|号)$")
_ROOM_SUFFIX = re.compile(r"(?:室|号|户)$")


def building(value) -> str:
    """6栋, 6号楼, 6幢, 6#, 第六栋 and 6 are the same building: 6. 'A座' is A."""
    return _address_part(value, _BUILDING_SUFFIX)


def unit(value) -> str:
    """2单元, 二单元, 2 are the same unit: 2."""
    return _address_part(value, _UNIT_SUFFIX)


def room(value) -> str:
    """301室, 301号, 301 are the same room: 301."""
    return _address_part(value, _ROOM_SUFFIX)


def estate(value) -> str:
    """An estate's name as written (spaces tidied); ``estate_key`` tells two spellings of one estate."""
    return text(value)


def estate_key(value) -> str:
    """What two spellings of one estate share: 阳光花园小区 and 阳光花园 are the same estate (a trailing 小区 is left
    out where at least two characters remain: 幸福小区 is 幸福, 乙小区 stays), spaces do not count. The register
    keeps the spelling it met first (``services.register.registered_estate``)."""
    name = text(value).replace(" ", "")
    if name.endswith("小区") and len(name) >= 4:
        return name[:-2]
    return name


_ROOM = re.compile(r"(?:(?P<building>[0-9A-Z一二三四五六七八九十]+)(?:号楼|栋|幢|座|#))?"
                   r"(?:(?P<unit>[0-9一二三四五六七八九十]+)单元)?"
                   r"(?P<room>[0-9A-Z]+(?:-[0-9A-Z]+)*)(?:室|号|户)?")


def split_room(value) -> tuple[str, str, str]:
    """(building, unit, room) of a room as written, building and unit empty where it does not name them.

    ``1单元103``, ``1-101`` and ``2-301`` name the unit, ``6-1-105`` and ``3号楼2单元301`` the building
    too, as the address parser reads them; ``301室`` is room 301, and ``308-1`` is a room (the
    part before the dash is a unit only when it has one or two digits and the part after it three or more).
    """
    written = text(value).replace(" ", "").upper()
    if written.isdigit():
        return "", "", written
    found = _ROOM.fullmatch(written)
    if not found:
        return "", "", written
    building_, unit_, room_ = found["building"] or "", found["unit"] or "", found["room"]
    parts = room_.split("-")
    if len(parts) == 3 and not (building_ or unit_) and all(p.isdigit() for p in parts):
        building_, unit_, room_ = parts
    elif len(parts) == 2 and not unit_ and parts[0].isdigit() and len(parts[0]) <= 2 and parts[1].isdigit() \
            and len(parts[1]) >= 3:
        unit_, room_ = parts
    return building(building_) if building_ else "", unit(unit_) if unit_ else "", room_


def floor(room_: str) -> int | None:
    """The floor of a room number as buildings number them: 301 → 3, 1203 → 12."""
    digits = re.match(r"(\d+)", room_ or "")
    if not digits or len(digits.group(1)) < 3:
        return None
    return int(digits.group(1)[:-2]) or None


_ADDRESS = re.compile(r"^(?P<building>[0-9A-Z一二三四五六七八九十]+)(?:号楼|号|栋|幢|座|#|-)"
                      r"(?:(?P<unit>[0-9一二三四五六七八九十]+)(?:单元|-))?"
                      r"(?P<room>[0-9]+(?:-[0-9]+)?)(?:室|号)?$")  # 308-1: a room numbered within 308


def split_address(value) -> tuple[str, str, str] | None:
    """'3号楼2单元301室', '3-2-301', '3栋301' → (building, unit, room); None if it is not such an address."""
    match = _ADDRESS.match(text(value).replace(" ", "").upper())
    if not match:
        return None
    return building(match["building"]), unit(match["unit"] or ""), room(match["room"])


_EXCEL_EPOCH = date(1899, 12, 30)
_TIME_OF_DAY = re.compile(r"(?<=\d)(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")


def parse_date(value, field: str = "birth_date") -> date | None:
    """A date as people write it: 1949-10-01, 1949.10.1, 1949/10/1, 1949年10月1日, 19491001, or a date cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 29991231:
            value = str(int(value))
        elif 10000 <= value < 2958466:  # a date cell that arrived as Excel's day number (1927 on)
            return _EXCEL_EPOCH + timedelta(days=int(value))
        # A smaller number is a year (1949) or a year and month Excel made a number (1949.10 → 1949.1), not a day.
    written = _TIME_OF_DAY.sub("", text(value)).replace(" ", "")  # 1949-10-01 00:00:00, as some programs export a date
    match = (re.fullmatch(r"(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?", written)
             or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", written))
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise FieldError(field, _("{value} is not a date (write it as 1949-10-01)").format(value=written))


_WHOLE_NUMBER = re.compile(r"(\d+)\.0+")
_LANDLINE = re.compile(r"\(?(0\d{2,3})\)?[\s-]*([2-9]\d{2,3})[\s-](\d{4})")


def phone_number(written: str) -> str:
    """A phone as stored (13800138000, 0531-88881234) from a text; phone.PhoneError when it is none.

    Also ``13800138000.0`` (a number cell saved as text) and a landline written with a dash in
    its number (``021-6234-5678``).
    """
    whole = _WHOLE_NUMBER.fullmatch(written) if "." in written else None
    if whole:
        written = whole[1]
    landline = _LANDLINE.fullmatch(written) if written[:1] in ("0", "(") else None
    if landline:
        written = "{area}-{number}{rest}".format(area=landline[1], number=landline[2], rest=landline[3])
    return phone.normalize(written)


def clean_phone(value, field: str = "phone") -> str:
    """A mobile (138 1234 5678, +86…) or a landline with area code (0531-88881234); empty is allowed."""
    written = text(value)
    if not written:
        return ""
    try:
        return phone_number(written)
    except phone.PhoneError as exc:
        raise FieldError(field, str(exc)) from None


_ID_NOISE = re.compile(r"[\s\-‐‑‒–—―]")


def id_text(value) -> str:
    """An id number as typed, without what the eye does not count: full-width forms, spaces, dashes and invisible
    characters dropped, x made X (3701 0219 4910 0112 3X, 370102-19491001-123X)."""
    return _ID_NOISE.sub("", text(value)).upper()


# The longest a field may be (characters): what a person's name, an address or a note can sensibly hold. A ledger cell
# of 30,000 characters is a mistake (a pasted column, a broken file) and is refused with its row, not stored.
LONGEST = {"name": 60, "estate": 50, "building": 20, "unit": 20, "room": 20, "notes": 2000, "care_notes": 2000}


def _not_too_long(out: dict, labels: dict) -> None:
    for field, most in LONGEST.items():
        value = out.get(field)
        if isinstance(value, str) and len(value) > most:
            raise FieldError(field, _("{field} is too long: {count} characters, at most {most}").format(
                field=label(labels, field), count=len(value), most=most))


def clean_household(values: dict) -> dict:
    """The household fields of ``values``, checked and normalised; raises FieldError."""
    out = {"estate": estate(values.get("estate")), "building": building(values.get("building")),
           "unit": unit(values.get("unit"))}
    written = values.get("room")
    within_building, within_unit, room_ = split_room(written)
    for field, within in (("building", within_building), ("unit", within_unit)):
        if within and out[field] and out[field] != within:
            raise FieldError("room", _("The room {room} names {field} {within}, not {given}").format(
                room=text(written), field=label(HOUSEHOLD_FIELDS, field), within=within, given=out[field]))
        out[field] = within or out[field]
    out["room"] = room(room_)
    for field in ("estate", "building", "room"):
        if not out[field]:
            raise FieldError(field, _("{field} must not be empty").format(field=label(HOUSEHOLD_FIELDS, field)))
    out["floor"] = floor(out["room"])
    kind = values.get("residence_type") or "owner"
    if kind not in RESIDENCE_TYPES:
        raise FieldError("residence_type", _("Unknown residence type {value}").format(value=kind))
    out["residence_type"] = kind
    out["phone"] = clean_phone(values.get("phone"))
    interval = values.get("visit_interval_hours")
    if interval in (None, ""):
        out["visit_interval_hours"] = None
    else:
        try:
            hours = int(text(interval))
        except ValueError:
            hours = 0
        if hours < 1:
            raise FieldError("visit_interval_hours", _("A visit interval is a whole number of hours, 1 or more"))
        out["visit_interval_hours"] = hours
    out["notes"] = note(values.get("notes"))
    _not_too_long(out, HOUSEHOLD_FIELDS)
    return out


def clean_contacts(contacts) -> list[dict]:
    """Emergency contacts [{name, relation, phone}]: a contact needs a name and a phone."""
    out = []
    for number, contact in enumerate(contacts or [], start=1):
        name, relation = clean_name(contact.get("name")), text(contact.get("relation"))
        number_ = clean_phone(contact.get("phone"), "emergency_contacts")
        if not (name or relation or number_):
            continue
        if not name or not number_:
            raise FieldError("emergency_contacts", _("Emergency contact {n} needs a name and a phone").format(n=number))
        out.append({"name": name, "relation": relation, "phone": number_})
    return out


def clean_resident(values: dict, today: date | None = None) -> dict:
    """The resident fields of ``values``, checked and normalised; raises FieldError.

    With an id number, birth date and sex come from it; typed ones must agree with it.
    """
    out = {"name": clean_name(values.get("name"))}
    if not out["name"]:
        raise FieldError("name", _("{field} must not be empty").format(field=label(RESIDENT_FIELDS, "name")))
    birth = parse_date(values.get("birth_date"))
    gender = values.get("gender") or None
    if gender not in (None, "M", "F"):
        raise FieldError("gender", _("Sex is male or female, not {value}").format(value=gender))
    number = id_text(values.get("id_number"))
    if number:
        try:
            parsed = idnumber.parse(number, today)
        except idnumber.IdNumberError as exc:
            raise FieldError("id_number", str(exc)) from None
        if birth is not None and birth != parsed.birth_date:
            raise FieldError("birth_date", _("The date of birth {typed} differs from the id number's {derived}").format(
                typed=birth.isoformat(), derived=parsed.birth_date.isoformat()))
        if gender is not None and gender != parsed.gender:
            raise FieldError("gender", _("The sex differs from the id number's ({sex})").format(
                sex=_("Male") if parsed.gender == "M" else _("Female")))
        number, birth, gender = parsed.number, parsed.birth_date, parsed.gender
    elif birth is not None and birth > (today or date.today()):
        raise FieldError("birth_date", _("The date of birth {birth} is in the future").format(birth=birth.isoformat()))
    out.update(id_number=number or None, birth_date=birth.isoformat() if birth else None, gender=gender)
    out["phone"] = clean_phone(values.get("phone"))
    relation = values.get("relation") or "head"
    if relation not in RELATIONS:
        raise FieldError("relation", _("Unknown relation {value}").format(value=relation))
    status = values.get("status") or "active"
    if status not in RESIDENT_STATUSES:
        raise FieldError("status", _("Unknown status {value}").format(value=status))
    categories = list(dict.fromkeys(values.get("care_categories") or []))
    unknown = [c for c in categories if c not in CARE_CATEGORIES]
    if unknown:
        raise FieldError("care_categories", _("Unknown care category {value}").format(value=unknown[0]))
    out.update(relation=relation, status=status, care_categories=categories,
               care_notes=note(values.get("care_notes")),
               emergency_contacts=clean_contacts(values.get("emergency_contacts")),
               notes=note(values.get("notes")))
    _not_too_long(out, RESIDENT_FIELDS)
    return out
