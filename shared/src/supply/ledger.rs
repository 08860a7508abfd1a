//! A community's stock ledger (物资台账) folded from its movements.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::record::{
    Action, Event, NewRecord, RecordId, RecordKind, ReviewMark, ReviewReason, Stamp,
    in_clock_order, stamp,
};

/// The ledger record of a community: one id per unit, the same on every device.
pub fn ledger_id(unit: &str) -> Option<RecordId> {
    RecordId::new(format!("supplies-{unit}")).ok()
}

/// What `Record::create_genesis` takes to start the ledger of `unit`.
pub fn new_ledger(unit: &str, program: &str) -> Option<NewRecord> {
    Some(NewRecord {
        id: ledger_id(unit)?,
        kind: RecordKind::SupplyLedger,
        program: program.to_owned(),
        unit: unit.to_owned(),
        batch: None,
        fields: Vec::new(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// 入库
    Received,
    /// 发放
    Issued,
    /// 盘点调整
    Adjusted,
}

/// One stock movement, as the ledger lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub kind: MovementKind,
    pub item: String,
    /// Signed change of the stock.
    pub delta: i64,
    /// Issues: the person's record id.
    pub person: Option<String>,
    pub note: Option<String>,
    pub stamp: Stamp,
}

/// The stock of one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockLine {
    pub received: i64,
    pub issued: i64,
    pub adjusted: i64,
}

impl StockLine {
    /// What should be on the shelf: received − issued + adjustments. Negative when more was
    /// issued than known.
    pub fn stock(&self) -> i64 {
        self.received - self.issued + self.adjusted
    }
}

/// A ledger's state: stock per item (by item code) and every movement in clock order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerState {
    pub lines: BTreeMap<String, StockLine>,
    pub movements: Vec<Movement>,
    pub reviews: Vec<ReviewMark>,
}

/// Folds a ledger's movements. Order and duplicates of `events` do not matter: stock is a sum.
pub fn fold_ledger(events: &[Event]) -> LedgerState {
    let ordered = in_clock_order(events);
    let mut lines: BTreeMap<String, StockLine> = BTreeMap::new();
    let mut movements = Vec::new();
    for event in &ordered {
        let (kind, item, delta, person, note) = match &event.action {
            Action::StockReceived {
                item,
                quantity,
                note,
            } => (
                MovementKind::Received,
                item,
                i64::from(*quantity),
                None,
                note.clone(),
            ),
            Action::StockIssued {
                item,
                quantity,
                person,
            } => (
                MovementKind::Issued,
                item,
                -i64::from(*quantity),
                Some(person.clone()),
                None,
            ),
            Action::StockAdjusted {
                item,
                delta,
                reason,
            } => (
                MovementKind::Adjusted,
                item,
                *delta,
                None,
                Some(reason.clone()),
            ),
            _ => continue,
        };
        let line = lines.entry(item.clone()).or_default();
        match kind {
            MovementKind::Received => line.received += delta,
            MovementKind::Issued => line.issued -= delta,
            MovementKind::Adjusted => line.adjusted += delta,
        }
        movements.push(Movement {
            kind,
            item: item.clone(),
            delta,
            person,
            note,
            stamp: stamp(event),
        });
    }
    // A shortfall is a fact about the current stock, not about two events: the mark lasts while
    // the stock is below zero (a review cannot wish it away; a receipt or an adjustment ends it),
    // and its id names the item so that it is the same everywhere.
    let reviews: Vec<ReviewMark> = lines
        .iter()
        .filter(|(_, line)| line.stock() < 0)
        .map(|(item, line)| ReviewMark {
            id: format!("stock:{item}"),
            reason: ReviewReason::StockBelowZero {
                item: item.clone(),
                stock: line.stock(),
            },
            events: Vec::new(),
        })
        .collect();
    LedgerState {
        lines,
        movements,
        reviews,
    }
}
