//! A real HTTP receiver on 127.0.0.1:0 that plays every vendor at once: WeCom (`/wecom/send`),
//! DingTalk (`/dingtalk/send`), Feishu (`/open-apis/bot/v2/hook/…`) and a generic webhook
//! (`/hook`). It checks the signatures the way the vendors document them — computed here
//! independently of the server's code — answers like the vendor (HTTP 200 with an error code),
//! and can be told to fail or hang a number of times first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

pub const WECOM_KEY: &str = "wecom-robot-key";
pub const DINGTALK_SECRET: &str = "SECdingtalk-test-secret-0123456789";
pub const FEISHU_SECRET: &str = "feishu-test-secret";
pub const WEBHOOK_SECRET: &str = "webhook-test-secret-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 500.
    ServerError,
    /// HTTP 200 with the vendor's error code (webhook: HTTP 500).
    VendorError,
    /// Answers only after this long (then with HTTP 500).
    Hang(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub kind: &'static str,
    pub body: Value,
    pub raw: String,
    pub headers: HeaderMap,
    pub at: Instant,
}

#[derive(Default)]
pub struct ReceiverState {
    faults: Mutex<HashMap<&'static str, VecDeque<Fault>>>,
    delay: Mutex<Duration>,
    /// Every request, by kind (accepted or not).
    hits: Mutex<HashMap<&'static str, usize>>,
    /// Requests whose signature or key was wrong.
    rejected: Mutex<Vec<(&'static str, String)>>,
    accepted: Mutex<Vec<Received>>,
    hangs_started: Mutex<Vec<Instant>>,
}

impl ReceiverState {
    /// The next `faults` requests of `kind` fail in these ways, in order.
    pub fn fail(&self, kind: &'static str, faults: &[Fault]) {
        self.faults
            .lock()
            .unwrap()
            .entry(kind)
            .or_default()
            .extend(faults.iter().copied());
    }

    /// Every request takes this long to answer.
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    pub fn hits(&self, kind: &str) -> usize {
        self.hits.lock().unwrap().get(kind).copied().unwrap_or(0)
    }

    pub fn rejected(&self) -> Vec<(&'static str, String)> {
        self.rejected.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> Vec<Received> {
        self.accepted.lock().unwrap().clone()
    }

    /// Accepted requests of `kind` whose body mentions `needle`.
    pub fn accepted_with(&self, kind: &str, needle: &str) -> usize {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.kind == kind && r.raw.contains(needle))
            .count()
    }

