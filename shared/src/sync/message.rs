//! The wire messages. JSON, with change bytes in base64, so that a browser console and command
//! line tools can speak the protocol too.
//!
//! Fields added since version 1 are optional both ways, so old and new peers keep talking
//! without a new [`PROTOCOL_VERSION`]: a peer leaves out what it has nothing to say in, and
//! takes an absent field as "nothing said". A server older than a request field refuses a
//! request that carries it (requests are read strictly); responses are read leniently, so an
//! older device ignores the response fields it does not know.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::jurisdiction::JurisdictionOverlay;
use crate::program::DeadlineSettings;
use crate::record::RecordId;

mod names;
mod programs;

pub use names::{
    ADMIN_ROLE, MAX_USER_ID_BYTES, MAX_USER_NAME_CHARS, MAX_USER_NAMES, NAMES_VERSION_CHARS,
    SYSTEM_USER, UserNames, UserNamesError, meets,
};
pub use programs::{
    MAX_PROGRAM_FILE_BYTES, MAX_PROGRAM_FILES, MAX_PROGRAM_NAME_BYTES, PROGRAMS_VERSION_CHARS,
    ProgramFile, ProgramSet, ProgramSetError,
};

/// The protocol version. A request of another version is refused with a message that names
/// both versions, so that an old app tells its user to update instead of failing obscurely.
pub const PROTOCOL_VERSION: u32 = 1;

/// How far a device has pulled: every change in its scope with a ledger sequence number up to
/// here is on the device. `0` means nothing yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub u64);

/// The bounds of one page of a pull. The server clamps what a device asks for to its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageLimits {
    /// The most changes in one page.
    pub max_changes: u32,
    /// The most change bytes in one page (one record larger than this still travels alone).
    pub max_bytes: u32,
}

impl PageLimits {
    /// The server's defaults and ceilings.
    pub const DEFAULT: Self = Self {
        max_changes: 5_000,
        max_bytes: 4 * 1024 * 1024,
    };

    /// The smaller of each bound.
    pub fn clamp(self, ceiling: Self) -> Self {
        Self {
            max_changes: self.max_changes.clamp(1, ceiling.max_changes),
            max_bytes: self.max_bytes.clamp(1024, ceiling.max_bytes),
        }
    }
}

/// The most changes one push may carry, and the most bytes one change may have. Larger pushes are
/// split by the client; the server refuses them whole.
pub const MAX_PUSH_CHANGES: usize = 10_000;
pub const MAX_CHANGE_BYTES: usize = 1024 * 1024;

/// Changes for one record, in causal order (a change after the changes it depends on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordChanges {
    pub record: RecordId,
    #[serde(with = "base64_list")]
    pub changes: Vec<Vec<u8>>,
}

/// What the device has not been able to send, reported for the supervisors' sync health view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxStatus {
    /// Records with changes the server has not acknowledged.
    pub waiting_records: u64,
    /// When the oldest of those changes was made (ms since the epoch, device clock).
    pub oldest_unsent_ms: Option<i64>,
}

/// The most records one request may report unreadable, and the most characters of each report's
/// detail. The client sends fewer and shorter; the server refuses more.
pub const MAX_UNREADABLE_REPORTS: usize = 100;
pub const MAX_REPORT_DETAIL_CHARS: usize = 300;

/// A record whose data, received from the server, this device could not apply (无法读取): the
/// server notes it for the administrator. `detail` says what failed, as the record layer said it
/// — ids and Automerge's words, never field values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnreadableReport {
    pub record: RecordId,
    pub detail: String,
}

/// One exchange, device → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    pub protocol: u32,
    pub cursor: Cursor,
    #[serde(default)]
    pub push: Vec<RecordChanges>,
    /// Records whose changes could not be applied for lack of their earlier history: the server
    /// sends them whole (if they are in scope).
    #[serde(default)]
    pub resend_whole: Vec<RecordId>,
    #[serde(default)]
    pub limits: Option<PageLimits>,
    #[serde(default)]
    pub outbox: OutboxStatus,
    /// Records whose received data this device could not apply, each reported once. (Absent
    /// from older apps; a server older than the field refuses a request that carries one.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<UnreadableReport>,
    /// The version of the program set this device holds (`ProgramSet::version`), so that the
    /// server sends its set only when it differs. Sent only once the device holds a set, which
    /// only a server that knows the field sends; an older device leaves it out and is sent the
    /// set on every last page, which it ignores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programs_version: Option<String>,
    /// The version of the user names this device holds (`UserNames::version`), so that the
    /// server sends them only when they changed; sent, like `programs_version`, only once the
    /// device holds a set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_version: Option<String>,
}

