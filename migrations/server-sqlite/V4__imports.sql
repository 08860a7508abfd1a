-- Import batches (批次): one per imported list, with its counts and failure workbook (SQLite).
-- Keep in step with server-postgres.
CREATE TABLE import_batches (
    batch       TEXT PRIMARY KEY,
    program     TEXT    NOT NULL,
    creator     TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    file_name   TEXT,
    rows        INTEGER NOT NULL,
    imported    INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    -- The failure workbook (原列 + 异常信息), absent when every row was imported.
    failures    BLOB
);
CREATE INDEX import_batches_by_time ON import_batches (created_ms);
