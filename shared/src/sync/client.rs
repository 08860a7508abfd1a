//! The device side of sync: push what is unsent, pull what is missing, page by page.
//!
//! Each round is one request and one response, and its effects are applied to the replica in one
//! transaction together with the new cursor. A round cut short anywhere — request lost, response
//! lost, app killed while applying — leaves the replica as it was before the round, and the next
//! round repeats it harmlessly: the server ignores changes it already has, and applying changes
//! the replica already has changes nothing.
//!
//! Data a round cannot apply to one record never holds up the others: changes without their
//! base are asked for whole, and a record whose whole data is refused (as the server's admission
//! refuses it) is left as it was, remembered as unreadable (`replica::SyncProblem`) and reported
//! to the server in the next request (`SyncRequest::unreadable`), once. Records whose pushed
//! changes the server refused are remembered with its reason until a later push is taken.

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;

use super::message::{
    Cursor, ErrorBody, MAX_UNREADABLE_REPORTS, PROTOCOL_VERSION, PageLimits, ProgramSet, PullItem,
    RejectReason, Rejected, SyncRequest, SyncResponse, UserNames,
};
use crate::jurisdiction::JurisdictionOverlay;
use crate::program::DeadlineSettings;
use crate::record::RecordId;
use crate::replica::{ApplyOutcome, ProblemKind, Replica, ReplicaError, Writer};

/// Carries one request to the server and brings back its response.
pub trait Transport {
    fn exchange(&mut self, request: &SyncRequest) -> Result<SyncResponse, TransportError>;
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No answer: offline, server down, connection cut. Try again later; nothing was lost.
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    /// The server answered with an error.
    #[error("the server refused the request ({status}): {}", .body.message)]
    Refused { status: u16, body: ErrorBody },
    /// The answer could not be understood.
    #[error("the server's answer cannot be read: {0}")]
    BadResponse(String),
}

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    #[error("the server answered with sync protocol {0}; this app speaks {PROTOCOL_VERSION}")]
    Protocol(u32),
    #[error("sync did not finish after {0} rounds; it will continue next time")]
    TooManyRounds(u32),
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub rounds: u32,
    /// Changes the server took that it did not have.
    pub pushed: u32,
    pub duplicates: u32,
    /// Records the server would not take; their changes stay on the device.
    pub rejected: Vec<Rejected>,
    /// Records created, updated or removed here.
    pub created: u32,
    pub updated: u32,
    pub removed: u32,
    /// Records that left the scope but are kept because they hold unsent changes.
    pub kept_unsent: u32,
    /// Records the server sent whole that could not be read (reported, never fatal).
    pub damaged: Vec<RecordId>,
    /// Unreadable records reported to the server in this run.
    pub reported: u32,
    pub cursor: Cursor,
    /// The deadline settings the server has in force (empty from a server that does not say).
    pub deadlines: BTreeMap<String, DeadlineSettings>,
    /// The console's changes to the jurisdiction tree (`None` from a server that does not say).
    pub jurisdictions: Option<JurisdictionOverlay>,
    /// The server's program files, when they are not the set the device said it holds
    /// (`SyncOptions::programs_version`); not checked here — `ProgramSet::parse` does that.
    pub programs: Option<ProgramSet>,
    /// The display names of the users the device meets, when they are not the set the device
    /// said it holds (`SyncOptions::names_version`); not checked here — `UserNames::check`
    /// does that.
    pub names: Option<UserNames>,
}

/// Options of a sync run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub max_push_bytes: usize,
    pub limits: Option<PageLimits>,
    /// The most rounds in one run: a bound, so a misbehaving server cannot keep a device busy.
    pub max_rounds: u32,
    /// The version of the program set the device holds (`ProgramSet::version`), `None` before
    /// it has one: the server sends its set only when it differs.
    pub programs_version: Option<String>,
    /// The version of the user names the device holds (`UserNames::version`), `None` before it
    /// has them: the server sends them only when they changed.
    pub names_version: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            max_push_bytes: 2 * 1024 * 1024,
            limits: None,
            max_rounds: 10_000,
            programs_version: None,
            names_version: None,
        }
    }
}

