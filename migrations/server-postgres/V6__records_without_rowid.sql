-- Kept in step with server-sqlite's V6, which stores its records table without a rowid (one
-- B-tree fewer per record). PostgreSQL's tables have no rowid B-tree: its records table already
-- is one heap and one primary-key index, and the schema is unchanged. Nothing to do.
SELECT 1;
