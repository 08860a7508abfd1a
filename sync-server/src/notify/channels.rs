//! Sending one queued delivery to its channel: the vendors' request formats, signatures and
//! success conditions.
//!
//! | kind | request | success |
//! |---|---|---|
//! | wecom | POST the stored markdown body | HTTP 200 and `errcode == 0` |
//! | dingtalk | POST, with `&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256(secret, "{ts}\n{secret}")>` when signed | HTTP 200 and `errcode == 0` |
//! | feishu | POST, with `"timestamp": "<s>"` and `"sign": base64 HMAC-SHA256(key "{ts}\n{secret}", empty message)` when signed | HTTP 200 and `code == 0` (`StatusCode == 0` in old responses) |
//! | webhook | POST our JSON with `X-Outpost-Idempotency-Key`, `X-Outpost-Timestamp` (s) and `X-Outpost-Signature: sha256=<hex HMAC-SHA256(secret, "{ts}.{body}")>` | any 2xx |
//! | smtp | a UTF-8 plain-text e-mail whose Message-ID is derived from the idempotency key | the relay accepts it |
//!
//! Signature timestamps come from the wall clock, not the injected [`super::Clock`]: receivers
//! compare them with their own clocks. Every send is bounded by the configured timeout. Errors
//! are short and never contain the robot URL (it carries the key) or the message.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::NotifyError;
use super::config::{ChannelConfig, NotifyConfig, Secret, SmtpSettings, SmtpTls, Target};
use super::outbox::Claimed;

/// Responses are read up to this size; vendors answer with a few dozen bytes.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Error texts kept in the delivery log.
const MAX_ERROR_CHARS: usize = 200;

/// A delivery the receiver accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub http_status: Option<u16>,
}

/// A delivery that did not go through (it will be retried or given up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub http_status: Option<u16>,
    /// Short, without URLs, secrets or message text.
    pub error: String,
}

impl Failed {
    fn new(http_status: Option<u16>, error: impl Into<String>) -> Self {
        let error: String = error.into();
        Self {
            http_status,
            error: error.chars().take(MAX_ERROR_CHARS).collect(),
        }
    }
}

struct Channel {
    config: ChannelConfig,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, SmtpSettings)>,
}

/// The configured channels with their clients, built once: one HTTP client (connection reuse,
/// one TLS setup) and one SMTP transport per e-mail channel.
pub struct Channels {
    http: reqwest::Client,
    channels: HashMap<String, Channel>,
    timeout: Duration,
    max_in_flight: usize,
}

/// The channels in force, swapped whole when the administrator changes them. A std `RwLock`:
/// held only to clone or replace the `Arc`, never across an await.
pub struct LiveChannels(RwLock<Arc<Channels>>);

impl LiveChannels {
    pub fn new(channels: Channels) -> Self {
        Self(RwLock::new(Arc::new(channels)))
    }

