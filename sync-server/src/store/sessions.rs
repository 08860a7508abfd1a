//! Console sessions in the ledger database (`migrations/server-*/V7__console_sessions.sql`), so
//! that a restart does not sign everyone out and instances sharing a PostgreSQL database know
//! each other's sessions. Only a token's SHA-256 is stored.

use outpost_shared::sync::ledger::LedgerError;

/// One open session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The SHA-256 of the token, hex.
    pub token_hash: String,
    /// The console user, or `admin` for the administrator.
    pub user_id: String,
    pub administrator: bool,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// The session rows, inside a store transaction.
pub trait SessionTx {
    /// Stores `session`, and forgets sessions that expired before `now_ms`.
    fn insert_console_session(
        &mut self,
        session: &ConsoleSession,
        now_ms: i64,
    ) -> Result<(), LedgerError>;
    /// The session of `token_hash` if it has not expired at `now_ms`.
    fn console_session(
        &mut self,
        token_hash: &str,
        now_ms: i64,
    ) -> Result<Option<ConsoleSession>, LedgerError>;
    fn remove_console_session(&mut self, token_hash: &str) -> Result<(), LedgerError>;
}
