"""Packaging without building: the icons, the installer files, the build spec, the saved language,
the backup before a migration and "what is new". (The frozen program itself is smoke-tested by
`make dist`, installer/smoke-test.sh.)"""

import ast
import configparser
import fnmatch
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


def test_an_all_users_install_makes_no_shortcut_to_the_administrators_data_folder():
    """{localappdata} is the installing user's: the data folder's shortcut and folder only in a per-user install."""
    script = (ROOT / "installer" / "redstation.iss").read_bytes().decode("utf-8-sig")
    per_user_data = [line for line in script.splitlines()
                     if "{localappdata}" in line and not line.lstrip().startswith((";", "Result"))]
    assert len(per_user_data) == 2                                  # the [Icons] shortcut and the [Dirs] entry
    assert all(line.rstrip().endswith("Check: not IsAdminInstallMode") for line in per_user_data)


def desktop_exec_arguments(value: str) -> list[str]:
    """An Exec value as the desktop entry specification reads it: the string's escapes, then the quoting of the
    arguments (inside double quotes a backslash escapes " ` $ and itself), then %% as %."""
    unescaped, chars = "", iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            unescaped += {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}.get(following, "\\" + following)
        else:
            unescaped += char
    arguments, current, quoted, chars = [], None, False, iter(unescaped)
    for char in chars:
        if quoted:
            if char == "\\":
                following = next(chars)
                assert following in '"`$\\', "an undefined escape inside quotes"
                current += following
            elif char == '"':
                quoted = False
            else:
                current += char
        elif char == '"':
            quoted, current = True, current or ""
        elif char == " ":
            if current is not None:
                arguments.append(current)
            current = None
        else:
            assert char not in "\\'><~|&;$*?#()`", "a reserved character outside quotes"
            current = (current or "") + char
    assert not quoted
    if current is not None:
        arguments.append(current)
    return [argument.replace("%%", "%") for argument in arguments]


def test_the_linux_install_quotes_the_menu_entrys_path(tmp_path):
    """A home folder with a space, a quote, a dollar and a percent still starts the program from the menu."""
    home = tmp_path / 'Zhang San\'s "home" $HOME 100%'
    home.mkdir()
    dist = tmp_path / "dist"
    dist.mkdir()
    program = dist / "redstation"
    program.write_text("#!/bin/sh\necho RedStation {v}\n".format(v=redstation.__version__), encoding="utf-8")
    program.chmod(0o755)
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run(["sh", str(ROOT / "installer" / "install-linux.sh"), str(dist)], env=env, check=True,
                   capture_output=True)
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(home / ".local" / "share" / "applications" / "redstation.desktop", encoding="utf-8")
    assert desktop_exec_arguments(entry["Desktop Entry"]["Exec"]) == [str(home / ".local/opt/redstation/redstation")]
    assert entry["Desktop Entry"]["Icon"] == "redstation"
    subprocess.run(["sh", str(ROOT / "installer" / "install-linux.sh"), "--uninstall"], env=env, check=True,
                   capture_output=True)
    assert not (home / ".local" / "share" / "applications" / "redstation.desktop").exists()


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