    pub fn hangs_started(&self) -> Vec<Instant> {
        self.hangs_started.lock().unwrap().clone()
    }
}

pub struct Receiver {
    pub base: String,
    pub state: Arc<ReceiverState>,
}

/// Starts a receiver on `runtime`.
pub fn start(runtime: &tokio::runtime::Runtime) -> Receiver {
    let state = Arc::new(ReceiverState::default());
    let app = Router::new().fallback(handle).with_state(state.clone());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let address = listener.local_addr().unwrap();
    runtime.spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Receiver {
        base: format!("http://{address}"),
        state,
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn query(uri: &Uri) -> HashMap<String, String> {
    let url = reqwest::Url::parse(&format!("http://receiver{uri}")).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Checks the request the way the vendor does; `Err` says why it would be refused.
fn verify(kind: &str, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Result<(), String> {
    let json: Value = serde_json::from_slice(body).map_err(|_| "body is not JSON".to_owned())?;
    match kind {
        "wecom" => {
            if query(uri).get("key").map(String::as_str) != Some(WECOM_KEY) {
                return Err("invalid webhook url".into());
            }
            if json["msgtype"] != "markdown" || !json["markdown"]["content"].is_string() {
                return Err("not a markdown message".into());
            }
        }
        "dingtalk" => {
            let q = query(uri);
            let ts: i64 = q
                .get("timestamp")
                .and_then(|t| t.parse().ok())
                .ok_or("no timestamp")?;
            let expected = BASE64.encode(hmac_sha256(
                DINGTALK_SECRET.as_bytes(),
                format!("{ts}\n{DINGTALK_SECRET}").as_bytes(),
            ));
            if q.get("sign") != Some(&expected) {
                return Err("sign not match".into());
            }
            if (now_ms() - ts).abs() > 3_600_000 {
                return Err("timestamp is not within one hour".into());
            }
            if json["msgtype"] != "markdown" || !json["markdown"]["title"].is_string() {
                return Err("not a markdown message".into());
            }
        }
        "feishu" => {
            let ts: i64 = json["timestamp"]
                .as_str()
                .and_then(|t| t.parse().ok())
                .ok_or("no timestamp")?;
            let expected = BASE64.encode(hmac_sha256(
                format!("{ts}\n{FEISHU_SECRET}").as_bytes(),
                b"",
            ));
            if json["sign"].as_str() != Some(expected.as_str()) {
                return Err("sign match fail".into());
            }
            if (now_ms() / 1000 - ts).abs() > 3600 {
                return Err("timestamp is not within one hour".into());
            }
        }
        "webhook" => {
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
                    .ok_or(format!("no {name}"))
            };
            let ts = header("x-outpost-timestamp")?;
            let mut message = format!("{ts}.").into_bytes();
            message.extend_from_slice(body);
            let expected = format!(
                "sha256={}",
                hex::encode(hmac_sha256(WEBHOOK_SECRET.as_bytes(), &message))
            );
            if header("x-outpost-signature")? != expected {
                return Err("bad signature".into());
            }
            if header("x-outpost-idempotency-key")? != json["idempotency_key"] {
                return Err("key header differs from the body".into());
            }
        }
        _ => return Err("unknown path".into()),
    }
    Ok(())
}

fn vendor_answer(kind: &str, ok: bool, message: &str) -> Response {
    let body = match (kind, ok) {
        ("webhook", true) => return (StatusCode::OK, "ok").into_response(),
        ("webhook", false) => return StatusCode::UNAUTHORIZED.into_response(),
        ("feishu", true) => json!({"code": 0, "msg": "success", "data": {}}),
        ("feishu", false) => json!({"code": 19021, "msg": message, "data": {}}),
        (_, true) => json!({"errcode": 0, "errmsg": "ok"}),
        (_, false) => json!({"errcode": 310000, "errmsg": message}),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn handle(
    State(state): State<Arc<ReceiverState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let kind: &'static str = if path.starts_with("/wecom/") {
        "wecom"
    } else if path.starts_with("/dingtalk/") {
        "dingtalk"
    } else if path.starts_with("/open-apis/bot/v2/hook/") {
        "feishu"
    } else if path == "/hook" {
        "webhook"
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    *state.hits.lock().unwrap().entry(kind).or_default() += 1;
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if let Err(why) = verify(kind, &uri, &headers, &body) {
        state.rejected.lock().unwrap().push((kind, why.clone()));
        return vendor_answer(kind, false, &why);
    }
    let fault = state
        .faults
        .lock()
        .unwrap()
        .get_mut(kind)
        .and_then(VecDeque::pop_front);
    match fault {
        Some(Fault::ServerError) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        Some(Fault::VendorError) if kind == "webhook" => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(Fault::VendorError) => vendor_answer(kind, false, "keywords not in content"),
        Some(Fault::Hang(how_long)) => {
            state.hangs_started.lock().unwrap().push(Instant::now());
            tokio::time::sleep(how_long).await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => {
            state.accepted.lock().unwrap().push(Received {
                kind,
                body: serde_json::from_slice(&body).unwrap(),
                raw: String::from_utf8(body.to_vec()).unwrap(),
                headers,
                at: Instant::now(),
            });
            vendor_answer(kind, true, "ok")
        }
    }
}
