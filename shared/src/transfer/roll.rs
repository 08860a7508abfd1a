//! The roll call (点名): what one wristband scan means at each hop of a transfer — onto the
//! vehicle (接人上车) and in at the hotel (隔离酒店). Every hop checks the same wristband against
//! the same transfer record, so a person counted on the bus is the person the hotel expects.
//!
//! Each outcome has its own kind, so the screen can give each its own sound and colour.

use serde::{Deserialize, Serialize};

use super::TransferState;
use crate::i18n::{Describe, Lang};

/// The hop a scan is made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hop {
    /// 接人上车
    Boarding,
    /// 隔离酒店签收
    Hotel,
}

/// What a scan turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    /// 上车成功
    Boarded,
    /// 签收成功 (hotel)
    Arrived,
    /// 已上车: scanned before (on this device or a synced one).
    AlreadyBoarded,
    /// 已签收 (hotel)
    AlreadyArrived,
    /// 无法识别的手环: not a wristband code (misread, damaged, forged).
    UnknownWristband,
    /// 手环未绑定: a valid wristband bound to nobody this device knows.
    UnboundWristband,
    /// 其他转运单人员: the person is on another transfer's list.
    OtherTransfer,
    /// 不在名单: the person is on no transfer list this device knows.
    NotOnManifest,
    /// 未上车 (hotel): on the list but never scanned onto the vehicle.
    NotBoarded,
    /// 手环绑定多人: one wristband bound to several persons of this list (flagged for review).
    SeveralPersons,
}

impl ScanKind {
    /// Whether the scan was recorded (green); every other kind is a warning.
    pub fn accepted(self) -> bool {
        matches!(self, ScanKind::Boarded | ScanKind::Arrived)
    }

    pub fn code(self) -> &'static str {
        match self {
            ScanKind::Boarded => "boarded",
            ScanKind::Arrived => "arrived",
            ScanKind::AlreadyBoarded => "already_boarded",
            ScanKind::AlreadyArrived => "already_arrived",
            ScanKind::UnknownWristband => "unknown_wristband",
            ScanKind::UnboundWristband => "unbound_wristband",
            ScanKind::OtherTransfer => "other_transfer",
            ScanKind::NotOnManifest => "not_on_manifest",
            ScanKind::NotBoarded => "not_boarded",
            ScanKind::SeveralPersons => "several_persons",
        }
    }
}

impl Describe for ScanKind {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            ScanKind::Boarded => ("上车成功", "Boarded"),
            ScanKind::Arrived => ("签收成功", "Arrival recorded"),
            ScanKind::AlreadyBoarded => ("该人员已上车", "Already boarded"),
            ScanKind::AlreadyArrived => ("该人员已签收", "Arrival already recorded"),
            ScanKind::UnknownWristband => ("无法识别的手环", "Not a wristband code"),
            ScanKind::UnboundWristband => ("手环未绑定任何人员", "Wristband bound to nobody"),
            ScanKind::OtherTransfer => ("该人员属于其他转运单", "Person of another transfer"),
            ScanKind::NotOnManifest => ("该人员不在转运名单中", "Person not on any transfer list"),
            ScanKind::NotBoarded => ("该人员未刷环上车", "Person never boarded"),
            ScanKind::SeveralPersons => (
                "该手环绑定了多名人员，请人工核实",
                "Wristband bound to several persons: check by hand",
            ),
        };
        match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// The verdict on one scan: its kind, the person it identified (record id) and, for
/// `OtherTransfer`, that transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub kind: ScanKind,
    pub person: Option<String>,
    pub other_transfer: Option<String>,
}

/// Judges a scan of a valid wristband at `hop`. `bound_to` holds the persons the wristband is
/// bound to now (usually one); `other_transfer_of` finds another transfer listing a person,
/// and is asked only when the person is not on this one.
pub fn judge(
    hop: Hop,
    state: &TransferState,
    bound_to: &[String],
    mut other_transfer_of: impl FnMut(&str) -> Option<String>,
) -> Verdict {
    let verdict = |kind, person: Option<&String>| Verdict {
        kind,
        person: person.cloned(),
        other_transfer: None,
    };
    let listed: Vec<&String> = bound_to
        .iter()
        .filter(|p| state.is_on_manifest(p))
        .collect();
    let person = match (listed.as_slice(), bound_to) {
        ([one], _) => *one,
        ([], []) => return verdict(ScanKind::UnboundWristband, None),
        ([], [one]) => {
            return match other_transfer_of(one.as_str()) {
                Some(other) => Verdict {
                    kind: ScanKind::OtherTransfer,
                    person: Some(one.clone()),
                    other_transfer: Some(other),
                },
                None => verdict(ScanKind::NotOnManifest, Some(one)),
            };
        }
        _ => return verdict(ScanKind::SeveralPersons, None),
    };
    let kind = match hop {
        Hop::Boarding if state.boarding_of(person).is_some() => ScanKind::AlreadyBoarded,
        Hop::Boarding => ScanKind::Boarded,
        Hop::Hotel if state.boarding_of(person).is_none() => ScanKind::NotBoarded,
        Hop::Hotel if state.arrival_of(person).is_some() => ScanKind::AlreadyArrived,
        Hop::Hotel => ScanKind::Arrived,
    };
    verdict(kind, Some(person))
}
