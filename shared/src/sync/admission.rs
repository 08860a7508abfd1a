//! Admission (准入): what the server checks before it accepts a device's changes to a record.
//!
//! A device is never trusted. [`super::ledger::push`] checks what can be read from the changes
//! without loading the record (hashes, dependencies, scope); admission checks the rest by doing
//! what every replica will do with them:
//!
//! 1. *Apply them.* The record's stored changes are loaded into a scratch document and the
//!    pushed ones applied to it, behind the panic boundary of [`crate::record`]: a change that
//!    Automerge cannot apply or would not load again (a sequence gap, a reused sequence number,
//!    an operation on an object that does not exist, a rewrite of the record's root) is refused
//!    with the reason, before anything is stored or relayed.
//! 2. *Check who wrote it.* Every change must be the pushing device's (its Automerge actor), or
//!    the deterministic genesis of a record any device may create. Every new event must name
//!    the pushing user and device; the import's and the deadline engine's events are the
//!    server's alone.
//! 3. *Check what it does.* Every new workflow event is re-checked with the same checks the
//!    device ran (`task::command::check`, `transfer::command::check`, the roles of the transfer
//!    chain) against the record as its author had seen it — the events its `parents` name and
//!    their ancestors. An event that was invalid when it was made is refused; one that was valid
//!    then and only conflicts with a concurrent event stays, and the fold marks it for review.
//!
//! Admission is pure and runs outside any lock: the server reads the stored changes, admits,
//! then writes in its ledger transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{ActorId, Change};

use crate::hlc::DeviceId;
use crate::i18n::{Describe, Lang};
use crate::jurisdiction::Jurisdictions;
use crate::program::{self, Program};
use crate::record::{
    Action, CHANGE_CHUNK_TYPES, Event, EventId, Record, RecordError, RecordId, RecordKind,
    actor_for, check_chunks, fold, genesis_actor,
};
use crate::sync::message::RejectReason;
use crate::task::command::{self as task_command, Command, Context, Facts, SUPPLEMENTARY_OF};
use crate::transfer::{self, command::TransferCommand};

/// The user name of the events in a genesis change (see `record::genesis`).
const GENESIS_USER: &str = "genesis";
/// Roles of a community's field staff (wristbands, supplies, boarding, the supply ledger).
const COMMUNITY_ROLES: &[&str] = &["worker", "escort", "leader", "admin"];
/// Roles of a quarantine hotel's desk.
const HOTEL_ROLES: &[&str] = &["hotel", "admin"];

/// Who pushes: the device's credential, and its user's account as the server holds it.
#[derive(Debug, Clone, Copy)]
pub struct Pusher<'a> {
    pub user: &'a str,
    pub device: &'a str,
    pub role: &'a str,
}

/// What the checks are made against: the programs and the jurisdiction tree in force.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub programs: &'a [Program],
    pub jurisdictions: &'a Jurisdictions,
}

/// Why a record's pushed changes were refused. Never personal data: records and events are
/// named by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The server's own copy of the record cannot be loaded: it is quarantined, and nothing is
    /// added to it until an administrator has looked at it.
    Unreadable { detail: String },
    /// Change `index` of the push cannot be applied to the record.
    Unappliable { index: usize, detail: String },
    /// Change `index` was made by another device's actor.
    ForeignActor { index: usize },
    /// A new event was refused.
    Event {
        event: String,
        detail: String,
        detail_zh: String,
    },
}

impl Refusal {
    /// The reason reported to the device.
    pub fn reason(&self) -> RejectReason {
        match self {
            Refusal::Unreadable { detail } => RejectReason::Unreadable {
                detail: detail.clone(),
            },
            Refusal::Unappliable { index, detail } => RejectReason::Invalid {
                detail: format!("change {index} cannot be applied to the record: {detail}"),
            },
            Refusal::ForeignActor { index } => RejectReason::Invalid {
                detail: format!("change {index} was not made by this device"),
            },
            Refusal::Event {
                event,
                detail,
                detail_zh,
            } => RejectReason::EventRefused {
                event: event.clone(),
                detail: detail.clone(),
                detail_zh: detail_zh.clone(),
            },
        }
    }

    fn event(event: &Event, why: impl Describe) -> Self {
        Refusal::Event {
            event: event.id.to_string(),
            detail: why.describe(Lang::En),
            detail_zh: why.describe(Lang::Zh),
        }
    }
}

/// A reason that is only a pair of texts.
struct Why(&'static str, &'static str);

impl Describe for Why {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.1.to_owned(),
            Lang::En => self.0.to_owned(),
        }
    }
}

/// What the ledger holds of a record, ready for admitting pushes: its document (when the ledger
/// has the record) and its events.
#[derive(Clone)]
pub struct Stored {
    record: Option<Record>,
}

