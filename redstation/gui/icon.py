"""The program's icon (resources/icons, drawn by installer/make_icons.py) as a QIcon."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon, QPixmap

from redstation.paths import resource_dir

PNG_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256, 512)


def icon_dir() -> Path:
    return resource_dir() / "icons"


def icon_file(size: int) -> Path:
    return icon_dir() / "redstation-{size}.png".format(size=size)


def application_icon() -> QIcon:
    """Every size drawn for that size, so Qt picks a sharp one for the title bar and the task bar."""
    icon = QIcon()
    for size in PNG_SIZES:
        path = icon_file(size)
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def logo(size: int = 64) -> QPixmap:
    """The icon at ``size`` pixels, for the About dialog."""
    return application_icon().pixmap(size, size)