impl SyncRequest {
    pub fn new(cursor: Cursor) -> Self {
        Self {
            protocol: PROTOCOL_VERSION,
            cursor,
            push: Vec::new(),
            resend_whole: Vec::new(),
            limits: None,
            outbox: OutboxStatus::default(),
            unreadable: Vec::new(),
            programs_version: None,
            names_version: None,
        }
    }

    /// Checks the bounds that do not need the ledger. The message says what is wrong.
    pub fn check_bounds(&self) -> Result<(), ErrorBody> {
        if self.protocol != PROTOCOL_VERSION {
            return Err(ErrorBody::incompatible(self.protocol));
        }
        let count: usize = self.push.iter().map(|r| r.changes.len()).sum();
        if count > MAX_PUSH_CHANGES {
            return Err(ErrorBody::new(
                "too_many_changes",
                format!(
                    "a push may carry at most {MAX_PUSH_CHANGES} changes; this one has {count}; send them in several requests"
                ),
                format!(
                    "一次同步最多上传 {MAX_PUSH_CHANGES} 条变更，本次有 {count} 条，请分批上传"
                ),
            ));
        }
        if let Some((record, _)) = self
            .push
            .iter()
            .flat_map(|r| r.changes.iter().map(move |c| (&r.record, c)))
            .find(|(_, c)| c.len() > MAX_CHANGE_BYTES)
        {
            return Err(ErrorBody::new(
                "change_too_large",
                format!("a change of record {record} is larger than {MAX_CHANGE_BYTES} bytes"),
                format!("记录 {record} 的一条变更超过 {MAX_CHANGE_BYTES} 字节"),
            ));
        }
        if self.resend_whole.len() > MAX_PUSH_CHANGES {
            return Err(ErrorBody::new(
                "too_many_resends",
                format!("at most {MAX_PUSH_CHANGES} records can be asked for again at once"),
                format!("一次最多重新请求 {MAX_PUSH_CHANGES} 条记录"),
            ));
        }
        if self.unreadable.len() > MAX_UNREADABLE_REPORTS {
            return Err(ErrorBody::new(
                "too_many_reports",
                format!("a request may report at most {MAX_UNREADABLE_REPORTS} unreadable records"),
                format!("一次最多报告 {MAX_UNREADABLE_REPORTS} 条无法读取的记录"),
            ));
        }
        if let Some(report) = self
            .unreadable
            .iter()
            .find(|r| r.detail.chars().count() > MAX_REPORT_DETAIL_CHARS)
        {
            return Err(ErrorBody::new(
                "report_too_long",
                format!(
                    "the report on record {} is longer than {MAX_REPORT_DETAIL_CHARS} characters",
                    report.record
                ),
                format!(
                    "记录 {} 的报告超过 {MAX_REPORT_DETAIL_CHARS} 个字符",
                    report.record
                ),
            ));
        }
        if let Some(version) = &self.programs_version
            && version.len() > PROGRAMS_VERSION_CHARS
        {
            return Err(ErrorBody::new(
                "bad_programs_version",
                format!("a programs version has at most {PROGRAMS_VERSION_CHARS} characters"),
                format!("项目定义集版本最多 {PROGRAMS_VERSION_CHARS} 个字符"),
            ));
        }
        if let Some(version) = &self.names_version
            && version.len() > NAMES_VERSION_CHARS
        {
            return Err(ErrorBody::new(
                "bad_names_version",
                format!("a user names version has at most {NAMES_VERSION_CHARS} characters"),
                format!("用户姓名表版本最多 {NAMES_VERSION_CHARS} 个字符"),
            ));
        }
        Ok(())
    }
}

/// Why the server did not take a pushed change. Rejected changes stay on the device, which shows
/// them as unsent; nothing is dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum RejectReason {
    /// The record is not (and was not, at the device's cursor) in the device's scope.
    OutOfScope,
    /// The change depends on changes the server does not have: the device sends the record's
    /// whole history next time.
    MissingDependencies,
    /// The bytes are not a valid change of this record, or cannot be applied to it.
    Invalid { detail: String },
    /// The server's copy of the record cannot be read: it is quarantined for the administrator
    /// and takes no changes until then.
    Unreadable { detail: String },
    /// A workflow event in the changes was refused on its own terms (its author, role or what
    /// the record was when it was made); `detail_zh` is for the device's user.
    EventRefused {
        event: String,
        detail: String,
        detail_zh: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub record: RecordId,
    #[serde(flatten)]
    pub reason: RejectReason,
}