    pub fn current(&self) -> Arc<Channels> {
        match self.0.read() {
            Ok(channels) => channels.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, channels: Channels) {
        let channels = Arc::new(channels);
        match self.0.write() {
            Ok(mut slot) => *slot = channels,
            Err(poisoned) => *poisoned.into_inner() = channels,
        }
    }
}

impl Channels {
    pub fn new(config: &NotifyConfig) -> Result<Self, NotifyError> {
        // The whole send (connect, request, response) is bounded in `send`, one timeout for
        // every kind; connecting alone gets at most 10 s of it.
        let http = reqwest::Client::builder()
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // A signed POST is never replayed to wherever a redirect points.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("outpost-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::Setup(format!("cannot build the HTTP client: {e}")))?;
        let mut channels = HashMap::new();
        for channel in &config.channels {
            let smtp = match &channel.target {
                Target::Smtp(settings) => Some((
                    smtp_transport(settings, config.timeout).map_err(|e| {
                        NotifyError::Setup(format!("channel \"{}\": {e}", channel.id))
                    })?,
                    settings.clone(),
                )),
                _ => None,
            };
            channels.insert(
                channel.id.clone(),
                Channel {
                    config: channel.clone(),
                    smtp,
                },
            );
        }
        Ok(Self {
            http,
            channels,
            timeout: config.timeout,
            max_in_flight: config.max_in_flight,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Sends one claimed delivery, within the timeout.
    pub async fn send(&self, delivery: &Claimed) -> Result<Accepted, Failed> {
        let Some(channel) = self.channels.get(&delivery.channel) else {
            return Err(Failed::new(None, "the channel is no longer configured"));
        };
        let kind = channel.config.target.kind();
        if kind.code() != delivery.kind {
            return Err(Failed::new(
                None,
                format!(
                    "the channel's kind changed from {} to {} after this was queued",
                    delivery.kind,
                    kind.code()
                ),
            ));
        }
        let payload: Value = serde_json::from_str(&delivery.payload)
            .map_err(|e| Failed::new(None, format!("the stored payload is not JSON: {e}")))?;
        let sending = self.send_payload(channel, delivery, payload);
        match tokio::time::timeout(self.timeout, sending).await {
            Ok(result) => result,
            Err(_) => Err(Failed::new(
                None,
                format!("timed out after {} ms", self.timeout.as_millis()),
            )),
        }
    }

    async fn send_payload(
        &self,
        channel: &Channel,
        delivery: &Claimed,
        mut payload: Value,
    ) -> Result<Accepted, Failed> {
        match &channel.config.target {
            Target::WeCom { url } => {
                let (status, body) = self.post(url_of(url)?, json(&payload)?, &[]).await?;
                vendor_result(status, &body, &["errcode"], "errmsg")
            }
            Target::DingTalk { url, secret } => {
                let mut url = url_of(url)?;
                if let Some(secret) = secret {
                    let timestamp = wall_ms();
                    url.query_pairs_mut()
                        .append_pair("timestamp", &timestamp.to_string())
                        .append_pair("sign", &dingtalk_sign(secret.expose(), timestamp));
                }
                let (status, body) = self.post(url, json(&payload)?, &[]).await?;
                vendor_result(status, &body, &["errcode"], "errmsg")
            }
            Target::Feishu { url, secret } => {
                if let (Some(secret), Some(object)) = (secret, payload.as_object_mut()) {
                    let timestamp = wall_ms() / 1000;
                    object.insert("timestamp".into(), timestamp.to_string().into());
                    object.insert(
                        "sign".into(),
                        feishu_sign(secret.expose(), timestamp).into(),
                    );
                }
                let (status, body) = self.post(url_of(url)?, json(&payload)?, &[]).await?;
                vendor_result(status, &body, &["code", "StatusCode"], "msg")
            }
            Target::Webhook { url, secret } => {
                let body = json(&payload)?;
                let timestamp = (wall_ms() / 1000).to_string();
                let signature = webhook_signature(secret.expose(), &timestamp, &body);
                let headers = [
                    ("x-outpost-idempotency-key", delivery.key.clone()),
                    ("x-outpost-timestamp", timestamp),
                    ("x-outpost-signature", format!("sha256={signature}")),
                ];
                let (status, _) = self.post(url_of(url)?, body, &headers).await?;
                if (200..300).contains(&status) {
                    Ok(Accepted {
                        http_status: Some(status),
                    })
                } else {
                    Err(Failed::new(Some(status), format!("HTTP {status}")))
                }
            }
            Target::Smtp(_) => {
                let Some((transport, settings)) = &channel.smtp else {
                    return Err(Failed::new(None, "the SMTP transport is missing"));
                };
                let email = email(settings, delivery, &payload)?;
                transport
                    .send(email)
                    .await
                    .map(|_| Accepted { http_status: None })
                    .map_err(smtp_error)
            }
        }
    }

    /// POSTs a JSON body; returns the status and up to [`MAX_RESPONSE_BYTES`] of the response.
    async fn post(
        &self,
        url: reqwest::Url,
        body: Vec<u8>,
        headers: &[(&str, String)],
    ) -> Result<(u16, Vec<u8>), Failed> {
        let mut request = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = request.send().await.map_err(http_error)?;
        let status = response.status().as_u16();
        let mut read = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http_error)? {
            let room = MAX_RESPONSE_BYTES.saturating_sub(read.len());
            read.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room <= chunk.len() {
                break;
            }
        }
        Ok((status, read))
    }
}

/// The vendors answer HTTP 200 with a JSON error code; 0 is success.
fn vendor_result(
    status: u16,
    body: &[u8],
    code_fields: &[&str],
    message_field: &str,
) -> Result<Accepted, Failed> {
    if status != 200 {
        return Err(Failed::new(Some(status), format!("HTTP {status}")));
    }
    let parsed: Value = serde_json::from_slice(body)
        .map_err(|_| Failed::new(Some(status), "the response is not JSON"))?;
    let Some(code) = code_fields
        .iter()
        .find_map(|field| parsed.get(*field).and_then(Value::as_i64))
    else {
        return Err(Failed::new(
            Some(status),
            format!("the response has no {}", code_fields.join(" or ")),
        ));
    };
    if code == 0 {
        return Ok(Accepted {
            http_status: Some(status),
        });
    }
    let message = parsed
        .get(message_field)
        .or_else(|| parsed.get("StatusMessage"))
        .and_then(Value::as_str)
        .unwrap_or("");
    Err(Failed::new(
        Some(status),
        format!("{} {code}: {message}", code_fields[0]),
    ))
}

fn json(payload: &Value) -> Result<Vec<u8>, Failed> {
    serde_json::to_vec(payload).map_err(|e| Failed::new(None, format!("cannot encode: {e}")))
}

fn url_of(url: &Secret) -> Result<reqwest::Url, Failed> {
    reqwest::Url::parse(url.expose()).map_err(|_| Failed::new(None, "the channel URL is invalid"))
}

/// A reqwest error as text without the URL (robot URLs carry their key), with its causes.
fn http_error(error: reqwest::Error) -> Failed {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "cannot read the response"
    } else {
        "the request failed"
    };
    let mut text = what.to_owned();
    let error = error.without_url();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    Failed::new(error.status().map(|s| s.as_u16()), text)
}

fn wall_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail; the fallback keeps the
    // code free of panics all the same.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// DingTalk: base64(HMAC-SHA256(key = secret, message = "{timestamp}\n{secret}")); the caller
/// URL-encodes it as a query parameter.
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    BASE64.encode(hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    ))
}

