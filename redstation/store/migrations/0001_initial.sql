-- RedStation schema, migration 1: the whole data model.
--
-- Every synchronised table starts with the same five columns:
--   id          UUID, global across all stations
--   version     hybrid-logical-clock version of the last change (redstation.sync.hlc)
--   origin      station id of the station that created the record
--   deleted     1 = tombstone; deleted records stay so that the deletion can travel
--   created_at  local time of creation, ISO 8601
-- Foreign keys are deferred, so a transaction (an import) may insert in any order. Every
-- referring column is indexed: while a reference dangles, SQLite checks each insert into the
-- referenced table by looking up the referring rows, a full scan per row without an index.
-- Times are local ISO 8601 strings 'YYYY-MM-DDTHH:MM:SS'; dates 'YYYY-MM-DD'.

-- Local settings of this install (this station's id and keys, the clock, preferences). Not synchronised.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE stations (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    code        TEXT NOT NULL,                       -- short prefix of ticket numbers
    community   TEXT NOT NULL,
    street      TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    address     TEXT NOT NULL DEFAULT '',
    public_key  TEXT NOT NULL DEFAULT ''             -- Ed25519, hex; signs the station's bundles
);

-- Local user accounts. Not synchronised: each station has its own staff.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'desk', 'guard', 'viewer')),
    password_hash TEXT NOT NULL,                     -- Argon2id
    phone         TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL
);

CREATE TABLE households (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    estate      TEXT NOT NULL,                       -- 小区
    building    TEXT NOT NULL,                       -- 楼栋
    unit        TEXT NOT NULL DEFAULT '',            -- 单元
    room        TEXT NOT NULL,                       -- 房号
    floor       INTEGER,
    residence_type TEXT NOT NULL DEFAULT 'owner' CHECK (residence_type IN ('owner', 'rented', 'vacant', 'other')),
    phone       TEXT NOT NULL DEFAULT '',
    visit_interval_hours INTEGER CHECK (visit_interval_hours IS NULL OR visit_interval_hours > 0),
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX households_address ON households (estate, building, unit, room);
CREATE INDEX households_origin ON households (origin);

CREATE TABLE residents (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    id_number   TEXT,                                -- 18 characters, validated; NULL when unknown
    gender      TEXT CHECK (gender IN ('M', 'F')),
    birth_date  TEXT,
    phone       TEXT NOT NULL DEFAULT '',
    relation    TEXT NOT NULL DEFAULT 'head',        -- redstation.domain.vocab.RELATIONS
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'moved_out', 'deceased')),
    care_categories TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(care_categories)),     -- codes, vocab.CARE_CATEGORIES
    care_notes  TEXT NOT NULL DEFAULT '',            -- e.g. hard of hearing, uses a gas stove
    emergency_contacts TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(emergency_contacts)), -- [{name, relation, phone}]
    notes       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX residents_household ON residents (household_id);
CREATE INDEX residents_id_number ON residents (id_number) WHERE id_number IS NOT NULL;
CREATE INDEX residents_care ON residents (household_id) WHERE care_categories <> '[]' AND deleted = 0;

