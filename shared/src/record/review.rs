//! Review marks (待复核): how a record says "two people did incompatible things; a person must
//! decide". The fold always produces a deterministic state, so every replica shows the same thing,
//! but it never hides the losing side: the mark names both.

use serde::{Deserialize, Serialize};

use super::event::{ActionKind, EventId, UserId};
use crate::i18n::{Describe, Lang};

/// Why a record needs review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReviewReason {
    /// Two workers claimed the task without seeing each other's claim. The earlier claim stands.
    ConcurrentClaims { kept: UserId, also: UserId },
    /// Two different answers were given without seeing each other. The earlier answer stands.
    ConcurrentAnswers {
        kept: Vec<String>,
        kept_by: UserId,
        also: Vec<String>,
        also_by: UserId,
    },
    /// Two reassignments (or forwards) were made without seeing each other. The earlier stands.
    ConcurrentReassignments {
        kept_unit: String,
        also_unit: String,
    },
    /// A claim or answer was made for a unit the record had already left.
    ActionOnFormerUnit {
        action: ActionKind,
        by: UserId,
        former_unit: String,
        current_unit: String,
    },
    /// The record was moved to another unit by someone who had not seen a claim or answer.
    ReassignedOverUnseenWork {
        action: ActionKind,
        by: UserId,
        from_unit: String,
        to_unit: String,
    },
    /// A declared transition was taken by someone who had not seen the status it was taken
    /// from change (two workers stepping the same record offline). The earlier step stands.
    ConcurrentTransitions {
        /// The status that stands, and who took the step that reached it.
        kept: String,
        kept_by: UserId,
        /// The other step: its action, the status it meant to reach, its author.
        also_action: String,
        also: String,
        also_by: UserId,
    },
    /// Two different wristbands were bound to this person without seeing each other.
    ConcurrentTagBindings { kept: String, also: String },
    /// One wristband is bound to this person and to other records too.
    TagBoundToSeveralRecords { tag: String, others: Vec<String> },
    /// Transfers: a person was scanned (onto the vehicle, or in at the hotel) on a device that had
    /// not yet seen that the roll was closed. The scan counts; someone checks the hand-over.
    ScannedAfterRollClosed { action: ActionKind, person: String },
    /// Transfers: something was done on a device that had not yet seen the cancellation.
    ActionOnCancelledTransfer { action: ActionKind, by: UserId },
    /// Supply ledgers: more was issued than the ledger knew to be in stock (offline issues on
    /// several devices, or stock received but not entered). Clears once the stock is back at
    /// zero or above (a receipt or an adjustment).
    StockBelowZero { item: String, stock: i64 },
    /// A field was edited concurrently; every value is kept until someone chooses.
    ConcurrentFieldEdits { field: String, values: Vec<String> },
    /// An event could not be read (corrupt, or written by a newer app version).
    UnreadableEvent { event: String, reason: String },
}

/// One thing to review on a record. The id is stable across replicas so a resolution made on one
/// device clears the same mark everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewMark {
    pub id: String,
    pub reason: ReviewReason,
    /// The events involved; a resolution must have seen all of them.
    pub events: Vec<EventId>,
}

impl ReviewMark {
    pub(crate) fn between(kind: &str, reason: ReviewReason, events: Vec<EventId>) -> Self {
        let joined: Vec<&str> = events.iter().map(EventId::as_str).collect();
        Self {
            id: format!("{kind}:{}", joined.join("+")),
            reason,
            events,
        }
    }
}

fn path(codes: &[String]) -> String {
    codes.join(" / ")
}

impl Describe for ReviewReason {
    /// Users by id and units by code; [`ReviewReason::describe_named`] names them.
    fn describe(&self, lang: Lang) -> String {
        self.describe_named(lang, &str::to_owned, &str::to_owned)
    }
}

