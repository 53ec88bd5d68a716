"""Resident identity numbers (居民身份证号码, GB 11643-1999).

18 characters: a 6-digit region code, the birth date YYYYMMDD, a 3-digit sequence
whose last digit is odd for men and even for women, and a check character computed
with ISO 7064 MOD 11-2. Legacy 15-digit numbers (YYMMDD, no check) are upgraded.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from redstation import RedStationError
from redstation.i18n import _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits of GB/T 2260 region codes: mainland provinces, Hong Kong, Macao, Taiwan.
PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)


class IdNumberError(RedStationError):
    pass


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "M" or "F"
    upgraded: bool = False  # True when given as a legacy 15-digit number


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalize(text: str) -> str:
    """Full-width digits to ASCII, spaces dropped, a lower-case x made upper-case."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).upper()


def parse(text: str, today: date | None = None) -> IdNumber:
    """Validate an id number and derive birth date and sex, or raise IdNumberError saying why."""
    raw = normalize(text)
    upgraded = False
    if len(raw) == 15:
        if not raw.isdigit():
            raise IdNumberError(_("A 15-digit id number must contain digits only"))
        body = raw[:6] + "19" + raw[6:]
        raw = body + check_char(body)
        upgraded = True
    if len(raw) != 18:
        raise IdNumberError(_("An id number has 18 characters, this one has {count}").format(count=len(raw)))
    if not raw[:17].isdigit() or not (raw[17].isdigit() or raw[17] == "X"):
        raise IdNumberError(_("An id number is 17 digits followed by a digit or X"))
    if int(raw[:2]) not in PROVINCES:
        raise IdNumberError(_("The region code {code} of the id number does not exist").format(code=raw[:6]))
    try:
        birth = date(int(raw[6:10]), int(raw[10:12]), int(raw[12:14]))
    except ValueError:
        raise IdNumberError(_("The birth date {digits} in the id number is not a date").format(digits=raw[6:14])) from None
    if birth > (today or date.today()) or birth.year < 1880:
        raise IdNumberError(_("The birth date {birth} in the id number is impossible").format(birth=birth.isoformat()))
    if check_char(raw[:17]) != raw[17]:
        raise IdNumberError(_("The check character of the id number is wrong: the number was mistyped"))
    return IdNumber(raw, birth, "M" if int(raw[16]) % 2 else "F", upgraded)


def make(region: str, birth: date, sequence: int, gender: str) -> str:
    """Build a valid 18-digit number (for sample data). ``sequence`` is 0..499."""
    seq = sequence % 500 * 2 + (1 if gender == "M" else 0)
    body = "{region}{birth:%Y%m%d}{seq:03d}".format(region=region, birth=birth, seq=seq)
    return body + check_char(body)


def mask(number: str | None) -> str:
    """Show region prefix and last four characters only: 370102********123X."""
    if not number:
        return ""
    return number[:6] + "*" * (len(number) - 10) + number[-4:] if len(number) > 10 else "*" * len(number)
