"""One program per database: the lock a running RedStation holds on its database file.

The window holds it for as long as it runs, and ``restore`` (which replaces the whole
database) for as long as it works, so a restore from the command line never pulls the data
from under an open window, and a second window on the same file is stopped with a message.
Other commands may run beside an open window: SQLite lets one writer at a time in.

The lock is the operating system's lock on the file ``<database>.lock`` beside the database
(``fcntl.flock`` on Linux, ``msvcrt.locking`` on Windows): the system lets it go when the
process ends in any way, a crash or a power cut included, so a lock is never left behind.
The file holds the number of the process that has it, for the message.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from redstation import RedStationError
from redstation.i18n import _
from redstation.paths import data_dir

log = logging.getLogger(__name__)

PID_OFFSET = 16  # the locked byte is byte 0 (Windows refuses reading a locked range); the number is written after it


class DatabaseInUse(RedStationError):
    """Another running RedStation has the database open."""


def lock_path(path: str | Path) -> Path:
    """The lock file of a database: beside it (``redstation.db.lock``)."""
    path = Path(path)
    return path.with_name(path.name + ".lock")


def _fallback_lock_path(path: str | Path) -> Path:
    """Where the lock goes when the database's folder cannot be written: the data folder, named by the path."""
    digest = hashlib.sha1(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:16]
    folder = data_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / (digest + ".lock")


def _try_lock(fd: int) -> bool:
    if os.name == "nt":
        import msvcrt
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, PID_OFFSET, os.SEEK_SET)
        return os.read(fd, 32).decode("ascii", "replace").strip() or "?"
    except OSError:
        return "?"


class DatabaseLock:
    """The lock of the database at ``path``; ``DatabaseLock.take(path)`` or None when no lock file can be
    written anywhere (a read-only place: the program then runs without one)."""

    def __init__(self, fd: int, file: Path):
        self._fd: int | None = fd
        self.file = file

    @classmethod
    def take(cls, path: str | Path) -> "DatabaseLock | None":
        """Raises DatabaseInUse when another running RedStation holds the lock."""
        for place in (lock_path(path), None):
            try:
                file = place or _fallback_lock_path(path)
                fd = os.open(file, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                log.warning("cannot write a lock file for %s (%s)", path, exc)
                continue
            if not _try_lock(fd):
                holder = _holder(fd)
                os.close(fd)
                raise DatabaseInUse(_("RedStation is already open on this database (program number {pid}); use that "
                                      "window, or close it and start again.").format(pid=holder))
            try:
                os.lseek(fd, PID_OFFSET, os.SEEK_SET)
                os.write(fd, str(os.getpid()).ljust(16).encode("ascii"))
            except OSError:
                pass  # the number is only for the message
            return cls(fd, file)
        return None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let the lock go (closing the file releases the system's lock); the file stays for the next run."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
