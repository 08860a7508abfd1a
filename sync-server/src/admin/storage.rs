//! The `admin_settings` table (`migrations/server-*/V5__admin_settings.sql`) through a connection
//! of its own, like the notification outbox: a handful of rows read at start-up, every few
//! seconds (so that instances sharing a PostgreSQL database follow each other's changes) and
//! written when an administrator saves. The ledger store has run the migrations by the time this
//! opens.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, params};

/// One stored setting: its key (`notify`, `deadlines/<program>`), JSON value, and who changed
/// it when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSetting {
    pub key: String,
    pub value: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

#[derive(Debug, thiserror::Error)]
#[error("administration settings storage failed: {0}")]
pub struct StorageError(String);

impl StorageError {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
}

fn storage(error: impl std::fmt::Display) -> StorageError {
    StorageError(error.to_string())
}

enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres {
        url: String,
        client: Box<Mutex<Option<postgres::Client>>>,
    },
}

pub struct SettingsStorage(Backend);

impl Drop for SettingsStorage {
    fn drop(&mut self) {
        if let Backend::Postgres { client, .. } = &mut self.0 {
            let client = client.get_mut().unwrap_or_else(|e| e.into_inner()).take();
            crate::store::postgres::drop_off_runtime(client);
        }
    }
}

impl SettingsStorage {
    pub fn open(database: &crate::config::Database) -> Result<Self, StorageError> {
        Ok(Self(match database {
            crate::config::Database::Sqlite(path) => Backend::Sqlite(Mutex::new(sqlite(path)?)),
            crate::config::Database::Postgres(url) => Backend::Postgres {
                client: Box::new(Mutex::new(Some(
                    postgres::Client::connect(url, postgres::NoTls).map_err(storage)?,
                ))),
                url: url.clone(),
            },
        }))
    }

    /// Every stored setting, by key.
    pub fn all(&self) -> Result<Vec<StoredSetting>, StorageError> {
        const SELECT: &str =
            "SELECT key, value, updated_ms, updated_by FROM admin_settings ORDER BY key";
        match &self.0 {
            Backend::Sqlite(conn) => {
                let conn = conn.lock().map_err(|_| storage("connection poisoned"))?;
                let mut statement = conn.prepare_cached(SELECT).map_err(storage)?;
                let rows = statement
                    .query_map([], |r| {
                        Ok(StoredSetting {
                            key: r.get(0)?,
                            value: r.get(1)?,
                            updated_ms: r.get(2)?,
                            updated_by: r.get(3)?,
                        })
                    })
                    .map_err(storage)?;
                rows.collect::<Result<_, _>>().map_err(storage)
            }
            Backend::Postgres { .. } => self.postgres(|client| {
                Ok(client
                    .query(SELECT, &[])?
                    .iter()
                    .map(|r| StoredSetting {
                        key: r.get(0),
                        value: r.get(1),
                        updated_ms: r.get(2),
                        updated_by: r.get(3),
                    })
                    .collect())
            }),
        }
    }

    /// Stores `setting`, replacing the row of its key.
    pub fn put(&self, setting: &StoredSetting) -> Result<(), StorageError> {
        match &self.0 {
            Backend::Sqlite(conn) => {
                let conn = conn.lock().map_err(|_| storage("connection poisoned"))?;
                conn.execute(
                    "INSERT INTO admin_settings (key, value, updated_ms, updated_by) \
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET \
                     value = excluded.value, updated_ms = excluded.updated_ms, \
                     updated_by = excluded.updated_by",
                    params![
                        setting.key,
                        setting.value,
                        setting.updated_ms,
                        setting.updated_by
                    ],
                )
                .map_err(storage)?;
                Ok(())
            }
            Backend::Postgres { .. } => self.postgres(|client| {
                client.execute(
                    "INSERT INTO admin_settings (key, value, updated_ms, updated_by) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET \
                     value = excluded.value, updated_ms = excluded.updated_ms, \
                     updated_by = excluded.updated_by",
                    &[
                        &setting.key,
                        &setting.value,
                        &setting.updated_ms,
                        &setting.updated_by,
                    ],
                )?;
                Ok(())
            }),
        }
    }

    /// Removes the setting `key` (back to the file's value).
    pub fn remove(&self, key: &str) -> Result<(), StorageError> {
        match &self.0 {
            Backend::Sqlite(conn) => {
                let conn = conn.lock().map_err(|_| storage("connection poisoned"))?;
                conn.execute("DELETE FROM admin_settings WHERE key = ?1", params![key])
                    .map_err(storage)?;
                Ok(())
            }
            Backend::Postgres { .. } => self.postgres(|client| {
                client.execute("DELETE FROM admin_settings WHERE key = $1", &[&key])?;
                Ok(())
            }),
        }
    }

    /// Runs `work` on the PostgreSQL connection, reconnecting first if it was closed.
    fn postgres<T>(
        &self,
        work: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StorageError> {
        let Backend::Postgres { url, client } = &self.0 else {
            return Err(storage("not a PostgreSQL store"));
        };
        let mut slot = client.lock().map_err(|_| storage("connection poisoned"))?;
        if slot.as_ref().is_none_or(postgres::Client::is_closed) {
            *slot = Some(postgres::Client::connect(url, postgres::NoTls).map_err(storage)?);
        }
        let Some(client) = slot.as_mut() else {
            return Err(storage("no connection"));
        };
        work(client).map_err(storage)
    }
}

fn sqlite(path: &Path) -> Result<Connection, StorageError> {
    let conn = Connection::open(path).map_err(storage)?;
    conn.busy_timeout(Duration::from_secs(10))
        .map_err(storage)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(storage)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(storage)?;
    Ok(conn)
}
