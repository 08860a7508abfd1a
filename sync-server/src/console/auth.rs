//! Who is asking the console (控制台登录): a session for an existing user, or the district
//! administrator's token.
//!
//! A user signs in with a one-time code the administrator issues for them (the same kind of code
//! that enrols a device, `POST /admin/users/{id}/enrolment-codes`, stored only as a hash and
//! spent on use). The server answers a random session token, kept only as its SHA-256 hash in
//! memory for [`SESSION_HOURS`]: a restart signs everyone out, and several instances behind one
//! address need sticky sessions. The administrator may present the admin token itself, which
//! sees the whole tree and may import lists.
//!
//! [`Caller`] is an extractor, so a handler's signature says that it needs a signed-in caller;
//! a request without a valid credential gets 401 before any handler code runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use outpost_shared::console::Viewer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Console;
use crate::service::ApiError;
use crate::store::{Redeemed, Store, User};

/// How long a console session lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in caller: the extractor a handler names to say it needs one. A request without a
/// valid credential gets 401 before any handler code runs.
pub struct Caller(pub Viewer);

/// The district administrator, signed in with the admin token: sees the whole tree.
fn administrator() -> Viewer {
    Viewer {
        user_id: "admin".into(),
        display_name: "区卫健局管理员".into(),
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
}

/// Live console sessions by the SHA-256 of their token. A std `Mutex` is right here: it is held
/// for a map lookup or insert only, never across an await.
#[derive(Default)]
pub struct Sessions(Mutex<HashMap<[u8; 32], Session>>);

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl Sessions {
    fn insert(&self, viewer: Viewer, now_ms: i64) -> Result<String, ApiError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| ApiError::internal())?;
        let token = format!("console-{}", hex::encode(bytes));
        let mut sessions = self.0.lock().map_err(|_| ApiError::internal())?;
        sessions.retain(|_, s| s.expires_ms > now_ms);
        sessions.insert(
            digest(&token),
            Session {
                viewer,
                expires_ms: now_ms + SESSION_HOURS * 3_600_000,
            },
        );
        Ok(token)
    }

    fn find(&self, token: &str, now_ms: i64) -> Option<Viewer> {
        let sessions = self.0.lock().ok()?;
        sessions
            .get(&digest(token))
            .filter(|s| s.expires_ms > now_ms)
            .map(|s| s.viewer.clone())
    }

    /// Ends the session of `token`, if there is one.
    pub fn remove(&self, token: &str) {
        if let Ok(mut sessions) = self.0.lock() {
            sessions.remove(&digest(token));
        }
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

fn is_admin_token(console: &Console, given: &str) -> bool {
    // Compare hashes so that the comparison time says nothing about the token.
    !given.is_empty() && digest(given) == digest(&console.app.config.admin_token)
}

impl FromRequestParts<Arc<Console>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Arc<Console>,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers).ok_or_else(unauthorized)?;
        if is_admin_token(console, token) {
            return Ok(Caller(administrator()));
        }
        console
            .sessions
            .find(token, console.app.clock.now_ms())
            .map(Caller)
            .ok_or_else(unauthorized)
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

/// Checks a sign-in and opens a session. Blocking (the code is redeemed in the store).
pub fn sign_in(console: &Console, request: &SignIn) -> Result<Signed, ApiError> {
    let now_ms = console.app.clock.now_ms();
    let viewer = match (&request.code, &request.admin_token) {
        (_, Some(token)) if is_admin_token(console, token) => administrator(),
        (_, Some(_)) => {
            return Err(ApiError::unauthorized(
                "the administrator token is not right",
                "管理员凭证不正确",
            ));
        }
        (Some(code), None) => {
            let hash = hex::encode(digest(&crate::service::normalise_code(code)));
            let user = console.app.store.transaction(|tx| {
                Ok(match tx.redeem_enrolment_code(&hash, now_ms)? {
                    Redeemed::User(id) => tx.user(&id)?,
                    Redeemed::Unknown | Redeemed::AlreadyUsed | Redeemed::Expired => None,
                })
            })?;
            match user {
                Some(user) => viewer_of(user),
                None => {
                    return Err(ApiError::unauthorized(
                        "this sign-in code is unknown, used or expired: ask the administrator for a new one",
                        "登录码无效、已使用或已过期，请向管理员申请新的登录码",
                    ));
                }
            }
        }
        (None, None) => return Err(unauthorized()),
    };
    let token = console.sessions.insert(viewer.clone(), now_ms)?;
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

    #[test]
    fn a_session_is_found_until_it_expires_and_not_after_sign_out() {
        let sessions = Sessions::default();
        let token = sessions.insert(town_worker(), 1_000).unwrap();
        assert_eq!(sessions.find(&token, 2_000), Some(town_worker()));
        assert_eq!(sessions.find("console-other", 2_000), None);
        let end = 1_000 + SESSION_HOURS * 3_600_000;
        assert_eq!(sessions.find(&token, end), None, "expired");
        let again = sessions.insert(town_worker(), 5_000).unwrap();
        sessions.remove(&again);
        assert_eq!(sessions.find(&again, 6_000), None, "signed out");
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
