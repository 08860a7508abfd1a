//! The `[notify]` section of the server config: channels, routes and delivery settings, checked
//! when the config is loaded so that a typo fails at start-up and not at the first alert.
//!
//! ```toml
//! [notify]
//! link_base = "https://outpost.example/"   # relative message links are joined to it
//! timeout_ms = 10000                       # per send; a hanging receiver never blocks the queue
//! max_attempts = 12                        # then the delivery is dead (logged at error level)
//!
//! [[notify.channels]]
//! id = "nansha-town-leaders"
//! kind = "wecom"                           # 企业微信 / 粤政易 group robot
//! url = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
//!
//! [[notify.channels]]
//! id = "task-force"
//! kind = "dingtalk"                        # signed robot: secret "SEC…"
//! url = "https://oapi.dingtalk.com/robot/send?access_token=…"
//! secret = "SEC…"
//!
//! [[notify.routes]]
//! unit = "440115001"
//! recipient = "town_leader"
//! channels = ["nansha-town-leaders"]
//! include_descendants = false              # true: also every unit whose code starts with it
//! ```
//!
//! Other kinds: `feishu` (url, optional secret), `webhook` (url, secret for the HMAC header),
//! `smtp` (host, port, tls = "none" | "starttls" | "tls", optional username and password, from,
//! to = [..]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The section as written in the file. [`NotifyFile::validate`] turns it into a [`NotifyConfig`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyFile {
    #[serde(default)]
    pub channels: Vec<ChannelFile>,
    #[serde(default)]
    pub routes: Vec<RouteFile>,
    pub link_base: Option<String>,
    pub timeout_ms: Option<u64>,
    pub max_attempts: Option<u32>,
    pub max_in_flight: Option<usize>,
    pub poll_ms: Option<u64>,
}

/// One `[[notify.channels]]` entry. Flat, so that a field that does not belong to the kind is
/// reported by name instead of as a serde puzzle. (Serialized only to store a console-added
/// channel in the ledger database; `Debug` is derived, so never log one.)
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelFile {
    pub id: String,
    pub kind: String,
    pub url: Option<String>,
    pub secret: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub tls: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from: Option<String>,
    pub to: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub unit: String,
    pub recipient: String,
    pub channels: Vec<String>,
    #[serde(default)]
    pub include_descendants: bool,
}

/// A secret from the config (robot key, signing secret, password): never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a channel delivers. Every kind's wire format is in `notify::render` and
/// `notify::channels`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    /// 企业微信 (and 粤政易, built on it) group robot.
    WeCom,
    /// 钉钉 group robot, optionally signed.
    DingTalk,
    /// 飞书 custom bot, optionally signed.
    Feishu,
    /// Any HTTPS endpoint taking our JSON, signed with HMAC-SHA256.
    Webhook,
    /// E-mail.
    Smtp,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 5] = [
        ChannelKind::WeCom,
        ChannelKind::DingTalk,
        ChannelKind::Feishu,
        ChannelKind::Webhook,
        ChannelKind::Smtp,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ChannelKind::WeCom => "wecom",
            ChannelKind::DingTalk => "dingtalk",
            ChannelKind::Feishu => "feishu",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Smtp => "smtp",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: only for a relay on the same host or network.
    None,
    /// Plain connection upgraded with STARTTLS, required (port 587 by default).
    StartTls,
    /// TLS from the first byte (port 465 by default).
    Tls,
}

impl SmtpTls {
    /// As the config file writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::StartTls => "starttls",
            Self::Tls => "tls",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<(String, Secret)>,
    pub from: String,
    pub to: Vec<String>,
}

/// Where a channel sends, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    WeCom { url: Secret },
    DingTalk { url: Secret, secret: Option<Secret> },
    Feishu { url: Secret, secret: Option<Secret> },
    Webhook { url: Secret, secret: Secret },
    Smtp(SmtpSettings),
}

