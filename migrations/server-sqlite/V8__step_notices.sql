-- Immediate notices of declared steps (流转即时通知), SQLite. Keep in step with server-postgres.
-- One row per step taken that its program says to tell someone about at once (纳入管控 → the
-- named recipient): the engine inserts it in the pass that reads the step, in the same
-- transaction as its cursor, and marks it handed over once the outbox has it, so a restart
-- neither loses nor repeats one. The outbox's idempotency key (record, event, recipient) drops a
-- repeat after a crash between the two.
CREATE TABLE step_notices (
    record_id  TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    program    TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    unit       TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    notified   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (record_id, event_id)
);
CREATE INDEX step_notices_unnotified ON step_notices (at_ms) WHERE notified = 0;
