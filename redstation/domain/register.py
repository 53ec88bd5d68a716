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


def text(value) -> str:
    """A typed or imported value as clean text: full-width to ASCII (NFKC), spaces collapsed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


_CJK = r"[\u3400-\u9fff\uf900-\ufaff]"


def note(value) -> str:
    """Free text (notes, care notes) as typed, trimmed; its punctuation and line breaks are kept."""
    return "" if value is None else str(value).strip()


def clean_name(value) -> str:
    """A name with the spaces ledgers put inside two-character names (张  三) removed."""
    return re.sub(r"(?<={cjk}) (?={cjk})".format(cjk=_CJK), "", text(value))


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


def _address_part(value, suffixes: str) -> str:
    part = text(value).replace(" ", "").upper()
    part = re.sub(r"^第", "", part)
    part = re.sub(r"(?:{s})$".format(s=suffixes), "", part)
    return _chinese_number(part)


def building(value) -> str:
    """6栋, 6号楼, 6幢, 6#, 第六栋 and 6 are the same building: 6. 'A座' is A."""
    return _address_part(value, r"号楼|号栋|栋|幢|座|楼|号|#")


def unit(value) -> str:
    """2单元, 二单元, 2 are the same unit: 2."""
    return _address_part(value, r"单元|门|号")


def room(value) -> str:
    """301室, 301号, 301 are the same room: 301."""
    return _address_part(value, r"室|号|户")


def floor(room_: str) -> int | None:
    """The floor of a room number as buildings number them: 301 → 3, 1203 → 12."""
    digits = re.match(r"(\d+)", room_ or "")
    if not digits or len(digits.group(1)) < 3:
        return None
    return int(digits.group(1)[:-2]) or None


_ADDRESS = re.compile(r"^(?P<building>[0-9A-Z一二三四五六七八九十]+)(?:号楼|号|栋|幢|座|#|-)"
                      r"(?:(?P<unit>[0-9一二三四五六七八九十]+)(?:单元|-))?"
                      r"(?P<room>[0-9]+)(?:室|号)?$")


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


def clean_phone(value, field: str = "phone") -> str:
    """A mobile (138 1234 5678, +86…) or a landline with area code (0531-88881234); empty is allowed."""
    written = text(value)
    if not written:
        return ""
    try:
        return phone.normalize(written)
    except phone.PhoneError as exc:
        raise FieldError(field, str(exc)) from None


def clean_household(values: dict) -> dict:
    """The household fields of ``values``, checked and normalised; raises FieldError."""
    out = {}
    for field, reader in (("estate", text), ("building", building), ("unit", unit), ("room", room)):
        out[field] = reader(values.get(field))
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
    number = text(values.get("id_number")).replace(" ", "")
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
    return out
