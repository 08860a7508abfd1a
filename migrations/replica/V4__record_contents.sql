-- Replica store, schema 4: each record's content (record::RecordContent: visible field values,
-- event entries, each actor's change count) beside its document, so that a change received from
-- another device is applied without loading the document. Derived like the rest of the derived
-- tables: a record without a row here is applied by loading its document, which writes the row.

CREATE TABLE record_contents (
    record  INTEGER PRIMARY KEY, -- records.rowid
    content BLOB    NOT NULL
);
