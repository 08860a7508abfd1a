-- Console sessions (控制台登录会话), PostgreSQL. Keep in step with server-sqlite.
-- A session survives a restart of the server and is seen by every instance sharing the
-- database. The token itself is never stored: only its SHA-256 (hex). The viewer is rebuilt from
-- the user's row when an instance first meets the session (after a restart, on another instance).
CREATE TABLE console_sessions (
    token_hash     TEXT    PRIMARY KEY,
    -- The console user id, or 'admin' for a session opened with the admin token.
    user_id        TEXT    NOT NULL,
    administrator  BOOLEAN NOT NULL,
    created_ms     BIGINT NOT NULL,
    expires_ms     BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_expiry ON console_sessions (expires_ms);
