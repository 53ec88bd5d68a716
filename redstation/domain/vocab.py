"""The coded values the program stores, with their English labels (translated when shown).

The database keeps the codes; screens, printouts and ledgers show ``label(VOCAB, code)``.
"""

from __future__ import annotations

from redstation.i18n import N_, _

RESIDENCE_TYPES = {
    "owner": N_("Owner-occupied"),
    "rented": N_("Rented"),
    "vacant": N_("Vacant"),
    "other": N_("Other"),
}

RELATIONS = {
    "head": N_("Head of household"),
    "spouse": N_("Spouse"),
    "child": N_("Child"),
    "child_in_law": N_("Child-in-law"),
    "parent": N_("Parent"),
    "grandchild": N_("Grandchild"),
    "sibling": N_("Sibling"),
    "tenant": N_("Tenant"),
    "other": N_("Other relation"),
}

GENDERS = {"M": N_("Male"), "F": N_("Female")}

RESIDENT_STATUSES = {
    "active": N_("Living here"),
    "moved_out": N_("Moved out"),
    "deceased": N_("Deceased"),
}

# Care categories of key households (重点人员类别) with their default visit interval in hours.
CARE_CATEGORIES = {
    "elderly_alone": N_("Elderly living alone"),
    "empty_nest": N_("Empty-nest elderly"),
    "aged_80": N_("Aged 80+"),
    "veteran": N_("Veteran"),
    "party_member": N_("Party member"),
    "left_behind_child": N_("Left-behind child"),
    "disabled": N_("Disabled"),
    "hardship": N_("Subsistence allowance / hardship"),
    "serious_illness": N_("Serious illness"),
}
DEFAULT_VISIT_INTERVAL_HOURS = {
    "elderly_alone": 24,
    "aged_80": 48,
    "serious_illness": 48,
    "empty_nest": 7 * 24,
    "disabled": 7 * 24,
    "veteran": 14 * 24,
    "party_member": 14 * 24,
    "hardship": 14 * 24,
    "left_behind_child": 14 * 24,
}

VISIT_OUTCOMES = {"normal": N_("Normal"), "anomaly": N_("Anomaly found")}
VISIT_HANDLINGS = {"on_site": N_("Handled on the spot"), "escalated": N_("Escalated")}

TICKET_KINDS = {
    "complaint": N_("Complaint"),
    "consultation": N_("Consultation"),
    "repair": N_("Repair"),
    "dispute": N_("Dispute"),
    "suggestion": N_("Suggestion"),
}
TICKET_SOURCES = {
    "window": N_("Service window"),
    "phone": N_("Phone"),
    "wechat": N_("WeChat group"),
    "visit": N_("Home visit"),
    "meeting": N_("Round-table meeting"),
    "grid": N_("Grid worker"),
}
TICKET_SEVERITIES = {
    "ordinary": N_("Ordinary issue"),
    "major": N_("Major issue"),
    "complex": N_("Special complex issue"),
}
TICKET_STATUSES = {
    "accepted": N_("Accepted"),
    "assigned": N_("Assigned"),
    "on_site": N_("On site"),
    "resolved": N_("Resolved"),
    "called_back": N_("Called back"),
}
TICKET_ACTIONS = {
    "accept": N_("Accept"),
    "assign": N_("Assign"),
    "on_site": N_("Arrive on site"),
    "plan": N_("Submit written plan"),
    "resolve": N_("Resolve"),
    "callback": N_("Call back"),
    "reopen": N_("Reopen"),
    "pause": N_("Pause"),
    "resume": N_("Resume"),
    "note": N_("Note"),
}

RATINGS = {
    "satisfied": N_("Satisfied"),
    "basic": N_("Basically satisfied"),
    "dissatisfied": N_("Dissatisfied"),
}

SKILLS = {
    "health_care": N_("Health care"),
    "appliance_repair": N_("Appliance repair"),
    "plumbing": N_("Plumbing and electrics"),
    "sewing": N_("Sewing"),
    "legal_aid": N_("Legal aid"),
    "haircut": N_("Haircut"),
    "counselling": N_("Counselling"),
    "tutoring": N_("Tutoring"),
    "computer": N_("Phones and computers"),
    "culture": N_("Culture and arts"),
}

# Which volunteer skills fit a ticket kind: a repair goes to someone who repairs appliances or pipes.
KIND_SKILLS = {
    "repair": ["appliance_repair", "plumbing"],
    "dispute": ["legal_aid", "counselling"],
    "consultation": ["legal_aid", "computer"],
    "complaint": [],
    "suggestion": [],
}

ACTIVITY_KINDS = {
    "cleanup": N_("Clean-up"),
    "health_clinic": N_("Health clinic"),
    "elderly_visit": N_("Visiting the elderly"),
    "publicity": N_("Publicity"),
    "repair_service": N_("Free repairs"),
    "culture": N_("Culture and sports"),
    "other": N_("Other activity"),
}

MEETING_KINDS = {
    "tripartite": N_("Tripartite joint meeting"),
    "quadripartite": N_("Quadripartite joint meeting"),
    "roundtable": N_("Round-table meeting"),
    "residents": N_("Residents' council"),
}
MEETING_PARTIES = {
    "party": N_("Party organisation"),
    "community": N_("Community committee"),
    "owners_committee": N_("Owners' committee"),
    "property": N_("Property service"),
    "police": N_("Community police"),
    "residents_rep": N_("Residents' representatives"),
    "other": N_("Other party"),
}
ACTION_STATUSES = {"open": N_("Open"), "done": N_("Done")}

ROLES = {
    "admin": N_("Station manager"),
    "desk": N_("Front desk"),
    "guard": N_("Security guard"),
    "viewer": N_("Street office viewer"),
}


def label(vocab: dict[str, str], code: str | None) -> str:
    """The translated label of a code; an unknown code is shown as it is, never hidden."""
    if code is None:
        return ""
    return _(vocab[code]) if code in vocab else code