/// Syncs the replica with the server until both sides have everything (or the round bound).
pub fn sync(
    replica: &mut Replica,
    transport: &mut dyn Transport,
    options: SyncOptions,
    now_ms: impl Fn() -> i64,
) -> Result<SyncReport, SyncError> {
    let mut report = SyncReport::default();
    let mut resend: BTreeSet<RecordId> = BTreeSet::new();
    let mut restarted = false;
    let mut programs_version = options.programs_version;
    let mut names_version = options.names_version;
    loop {
        if report.rounds >= options.max_rounds {
            return Err(SyncError::TooManyRounds(report.rounds));
        }
        report.rounds += 1;
        let outbox = replica.outbox(options.max_push_bytes)?;
        let mut request = SyncRequest::new(replica.sync_cursor()?);
        request.push = outbox.records;
        request.resend_whole = resend.iter().cloned().collect();
        request.limits = options.limits;
        request.outbox = outbox.status;
        request.unreadable = replica.unreported(MAX_UNREADABLE_REPORTS)?;
        request.programs_version = programs_version.clone();
        request.names_version = names_version.clone();
        let mut response = match transport.exchange(&request) {
            // The server's ledger is behind this device (restored from a backup, or a new
            // server): start the pull again from the beginning; what the device holds stays.
            Err(TransportError::Refused { body, .. })
                if body.error == "cursor_ahead" && !restarted =>
            {
                restarted = true;
                replica.write(|w| w.set_sync_cursor(Cursor(0), now_ms()))?;
                continue;
            }
            other => other?,
        };
        if response.protocol != PROTOCOL_VERSION {
            return Err(SyncError::Protocol(response.protocol));
        }
        resend.clear();
        let round = apply_response(replica, &request, &outbox.heads, &response, now_ms())?;
        report.pushed += response.push.accepted;
        report.duplicates += response.push.duplicates;
        report.created += round.created;
        report.updated += round.updated;
        report.removed += round.removed;
        report.kept_unsent += round.kept_unsent;
        report.reported += u32::try_from(request.unreadable.len()).unwrap_or(u32::MAX);
        report.cursor = response.cursor;
        if !response.deadlines.is_empty() {
            report.deadlines = response.deadlines.clone();
        }
        if response.jurisdictions.is_some() {
            report.jurisdictions = response.jurisdictions.clone();
        }
        // Received once per run: later rounds say they have it, so it is not sent again.
        if let Some(set) = response.programs.take() {
            programs_version = Some(set.version.clone());
            report.programs = Some(set);
        }
        if let Some(names) = response.names.take() {
            names_version = Some(names.version.clone());
            report.names = Some(names);
        }
        resend.extend(round.waiting);
        resend.extend(response.deferred.iter().cloned());
        // A record found unreadable in this round is reported in the next.
        let found_damage = !round.damaged.is_empty();
        report.damaged.extend(round.damaged);
        let forgot_any = response
            .push
            .rejected
            .iter()
            .any(|r| r.reason == RejectReason::MissingDependencies);
        report.rejected = response.push.rejected;
        if !(response.more || outbox.truncated || !resend.is_empty() || forgot_any || found_damage)
        {
            return Ok(report);
        }
    }
}

#[derive(Debug, Default)]
struct RoundEffects {
    created: u32,
    updated: u32,
    removed: u32,
    kept_unsent: u32,
    waiting: Vec<RecordId>,
    damaged: Vec<RecordId>,
}

