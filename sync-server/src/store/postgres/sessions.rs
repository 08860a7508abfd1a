//! [`SessionTx`] on PostgreSQL.

use outpost_shared::sync::ledger::LedgerError;

use super::PgTx;
use crate::store::sessions::{ConsoleSession, SessionTx};

impl SessionTx for PgTx<'_> {
    fn insert_console_session(
        &mut self,
        session: &ConsoleSession,
        now_ms: i64,
    ) -> Result<(), LedgerError> {
        self.execute(
            "DELETE FROM console_sessions WHERE expires_ms <= $1",
            &[&now_ms],
        )?;
        self.execute(
            "INSERT INTO console_sessions
             (token_hash, user_id, administrator, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &session.token_hash,
                &session.user_id,
                &session.administrator,
                &session.created_ms,
                &session.expires_ms,
            ],
        )?;
        Ok(())
    }

    fn console_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<ConsoleSession>, LedgerError> {
        let rows = self.query(
            "SELECT token_hash, user_id, administrator, created_ms, expires_ms
             FROM console_sessions WHERE token_hash = $1 AND expires_ms > $2",
            &[&token_hash, &now_ms],
        )?;
        Ok(rows.first().map(|r| ConsoleSession {
            token_hash: r.get(0),
            user_id: r.get(1),
            administrator: r.get(2),
            created_ms: r.get(3),
            expires_ms: r.get(4),
        }))
    }

    fn remove_console_session(&mut self, token_hash: &str) -> Result<(), LedgerError> {
        self.execute(
            "DELETE FROM console_sessions WHERE token_hash = $1",
            &[&token_hash],
        )?;
        Ok(())
    }
}
