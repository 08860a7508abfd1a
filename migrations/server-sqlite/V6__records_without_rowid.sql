-- The records table without a rowid (SQLite). Keep in step with server-postgres.
--
-- A rowid table keyed by a TEXT primary key is two B-trees: the rows by rowid and an index from
-- id to rowid. Every record an import or a push creates was written into both, and every lookup
-- by id went through both. Without a rowid the rows are stored in the id's B-tree itself (records
-- rows are small, which is what WITHOUT ROWID suits), and the unit and updated_seq indexes hold
-- the id, so finding a unit's records needs no lookup in the table at all.
CREATE TABLE records_without_rowid (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    program       TEXT NOT NULL,
    events_object TEXT NOT NULL,
    unit          TEXT,
    status        TEXT NOT NULL,
    updated_seq   INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO records_without_rowid (id, kind, program, events_object, unit, status, updated_seq)
    SELECT id, kind, program, events_object, unit, status, updated_seq FROM records;
DROP TABLE records;
ALTER TABLE records_without_rowid RENAME TO records;
CREATE INDEX records_by_unit ON records (unit);
CREATE INDEX records_by_updated_seq ON records (updated_seq);
