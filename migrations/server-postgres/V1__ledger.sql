-- Sync server ledger, PostgreSQL (several server instances may share it). Keep in step with server-sqlite.

-- The last sequence number handed out: one row, updated by every accepted change. The row lock
-- makes sequence order commit order (see shared::sync::ledger).
CREATE TABLE ledger_seq (
    one  SMALLINT PRIMARY KEY CHECK (one = 1),
    last BIGINT NOT NULL
);
INSERT INTO ledger_seq (one, last) VALUES (1, 0);

-- Every accepted change, as received, with when the server received it.
CREATE TABLE changes (
    seq            BIGINT PRIMARY KEY,
    hash           BYTEA    NOT NULL UNIQUE,
    record_id      TEXT    NOT NULL,
    bytes          BYTEA    NOT NULL,
    device_id      TEXT    NOT NULL,
    received_at_ms BIGINT NOT NULL
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
    updated_seq   BIGINT NOT NULL
);
CREATE INDEX records_by_unit ON records (unit text_pattern_ops);

CREATE TABLE record_events (
    record_id TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    event     TEXT NOT NULL,
    PRIMARY KEY (record_id, event_id)
);

-- Each time a record's unit changed: which devices must receive or drop it.
CREATE TABLE placements (
    record_id TEXT    NOT NULL,
    seq       BIGINT NOT NULL,
    from_unit TEXT,
    to_unit   TEXT,
    PRIMARY KEY (record_id, seq)
);
CREATE INDEX placements_by_seq ON placements (seq);

-- Users: a role at a jurisdiction node.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    unit          TEXT    NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Records granted to a user outside their unit, from ledger position `seq` on.
CREATE TABLE grants (
    user_id   TEXT    NOT NULL,
    record_id TEXT    NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (user_id, record_id)
);

-- One-time enrolment codes, stored only as hashes.
CREATE TABLE enrolment_codes (
    code_hash     TEXT PRIMARY KEY,
    user_id       TEXT    NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms    BIGINT
);

-- Enrolled devices; the credential is stored only as a hash.
CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    user_id           TEXT    NOT NULL,
    label             TEXT    NOT NULL,
    token_hash        TEXT    NOT NULL UNIQUE,
    enrolled_at_ms    BIGINT NOT NULL,
    revoked_at_ms     BIGINT,
    last_sync_ms      BIGINT,
    cursor            BIGINT NOT NULL DEFAULT 0,
    waiting_records   BIGINT NOT NULL DEFAULT 0,
    oldest_unsent_ms  BIGINT
);
