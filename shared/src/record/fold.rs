//! The fold: a record's workflow state computed from its events alone.
//!
//! *Architecture invariant:* the state is a pure function of the set of events. Events are sorted
//! by their clock time (ties by id) and duplicates collapse, so every replica holding the same
//! events shows the same state and the same review marks, whatever order the events arrived in.
//!
//! Conflicts are decided with causality, not with clock time alone: an event's `parents` name
//! what its author had seen. An action that had seen the event it overrides is deliberate (a
//! take-over, a correction); one that had not is concurrent. Concurrent incompatible actions keep
//! the earlier one in clock order and raise a [`ReviewMark`] that names the other — never a silent
//! loss.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::event::{Action, ActionKind, Event, EventId, TaskStatus, UserId};
use super::review::{ReviewMark, ReviewReason};
use crate::hlc::Hlc;
use crate::program::core_status;

/// Who did something and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub by: UserId,
    pub at: Hlc,
    pub event: EventId,
}

/// The answer that currently stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingAnswer {
    pub outcome: Vec<String>,
    pub note: Option<String>,
    pub stamp: Stamp,
}

/// The declared transition that set the record's status (`program::Transition`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandingTransition {
    pub action: String,
    pub from: String,
    pub to: String,
    pub outcome: Vec<String>,
    pub inputs: BTreeMap<String, String>,
    pub note: Option<String>,
    pub stamp: Stamp,
}

/// A wristband binding, current or past.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagBinding {
    pub tag: String,
    pub bound: Stamp,
    /// Set when the wristband was unbound or replaced.
    pub ended: Option<Stamp>,
}

/// Supplies handed to the person (发放记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplyIssue {
    pub item: String,
    pub quantity: u32,
    pub stamp: Stamp,
}

/// How an alert was resolved (告警解除).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertResolution {
    /// When the work was done on the device that did it.
    pub completed_ms: i64,
    /// When the server received it.
    pub synced_ms: i64,
    pub stamp: Stamp,
}

/// The state of a record as every replica computes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordState {
    /// The unit (jurisdiction code) that holds the task now; `None` only before dispatch.
    pub unit: Option<String>,
    pub batch: Option<String>,
    /// Units the record was moved away from, oldest first.
    pub former_units: Vec<String>,
    pub status: TaskStatus,
    /// The workflow status (状态) as a program's code: a core status the core events reach
    /// (`pending` on dispatch and after every move, `claimed`, `answered`) or the `to` of the
    /// declared transition that stands. Programs label it.
    #[serde(default = "pending_code")]
    pub status_code: String,
    /// The declared transition that set `status_code`, if one did (a later move, answer or
    /// transition replaces it).
    #[serde(default)]
    pub transition: Option<StandingTransition>,
    /// The event that set `status_code` (dispatch, move, claim, answer, a transition).
    #[serde(default)]
    pub status_since: Option<Stamp>,
    /// Every declared step that stood when it was taken (action and stamp), oldest first: what
    /// immediate notices are sent for, once each.
    #[serde(default)]
    pub steps_taken: Vec<(String, Stamp)>,
    /// When the current unit received the task: deadlines count from here (fresh clocks after a
    /// reassignment).
    pub assigned: Option<Stamp>,
    pub claim: Option<Stamp>,
    pub answer: Option<StandingAnswer>,
    pub tag: Option<TagBinding>,
    pub tag_history: Vec<TagBinding>,
    pub supplies: Vec<SupplyIssue>,
    pub boarded: Vec<(String, Stamp)>,
    pub cdc_judgement: Option<(bool, Stamp)>,
    /// Alert records only: set once the alert is resolved (its status is then `Answered`).
    pub alert_resolution: Option<AlertResolution>,
    pub reviews: Vec<ReviewMark>,
    pub last_event_at: Option<Hlc>,
}

fn pending_code() -> String {
    core_status::PENDING.to_owned()
}

impl RecordState {
    fn empty() -> Self {
        Self {
            unit: None,
            batch: None,
            former_units: Vec::new(),
            status: TaskStatus::Unclaimed,
            status_code: pending_code(),
            transition: None,
            status_since: None,
            steps_taken: Vec::new(),
            assigned: None,
            claim: None,
            answer: None,
            tag: None,
            tag_history: Vec::new(),
            supplies: Vec::new(),
            boarded: Vec::new(),
            cdc_judgement: None,
            alert_resolution: None,
            reviews: Vec::new(),
            last_event_at: None,
        }
    }

    pub fn needs_review(&self) -> bool {
        !self.reviews.is_empty()
    }
}

