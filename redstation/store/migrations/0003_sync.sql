-- RedStation schema, migration 3: synchronisation by bundles.
--
-- vclock      every mutable synchronised record carries a version vector: station id -> the
--             version of that station's last change to it (JSON). Two changes conflict when
--             neither vector covers the other; the later version wins and the loser is kept.
--             '{}' on rows made before this migration means {origin: version}.
-- sync_changes  what changed locally and when, in order (a trigger per table): a bundle made
--             "since the last one for that peer" takes the changes after the peer's mark, also
--             changes that arrived from a third station with an older version.
-- sync_peers  the stations this one exchanges bundles with: their pinned public key, and the
--             mark of the last bundle made for each.
-- sync_conflicts  the losing versions of records changed on two stations at once.

ALTER TABLE stations ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE households ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE residents ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE tickets ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE surveys ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE satisfaction ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE volunteers ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE volunteer_skills ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE teams ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE team_members ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE activities ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE attendance ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE meetings ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE meeting_attendees ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE meeting_topics ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));
ALTER TABLE meeting_actions ADD COLUMN vclock TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(vclock));

CREATE TABLE sync_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl         TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    UNIQUE (tbl, record_id)
);

CREATE TRIGGER sync_stations_insert AFTER INSERT ON stations
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('stations', NEW.id); END;
CREATE TRIGGER sync_stations_update AFTER UPDATE ON stations
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('stations', NEW.id); END;
CREATE TRIGGER sync_households_insert AFTER INSERT ON households
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('households', NEW.id); END;
CREATE TRIGGER sync_households_update AFTER UPDATE ON households
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('households', NEW.id); END;
CREATE TRIGGER sync_residents_insert AFTER INSERT ON residents
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('residents', NEW.id); END;
CREATE TRIGGER sync_residents_update AFTER UPDATE ON residents
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('residents', NEW.id); END;
CREATE TRIGGER sync_visits_insert AFTER INSERT ON visits
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('visits', NEW.id); END;
CREATE TRIGGER sync_tickets_insert AFTER INSERT ON tickets
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('tickets', NEW.id); END;
CREATE TRIGGER sync_tickets_update AFTER UPDATE ON tickets
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('tickets', NEW.id); END;
CREATE TRIGGER sync_ticket_events_insert AFTER INSERT ON ticket_events
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('ticket_events', NEW.id); END;
CREATE TRIGGER sync_surveys_insert AFTER INSERT ON surveys
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('surveys', NEW.id); END;
CREATE TRIGGER sync_surveys_update AFTER UPDATE ON surveys
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('surveys', NEW.id); END;
CREATE TRIGGER sync_satisfaction_insert AFTER INSERT ON satisfaction
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('satisfaction', NEW.id); END;
CREATE TRIGGER sync_satisfaction_update AFTER UPDATE ON satisfaction
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('satisfaction', NEW.id); END;
CREATE TRIGGER sync_volunteers_insert AFTER INSERT ON volunteers
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('volunteers', NEW.id); END;
CREATE TRIGGER sync_volunteers_update AFTER UPDATE ON volunteers
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('volunteers', NEW.id); END;
CREATE TRIGGER sync_volunteer_skills_insert AFTER INSERT ON volunteer_skills
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('volunteer_skills', NEW.id); END;
CREATE TRIGGER sync_volunteer_skills_update AFTER UPDATE ON volunteer_skills
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('volunteer_skills', NEW.id); END;
CREATE TRIGGER sync_teams_insert AFTER INSERT ON teams
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('teams', NEW.id); END;
CREATE TRIGGER sync_teams_update AFTER UPDATE ON teams
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('teams', NEW.id); END;
CREATE TRIGGER sync_team_members_insert AFTER INSERT ON team_members
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('team_members', NEW.id); END;
CREATE TRIGGER sync_team_members_update AFTER UPDATE ON team_members
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('team_members', NEW.id); END;
CREATE TRIGGER sync_activities_insert AFTER INSERT ON activities
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('activities', NEW.id); END;
CREATE TRIGGER sync_activities_update AFTER UPDATE ON activities
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('activities', NEW.id); END;
CREATE TRIGGER sync_attendance_insert AFTER INSERT ON attendance
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('attendance', NEW.id); END;
CREATE TRIGGER sync_attendance_update AFTER UPDATE ON attendance
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('attendance', NEW.id); END;
CREATE TRIGGER sync_meetings_insert AFTER INSERT ON meetings
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meetings', NEW.id); END;
CREATE TRIGGER sync_meetings_update AFTER UPDATE ON meetings
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meetings', NEW.id); END;
CREATE TRIGGER sync_meeting_attendees_insert AFTER INSERT ON meeting_attendees
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_attendees', NEW.id); END;
CREATE TRIGGER sync_meeting_attendees_update AFTER UPDATE ON meeting_attendees
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_attendees', NEW.id); END;
CREATE TRIGGER sync_meeting_topics_insert AFTER INSERT ON meeting_topics
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_topics', NEW.id); END;
CREATE TRIGGER sync_meeting_topics_update AFTER UPDATE ON meeting_topics
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_topics', NEW.id); END;
CREATE TRIGGER sync_meeting_actions_insert AFTER INSERT ON meeting_actions
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_actions', NEW.id); END;
CREATE TRIGGER sync_meeting_actions_update AFTER UPDATE ON meeting_actions
BEGIN INSERT OR REPLACE INTO sync_changes (tbl, record_id) VALUES ('meeting_actions', NEW.id); END;
INSERT INTO sync_changes (tbl, record_id)
SELECT 'stations', id FROM stations
UNION ALL SELECT 'households', id FROM households
UNION ALL SELECT 'residents', id FROM residents
UNION ALL SELECT 'visits', id FROM visits
UNION ALL SELECT 'tickets', id FROM tickets
UNION ALL SELECT 'ticket_events', id FROM ticket_events
UNION ALL SELECT 'surveys', id FROM surveys
UNION ALL SELECT 'satisfaction', id FROM satisfaction
UNION ALL SELECT 'volunteers', id FROM volunteers
UNION ALL SELECT 'volunteer_skills', id FROM volunteer_skills
UNION ALL SELECT 'teams', id FROM teams
UNION ALL SELECT 'team_members', id FROM team_members
UNION ALL SELECT 'activities', id FROM activities
UNION ALL SELECT 'attendance', id FROM attendance
UNION ALL SELECT 'meetings', id FROM meetings
UNION ALL SELECT 'meeting_attendees', id FROM meeting_attendees
UNION ALL SELECT 'meeting_topics', id FROM meeting_topics
UNION ALL SELECT 'meeting_actions', id FROM meeting_actions;

