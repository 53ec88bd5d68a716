"""The 设置 page, the About dialog, the program's icon and version in the window, and the "what is new"
notice after an upgrade, with real widgets offscreen."""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QGroupBox, QLabel  # noqa: E402

import redstation  # noqa: E402
from redstation import i18n, upgrade  # noqa: E402
from redstation.gui import about as about_module  # noqa: E402
from redstation.gui import app as gui_app  # noqa: E402
from redstation.gui.about import AboutDialog, WhatsNewDialog  # noqa: E402
from redstation.gui.main_window import build_main_window  # noqa: E402
from redstation.gui.pages.settings import SettingsPage  # noqa: E402
from redstation.services import station, users  # noqa: E402
from redstation.services.session import Actor, Session  # noqa: E402

LIBRARY_LICENCES = {"Qt, PySide6": "LGPL-3.0", "reportlab": "BSD-3-Clause", "XlsxWriter": "BSD-2-Clause",
                    "python-calamine": "MIT", "pypinyin": "MIT", "cryptography": "Apache-2.0 / BSD-3-Clause",
                    "argon2-cffi": "MIT", "argon2-cffi-bindings": "MIT", "cffi": "MIT-0", "platformdirs": "MIT",
                    "defusedxml": "PSF-2.0", "msoffcrypto-tool": "MIT", "olefile": "BSD-2-Clause",
                    "charset-normalizer": "MIT", "Pillow": "MIT-CMU"}


@pytest.fixture
def gui_session(db_path):
    with Session.open(db_path, Actor.command_line()) as setup:
        station.init_station(setup, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
        users.create_user(setup, "admin", "王建国", "admin", "secret123")
    session = Session.open(db_path, Actor.command_line())
    session.actor = users.first_admin(session)
    yield session
    session.close()


@pytest.fixture
def window(qtbot, gui_session):
    win = build_main_window(gui_session)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.dashboard.counts is not None, timeout=10_000)
    yield win
    win.taskman.shutdown()


@pytest.fixture
def page(qtbot, gui_session):
    settings = SettingsPage(gui_session)
    qtbot.addWidget(settings)
    settings.show()
    return settings


# --- the settings page --------------------------------------------------------------------------------------------

