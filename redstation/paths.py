"""Where RedStation keeps its files. Tests set REDSTATION_HOME so they never touch real data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from redstation import NAME


def data_dir(*, create: bool = True) -> Path:
    """The per-user data folder (made if missing, unless ``create=False``)."""
    home = os.environ.get("REDSTATION_HOME")
    folder = Path(home) if home else Path(platformdirs.user_data_dir(NAME, appauthor=False))
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_db_path() -> Path:
    return data_dir() / "redstation.db"


def backup_dir() -> Path:
    folder = data_dir() / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_dir() -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def resource_dir() -> Path:
    if getattr(sys, "frozen", False):  # PyInstaller one-folder build
        return Path(getattr(sys, "_MEIPASS")) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def font_path() -> Path:
    return resource_dir() / "fonts" / "wqy-microhei.ttc"


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:  # Linux: read it without changing it
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def publish(temporary: str | Path, out: Path) -> None:
    """Give a finished temporary file its name in one step, readable as any new file of the user is.

    Files are written under a temporary name beside their target (mkstemp makes them readable by
    the owner only) and renamed when complete, so a failure never leaves half a file.
    """
    os.replace(temporary, out)
    if os.name == "posix":
        os.chmod(out, 0o666 & ~_umask())
