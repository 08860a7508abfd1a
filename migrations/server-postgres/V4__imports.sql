-- Import batches (批次): one per imported list, with its counts and failure workbook (PostgreSQL).
-- Keep in step with server-sqlite.
CREATE TABLE import_batches (
    batch       TEXT PRIMARY KEY,
    program     TEXT    NOT NULL,
    creator     TEXT    NOT NULL,
    created_ms  BIGINT NOT NULL,
    file_name   TEXT,
    rows        BIGINT NOT NULL,
    imported    BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    -- The failure workbook (原列 + 异常信息), absent when every row was imported.
    failures    BYTEA
);
CREATE INDEX import_batches_by_time ON import_batches (created_ms);