impl Target {
    pub fn kind(&self) -> ChannelKind {
        match self {
            Target::WeCom { .. } => ChannelKind::WeCom,
            Target::DingTalk { .. } => ChannelKind::DingTalk,
            Target::Feishu { .. } => ChannelKind::Feishu,
            Target::Webhook { .. } => ChannelKind::Webhook,
            Target::Smtp(_) => ChannelKind::Smtp,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub id: String,
    pub target: Target,
}

/// `(unit, recipient) → channels`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub unit: String,
    pub recipient: String,
    pub channels: Vec<String>,
    pub include_descendants: bool,
}

impl Route {
    /// Jurisdiction codes are prefix-hierarchical (440115 district, 440115001 town,
    /// 440115001001 community), so "this unit and the units below it" is a prefix test.
    pub fn matches(&self, unit: &str, recipient: &str) -> bool {
        self.recipient == recipient
            && (self.unit == unit || (self.include_descendants && unit.starts_with(&self.unit)))
    }
}

/// The checked `[notify]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyConfig {
    pub channels: Vec<ChannelConfig>,
    pub routes: Vec<Route>,
    /// Relative message links are joined to this.
    pub link_base: Option<String>,
    /// The most one send may take (connect, request, response), default 10 s.
    pub timeout: Duration,
    /// Attempts per delivery before it is given up as dead, default 12.
    pub max_attempts: u32,
    /// Sends in flight at once per server instance, default 4.
    pub max_in_flight: usize,
    /// How often the worker looks for due deliveries when nothing wakes it, default 1 s.
    pub poll_interval: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            channels: Vec::new(),
            routes: Vec::new(),
            link_base: None,
            timeout: Duration::from_secs(10),
            max_attempts: 12,
            max_in_flight: 4,
            poll_interval: Duration::from_secs(1),
        }
    }
}

impl NotifyConfig {
    pub fn channel(&self, id: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The channels the routes give `recipient` at `unit`, in config order, each once.
    pub fn channels_for(&self, unit: &str, recipient: &str) -> Vec<&str> {
        let mut found: Vec<&str> = Vec::new();
        for route in self.routes.iter().filter(|r| r.matches(unit, recipient)) {
            for channel in &route.channels {
                if !found.contains(&channel.as_str()) {
                    found.push(channel);
                }
            }
        }
        found
    }
}

/// What is wrong with the `[notify]` section. Messages name the entry and the field; they never
/// repeat a URL or secret (robot URLs carry their key).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum NotifyConfigError {
    #[error("channel #{index} has an empty id")]
    EmptyChannelId { index: usize },
    #[error("channel id \"{0}\" is used twice")]
    DuplicateChannel(String),
    #[error(
        "channel \"{channel}\": unknown kind \"{kind}\" (use wecom, dingtalk, feishu, webhook or smtp)"
    )]
    UnknownKind { channel: String, kind: String },
    #[error("channel \"{channel}\" ({kind}) needs `{field}`")]
    MissingField {
        channel: String,
        kind: &'static str,
        field: &'static str,
    },
    #[error("channel \"{channel}\" ({kind}) does not take `{field}`")]
    UnexpectedField {
        channel: String,
        kind: &'static str,
        field: &'static str,
    },
    #[error("channel \"{channel}\": the url {problem}")]
    BadUrl { channel: String, problem: String },
    #[error("channel \"{channel}\": the secret {problem}")]
    BadSecret { channel: String, problem: String },
    #[error("channel \"{channel}\": {problem}")]
    BadSmtp { channel: String, problem: String },
    #[error("route #{index} ({unit}, {recipient}): {problem}")]
    BadRoute {
        index: usize,
        unit: String,
        recipient: String,
        problem: String,
    },
    #[error(
        "route #{index} ({unit}, {recipient}) names channel \"{channel}\", which is not defined (defined: {known})"
    )]
    UnknownChannel {
        index: usize,
        unit: String,
        recipient: String,
        channel: String,
        known: String,
    },
    #[error("`{setting}` {problem}")]
    BadSetting {
        setting: &'static str,
        problem: String,
    },
}

