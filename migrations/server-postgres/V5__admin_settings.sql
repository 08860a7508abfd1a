-- Administration settings changed in the console (管理设置), PostgreSQL. Keep in step with
-- server-sqlite. One row per setting, its value JSON:
--   'notify'                 channels and routes added in the console, over the [notify] file's
--   'deadlines/<program id>' a program's deadline durations, times and recipients
-- The config file and the program files stay the defaults; a row overrides them until reset.
CREATE TABLE admin_settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_ms  BIGINT  NOT NULL,
    -- Who changed it (the console user id), never personal data.
    updated_by  TEXT    NOT NULL
);
