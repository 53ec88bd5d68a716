"""Packaging without building: the icons, the installer files, the build spec, the saved language,
the backup before a migration and "what is new". (The frozen program itself is smoke-tested by
`make dist`, installer/smoke-test.sh.)"""

import configparser
import json
import os
import re
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

import redstation
from redstation import i18n, paths, preferences, upgrade
from redstation.store import db

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
PNG_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256, 512)
ICO_SIZES = {16, 20, 24, 32, 40, 48, 64, 256}


# --- the icon ---------------------------------------------------------------------------------------------------

def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_the_png_icons_have_every_size_linux_needs():
    for size in PNG_SIZES:
        assert png_size(ICONS / "redstation-{n}.png".format(n=size)) == (size, size)


def test_the_windows_icon_holds_each_size_from_16_to_256():
    data = (ICONS / "redstation.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = set()
    for entry in range(count):
        width, height = struct.unpack("<BB", data[6 + 16 * entry:8 + 16 * entry])
        assert width == height
        sizes.add(width or 256)  # 0 means 256
    assert sizes == ICO_SIZES


def test_the_icons_load_in_qt_as_drawn(qapp):
    from PySide6.QtGui import QImage, QImageReader
    from PySide6.QtSvg import QSvgRenderer

    from redstation.gui.icon import application_icon
    reader = QImageReader(str(ICONS / "redstation.ico"))
    assert reader.imageCount() == len(ICO_SIZES)
    image = QImage(str(ICONS / "redstation-256.png"))
    assert not image.isNull() and image.width() == 256
    red = image.pixelColor(14, 128)                  # the red field, between the edge and the gold rim
    assert red.red() > 120 and red.green() < 60 and red.blue() < 60
    assert image.pixelColor(2, 2).alpha() == 0       # rounded corners are transparent
    assert QSvgRenderer(str(ICONS / "redstation.svg")).isValid()
    icon = application_icon()
    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} == set(PNG_SIZES)


# --- the installer files ----------------------------------------------------------------------------------------

def test_the_linux_desktop_entry():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "installer" / "redstation.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"] == "redstation"
    assert desktop["Icon"] == "redstation" and desktop["Terminal"] == "false"
    assert desktop["Name[zh_CN]"] == "红色物业服务站台账系统"
    assert desktop["StartupWMClass"] == redstation.NAME       # what Qt puts in WM_CLASS
    assert desktop["Categories"].endswith(";")


def test_the_inno_setup_script():
    script_bytes = (ROOT / "installer" / "redstation.iss").read_bytes()
    assert script_bytes.startswith(b"\xef\xbb\xbf"), "Inno Setup reads Chinese text right only from UTF-8 with a BOM"
    script = script_bytes.decode("utf-8-sig")
    assert "AppVersion={#AppVersion}" in script and 'GetStringFileInfo(DistDir + "\\" + MainExe, "ProductVersion")' in script
    assert re.search(r"^AppId=\{\{[0-9A-F-]{36}\}", script, re.M)
    assert re.search(r'^Name: "chs"; MessagesFile: "compiler:Default.isl,ChineseSimplified.isl"', script, re.M)
    assert '"{group}\\{#AppName}"; Filename: "{app}\\{#WindowExe}"' in script        # Start menu
    assert '"{autodesktop}\\{#AppName}"' in script and "Tasks: desktopicon" in script  # desktop
    # the uninstaller keeps the data unless the user says otherwise (twice), and always when silent
    assert "UninstallSilent()" in script and "MB_DEFBUTTON2" in script
    assert "[UninstallDelete]" not in script
    assert "{localappdata}\\{#AppShortName}" in script