/// Causal knowledge between the events of one record (also used by the transfer and supply
/// folds).
pub(crate) struct Causality<'a> {
    parents: HashMap<&'a EventId, &'a [EventId]>,
    ancestors: HashMap<&'a EventId, HashSet<&'a EventId>>,
}

impl<'a> Causality<'a> {
    pub(crate) fn new(events: &[&'a Event]) -> Self {
        let parents = events
            .iter()
            .map(|e| (&e.id, e.parents.as_slice()))
            .collect();
        Self {
            parents,
            ancestors: HashMap::new(),
        }
    }

    /// Whether the author of `later` had seen `earlier`. Iterative, with a visited set, so that
    /// forged parent cycles from a faulty peer cannot hang the fold.
    pub(crate) fn knows(&mut self, later: &'a EventId, earlier: &EventId) -> bool {
        if later == earlier {
            return true;
        }
        if !self.ancestors.contains_key(later) {
            let mut seen: HashSet<&'a EventId> = HashSet::new();
            let mut stack: Vec<&'a EventId> = self
                .parents
                .get(later)
                .map(|p| p.iter().collect())
                .unwrap_or_default();
            while let Some(id) = stack.pop() {
                if seen.insert(id)
                    && let Some(ps) = self.parents.get(id)
                {
                    stack.extend(ps.iter());
                }
            }
            self.ancestors.insert(later, seen);
        }
        self.ancestors
            .get(later)
            .is_some_and(|set| set.contains(earlier))
    }
}

pub(crate) fn stamp(event: &Event) -> Stamp {
    Stamp {
        by: event.user.clone(),
        at: event.at.clone(),
        event: event.id.clone(),
    }
}

/// The events in clock order (ties by id), each once.
pub(crate) fn in_clock_order(events: &[Event]) -> Vec<&Event> {
    let mut unique: BTreeMap<(&Hlc, &EventId), &Event> = BTreeMap::new();
    for event in events {
        unique.entry((&event.at, &event.id)).or_insert(event);
    }
    unique.into_values().collect()
}

/// Whether a resolution that named `mark` settles it: its author had seen every event involved.
pub(crate) fn settles<'a>(
    causality: &mut Causality<'a>,
    resolutions: &[(&'a EventId, &'a [String])],
    mark: &ReviewMark,
) -> bool {
    resolutions.iter().any(|(resolver, ids)| {
        ids.contains(&mark.id) && mark.events.iter().all(|e| causality.knows(resolver, e))
    })
}

/// Folds the events of one record into its state. Order and duplicates of `events` do not matter.
pub fn fold(events: &[Event]) -> RecordState {
    let ordered = in_clock_order(events);
    let mut folder = Folder {
        causality: Causality::new(&ordered),
        state: RecordState::empty(),
        resolutions: Vec::new(),
    };
    for event in &ordered {
        folder.apply(event);
    }
    folder.finish()
}

struct Folder<'a> {
    causality: Causality<'a>,
    state: RecordState,
    resolutions: Vec<(&'a EventId, &'a [String])>,
}

impl<'a> Folder<'a> {
    fn flag(&mut self, kind: &str, reason: ReviewReason, events: Vec<EventId>) {
        self.state
            .reviews
            .push(ReviewMark::between(kind, reason, events));
    }

    /// Claims and answers only count for the unit their author was working in: one made
    /// without seeing the latest reassignment belongs to a unit the record has left.
    fn made_for_current_unit(&mut self, event: &'a Event) -> bool {
        let Some(assigned) = self.state.assigned.clone() else {
            return true;
        };
        if self.causality.knows(&event.id, &assigned.event) {
            return true;
        }
        let former_unit = self.state.former_units.last().cloned().unwrap_or_default();
        let current_unit = self.state.unit.clone().unwrap_or_default();
        self.flag(
            "stale",
            ReviewReason::ActionOnFormerUnit {
                action: event.action.kind(),
                by: event.user.clone(),
                former_unit,
                current_unit,
            },
            vec![assigned.event, event.id.clone()],
        );
        false
    }

