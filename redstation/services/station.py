"""Creating the station (init) and its first administrator."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from redstation import RedStationError
from redstation.i18n import _
from redstation.services import users
from redstation.services.session import Session, Write
from redstation.store import records


def _required(value: str | None, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise RedStationError(_("{field} must not be empty").format(field=field))
    return value


def _create_station(change: Write, name: str, community: str, street: str) -> str:
    if change.session.station_id:
        station = change.session.station()
        raise RedStationError(_("This database already belongs to the station {name}").format(name=station["name"]))
    name = _required(name, _("Station name"))
    community = _required(community, _("Community"))
    station_id = records.new_id()
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()
    private = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()).hex()
    records.set_setting(change.conn, "station_id", station_id)
    records.set_setting(change.conn, "signing_key", private)
    change.station_id = station_id
    change.insert("stations", id=station_id, name=name, code=station_id[:4].upper(), community=community,
                  street=(street or "").strip(), public_key=public)
    change.record_id = station_id
    change.detail.update(name=name, community=community, street=street or "")
    return station_id


def init_station(session: Session, name: str, community: str, street: str = "") -> str:
    """Make this database the station ``name``; returns the station id."""
    with session.write("station.init", "stations") as change:
        return _create_station(change, name, community, street)


def needs_setup(session: Session) -> tuple[bool, bool]:
    """(no station yet, no administrator yet): what the first-run dialog must ask for."""
    has_admin = session.conn.execute("SELECT 1 FROM users WHERE role = 'admin' AND active = 1").fetchone()
    return session.station_id is None, has_admin is None


def first_run(session: Session, *, station_name: str | None, community: str | None, street: str | None,
              username: str, display_name: str, password: str) -> str:
    """Create the station (unless it exists) and the first administrator in one transaction.

    Returns the new administrator's user id; the session then acts as that user. Anyone may do
    this, but only while the database has no station manager yet.
    """
    with session.write("station.first_run", "users") as change:
        if not needs_setup(session)[1]:
            raise RedStationError(_("This station already has a station manager; log in"))
        if session.station_id is None:
            _create_station(change, station_name or "", community or "", street or "")
        user_id = users.add_user(change, username, display_name, "admin", password)
        change.record_id = user_id
    session.actor = users.actor(session, user_id)
    return user_id