CREATE TABLE sync_peers (
    station_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    public_key  TEXT NOT NULL,                       -- Ed25519, hex, pinned when first trusted
    trusted_at  TEXT NOT NULL,
    trusted_by  TEXT NOT NULL,
    exported_seq INTEGER NOT NULL DEFAULT 0,          -- sync_changes.seq covered by the last bundle made for it
    exported_at TEXT,
    imported_at TEXT,                                -- when its last bundle was imported here
    imported_created TEXT                            -- the creation time of that bundle
);

CREATE TABLE sync_conflicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tbl         TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    bundle_station TEXT NOT NULL,                    -- the station whose bundle was being imported
    winner_version TEXT NOT NULL,
    loser_version TEXT NOT NULL,
    loser_origin TEXT NOT NULL,                      -- the station that made the losing change
    loser       TEXT NOT NULL CHECK (json_valid(loser)),   -- the losing row, column -> value
    resolved_at TEXT,                                -- an administrator kept the winner or took the loser
    resolved_by TEXT,
    resolution  TEXT CHECK (resolution IN ('kept', 'taken'))
);
CREATE INDEX sync_conflicts_open ON sync_conflicts (resolved_at, tbl);
CREATE INDEX sync_conflicts_record ON sync_conflicts (tbl, record_id);
