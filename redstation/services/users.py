"""Local user accounts with Argon2id password hashes: log in, add, change and retire accounts.

A login and a failed login are audit entries like any change. Accounts are never deleted (the
audit log names them); a retired account cannot log in. The last active station manager
cannot be retired or demoted: someone must always be able to manage the station.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


class LoginFailed(RedStationError):
    """Wrong user name or password, or a retired account; the same words for each, so as not to tell which."""


def log_in(session: Session, username: str, password: str) -> Actor:
    """The account ``username`` if ``password`` is its password; the session then acts as that user.

    Both outcomes are written to the audit log; a failure raises ``LoginFailed``.
    """
    username = (username or "").strip()
    row = session.conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
    ok = False
    if row is not None and row["active"]:
        try:
            ok = _hasher.verify(row["password_hash"], password or "")
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok:
        # the name typed only if it is an account's: a password typed into the name field stays out of the log
        session.actor = Actor(None, row["username"] if row is not None else "?", "")
        with session.write("session.login_failed", "users", row["id"] if row is not None else None):
            pass
        raise LoginFailed(_("Wrong user name or password"))
    session.actor = Actor(row["id"], row["display_name"], row["role"])
    with session.write("session.login", "users", row["id"]) as change:
        if _hasher.check_needs_rehash(row["password_hash"]):  # stronger settings of a newer argon2-cffi
            change.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (hash_password(password), row["id"]))
    return session.actor


def log_out(session: Session, why: str = "") -> None:
    """Record that the user left (logged out, switched user, or the window locked)."""
    with session.write("session.logout", "users", session.actor.id, {"why": why} if why else None):
        pass


def list_users(conn) -> list[dict]:
    return [dict(row) for row in conn.execute(
        "SELECT id, username, display_name, role, phone, active, created_at FROM users "
        "ORDER BY active DESC, CASE role WHEN 'admin' THEN 0 WHEN 'desk' THEN 1 WHEN 'guard' THEN 2 ELSE 3 END, "
        "username")]


def usernames(conn) -> list[str]:
    """Active accounts, for the login dialog's list."""
    return [row[0] for row in conn.execute("SELECT username FROM users WHERE active = 1 ORDER BY username")]


def _user(conn, user_id: str) -> dict:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise RedStationError(_("The user does not exist"))
    return dict(row)


def _keep_an_admin(conn, user_id: str) -> None:
    others = conn.execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND active = 1 AND id != ?",
                          (user_id,)).fetchone()[0]
    if not others:
        raise RedStationError(_("This is the only station manager's account; make another account station "
                                "manager first"))


def edit_user(session: Session, user_id: str, *, display_name: str | None = None, role: str | None = None,
              phone: str | None = None, active: bool | None = None) -> None:
    """Change an account's name, role, phone or whether it may log in (station manager only)."""
    with session.write("user.update", "users", user_id) as change:
        current = _user(change.conn, user_id)
        changes = {}
        if display_name is not None and display_name.strip() != current["display_name"]:
            if not display_name.strip():
                raise RedStationError(_("{field} must not be empty").format(field=_("Name")))
            changes["display_name"] = display_name.strip()
        if role is not None and role != current["role"]:
            if role not in ROLES:
                raise RedStationError(_("Unknown role {role}").format(role=role))
            changes["role"] = role
        if phone is not None and phone.strip() != current["phone"]:
            changes["phone"] = phone.strip()
        if active is not None and int(active) != current["active"]:
            changes["active"] = int(active)
        if current["role"] == "admin" and current["active"] and (
                changes.get("role", "admin") != "admin" or changes.get("active", 1) == 0):
            _keep_an_admin(change.conn, user_id)
        if changes:
            change.conn.execute("UPDATE users SET {sets} WHERE id = ?".format(
                sets=", ".join("{c} = ?".format(c=c) for c in changes)), [*changes.values(), user_id])
        change.detail.update({"username": current["username"], "fields": sorted(changes)})
        if "role" in changes:
            change.detail["role"] = changes["role"]


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise RedStationError(_("A password needs at least {count} characters").format(count=MIN_PASSWORD_LENGTH))


def reset_password(session: Session, user_id: str, password: str) -> None:
    """The station manager sets a new password for someone who forgot theirs."""
    _check_password(password)
    new_hash = hash_password(password)
    with session.write("user.reset_password", "users", user_id) as change:
        change.detail["username"] = _user(change.conn, user_id)["username"]
        change.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (new_hash, user_id))


def change_own_password(session: Session, old_password: str, new_password: str) -> None:
    """The logged-in user changes their own password, giving the old one first."""
    if session.actor.id is None:
        raise RedStationError(_("Log in with your own account to change its password"))
    row = _user(session.conn, session.actor.id)
    try:
        _hasher.verify(row["password_hash"], old_password or "")
    except (VerificationError, InvalidHashError):
        raise RedStationError(_("The old password is not right")) from None
    _check_password(new_password)
    new_hash = hash_password(new_password)
    with session.write("user.password", "users", row["id"]) as change:
        change.conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (new_hash, row["id"]))


def first_admin(session: Session) -> Actor | None:
    """The first active station manager: whom the window's smoke test and the tests act as."""
    row = session.conn.execute(
        "SELECT id FROM users WHERE role = 'admin' AND active = 1 ORDER BY created_at, rowid LIMIT 1").fetchone()
    return actor(session, row["id"]) if row else None