/// What the server did with a push.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReport {
    /// Changes new to the ledger.
    pub accepted: u32,
    /// Changes the ledger already had (a re-sent push).
    pub duplicates: u32,
    pub rejected: Vec<Rejected>,
}

/// One record's part of a pull page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PullItem {
    /// Changes to a record the device already holds.
    Changes {
        record: RecordId,
        #[serde(with = "base64_list")]
        changes: Vec<Vec<u8>>,
    },
    /// A record that entered the device's scope: its whole history.
    Whole {
        record: RecordId,
        #[serde(with = "base64_list")]
        changes: Vec<Vec<u8>>,
    },
    /// A record that left the device's scope: the device deletes its copy (after pushing any
    /// change of its own to it).
    Remove { record: RecordId },
}

impl PullItem {
    pub fn record(&self) -> &RecordId {
        match self {
            PullItem::Changes { record, .. }
            | PullItem::Whole { record, .. }
            | PullItem::Remove { record } => record,
        }
    }

    pub fn byte_len(&self) -> usize {
        match self {
            PullItem::Changes { changes, .. } | PullItem::Whole { changes, .. } => {
                changes.iter().map(Vec::len).sum()
            }
            // A removal carries no changes, but a page of a million of them is still a large
            // answer: each counts as its id and the item's framing.
            PullItem::Remove { record } => record.as_str().len() + 32,
        }
    }
}

/// One exchange, server → device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    pub protocol: u32,
    pub push: PushReport,
    pub items: Vec<PullItem>,
    /// The device has everything in its scope up to here once it applied `items`.
    pub cursor: Cursor,
    /// Another page is waiting.
    pub more: bool,
    /// The server's clock (ms since the epoch), so the device can show how far off its own is.
    pub server_time_ms: i64,
    /// On the last page: each program's deadline settings in force (an administrator may have
    /// changed them in the console), so that the device's offline countdowns and reminders
    /// follow the server's engine. Absent from older servers: the device keeps what it has.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deadlines: BTreeMap<String, DeadlineSettings>,
    /// On the last page: the console's changes to the jurisdiction tree (units added, renamed),
    /// which the device applies over its compiled-in files so that its unit pickers and names
    /// match the server's. Empty when nothing was changed; absent from older servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdictions: Option<JurisdictionOverlay>,
    /// On the last page, when the request's `programs_version` is not the server's: the
    /// server's program files, which the device parses and uses over the programs compiled into
    /// it (the server's by id), so that a new program needs no app release. Absent when the
    /// device holds the server's set, and from older servers: the device keeps what it has. A
    /// set past the bounds a device takes reads as refused (`ProgramSet::check`) and leaves
    /// the rest of the response as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programs: Option<ProgramSet>,
    /// On the last page, when the request's `names_version` is not the one of this device's
    /// set: the display names of the users the device meets (`names::meets`), so that it says
    /// who did what by name. Absent when unchanged, and from older servers: the device keeps
    /// what it has. A set past the bounds a device takes reads as refused
    /// (`UserNames::check`) and leaves the rest of the response as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names: Option<UserNames>,
    /// Records asked for in `resend_whole` that did not fit in this page's budget: the device
    /// asks for them again in its next round. (Absent from older servers.)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<RecordId>,
}

/// An error answer: a stable code for programs and a message in both languages for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
    pub message_zh: String,
}

impl ErrorBody {
    pub fn new(error: &str, message: String, message_zh: String) -> Self {
        Self {
            error: error.to_owned(),
            message,
            message_zh,
        }
    }

    pub fn incompatible(theirs: u32) -> Self {
        Self::new(
            "incompatible_protocol",
            format!(
                "this server speaks sync protocol {PROTOCOL_VERSION} and the request uses {theirs}; update the app"
            ),
            format!("服务器的同步协议版本为 {PROTOCOL_VERSION}，本应用为 {theirs}，请更新应用"),
        )
    }
}

/// Serde helper: a list of byte strings as a list of base64 strings.
mod base64_list {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(list: &[Vec<u8>], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(list.len()))?;
        for bytes in list {
            seq.serialize_element(&STANDARD.encode(bytes))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                STANDARD
                    .decode(text)
                    .map_err(|e| D::Error::custom(format!("change {i} is not valid base64: {e}")))
            })
            .collect()
    }
}

/// `POST /v1/enrol`: a device exchanges a one-time enrolment code for its credential.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    pub protocol: u32,
    pub code: String,
    /// What the user calls the device ("张三的手机").
    pub label: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Enrolled {
    pub protocol: u32,
    pub device_id: String,
    /// The device credential: sent as a bearer token on every request. Shown once.
    pub token: String,
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    pub unit: String,
}