    fn apply(&mut self, event: &'a Event) {
        self.state.last_event_at = Some(event.at.clone());
        match &event.action {
            Action::Dispatched { unit, batch } => {
                if self.state.batch.is_none() {
                    self.state.batch.clone_from(batch);
                }
                self.move_to(event, unit);
            }
            Action::Reassigned { to_unit, .. } | Action::Forwarded { to_unit, .. } => {
                self.move_to(event, to_unit);
            }
            Action::Claimed => self.claim(event),
            Action::Answered { outcome, note } => self.answer(event, outcome, note),
            Action::TagBound { tag } => self.bind_tag(event, tag),
            Action::TagUnbound { tag, .. } => {
                if self.state.tag.as_ref().is_some_and(|b| &b.tag == tag)
                    && let Some(mut binding) = self.state.tag.take()
                {
                    binding.ended = Some(stamp(event));
                    self.state.tag_history.push(binding);
                }
            }
            Action::SuppliesIssued { item, quantity } => self.state.supplies.push(SupplyIssue {
                item: item.clone(),
                quantity: *quantity,
                stamp: stamp(event),
            }),
            Action::Boarded { transfer } => {
                if !self.state.boarded.iter().any(|(t, _)| t == transfer) {
                    self.state.boarded.push((transfer.clone(), stamp(event)));
                }
            }
            // Transfer and supply-ledger events: their records fold them in `transfer` and
            // `supply`; a person's hotel arrival is part of its history only.
            Action::ArrivedAtHotel { .. }
            | Action::TransferNotified { .. }
            | Action::VehicleAssigned { .. }
            | Action::TransferCancelled { .. }
            | Action::BoardingScanned { .. }
            | Action::PickupCompleted { .. }
            | Action::HotelArrivalScanned { .. }
            | Action::HotelReceived { .. }
            | Action::StockReceived { .. }
            | Action::StockIssued { .. }
            | Action::StockAdjusted { .. } => {}
            Action::CdcJudged { accepted, .. } => {
                self.state.cdc_judgement = Some((*accepted, stamp(event)));
            }
            Action::Transitioned {
                action,
                from,
                to,
                outcome,
                inputs,
                note,
            } => self.transition(
                event,
                StandingTransition {
                    action: action.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    outcome: outcome.clone(),
                    inputs: inputs.clone(),
                    note: note.clone(),
                    stamp: stamp(event),
                },
            ),
            Action::ReviewResolved { marks, .. } => self.resolutions.push((&event.id, marks)),
            Action::AlertResolved {
                completed_ms,
                synced_ms,
            } => {
                // The first resolution stands: a second engine pass (or instance) resolving
                // again changes nothing.
                if self.state.alert_resolution.is_none() {
                    self.state.alert_resolution = Some(AlertResolution {
                        completed_ms: *completed_ms,
                        synced_ms: *synced_ms,
                        stamp: stamp(event),
                    });
                    self.state.status = TaskStatus::Answered;
                    self.set_status(event, core_status::ANSWERED);
                }
            }
        }
    }

    fn set_status(&mut self, event: &Event, code: &str) {
        code.clone_into(&mut self.state.status_code);
        self.state.transition = None;
        self.state.status_since = Some(stamp(event));
    }

    /// A declared step: it stands if it starts from the status that stands and its author had
    /// seen the event that set it; a step made without seeing a change of status is concurrent
    /// and raises a review mark, unless it is the very same step (two devices confirming the
    /// same thing offline agree).
    fn transition(&mut self, event: &'a Event, step: StandingTransition) {
        if !self.made_for_current_unit(event) {
            return;
        }
        let seen_current = self
            .state
            .status_since
            .as_ref()
            .is_none_or(|set| self.causality.knows(&event.id, &set.event));
        if seen_current && step.from == self.state.status_code {
            if self.state.claim.is_none() {
                // Stepping a record is working on its task.
                self.state.claim = Some(stamp(event));
                self.state.status = TaskStatus::Claimed;
            }
            self.state.status_code.clone_from(&step.to);
            self.state.status_since = Some(step.stamp.clone());
            self.state
                .steps_taken
                .push((step.action.clone(), step.stamp.clone()));
            self.state.transition = Some(step);
            return;
        }
        if let Some(kept) = &self.state.transition
            && kept.action == step.action
            && kept.from == step.from
            && kept.to == step.to
        {
            return;
        }
        let (kept_by, kept_event) = self
            .state
            .status_since
            .clone()
            .map(|set| (set.by, set.event))
            .unwrap_or_else(|| (event.user.clone(), event.id.clone()));
        self.flag(
            "transitions",
            ReviewReason::ConcurrentTransitions {
                kept: self.state.status_code.clone(),
                kept_by,
                also_action: step.action,
                also: step.to,
                also_by: event.user.clone(),
            },
            vec![kept_event, event.id.clone()],
        );
    }