/// Feishu: base64(HMAC-SHA256(key = "{timestamp}\n{secret}", message = empty)).
pub fn feishu_sign(secret: &str, timestamp_s: i64) -> String {
    BASE64.encode(hmac_sha256(
        format!("{timestamp_s}\n{secret}").as_bytes(),
        b"",
    ))
}

/// Generic webhook: hex(HMAC-SHA256(secret, "{timestamp}.{body}")).
pub fn webhook_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    hex::encode(hmac_sha256(secret.as_bytes(), &message))
}

fn smtp_transport(
    settings: &SmtpSettings,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = |host: &str| {
        TlsParameters::new(host.to_owned()).map_err(|e| format!("cannot set up TLS: {e}"))
    };
    let security = match settings.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::StartTls => Tls::Required(tls(&settings.host)?),
        SmtpTls::Tls => Tls::Wrapper(tls(&settings.host)?),
    };
    let mut builder =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
            .port(settings.port)
            .tls(security)
            .timeout(Some(timeout));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

fn email(
    settings: &SmtpSettings,
    delivery: &Claimed,
    payload: &Value,
) -> Result<lettre::Message, Failed> {
    let text = |field: &str| {
        payload
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| Failed::new(None, format!("the stored e-mail has no {field}")))
    };
    let address = |text: &str| {
        text.parse::<lettre::message::Mailbox>()
            .map_err(|_| Failed::new(None, "an e-mail address of the channel is invalid"))
    };
    // The same delivery always has the same Message-ID, so a mail system can drop a repeat.
    let digest = Sha256::digest(format!("{}\n{}", delivery.key, delivery.channel).as_bytes());
    let mut builder = lettre::Message::builder()
        .from(address(&settings.from)?)
        .subject(text("subject")?)
        .message_id(Some(format!(
            "<{}@outpost.notify>",
            hex::encode(&digest[..16])
        )))
        .header(ContentType::TEXT_PLAIN);
    for to in &settings.to {
        builder = builder.to(address(to)?);
    }
    builder
        .body(text("body")?)
        .map_err(|e| Failed::new(None, format!("cannot build the e-mail: {e}")))
}

/// SMTP errors by category and reply code: relays tend to echo addresses in their texts.
fn smtp_error(error: lettre::transport::smtp::Error) -> Failed {
    let text = if let Some(code) = error.status() {
        let class = if error.is_permanent() {
            "permanent"
        } else {
            "transient"
        };
        format!("SMTP {class} error {code}")
    } else if error.is_timeout() {
        "SMTP timed out".to_owned()
    } else if error.is_tls() {
        "SMTP TLS failed".to_owned()
    } else {
        format!("SMTP failed: {error}")
    };
    Failed::new(None, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dingtalk_signature_matches_the_documented_algorithm() {
        // Recomputed independently: HMAC-SHA256 with the secret as key over "ts\nsecret".
        let secret = "SEC0123456789abcdef";
        let ts = 1_700_000_000_000_i64;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}\n{secret}").as_bytes());
        let expected = BASE64.encode(mac.finalize().into_bytes());
        assert_eq!(dingtalk_sign(secret, ts), expected);
        assert_eq!(dingtalk_sign(secret, ts).len(), 44);
        assert_ne!(dingtalk_sign(secret, ts + 1), expected);
    }

    #[test]
    fn feishu_signature_uses_timestamp_and_secret_as_the_key() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"1700000000\nabc").unwrap();
        mac.update(b"");
        assert_eq!(
            feishu_sign("abc", 1_700_000_000),
            BASE64.encode(mac.finalize().into_bytes())
        );
    }

    #[test]
    fn webhook_signature_covers_timestamp_and_body() {
        let a = webhook_signature("s", "1", b"{}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, webhook_signature("s", "2", b"{}"));
        assert_ne!(a, webhook_signature("s", "1", b"{ }"));
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn vendor_error_codes_are_failures_with_their_message() {
        assert!(
            vendor_result(
                200,
                br#"{"errcode":0,"errmsg":"ok"}"#,
                &["errcode"],
                "errmsg"
            )
            .is_ok()
        );
        let failed = vendor_result(
            200,
            br#"{"errcode":310000,"errmsg":"sign not match"}"#,
            &["errcode"],
            "errmsg",
        )
        .unwrap_err();
        assert_eq!(failed.error, "errcode 310000: sign not match");
        assert!(vendor_result(200, br#"{"StatusCode":0}"#, &["code", "StatusCode"], "msg").is_ok());
        assert_eq!(
            vendor_result(502, b"", &["errcode"], "errmsg")
                .unwrap_err()
                .http_status,
            Some(502)
        );
        assert!(vendor_result(200, b"<html>", &["errcode"], "errmsg").is_err());
    }
}