def spec_names(name: str) -> list[str]:
    """A tuple or list of strings assigned to ``name`` at the top of build.spec."""
    tree = ast.parse((ROOT / "build.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise AssertionError("no {n} in build.spec".format(n=name))


def imported_distributions() -> set[str]:
    """The distributions whose modules the package imports (anywhere: at run time every module may be loaded)."""
    from importlib import metadata
    owners = metadata.packages_distributions()
    found = set()
    for path in (ROOT / "redstation").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top != "redstation" and top not in sys.stdlib_module_names:
                    found.update(owners.get(top, [top]))
    return {re.sub(r"[-_.]+", "-", metadata.metadata(name)["Name"]).lower() for name in found}


def test_the_about_dialog_and_the_build_name_the_same_python_packages():
    from redstation.gui.about import COMPONENTS
    listed = {c.version.lower() for c in COMPONENTS if isinstance(c.version, str)} | {"shiboken6"}   # in Qt, PySide6
    assert listed == {name.lower() for name in spec_names("DISTRIBUTIONS")}
    # what the program imports is listed (PySide6's second half, the Addons, only for Qt's own files)
    assert imported_distributions() - {"pyside6-addons"} <= listed
    # and what it does not import is neither listed nor bundled
    assert not {"openpyxl", "sqlite-utils", "typing-extensions"} & listed
    assert {"typing_extensions", "readline"} <= set(spec_names("EXCLUDES"))


def test_the_build_leaves_out_qt_charts_gpl_only():
    assert "PySide6.QtCharts" in spec_names("EXCLUDES")
    assert "PySide6/Qt/lib/libQt6Charts*" in spec_names("DROP")
    from redstation.gui.about import COMPONENTS, NATIVE_LIBRARIES
    assert not [c for c in COMPONENTS if "Charts" in c.name] and not [n for n in NATIVE_LIBRARIES if "Charts" in n.name]


def test_the_desktops_libraries_come_from_the_system():
    system = spec_names("SYSTEM_LIBRARIES")
    for library in ("libX11.so.6", "libxcb.so.1", "libfontconfig.so.1", "libdbus-1.so.3", "libcups.so.2"):
        assert any(fnmatch.fnmatch(library, pattern) for pattern in system), library


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
    assert upgrade.pending_news(upgraded=False, current="0.3.0") == []        # first start on this PC
    upgrade.mark_seen("0.1.0")
    assert [v for v, _text in upgrade.pending_news(upgraded=False, current="0.3.0")] == ["0.3.0", "0.2.0"]
    upgrade.mark_seen("0.3.0")
    assert upgrade.pending_news(upgraded=True, current="0.3.0") == []          # once
    upgrade.mark_seen("0.2.0")                                                  # an older copy run later
    assert upgrade.last_seen() == "0.3.0"


def test_an_upgrade_from_before_the_news_shows_this_versions_news(news):
    """Nothing remembered, but the database was written by an older version: this version's news."""
    assert upgrade.pending_news(upgraded=True, current="0.2.0") == [("0.2.0", "Second")]
    assert upgrade.pending_news(upgraded=True, current="0.2.5") == []           # no entry for that version


def test_a_fresh_install_is_not_an_update(tmp_path, news):
    """The first start of a new installation, on a new database or one made with `init` by this version: no news."""
    fresh = tmp_path / "fresh.db"
    assert not upgrade.older_database(fresh) and not fresh.exists()            # looking makes no file
    db.connect(fresh).close()                                                  # e.g. `redstation init`
    assert upgrade.schema_on_disk(fresh) == db.SCHEMA_VERSION
    assert not upgrade.older_database(fresh)
    assert upgrade.pending_news(upgraded=upgrade.older_database(fresh), current="0.3.0") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.db"]           # no -wal left behind


@pytest.mark.skipif(db.SCHEMA_VERSION < 2, reason="needs a migration after the first")
def test_a_database_of_an_older_version_is_an_upgrade(tmp_path, news):
    old = tmp_path / "old.db"
    schema_1_database(old)
    assert upgrade.schema_on_disk(old) == 1 and upgrade.older_database(old)
    assert upgrade.pending_news(upgraded=True, current="0.3.0") == [("0.3.0", "Third")]
    not_ours = tmp_path / "notes.db"
    not_ours.write_text("not a database", encoding="utf-8")
    assert upgrade.schema_on_disk(not_ours) is None and not upgrade.older_database(not_ours)


def test_every_release_has_news_and_the_current_one_first():
    versions = [version for version, _text in upgrade.NEWS]
    assert versions[0] == redstation.__version__
    assert versions == sorted(versions, key=upgrade.version_key, reverse=True)


# --- the smoke test of the window: the real start ------------------------------------------------------------------

def smoke_run(path: Path, home: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDSTATION_LANG", "REDSTATION_SMOKE_PDF")}
    env.update(REDSTATION_HOME=str(home), QT_QPA_PLATFORM="offscreen", REDSTATION_SMOKE_TEST="1")
    done = subprocess.run([sys.executable, "-m", "redstation", "--db", str(path)], env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return done, json.loads(lines[-1]) if lines else {}


def test_the_window_smoke_test_goes_through_the_real_start(tmp_path, redstation_home):
    """What `make dist` runs on the frozen program, here from the source: the login dialog answered with demo's
    manager account (a wrong password first), the window, the integrity check; a fresh install speaks of no update."""
    from redstation.services import demo, station
    from redstation.services.session import Actor, Session
    path = tmp_path / "station.db"
    with Session.open(path, Actor.command_line()) as session:
        station.init_station(session, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
        demo.generate(session, 8)
    done, report = smoke_run(path, redstation_home)
    assert done.returncode == 0, done.stderr
    assert report["failures"] == []
    assert report["wrong_password_refused"] is True and report["login"] == "admin"
    assert report["user"]["role"] == "admin"
    assert report["integrity_check"] == "passed" and report["unexpected_errors"] == 0
    assert report["counts"]["households"] == 8
    assert report["whats_new"] is None and report["last_seen_version"] == redstation.__version__
    assert report["libraries_not_in_about"] == [] and "msoffcrypto-tool" in report["components"]


def test_the_window_smoke_test_does_not_wait_at_a_dialog(tmp_path, redstation_home):
    """A database without an administrator opens the first-run dialog: the smoke test fails at once, never hangs."""
    from redstation.services import station
    from redstation.services.session import Actor, Session
    path = tmp_path / "station.db"
    with Session.open(path, Actor.command_line()) as session:
        station.init_station(session, "阳光花园红色物业服务站", "阳光社区", "幸福街道")
    done, report = smoke_run(path, redstation_home)
    assert done.returncode == 1
    assert len(report["failures"]) == 1 and report["failures"][0].startswith("a dialog waits for someone: ")

