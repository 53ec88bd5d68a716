"""Mainland phone numbers: mobiles (11 digits starting 13-19, written with +86, spaces or dashes)
and landlines with their area code (0531-88881234)."""

from __future__ import annotations

import re
import unicodedata

from redstation import RedStationError
from redstation.i18n import _

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Area codes 010 and 02x have three digits, the others four.
_LANDLINE = re.compile(r"(0[12]\d|0[3-9]\d\d)-?([2-9]\d{6,7})")


class PhoneError(RedStationError):
    pass


def normalize_mobile(text: str) -> str:
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", str(text)))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _MOBILE.fullmatch(digits):
        raise PhoneError(_("{text} is not a mainland mobile number (11 digits starting with 13 to 19)").format(text=text))
    return digits


def mask(phone: str | None) -> str:
    """138****5678."""
    if not phone:
        return ""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 11 else phone[:-4] + "****"


def normalize(text: str) -> str:
    """A mobile as 11 digits, or a landline as AREA-NUMBER; PhoneError for anything else."""
    written = re.sub(r"[\s()]", "", unicodedata.normalize("NFKC", str(text)))
    landline = _LANDLINE.fullmatch(written)
    if landline:
        return "{area}-{number}".format(area=landline.group(1), number=landline.group(2))
    try:
        return normalize_mobile(written)
    except PhoneError:
        raise PhoneError(_("{text} is not a phone number (a mobile has 11 digits starting with 13 to 19, "
                           "a landline its area code: 0531-88881234)").format(text=text)) from None
