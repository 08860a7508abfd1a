-- Notifications (告警推送), PostgreSQL. Keep in step with server-sqlite.

-- The outbox: one row per (notice, channel). The unique key makes enqueueing idempotent: the
-- same notice enqueued again, after a crash or by another instance, adds nothing.
CREATE TABLE notify_outbox (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key    TEXT    NOT NULL,
    channel            TEXT    NOT NULL,
    kind               TEXT    NOT NULL,
    -- The request body (or e-mail) rendered for the channel's kind, as JSON.
    payload            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    -- Attempts started so far (counted when a worker claims the row).
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT  NOT NULL,
    -- The worker sending it now, and until when; an expired lease makes the row due again.
    lease_owner        TEXT,
    lease_until_ms     BIGINT,
    last_error         TEXT,
    created_at_ms      BIGINT  NOT NULL,
    sent_at_ms         BIGINT,
    UNIQUE (idempotency_key, channel)
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at_ms) WHERE status = 'pending';

-- Every attempt's outcome: sent, failed (to be retried) or dead (the last attempt failed).
CREATE TABLE notify_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    at_ms           BIGINT  NOT NULL,
    outcome         TEXT    NOT NULL CHECK (outcome IN ('sent', 'failed', 'dead')),
    http_status     INTEGER,
    error           TEXT
);
CREATE INDEX notify_deliveries_by_key ON notify_deliveries (idempotency_key, channel);
