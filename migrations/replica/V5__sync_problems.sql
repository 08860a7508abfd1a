-- Replica store, schema 5: records whose sync went wrong in a way the worker must see.
-- `unreadable`: data the server sent for the record could not be applied here (the stored copy,
-- if any, is left as it was); reported to the server once (`reported_ms`).
-- `refused`: the server refused this device's changes to the record, with its reason; those
-- changes stay unsent. Not derived from the documents: a rebuild keeps these rows.

CREATE TABLE sync_problems (
    record_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('unreadable', 'refused')),
    detail      TEXT    NOT NULL,
    detail_zh   TEXT,
    since_ms    INTEGER NOT NULL,
    reported_ms INTEGER,
    PRIMARY KEY (record_id, kind)
) WITHOUT ROWID;
