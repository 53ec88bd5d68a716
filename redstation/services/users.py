"""Local user accounts with Argon2id password hashes."""

from __future__ import annotations

from argon2 import PasswordHasher

from redstation import RedStationError
from redstation.domain.vocab import ROLES
from redstation.i18n import _
from redstation.services.session import Actor, Session, Write
from redstation.store import records

MIN_PASSWORD_LENGTH = 6
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_user(change: Write, username: str, display_name: str, role: str, password: str,
             password_hash: str | None = None) -> str:
    """Add a user inside an open write; ``password_hash`` lets bulk callers hash once."""
    username = (username or "").strip()
    display_name = (display_name or "").strip() or username
    if not username:
        raise RedStationError(_("{field} must not be empty").format(field=_("User name")))
    if role not in ROLES:
        raise RedStationError(_("Unknown role {role}").format(role=role))
    if password_hash is None and len(password or "") < MIN_PASSWORD_LENGTH:
        raise RedStationError(_("A password needs at least {count} characters").format(count=MIN_PASSWORD_LENGTH))
    if change.conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
        raise RedStationError(_("The user name {name} is taken").format(name=username))
    user_id = records.new_id()
    records.insert(change.conn, "users", {
        "id": user_id, "username": username, "display_name": display_name, "role": role,
        "password_hash": password_hash or hash_password(password), "created_at": change.now,
    })
    change.detail.setdefault("users", []).append({"username": username, "role": role})
    return user_id


def create_user(session: Session, username: str, display_name: str, role: str, password: str) -> str:
    with session.write("user.create", "users") as change:
        change.record_id = add_user(change, username, display_name, role, password)
        return change.record_id


def actor(session: Session, user_id: str) -> Actor:
    row = session.conn.execute("SELECT id, display_name, role FROM users WHERE id = ?", (user_id,)).fetchone()
    return Actor(row["id"], row["display_name"], row["role"])


def first_admin(session: Session) -> Actor | None:
    """The window acts as the first administrator until login lands (issue 9)."""
    row = session.conn.execute(
        "SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY created_at, rowid LIMIT 1").fetchone()
    return actor(session, row["id"]) if row else None
