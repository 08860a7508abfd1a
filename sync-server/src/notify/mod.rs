//! Notifications (告警推送): durable, idempotent delivery of messages to leaders' group chats
//! (企业微信/粤政易, 钉钉, 飞书), generic webhooks and e-mail.
//!
//! The deadline engine calls [`Notifier::enqueue`] with a [`Notice`]: an idempotency key, an
//! [`Audience`] (a unit code and recipient names such as `town_leader` or `task_force_group`)
//! and a channel-neutral [`Message`]. The configured routes ([`config`]) map each
//! (unit, recipient) to channels; the notice is rendered for each channel ([`render`]) and
//! stored as one outbox row per channel, in one transaction ([`outbox`]). The worker
//! ([`worker::run`], started by `serve`) claims due rows under a lease, sends them
//! ([`channels`]) with bounded concurrency and a timeout each, and records every attempt in the
//! delivery log; failures are retried with backoff (10 s, 30 s, 1 min, 5 min, 15 min, then
//! hourly, with jitter) until `max_attempts`, then the row is `dead` (logged at error level).
//!
//! *Delivery is at least once.* Enqueueing is exactly once per (key, channel) — the outbox has
//! a unique key, so a retried or duplicated enqueue (after a crash, from two instances) adds
//! nothing. Sending is at least once: if a server dies after the receiver accepted a message
//! and before the worker recorded it (milliseconds: the record is written right after the
//! response), the lease expires and the message is sent again. Receivers that can deduplicate
//! get the key (webhook header `X-Outpost-Idempotency-Key`, the e-mail's Message-ID); chat
//! robots cannot, so a leader may rarely see an alert twice — never zero times while the
//! channel works.
//!
//! Nothing here logs a message's text or a robot URL (it carries the robot's key): events name
//! the idempotency key, the channel id, the attempt and the outcome.
//!
//! ```no_run
//! # fn demo(notifier: &outpost_sync_server::notify::Notifier) -> Result<(), outpost_sync_server::notify::NotifyError> {
//! use outpost_sync_server::notify::{Audience, Message, Notice};
//! let report = notifier.enqueue(
//!     &Notice {
//!         idempotency_key: "alert:rec-42:unclaimed:town".into(),
//!         audience: Audience {
//!             unit: "440115001".into(),
//!             recipients: vec!["town_leader".into(), "task_force_group".into()],
//!         },
//!         message: Message {
//!             title: "未认领告警".into(),
//!             lines: vec!["南沙街道 1 条核查任务超过 10 分钟未认领".into()],
//!             link: Some("tasks/rec-42".into()),
//!         },
//!     },
//!     1_700_000_000_000,
//! )?;
//! assert!(report.unrouted.is_empty());
//! # Ok(()) }
//! ```

pub mod admin;
pub mod channels;
pub mod config;
pub mod outbox;
pub mod render;
pub mod worker;

use std::future::Future;
use std::sync::{Arc, RwLock};

use serde::Serialize;
use thiserror::Error;

pub use channels::{Channels, LiveChannels};
pub use config::{NotifyConfig, NotifyConfigError, NotifyFile, NotifyOverlay};
pub use outbox::{
    DeliveryLogEntry, DeliveryOutcome, DeliveryStatus, Outbox, RetryPolicy, StatusCounts,
};
pub use worker::run;

use crate::config::Database;
use outbox::NewDelivery;

/// The longest idempotency key: keys are ids joined by colons, not text.
pub const MAX_KEY_LEN: usize = 200;

/// One message in Chinese (or English), channel-neutral. 告警消息.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub title: String,
    pub lines: Vec<String>,
    /// Absolute, or relative to `link_base` in the config.
    pub link: Option<String>,
}

/// Who should get it: the unit (jurisdiction code, e.g. "440115001") at the level the caller
/// chose, and recipient names as programs write them — roles like `town_leader`,
/// `district_leader`, `community_leader`, `unit_staff`, or group ids like `task_force_group`
/// (流调溯源专班).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audience {
    pub unit: String,
    pub recipients: Vec<String>,
}

/// A message to an audience, identified by a key the caller derives from what it is about (for
/// example `alert:<record id>:<rule>:<level>`), so that repeating the enqueue is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub idempotency_key: String,
    pub audience: Audience,
    pub message: Message,
}

/// What [`Notifier::enqueue`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnqueueReport {
    /// The channels the routes matched, in config order, each once.
    pub channels: Vec<String>,
    /// How many of those got a new outbox row (0 when the key was enqueued before).
    pub newly_queued: usize,
    /// Recipients no route matched at the unit (logged; not an error).
    pub unrouted: Vec<String>,
}

#[derive(Debug, Error)]
pub enum NotifyError {
    #[error("the notice is not valid: {0}")]
    InvalidNotice(String),
    #[error("notification storage failed: {0}")]
    Storage(String),
    #[error("cannot set up notifications: {0}")]
    Setup(String),
}

// The server's one injectable clock (due dates, backoff and leases run on it in tests).
pub use crate::clock::{Clock, ManualClock, SystemClock};

/// Notifications for one server instance: the checked config, the outbox and the channels.
/// The config file's `[notify]` section is the base; [`Notifier::reconfigure`] swaps in the
/// base plus the channels and routes an administrator added in the console, for the next
/// enqueue and the next send, without a restart.
pub struct Notifier {
    /// The `[notify]` section as the config file has it.
    file: NotifyConfig,
    /// What enqueue routes by now. A std `RwLock`: held only to clone the `Arc`.
    config: RwLock<Arc<NotifyConfig>>,
    outbox: Arc<Outbox>,
    channels: Arc<LiveChannels>,
}

