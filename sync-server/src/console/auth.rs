//! Who is asking the console (控制台登录): a session for an existing user, or the district
//! administrator's token.
//!
//! A user signs in with a one-time code the administrator issues for them (the same kind of code
//! that enrols a device, `POST /admin/users/{id}/enrolment-codes`, stored only as a hash and
//! spent on use). The server answers a random session token, kept only as its SHA-256 hash in
//! the ledger database (`console_sessions`) for [`SESSION_HOURS`]: a restart signs nobody out,
//! and instances sharing a PostgreSQL database accept each other's sessions. The administrator
//! signs in with the admin token the same way and gets an administrator's session, which sees
//! the whole tree and may import lists: the browser console keeps only that session token, never
//! the admin token. Non-browser clients (the CLI's imports, scripts, tests) may still present
//! the admin token itself as the bearer.
//!
//! Every code and admin token presented here goes through [`crate::guard`] first: too many
//! failures from one address, or with one value, answer 429 for a while, even for a right one.
//!
//! [`Caller`] is an extractor, so a handler's signature says that it needs a signed-in caller;
//! a request without a valid credential gets 401 before any handler code runs.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use outpost_shared::console::Viewer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Console;
use crate::guard::throttle::Kind;
use crate::guard::{Refusal, Source};
use crate::service::{ADMINISTRATOR_ID, ADMINISTRATOR_NAME, ApiError};
use crate::store::sessions::ConsoleSession;
use crate::store::{Redeemed, Store, User};
use crate::{AnyStore, App};

/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in caller: the extractor a handler names to say it needs one. A request without a
/// valid credential gets 401 before any handler code runs.
pub struct Caller(pub Viewer);

/// The district administrator, signed in with the admin token: sees the whole tree.
fn administrator() -> Viewer {
    Viewer {
        user_id: ADMINISTRATOR_ID.into(),
        display_name: ADMINISTRATOR_NAME.into(),
        role: "admin".into(),
        unit: String::new(),
        administrator: true,
    }
}

fn viewer_of(user: User) -> Viewer {
    Viewer {
        user_id: user.id,
        display_name: user.display_name,
        role: user.role,
        unit: user.unit,
        administrator: false,
    }
}

struct Session {
    viewer: Viewer,
    expires_ms: i64,
    /// When the database last said the session is open: re-asked after [`RECHECK_MS`], so a
    /// sign-out on another instance ends it here too.
    checked_ms: i64,
}

/// How long a session found in memory is trusted before the database is asked again.
const RECHECK_MS: i64 = 60_000;

/// Console sessions: the `console_sessions` rows (which survive a restart and are shared by
/// instances on one PostgreSQL database), and the ones this instance has met, in memory, so a
/// wall screen's polling does not open a transaction per request. A std `Mutex` is right here:
/// it is held for a map lookup or insert only, never across an await.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<[u8; 32], Session>>);

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn store_failed(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "cannot use the console sessions");
    ApiError::internal()
}

impl Sessions {
    /// Opens a session for `viewer`: stored, then remembered. Blocking.
    fn open(&self, store: &AnyStore, viewer: Viewer, now_ms: i64) -> Result<String, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| ApiError::internal())?;
        let token = format!("{SESSION_PREFIX}{}", hex::encode(bytes));
        let hash = digest(&token);
        let row = ConsoleSession {
            token_hash: hex::encode(hash),
            user_id: viewer.user_id.clone(),
            administrator: viewer.administrator,
            created_ms: now_ms,
            expires_ms: now_ms + SESSION_HOURS * 3_600_000,
        };
        store
            .transaction(|tx| tx.insert_console_session(&row, now_ms))
            .map_err(store_failed)?;
        self.remember(hash, viewer, row.expires_ms, now_ms);
        Ok(token)
    }

    fn remember(&self, hash: [u8; 32], viewer: Viewer, expires_ms: i64, now_ms: i64) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.retain(|_, s| s.expires_ms > now_ms);
            sessions.insert(
                hash,
                Session {
                    viewer,
                    expires_ms,
                    checked_ms: now_ms,
                },
            );
        }
    }

    /// The viewer of `token` if this instance met the session lately; `None` means "ask the
    /// database" ([`Sessions::load`]).
    fn recent(&self, token: &str, now_ms: i64) -> Option<Viewer> {
        let sessions = self.0.lock().ok()?;
        sessions
            .get(&digest(token))
            .filter(|s| s.expires_ms > now_ms && now_ms - s.checked_ms < RECHECK_MS)
            .map(|s| s.viewer.clone())
    }

    /// The viewer of `token` as the database has it (the user's current role and unit), now
    /// remembered; `None` for no open session. Blocking.
    fn load(&self, store: &AnyStore, token: &str, now_ms: i64) -> Result<Option<Viewer>, ApiError> {
        let hash = digest(token);
        let found = store
            .transaction(|tx| {
                let Some(row) = tx.console_session(&hex::encode(hash), now_ms)? else {
                    return Ok(None);
                };
                let viewer = if row.administrator {
                    Some(administrator())
                } else {
                    tx.user(&row.user_id)?.map(viewer_of)
                };
                Ok(viewer.map(|viewer| (viewer, row.expires_ms)))
            })
            .map_err(store_failed)?;
        match found {
            Some((viewer, expires_ms)) => {
                self.remember(hash, viewer.clone(), expires_ms, now_ms);
                Ok(Some(viewer))
            }
            None => {
                if let Ok(mut sessions) = self.0.lock() {
                    sessions.remove(&hash);
                }
                Ok(None)
            }
        }
    }

    /// Ends the session of `token`, if there is one. Blocking.
    pub fn close(&self, store: &AnyStore, token: &str) -> Result<(), ApiError> {
        let hash = digest(token);
        if let Ok(mut sessions) = self.0.lock() {
            sessions.remove(&hash);
        }
        store
            .transaction(|tx| tx.remove_console_session(&hex::encode(hash)))
            .map_err(store_failed)
    }
}

