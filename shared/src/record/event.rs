//! Workflow events (流转事件): the append-only history of a record.
//!
//! Every workflow step — dispatch, claim, answer, reassignment, wristband binding, boarding — is an
//! event appended to the record's document. Events are never edited or removed; a record's state
//! is a pure fold of its events (see `fold`). Each event names the events its author had already
//! seen (`parents`), which is what lets the fold tell a deliberate later action ("took the task
//! over after seeing the first claim") from a concurrent one made offline on another device.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::hlc::{DeviceId, Hlc};
use crate::i18n::{Describe, Lang};
use crate::program::core_status;

/// Identifies one event. Derived from the event's clock time, which is unique per device.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    pub fn for_time(at: &Hlc) -> Self {
        Self(at.sortable())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated identifier: 1–64 ASCII letters, digits, `-`, `_`, `.` or `:`. Such ids appear in
/// logs and URLs, so they may never carry personal data or separators.
fn is_plain_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// What is wrong with an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{what} `{value}` is invalid: use 1–64 characters from a–z, A–Z, 0–9, '-', '_', '.', ':'")]
pub struct InvalidIdentifier {
    pub what: &'static str,
    pub value: String,
}

macro_rules! plain_identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Result<Self, InvalidIdentifier> {
                let id = id.into();
                if is_plain_identifier(&id) {
                    Ok(Self(id))
                } else {
                    Err(InvalidIdentifier { what: $what, value: id })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidIdentifier;
            fn try_from(id: String) -> Result<Self, Self::Error> {
                Self::new(id)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

plain_identifier!(
    /// Identifies a record (记录) across every replica and the server.
    RecordId,
    "record id"
);
plain_identifier!(
    /// Identifies a user account (用户). Never a name or phone number.
    UserId,
    "user id"
);

/// Who made a change: the user and the device they used. Every change is attributable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub user: UserId,
    pub device: DeviceId,
}

/// One workflow event as stored in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub at: Hlc,
    pub user: UserId,
    /// The record's latest events that the author had seen when making this one.
    pub parents: Vec<EventId>,
    pub action: Action,
}

impl Event {
    pub fn device(&self) -> &DeviceId {
        &self.at.device
    }
}

/// What an event does. Unit codes are jurisdiction codes (行政区划代码).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// 派发: the record enters its first unit, optionally as part of an import batch (批次).
    Dispatched { unit: String, batch: Option<String> },
    /// 认领: a worker of the unit takes the task.
    Claimed,
    /// 反馈: the outcome (codes from the program's outcome tree, root to leaf) and a note.
    Answered {
        outcome: Vec<String>,
        note: Option<String>,
    },
    /// 修改所属镇街: the person belongs to another unit; it gets a fresh task there.
    Reassigned {
        to_unit: String,
        reason: Option<String>,
    },
    /// 转发: forwarded to another community (W2 scenario 3).
    Forwarded {
        to_unit: String,
        note: Option<String>,
    },
    /// 扫码绑定: a wristband (QR id or NFC UID) is bound to this person.
    TagBound { tag: String },
    /// 解绑: a wristband is taken off this person (lost, damaged, bound by mistake).
    TagUnbound { tag: String, reason: Option<String> },
    /// 发放物资: supplies handed to this person.
    SuppliesIssued { item: String, quantity: u32 },
    /// 接人上车: boarded onto the vehicle of a transfer.
    Boarded { transfer: String },
    /// 隔离酒店 (person records): arrived at the quarantine hotel with a transfer.
    ArrivedAtHotel { transfer: String },
    /// 通知转运 (transfer records): the notice a community worker sends to the dispatchers —
    /// how many persons go by close-contact vehicle and by other vehicle, where to pick them up,
    /// and the expected persons (record ids, the manifest).
    TransferNotified {
        close_contact_riders: u32,
        other_riders: u32,
        pickup_address: String,
        persons: Vec<String>,
    },
    /// 派车 (transfer records): a dispatcher assigns a vehicle.
    VehicleAssigned {
        plate: String,
        driver_phone: String,
        vehicle: VehicleKind,
    },
    /// 取消转运通知 (transfer records).
    TransferCancelled { reason: String },
    /// 刷环上车 (transfer records): the escort scanned this person's wristband onto the vehicle.
    BoardingScanned { person: String, tag: String },
    /// 完成接人 (transfer records): the roll is closed and handed over to the hotel; `boarded` is
    /// the count the escort confirmed.
    PickupCompleted { boarded: u32 },
    /// 酒店签收 (transfer records): the hotel desk scanned this person's wristband on arrival.
    HotelArrivalScanned { person: String, tag: String },
    /// 已送达酒店 (transfer records): the hotel desk closed the arrivals.
    HotelReceived { arrived: u32 },
    /// 物资入库 (supply ledgers): stock received by the community.
    StockReceived {
        item: String,
        quantity: u32,
        note: Option<String>,
    },
    /// 物资发放 (supply ledgers): stock handed to a person (record id), also recorded on the
    /// person's record as `SuppliesIssued`.
    StockIssued {
        item: String,
        quantity: u32,
        person: String,
    },
    /// 盘点调整 (supply ledgers): a count found more (positive) or less (negative) than known.
    StockAdjusted {
        item: String,
        delta: i64,
        reason: String,
    },
    /// 区疾控判定: the CDC accepts or rejects a supplementary person.
    CdcJudged {
        accepted: bool,
        note: Option<String>,
    },
    /// 状态流转: a step the program declares (`program::Transition`), from the status the
    /// author saw to the one it reaches, with the outcome (if the step asks for one), the
    /// fields typed (key → normalised value) and the note.
    Transitioned {
        action: String,
        from: String,
        to: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        outcome: Vec<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        inputs: BTreeMap<String, String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// 复核: someone who saw the conflicting events settled the listed review marks.
    ReviewResolved {
        marks: Vec<String>,
        note: Option<String>,
    },
    /// 告警解除 (alert records only): the work the alert waited for is done. `completed_ms` is
    /// when the work was done on the device (which may have been offline, before the deadline),
    /// `synced_ms` when the server learnt of it.
    AlertResolved { completed_ms: i64, synced_ms: i64 },
}

/// Which kind of vehicle a transfer uses (seed 003: 密接车辆 / 非密接车辆).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VehicleKind {
    /// 密接车辆
    CloseContact,
    /// 非密接车辆
    Other,
}

