//! Anti-automation (防暴力破解, OWASP ASVS 5.0 V6): what stops a device, script or browser from
//! guessing enrolment codes, console sign-in codes, the admin token or device credentials.
//!
//! Every attempt with one of them is an [`Attempt`] begun before the value is looked at: if the
//! source address or the value itself is locked, the request is refused with 429, a
//! `Retry-After` header and "尝试次数过多，请 N 分钟后再试" — even when the value is right, and
//! without spending a code. A refused value counts a failure against both keys (see
//! [`throttle`] for the numbers and the back-off); a warning names the kind, the source and the
//! first hex digits of the value's hash, never the value. Console session tokens (256 random
//! bits, `console-…`) are not counted: nobody guesses them, and an administrator whose office
//! address is locked out of the admin token keeps the sessions already open.
//!
//! The source is the peer's socket address. The configuration has no notion of a trusted
//! reverse proxy, so `X-Forwarded-For` is never believed; behind a proxy every client shares the
//! proxy's address (and its lockouts) until such a setting exists. The table is per instance:
//! instances sharing a PostgreSQL database count separately.
//!
//! Also here: [`Administrator`], the extractor of the `/admin` endpoints (the admin token, for
//! the CLI and scripts, or an administrator's console session, for the browser), and
//! [`response`] (security headers; 413 as JSON).

pub mod response;
pub mod throttle;

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use outpost_shared::sync::message::ErrorBody;
use sha2::{Digest, Sha256};

use self::throttle::{Key, Kind, Lockout, Subject, Throttle};
use crate::App;
use crate::service::ApiError;

/// The lockout table, shared by every request of this instance. A std `Mutex` is right: it is
/// held for a few map operations, never across an await.
#[derive(Debug, Default)]
pub struct Guard(Mutex<Throttle>);

/// One attempt with a code or token: its keys, and what the logs may say about it.
#[derive(Debug)]
pub struct Attempt {
    kind: Kind,
    source: IpAddr,
    keys: Vec<Key>,
}

/// An error answer that may also be "too many attempts" (429 with `Retry-After`).
#[derive(Debug)]
pub enum Refusal {
    Api(ApiError),
    TooManyAttempts { retry_after_s: i64 },
}

impl From<ApiError> for Refusal {
    fn from(error: ApiError) -> Self {
        Refusal::Api(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Api(error) => error.into_response(),
            Refusal::TooManyAttempts { retry_after_s } => {
                let minutes = (retry_after_s + 59) / 60;
                let body = ErrorBody::new(
                    "too_many_attempts",
                    format!(
                        "too many attempts; try again in {minutes} minute{}",
                        if minutes == 1 { "" } else { "s" }
                    ),
                    format!("尝试次数过多，请 {minutes} 分钟后再试"),
                );
                let mut response =
                    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
                response
            }
        }
    }
}

/// The SHA-256 of a presented value: the only form the table keeps.
pub fn digest(value: &str) -> [u8; 32] {
    Sha256::digest(value.as_bytes()).into()
}

impl Guard {
    fn table(&self) -> std::sync::MutexGuard<'_, Throttle> {
        // A panic while holding the lock leaves a consistent table (each operation is a few
        // map calls), so a poisoned lock is used as it is.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Begins an attempt of `kind` from `source` presenting `value` (already normalised, e.g. a
    /// code in upper case without dashes); refused while either key is locked.
    pub fn begin(
        &self,
        kind: Kind,
        source: IpAddr,
        value: &str,
        now_ms: i64,
    ) -> Result<Attempt, Refusal> {
        let keys = vec![
            Key {
                kind,
                subject: Subject::Source(source),
            },
            Key {
                kind,
                subject: Subject::Credential(digest(value)),
            },
        ];
        if let Some(locked) = self.table().check(&keys, now_ms) {
            tracing::warn!(
                kind = ?kind,
                source = %source,
                key = %locked.key.subject.shown(),
                until_ms = locked.until_ms,
                "attempt refused: locked out"
            );
            return Err(Refusal::TooManyAttempts {
                retry_after_s: locked.retry_after_s(now_ms),
            });
        }
        Ok(Attempt { kind, source, keys })
    }

