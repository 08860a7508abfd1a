-- Sync server ledger, SQLite (the embedded default). Keep in step with server-postgres.

-- The last sequence number handed out: one row, updated by every accepted change. The row lock
-- makes sequence order commit order (see shared::sync::ledger).
CREATE TABLE ledger_seq (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    last INTEGER NOT NULL
);
INSERT INTO ledger_seq (one, last) VALUES (1, 0);

-- Every accepted change, as received, with when the server received it.
CREATE TABLE changes (
    seq            INTEGER PRIMARY KEY,
    hash           BLOB    NOT NULL UNIQUE,
    record_id      TEXT    NOT NULL,
    bytes          BLOB    NOT NULL,
    device_id      TEXT    NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX changes_by_record ON changes (record_id, seq);

-- Each record's current place and status, folded from its events.
CREATE TABLE records (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    program       TEXT NOT NULL,
    events_object TEXT NOT NULL,
    unit          TEXT,
    status        TEXT NOT NULL,
    updated_seq   INTEGER NOT NULL
);
CREATE INDEX records_by_unit ON records (unit);

CREATE TABLE record_events (
    record_id TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    event     TEXT NOT NULL,
    PRIMARY KEY (record_id, event_id)
) WITHOUT ROWID;

-- Each time a record's unit changed: which devices must receive or drop it.
CREATE TABLE placements (
    record_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    from_unit TEXT,
    to_unit   TEXT,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;
CREATE INDEX placements_by_seq ON placements (seq);

-- Users: a role at a jurisdiction node.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    unit          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

-- Records granted to a user outside their unit, from ledger position `seq` on.
CREATE TABLE grants (
    user_id   TEXT    NOT NULL,
    record_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    PRIMARY KEY (user_id, record_id)
) WITHOUT ROWID;

-- One-time enrolment codes, stored only as hashes.
CREATE TABLE enrolment_codes (
    code_hash     TEXT PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    used_at_ms    INTEGER
);

-- Enrolled devices; the credential is stored only as a hash.
CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           TEXT    NOT NULL,
    label             TEXT    NOT NULL,
    token_hash        TEXT    NOT NULL UNIQUE,
    enrolled_at_ms    INTEGER NOT NULL,
    revoked_at_ms     INTEGER,
    last_sync_ms      INTEGER,
    cursor            INTEGER NOT NULL DEFAULT 0,
    waiting_records   INTEGER NOT NULL DEFAULT 0,
    oldest_unsent_ms  INTEGER
);
