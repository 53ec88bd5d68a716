"""kill -9 for the power-cut tests: run ``python -m redstation`` in a child process and kill it at a given moment."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def redstation_env(home: Path) -> dict[str, str]:
    """The environment of a child ``redstation``: its own data folder (logs, backups), the tests' language."""
    return dict(os.environ, REDSTATION_HOME=str(home))


def run_and_kill(argv: list, delay: float, env: dict[str, str]) -> tuple[bool, float]:
    """Run ``python -m redstation *argv``; SIGKILL it ``delay`` seconds after its start if it is still running.

    Returns (killed, seconds it ran). A command that ends by itself must succeed.
    """
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "redstation", *map(str, argv)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        return True, time.monotonic() - started
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    assert proc.returncode == 0, err
    return False, time.monotonic() - started