impl NotifyFile {
    /// Checks everything that can be checked without sending.
    pub fn validate(self) -> Result<NotifyConfig, NotifyConfigError> {
        let defaults = NotifyConfig::default();
        let mut channels: Vec<ChannelConfig> = Vec::with_capacity(self.channels.len());
        for (index, file) in self.channels.into_iter().enumerate() {
            if file.id.trim().is_empty() {
                return Err(NotifyConfigError::EmptyChannelId { index: index + 1 });
            }
            if channels.iter().any(|c| c.id == file.id) {
                return Err(NotifyConfigError::DuplicateChannel(file.id));
            }
            channels.push(channel(file)?);
        }
        let mut routes = Vec::with_capacity(self.routes.len());
        for (index, route) in self.routes.into_iter().enumerate() {
            routes.push(checked_route(index + 1, route, &channels)?);
        }
        if let Some(base) = &self.link_base {
            http_url(base).map_err(|problem| NotifyConfigError::BadSetting {
                setting: "link_base",
                problem,
            })?;
        }
        let positive = |setting: &'static str, value: Option<u64>, default: u64| match value {
            Some(0) => Err(NotifyConfigError::BadSetting {
                setting,
                problem: "must be at least 1".into(),
            }),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let default_ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let timeout_ms = positive("timeout_ms", self.timeout_ms, default_ms(defaults.timeout))?;
        let poll_ms = positive("poll_ms", self.poll_ms, default_ms(defaults.poll_interval))?;
        let max_attempts = positive(
            "max_attempts",
            self.max_attempts.map(u64::from),
            u64::from(defaults.max_attempts),
        )?;
        let max_in_flight = positive(
            "max_in_flight",
            self.max_in_flight
                .map(|v| u64::try_from(v).unwrap_or(u64::MAX)),
            4,
        )?;
        Ok(NotifyConfig {
            channels,
            routes,
            link_base: self.link_base,
            timeout: Duration::from_millis(timeout_ms),
            max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
            max_in_flight: usize::try_from(max_in_flight.min(256)).unwrap_or(256),
            poll_interval: Duration::from_millis(poll_ms),
        })
    }
}

/// Channels and routes an administrator added in the console, stored in the ledger database
/// (`admin_settings`, key `notify`), in force on top of the config file's (管理员添加的推送渠道与路由).
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyOverlay {
    #[serde(default)]
    pub channels: Vec<ChannelFile>,
    #[serde(default)]
    pub routes: Vec<RouteFile>,
}

impl NotifyConfig {
    /// This config with `overlay`'s channels and routes added after its own, checked like the
    /// file: a channel id may not repeat one of the file's, a route may name the file's
    /// channels or the overlay's. Route numbers in errors count the overlay's routes.
    pub fn with_overlay(&self, overlay: &NotifyOverlay) -> Result<NotifyConfig, NotifyConfigError> {
        let mut config = self.clone();
        for (index, file) in overlay.channels.iter().enumerate() {
            if file.id.trim().is_empty() {
                return Err(NotifyConfigError::EmptyChannelId { index: index + 1 });
            }
            if config.channels.iter().any(|c| c.id == file.id) {
                return Err(NotifyConfigError::DuplicateChannel(file.id.clone()));
            }
            config.channels.push(channel(file.clone())?);
        }
        for (index, route) in overlay.routes.iter().enumerate() {
            let route = checked_route(index + 1, route.clone(), &config.channels)?;
            config.routes.push(route);
        }
        Ok(config)
    }
}

