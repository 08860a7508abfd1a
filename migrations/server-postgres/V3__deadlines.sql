-- Tasks, deadlines and the engine that raises alerts (PostgreSQL). Keep in step with server-sqlite.

-- How far the deadline engine has read the ledger. Every engine pass updates this one row first,
-- which serialises passes (also across server instances on PostgreSQL).
CREATE TABLE engine_state (
    one    INTEGER PRIMARY KEY CHECK (one = 1),
    cursor BIGINT NOT NULL
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
    members     BIGINT NOT NULL,
    claimed     BIGINT NOT NULL,
    answered    BIGINT NOT NULL,
    anchor_ms   BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
CREATE INDEX tasks_by_unit ON tasks (unit);

-- Scheduled ladder steps. state: open (waiting), fired (alert standing), resolved (alert
-- resolved), met (done in time, or nothing left to do).
CREATE TABLE deadlines (
    task_id       TEXT    NOT NULL,
    rule          TEXT    NOT NULL,
    occurrence_ms BIGINT NOT NULL,
    step          BIGINT NOT NULL,
    due_ms        BIGINT NOT NULL,
    state         TEXT    NOT NULL,
    alert_id      TEXT,
    fired_ms      BIGINT,
    notified      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (task_id, rule, occurrence_ms, step)
);
CREATE INDEX deadlines_open_by_due ON deadlines (due_ms) WHERE state = 'open';
CREATE INDEX deadlines_unnotified ON deadlines (fired_ms) WHERE state <> 'open' AND NOT notified AND alert_id IS NOT NULL;
