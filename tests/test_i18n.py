"""Every user-visible string is in the Simplified Chinese catalog; no f-strings inside _()."""

import ast
import json
from pathlib import Path

from redstation import i18n
from redstation.domain import vocab

PACKAGE = Path(__file__).resolve().parent.parent / "redstation"
# Places that translate a value marked elsewhere with N_(), such as vocab.label.
TRANSLATE_VARIABLES = {"redstation/domain/vocab.py", "redstation/cli.py"}


def marked_strings():
    """(file:line, literal) of every _("...") and N_("...") in the package; non-literals are errors."""
    found, bad = [], []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_"):
                where = "{p}:{n}".format(p=path.relative_to(PACKAGE.parent), n=node.lineno)
                arg = node.args[0] if node.args else None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.append((where, arg.value))
                elif where.split(":")[0] not in TRANSLATE_VARIABLES or node.func.id == "N_":
                    bad.append(where)
    return found, bad


def test_every_marked_string_is_a_literal():
    _found, bad = marked_strings()
    assert bad == [], "_() must wrap a plain string literal (use .format with named fields): {b}".format(b=bad)


def test_every_marked_string_has_a_chinese_translation():
    found, _bad = marked_strings()
    catalog = i18n.catalog("zh_CN")
    missing = sorted({(text, where) for where, text in found if not catalog.get(text)})
    assert missing == [], "untranslated strings: {m}".format(m=missing)


def test_catalog_has_no_dead_entries():
    found, _bad = marked_strings()
    used = {text for _where, text in found}
    dead = sorted(set(i18n.catalog("zh_CN")) - used)
    assert dead == [], "catalog entries no code uses: {d}".format(d=dead)


def test_translations_keep_the_format_fields():
    catalog = i18n.catalog("zh_CN")
    import string
    fields = lambda s: sorted(f for _lit, f, _spec, _conv in string.Formatter().parse(s) if f)  # noqa: E731
    wrong = [(en, zh) for en, zh in catalog.items() if fields(en) != fields(zh)]
    assert wrong == []


def test_chinese_is_the_default_and_english_is_the_source():
    assert i18n.language() == "zh_CN"
    assert vocab.label(vocab.CARE_CATEGORIES, "elderly_alone") == "独居老人"
    i18n.set_language("en")
    try:
        assert vocab.label(vocab.CARE_CATEGORIES, "elderly_alone") == "Elderly living alone"
    finally:
        i18n.set_language("zh_CN")


def test_catalog_files_are_valid_json_objects_of_strings():
    for path in (i18n.resource_dir() / "translations" / "zh_CN").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()), path
