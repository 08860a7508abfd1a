//! Notification channels and recipients (推送渠道与通知对象): the channels and routes in force —
//! the config file's `[notify]` (shown, not editable here) and those the administrator added in
//! the console (stored as the `notify` overlay) — and, for a unit, which channels each recipient
//! of each escalation step reaches.
//!
//! The console may add group robots (企业微信/粤政易, 钉钉, 飞书), signed webhooks (e.g. an SMS
//! gateway's adapter) and e-mail channels (a relay, its sender and recipients). A channel's
//! address, secret and relay password are write-only: answers show the host and whether it is
//! signed (an e-mail channel's sender and recipients too), never the URL (it carries the robot's
//! key), the secret or the password, and a saved channel keeps them when it is sent back
//! without them (a secret or password only while the address, or relay and user, is the same).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use outpost_shared::i18n::Lang;
use outpost_shared::program::Recipient;
use outpost_shared::task::alert::recipient_unit;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{NOTIFY_KEY, email_channel, invalid, require_administrator, store_setting};
use crate::App;
use crate::console::Console;
use crate::console::auth::Caller;
use crate::http::blocking;
use crate::notify::config::{ChannelConfig, ChannelFile, NotifyConfigError, RouteFile, Target};
use crate::notify::{NotifyConfig, NotifyOverlay};
use crate::service::ApiError;
use outpost_shared::console::unit_text;

/// The kinds the console may add.
const CONSOLE_KINDS: [&str; 5] = ["webhook", "wecom", "dingtalk", "feishu", "smtp"];

#[derive(Debug, Deserialize)]
pub(super) struct ShowQuery {
    /// Show who each step reaches for this unit.
    unit: Option<String>,
}

/// The console's channels and routes, from the stored row.
fn overlay(app: &App) -> NotifyOverlay {
    app.settings
        .stored(NOTIFY_KEY)
        .and_then(|row| serde_json::from_str(&row.value).ok())
        .unwrap_or_default()
}

fn channel_view(channel: &ChannelConfig, source: &str) -> Value {
    let (url, signed) = match &channel.target {
        Target::WeCom { url } => (Some(url), false),
        Target::DingTalk { url, secret } | Target::Feishu { url, secret } => {
            (Some(url), secret.is_some())
        }
        Target::Webhook { url, .. } => (Some(url), true),
        Target::Smtp(_) => (None, false),
    };
    let host = match (&channel.target, url) {
        (Target::Smtp(smtp), _) => smtp.host.clone(),
        (_, Some(url)) => reqwest::Url::parse(url.expose())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        (_, None) => String::new(),
    };
    // An e-mail channel's relay, sender and recipients are shown (officials' work addresses);
    // its password never is.
    let smtp = match &channel.target {
        Target::Smtp(smtp) => json!({
            "port": smtp.port,
            "tls": smtp.tls.code(),
            "username": smtp.credentials.as_ref().map(|(user, _)| user),
            "from": smtp.from,
            "to": smtp.to,
        }),
        _ => Value::Null,
    };
    json!({
        "id": channel.id,
        "kind": channel.target.kind().code(),
        "host": host,
        "signed": signed,
        "source": source,
        "smtp": smtp,
    })
}

/// Every recipient any program's steps may name, with its label.
fn recipients(app: &App) -> Vec<Value> {
    let mut seen: Vec<Recipient> = Vec::new();
    let mut out = Vec::new();
    for program in app.settings.programs().iter() {
        for recipient in program.possible_recipients() {
            if seen.contains(&recipient) {
                continue;
            }
            out.push(json!({
                "code": recipient.code(),
                "label": {"zh": program.recipient_label(&recipient, Lang::Zh), "en": program.recipient_label(&recipient, Lang::En)},
            }));
            seen.push(recipient);
        }
    }
    out
}

/// For a task at `unit`: each step of each program, each recipient with the unit it is
/// addressed at and the channels its routes give there.
fn reach(app: &App, config: &NotifyConfig, unit: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for program in app.settings.programs().iter() {
        for rule in program.deadlines() {
            for (index, step) in rule.steps().iter().enumerate() {
                let recipients: Vec<Value> = step
                    .notify
                    .iter()
                    .map(|recipient| {
                        let at = recipient_unit(unit, recipient);
                        json!({
                            "code": recipient.code(),
                            "label": {"zh": program.recipient_label(recipient, Lang::Zh), "en": program.recipient_label(recipient, Lang::En)},
                            "unit": at,
                            "unit_name": unit_text(&app.jurisdictions(), &at),
                            "channels": config.channels_for(&at, &recipient.code()),
                        })
                    })
                    .collect();
                out.push(json!({
                    "program": program.id(),
                    "program_name": program.name(),
                    "rule": rule.id(),
                    "rule_label": rule.label(),
                    "step": index + 1,
                    "when": step.when.text(),
                    "recipients": recipients,
                }));
            }
        }
    }
    out
}

