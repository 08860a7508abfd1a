-- Replica store, schema 2: what the sync server has acknowledged. Not derived: it cannot be
-- rebuilt from the documents, so Replica::rebuild_derived leaves it alone.

-- Per record, the heads the server is known to hold. A record whose stored heads differ has
-- changes to send (or was never sent).
CREATE TABLE sync_records (
    record_id    TEXT PRIMARY KEY,
    synced_heads BLOB NOT NULL
) WITHOUT ROWID;

-- Small key/value facts about sync: the pull cursor, the time of the last successful sync.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
