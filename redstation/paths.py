"""Where RedStation keeps its files. Tests set REDSTATION_HOME so they never touch real data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from redstation import NAME


def data_dir() -> Path:
    home = os.environ.get("REDSTATION_HOME")
    folder = Path(home) if home else Path(platformdirs.user_data_dir(NAME, appauthor=False))
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
