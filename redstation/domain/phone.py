"""Mainland mobile numbers: 11 digits starting 13-19, written with +86, spaces or dashes."""

from __future__ import annotations

import re
import unicodedata

from redstation import RedStationError
from redstation.i18n import _

_MOBILE = re.compile(r"1[3-9]\d{9}")


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
