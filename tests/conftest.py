"""Every test runs offscreen, in its own data folder, never touching real user data."""

import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Module- and session-scoped fixtures run before the per-test folder below exists: give them one too.
os.environ["REDSTATION_HOME"] = tempfile.mkdtemp(prefix="redstation-tests-")

import pytest  # noqa: E402

from redstation.services.session import Actor, Session  # noqa: E402


@pytest.fixture(autouse=True)
def redstation_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("REDSTATION_HOME", str(home))
    return home


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "station.db"


@pytest.fixture
def session(db_path):
    with Session.open(db_path, Actor.command_line()) as s:
        yield s