def test_the_chinese_wizard_messages():
    data = (ROOT / "installer" / "ChineseSimplified.isl").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    messages = dict(line.split("=", 1) for line in data.decode("utf-8-sig").splitlines()
                    if "=" in line and not line.startswith(";"))
    assert messages["LanguageID"] == "$0804"
    assert messages["ButtonNext"] == "下一步(&N) >" and messages["WelcomeLabel1"] == "欢迎使用 [name] 安装向导"
    assert messages["CreateDesktopIcon"] == "创建桌面快捷方式(&D)"
    placeholders = {"SetupWindowTitle": ["%1"], "DiskSpaceWarning": ["%1", "%2"], "LastErrorMessage": ["%1", "%2", "%3"],
                    "AboutSetupMessage": ["%1", "%2", "%3", "%4"], "FileNotInDir2": ["%1", "%2"],
                    "ErrorRegOpenKey": ["%1", "%2"], "UninstallDisplayNameMarks": ["%1", "%2", "%3"]}
    for name, expected in placeholders.items():   # the English originals' placeholders survive
        assert sorted(set(re.findall(r"%[0-9]", messages[name]))) == expected, name
    for name in ("WelcomeLabel2", "SelectDirDesc", "ReadyLabel1", "FinishedLabel"):
        assert "[name" in messages[name], name
    assert len(messages) > 250


def test_the_build_spec_takes_the_version_from_the_package_and_ships_the_resources():
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    assert redstation.__version__ not in spec
    assert "__version__" in spec
    for folder in ("fonts", "icons", "translations", "licenses"):
        assert '"resources/{f}"'.format(f=folder) in spec
    assert "PySide6.QtWebEngineCore" in spec and "PySide6.QtQml" in spec
    assert 'executable(NAME + "w", console=False)' in spec      # Windows: the shortcuts' program, no console


def test_the_frozen_program_finds_its_resources_in_the_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resource_dir() == tmp_path / "resources"
    assert paths.font_path() == tmp_path / "resources" / "fonts" / "wqy-microhei.ttc"


def test_the_database_lives_in_the_per_user_data_folder_not_the_program_folder(monkeypatch):
    monkeypatch.delenv("REDSTATION_HOME")
    folder = paths.data_dir(create=False)      # create=False: never touch the real folder from a test
    assert folder == Path(platformdirs.user_data_dir("RedStation", appauthor=False))
    assert ROOT not in folder.parents and Path(sys.executable).parent not in folder.parents


def test_the_dist_extra_and_the_qt_pin():
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dist = \["pyinstaller[^"]*"\]', project, re.M)
    assert "PySide6-Essentials>=6.11.3,<6.12" in project


# --- the language saved in the preferences ------------------------------------------------------------------------

def test_the_saved_language_is_read_at_start(redstation_home, monkeypatch):
    monkeypatch.delenv("REDSTATION_LANG", raising=False)
    assert i18n.saved_language() == "zh_CN"                  # nothing saved: Chinese
    i18n.save_language("en")
    saved = json.loads((redstation_home / "settings.json").read_text(encoding="utf-8"))
    assert saved == {"language": "en"}
    assert i18n.saved_language() == "en" and i18n.startup_language() == "en"
    monkeypatch.setenv("REDSTATION_LANG", "zh_CN")
    assert i18n.startup_language() == "zh_CN"                # the environment overrides
    assert i18n.language() == "zh_CN"                        # this process keeps its language
    with pytest.raises(ValueError):
        i18n.save_language("fr")


def test_a_new_process_shows_the_saved_language(redstation_home):
    env = {k: v for k, v in os.environ.items() if k != "REDSTATION_LANG"}
    env["REDSTATION_HOME"] = str(redstation_home)

    def help_text():
        return subprocess.run([sys.executable, "-m", "redstation", "--help"], env=env, capture_output=True,
                              text=True, encoding="utf-8", check=True).stdout
    assert "不带命令运行时打开桌面窗口" in help_text()
    i18n.save_language("en")
    assert "Without a command" in help_text()


def test_a_damaged_or_strange_preferences_file_means_the_defaults(redstation_home):
    redstation_home.mkdir(parents=True, exist_ok=True)
    (redstation_home / "settings.json").write_text("{not json", encoding="utf-8")
    assert preferences.load() == {} and i18n.saved_language() == "zh_CN"
    (redstation_home / "settings.json").write_text('{"language": "klingon"}', encoding="utf-8")
    assert i18n.saved_language() == "zh_CN"
    preferences.set("language", "en")                        # a save replaces the damaged file whole
    assert preferences.load() == {"language": "en"}
    preferences.set("language", None)
    assert preferences.load() == {}