fn unauthorized() -> ApiError {
    ApiError::unauthorized("sign in to the console first", "请先登录控制台")
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// How a console session token begins (the admin token may not, see [`viewer_of_bearer`]).
const SESSION_PREFIX: &str = "console-";

pub(crate) fn is_admin_token(app: &App, given: &str) -> bool {
    // Compare hashes so that the comparison time says nothing about the token.
    !given.is_empty() && digest(given) == digest(&app.config.admin_token)
}

/// Who a bearer credential is: the administrator (the admin token), the user of an open
/// console session, or nobody (`None`). Anything but a session token counts as an admin-token
/// attempt: refused while its source or value is locked, a failure when wrong. Session tokens
/// (256 random bits) are looked up without counting, so a locked-out address keeps the
/// sessions it already has.
pub(crate) async fn viewer_of_bearer(
    app: &Arc<App>,
    Source(source): Source,
    token: &str,
) -> Result<Option<Viewer>, Refusal> {
    let now_ms = app.clock.now_ms();
    let admin = is_admin_token(app, token);
    if !admin && token.starts_with(SESSION_PREFIX) {
        if let Some(viewer) = app.sessions.recent(token, now_ms) {
            return Ok(Some(viewer));
        }
        let (app, token) = (app.clone(), token.to_owned());
        return Ok(
            crate::http::blocking(move || app.sessions.load(&app.store, &token, now_ms)).await?,
        );
    }
    let attempt = app.guard.begin(Kind::AdminToken, source, token, now_ms)?;
    if admin {
        app.guard.succeeded(&attempt);
        Ok(Some(administrator()))
    } else {
        app.guard.failed(&attempt, now_ms);
        Ok(None)
    }
}

impl FromRequestParts<Arc<Console>> for Caller {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(unauthorized)?;
        viewer_of_bearer(&console.app, Source::of(parts), token)
            .await?
            .map(Caller)
            .ok_or_else(|| unauthorized().into())
    }
}

/// What a sign-in presents: a one-time code, or the administrator's token.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub code: Option<String>,
    pub admin_token: Option<String>,
}

/// A session: the token to send as `Authorization: Bearer …`, and who it is for.
#[derive(Debug, Serialize)]
pub struct Signed {
    pub token: String,
    pub viewer: Viewer,
    pub expires_in_ms: i64,
}

