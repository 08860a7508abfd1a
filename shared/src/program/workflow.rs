//! The shared vocabulary of workflows: the levels of the administrative tree, the actions a
//! worker may take and the statuses a record passes through. They are enums, not strings, so
//! that code folding events and escalating deadlines can match on them exhaustively; each
//! program only chooses which ones it uses and how it labels them.

use serde::{Deserialize, Serialize};

use crate::i18n::{Describe, Label, Lang};

/// A level of the administrative tree (行政层级). Ordered from the smallest unit up, so that
/// `Town < District` reads as "below".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JurisdictionLevel {
    /// 社区/村
    Community,
    /// 镇街 (towns and street offices)
    Town,
    /// 区/县
    District,
    /// 市
    City,
    /// 省
    Province,
}

impl JurisdictionLevel {
    /// Every level, smallest first.
    pub const ALL: [JurisdictionLevel; 5] = [
        Self::Community,
        Self::Town,
        Self::District,
        Self::City,
        Self::Province,
    ];

    /// The name used in TOML.
    pub fn code(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Town => "town",
            Self::District => "district",
            Self::City => "city",
            Self::Province => "province",
        }
    }
}

impl Describe for JurisdictionLevel {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Community => ("社区", "community"),
            Self::Town => ("镇街", "town"),
            Self::District => ("区", "district"),
            Self::City => ("市", "city"),
            Self::Province => ("省", "province"),
        };
        match lang {
            Lang::Zh => zh.into(),
            Lang::En => en.into(),
        }
    }
}

/// Something a worker may do to a record (操作). Each is a kind of event appended to records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 认领: a unit takes on its task.
    Claim,
    /// 反馈: record an outcome along the outcome tree.
    Answer,
    /// 改派: move a person to another unit at the dispatch level (W1 修改所属镇街).
    Reassign,
    /// 转发: hand the task to another community as part of the answer (W2 情景三).
    Forward,
    /// 补充待流调人员: add a missed cohabitant or companion.
    AddSupplementary,
    /// 疾控判定: CDC decides on a supplementary person.
    CdcJudge,
    /// 绑定手环: bind a wristband (QR/NFC) to a person.
    BindTag,
    /// 发放物资: issue supplies (wristband, N95 masks, leaflets).
    IssueSupplies,
    /// 通知转运: send a transfer notice to the dispatchers.
    TransferNotice,
    /// 接人上车: scan a person onto the vehicle.
    Board,
}

impl Action {
    /// The name used in TOML.
    pub fn code(self) -> &'static str {
        match self {
            Self::Claim => "claim",
            Self::Answer => "answer",
            Self::Reassign => "reassign",
            Self::Forward => "forward",
            Self::AddSupplementary => "add_supplementary",
            Self::CdcJudge => "cdc_judge",
            Self::BindTag => "bind_tag",
            Self::IssueSupplies => "issue_supplies",
            Self::TransferNotice => "transfer_notice",
            Self::Board => "board",
        }
    }

    /// Other actions this one cannot work without: supplementary persons wait for CDC's
    /// judgement, and boarding scans wristbands that must have been bound.
    pub fn requires(self) -> &'static [Action] {
        match self {
            Self::AddSupplementary => &[Self::CdcJudge],
            Self::Board => &[Self::BindTag],
            _ => &[],
        }
    }

    /// The status a record reaches through this action, which the program must therefore label.
    pub fn resulting_status(self) -> Option<Status> {
        match self {
            Self::Claim => Some(Status::Claimed),
            Self::Answer => Some(Status::Answered),
            Self::AddSupplementary => Some(Status::PendingCdcJudgement),
            Self::CdcJudge => Some(Status::CdcExcluded),
            Self::IssueSupplies => Some(Status::SuppliesIssued),
            Self::Board => Some(Status::Boarded),
            Self::Reassign | Self::Forward | Self::BindTag | Self::TransferNotice => None,
        }
    }
}

impl Describe for Action {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Claim => ("认领", "claim"),
            Self::Answer => ("反馈", "answer"),
            Self::Reassign => ("修改所属单位", "reassign"),
            Self::Forward => ("转发", "forward"),
            Self::AddSupplementary => ("补充待流调人员", "add supplementary person"),
            Self::CdcJudge => ("疾控判定", "CDC judgement"),
            Self::BindTag => ("绑定手环", "bind wristband"),
            Self::IssueSupplies => ("发放物资", "issue supplies"),
            Self::TransferNotice => ("通知转运", "transfer notice"),
            Self::Board => ("接人上车", "board"),
        };
        match lang {
            Lang::Zh => zh.into(),
            Lang::En => en.into(),
        }
    }
}

/// Where a record stands in its workflow (状态). The set is shared by all programs so that
/// code can reason about it; each program labels the ones it uses in its own words
/// (W1 待认领, W2 待核实 are both [`Status::Pending`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 待处理: dispatched, nobody has acted yet. Every record starts here.
    Pending,
    /// 已认领: claimed, not yet answered.
    Claimed,
    /// 已反馈: an outcome is recorded.
    Answered,
    /// 待疾控判定: a supplementary person waiting for CDC.
    PendingCdcJudgement,
    /// 疾控判定不纳入: CDC decided the supplementary person is not to be followed up.
    CdcExcluded,
    /// 已发放物资: supplies issued and wristband bound.
    SuppliesIssued,
    /// 已上车: scanned onto the transfer vehicle.
    Boarded,
}

impl Status {
    /// The name used in TOML.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Claimed => "claimed",
            Self::Answered => "answered",
            Self::PendingCdcJudgement => "pending_cdc_judgement",
            Self::CdcExcluded => "cdc_excluded",
            Self::SuppliesIssued => "supplies_issued",
            Self::Boarded => "boarded",
        }
    }
}

/// A status as one program labels it (状态名称).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusDef {
    pub status: Status,
    pub label: Label,
}