fn apply_response(
    replica: &mut Replica,
    request: &SyncRequest,
    pushed_heads: &[Vec<automerge::ChangeHash>],
    response: &SyncResponse,
    now_ms: i64,
) -> Result<RoundEffects, ReplicaError> {
    replica.write(|w| {
        let mut effects = RoundEffects::default();
        for (group, heads) in request.push.iter().zip(pushed_heads) {
            match response
                .push
                .rejected
                .iter()
                .find(|r| r.record == group.record)
            {
                None => {
                    w.mark_synced(&group.record, heads)?;
                    w.clear_problem(&group.record, ProblemKind::Refused)?;
                }
                Some(r) if r.reason == RejectReason::MissingDependencies => {
                    w.forget_synced(&group.record)?;
                }
                Some(r) => note_refused(w, r, now_ms)?,
            }
        }
        // The server answered: it has noted the records this request reported.
        w.mark_reported(&request.unreadable, now_ms)?;
        for item in &response.items {
            match item {
                PullItem::Changes { record, changes } | PullItem::Whole { record, changes } => {
                    let before = w.stored_heads(record)?;
                    let was_sent = before.is_some() && !w.is_unsent(record)?;
                    let outcome = match w.apply_changes(record, &changes.concat()) {
                        Ok(outcome) => outcome,
                        // A record's data that cannot be applied must not hold up the others.
                        // Changes without their base are asked for whole; a whole record that
                        // is damaged is reported and left as it is.
                        Err(
                            error
                            @ (ReplicaError::Record { .. } | ReplicaError::WrongRecord { .. }),
                        ) => {
                            match item {
                                PullItem::Whole { .. } => {
                                    let detail = format!("the whole record was refused: {error}");
                                    w.note_unreadable(record, &detail, now_ms)?;
                                    effects.damaged.push(record.clone());
                                }
                                _ => effects.waiting.push(record.clone()),
                            }
                            continue;
                        }
                        Err(other) => return Err(other),
                    };
                    // Whole data that applies: whatever was unreadable before has been repaired.
                    if matches!(item, PullItem::Whole { .. })
                        && outcome != ApplyOutcome::WaitingForDependencies
                    {
                        w.clear_problem(record, ProblemKind::Unreadable)?;
                    }
                    match outcome {
                        ApplyOutcome::Created => effects.created += 1,
                        ApplyOutcome::Updated => effects.updated += 1,
                        ApplyOutcome::Unchanged => {}
                        ApplyOutcome::WaitingForDependencies => {
                            effects.waiting.push(record.clone());
                            continue;
                        }
                    }
                    // What came from the server is on the server: a record with nothing of
                    // its own unsent stays fully synced.
                    if (before.is_none() || was_sent)
                        && let Some(heads) = w.stored_heads(record)?
                    {
                        w.mark_synced(record, &heads)?;
                    }
                }
                PullItem::Remove { record } => {
                    if w.remove_record(record)? {
                        w.clear_problem(record, ProblemKind::Unreadable)?;
                        w.clear_problem(record, ProblemKind::Refused)?;
                        effects.removed += 1;
                    } else {
                        effects.kept_unsent += 1;
                    }
                }
            }
        }
        w.set_sync_cursor(response.cursor, now_ms)?;
        Ok(effects)
    })
}

/// Remembers why the server refused this device's changes to a record, with a reason in Chinese
/// for its user (the server's own where it gave one).
fn note_refused(w: &mut Writer<'_>, rejected: &Rejected, now_ms: i64) -> Result<(), ReplicaError> {
    let (detail, detail_zh) = match &rejected.reason {
        RejectReason::EventRefused {
            detail, detail_zh, ..
        } => (detail.as_str(), detail_zh.as_str()),
        RejectReason::Invalid { detail } => (detail.as_str(), "改动无法应用到该记录"),
        RejectReason::Unreadable { detail } => (
            detail.as_str(),
            "服务器上的该记录无法读取，已隔离，待管理员处理",
        ),
        RejectReason::OutOfScope => (
            "the record is not in this device's scope",
            "该记录不在本设备的同步范围内",
        ),
        RejectReason::MissingDependencies => return Ok(()),
    };
    w.note_refused(&rejected.record, detail, Some(detail_zh), now_ms)
}
