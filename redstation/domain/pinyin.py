"""Pinyin keys of names, for search-as-you-type: ``zcs`` and ``zhangchangsuo`` find 张长锁.

A name gets every spelling a person might type, over EVERY reading of each character, not
only the common one: 长 is zhang or chang, 曾 zeng or ceng, 单 shan, dan or chan, 解 xie or
jie. Each spelling comes twice: in full (``zhangchangsuo``) and as initials (``zcs``, the
first letter of each syllable, as Chinese input methods take them). ü is spelled both u and
v (吕: ``lu`` and ``lv``). A name with many polyphonic characters is capped at
``MAX_SPELLINGS`` spellings, keeping those that use the most common readings.

The readings come from pypinyin's character table (code point -> "zhǎng,cháng", the most
common reading first), tones stripped. Letters and digits in a name spell themselves.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

MAX_SPELLINGS = 32

# Two-character surnames (复姓): the rest of the name is the given name.
COMPOUND_SURNAMES = frozenset({
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐",
    "夏侯", "轩辕", "端木", "南宫", "西门", "百里", "呼延", "万俟", "澹台", "公冶", "申屠", "太史", "闻人",
    "赫连", "钟离", "宗政", "濮阳", "独孤", "单于", "司空", "东郭", "左丘", "第五", "拓跋", "淳于",
})


def _toneless(reading: str) -> list[str]:
    """'lǘ' -> ['lu', 'lv']; 'zhǎng' -> ['zhang']."""
    decomposed = unicodedata.normalize("NFD", reading)
    spellings = []
    for variant in (decomposed, decomposed.replace("u\u0308", "v")):
        plain = "".join(c for c in variant if not unicodedata.combining(c)).lower()
        if plain not in spellings:
            spellings.append(plain)
    return spellings


@lru_cache(maxsize=None)
def _table() -> dict[int, str]:
    """pypinyin's character table, imported on first use (the package takes 0.2 s to import)."""
    from pypinyin.pinyin_dict import pinyin_dict
    return pinyin_dict


@lru_cache(maxsize=None)
def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character, the most common first; a letter or digit reads as itself."""
    table = _table().get(ord(char))
    if table is None:
        return (char.lower(),) if char.isascii() and char.isalnum() else ()
    found: list[str] = []
    for reading in table.split(","):
        for spelling in _toneless(reading):
            if spelling not in found:
                found.append(spelling)
    return tuple(found)


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name): 张长锁 -> (张, 长锁), 欧阳明 -> (欧阳, 明); a name of one or two characters keeps a one-character surname."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _combine(options: list[list[str]], cap: int) -> list[str]:
    """Joined combinations of one choice per position, at most ``cap`` of them, fewest uncommon choices first."""
    partial: list[tuple[int, str]] = [(0, "")]
    for choices in options:
        partial = sorted(((cost + rank, text + choice) for cost, text in partial for rank, choice in enumerate(choices)),
                         key=lambda item: item[0])[:cap]
    return list(dict.fromkeys(text for _cost, text in partial))


def spellings(text: str, cap: int = MAX_SPELLINGS) -> list[str]:
    """Full spellings, then initials, of ``text`` over every reading: 张长锁 -> zhangchangsuo, changchangsuo, …, zcs, ccs.

    Characters without a reading (punctuation, rare characters) are left out. Empty for empty text.
    """
    per_char = [readings(c) for c in text]
    per_char = [r for r in per_char if r]
    if not per_char:
        return []
    full = _combine([list(r) for r in per_char], cap)
    initials = _combine([list(dict.fromkeys(s[0] for s in r)) for r in per_char], cap)
    return list(dict.fromkeys(full + initials))


def name_keys(name: str) -> tuple[list[str], list[str]]:
    """(spellings of the whole name, spellings of the given name alone)."""
    _surname, given = split_name(name)
    return spellings(name), spellings(given)
