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


def test_lists_and_brackets_follow_the_language():
    """Separators and brackets come from the catalog: 、，；（） in Chinese, ASCII in English (the texts a record's
    view builds, which the walk of the English window below does not open)."""
    from redstation.gui.pages.exchange import value_text
    from redstation.gui.pages.register import categories_text
    from redstation.gui.search import result_text
    resident = {"name": "张长锁", "gender": "M", "address": "阳光花园 3-2-301", "status": "moved_out"}
    contacts = json.dumps([{"name": "张伟", "relation": "儿子", "phone": "13812345678"}, {"name": "李娜", "phone": "1"}])
    def texts():
        return (i18n.join_list(["甲", "乙", "丙"]), i18n.join_clauses(["84", "独居"]), i18n.join_groups(["甲", "乙"]),
                i18n.join_clauses([]), categories_text(["aged_80", "veteran"]), result_text(resident),
                value_text("residents", "emergency_contacts", contacts))
    assert texts() == ("甲、乙、丙", "84，独居", "甲；乙", "", "高龄老人、退役军人",
                       "张长锁   男   阳光花园 3-2-301   （已迁出）", "张伟（儿子）13812345678；李娜（—）1")
    i18n.set_language("en")
    try:
        assert texts() == ("甲, 乙, 丙", "84, 独居", "甲; 乙", "", "Aged 80+, Veteran",
                           "张长锁   Male   阳光花园 3-2-301   (Moved out)", "张伟 (儿子) 13812345678; 李娜 (—) 1")
    finally:
        i18n.set_language("zh_CN")


# --- the window in English ------------------------------------------------------------------------------------------
#
# The window is walked in a separate process started with REDSTATION_LANG=en, as a user would run it, so that every
# text is made in English from the start (also those translated when a module is imported). Every page (each of its
# tabs), the About and "what is new" dialogs, the login and first-run dialogs: any text a user can see that still
# holds Chinese is reported, except data (whatever text the database holds: station, estate and people's names …)
# and the language choice 简体中文, which names itself.

import os  # noqa: E402
import re  # noqa: E402
import sqlite3  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

