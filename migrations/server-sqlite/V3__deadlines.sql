-- Tasks, deadlines and the engine that raises alerts (SQLite). Keep in step with server-postgres.

-- How far the deadline engine has read the ledger. Every engine pass updates this one row first,
-- which serialises passes (also across server instances on PostgreSQL).
CREATE TABLE engine_state (
    one    INTEGER PRIMARY KEY CHECK (one = 1),
    cursor INTEGER NOT NULL
);
INSERT INTO engine_state (one, cursor) VALUES (1, 0);

-- The engine reads records in the order they last changed.
CREATE INDEX records_by_updated_seq ON records (updated_seq);

-- Each person's standing in their current task (shared::task::Member as JSON).
CREATE TABLE task_members (
    record_id TEXT PRIMARY KEY,
    task_id   TEXT NOT NULL,
    member    TEXT NOT NULL
);
CREATE INDEX task_members_by_task ON task_members (task_id);

-- Tasks (one per batch and unit, plus one per move), with their counts for lists and screens.
CREATE TABLE tasks (
    id          TEXT PRIMARY KEY,
    task_key    TEXT    NOT NULL,
    program     TEXT    NOT NULL,
    batch       TEXT    NOT NULL,
    unit        TEXT    NOT NULL,
    members     INTEGER NOT NULL,
    claimed     INTEGER NOT NULL,
    answered    INTEGER NOT NULL,
    anchor_ms   INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX tasks_by_unit ON tasks (unit);

-- Scheduled ladder steps. state: open (waiting), fired (alert standing), resolved (alert
-- resolved), met (done in time, or nothing left to do).
CREATE TABLE deadlines (
    task_id       TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    occurrence_ms INTEGER NOT NULL,
    step          INTEGER NOT NULL,
    due_ms        INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    alert_id      TEXT,
    fired_ms      INTEGER,
    notified      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_id, rule, occurrence_ms, step)
);
CREATE INDEX deadlines_open_by_due ON deadlines (due_ms) WHERE state = 'open';
CREATE INDEX deadlines_unnotified ON deadlines (fired_ms) WHERE state <> 'open' AND notified = 0 AND alert_id IS NOT NULL;