impl Describe for VehicleKind {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            VehicleKind::CloseContact => ("密接车辆", "close-contact vehicle"),
            VehicleKind::Other => ("非密接车辆", "other vehicle"),
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The kind of an action, for messages and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Dispatched,
    Claimed,
    Answered,
    Reassigned,
    Forwarded,
    TagBound,
    TagUnbound,
    SuppliesIssued,
    Boarded,
    ArrivedAtHotel,
    TransferNotified,
    VehicleAssigned,
    TransferCancelled,
    BoardingScanned,
    PickupCompleted,
    HotelArrivalScanned,
    HotelReceived,
    StockReceived,
    StockIssued,
    StockAdjusted,
    CdcJudged,
    Transitioned,
    ReviewResolved,
    AlertResolved,
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Dispatched { .. } => ActionKind::Dispatched,
            Action::Claimed => ActionKind::Claimed,
            Action::Answered { .. } => ActionKind::Answered,
            Action::Reassigned { .. } => ActionKind::Reassigned,
            Action::Forwarded { .. } => ActionKind::Forwarded,
            Action::TagBound { .. } => ActionKind::TagBound,
            Action::TagUnbound { .. } => ActionKind::TagUnbound,
            Action::SuppliesIssued { .. } => ActionKind::SuppliesIssued,
            Action::Boarded { .. } => ActionKind::Boarded,
            Action::ArrivedAtHotel { .. } => ActionKind::ArrivedAtHotel,
            Action::TransferNotified { .. } => ActionKind::TransferNotified,
            Action::VehicleAssigned { .. } => ActionKind::VehicleAssigned,
            Action::TransferCancelled { .. } => ActionKind::TransferCancelled,
            Action::BoardingScanned { .. } => ActionKind::BoardingScanned,
            Action::PickupCompleted { .. } => ActionKind::PickupCompleted,
            Action::HotelArrivalScanned { .. } => ActionKind::HotelArrivalScanned,
            Action::HotelReceived { .. } => ActionKind::HotelReceived,
            Action::StockReceived { .. } => ActionKind::StockReceived,
            Action::StockIssued { .. } => ActionKind::StockIssued,
            Action::StockAdjusted { .. } => ActionKind::StockAdjusted,
            Action::CdcJudged { .. } => ActionKind::CdcJudged,
            Action::Transitioned { .. } => ActionKind::Transitioned,
            Action::ReviewResolved { .. } => ActionKind::ReviewResolved,
            Action::AlertResolved { .. } => ActionKind::AlertResolved,
        }
    }
}