    fn move_to(&mut self, event: &'a Event, to_unit: &str) {
        if let Some(assigned) = self.state.assigned.clone() {
            if !self.causality.knows(&event.id, &assigned.event) {
                let kept_unit = self.state.unit.clone().unwrap_or_default();
                self.flag(
                    "moves",
                    ReviewReason::ConcurrentReassignments {
                        kept_unit,
                        also_unit: to_unit.to_owned(),
                    },
                    vec![assigned.event, event.id.clone()],
                );
                return;
            }
            let from_unit = self.state.unit.clone().unwrap_or_default();
            let unseen: Vec<(ActionKind, Stamp)> = [
                self.state.claim.clone().map(|s| (ActionKind::Claimed, s)),
                self.state
                    .answer
                    .clone()
                    .map(|a| (ActionKind::Answered, a.stamp)),
            ]
            .into_iter()
            .flatten()
            .filter(|(_, s)| !self.causality.knows(&event.id, &s.event))
            .collect();
            for (action, work) in unseen {
                self.flag(
                    "moved-over",
                    ReviewReason::ReassignedOverUnseenWork {
                        action,
                        by: work.by,
                        from_unit: from_unit.clone(),
                        to_unit: to_unit.to_owned(),
                    },
                    vec![work.event, event.id.clone()],
                );
            }
            if let Some(previous) = self.state.unit.take() {
                self.state.former_units.push(previous);
            }
        }
        self.state.unit = Some(to_unit.to_owned());
        self.state.assigned = Some(stamp(event));
        self.state.status = TaskStatus::Unclaimed;
        self.set_status(event, core_status::PENDING);
        self.state.claim = None;
        self.state.answer = None;
    }

    fn claim(&mut self, event: &'a Event) {
        if !self.made_for_current_unit(event) {
            return;
        }
        match self.state.claim.clone() {
            None => {
                self.state.claim = Some(stamp(event));
                self.state.status = TaskStatus::Claimed;
                if self.state.status_code == core_status::PENDING {
                    self.set_status(event, core_status::CLAIMED);
                }
            }
            Some(existing) if self.causality.knows(&event.id, &existing.event) => {
                // A deliberate take-over by someone who saw the claim; an answer stays.
                self.state.claim = Some(stamp(event));
            }
            Some(existing) if existing.by == event.user => {}
            Some(existing) => self.flag(
                "claims",
                ReviewReason::ConcurrentClaims {
                    kept: existing.by.clone(),
                    also: event.user.clone(),
                },
                vec![existing.event, event.id.clone()],
            ),
        }
    }

    fn answer(&mut self, event: &'a Event, outcome: &[String], note: &Option<String>) {
        if !self.made_for_current_unit(event) {
            return;
        }
        if let Some(existing) = self.state.answer.clone()
            && !self.causality.knows(&event.id, &existing.stamp.event)
        {
            let agrees = existing.outcome == outcome && &existing.note == note;
            if !agrees {
                self.flag(
                    "answers",
                    ReviewReason::ConcurrentAnswers {
                        kept: existing.outcome.clone(),
                        kept_by: existing.stamp.by.clone(),
                        also: outcome.to_vec(),
                        also_by: event.user.clone(),
                    },
                    vec![existing.stamp.event, event.id.clone()],
                );
            }
            return;
        }
        if self.state.claim.is_none() {
            // Answering implies taking the task.
            self.state.claim = Some(stamp(event));
        }
        self.state.answer = Some(StandingAnswer {
            outcome: outcome.to_vec(),
            note: note.clone(),
            stamp: stamp(event),
        });
        self.state.status = TaskStatus::Answered;
        self.set_status(event, core_status::ANSWERED);
    }

    fn bind_tag(&mut self, event: &'a Event, tag: &str) {
        match self.state.tag.take() {
            Some(current) if current.tag == tag => self.state.tag = Some(current),
            Some(current) if !self.causality.knows(&event.id, &current.bound.event) => {
                self.flag(
                    "tags",
                    ReviewReason::ConcurrentTagBindings {
                        kept: current.tag.clone(),
                        also: tag.to_owned(),
                    },
                    vec![current.bound.event.clone(), event.id.clone()],
                );
                self.state.tag = Some(current);
            }
            previous => {
                if let Some(mut replaced) = previous {
                    replaced.ended = Some(stamp(event));
                    self.state.tag_history.push(replaced);
                }
                self.state.tag = Some(TagBinding {
                    tag: tag.to_owned(),
                    bound: stamp(event),
                    ended: None,
                });
            }
        }
    }

    fn finish(mut self) -> RecordState {
        let resolutions = std::mem::take(&mut self.resolutions);
        let causality = &mut self.causality;
        self.state
            .reviews
            .retain(|mark| !settles(causality, &resolutions, mark));
        self.state
    }
}
