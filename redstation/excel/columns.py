"""What the columns of a ledger mean: the header wordings real ledgers use, and their value wordings.

Street offices, estates and years each word their ledger headers differently (姓名 /
居民姓名, 身份证号 / 公民身份号码 / 证件号码 …). ``header_field`` maps a header cell to a
field of ``FIELDS`` after ``header_key`` has ignored spaces, line breaks, full-width forms,
``*`` marks and bracketed hints (``联系电话（手机）``). The value tables map what people
write in the cells (孤寡老人, 80岁以上, 退伍军人 …) to the register's codes.
"""

from __future__ import annotations

import re
import unicodedata

from redstation.domain.register import HOUSEHOLD_FIELDS, RESIDENT_FIELDS
from redstation.domain.vocab import CARE_CATEGORIES, RELATIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, label
from redstation.i18n import N_, language

# The fields a ledger column can hold, with their labels (the choices of the mapping dialog).
FIELDS = {
    "name": RESIDENT_FIELDS["name"],
    "id_number": RESIDENT_FIELDS["id_number"],
    "gender": RESIDENT_FIELDS["gender"],
    "birth_date": RESIDENT_FIELDS["birth_date"],
    "phone": RESIDENT_FIELDS["phone"],
    "other_phone": N_("Other phone"),
    "estate": HOUSEHOLD_FIELDS["estate"],
    "building": HOUSEHOLD_FIELDS["building"],
    "unit": HOUSEHOLD_FIELDS["unit"],
    "room": HOUSEHOLD_FIELDS["room"],
    "address": N_("Address"),
    "relation": RESIDENT_FIELDS["relation"],
    "political_status": N_("Political status"),
    "care_categories": RESIDENT_FIELDS["care_categories"],
    "residence_type": HOUSEHOLD_FIELDS["residence_type"],
    "status": RESIDENT_FIELDS["status"],
    "care_notes": RESIDENT_FIELDS["care_notes"],
    "emergency_contact": RESIDENT_FIELDS["emergency_contacts"],
    "emergency_phone": N_("Emergency contact phones"),
    "notes": RESIDENT_FIELDS["notes"],
}
ADDRESS_FIELDS = ("estate", "building", "unit", "room", "address")
# Columns that hold numbers a spreadsheet must keep as text.
TEXT_FIELDS = ("id_number", "phone", "other_phone", "emergency_phone")

# Header wordings (after header_key) of each field.
HEADERS = {
    "name": ("姓名", "居民姓名", "人员姓名", "成员姓名", "名字"),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "证件号码", "身份证", "身份证件号码", "居民身份证号码",
                  "公民身份证号码", "公民身份证号", "居民身份证号", "证件号", "身份证件号"),
    "gender": ("性别",),
    "birth_date": ("出生日期", "出生年月", "出生年月日", "生日"),
    "phone": ("联系电话", "手机号码", "手机", "电话", "联系方式", "手机号", "电话号码", "联系号码", "本人电话",
              "联系电话1", "电话1", "手机1", "手机号码1", "联系方式1", "电话号码1"),
    # A second phone column: its numbers go to the notes (其他电话：…), or become the phone when the first is empty.
    "other_phone": ("联系电话2", "电话2", "手机2", "手机号码2", "联系方式2", "电话号码2", "其他电话", "备用电话",
                    "其他联系电话", "联系电话二"),
    "estate": ("小区", "小区名称", "所在小区", "小区名", "所属小区", "居住小区"),
    "building": ("楼栋", "楼栋号", "楼号", "楼", "栋", "栋号", "幢", "幢号", "楼栋号码"),
    "unit": ("单元", "单元号", "单元号码"),
    "room": ("门牌号", "房号", "室", "房间号", "户号", "房屋号", "门牌", "门牌号码", "房间", "室号"),
    "address": ("住址", "详细地址", "家庭住址", "现住址", "地址", "居住地址", "现居住地址", "现居住地"),
    "relation": ("与户主关系", "关系", "与户主的关系"),
    "political_status": ("政治面貌",),
    "care_categories": ("人员类别", "重点人员类别", "类别", "特殊人群", "重点人群", "人群类别", "重点对象类别",
                        "特殊人群类别"),
    "residence_type": ("居住类型", "房屋性质", "居住状态", "居住情况", "房屋类型"),
    "status": ("人员状态", "状态"),
    "care_notes": ("关爱事项", "特殊情况", "照护说明", "关爱需求", "帮扶需求"),
    "emergency_contact": ("紧急联系人", "紧急联系人姓名"),
    "emergency_phone": ("紧急联系电话", "紧急联系人电话", "紧急联系方式"),
    "notes": ("备注", "说明"),
}
# A column naming each household's head (户主姓名) is not the residents' names: it is taken as the name column
# only when the sheet has no name column of its own (a register with one row per household).
HEAD_NAME_HEADERS = ("户主姓名", "户主名字")
# Headers recognised as belonging to a ledger but not imported (they still help find the header row).
IGNORED_HEADERS = ("序号", "编号", "年龄", "民族", "籍贯", "文化程度", "学历", "婚姻状况", "工作单位", "职业", "户籍地",
                   "户籍地址", "身体状况", "健康状况",
                   "原行号", "问题", "Originalrow", "Problem")  # the last: the columns our rejects workbook adds

_HINTS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|〔[^〔〕]*〕")
_NOISE = re.compile(r"[\s*※:：]")


def header_key(value) -> str:
    """A header cell reduced to its words: full-width forms, spaces, line breaks, * and (hints) dropped."""
    written = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return _NOISE.sub("", _HINTS.sub("", written))


