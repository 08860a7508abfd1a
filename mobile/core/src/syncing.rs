//! Sync in the background: a [`SyncJob`] opens its own connection to the replica, so screens keep
//! reading and writing while it runs (SQLite's WAL lets both proceed; each sync round is one
//! short transaction). A [`SyncMonitor`] keeps what the sync bar shows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use outpost_shared::hlc::Clock;
use outpost_shared::i18n::Lang;
use outpost_shared::replica::{EncryptionKey, ProblemCounts, Replica};
use outpost_shared::sync::client::{self, SyncError, SyncOptions, SyncReport, TransportError};
use outpost_shared::sync::http::HttpTransport;
use outpost_shared::sync::message::OutboxStatus;
use serde::Serialize;

/// `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub online: Option<bool>,
    pub syncing: bool,
    /// Records with changes made here that the server has not acknowledged.
    pub pending_changes: u64,
    pub oldest_unsent_ms: Option<i64>,
    pub last_success_ms: Option<i64>,
    pub last_attempt_ms: Option<i64>,
    pub last_error: Option<String>,
    /// Records whose received data could not be applied here (无法读取，已报告).
    pub unreadable_records: u64,
    /// Records whose changes the server refused (they stay unsent).
    pub refused_records: u64,
}

#[derive(Debug, Default)]
struct Attempt {
    online: Option<bool>,
    at_ms: Option<i64>,
    error: Option<String>,
}

/// The last sync attempt, shared by the app and its background sync thread.
#[derive(Debug, Default)]
pub struct SyncMonitor {
    running: AtomicBool,
    last: Mutex<Attempt>,
}

impl SyncMonitor {
    pub fn status(
        &self,
        waiting: OutboxStatus,
        last_success_ms: Option<i64>,
        problems: ProblemCounts,
    ) -> SyncStatus {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        SyncStatus {
            online: last.online,
            syncing: self.running.load(Ordering::SeqCst),
            pending_changes: waiting.waiting_records,
            oldest_unsent_ms: waiting.oldest_unsent_ms,
            last_success_ms,
            last_attempt_ms: last.at_ms,
            last_error: last.error.clone(),
            unreadable_records: problems.unreadable,
            refused_records: problems.refused,
        }
    }

    fn record(&self, at_ms: i64, online: bool, error: Option<String>) {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        *last = Attempt {
            online: Some(online),
            at_ms: Some(at_ms),
            error,
        };
    }
}

/// One sync run's inputs, detached from the app state.
pub struct SyncJob {
    pub(crate) replica_path: PathBuf,
    pub(crate) data_key: [u8; 32],
    pub(crate) server_url: String,
    pub(crate) token: String,
    pub(crate) lang: Lang,
    pub(crate) monitor: Arc<SyncMonitor>,
    pub(crate) clock: Arc<dyn Clock + Send + Sync>,
    /// The version of the program set in the device file, so the server sends its set only
    /// when it is another.
    pub(crate) programs_version: Option<String>,
    /// The version of the user names in the device file, so the server sends them only when
    /// they changed.
    pub(crate) names_version: Option<String>,
}

/// Why a sync did not finish, for the sync bar.
fn explain(error: &SyncError, lang: Lang) -> (bool, String) {
    match error {
        SyncError::Transport(TransportError::Unreachable(_)) => (
            false,
            match lang {
                Lang::Zh => "无法连接服务器，改动已保存在本机，恢复网络后自动上传".to_owned(),
                Lang::En => {
                    "The server cannot be reached; changes are kept here and sent when it can"
                        .to_owned()
                }
            },
        ),
        SyncError::Transport(TransportError::Refused { body, .. }) => (
            true,
            match lang {
                Lang::Zh => body.message_zh.clone(),
                Lang::En => body.message.clone(),
            },
        ),
        SyncError::Transport(TransportError::BadResponse(_)) => (
            true,
            match lang {
                Lang::Zh => "服务器的回复无法识别，稍后重试".to_owned(),
                Lang::En => "The server's answer could not be read; will retry".to_owned(),
            },
        ),
        SyncError::Replica(e) => (
            true,
            match lang {
                Lang::Zh => format!("本机数据出错：{e}"),
                Lang::En => format!("Local data error: {e}"),
            },
        ),
        other => (true, other.to_string()),
    }
}

impl SyncJob {
    /// Runs one sync to completion (or failure) and records the attempt. Returns `None` when
    /// another sync was already running: two at once would only repeat each other's rounds.
    pub fn run(self) -> Option<Result<SyncReport, String>> {
        if self.monitor.running.swap(true, Ordering::SeqCst) {
            return None;
        }
        let result = self.run_once();
        let now = i64::try_from(self.clock.now_ms()).unwrap_or(i64::MAX);
        let outcome = match result {
            Ok(report) => {
                tracing::info!(
                    pushed = report.pushed,
                    created = report.created,
                    updated = report.updated,
                    removed = report.removed,
                    "sync finished"
                );
                self.monitor.record(now, true, None);
                Ok(report)
            }
            Err(error) => {
                let (online, message) = explain(&error, self.lang);
                tracing::warn!(error = %error, "sync failed");
                self.monitor.record(now, online, Some(message.clone()));
                Err(message)
            }
        };
        self.monitor.running.store(false, Ordering::SeqCst);
        Some(outcome)
    }

    fn run_once(&self) -> Result<SyncReport, SyncError> {
        let mut replica = Replica::open(
            &self.replica_path,
            Some(&EncryptionKey::from_bytes(self.data_key)),
        )?;
        let mut transport =
            HttpTransport::new(&self.server_url, &self.token, Duration::from_secs(20))?;
        let clock = self.clock.clone();
        client::sync(
            &mut replica,
            &mut transport,
            SyncOptions {
                programs_version: self.programs_version.clone(),
                names_version: self.names_version.clone(),
                ..SyncOptions::default()
            },
            move || i64::try_from(clock.now_ms()).unwrap_or(i64::MAX),
        )
    }
}