/// Checks a sign-in from `source` and opens a session. Blocking (the code is redeemed in the
/// store). A locked source or value is refused before the code is looked at, so a right code
/// is not spent by a refused attempt.
pub fn sign_in(console: &Console, request: &SignIn, source: IpAddr) -> Result<Signed, Refusal> {
    let app = &console.app;
    let now_ms = app.clock.now_ms();
    let viewer = match (&request.code, &request.admin_token) {
        (_, Some(token)) => {
            let attempt = app.guard.begin(Kind::AdminToken, source, token, now_ms)?;
            if !is_admin_token(app, token) {
                app.guard.failed(&attempt, now_ms);
                return Err(ApiError::unauthorized(
                    "the administrator token is not right",
                    "管理员凭证不正确",
                )
                .into());
            }
            app.guard.succeeded(&attempt);
            administrator()
        }
        (Some(code), None) => {
            let code = crate::service::normalise_code(code);
            let attempt = app.guard.begin(Kind::SignInCode, source, &code, now_ms)?;
            let hash = hex::encode(digest(&code));
            let user = app
                .store
                .transaction(|tx| {
                    Ok(match tx.redeem_enrolment_code(&hash, now_ms)? {
                        Redeemed::User(id) => tx.user(&id)?,
                        Redeemed::Unknown | Redeemed::AlreadyUsed | Redeemed::Expired => None,
                    })
                })
                .map_err(ApiError::from)?;
            let Some(user) = user else {
                app.guard.failed(&attempt, now_ms);
                return Err(ApiError::unauthorized(
                    "this sign-in code is unknown, used or expired: ask the administrator for a new one",
                    "登录码无效、已使用或已过期，请向管理员申请新的登录码",
                )
                .into());
            };
            app.guard.succeeded(&attempt);
            viewer_of(user)
        }
        (None, None) => return Err(unauthorized().into()),
    };
    let token = app.sessions.open(&app.store, viewer.clone(), now_ms)?;
    tracing::info!(user = %viewer.user_id, "console session opened");
    Ok(Signed {
        token,
        viewer,
        expires_in_ms: SESSION_HOURS * 3_600_000,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn town_worker() -> Viewer {
        Viewer {
            user_id: "nansha-worker".into(),
            display_name: "南沙".into(),
            role: "worker".into(),
            unit: "440115001".into(),
            administrator: false,
        }
    }

    fn store(dir: &std::path::Path) -> AnyStore {
        let database = crate::config::Database::Sqlite(dir.join("ledger.db"));
        let store = AnyStore::open(&database, 2).unwrap();
        store
            .transaction(|tx| {
                tx.insert_user(&User {
                    id: "nansha-worker".into(),
                    display_name: "南沙".into(),
                    role: "worker".into(),
                    unit: "440115001".into(),
                    created_at_ms: 0,
                })
            })
            .unwrap();
        store
    }

    #[test]
    fn a_session_is_found_until_it_expires_and_not_after_sign_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let sessions = Sessions::default();
        let token = sessions.open(&store, town_worker(), 1_000).unwrap();
        assert_eq!(sessions.recent(&token, 2_000), Some(town_worker()));
        assert_eq!(sessions.recent("console-other", 2_000), None);
        assert_eq!(sessions.load(&store, "console-other", 2_000).unwrap(), None);
        let end = 1_000 + SESSION_HOURS * 3_600_000;
        assert_eq!(sessions.recent(&token, end), None, "expired");
        assert_eq!(sessions.load(&store, &token, end).unwrap(), None);
        let again = sessions.open(&store, town_worker(), 5_000).unwrap();
        sessions.close(&store, &again).unwrap();
        assert_eq!(sessions.recent(&again, 6_000), None, "signed out");
        assert_eq!(sessions.load(&store, &again, 6_000).unwrap(), None);
    }

    #[test]
    fn a_session_outlives_the_memory_that_opened_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path());
        let before = Sessions::default();
        let worker = before.open(&store, town_worker(), 1_000).unwrap();
        let admin = before.open(&store, administrator(), 1_000).unwrap();
        // A restart, or another instance: nothing in memory, the database knows.
        let after = Sessions::default();
        assert_eq!(after.recent(&worker, 2_000), None);
        assert_eq!(
            after.load(&store, &worker, 2_000).unwrap(),
            Some(town_worker())
        );
        assert_eq!(
            after.recent(&worker, 3_000),
            Some(town_worker()),
            "now remembered"
        );
        assert_eq!(
            after.load(&store, &admin, 2_000).unwrap(),
            Some(administrator())
        );
        // Signed out elsewhere: this instance stops trusting its memory within a minute.
        before.close(&store, &worker).unwrap();
        assert_eq!(after.recent(&worker, 2_000 + RECHECK_MS), None);
        assert_eq!(
            after.load(&store, &worker, 2_000 + RECHECK_MS).unwrap(),
            None
        );
        // Only the token's hash is stored.
        let conn = rusqlite::Connection::open(dir.path().join("ledger.db")).unwrap();
        let stored: Vec<String> = conn
            .prepare("SELECT token_hash FROM console_sessions")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(stored, [hex::encode(digest(&admin))]);
    }

    #[test]
    fn a_viewer_sees_their_subtree_only() {
        let viewer = town_worker();
        assert!(viewer.sees("440115001"));
        assert!(viewer.sees("440115001003"));
        assert!(!viewer.sees("440115002"));
        assert!(!viewer.sees("440115"), "not the district above");
        assert!(administrator().sees("350203001"));
    }
}
