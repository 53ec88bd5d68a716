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

# The kinds of record people count and list (``stats``, ``list``).
RECORD_KINDS = {
    "households": N_("Households"), "residents": N_("Residents"), "key_households": N_("Key households"),
    "visits": N_("Visits"), "tickets": N_("Tickets"), "volunteers": N_("Volunteers"),
    "activities": N_("Activities"), "meetings": N_("Meetings"),
}

ROLES = {
    "admin": N_("Station manager"),
    "desk": N_("Front desk"),
    "guard": N_("Security guard"),
    "viewer": N_("Street office viewer"),
}


# What each action did, in words (the actions are those of ``Session.write`` across the services).
ACTIONS = {
    "session.login": N_("Logged in"),
    "session.login_failed": N_("Failed login"),
    "session.logout": N_("Logged out"),
    "unmask": N_("Viewed a whole id number and phone"),
    "user.create": N_("Created a user account"),
    "user.update": N_("Changed a user account"),
    "user.password": N_("Changed own password"),
    "user.reset_password": N_("Reset a user's password"),
    "station.init": N_("Created the station"),
    "station.first_run": N_("Set up the station and its manager"),
    "station.untrust": N_("Stopped trusting a station"),
    "backup": N_("Made a backup"),
    "backup.auto": N_("Made an automatic backup"),
    "restore": N_("Restored a backup"),
    "demo.generate": N_("Filled in sample data"),
    "household.create": N_("Registered a household"),
    "household.update": N_("Changed a household"),
    "household.delete": N_("Deleted a household"),
    "resident.create": N_("Registered a resident"),
    "resident.update": N_("Changed a resident"),
    "resident.delete": N_("Deleted a resident"),
    "visit.log": N_("Logged a home visit"),
    "visit.correct": N_("Corrected a home visit"),
    "visits.intervals": N_("Changed the visit intervals"),
    "ticket.accept": N_("Accepted a ticket"),
    "ticket.assign": N_("Assigned a ticket"),
    "ticket.on_site": N_("Ticket: arrived on site"),
    "ticket.plan": N_("Ticket: submitted a written plan"),
    "ticket.resolve": N_("Resolved a ticket"),
    "ticket.callback": N_("Called back about a ticket"),
    "ticket.reopen": N_("Reopened a ticket"),
    "ticket.pause": N_("Ticket: waiting"),
    "ticket.resume": N_("Ticket: waiting ended"),
    "ticket.note": N_("Added a note to a ticket"),
    "volunteer.create": N_("Registered a volunteer"),
    "volunteer.update": N_("Changed a volunteer"),
    "volunteer.delete": N_("Deleted a volunteer"),
    "team.create": N_("Created a service team"),
    "team.update": N_("Changed a service team"),
    "team.delete": N_("Deleted a service team"),
    "team.members": N_("Changed a team's members"),
    "activity.create": N_("Created a volunteer activity"),
    "activity.update": N_("Changed a volunteer activity"),
    "activity.delete": N_("Deleted a volunteer activity"),
    "attendance.sign_up": N_("Signed up for an activity"),
    "attendance.update": N_("Recorded attendance and hours"),
    "attendance.remove": N_("Removed from an activity"),
    "meeting.create": N_("Created a meeting"),
    "meeting.update": N_("Changed a meeting"),
    "meeting.delete": N_("Deleted a meeting"),
    "meeting.attendee_add": N_("Added a meeting attendee"),
    "meeting.attendee_update": N_("Changed a meeting attendee"),
    "meeting.attendee_remove": N_("Removed a meeting attendee"),
    "meeting.topic_add": N_("Added a meeting topic"),
    "meeting.topic_update": N_("Changed a meeting topic"),
    "meeting.topic_remove": N_("Removed a meeting topic"),
    "meeting.topic_move": N_("Moved a meeting topic"),
    "meeting.action_add": N_("Added a follow-up action"),
    "meeting.action_update": N_("Changed a follow-up action"),
    "meeting.action_remove": N_("Removed a follow-up action"),
    "meeting.action_done": N_("Marked a follow-up action done"),
    "meeting.action_reopen": N_("Reopened a follow-up action"),
    "meeting.action_ticket": N_("Made a ticket of a follow-up action"),
    "survey.create": N_("Started a satisfaction survey"),
    "survey.answer": N_("Recorded survey answers"),
    "ledger.import": N_("Imported a ledger"),
    "ledger.export": N_("Exported the ledger"),
    "bundle.import": N_("Imported a data bundle"),
    "bundle.export": N_("Exported a data bundle"),
    "conflict.resolve": N_("Settled a sync conflict"),
    "print.receipt": N_("Printed a ticket receipt"),
    "print.round_sheet": N_("Printed a round sheet"),
    "print.visit_log": N_("Printed a visit log"),
    "print.minutes": N_("Printed meeting minutes"),
    "print.certificate": N_("Printed an hours certificate"),
    "print.monthly_report": N_("Printed the monthly report"),
}


def label(vocab: dict[str, str], code: str | None) -> str:
    """The translated label of a code; an unknown code is shown as it is, never hidden."""
    if code is None:
        return ""
    return _(vocab[code]) if code in vocab else code