fn view(app: &App, unit: Option<&str>) -> Value {
    let config = app.notifier.config();
    let file = app.notifier.file_config();
    let from_file = |id: &str| file.channel(id).is_some();
    let channels: Vec<Value> = config
        .channels
        .iter()
        .map(|c| channel_view(c, if from_file(&c.id) { "file" } else { "console" }))
        .collect();
    let file_routes = file.routes.len();
    let routes: Vec<Value> = config
        .routes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "unit": r.unit,
                "unit_name": unit_text(&app.jurisdictions(), &r.unit),
                "recipient": r.recipient,
                "channels": r.channels,
                "include_descendants": r.include_descendants,
                "source": if i < file_routes { "file" } else { "console" },
            })
        })
        .collect();
    let stored = app.settings.stored(NOTIFY_KEY);
    json!({
        "channels": channels,
        "routes": routes,
        "recipients": recipients(app),
        "kinds": CONSOLE_KINDS,
        "updated_ms": stored.as_ref().map(|s| s.updated_ms),
        "updated_by": stored.as_ref().map(|s| s.updated_by.clone()),
        "reach": unit.map(|u| reach(app, &config, u)),
    })
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn show(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    Query(query): Query<ShowQuery>,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    let unit = query.unit.filter(|u| !u.is_empty());
    if let Some(unit) = &unit
        && console.app.jurisdictions().get(unit).is_none()
    {
        return Err(unknown_unit(unit));
    }
    Ok(Json(view(&console.app, unit.as_deref())))
}

/// A channel as the console sends it: without `url` (and `secret`) to keep the saved ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChannelInput {
    id: String,
    kind: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    secret: Option<String>,
    /// An e-mail channel's relay (`smtp`): without `host` the saved settings are kept.
    #[serde(default)]
    smtp: Option<email_channel::SmtpInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OverlayInput {
    #[serde(default)]
    channels: Vec<ChannelInput>,
    #[serde(default)]
    routes: Vec<RouteFile>,
}

fn unknown_unit(code: &str) -> ApiError {
    invalid(
        format!("there is no unit with the code {code}"),
        format!("没有行政区划代码为 {code} 的单位"),
    )
}

