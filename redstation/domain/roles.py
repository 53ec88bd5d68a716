"""What each role may do. Enforced where every change passes: ``Session.write`` checks its action here.

- admin 站长: everything (users, unmasking, imports and exports, bundles, backups);
- desk 窗口: the register, tickets, visits entered from paper sheets, volunteers, meetings,
  surveys, printing, masked ledgers; id numbers and phones only after saying why (unmask);
- guard 保安: the round and its visits (an escalated anomaly opens its ticket), its printouts;
- viewer 街道: looks at figures and ledgers, prints reports and masked ledgers; changes nothing.

An action is named like ``resident.update``; a rule ending in "." covers every action that
starts with it. Actions not listed are for the administrator only: a new kind of change is
closed until someone decides who may make it.
"""

from __future__ import annotations

from redstation import RedStationError
from redstation.domain import idnumber, phone
from redstation.domain.vocab import ACTIONS, RECORD_KINDS, ROLES, label
from redstation.i18n import _

# Logging in and out, automatic backups, one's own password, and setting up a database without a manager yet
EVERYONE = ("session.", "backup.auto", "user.password", "station.first_run")

RULES = {
    "admin": ("",),
    "desk": ("household.", "resident.", "ticket.", "visit.", "volunteer.", "team.", "activity.", "attendance.",
             "meeting.", "survey.", "ledger.export", "print.", "unmask"),
    "guard": ("visit.", "print.round_sheet", "print.visit_log"),
    "viewer": ("ledger.export", "print.monthly_report", "print.visit_log", "print.certificate", "print.minutes"),
}
# Pages of the window each role sees (the window's own names); the services refuse the rest anyway.
PAGES = {
    "admin": ("dashboard", "register", "visits", "tickets", "volunteers", "meetings", "exchange", "settings"),
    "desk": ("dashboard", "register", "visits", "tickets", "volunteers", "meetings", "settings"),
    "guard": ("visits", "settings"),
    "viewer": ("dashboard", "register", "visits", "tickets", "volunteers", "meetings", "settings"),
}
# The kinds of record each role may list (``redstation list``); the others may list every kind. A guard has the
# key households of the round and their visits: names, addresses and care notes, never tickets or people's helpers.
LISTS = {"guard": ("households", "residents", "visits")}
SEES_ID_NUMBERS = ("admin", "desk")      # guards never see them, not even masked ones they could guess from
UNMASK_NEEDS_REASON = ("desk",)          # the manager may look without saying why; the desk says why, on record


class NotAllowed(RedStationError):
    """The user's role does not allow this; nothing was changed."""


def allowed(role: str, action: str) -> bool:
    if action.startswith(EVERYONE):
        return True
    return any(action == rule or (rule.endswith(".") or rule == "") and action.startswith(rule)
               for rule in RULES.get(role, ()))


def check(role: str, action: str) -> None:
    if not allowed(role, action):
        raise NotAllowed(_("A {role} may not do this ({action}); ask the station manager").format(
            role=label(ROLES, role) if role else _("user who is not logged in"), action=label(ACTIONS, action)))


def check_list(role: str, kind: str) -> None:
    """Refuse (NotAllowed) a list of ``kind`` the role may not read."""
    if role in LISTS and kind not in LISTS[role]:
        raise NotAllowed(_("A {role} may not list {kind}; ask the station manager").format(
            role=label(ROLES, role), kind=label(RECORD_KINDS, kind)))


def shown(role: str, item: dict, *, unmasked: bool = False) -> dict:
    """``item`` as ``role`` may see it: id number and phone masked, or (``unmasked``) whole; no id number for guards.

    ``unmasked`` is for the station manager, or for the desk after ``register.unmask`` recorded why.
    """
    item = dict(item)
    whole = unmasked and allowed(role, "unmask")
    if item.get("id_number"):
        item["id_number"] = "" if role not in SEES_ID_NUMBERS else item["id_number"] if whole else idnumber.mask(item["id_number"])
    if item.get("phone") and not whole:
        item["phone"] = phone.mask(item["phone"])
    return item
