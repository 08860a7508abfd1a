//! The shared vocabulary of workflows: the levels of the administrative tree, the core actions
//! a worker may take (claims, answers, moves and W2's transfer chain, which have Rust behind
//! them) and the statuses they reach. A program chooses which core actions it uses and labels
//! their statuses; its own steps are declared transitions between its own statuses
//! (`program::machine`), which need no Rust.

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
    /// 修改所属单位: move a person to another unit at the dispatch level (W1 修改所属镇街).
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
    /// Every core action.
    pub const ALL: [Action; 10] = [
        Self::Claim,
        Self::Answer,
        Self::Reassign,
        Self::Forward,
        Self::AddSupplementary,
        Self::CdcJudge,
        Self::BindTag,
        Self::IssueSupplies,
        Self::TransferNotice,
        Self::Board,
    ];

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
    pub fn resulting_status(self) -> Option<&'static str> {
        match self {
            Self::Claim => Some(core_status::CLAIMED),
            Self::Answer => Some(core_status::ANSWERED),
            // The transfer chain's actions and CDC's judgement are recorded where they happen
            // (the person's chain, the supplementary mark); they do not change the status.
            Self::AddSupplementary
            | Self::CdcJudge
            | Self::IssueSupplies
            | Self::Board
            | Self::Reassign
            | Self::Forward
            | Self::BindTag
            | Self::TransferNotice => None,
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

/// The status codes the core events reach (核心状态). Every program labels `pending` (every
/// record starts there); `claimed` and `answered` when it allows claims and answers. A
/// program's own statuses, reached by its declared transitions, sit beside them
/// (see `program::machine`).
pub mod core_status {
    /// 待处理: dispatched (or moved to a new unit), nobody has acted yet.
    pub const PENDING: &str = "pending";
    /// 已认领: claimed, not yet answered.
    pub const CLAIMED: &str = "claimed";
    /// 已反馈: an outcome is recorded.
    pub const ANSWERED: &str = "answered";

    /// The core statuses, in the order a task passes through them.
    pub const ALL: [&str; 3] = [PENDING, CLAIMED, ANSWERED];

    /// Whether `code` is a core status (not one a program's step reaches).
    pub fn is_core(code: &str) -> bool {
        ALL.contains(&code)
    }
}

/// A status as one program declares it (状态): its code, its label, whether a record that
/// reaches it is done (终态: no transition leaves it), and the colour lists and the wall show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusDef {
    pub code: String,
    pub label: Label,
    pub terminal: bool,
    pub colour: Colour,
}

/// The colours a status may be shown in, named rather than free CSS so that every screen (the
/// field app, the console, the wall) keeps its own palette readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Colour {
    #[default]
    Grey,
    Blue,
    Green,
    Yellow,
    Orange,
    Red,
}

impl Colour {
    /// The name used in TOML and by the screens' palettes.
    pub fn code(self) -> &'static str {
        match self {
            Self::Grey => "grey",
            Self::Blue => "blue",
            Self::Green => "green",
            Self::Yellow => "yellow",
            Self::Orange => "orange",
            Self::Red => "red",
        }
    }
}
