//! [`SessionTx`] on SQLite.

use outpost_shared::sync::ledger::LedgerError;
use rusqlite::{OptionalExtension, params};

use super::SqliteTx;
use crate::store::sessions::{ConsoleSession, SessionTx};
use crate::store::storage;

impl SessionTx for SqliteTx<'_> {
    fn insert_console_session(
        &mut self,
        session: &ConsoleSession,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached("DELETE FROM console_sessions WHERE expires_ms <= ?1")
            .and_then(|mut s| s.execute([now_ms]))
            .map_err(storage)?;
        self.tx
            .prepare_cached(
                "INSERT INTO console_sessions
                 (token_hash, user_id, administrator, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    session.token_hash,
                    session.user_id,
                    session.administrator,
                    session.created_ms,
                    session.expires_ms
                ])
            })
            .map_err(storage)?;
        Ok(())
    }

    fn console_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<ConsoleSession>, LedgerError> {
        self.tx
            .prepare_cached(
                "SELECT token_hash, user_id, administrator, created_ms, expires_ms
                 FROM console_sessions WHERE token_hash = ?1 AND expires_ms > ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![token_hash, now_ms], |r| {
                    Ok(ConsoleSession {
                        token_hash: r.get(0)?,
                        user_id: r.get(1)?,
                        administrator: r.get(2)?,
                        created_ms: r.get(3)?,
                        expires_ms: r.get(4)?,
                    })
                })
                .optional()
            })
            .map_err(storage)
    }

    fn remove_console_session(&mut self, token_hash: &str) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached("DELETE FROM console_sessions WHERE token_hash = ?1")
            .and_then(|mut s| s.execute([token_hash]))
            .map_err(storage)?;
        Ok(())
    }
}