/// Checks what the console sent, with messages a person can act on, and builds the overlay to
/// store (saved addresses and secrets carried over).
fn checked(
    app: &App,
    input: OverlayInput,
    saved: &NotifyOverlay,
) -> Result<NotifyOverlay, ApiError> {
    let file = app.notifier.file_config();
    let mut channels: Vec<ChannelFile> = Vec::with_capacity(input.channels.len());
    for given in input.channels {
        let id = given.id.trim().to_owned();
        let well_formed = !id.is_empty()
            && id.len() <= 40
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !well_formed {
            return Err(invalid(
                "a channel id is 1 to 40 lower-case letters, digits, - or _".into(),
                "渠道编号须为 1 到 40 个小写字母、数字、- 或 _".into(),
            ));
        }
        if file.channel(&id).is_some() || channels.iter().any(|c| c.id == id) {
            return Err(invalid(
                format!("the channel id {id} is already used"),
                format!("渠道编号 {id} 已被使用"),
            ));
        }
        if !CONSOLE_KINDS.contains(&given.kind.as_str()) {
            return Err(invalid(
                "the kind must be webhook, wecom, dingtalk, feishu or smtp".into(),
                "渠道类型须为 Webhook、企业微信、钉钉、飞书或邮件".into(),
            ));
        }
        let previous = saved
            .channels
            .iter()
            .find(|c| c.id == id && c.kind == given.kind);
        if given.kind == "smtp" {
            channels.push(email_channel::checked(id, given.smtp, previous)?);
            continue;
        }
        let url = match given
            .url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
        {
            Some(url) => url,
            None => match previous.and_then(|c| c.url.clone()) {
                Some(url) => url,
                None => {
                    return Err(invalid(
                        format!("channel {id}: give its address"),
                        format!("渠道 {id}：请填写推送地址"),
                    ));
                }
            },
        };
        let parsed = reqwest::Url::parse(&url).ok();
        if !parsed.as_ref().is_some_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }) {
            return Err(invalid(
                format!("channel {id}: the address must be a whole URL starting with https://"),
                format!("渠道 {id}：推送地址须是以 https:// 开头的完整网址"),
            ));
        }
        let secret = match given.secret.map(|s| s.trim().to_owned()) {
            Some(s) if !s.is_empty() => Some(s),
            // Sent back without a secret: keep the saved one (only if the address is unchanged,
            // so a secret never follows a channel to another receiver).
            _ => previous
                .filter(|c| c.url.as_deref() == Some(url.as_str()))
                .and_then(|c| c.secret.clone()),
        };
        if given.kind == "webhook" && secret.is_none() {
            return Err(invalid(
                format!("channel {id}: a webhook needs a signing secret"),
                format!("渠道 {id}：Webhook 须填写签名密钥"),
            ));
        }
        channels.push(ChannelFile {
            id,
            kind: given.kind,
            url: Some(url),
            secret,
            ..ChannelFile::default()
        });
    }
    let known = |id: &str| file.channel(id).is_some() || channels.iter().any(|c| c.id == id);
    let mut routes: Vec<RouteFile> = Vec::with_capacity(input.routes.len());
    let recipients = recipients(app);
    for route in input.routes {
        if app.jurisdictions().get(&route.unit).is_none() {
            return Err(unknown_unit(&route.unit));
        }
        if !recipients
            .iter()
            .any(|r| r["code"] == route.recipient.as_str())
        {
            return Err(invalid(
                format!("unknown recipient {}", route.recipient),
                format!("未知的通知对象 {}", route.recipient),
            ));
        }
        if route.channels.is_empty() {
            return Err(invalid(
                format!(
                    "the route of {} at {} has no channel",
                    route.recipient, route.unit
                ),
                "每条路由至少选择一个渠道".into(),
            ));
        }
        if let Some(missing) = route.channels.iter().find(|c| !known(c)) {
            return Err(invalid(
                format!("there is no channel {missing}"),
                format!("没有渠道 {missing}"),
            ));
        }
        routes.push(route);
    }
    let overlay = NotifyOverlay { channels, routes };
    file.with_overlay(&overlay)
        .map_err(|e| invalid(e.to_string(), format!("推送设置无效：{}", zh(&e))))?;
    Ok(overlay)
}

/// What the config check found, in Chinese (it never repeats a URL or a secret).
fn zh(e: &NotifyConfigError) -> String {
    match e {
        NotifyConfigError::BadUrl { channel, .. } => {
            format!("渠道 {channel} 的推送地址不符合该类型（请复制机器人设置中显示的完整地址）")
        }
        NotifyConfigError::BadSecret { channel, .. } => {
            format!("渠道 {channel} 的密钥不正确（钉钉加签密钥以 SEC 开头）")
        }
        NotifyConfigError::UnexpectedField { channel, field, .. } => {
            format!("渠道 {channel} 不需要填写 {field}")
        }
        NotifyConfigError::MissingField { channel, field, .. } => {
            format!("渠道 {channel} 须填写 {field}")
        }
        NotifyConfigError::BadSmtp { channel, .. } => {
            format!("渠道 {channel} 的邮件设置有误（不加密时不能使用密码，除非邮件服务器在本机）")
        }
        other => other.to_string(),
    }
}

#[tracing::instrument(skip_all, err(level = "info", Debug))]
pub(super) async fn save(
    State(console): State<Arc<Console>>,
    Caller(viewer): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_administrator(&viewer)?;
    // The parser's error is left out: it may quote a value, and values here are addresses and
    // secrets (the error is also logged).
    let input: OverlayInput = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            400,
            "malformed_request",
            "the notification settings are not of the expected shape".into(),
            "推送设置的格式不正确".into(),
        )
    })?;
    blocking(move || {
        let app = &console.app;
        let overlay = checked(app, input, &overlay(app))?;
        let stored =
            (!overlay.channels.is_empty() || !overlay.routes.is_empty()).then_some(&overlay);
        store_setting(app, NOTIFY_KEY, stored, &viewer.user_id)?;
        Ok(Json(view(app, None)))
    })
    .await
}