def test_the_settings_page_is_the_eighth_page_with_its_sections(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() is window.settings
    assert window.settings.header.text() == "设置"
    boxes = [box.title() for box in window.settings.findChildren(QGroupBox)]
    assert boxes == ["本服务站", "我的账号", "用户", "审计日志", "数据备份", "界面语言", "本程序"]


@pytest.mark.parametrize("width", [1366, 1920, 1024])
def test_no_section_is_squeezed_so_that_its_parts_overlap(qtbot, window, width):
    """Each section gets the height its wrapped texts need at its own width; before, the backups' buttons lay over the
    bottom of their table on a wide window."""
    window.resize(width, 740)
    qtbot.keyClick(window, Qt.Key.Key_8, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.settings.backups_box.isVisible(), timeout=10_000)
    qtbot.wait(50)
    for box in [b for b in window.settings.findChildren(QGroupBox) if b.isVisible()]:
        needed = box.heightForWidth(box.width())
        assert needed == -1 or box.height() >= needed, (box.title(), box.height(), needed)
    backups = window.settings.backups_box
    assert backups.table.geometry().bottom() < backups.backup_button.geometry().top()


def test_this_station_shows_the_station_and_the_database(page, gui_session):
    shown = {name: field.text() for name, field in page.details.items()}
    assert shown["服务站名称"] == "阳光花园红色物业服务站" and shown["所属社区"] == "阳光社区"
    assert shown["所属街道"] == "幸福街道" and shown["服务站代码"]
    assert shown["数据库文件"] == str(gui_session.path)


def test_a_later_section_goes_below_the_others(page):
    extra = QGroupBox("用户")
    page.add_section(extra)
    assert [box.title() for box in page.findChildren(QGroupBox)][-1] == "用户"
    assert page.sections.indexOf(extra) == 3


def test_choosing_english_saves_it_for_the_next_start(qtbot, page, redstation_home, monkeypatch):
    monkeypatch.delenv("REDSTATION_LANG", raising=False)
    assert page.language.currentText() == "简体中文"
    assert page.language_note.text() == "更改在重新启动本程序后生效。"
    with qtbot.waitSignal(page.language_saved) as saved:
        page.language.setCurrentIndex(page.language.findData("en"))
    assert saved.args == ["en"]
    assert json.loads((redstation_home / "settings.json").read_text(encoding="utf-8"))["language"] == "en"
    assert i18n.saved_language() == "en" and i18n.startup_language() == "en"
    assert i18n.language() == "zh_CN"                                   # the running window stays Chinese
    assert page.language_note.text() == "已保存。请关闭并重新启动本程序，界面语言即改为“English”。"
    page.language.setCurrentIndex(page.language.findData("zh_CN"))
    assert i18n.saved_language() == "zh_CN"
    assert page.language_note.text() == "更改在重新启动本程序后生效。"


def test_the_page_starts_with_the_saved_language(qtbot, gui_session):
    i18n.save_language("en")
    settings = SettingsPage(gui_session)
    qtbot.addWidget(settings)
    assert settings.language.currentData() == "en"
    assert "启动" in settings.language_note.text()                      # saved, not shown until a restart


def test_the_window_in_english(qtbot, gui_session, monkeypatch):
    """REDSTATION_LANG=en for one run: nothing was saved, and the page says where the English comes from."""
    monkeypatch.setenv("REDSTATION_LANG", "en")
    i18n.set_language("en")                                             # as i18n chose it at the start
    try:
        win = build_main_window(gui_session)
        qtbot.addWidget(win)
        assert [page.title for page in win.pages][-1] == "Settings"
        assert win.settings.language.currentData() == "zh_CN"           # nothing saved yet
        assert win.settings.language_note.text() == (
            "The environment variable REDSTATION_LANG sets the language of this run (English). Started without it, "
            "RedStation uses the language chosen here: 简体中文.")
        assert "Saved" not in win.settings.language_note.text()
        win.taskman.shutdown()
    finally:
        i18n.set_language("zh_CN")


def test_choosing_a_language_while_the_environment_sets_one(qtbot, page, redstation_home, monkeypatch):
    monkeypatch.setenv("REDSTATION_LANG", "zh_CN")
    page._show_language_note()
    assert page.language_note.text() == ("本次运行的界面语言（简体中文）由环境变量 REDSTATION_LANG 指定。"
                                         "不设该变量启动时，本程序使用这里选择的语言：简体中文。")
    page.language.setCurrentIndex(page.language.findData("en"))
    assert i18n.saved_language() == "en"                                # saved all the same, for a start without it
    assert page.language_note.text().endswith("这里选择的语言：English。")


# --- name, version, icon, About --------------------------------------------------------------------------------------

def test_the_window_shows_name_version_and_icon(window):
    assert not window.windowIcon().isNull()
    assert "RedStation {v}".format(v=redstation.__version__) in window.version_label.text()
    assert window.windowTitle() == "阳光花园红色物业服务站 — 红色物业服务站台账系统"
    assert window.settings.version.text() == "RedStation {v}".format(v=redstation.__version__)


def test_the_application_has_the_icon(qapp):
    gui_app.configure_application(qapp)
    assert not qapp.windowIcon().isNull()
    assert {size.width() for size in qapp.windowIcon().availableSizes()} >= {16, 32, 48, 256}


def test_the_about_button_opens_the_about_dialog(qtbot, page):
    qtbot.mouseClick(page.about_button, Qt.MouseButton.LeftButton)
    dialogs = [w for w in page.findChildren(AboutDialog)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].reject()


def test_the_about_dialog_names_the_program_its_version_and_the_licences(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "关于 RedStation"
    assert dialog.title.text() == "红色物业服务站台账系统"
    assert dialog.name.text() == "RedStation · 版本 {v}".format(v=redstation.__version__)
    assert "离线台账程序" in dialog.description.text()
    assert not dialog.logo.pixmap().isNull()
    rows = {dialog.components.item(r, 0).text(): [dialog.components.item(r, c).text() for c in range(1, 4)]
            for r in range(dialog.components.rowCount())}
    for name, licence in LIBRARY_LICENCES.items():
        version, shown, use = rows[name]
        assert shown == licence and version != "—" and use, name
    assert "openpyxl" not in rows and "sqlite-utils" not in rows and "Qt Charts" not in rows   # not carried
    assert rows["WenQuanYi Micro Hei"][1] == "Apache-2.0，或附字体例外条款的 GPL-3.0+"
    assert dialog.lgpl_note.text().startswith("Qt, PySide6 依照 GNU 宽通用公共许可证")
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["组件及许可证", "许可证全文"]
    text = dialog.licence_of("WenQuanYi Micro Hei")
    assert "WenQuanYi" in text and "Apache-2.0" in text and "Font exception" in text
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in dialog.licence_of("Qt, PySide6")
    assert "GNU GENERAL PUBLIC LICENSE" in dialog.licence_of("Qt, PySide6")        # the LGPL builds on it
    assert "olefile" in dialog.licence_of("olefile") and "Redistribution" in dialog.licence_of("olefile")
    for name in LIBRARY_LICENCES:                                       # every package's own licence file
        assert dialog.licence_of(name) and "缺失" not in dialog.licence_of(name), name


def test_a_double_click_on_a_component_shows_its_licence(qtbot):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    row = next(r for r in range(dialog.components.rowCount()) if dialog.components.item(r, 0).text() == "cryptography")
    dialog.components.cellDoubleClicked.emit(row, 1)
    assert dialog.tabs.currentIndex() == 1
    assert dialog.licence_list.currentItem().text() == "cryptography"
    text = dialog.licence_view.toPlainText()
    assert "==== LICENSE.APACHE ====" in text and "==== LICENSE.BSD ====" in text


@pytest.fixture
def built_program(tmp_path, monkeypatch):
    """A built program's folder as build.spec leaves it: libraries.json and the native libraries' licence texts."""
    bundle = tmp_path / "_internal"
    native = bundle / "resources" / "licenses" / "native"
    native.mkdir(parents=True)
    for name in ("fonts", "icons", "translations"):
        (bundle / "resources" / name).symlink_to(about_module.resource_dir() / name)
    for name in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        (bundle / "resources" / "licenses" / name).symlink_to(about_module.resource_dir() / "licenses" / name)
    (native / "libssl3.txt").write_text("OpenSSL is under the Apache License 2.0", encoding="utf-8")
    (native / "python.txt").write_text("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", encoding="utf-8")
    (native / "libglib2.0-0.txt").write_text("GNU Lesser General Public License 2.1", encoding="utf-8")
    libraries = [
        {"file": "libpython3.11.so.1.0", "source": "python", "version": "3.11.7",
         "licence": "resources/licenses/native/python.txt"},
        {"file": "libssl.so.3", "source": "debian:libssl3", "version": "3.0.19-1~deb12u2",
         "licence": "resources/licenses/native/libssl3.txt"},
        {"file": "libcrypto.so.3", "source": "debian:libssl3", "version": "3.0.19-1~deb12u2",
         "licence": "resources/licenses/native/libssl3.txt"},
        {"file": "libglib-2.0.so.0", "source": "debian:libglib2.0-0", "version": "2.74.6-2+deb12u8",
         "licence": "resources/licenses/native/libglib2.0-0.txt"},
        {"file": "PySide6/Qt/lib/libQt6Core.so.6", "source": "wheel:PySide6", "version": "6.11.3",
         "licence": "resources/licenses/LGPL-3.0.txt"},
    ]
    (native / "libraries.json").write_text(json.dumps({"libraries": libraries}), encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return libraries


def test_the_about_dialog_of_a_built_program_lists_its_native_libraries(qtbot, built_program):
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    rows = {dialog.components.item(r, 0).text(): [dialog.components.item(r, c).text() for c in range(1, 4)]
            for r in range(dialog.components.rowCount())}
    assert rows["OpenSSL"][:2] == ["3.0.19", "Apache-2.0"]              # once, for libssl and libcrypto
    assert rows["GLib"][:2] == ["2.74.6", "LGPL-2.1+"]
    assert "libQt6Core.so.6" not in rows and "Python" in rows               # under the rows that name them already
    assert "OpenSSL is under" in dialog.licence_of("OpenSSL")
    assert "PYTHON SOFTWARE FOUNDATION" in dialog.licence_of("Python")
    assert dialog.lgpl_note.text().startswith("Qt, PySide6, GLib 依照")
    assert about_module.unnamed_libraries() == []
    assert about_module.unnamed_libraries([{"file": "libmystery.so.1"}]) == ["libmystery.so.1"]
    assert ("libmystery.so.1", "—", "见其许可证全文", "") in about_module.native_rows([{"file": "libmystery.so.1"}])


def test_the_version_in_the_status_bar_opens_about(qtbot, window):
    window.version_label.linkActivated.emit("about")
    assert window.settings.findChildren(AboutDialog)


# --- what is new ----------------------------------------------------------------------------------------------------

def test_what_is_new_shows_once_after_an_upgrade(qtbot, window, monkeypatch):
    monkeypatch.setattr(upgrade, "NEWS", [(redstation.__version__, "Printed receipts now fit A5."),
                                          ("0.0.1", "Old news")])
    upgrade.mark_seen("0.0.1")                                          # the older version ran here before
    dialog = gui_app.show_whats_new(window, upgraded=False)
    assert isinstance(dialog, WhatsNewDialog) and dialog.isVisible()
    assert "Printed receipts now fit A5." in dialog.text.toPlainText()
    assert "Old news" not in dialog.text.toPlainText()
    assert dialog.windowTitle() == "更新说明"
    dialog.accept()
    assert upgrade.last_seen() == redstation.__version__
    assert gui_app.show_whats_new(window, upgraded=True) is None        # once per version


def test_no_news_on_the_first_start_on_a_pc(window):
    assert gui_app.show_whats_new(window, upgraded=False) is None
    assert upgrade.last_seen() == redstation.__version__                # remembered for the next upgrade


def test_a_fresh_install_says_nothing_of_an_update(qtbot, window, gui_session, monkeypatch):
    """The first start of a new installation on a database `init` made: no "updated to" (the audit's case)."""
    monkeypatch.setattr(upgrade, "NEWS", [(redstation.__version__, "What this version brings.")])
    assert upgrade.last_seen() is None
    upgraded = upgrade.older_database(gui_session.path)                 # as run() decides it, before opening
    assert upgraded is False
    assert gui_app.show_whats_new(window, upgraded=upgraded) is None
    assert not [w for w in window.findChildren(WhatsNewDialog)]


def test_an_upgraded_database_without_a_remembered_version_shows_this_versions_news(qtbot, window, monkeypatch):
    monkeypatch.setattr(upgrade, "NEWS", [(redstation.__version__, "What this version brings.")])
    dialog = gui_app.show_whats_new(window, upgraded=True)
    assert "What this version brings." in dialog.text.toPlainText()
    assert "已更新到版本" in dialog.findChild(QLabel, "dialogHeading").text()
    dialog.accept()


def test_the_shipped_news_is_translated(qtbot):
    dialog = WhatsNewDialog(upgrade.news_between(None, redstation.__version__))
    qtbot.addWidget(dialog)
    assert "第一个正式版本" in dialog.text.toPlainText()