impl Stored {
    /// Loads the record from its stored changes, in ledger order (none: a record new to the
    /// ledger). A record that cannot be loaded is [`Refusal::Unreadable`].
    pub fn load(changes: &[Vec<u8>]) -> Result<Self, Refusal> {
        if changes.is_empty() {
            return Ok(Self { record: None });
        }
        Record::load(&changes.concat())
            .map(|record| Self {
                record: Some(record),
            })
            .map_err(|e| Refusal::Unreadable {
                detail: e.to_string(),
            })
    }
}

/// Admits the changes a device pushes for record `id` (see the module docs). `Ok` says every
/// change that can apply now may be stored; changes waiting for dependencies are left to the
/// ledger's dependency check.
pub fn admit(
    id: &RecordId,
    stored: Stored,
    pushed: &[Vec<u8>],
    pusher: Pusher<'_>,
    rules: Rules<'_>,
) -> Result<(), Refusal> {
    let changes = pushed
        .iter()
        .enumerate()
        .map(|(index, bytes)| {
            let unappliable = |detail: String| Refusal::Unappliable { index, detail };
            check_chunks(bytes, &CHANGE_CHUNK_TYPES).map_err(|e| unappliable(e.to_string()))?;
            Change::from_bytes(bytes.clone()).map_err(|e| unappliable(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let device = DeviceId::new(pusher.device).map_err(|_| Refusal::ForeignActor { index: 0 })?;
    let own_actor = actor_for(&device);
    let genesis = genesis_actor(id.as_str());
    // The events as stored, to tell new ones from rewritten ones; the stored copy itself
    // becomes the scratch document the pushed changes are applied to.
    let old_events = events_by_id(&stored.record);
    let new_record = stored.record.is_none();
    let mut record = stored.record;
    let before = record.as_mut().map(max_seqs).unwrap_or_default();
    let mut next_seq: HashMap<&ActorId, u64> = HashMap::new();
    let mut taken: HashSet<automerge::ChangeHash> = HashSet::new();
    for (index, change) in changes.iter().enumerate() {
        // What the ledger has already is a duplicate, whoever made it (a device that was told
        // a record's base was missing sends the record's whole history again).
        if let Some(record) = record.as_mut()
            && record.contains(&[change.hash()])
        {
            continue;
        }
        // From the first change whose dependencies are missing on, the ledger's dependency
        // check rejects the rest and the device sends the whole history: nothing to admit.
        let deps_known = change
            .deps()
            .iter()
            .all(|dep| taken.contains(dep) || record.as_mut().is_some_and(|r| r.contains(&[*dep])));
        if !deps_known {
            break;
        }
        let actor = change.actor_id();
        let genesis_change = *actor == genesis && change.seq() == 1 && change.deps().is_empty();
        if *actor != own_actor && !genesis_change {
            return Err(Refusal::ForeignActor { index });
        }
        // Automerge requires each actor's changes to be numbered 1, 2, 3…: a gap or a number
        // used twice makes the document unloadable on every replica.
        let expected = next_seq
            .entry(actor)
            .or_insert_with(|| before.get(actor).copied().unwrap_or(0) + 1);
        if change.seq() != *expected {
            return Err(Refusal::Unappliable {
                index,
                detail: format!(
                    "the change is number {} of its device, the record expects number {expected}",
                    change.seq()
                ),
            });
        }
        *expected += 1;
        taken.insert(change.hash());
    }
    let unappliable = |index: usize, error: RecordError| Refusal::Unappliable {
        index,
        detail: error.to_string(),
    };
    match record.as_mut() {
        Some(record) => {
            record
                .apply_changes(pushed)
                .map_err(|e| unappliable(0, e))?;
        }
        None => {
            // A record new to the ledger starts with its creation; anything else waits for the
            // ledger's dependency check (the device then sends the whole history).
            let Some(first) = pushed.first() else {
                return Ok(());
            };
            if changes.first().is_some_and(|c| !c.deps().is_empty()) {
                return Ok(());
            }
            let mut created = Record::load(first).map_err(|e| unappliable(0, e))?;
            if created.id() != id {
                return Err(Refusal::Unappliable {
                    index: 0,
                    detail: "the first change creates another record".to_owned(),
                });
            }
            created
                .apply_changes(&pushed[1..])
                .map_err(|e| unappliable(1, e))?;
            record = Some(created);
        }
    }
    let Some(record) = record else {
        return Ok(());
    };
    let (events, unreadable) = record.events();
    if let Some((key, _)) = unreadable.first() {
        return Err(Refusal::Event {
            event: key.clone(),
            detail: "the event cannot be read".to_owned(),
            detail_zh: "该操作记录无法读取".to_owned(),
        });
    }
    let by_id: HashMap<&EventId, &Event> = events.iter().map(|e| (&e.id, e)).collect();
    for (id, old) in &old_events {
        match by_id.get(id) {
            Some(now) if *now == old => {}
            _ => {
                return Err(Refusal::Event {
                    event: id.to_string(),
                    detail: "a recorded event may not be changed or removed".to_owned(),
                    detail_zh: "已有的操作记录不能修改或删除".to_owned(),
                });
            }
        }
    }
    let mut fresh: Vec<&Event> = events
        .iter()
        .filter(|e| !old_events.contains_key(&e.id))
        .collect();
    fresh.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    let judge = Judge {
        record: &record,
        by_id: &by_id,
        new_record,
        pusher,
        rules,
    };
    for event in fresh {
        judge.event(event)?;
    }
    Ok(())
}

/// Each actor's highest sequence number in the record.
fn max_seqs(record: &mut Record) -> HashMap<ActorId, u64> {
    let mut seqs: HashMap<ActorId, u64> = HashMap::new();
    for (actor, seq) in record.actor_seqs() {
        let entry = seqs.entry(actor).or_default();
        *entry = (*entry).max(seq);
    }
    seqs
}

fn events_by_id(record: &Option<Record>) -> BTreeMap<EventId, Event> {
    record
        .as_ref()
        .map(|r| {
            r.events()
                .0
                .into_iter()
                .map(|e| (e.id.clone(), e))
                .collect()
        })
        .unwrap_or_default()
}

/// Judges the new events of one record.
struct Judge<'a> {
    record: &'a Record,
    by_id: &'a HashMap<&'a EventId, &'a Event>,
    /// The ledger did not hold the record before this push.
    new_record: bool,
    pusher: Pusher<'a>,
    rules: Rules<'a>,
}

impl Judge<'_> {
    fn event(&self, event: &Event) -> Result<(), Refusal> {
        if event.user.as_str() == GENESIS_USER {
            return self.genesis(event);
        }
        if event.user.as_str() != self.pusher.user || event.device().as_str() != self.pusher.device
        {
            return Err(Refusal::event(
                event,
                Why(
                    "the event names another user or device than the one that sent it",
                    "操作记录的用户或设备与上传设备不符",
                ),
            ));
        }
        let seen = self.causal_past(event);
        let kind = self.record.kind();
        let role = self.pusher.role;
        let refuse = |why: Why| Err(Refusal::event(event, why));
        match (&event.action, kind) {
            (Action::Dispatched { .. }, RecordKind::Person | RecordKind::Transfer) => {
                // A device creates persons only as supplementary persons (补充人员) and
                // transfers only with their notice; either way the dispatch opens the record.
                if !self.new_record || !event.parents.is_empty() {
                    return refuse(Why(
                        "only the server dispatches a record that already exists",
                        "已有记录只能由服务器派发",
                    ));
                }
                if kind == RecordKind::Person {
                    let program = self.program(event)?;
                    let supplementary = self.record.field(SUPPLEMENTARY_OF).is_some();
                    if !supplementary || !program.allows(program::Action::AddSupplementary) {
                        return refuse(Why(
                            "a device may only add supplementary persons",
                            "设备只能新增补充人员",
                        ));
                    }
                }
                Ok(())
            }
            (Action::Dispatched { .. }, _) | (Action::AlertResolved { .. }, _) => refuse(Why(
                "only the server may record this",
                "该操作只能由服务器记录",
            )),
            (_, RecordKind::Alert) if !matches!(event.action, Action::ReviewResolved { .. }) => {
                refuse(Why(
                    "alerts are raised and resolved by the server",
                    "告警由服务器生成和解除",
                ))
            }
            (
                Action::Claimed
                | Action::Answered { .. }
                | Action::Reassigned { .. }
                | Action::Forwarded { .. }
                | Action::CdcJudged { .. }
                | Action::Transitioned { .. },
                RecordKind::Person,
            ) => self.person_command(event, &seen),
            (
                Action::TagBound { .. }
                | Action::TagUnbound { .. }
                | Action::SuppliesIssued { .. }
                | Action::Boarded { .. },
                RecordKind::Person,
            )
            | (
                Action::StockReceived { .. }
                | Action::StockIssued { .. }
                | Action::StockAdjusted { .. },
                RecordKind::SupplyLedger,
            )
            | (Action::TransferNotified { .. }, RecordKind::Transfer) => {
                role_in(event, role, COMMUNITY_ROLES)
            }
            (Action::ArrivedAtHotel { .. }, RecordKind::Person) => {
                role_in(event, role, HOTEL_ROLES)
            }
            (
                Action::VehicleAssigned { .. }
                | Action::TransferCancelled { .. }
                | Action::BoardingScanned { .. }
                | Action::PickupCompleted { .. }
                | Action::HotelArrivalScanned { .. }
                | Action::HotelReceived { .. },
                RecordKind::Transfer,
            ) => self.transfer_command(event, &seen),
            (Action::ReviewResolved { .. }, _) => Ok(()),
            _ => refuse(Why(
                "this kind of record does not take this action",
                "该类记录不能进行此操作",
            )),
        }
    }

    /// The events of a genesis change: one dispatch at time 0 that opens the record.
    fn genesis(&self, event: &Event) -> Result<(), Refusal> {
        let opens = matches!(event.action, Action::Dispatched { .. })
            && event.parents.is_empty()
            && event.at.wall_ms == 0
            && event.device().as_str() == GENESIS_USER
            && self.record.kind() == RecordKind::SupplyLedger;
        if opens {
            Ok(())
        } else {
            Err(Refusal::event(
                event,
                Why(
                    "the event claims to be a record's genesis but is not one",
                    "该操作记录冒充记录的初始记录",
                ),
            ))
        }
    }

    /// The events the author had seen: the event's parents and their ancestors.
    fn causal_past(&self, event: &Event) -> Vec<Event> {
        let mut seen: HashSet<&EventId> = HashSet::new();
        let mut stack: Vec<&EventId> = event.parents.iter().collect();
        let mut past = Vec::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            if let Some(parent) = self.by_id.get(id) {
                past.push((*parent).clone());
                stack.extend(parent.parents.iter());
            }
        }
        past
    }

    fn program(&self, event: &Event) -> Result<&Program, Refusal> {
        self.rules
            .programs
            .iter()
            .find(|p| p.id() == self.record.program())
            .ok_or_else(|| {
                Refusal::event(
                    event,
                    Why(
                        "the record's program is not in force on this server",
                        "该记录所属的工作流程不在本服务器上",
                    ),
                )
            })
    }

    /// A worker's command on a person, checked as the author's device checked it.
    fn person_command(&self, event: &Event, seen: &[Event]) -> Result<(), Refusal> {
        let program = self.program(event)?;
        let Some(command) = Command::of_action(&event.action) else {
            return Ok(());
        };
        let context = Context {
            program,
            jurisdictions: self.rules.jurisdictions,
            role: self.pusher.role,
        };
        let state = fold(seen);
        let facts = Facts {
            supplementary: self.record.field(SUPPLEMENTARY_OF).is_some(),
            fields: self
                .record
                .fields()
                .into_iter()
                .map(|(key, value)| (key, value.value))
                .collect(),
        };
        match task_command::check(&context, &state, &facts, &command) {
            Ok(action) if action == event.action => Ok(()),
            Ok(_) => Err(Refusal::event(
                event,
                Why(
                    "the event is not what the program makes of this command",
                    "操作内容与工作流程的规定不符",
                ),
            )),
            Err(error) => Err(Refusal::event(event, error)),
        }
    }

    /// A step of the transfer chain, checked as the author's device checked it.
    fn transfer_command(&self, event: &Event, seen: &[Event]) -> Result<(), Refusal> {
        let command = match &event.action {
            Action::VehicleAssigned {
                plate,
                driver_phone,
                vehicle,
            } => TransferCommand::AssignVehicle {
                plate: plate.clone(),
                driver_phone: driver_phone.clone(),
                vehicle: *vehicle,
            },
            Action::TransferCancelled { reason } => TransferCommand::Cancel {
                reason: reason.clone(),
            },
            Action::BoardingScanned { person, tag } => TransferCommand::Board {
                person: person.clone(),
                tag: tag.clone(),
            },
            Action::PickupCompleted { .. } => TransferCommand::CompletePickup,
            Action::HotelArrivalScanned { person, tag } => TransferCommand::HotelArrival {
                person: person.clone(),
                tag: tag.clone(),
            },
            Action::HotelReceived { .. } => TransferCommand::HotelReceive,
            _ => return Ok(()),
        };
        let state = transfer::fold(seen);
        match transfer::command::check(self.pusher.role, &state, &command) {
            // Counts (boarded, arrived) are the author's view of the roll, which the check
            // recomputes from the same events; other fields must match exactly.
            Ok(action) if action == event.action => Ok(()),
            Ok(_) => Err(Refusal::event(
                event,
                Why(
                    "the event is not what this step of the transfer makes",
                    "操作内容与转运流程的规定不符",
                ),
            )),
            Err(error) => Err(Refusal::event(event, error)),
        }
    }
}

fn role_in(event: &Event, role: &str, allowed: &[&str]) -> Result<(), Refusal> {
    if allowed.contains(&role) {
        Ok(())
    } else {
        Err(Refusal::event(
            event,
            Why("your role may not do this", "您的角色不能进行该操作"),
        ))
    }
}

#[cfg(test)]
mod tests;
