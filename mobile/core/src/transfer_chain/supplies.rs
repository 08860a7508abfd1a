//! 发放物资: the catalogue, the community's stock ledger and issuing supplies to a person.
//!
//! Issuing writes `SuppliesIssued` on the person's record (their issue log) and `StockIssued`
//! on the community's ledger, in one replica transaction. Issuing more than the ledger knows
//! is allowed — stock may have arrived while the device was offline — but the result names
//! each item that went below zero, and the ledger carries a `StockBelowZero` review mark until
//! a receipt or an adjustment covers it.

use outpost_shared::i18n::Lang;
use outpost_shared::program;
use outpost_shared::record::{Action, Record, RecordKind};
use outpost_shared::replica::ReplicaError;
use outpost_shared::supply::{self, LedgerState, MovementKind};
use serde::{Deserialize, Serialize};

use super::{PersonRef, read_tag};
use crate::{AppCore, AppError, ErrorCode};

/// The most of one item issued to one person in one go: a typo guard.
const MAX_PER_ISSUE: u32 = 1_000;
/// The most of one item received or adjusted in one movement.
const MAX_MOVEMENT: u32 = 1_000_000;
/// How many recent movements the stock report lists.
const REPORT_MOVEMENTS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupplyItemView {
    pub code: String,
    pub label: String,
    pub unit: String,
    pub per_person: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemQuantity {
    pub item: String,
    pub quantity: u32,
}

/// Who gets the supplies: a scanned wristband or a person picked from the list.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueInput {
    #[serde(default)]
    pub record_id: Option<String>,
    #[serde(default)]
    pub scan: Option<String>,
    pub items: Vec<ItemQuantity>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReceiveInput {
    pub item: String,
    pub quantity: u32,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdjustInput {
    pub item: String,
    /// Found more (positive) or less (negative) than the ledger says.
    pub delta: i64,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StockInput {
    /// The community; the user's own unit when absent.
    #[serde(default)]
    pub unit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockLineView {
    pub item: String,
    pub label: String,
    pub unit: String,
    pub received: i64,
    pub issued: i64,
    pub adjusted: i64,
    pub stock: i64,
    /// More was issued than known to be in stock (shown in red, listed for review).
    pub short: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MovementView {
    pub at_ms: i64,
    /// received, issued or adjusted
    pub kind: String,
    pub kind_label: String,
    pub item_label: String,
    pub delta: i64,
    pub person: Option<PersonRef>,
    pub note: Option<String>,
    pub user: String,
}

/// 库存报表: stock per catalogue item, then items outside the catalogue that have movements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockReport {
    pub unit: String,
    pub unit_name: String,
    pub lines: Vec<StockLineView>,
    /// The latest movements, newest first.
    pub movements: Vec<MovementView>,
}

/// One line of a person's issue log (发放记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueLogEntry {
    pub at_ms: i64,
    pub item: String,
    pub label: String,
    pub quantity: u32,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shortfall {
    pub item: String,
    pub label: String,
    pub stock: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueResult {
    pub person: PersonRef,
    /// Items that are now below zero in the ledger: allowed offline, flagged for review.
    pub over_issued: Vec<Shortfall>,
    pub message: String,
    pub stock: StockReport,
}

fn movement_label(kind: MovementKind, lang: Lang) -> String {
    let (zh, en) = match kind {
        MovementKind::Received => ("入库", "received"),
        MovementKind::Issued => ("发放", "issued"),
        MovementKind::Adjusted => ("盘点调整", "adjusted"),
    };
    match lang {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
    }
}

impl AppCore {
    /// The supply catalogue (物资目录) in the user's language.
    pub fn supply_catalogue(&self) -> Vec<SupplyItemView> {
        let lang = self.lang();
        self.catalogue()
            .items()
            .iter()
            .map(|i| SupplyItemView {
                code: i.code.clone(),
                label: i.label.get(lang).to_owned(),
                unit: i.unit.get(lang).to_owned(),
                per_person: i.per_person,
            })
            .collect()
    }

    fn item_label(&self, code: &str) -> String {
        self.catalogue()
            .item(code)
            .map_or_else(|| code.to_owned(), |i| i.label.get(self.lang()).to_owned())
    }

    fn check_item(&self, code: &str) -> Result<(), AppError> {
        if self.catalogue().item(code).is_some() {
            return Ok(());
        }
        Err(AppError::bad_input(
            self.lang(),
            format!("物资目录中没有 {code}"),
            format!("{code} is not in the supply catalogue"),
        ))
    }

    /// The unit whose ledger the user works on: a given unit within the user's own, or the
    /// user's unit.
    fn ledger_unit(&self, unit: Option<&str>) -> Result<String, AppError> {
        let own = self.account()?.unit.clone();
        let unit = unit.filter(|u| !u.trim().is_empty()).unwrap_or(&own).trim();
        if !self.jurisdictions().is_within(unit, &own) {
            return Err(AppError::new(
                ErrorCode::NotAllowed,
                self.lang(),
                "只能查看本单位及下级单位的物资",
                "You can see the supplies of your own unit and those below it only",
            ));
        }
        Ok(unit.to_owned())
    }

    /// The program a community's ledger belongs to: the first held program that issues supplies.
    fn supplies_program(&self) -> Result<String, AppError> {
        self.user_programs()
            .into_iter()
            .find(|p| {
                self.program(&p.id)
                    .is_ok_and(|p| p.allows(program::Action::IssueSupplies))
            })
            .map(|p| p.id)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NotAllowed,
                    self.lang(),
                    "您的流程不发放物资",
                    "None of your programs issues supplies",
                )
            })
    }

    /// Appends `actions` to the ledger of `unit` (created here, deterministically, if this
    /// device has never seen it) and, if given, `person_actions` to a person — one transaction.
    fn write_movements(
        &mut self,
        unit: &str,
        program: &str,
        actions: Vec<Action>,
        person: Option<(Record, Vec<Action>)>,
    ) -> Result<LedgerState, AppError> {
        let lang = self.lang();
        let new = supply::new_ledger(unit, program)
            .ok_or_else(|| AppError::internal(lang, "invalid ledger id"))?;
        let now = self.now_u64();
        let session = self.session_mut()?;
        let author = session.author.clone();
        let hlc = &mut session.hlc;
        session
            .replica
            .write(|w| {
                let damaged = |id: &str, e| ReplicaError::record(id.to_owned(), e);
                let mut ledger = match w.load(&new.id)? {
                    Some(ledger) => ledger,
                    None => Record::create_genesis(new.clone())
                        .map_err(|e| damaged(new.id.as_str(), e))?,
                };
                for action in actions {
                    ledger
                        .append(&author, hlc, now, action)
                        .map_err(|e| damaged(new.id.as_str(), e))?;
                }
                if let Some((mut record, person_actions)) = person {
                    let id = record.id().to_string();
                    for action in person_actions {
                        record
                            .append(&author, hlc, now, action)
                            .map_err(|e| damaged(&id, e))?;
                    }
                    w.save(&mut record)?;
                }
                w.save(&mut ledger)?;
                Ok(supply::fold_ledger(&ledger.events().0))
            })
            .map_err(|e| AppError::replica(lang, e))
    }

    fn ledger_state(&self, unit: &str) -> Result<LedgerState, AppError> {
        let lang = self.lang();
        let Some(id) = supply::ledger_id(unit) else {
            return Err(AppError::not_found(lang));
        };
        let record = self
            .session()?
            .replica
            .load(&id)
            .map_err(|e| AppError::replica(lang, e))?;
        Ok(record.map_or_else(
            || supply::fold_ledger(&[]),
            |r| supply::fold_ledger(&r.events().0),
        ))
    }

    fn report(&self, unit: &str, ledger: &LedgerState) -> StockReport {
        let lang = self.lang();
        let mut lines: Vec<StockLineView> = Vec::new();
        let codes = self
            .catalogue()
            .items()
            .iter()
            .map(|i| i.code.clone())
            .chain(ledger.lines.keys().cloned());
        for code in codes {
            if lines.iter().any(|l| l.item == code) {
                continue;
            }
            let line = ledger.lines.get(&code).cloned().unwrap_or_default();
            lines.push(StockLineView {
                label: self.item_label(&code),
                unit: self
                    .catalogue()
                    .item(&code)
                    .map(|i| i.unit.get(lang).to_owned())
                    .unwrap_or_default(),
                received: line.received,
                issued: line.issued,
                adjusted: line.adjusted,
                stock: line.stock(),
                short: line.stock() < 0,
                item: code,
            });
        }
        let movements = ledger
            .movements
            .iter()
            .rev()
            .take(REPORT_MOVEMENTS)
            .map(|m| MovementView {
                at_ms: i64::try_from(m.stamp.at.wall_ms).unwrap_or(i64::MAX),
                kind: match m.kind {
                    MovementKind::Received => "received",
                    MovementKind::Issued => "issued",
                    MovementKind::Adjusted => "adjusted",
                }
                .to_owned(),
                kind_label: movement_label(m.kind, lang),
                item_label: self.item_label(&m.item),
                delta: m.delta,
                person: m.person.as_deref().map(|p| self.person_ref(p)),
                note: m.note.clone(),
                user: self.display_name(m.stamp.by.as_str()),
            })
            .collect();
        StockReport {
            unit: unit.to_owned(),
            unit_name: self.unit_label(unit),
            lines,
            movements,
        }
    }

    /// 库存报表 of a community (the user's own unit by default).
    pub fn stock_report(&self, input: &StockInput) -> Result<StockReport, AppError> {
        let unit = self.ledger_unit(input.unit.as_deref())?;
        let ledger = self.ledger_state(&unit)?;
        Ok(self.report(&unit, &ledger))
    }

    /// 物资入库: stock delivered to the user's community.
    pub fn receive_stock(&mut self, input: &ReceiveInput) -> Result<StockReport, AppError> {
        let lang = self.lang();
        self.check_item(&input.item)?;
        if input.quantity == 0 || input.quantity > MAX_MOVEMENT {
            return Err(AppError::bad_input(
                lang,
                "入库数量应为 1 至 1000000",
                "The quantity received must be 1 to 1,000,000",
            ));
        }
        let unit = self.ledger_unit(None)?;
        let program = self.supplies_program()?;
        let note = input
            .note
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| n.chars().take(200).collect());
        let ledger = self.write_movements(
            &unit,
            &program,
            vec![Action::StockReceived {
                item: input.item.clone(),
                quantity: input.quantity,
                note,
            }],
            None,
        )?;
        Ok(self.report(&unit, &ledger))
    }

    /// 盘点调整: the count found on the shelf differs from the ledger; the reason is required.
    pub fn adjust_stock(&mut self, input: &AdjustInput) -> Result<StockReport, AppError> {
        let lang = self.lang();
        self.check_item(&input.item)?;
        let reason: String = input.reason.trim().chars().take(200).collect();
        if reason.is_empty() {
            return Err(AppError::bad_input(
                lang,
                "请填写盘点调整原因",
                "Enter the reason for the adjustment",
            ));
        }
        if input.delta == 0 || input.delta.unsigned_abs() > u64::from(MAX_MOVEMENT) {
            return Err(AppError::bad_input(
                lang,
                "调整数量应为非零且不超过 1000000",
                "The adjustment must be non-zero and at most 1,000,000",
            ));
        }
        let unit = self.ledger_unit(None)?;
        let program = self.supplies_program()?;
        let ledger = self.write_movements(
            &unit,
            &program,
            vec![Action::StockAdjusted {
                item: input.item.clone(),
                delta: input.delta,
                reason,
            }],
            None,
        )?;
        Ok(self.report(&unit, &ledger))
    }

    /// 发放物资: to a person found by wristband or picked from the list.
    pub fn issue_supplies(&mut self, input: &IssueInput) -> Result<IssueResult, AppError> {
        let lang = self.lang();
        let record_id = match (&input.scan, &input.record_id) {
            (Some(scan), _) if !scan.trim().is_empty() => {
                let tag = read_tag(scan, lang)?;
                match self.bound_to(&tag)?.as_slice() {
                    [one] => one.clone(),
                    [] => {
                        return Err(AppError::bad_input(
                            lang,
                            "该手环未绑定任何人员，请先扫码绑定",
                            "This wristband is bound to nobody: bind it first",
                        ));
                    }
                    _ => {
                        return Err(AppError::bad_input(
                            lang,
                            "该手环绑定了多名人员，请从名单中选择人员",
                            "This wristband is bound to several persons: pick the person from the list",
                        ));
                    }
                }
            }
            (_, Some(id)) => id.clone(),
            _ => {
                return Err(AppError::bad_input(
                    lang,
                    "请扫描手环或选择人员",
                    "Scan a wristband or pick a person",
                ));
            }
        };
        let items: Vec<&ItemQuantity> = input.items.iter().filter(|i| i.quantity > 0).collect();
        if items.is_empty() {
            return Err(AppError::bad_input(
                lang,
                "请填写发放的物资和数量",
                "Enter the supplies and quantities issued",
            ));
        }
        for item in &items {
            self.check_item(&item.item)?;
            if item.quantity > MAX_PER_ISSUE {
                return Err(AppError::bad_input(
                    lang,
                    format!("{} 的数量过大", self.item_label(&item.item)),
                    format!("Too many {} for one person", self.item_label(&item.item)),
                ));
            }
        }
        let person = self.load_kind(&record_id, RecordKind::Person)?;
        let program = self.program_allowing(&person, program::Action::IssueSupplies)?;
        let Some(unit) = person.state().unit.clone() else {
            return Err(AppError::bad_input(
                lang,
                "该人员尚未派发到社区",
                "The person has not been dispatched to a community",
            ));
        };
        let ledger_actions = items
            .iter()
            .map(|i| Action::StockIssued {
                item: i.item.clone(),
                quantity: i.quantity,
                person: record_id.clone(),
            })
            .collect();
        let person_actions = items
            .iter()
            .map(|i| Action::SuppliesIssued {
                item: i.item.clone(),
                quantity: i.quantity,
            })
            .collect();
        let ledger = self.write_movements(
            &unit,
            program.id(),
            ledger_actions,
            Some((person, person_actions)),
        )?;
        let over_issued: Vec<Shortfall> = items
            .iter()
            .filter_map(|i| {
                let stock = ledger.lines.get(&i.item)?.stock();
                (stock < 0).then(|| Shortfall {
                    item: i.item.clone(),
                    label: self.item_label(&i.item),
                    stock,
                })
            })
            .collect();
        let message = if over_issued.is_empty() {
            match lang {
                Lang::Zh => "发放完成".to_owned(),
                Lang::En => "Supplies issued".to_owned(),
            }
        } else {
            let names: Vec<String> = over_issued
                .iter()
                .map(|s| format!("{}（{}）", s.label, s.stock))
                .collect();
            match lang {
                Lang::Zh => format!(
                    "已发放，但 {} 超出本机已知库存，已列入待复核；请补录入库或盘点",
                    names.join("、")
                ),
                Lang::En => format!(
                    "Issued, but {} exceed the stock this device knows; listed for review — record the receipt or a count",
                    names.join(", ")
                ),
            }
        };
        Ok(IssueResult {
            person: self.person_ref(&record_id),
            over_issued,
            message,
            stock: self.report(&unit, &ledger),
        })
    }

    /// A person's issue log (发放记录), newest first, for the detail screen.
    pub(crate) fn issue_log(&self, record: &Record) -> Vec<IssueLogEntry> {
        let mut log: Vec<IssueLogEntry> = record
            .state()
            .supplies
            .iter()
            .map(|s| IssueLogEntry {
                at_ms: i64::try_from(s.stamp.at.wall_ms).unwrap_or(i64::MAX),
                item: s.item.clone(),
                label: self.item_label(&s.item),
                quantity: s.quantity,
                user: self.display_name(s.stamp.by.as_str()),
            })
            .collect();
        log.reverse();
        log
    }
}