def test_reading_the_preferences_creates_no_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("REDSTATION_HOME", str(tmp_path / "nowhere"))
    assert preferences.load() == {} and i18n.saved_language() == "zh_CN"
    assert not (tmp_path / "nowhere").exists()


# --- the backup before a migration --------------------------------------------------------------------------------

def schema_1_database(path: Path) -> None:
    """A database as the first release of the schema left it, with a record in it."""
    number, sql = db.migrations()[0]
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in db._statements(sql):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = {n}".format(n=number))
    conn.execute("PRAGMA application_id = {a}".format(a=db.APPLICATION_ID))
    conn.execute("INSERT INTO settings (key, value) VALUES ('kept', 'yes')")
    conn.close()


@pytest.mark.skipif(db.SCHEMA_VERSION < 2, reason="needs a migration after the first")
def test_an_older_database_is_backed_up_before_it_is_migrated(tmp_path):
    path = tmp_path / "station.db"
    schema_1_database(path)
    conn = db.connect(path)
    assert db.schema_version(conn) == db.SCHEMA_VERSION
    assert conn.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
    conn.close()
    backups = sorted((tmp_path / "backups").glob("*.db"))
    assert [b.name.startswith("station-schema1-before-upgrade-") for b in backups] == [True]
    old = sqlite3.connect(backups[0])
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("PRAGMA journal_mode").fetchone()[0] == "delete"    # one self-contained file
    assert old.execute("SELECT value FROM settings WHERE key = 'kept'").fetchone()[0] == "yes"
    old.close()
    assert not list((tmp_path / "backups").glob("*.partial"))
    db.connect(path).close()                                  # up to date now: no second copy
    assert len(list((tmp_path / "backups").glob("*.db"))) == 1


def test_a_new_or_current_database_gets_no_backup(tmp_path):
    db.connect(tmp_path / "new.db").close()
    db.connect(tmp_path / "new.db").close()
    assert not (tmp_path / "backups").exists() or not list((tmp_path / "backups").iterdir())


@pytest.mark.skipif(db.SCHEMA_VERSION < 2, reason="needs a migration after the first")
def test_no_backup_no_migration(tmp_path, monkeypatch):
    path = tmp_path / "station.db"
    schema_1_database(path)
    (tmp_path / "backups").write_text("not a folder")             # the backup folder beside it cannot be made
    with pytest.raises(db.DatabaseError, match="备份"):
        db.connect(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1   # untouched
    conn.close()


# --- what is new ------------------------------------------------------------------------------------------------------

@pytest.fixture
def news(monkeypatch):
    monkeypatch.setattr(upgrade, "NEWS", [("0.3.0", "Third"), ("0.2.0", "Second"), ("0.1.0", "First")])


def test_version_order():
    assert upgrade.version_key("0.10.0") > upgrade.version_key("0.9.9")
    assert upgrade.version_key("1.2.3.dev1") == (1, 2, 3)
    assert upgrade.version_key(redstation.__version__)


def test_the_news_since_the_version_last_seen_once(news):
    assert upgrade.pending_news(existing_user=False, current="0.3.0") == []   # first start on this PC
    upgrade.mark_seen("0.1.0")
    assert [v for v, _text in upgrade.pending_news(existing_user=True, current="0.3.0")] == ["0.3.0", "0.2.0"]
    upgrade.mark_seen("0.3.0")
    assert upgrade.pending_news(existing_user=True, current="0.3.0") == []      # once
    upgrade.mark_seen("0.2.0")                                                  # an older copy run later
    assert upgrade.last_seen() == "0.3.0"


def test_an_upgrade_from_before_the_news_shows_this_versions_news(news):
    assert upgrade.pending_news(existing_user=True, current="0.2.0") == [("0.2.0", "Second")]
    assert upgrade.pending_news(existing_user=True, current="0.2.5") == []       # no entry for that version


def test_every_release_has_news_and_the_current_one_first():
    versions = [version for version, _text in upgrade.NEWS]
    assert versions[0] == redstation.__version__
    assert versions == sorted(versions, key=upgrade.version_key, reverse=True)