CJK = re.compile(r"[\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
SELF_NAMED = ("简体中文",)


def database_texts(path) -> list[str]:
    """Every text the database holds (and the strings inside its JSON values), longest first."""
    import json as json_module
    found: set[str] = set()

    def collect(value) -> None:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for column in [row[1] for row in conn.execute('PRAGMA table_info("{t}")'.format(t=table))]:
                query = 'SELECT DISTINCT "{c}" FROM "{t}" WHERE typeof("{c}") = \'text\''.format(c=column, t=table)
                for (value,) in conn.execute(query):
                    if CJK.search(value):
                        found.add(value)
                        if value[:1] in "[{":
                            try:
                                collect(json_module.loads(value))
                            except ValueError:
                                pass
    finally:
        conn.close()
    return sorted(found, key=len, reverse=True)


def widget_texts(widget) -> list[tuple[str, str]]:
    """(what, text) of everything a user can read on ``widget`` itself (not its children)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QComboBox, QGroupBox, QLabel, QLineEdit,
                                   QPlainTextEdit, QTabBar, QTextEdit, QWidget)
    texts = [("window title", widget.windowTitle()), ("tooltip", widget.toolTip()),
             ("status tip", widget.statusTip()), ("what's this", widget.whatsThis())]
    if isinstance(widget, (QLabel, QAbstractButton)):
        texts.append(("text", widget.text()))
    if isinstance(widget, QLineEdit):
        texts += [("text", widget.text()), ("placeholder", widget.placeholderText())]
    if isinstance(widget, (QTextEdit, QPlainTextEdit)) and widget.objectName() != "licenceText":
        texts += [("text", widget.toPlainText()), ("placeholder", widget.placeholderText())]
    if isinstance(widget, QGroupBox):
        texts.append(("title", widget.title()))
    if isinstance(widget, QComboBox):
        texts += [("combo item", widget.itemText(i)) for i in range(widget.count())]
    if isinstance(widget, QTabBar):
        for i in range(widget.count()):
            texts += [("tab", widget.tabText(i)), ("tab tooltip", widget.tabToolTip(i))]
    if isinstance(widget, QAbstractItemView) and widget.model() is not None:
        model = widget.model()
        header = getattr(widget, "horizontalHeader", None)
        columns = header().count() if callable(header) else 1
        for column in range(columns):
            for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                texts.append(("table header", model.headerData(column, Qt.Orientation.Horizontal, role)))
        for row in range(min(model.rowCount(), 40)):
            for column in range(min(columns, 40)):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    texts.append(("cell", model.data(model.index(row, column), role)))
    for action in QWidget.actions(widget):
        texts += [("action", action.text()), ("action tooltip", action.toolTip())]
        if action.menu() is not None:
            texts += [("menu", item.text()) for item in action.menu().actions()]
    if isinstance(widget, QAbstractButton) and hasattr(widget, "menu") and widget.menu() is not None:
        texts += [("menu", item.text()) for item in widget.menu().actions()]
    return [(what, text) for what, text in texts if isinstance(text, str) and text]


def walk_in_english(path: str) -> list[dict]:
    """Run in a process started with REDSTATION_LANG=en: build the window on ``path`` and list the Chinese found."""
    import time

    from PySide6.QtWidgets import QTabBar, QWidget

    from redstation import i18n as i18n_module
    from redstation import upgrade
    from redstation.gui.about import AboutDialog, WhatsNewDialog
    from redstation.gui.app import create_application
    from redstation.gui.first_run import FirstRunDialog
    from redstation.gui.login import LoginDialog
    from redstation.gui.main_window import build_main_window
    from redstation.services import users
    from redstation.services.session import Actor, Session
    assert i18n_module.language() == "en"
    app = create_application([])
    data = database_texts(path) + list(SELF_NAMED)
    session = Session.open(path, Actor.command_line())
    session.actor = users.first_admin(session)
    found: list[dict] = []

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end or window.taskman.busy:
            app.processEvents()
            if time.monotonic() > end + 20:
                break

    def look(root: QWidget, where: str, children: bool = True) -> None:
        for widget in [root, *(root.findChildren(QWidget) if children else [])]:
            for what, text in widget_texts(widget):
                if not CJK.search(text):
                    continue
                left = text
                for value in data:
                    if value in left:
                        left = left.replace(value, "")
                if CJK.search(left):
                    found.append({"where": where, "widget": type(widget).__name__, "what": what, "text": text[:160],
                                  "chinese": "".join(sorted(set(CJK.findall(left))))})

    window = build_main_window(session)
    window.show()
    settle(1.0)
    for number, page in enumerate(window.pages):
        window.show_page(number)
        settle()
        look(page, page.title)
        for bar in page.findChildren(QTabBar):
            for index in range(bar.count()):
                bar.setCurrentIndex(index)
                settle()
                look(page, page.title)
    look(window, "window", children=False)
    look(window.statusBar(), "status bar")
    look(window.nav, "navigation")
    look(window.search, "search box")
    dialogs = [("About", AboutDialog(window)),
               ("What is new", WhatsNewDialog(upgrade.news_between(None, "99.0"), window)),
               ("Log in", LoginDialog(session)), ("Locked", LoginDialog(session, locked_user="admin")),
               ("Welcome (new database)", FirstRunDialog(session, ask_station=True)),
               ("Welcome (no administrator)", FirstRunDialog(session, ask_station=False))]
    for name, dialog in dialogs:
        dialog.show()
        settle(0.2)
        look(dialog, name)
        dialog.close()
    window.taskman.shutdown()
    session.close()
    return found


def test_the_window_in_english_shows_no_chinese(tmp_path):
    import json as json_module

    from redstation.services import demo, station
    from redstation.services.session import Actor, Session
    path = tmp_path / "station.db"
    with Session.open(path, Actor.command_line()) as session:
        station.init_station(session, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
        demo.generate(session, 30)
    env = {k: v for k, v in os.environ.items() if k != "REDSTATION_SMOKE_TEST"}
    env.update(REDSTATION_LANG="en", QT_QPA_PLATFORM="offscreen", REDSTATION_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, __file__, str(path)], env=env, capture_output=True, text=True,
                          encoding="utf-8", timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json_module.loads(done.stdout.strip().splitlines()[-1])
    shown = {(item["where"], item["widget"], item["what"], item["text"]) for item in found}
    assert not shown, "Chinese in the English window:\n" + "\n".join(map(repr, sorted(shown)))


if __name__ == "__main__":
    import json as json_module
    print(json_module.dumps(walk_in_english(sys.argv[1]), ensure_ascii=False))