CREATE TABLE visits (                                -- append-only: corrections are new rows
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    visited_at  TEXT NOT NULL,
    late_entry  INTEGER NOT NULL DEFAULT 0 CHECK (late_entry IN (0, 1)),
    visitor_id  TEXT,
    visitor_name TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('normal', 'anomaly')),
    finding     TEXT NOT NULL DEFAULT '',
    handling    TEXT CHECK (handling IN ('on_site', 'escalated')),
    ticket_id   TEXT REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    corrects_id TEXT REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,   -- this entry replaces that one
    voided      INTEGER NOT NULL DEFAULT 0 CHECK (voided IN (0, 1)),        -- ... and says it never happened
    notes       TEXT NOT NULL DEFAULT '',
    CHECK ((outcome = 'normal' AND handling IS NULL) OR (outcome = 'anomaly' AND handling IS NOT NULL)),
    CHECK (voided = 0 OR corrects_id IS NOT NULL)
);
CREATE INDEX visits_household ON visits (household_id, visited_at);
CREATE INDEX visits_time ON visits (visited_at);
CREATE INDEX visits_ticket ON visits (ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX visits_corrects ON visits (corrects_id) WHERE corrects_id IS NOT NULL;
CREATE TRIGGER visits_append_only BEFORE UPDATE ON visits
BEGIN SELECT RAISE(ABORT, 'visits are append-only: record a correction instead'); END;

CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    number      TEXT NOT NULL UNIQUE,                -- read out to the resident: CODE-YYYYMMDD-NNN
    kind        TEXT NOT NULL CHECK (kind IN ('complaint', 'consultation', 'repair', 'dispute', 'suggestion')),
    source      TEXT NOT NULL CHECK (source IN ('window', 'phone', 'wechat', 'visit', 'meeting', 'grid')),
    severity    TEXT NOT NULL DEFAULT 'ordinary' CHECK (severity IN ('ordinary', 'major', 'complex')),
    status      TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'assigned', 'on_site', 'resolved', 'called_back')),
    paused      INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),   -- waiting for parts / for the resident
    household_id TEXT REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    resident_id TEXT REFERENCES residents (id) DEFERRABLE INITIALLY DEFERRED,
    caller_name TEXT NOT NULL DEFAULT '',
    caller_phone TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL CHECK (length(trim(summary)) > 0),
    detail      TEXT NOT NULL DEFAULT '',
    attachment  TEXT NOT NULL DEFAULT '',
    accepted_at TEXT NOT NULL,
    accepted_by TEXT NOT NULL,
    assignee_kind TEXT CHECK (assignee_kind IN ('user', 'volunteer')),
    assignee_id TEXT,
    assignee_name TEXT NOT NULL DEFAULT '',
    onsite_due_at  TEXT,                             -- 5341 deadlines, before pauses
    resolve_due_at TEXT,
    plan_due_at    TEXT,
    onsite_at   TEXT,
    plan_at     TEXT,
    resolved_at TEXT,
    called_back_at TEXT,
    resolution  TEXT NOT NULL DEFAULT '',
    visit_id    TEXT REFERENCES visits (id) DEFERRABLE INITIALLY DEFERRED,
    meeting_id  TEXT REFERENCES meetings (id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX tickets_status ON tickets (status, accepted_at);
CREATE INDEX tickets_accepted ON tickets (accepted_at);
CREATE INDEX tickets_household ON tickets (household_id);
CREATE INDEX tickets_resident ON tickets (resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX tickets_visit ON tickets (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX tickets_meeting ON tickets (meeting_id) WHERE meeting_id IS NOT NULL;

CREATE TABLE ticket_events (                         -- the status history; append-only
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    ticket_id   TEXT NOT NULL REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('accept', 'assign', 'on_site', 'plan', 'resolve', 'callback', 'reopen', 'pause', 'resume', 'note')),
    status_from TEXT,
    status_to   TEXT,
    actor_id    TEXT,
    actor_name  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, at);
CREATE TRIGGER ticket_events_append_only BEFORE UPDATE ON ticket_events
BEGIN SELECT RAISE(ABORT, 'ticket history is append-only'); END;

CREATE TABLE surveys (                               -- a satisfaction survey round per estate and period
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    estate      TEXT NOT NULL,
    period      TEXT NOT NULL,                       -- YYYY-MM
    title       TEXT NOT NULL,
    started_on  TEXT
);

CREATE TABLE satisfaction (                          -- ticket callbacks and survey answers
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    channel     TEXT NOT NULL CHECK (channel IN ('callback', 'survey')),
    ticket_id   TEXT REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    survey_id   TEXT REFERENCES surveys (id) DEFERRABLE INITIALLY DEFERRED,
    household_id TEXT REFERENCES households (id) DEFERRABLE INITIALLY DEFERRED,
    estate      TEXT NOT NULL DEFAULT '',
    rating      TEXT CHECK (rating IN ('satisfied', 'basic', 'dissatisfied')),  -- NULL: not reached
    comment     TEXT NOT NULL DEFAULT '',
    answered_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL DEFAULT '',
    CHECK ((channel = 'callback' AND ticket_id IS NOT NULL) OR (channel = 'survey' AND survey_id IS NOT NULL))
);
CREATE INDEX satisfaction_time ON satisfaction (estate, answered_at);
CREATE INDEX satisfaction_ticket ON satisfaction (ticket_id);
CREATE INDEX satisfaction_survey ON satisfaction (survey_id) WHERE survey_id IS NOT NULL;
CREATE INDEX satisfaction_household ON satisfaction (household_id) WHERE household_id IS NOT NULL;

CREATE TABLE volunteers (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    resident_id TEXT REFERENCES residents (id) DEFERRABLE INITIALLY DEFERRED,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    gender      TEXT CHECK (gender IN ('M', 'F')),
    phone       TEXT NOT NULL DEFAULT '',
    id_number   TEXT,
    party_member INTEGER NOT NULL DEFAULT 0 CHECK (party_member IN (0, 1)),
    serving_party_member INTEGER NOT NULL DEFAULT 0 CHECK (serving_party_member IN (0, 1)),  -- 在职党员
    employer    TEXT NOT NULL DEFAULT '',
    availability TEXT NOT NULL DEFAULT '',
    joined_on   TEXT,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    notes       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE volunteer_skills (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id) DEFERRABLE INITIALLY DEFERRED,
    skill       TEXT NOT NULL,                       -- vocab.SKILLS code, or free text
    level       INTEGER NOT NULL DEFAULT 1 CHECK (level BETWEEN 1 AND 3)
);
CREATE INDEX volunteer_skills_volunteer ON volunteer_skills (volunteer_id);
CREATE INDEX volunteers_resident ON volunteers (resident_id) WHERE resident_id IS NOT NULL;
CREATE INDEX volunteer_skills_skill ON volunteer_skills (skill);

CREATE TABLE teams (                                 -- 服务队
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    leader_id   TEXT REFERENCES volunteers (id) DEFERRABLE INITIALLY DEFERRED,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE team_members (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    team_id     TEXT NOT NULL REFERENCES teams (id) DEFERRABLE INITIALLY DEFERRED,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id) DEFERRABLE INITIALLY DEFERRED,
    role        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX team_members_team ON team_members (team_id);
CREATE INDEX teams_leader ON teams (leader_id) WHERE leader_id IS NOT NULL;
CREATE INDEX team_members_volunteer ON team_members (volunteer_id);

CREATE TABLE activities (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind        TEXT NOT NULL DEFAULT 'other',       -- vocab.ACTIVITY_KINDS
    estate      TEXT NOT NULL DEFAULT '',
    place       TEXT NOT NULL DEFAULT '',
    starts_at   TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    hours       REAL NOT NULL CHECK (hours >= 0),    -- default hours per attendee
    organiser   TEXT NOT NULL DEFAULT '',
    team_id     TEXT REFERENCES teams (id) DEFERRABLE INITIALLY DEFERRED,
    description TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activities_time ON activities (starts_at);
CREATE INDEX activities_team ON activities (team_id) WHERE team_id IS NOT NULL;

CREATE TABLE attendance (                            -- sign-up, attendance and service hours
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    activity_id TEXT NOT NULL REFERENCES activities (id) DEFERRABLE INITIALLY DEFERRED,
    volunteer_id TEXT NOT NULL REFERENCES volunteers (id) DEFERRABLE INITIALLY DEFERRED,
    signed_up   INTEGER NOT NULL DEFAULT 1 CHECK (signed_up IN (0, 1)),
    attended    INTEGER NOT NULL DEFAULT 0 CHECK (attended IN (0, 1)),
    hours       REAL NOT NULL DEFAULT 0 CHECK (hours >= 0)
);
CREATE INDEX attendance_activity ON attendance (activity_id);
CREATE INDEX attendance_volunteer ON attendance (volunteer_id);

CREATE TABLE meetings (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind        TEXT NOT NULL CHECK (kind IN ('tripartite', 'quadripartite', 'roundtable', 'residents')),
    estate      TEXT NOT NULL DEFAULT '',
    held_at     TEXT NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    host        TEXT NOT NULL DEFAULT '',
    recorder    TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX meetings_time ON meetings (held_at);

CREATE TABLE meeting_attendees (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    meeting_id  TEXT NOT NULL REFERENCES meetings (id) DEFERRABLE INITIALLY DEFERRED,
    party       TEXT NOT NULL CHECK (party IN ('party', 'community', 'owners_committee', 'property', 'police', 'residents_rep', 'other')),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    title       TEXT NOT NULL DEFAULT '',            -- e.g. 主任, 业委会主任
    person_kind TEXT CHECK (person_kind IN ('resident', 'user', 'volunteer')),  -- NULL: typed in
    person_id   TEXT,
    seq         INTEGER NOT NULL DEFAULT 0           -- order of entry within the meeting
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id);

CREATE TABLE meeting_topics (
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    meeting_id  TEXT NOT NULL REFERENCES meetings (id) DEFERRABLE INITIALLY DEFERRED,
    seq         INTEGER NOT NULL,
    title       TEXT NOT NULL CHECK (length(trim(title)) > 0),
    raised_by   TEXT NOT NULL DEFAULT '',
    discussion  TEXT NOT NULL DEFAULT '',
    resolution  TEXT NOT NULL DEFAULT '',
    ticket_ids  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(ticket_ids))   -- tickets the topic discusses
);
CREATE INDEX meeting_topics_meeting ON meeting_topics (meeting_id, seq);

CREATE TABLE meeting_actions (                       -- follow-up actions; may become tickets
    id          TEXT PRIMARY KEY,
    version     TEXT NOT NULL,
    origin      TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    created_at  TEXT NOT NULL,
    meeting_id  TEXT NOT NULL REFERENCES meetings (id) DEFERRABLE INITIALLY DEFERRED,
    topic_id    TEXT REFERENCES meeting_topics (id) DEFERRABLE INITIALLY DEFERRED,
    description TEXT NOT NULL CHECK (length(trim(description)) > 0),
    owner       TEXT NOT NULL DEFAULT '',
    due_date    TEXT,
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    done_at     TEXT,
    ticket_id   TEXT REFERENCES tickets (id) DEFERRABLE INITIALLY DEFERRED,
    seq         INTEGER NOT NULL DEFAULT 0           -- the action's number in the minutes
);
CREATE INDEX meeting_actions_meeting ON meeting_actions (meeting_id);
CREATE INDEX meeting_actions_topic ON meeting_actions (topic_id) WHERE topic_id IS NOT NULL;
CREATE INDEX meeting_actions_ticket ON meeting_actions (ticket_id) WHERE ticket_id IS NOT NULL;

-- Every change, login, export, print and import. Append-only and hash-chained:
-- hash = sha256(prev_hash | the entry's fields), so a removed or edited entry breaks the chain.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    origin      TEXT NOT NULL,
    at          TEXT NOT NULL,
    user_id     TEXT,
    user_name   TEXT NOT NULL,
    action      TEXT NOT NULL,
    kind        TEXT,
    record_id   TEXT,
    detail      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
