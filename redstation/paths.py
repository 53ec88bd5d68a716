"""Where RedStation keeps its files. Tests set REDSTATION_HOME so they never touch real data."""

from __future__ import annotations

import os
import re
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


def backup_dir(database: str | Path | None = None) -> Path:
    """The backup folder of ``database``: ``backups`` beside the database file (made if missing).

    For the default database that is ``backups`` in the data folder. Two databases of the same
    name in different folders (two stations on one PC, the street office's copy) never share
    a folder, so their backups can never be mistaken for each other's or thinned together.
    """
    folder = Path(database).resolve().parent / "backups" if database is not None else data_dir() / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def log_dir() -> Path:
    folder = data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


LOG_BYTES = 1_000_000  # a log file this long is moved aside (one older file is kept): logs never fill the disk


def append_log(name: str, text: str) -> Path:
    """Append ``text`` to the log file ``name`` in the log folder and return its path; never raises."""
    log = log_dir() / name
    try:
        if log.exists() and log.stat().st_size > LOG_BYTES:
            os.replace(log, log.with_name(log.name + ".1"))
        with open(log, "a", encoding="utf-8") as file:
            file.write(text)
    except OSError:
        pass
    return log


# File systems of another computer (Linux /proc/mounts names): SQLite's locking is not safe over them.
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "fuse.sshfs", "afs", "ncpfs", "9p", "ceph", "glusterfs",
    "fuse.glusterfs", "davfs", "fuse.davfs2", "fuse.rclone", "fuse.s3fs", "lustre",
})
DRIVE_REMOTE = 4  # GetDriveTypeW: a mapped network drive


def _platform() -> str:
    return sys.platform


def _linux_mounts() -> str:
    with open("/proc/mounts", encoding="utf-8", errors="replace") as mounts:
        return mounts.read()


def _windows_drive_type(root: str) -> int:
    import ctypes
    return ctypes.windll.kernel32.GetDriveTypeW(root)


def _unescape_mount(text: str) -> str:
    """/proc/mounts writes a space in a mount point as \\040 (octal)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _windows_network(text: str) -> bool:
    if sys.platform == "win32":  # a relative path is on the drive of the current folder
        text = os.path.abspath(text)
    text = text.replace("/", "\\")
    if text.upper().startswith("\\\\?\\UNC\\"):
        return True
    if text.startswith("\\\\?\\") or text.startswith("\\\\.\\"):  # a long local path, a device
        text = text[4:]
    elif text.startswith("\\\\"):  # \\server\share
        return True
    if len(text) >= 2 and text[1] == ":" and text[0].isalpha():
        try:
            return _windows_drive_type(text[0].upper() + ":\\") == DRIVE_REMOTE
        except (AttributeError, OSError):
            return False
    return False


def _linux_network(path: Path) -> bool:
    try:
        where = str(path.resolve())
        mounts = _linux_mounts()
    except OSError:
        return False
    best, best_type = "", ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _unescape_mount(parts[1])
        inside = where == point or where.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, best_type = point, parts[2]
    return best_type in NETWORK_FILESYSTEMS


def is_network_path(path: str | Path) -> bool:
    """Whether ``path`` lies on another computer's disk: a Windows share (``\\\\server\\share``), a mapped
    network drive, or (Linux) an NFS, SMB/CIFS or SSHFS mount. A database must not live there: SQLite's
    locking over a network is not reliable, and a dropped connection in the middle of a write damages the file.
    """
    platform = _platform()
    if platform == "win32":
        return _windows_network(str(path))
    if platform.startswith("linux"):
        return _linux_network(Path(path))
    return False


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