    /// The value was refused: one more failure for each key, logged without the value.
    pub fn failed(&self, attempt: &Attempt, now_ms: i64) {
        let counted = self.table().failed(&attempt.keys, now_ms);
        let failures = counted.first().map_or(0, |c| c.failures);
        let key = attempt
            .keys
            .get(1)
            .map(|k| k.subject.shown())
            .unwrap_or_default();
        tracing::warn!(
            kind = ?attempt.kind,
            source = %attempt.source,
            key = %key,
            failures,
            "failed attempt"
        );
        for locked in counted.iter().filter(|c| c.locked_until_ms.is_some()) {
            tracing::warn!(
                kind = ?attempt.kind,
                source = %attempt.source,
                key = %locked.key.subject.shown(),
                until_ms = locked.locked_until_ms.unwrap_or_default(),
                "locked out after repeated failures"
            );
        }
    }

    /// The value was accepted: the failure counts of this attempt's keys start again.
    pub fn succeeded(&self, attempt: &Attempt) {
        self.table().succeeded(&attempt.keys);
    }

    /// Settles an attempt by its outcome: a refusal for which `is_failure` is true counts.
    pub fn settle<T>(
        &self,
        attempt: &Attempt,
        outcome: &Result<T, ApiError>,
        is_failure: impl FnOnce(&ApiError) -> bool,
        now_ms: i64,
    ) {
        match outcome {
            Ok(_) => self.succeeded(attempt),
            Err(error) if is_failure(error) => self.failed(attempt, now_ms),
            Err(_) => {}
        }
    }

    /// The current lockouts, for the administrator.
    pub fn lockouts(&self, now_ms: i64) -> Vec<Lockout> {
        self.table().lockouts(now_ms)
    }

    /// Lifts lockout `id`; whether there was one.
    pub fn lift(&self, id: u64) -> bool {
        match self.table().lift(id) {
            Some(key) => {
                tracing::info!(kind = ?key.kind, key = %key.subject.shown(), "lockout lifted");
                true
            }
            None => false,
        }
    }
}

/// The key of an address: IPv4 as it is, IPv6 by its /64 (one subscriber's prefix, which an
/// attacker would otherwise walk through).
pub fn source_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let [a, b, c, d, ..] = v6.segments();
            IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// Where a request comes from: the peer's socket address (see the module doc about proxies).
/// A router served without connection info (an in-process test) is "unspecified".
#[derive(Debug, Clone, Copy)]
pub struct Source(pub IpAddr);

impl Source {
    pub fn of(parts: &Parts) -> Self {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(a)| a.ip());
        Source(source_key(address))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Source::of(parts))
    }
}

/// The administrator, for the `/admin` endpoints: the admin token (the CLI's imports, scripts)
/// or a console session the administrator opened with it (the browser console, which never
/// keeps the token). 401 without either, 403 for another user's session.
pub struct Administrator;

impl FromRequestParts<Arc<App>> for Administrator {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &Arc<App>,
    ) -> Result<Self, Self::Rejection> {
        let required = || {
            Refusal::Api(ApiError::unauthorized(
                "administrator credential required",
                "需要管理员凭证",
            ))
        };
        let token = crate::console::auth::bearer(&parts.headers).ok_or_else(required)?;
        let source = Source::of(parts);
        match crate::console::auth::viewer_of_bearer(app, source, token).await? {
            Some(viewer) if viewer.administrator => Ok(Administrator),
            Some(_) => Err(Refusal::Api(ApiError::new(
                403,
                "forbidden",
                "only the administrator may do this".into(),
                "只有管理员可以进行此操作".into(),
            ))),
            None => Err(required()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_source_is_its_64_and_a_mapped_ipv4_is_the_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(source_key(a), source_key(b));
        assert_eq!(source_key(a).to_string(), "2001:db8:1:2::");
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(source_key(mapped).to_string(), "10.1.2.3");
    }

    #[test]
    fn a_lockout_answers_429_with_retry_after_and_a_chinese_message() {
        let guard = Guard::default();
        let source = IpAddr::from([10, 0, 0, 1]);
        for _ in 0..throttle::Policy::DEFAULT.threshold {
            let attempt = guard
                .begin(Kind::EnrolmentCode, source, "WRONG", 0)
                .unwrap();
            guard.failed(&attempt, 0);
        }
        // Another value from the same source is refused too.
        let Err(refusal) = guard.begin(Kind::EnrolmentCode, source, "RIGHT", 1_000) else {
            panic!("not locked");
        };
        let response = refusal.into_response();
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()[header::RETRY_AFTER], "59");
        // Another kind from the same source is not.
        assert!(
            guard
                .begin(Kind::SignInCode, source, "RIGHT", 1_000)
                .is_ok()
        );
    }
}