def _header_table() -> dict[str, str]:
    table = {}
    for field, english in FIELDS.items():  # the labels our own export writes, in English and in the user's language
        table.setdefault(header_key(english), field)
        table.setdefault(header_key(label(FIELDS, field)), field)
    for field, wordings in HEADERS.items():
        for wording in wordings:
            table[wording] = field
    return table


_TABLES: dict[str, dict[str, str]] = {}


def header_field(value) -> str | None:
    """The field a header cell names, or None."""
    lang = language()
    if lang not in _TABLES:
        _TABLES[lang] = _header_table()
    return _TABLES[lang].get(header_key(value))


def recognised(value) -> str | None:
    """What a header cell is known as, for finding the header row: a field, an ignored column, or None."""
    field = header_field(value)
    if field is None and header_key(value) in HEAD_NAME_HEADERS:
        return "head_name"
    if field is None and header_key(value) in IGNORED_HEADERS:
        return "ignored:" + header_key(value)
    return field


# --- values -------------------------------------------------------------------------------------------

def value_key(value) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).split())


CARE_WORDS = {
    "elderly_alone": ("独居老人", "独居", "孤寡老人", "孤寡", "孤老", "独居老年人", "孤寡独居"),
    "empty_nest": ("空巢老人", "空巢", "空巢老年人"),
    "aged_80": ("高龄老人", "高龄", "80岁以上", "80周岁以上", "80岁以上老人", "八十岁以上", "高龄老年人"),
    "veteran": ("退役军人", "退伍军人", "军人", "复员军人", "转业军人", "退役士兵", "优抚对象"),
    "party_member": ("党员", "中共党员", "预备党员", "中共预备党员", "共产党员", "老党员"),
    "left_behind_child": ("留守儿童", "留守"),
    "disabled": ("残疾人", "残疾", "残障", "残障人士", "残疾人员"),
    "hardship": ("低保", "低保户", "困难户", "困难家庭", "特困", "特困户", "特困人员", "低收入", "低保/困难户", "困难"),
    "serious_illness": ("重病", "重病患者", "大病", "重大疾病", "重症", "大病患者"),
}
# A category cell that says "none" on purpose.
NO_CATEGORY = ("无", "否", "没有", "-", "/", "—")
CATEGORY_SEPARATORS = re.compile(r"[、,，;；/\s]+")

RELATION_WORDS = {
    "head": ("户主", "本人", "户主本人"),
    "spouse": ("配偶", "妻", "夫", "丈夫", "妻子", "爱人", "老伴"),
    "child": ("子", "女", "儿子", "女儿", "子女", "长子", "次子", "三子", "长女", "次女", "三女", "独生子", "独生女",
              "养子", "养女", "继子", "继女"),
    "child_in_law": ("儿媳", "女婿", "儿媳妇", "儿媳/女婿"),
    "parent": ("父母", "父亲", "母亲", "父", "母", "岳父", "岳母", "公公", "婆婆"),
    "grandchild": ("孙子", "孙女", "孙子女", "外孙", "外孙女", "孙"),
    "sibling": ("兄弟姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹"),
    "tenant": ("租户", "租客", "承租人", "租住"),
    "other": ("其他", "其他关系", "其它", "亲属", "保姆"),
}
RESIDENCE_WORDS = {
    "owner": ("自住", "自有", "自有住房", "业主自住", "自购"),
    "rented": ("出租", "租住", "租赁", "出租房"),
    "vacant": ("空置", "空房", "闲置", "无人居住"),
    "other": ("其他", "其它"),
}
STATUS_WORDS = {
    "active": ("在住", "正常", "现住", "常住"),
    "moved_out": ("迁出", "已迁出", "外迁", "搬走", "已搬走"),
    "deceased": ("已故", "去世", "已去世", "死亡", "亡故", "已死亡"),
}
GENDER_WORDS = {"M": ("男", "男性", "M", "男士"), "F": ("女", "女性", "F", "女士")}
PARTY_WORDS = ("中共党员", "党员", "预备党员", "中共预备党员", "共产党员", "中国共产党党员")


def _value_table(words: dict[str, tuple[str, ...]], labels: dict[str, str] | None = None) -> dict[str, str]:
    table = {}
    for code, wordings in words.items():
        for wording in wordings:
            table[value_key(wording)] = code
    for code, english in (labels or {}).items():  # the labels our own export writes
        table.setdefault(value_key(label(labels, code)), code)
        table.setdefault(value_key(english), code)
    return table


def lookup(kind: str, value) -> str | None:
    """The code of a cell's wording for ``kind`` (care, relation, residence, status, gender), or None."""
    lang = language()
    key = (kind, lang)
    if key not in _VALUE_TABLES:
        words, labels = _VALUES[kind]
        _VALUE_TABLES[key] = _value_table(words, labels)
    return _VALUE_TABLES[key].get(value_key(value))


_VALUES = {
    "care": (CARE_WORDS, CARE_CATEGORIES),
    "relation": (RELATION_WORDS, RELATIONS),
    "residence": (RESIDENCE_WORDS, RESIDENCE_TYPES),
    "status": (STATUS_WORDS, RESIDENT_STATUSES),
    "gender": (GENDER_WORDS, None),
}
_VALUE_TABLES: dict[tuple[str, str], dict[str, str]] = {}


def care_categories(value) -> tuple[list[str], list[str]]:
    """(codes, unknown words) of a category cell such as ``独居老人、退役军人``."""
    codes, unknown = [], []
    for word in CATEGORY_SEPARATORS.split(unicodedata.normalize("NFKC", str(value))):
        if not word or word in NO_CATEGORY:
            continue
        code = lookup("care", word)
        if code is None:
            unknown.append(word)
        elif code not in codes:
            codes.append(code)
    return codes, unknown


def is_party_member(value) -> bool:
    return value_key(value) in PARTY_WORDS