/// Checks route number `index` against the channels defined.
fn checked_route(
    index: usize,
    route: RouteFile,
    channels: &[ChannelConfig],
) -> Result<Route, NotifyConfigError> {
    let bad = |problem: &str| NotifyConfigError::BadRoute {
        index,
        unit: route.unit.clone(),
        recipient: route.recipient.clone(),
        problem: problem.to_owned(),
    };
    if route.unit.is_empty() || !route.unit.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad("the unit must be a jurisdiction code (digits)"));
    }
    if route.recipient.trim().is_empty() {
        return Err(bad("the recipient is empty"));
    }
    if route.channels.is_empty() {
        return Err(bad("no channels"));
    }
    if let Some(missing) = route
        .channels
        .iter()
        .find(|id| !channels.iter().any(|c| &c.id == *id))
    {
        return Err(NotifyConfigError::UnknownChannel {
            index,
            unit: route.unit.clone(),
            recipient: route.recipient.clone(),
            channel: missing.clone(),
            known: channels
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(Route {
        unit: route.unit,
        recipient: route.recipient,
        channels: route.channels,
        include_descendants: route.include_descendants,
    })
}

/// Checks that `text` is an absolute http(s) URL; the error never repeats the URL.
fn http_url(text: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "must start with https:// (not {}://)",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    Ok(url)
}

fn channel(file: ChannelFile) -> Result<ChannelConfig, NotifyConfigError> {
    let Some(kind) = ChannelKind::from_code(&file.kind) else {
        return Err(NotifyConfigError::UnknownKind {
            channel: file.id,
            kind: file.kind,
        });
    };
    let id = file.id.clone();
    let missing = |field| NotifyConfigError::MissingField {
        channel: id.clone(),
        kind: kind.code(),
        field,
    };
    // Fields each kind does not take: a leftover from another kind is most likely a mistake.
    let smtp_fields: [(&'static str, bool); 7] = [
        ("host", file.host.is_some()),
        ("port", file.port.is_some()),
        ("tls", file.tls.is_some()),
        ("username", file.username.is_some()),
        ("password", file.password.is_some()),
        ("from", file.from.is_some()),
        ("to", file.to.is_some()),
    ];
    let unexpected = |field| NotifyConfigError::UnexpectedField {
        channel: id.clone(),
        kind: kind.code(),
        field,
    };
    if kind != ChannelKind::Smtp
        && let Some((field, _)) = smtp_fields.iter().find(|(_, set)| *set)
    {
        return Err(unexpected(field));
    }
    let url = |required_query: Option<&'static str>| -> Result<Secret, NotifyConfigError> {
        let text = file.url.clone().ok_or_else(|| missing("url"))?;
        let parsed = http_url(&text).map_err(|problem| NotifyConfigError::BadUrl {
            channel: id.clone(),
            problem,
        })?;
        if let Some(name) = required_query
            && !parsed
                .query_pairs()
                .any(|(k, v)| k == name && !v.is_empty())
        {
            return Err(NotifyConfigError::BadUrl {
                channel: id.clone(),
                problem: format!(
                    "has no `{name}=` parameter (copy the whole address the robot settings show)"
                ),
            });
        }
        Ok(Secret(text))
    };
    let secret = |required: bool| -> Result<Option<Secret>, NotifyConfigError> {
        match &file.secret {
            Some(s) if s.trim().is_empty() => Err(NotifyConfigError::BadSecret {
                channel: id.clone(),
                problem: "is empty".into(),
            }),
            Some(s) => Ok(Some(Secret(s.clone()))),
            None if required => Err(missing("secret")),
            None => Ok(None),
        }
    };
    let target = match kind {
        ChannelKind::WeCom => {
            if file.secret.is_some() {
                return Err(unexpected("secret"));
            }
            Target::WeCom {
                url: url(Some("key"))?,
            }
        }
        ChannelKind::DingTalk => {
            let secret = secret(false)?;
            if let Some(s) = &secret
                && !s.0.starts_with("SEC")
            {
                return Err(NotifyConfigError::BadSecret {
                    channel: id.clone(),
                    problem: "of a signed DingTalk robot starts with SEC (加签 in the robot's \
                              security settings)"
                        .into(),
                });
            }
            Target::DingTalk {
                url: url(Some("access_token"))?,
                secret,
            }
        }
        ChannelKind::Feishu => {
            let url = url(None)?;
            if !url.0.contains("/hook/") {
                return Err(NotifyConfigError::BadUrl {
                    channel: id.clone(),
                    problem: "is not a bot webhook address (…/open-apis/bot/v2/hook/…)".into(),
                });
            }
            Target::Feishu {
                url,
                secret: secret(false)?,
            }
        }
        ChannelKind::Webhook => Target::Webhook {
            url: url(None)?,
            secret: secret(true)?.ok_or_else(|| missing("secret"))?,
        },
        ChannelKind::Smtp => Target::Smtp(smtp(&file, &id)?),
    };
    Ok(ChannelConfig { id, target })
}

fn smtp(file: &ChannelFile, id: &str) -> Result<SmtpSettings, NotifyConfigError> {
    let bad = |problem: String| NotifyConfigError::BadSmtp {
        channel: id.to_owned(),
        problem,
    };
    let missing = |field| NotifyConfigError::MissingField {
        channel: id.to_owned(),
        kind: "smtp",
        field,
    };
    for (field, set) in [
        ("url", file.url.is_some()),
        ("secret", file.secret.is_some()),
    ] {
        if set {
            return Err(NotifyConfigError::UnexpectedField {
                channel: id.to_owned(),
                kind: "smtp",
                field,
            });
        }
    }
    let host = file.host.clone().ok_or_else(|| missing("host"))?;
    if host.trim().is_empty() {
        return Err(bad("`host` is empty".into()));
    }
    let tls = match file.tls.as_deref().unwrap_or("starttls") {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Tls,
        other => {
            return Err(bad(format!(
                "tls = \"{other}\" is not one of \"none\", \"starttls\", \"tls\""
            )));
        }
    };
    let credentials = match (&file.username, &file.password) {
        (Some(user), Some(password)) => Some((user.clone(), Secret(password.clone()))),
        (None, None) => None,
        _ => return Err(bad("give both `username` and `password`, or neither".into())),
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if credentials.is_some() && tls == SmtpTls::None && !loopback {
        return Err(bad(
            "tls = \"none\" would send the password in clear text; use \"starttls\" or \"tls\""
                .into(),
        ));
    }
    let from = file.from.clone().ok_or_else(|| missing("from"))?;
    from.parse::<lettre::message::Mailbox>()
        .map_err(|e| bad(format!("`from` is not an e-mail address ({e})")))?;
    let to = file.to.clone().unwrap_or_default();
    if to.is_empty() {
        return Err(missing("to"));
    }
    for (n, address) in to.iter().enumerate() {
        address
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| bad(format!("`to` #{} is not an e-mail address ({e})", n + 1)))?;
    }
    let port = file.port.unwrap_or(match tls {
        SmtpTls::None => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
    });
    Ok(SmtpSettings {
        host,
        port,
        tls,
        credentials,
        from,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(unit: &str, descendants: bool) -> Route {
        Route {
            unit: unit.into(),
            recipient: "town_leader".into(),
            channels: vec!["a".into()],
            include_descendants: descendants,
        }
    }

    #[test]
    fn routes_match_their_unit_or_its_descendants() {
        let exact = route("440115001", false);
        assert!(exact.matches("440115001", "town_leader"));
        assert!(!exact.matches("440115001001", "town_leader"));
        assert!(!exact.matches("440115001", "district_leader"));
        let subtree = route("440115", true);
        assert!(subtree.matches("440115", "town_leader"));
        assert!(subtree.matches("440115001001", "town_leader"));
        assert!(!subtree.matches("440116001", "town_leader"));
    }

    #[test]
    fn a_channel_named_by_several_routes_is_listed_once() {
        let config = NotifyConfig {
            routes: vec![
                Route {
                    channels: vec!["a".into(), "b".into()],
                    ..route("440115", true)
                },
                route("440115001", false),
            ],
            ..NotifyConfig::default()
        };
        assert_eq!(config.channels_for("440115001", "town_leader"), ["a", "b"]);
        assert!(config.channels_for("440116", "town_leader").is_empty());
    }

    fn file_config() -> NotifyConfig {
        NotifyFile {
            channels: vec![ChannelFile {
                id: "town-wecom".into(),
                kind: "wecom".into(),
                url: Some("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k".into()),
                ..ChannelFile::default()
            }],
            ..NotifyFile::default()
        }
        .validate()
        .unwrap_or_default()
    }

    fn webhook(id: &str) -> ChannelFile {
        ChannelFile {
            id: id.into(),
            kind: "webhook".into(),
            url: Some("https://sms.example/adapter".into()),
            secret: Some("s3cret".into()),
            ..ChannelFile::default()
        }
    }

    #[test]
    fn an_overlay_adds_channels_and_routes_after_the_files() {
        let overlay = NotifyOverlay {
            channels: vec![webhook("sms")],
            routes: vec![RouteFile {
                unit: "440115001".into(),
                recipient: "town_leader".into(),
                channels: vec!["town-wecom".into(), "sms".into()],
                include_descendants: false,
            }],
        };
        let config = file_config().with_overlay(&overlay);
        let config = config.as_ref().map_err(ToString::to_string);
        assert_eq!(
            config.map(|c| c.channels_for("440115001", "town_leader")),
            Ok(vec!["town-wecom", "sms"])
        );
    }

    #[test]
    fn an_overlay_may_not_reuse_a_files_channel_id_or_name_an_unknown_channel() {
        let reused = NotifyOverlay {
            channels: vec![webhook("town-wecom")],
            routes: Vec::new(),
        };
        assert_eq!(
            file_config().with_overlay(&reused),
            Err(NotifyConfigError::DuplicateChannel("town-wecom".into()))
        );
        let unknown = NotifyOverlay {
            channels: Vec::new(),
            routes: vec![RouteFile {
                unit: "440115".into(),
                recipient: "district_leader".into(),
                channels: vec!["nope".into()],
                include_descendants: true,
            }],
        };
        assert!(matches!(
            file_config().with_overlay(&unknown),
            Err(NotifyConfigError::UnknownChannel { index: 1, .. })
        ));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let target = Target::Webhook {
            url: Secret::new("https://example.org/hook?token=abc"),
            secret: Secret::new("s3cret"),
        };
        let printed = format!("{target:?}");
        assert!(
            !printed.contains("abc") && !printed.contains("s3cret"),
            "{printed}"
        );
    }
}