impl ReviewReason {
    /// The reason in `lang`, each user as `user` names them (张三 rather than
    /// `nansha-worker-1`) and each unit as `unit` does (珠江街道 rather than `440115002`).
    pub fn describe_named(
        &self,
        lang: Lang,
        user: &dyn Fn(&str) -> String,
        unit: &dyn Fn(&str) -> String,
    ) -> String {
        match (self, lang) {
            (ReviewReason::ConcurrentClaims { kept, also }, Lang::Zh) => {
                let (kept, also) = (user(kept.as_str()), user(also.as_str()));
                format!("{kept} 与 {also} 同时认领，保留先认领的 {kept}")
            }
            (ReviewReason::ConcurrentClaims { kept, also }, Lang::En) => {
                let (kept, also) = (user(kept.as_str()), user(also.as_str()));
                format!(
                    "{kept} and {also} claimed at the same time; the earlier claim by {kept} stands"
                )
            }
            (
                ReviewReason::ConcurrentAnswers {
                    kept,
                    kept_by,
                    also,
                    also_by,
                },
                Lang::Zh,
            ) => format!(
                "反馈冲突：{} 反馈“{}”，{} 反馈“{}”，暂保留前者",
                user(kept_by.as_str()),
                path(kept),
                user(also_by.as_str()),
                path(also)
            ),
            (
                ReviewReason::ConcurrentAnswers {
                    kept,
                    kept_by,
                    also,
                    also_by,
                },
                Lang::En,
            ) => format!(
                "conflicting answers: {} answered \"{}\", {} answered \"{}\"; the first stands for now",
                user(kept_by.as_str()),
                path(kept),
                user(also_by.as_str()),
                path(also)
            ),
            (
                ReviewReason::ConcurrentReassignments {
                    kept_unit,
                    also_unit,
                },
                Lang::Zh,
            ) => {
                let (kept_unit, also_unit) = (unit(kept_unit), unit(also_unit));
                format!("所属单位同时被改为 {kept_unit} 和 {also_unit}，暂按 {kept_unit}")
            }
            (
                ReviewReason::ConcurrentReassignments {
                    kept_unit,
                    also_unit,
                },
                Lang::En,
            ) => {
                let (kept_unit, also_unit) = (unit(kept_unit), unit(also_unit));
                format!(
                    "moved to {kept_unit} and to {also_unit} at the same time; {kept_unit} stands for now"
                )
            }
            (
                ReviewReason::ActionOnFormerUnit {
                    action,
                    by,
                    former_unit,
                    current_unit,
                },
                Lang::Zh,
            ) => format!(
                "{} 在 {} 的{}发生在所属单位改为 {} 之后，未生效",
                user(by.as_str()),
                unit(former_unit),
                action.describe(Lang::Zh),
                unit(current_unit)
            ),
            (
                ReviewReason::ActionOnFormerUnit {
                    action,
                    by,
                    former_unit,
                    current_unit,
                },
                Lang::En,
            ) => format!(
                "the {} by {} for {} came after the move to {} and did not take effect",
                action.describe(Lang::En),
                user(by.as_str()),
                unit(former_unit),
                unit(current_unit)
            ),
            (
                ReviewReason::ReassignedOverUnseenWork {
                    action,
                    by,
                    from_unit,
                    to_unit,
                },
                Lang::Zh,
            ) => format!(
                "所属单位改为 {} 时未看到 {} 在 {} 的{}",
                unit(to_unit),
                user(by.as_str()),
                unit(from_unit),
                action.describe(Lang::Zh)
            ),
            (
                ReviewReason::ReassignedOverUnseenWork {
                    action,
                    by,
                    from_unit,
                    to_unit,
                },
                Lang::En,
            ) => format!(
                "moved to {} without seeing the {} by {} in {}",
                unit(to_unit),
                action.describe(Lang::En),
                user(by.as_str()),
                unit(from_unit)
            ),
            (
                ReviewReason::ConcurrentTransitions {
                    kept,
                    kept_by,
                    also,
                    also_by,
                    ..
                },
                Lang::Zh,
            ) => format!(
                "状态冲突：{} 改为 {kept}，{} 同时改为 {also}，暂保留前者",
                user(kept_by.as_str()),
                user(also_by.as_str())
            ),
            (
                ReviewReason::ConcurrentTransitions {
                    kept,
                    kept_by,
                    also,
                    also_by,
                    ..
                },
                Lang::En,
            ) => format!(
                "conflicting status changes: {} set {kept}, {} set {also} at the same time; the first stands for now",
                user(kept_by.as_str()),
                user(also_by.as_str())
            ),
            (ReviewReason::ConcurrentTagBindings { kept, also }, Lang::Zh) => {
                format!("同时绑定了手环 {kept} 和 {also}，暂保留 {kept}")
            }
            (ReviewReason::ConcurrentTagBindings { kept, also }, Lang::En) => {
                format!(
                    "wristbands {kept} and {also} were bound at the same time; {kept} stands for now"
                )
            }
            (ReviewReason::TagBoundToSeveralRecords { tag, others }, Lang::Zh) => {
                format!("手环 {tag} 同时绑定在 {} 条其他记录上", others.len())
            }
            (ReviewReason::TagBoundToSeveralRecords { tag, others }, Lang::En) => {
                format!(
                    "wristband {tag} is also bound to {} other record(s)",
                    others.len()
                )
            }
            (ReviewReason::ScannedAfterRollClosed { action, person }, Lang::Zh) => format!(
                "人员 {person} 的{}发生在名单关闭之后（离线设备未及时同步），请核对交接名单",
                action.describe(Lang::Zh)
            ),
            (ReviewReason::ScannedAfterRollClosed { action, person }, Lang::En) => format!(
                "the {} of person {person} came after the roll was closed (an offline device); check the hand-over list",
                action.describe(Lang::En)
            ),
            (ReviewReason::ActionOnCancelledTransfer { action, by }, Lang::Zh) => format!(
                "{} 的{}发生在转运通知取消之后",
                user(by.as_str()),
                action.describe(Lang::Zh)
            ),
            (ReviewReason::ActionOnCancelledTransfer { action, by }, Lang::En) => format!(
                "the {} by {} came after the transfer was cancelled",
                action.describe(Lang::En),
                user(by.as_str())
            ),
            (ReviewReason::StockBelowZero { item, stock }, Lang::Zh) => {
                format!("物资 {item} 发放超出已知库存，当前库存 {stock}，请入库或盘点调整")
            }
            (ReviewReason::StockBelowZero { item, stock }, Lang::En) => format!(
                "more {item} was issued than known to be in stock (stock {stock}); record a receipt or an adjustment"
            ),
            (ReviewReason::ConcurrentFieldEdits { field, values }, Lang::Zh) => {
                format!("字段“{field}”被同时修改为 {} 个不同的值", values.len())
            }
            (ReviewReason::ConcurrentFieldEdits { field, values }, Lang::En) => {
                format!(
                    "field \"{field}\" was edited concurrently to {} different values",
                    values.len()
                )
            }
            (ReviewReason::UnreadableEvent { event, reason }, Lang::Zh) => {
                format!("事件 {event} 无法读取（{reason}），请升级应用后复核")
            }
            (ReviewReason::UnreadableEvent { event, reason }, Lang::En) => {
                format!("event {event} could not be read ({reason}); update the app and review")
            }
        }
    }
}
