-- RedStation schema, migration 2: the search index over residents (redstation.store.search).
--
-- search_index holds one row per findable resident, under the row id of search_keys (an
-- INTEGER PRIMARY KEY, stable across VACUUM, unlike the implicit rowid of residents).
-- Triggers queue every change that touches what is indexed in search_dirty, whoever writes
-- (a service, a sync import, a repair by hand); search.refresh drains the queue at the end of
-- each write and when the database is opened.

-- prefix: the first one to three characters of every token are indexed too, so that the first
-- keystrokes (z, 3, 3-) read one list instead of merging the lists of thousands of tokens.
CREATE VIRTUAL TABLE search_index USING fts5 (
    name, chars, pinyin, given, tail, room, estate, state,
    tokenize = "unicode61 remove_diacritics 2 tokenchars '-'",
    prefix = '1 2 3',
    columnsize = 0
);

CREATE TABLE search_keys (
    rowid       INTEGER PRIMARY KEY,
    resident_id TEXT NOT NULL UNIQUE
);

CREATE TABLE search_dirty (
    resident_id TEXT PRIMARY KEY
) WITHOUT ROWID;

CREATE TRIGGER search_resident_inserted AFTER INSERT ON residents
BEGIN INSERT OR IGNORE INTO search_dirty (resident_id) VALUES (new.id); END;

CREATE TRIGGER search_resident_updated AFTER UPDATE OF id, household_id, name, id_number, phone, status, deleted ON residents
BEGIN
    INSERT OR IGNORE INTO search_dirty (resident_id) VALUES (old.id);
    INSERT OR IGNORE INTO search_dirty (resident_id) VALUES (new.id);
END;

CREATE TRIGGER search_resident_removed AFTER DELETE ON residents
BEGIN INSERT OR IGNORE INTO search_dirty (resident_id) VALUES (old.id); END;

CREATE TRIGGER search_household_inserted AFTER INSERT ON households
BEGIN INSERT OR IGNORE INTO search_dirty (resident_id) SELECT id FROM residents WHERE household_id = new.id; END;

CREATE TRIGGER search_household_updated AFTER UPDATE OF id, estate, building, unit, room, phone, deleted ON households
BEGIN
    INSERT OR IGNORE INTO search_dirty (resident_id) SELECT id FROM residents WHERE household_id IN (old.id, new.id);
END;

CREATE TRIGGER search_household_removed AFTER DELETE ON households
BEGIN INSERT OR IGNORE INTO search_dirty (resident_id) SELECT id FROM residents WHERE household_id = old.id; END;

INSERT INTO search_dirty (resident_id) SELECT id FROM residents;