impl Describe for ActionKind {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            ActionKind::Dispatched => ("派发", "dispatch"),
            ActionKind::Claimed => ("认领", "claim"),
            ActionKind::Answered => ("反馈", "answer"),
            ActionKind::Reassigned => ("修改所属单位", "reassignment"),
            ActionKind::Forwarded => ("转发", "forwarding"),
            ActionKind::TagBound => ("绑定手环", "wristband binding"),
            ActionKind::TagUnbound => ("解绑手环", "wristband removal"),
            ActionKind::SuppliesIssued => ("发放物资", "supply issue"),
            ActionKind::Boarded => ("上车", "boarding"),
            ActionKind::ArrivedAtHotel => ("到达隔离酒店", "arrival at the hotel"),
            ActionKind::TransferNotified => ("通知转运", "transfer notice"),
            ActionKind::VehicleAssigned => ("派车", "vehicle assignment"),
            ActionKind::TransferCancelled => ("取消转运通知", "transfer cancellation"),
            ActionKind::BoardingScanned => ("刷环上车", "boarding scan"),
            ActionKind::PickupCompleted => ("完成接人", "pickup complete"),
            ActionKind::HotelArrivalScanned => ("酒店签收", "hotel arrival scan"),
            ActionKind::HotelReceived => ("已送达酒店", "delivered to the hotel"),
            ActionKind::StockReceived => ("物资入库", "stock received"),
            ActionKind::StockIssued => ("物资发放", "stock issued"),
            ActionKind::StockAdjusted => ("盘点调整", "stock adjustment"),
            ActionKind::CdcJudged => ("疾控判定", "CDC judgement"),
            ActionKind::Transitioned => ("状态变更", "status change"),
            ActionKind::ReviewResolved => ("复核", "review"),
            ActionKind::AlertResolved => ("告警解除", "alert resolved"),
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The task status (任务状态) that every list and count is built on. Programs give the labels
/// their own words (W2 says 待核实 where W1 says 待认领); the machinery is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// 待认领
    Unclaimed,
    /// 已认领待反馈
    Claimed,
    /// 已反馈
    Answered,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [
        TaskStatus::Unclaimed,
        TaskStatus::Claimed,
        TaskStatus::Answered,
    ];

    /// The stable code stored in query tables.
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Unclaimed => "unclaimed",
            TaskStatus::Claimed => "claimed",
            TaskStatus::Answered => "answered",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The workflow status (`RecordState::status_code`) this task status corresponds to.
    pub fn core_status(self) -> &'static str {
        match self {
            TaskStatus::Unclaimed => core_status::PENDING,
            TaskStatus::Claimed => core_status::CLAIMED,
            TaskStatus::Answered => core_status::ANSWERED,
        }
    }
}

impl Describe for TaskStatus {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            TaskStatus::Unclaimed => ("待认领", "Unclaimed"),
            TaskStatus::Claimed => ("已认领待反馈", "Claimed, awaiting answer"),
            TaskStatus::Answered => ("已反馈", "Answered"),
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The kind of a record (记录类型): one document per person-in-a-program, transfer, alert….
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// 人员: a person in a program's list.
    Person,
    /// 转运单: a transfer notice and its manifest.
    Transfer,
    /// 告警: an escalation alert.
    Alert,
    /// 物资台账: a community's supply stock ledger.
    SupplyLedger,
}

impl RecordKind {
    pub fn code(self) -> &'static str {
        match self {
            RecordKind::Person => "person",
            RecordKind::Transfer => "transfer",
            RecordKind::Alert => "alert",
            RecordKind::SupplyLedger => "supply_ledger",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            RecordKind::Person,
            RecordKind::Transfer,
            RecordKind::Alert,
            RecordKind::SupplyLedger,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_json_with_a_type_tag() {
        let action = Action::Answered {
            outcome: vec!["local".into(), "central".into(), "zhujiang".into()],
            note: None,
        };
        let json = serde_json::to_string(&action).unwrap();
        assert!(json.contains("\"type\":\"answered\""));
        assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
    }

    #[test]
    fn record_ids_reject_personal_looking_text() {
        assert!(RecordId::new("b954428744-0001").is_ok());
        assert!(RecordId::new("李明").is_err());
        assert!(serde_json::from_str::<RecordId>("\"a b\"").is_err());
    }

    #[test]
    fn status_codes_round_trip() {
        for status in TaskStatus::ALL {
            assert_eq!(TaskStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(TaskStatus::Claimed.describe(Lang::Zh), "已认领待反馈");
    }
}
