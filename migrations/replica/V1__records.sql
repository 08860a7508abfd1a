-- Replica store, schema 1.
--
-- `record_chunks` is the truth: each record's Automerge document as a snapshot (seq 0) followed by
-- incremental chunks. Everything else is derived from those documents and can be rebuilt from them
-- alone (Replica::rebuild_derived).

CREATE TABLE record_chunks (
    record_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    bytes     BLOB    NOT NULL,
    PRIMARY KEY (record_id, seq)
) WITHOUT ROWID;

-- Derived: one row per record with what lists, counts and search need.
CREATE TABLE records (
    rowid          INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    program        TEXT    NOT NULL,
    unit           TEXT,
    status         TEXT    NOT NULL,
    batch          TEXT,
    name           TEXT,
    phone          TEXT,
    phone_reversed TEXT,
    id_number      TEXT,
    tag            TEXT,
    tag_bound_at   TEXT,
    assigned_at_ms INTEGER,
    updated_at     TEXT,
    review_count   INTEGER NOT NULL,
    stored_heads   BLOB    NOT NULL,
    chunk_count    INTEGER NOT NULL
);
CREATE INDEX records_by_unit_status ON records (unit, status);
CREATE INDEX records_by_phone_tail ON records (phone_reversed);
CREATE INDEX records_by_tag ON records (tag) WHERE tag IS NOT NULL;
CREATE INDEX records_by_batch ON records (batch) WHERE batch IS NOT NULL;

-- Derived: every 1- and 2-character piece of each name, because FTS5's trigram tokenizer cannot
-- match the 2-character queries that most Chinese names are.
CREATE TABLE name_grams (
    gram   TEXT    NOT NULL,
    record INTEGER NOT NULL,
    PRIMARY KEY (gram, record)
) WITHOUT ROWID;
CREATE INDEX name_grams_by_record ON name_grams (record);

-- Derived: substring search in ID numbers (3+ characters).
CREATE VIRTUAL TABLE id_number_trigrams USING fts5(
    id_number,
    content = '',
    contentless_delete = 1,
    tokenize = 'trigram'
);

-- Derived: the review marks each record's own fold produced.
CREATE TABLE review_marks (
    record  INTEGER NOT NULL,
    mark_id TEXT    NOT NULL,
    reason  TEXT    NOT NULL,
    PRIMARY KEY (record, mark_id)
) WITHOUT ROWID;
