"""The embedded Chinese font of every PDF: WenQuanYi Micro Hei, shipped in resources/fonts.

reportlab embeds (and subsets) TrueType outlines only; the CFF-outline CJK fonts (Noto,
Source Han) cannot be embedded, and a non-embedded ``STSong-Light`` prints as boxes on a PC
without Chinese fonts. So every document uses this one face, subfont 0 of the collection.
The face has no bold: ``<b>`` maps to the same face, and titles are drawn with a stroked
outline instead (see ``document.Title``).
"""

from __future__ import annotations

import threading

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from redstation.paths import font_path

FONT = "WenQuanYiMicroHei"
_lock = threading.Lock()


def register_fonts() -> str:
    """Register the font with reportlab once (safe from any thread); returns its name."""
    with _lock:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(FONT, bold, italic, FONT)
    return FONT
