"""Chinese headers of the bundle's columns (row 1 of each sheet; row 2 holds the column names)."""

from __future__ import annotations

from redstation.domain.vocab import label
from redstation.i18n import N_

COLUMN_LABELS = {
    "id": N_("Record id"), "version": N_("Version"), "origin": N_("Origin station"), "deleted": N_("Deleted"),
    "created_at": N_("Created"), "vclock": N_("Version vector"), "name": N_("Name"), "code": N_("Station code"),
    "community": N_("Community"), "street": N_("Street office"), "phone": N_("Phone"), "address": N_("Address"),
    "public_key": N_("Public key"), "estate": N_("Estate"), "building": N_("Building"), "unit": N_("Unit"),
    "room": N_("Room"), "floor": N_("Floor"), "residence_type": N_("Residence type"),
    "visit_interval_hours": N_("Own visit interval (hours)"), "notes": N_("Notes"), "household_id": N_("Household"),
    "id_number": N_("Id number"), "gender": N_("Sex"), "birth_date": N_("Date of birth"), "relation": N_("Relation to head"),
    "status": N_("Status"), "care_categories": N_("Care categories"), "care_notes": N_("Care notes"),
    "emergency_contacts": N_("Emergency contacts"), "visited_at": N_("Visited at"), "late_entry": N_("Late-entered"),
    "visitor_id": N_("Visitor account"), "visitor_name": N_("Visitor"), "outcome": N_("Outcome"), "finding": N_("Found"),
    "handling": N_("Handling"), "ticket_id": N_("Ticket"), "corrects_id": N_("Corrects"), "voided": N_("Voided"),
    "number": N_("Number"), "kind": N_("Kind"), "source": N_("Source"), "severity": N_("Severity"), "paused": N_("Waiting"),
    "resident_id": N_("Resident"), "caller_name": N_("Caller"), "caller_phone": N_("Caller's phone"),
    "summary": N_("Matter"), "detail": N_("Details"), "attachment": N_("Attachment"), "accepted_at": N_("Accepted at"),
    "accepted_by": N_("Accepted by"), "assignee_kind": N_("Assigned to (kind)"), "assignee_id": N_("Assignee"),
    "assignee_name": N_("Assigned to"), "onsite_due_at": N_("On site by"), "resolve_due_at": N_("Solved by"),
    "plan_due_at": N_("Plan by"), "onsite_at": N_("On site at"), "plan_at": N_("Plan at"), "resolved_at": N_("Solved at"),
    "called_back_at": N_("Called back at"), "resolution": N_("Solution"), "visit_id": N_("Visit"), "meeting_id": N_("Meeting"),
    "at": N_("Time"), "action": N_("Step"), "status_from": N_("From status"), "status_to": N_("To status"),
    "actor_id": N_("By (account)"), "actor_name": N_("By"), "note": N_("Note"), "period": N_("Month"), "title": N_("Title"),
    "started_on": N_("Started on"), "channel": N_("Channel"), "survey_id": N_("Survey"), "rating": N_("Answer"),
    "comment": N_("Comment"), "answered_at": N_("Answered at"), "recorded_by": N_("Recorded by"),
    "party_member": N_("Party member"), "serving_party_member": N_("Serving party member"), "employer": N_("Employer"),
    "availability": N_("Availability"), "joined_on": N_("Joined on"), "active": N_("Active"),
    "volunteer_id": N_("Volunteer"), "skill": N_("Skill"), "level": N_("Level"), "leader_id": N_("Leader"),
    "description": N_("Description"), "team_id": N_("Team"), "role": N_("Role"), "place": N_("Place"),
    "starts_at": N_("Starts"), "ends_at": N_("Ends"), "hours": N_("Hours"), "organiser": N_("Organiser"),
    "activity_id": N_("Activity"), "signed_up": N_("Signed up"), "attended": N_("Attended"), "held_at": N_("Held at"),
    "host": N_("Host"), "recorder": N_("Recorder"), "party": N_("Party"), "person_kind": N_("Person (kind)"),
    "person_id": N_("Person"), "seq": N_("Order"), "raised_by": N_("Raised by"), "discussion": N_("Discussion"),
    "ticket_ids": N_("Tickets discussed"), "topic_id": N_("Topic"), "owner": N_("Owner"), "due_date": N_("Due date"),
    "done_at": N_("Done at"),
}


def column_label(column: str) -> str:
    """The Chinese header of a column (the column's name when a later migration added one not listed here)."""
    return label(COLUMN_LABELS, column)