impl Notifier {
    /// Opens the outbox in the ledger's database and builds the channels' clients. Blocking.
    pub fn open(config: NotifyConfig, database: &Database) -> Result<Self, NotifyError> {
        let channels = Channels::new(&config)?;
        let timeout_ms = i64::try_from(config.timeout.as_millis()).unwrap_or(i64::MAX / 4);
        let policy = RetryPolicy {
            max_attempts: config.max_attempts,
            lease_ms: timeout_ms.saturating_mul(2).saturating_add(30_000),
        };
        Ok(Self {
            outbox: Arc::new(Outbox::open(database, policy)?),
            channels: Arc::new(LiveChannels::new(channels)),
            file: config.clone(),
            config: RwLock::new(Arc::new(config)),
        })
    }

    /// The config in force: the file's, plus what the console added.
    pub fn config(&self) -> Arc<NotifyConfig> {
        match self.config.read() {
            Ok(config) => config.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The `[notify]` section as the config file has it.
    pub fn file_config(&self) -> &NotifyConfig {
        &self.file
    }

    /// Puts `config` (the file's with an overlay, see [`NotifyConfig::with_overlay`]) in force:
    /// builds its channels' clients, then swaps both, so the next enqueue routes by it and the
    /// next send uses its channels. Sends in flight finish on the channels they started with.
    pub fn reconfigure(&self, config: NotifyConfig) -> Result<(), NotifyError> {
        let channels = Channels::new(&config)?;
        self.channels.replace(channels);
        let config = Arc::new(config);
        match self.config.write() {
            Ok(mut slot) => *slot = config,
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        tracing::info!("notification channels and routes reconfigured");
        Ok(())
    }

    pub fn outbox(&self) -> Arc<Outbox> {
        self.outbox.clone()
    }

    /// The channels in force now.
    pub fn channels(&self) -> Arc<Channels> {
        self.channels.current()
    }

    /// Queues `notice` for every channel its audience is routed to, durably (committed before
    /// this returns) and idempotently (a key already queued for a channel adds nothing there).
    /// Recipients without a route are reported and logged, not an error. Blocking.
    #[tracing::instrument(skip_all, err, fields(key = %notice.idempotency_key, unit = %notice.audience.unit))]
    pub fn enqueue(&self, notice: &Notice, now_ms: i64) -> Result<EnqueueReport, NotifyError> {
        check(notice)?;
        let config = self.config();
        let mut channels: Vec<String> = Vec::new();
        let mut unrouted = Vec::new();
        for recipient in &notice.audience.recipients {
            let found = config.channels_for(&notice.audience.unit, recipient);
            if found.is_empty() {
                tracing::warn!(recipient = %recipient, "no notification route for this recipient at this unit");
                unrouted.push(recipient.clone());
            }
            for channel in found {
                if !channels.iter().any(|c| c == channel) {
                    channels.push(channel.to_owned());
                }
            }
        }
        let mut rows = Vec::with_capacity(channels.len());
        for id in &channels {
            let Some(channel) = config.channel(id) else {
                return Err(NotifyError::Setup(format!(
                    "route names channel \"{id}\", which is not configured"
                )));
            };
            let kind = channel.target.kind();
            let payload = render::payload(kind, notice, config.link_base.as_deref(), now_ms);
            rows.push(NewDelivery {
                key: notice.idempotency_key.clone(),
                channel: id.clone(),
                kind: kind.code(),
                payload: payload.to_string(),
                created_at_ms: now_ms,
            });
        }
        let newly_queued = if rows.is_empty() {
            0
        } else {
            self.outbox.insert(&rows)?
        };
        tracing::info!(
            channels = channels.len(),
            newly_queued,
            unrouted = unrouted.len(),
            "notice enqueued"
        );
        Ok(EnqueueReport {
            channels,
            newly_queued,
            unrouted,
        })
    }

    /// The delivery log, newest first (of one notice if `key` is given). Blocking.
    pub fn deliveries(
        &self,
        key: Option<&str>,
        limit: usize,
    ) -> Result<Vec<DeliveryLogEntry>, NotifyError> {
        self.outbox.deliveries(key, limit)
    }

    /// Outbox rows per status. Blocking.
    pub fn status_counts(&self) -> Result<StatusCounts, NotifyError> {
        self.outbox.status_counts()
    }

    /// The delivery worker of this instance, until `shutdown`; see [`worker::run`].
    pub fn run<S: Future<Output = ()>>(
        &self,
        clock: Arc<dyn Clock>,
        shutdown: S,
    ) -> impl Future<Output = ()> + use<S> {
        run(
            self.outbox.clone(),
            self.channels.clone(),
            clock,
            self.file.poll_interval,
            shutdown,
        )
    }
}

fn check(notice: &Notice) -> Result<(), NotifyError> {
    let key = &notice.idempotency_key;
    if key.is_empty() || key.len() > MAX_KEY_LEN || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(NotifyError::InvalidNotice(format!(
            "the idempotency key must be 1 to {MAX_KEY_LEN} printable ASCII characters without spaces"
        )));
    }
    if notice.audience.unit.is_empty() {
        return Err(NotifyError::InvalidNotice("the unit is empty".into()));
    }
    if notice.message.title.trim().is_empty() {
        return Err(NotifyError::InvalidNotice("the title is empty".into()));
    }
    Ok(())
}
