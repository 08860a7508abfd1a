//! Deadline rules and escalation ladders (时限与告警升级), and the pure functions that say when
//! each step falls due. No clock and no I/O: time comes in as [`Timestamp`], so the server
//! escalates and a device reminds its user offline from the same code and the same answers.
//!
//! Three shapes, all read in Beijing time ([`shanghai`]):
//! - relative: steps `after` a duration from the anchor event ("10 min after dispatch");
//! - wall-clock: steps `at` a time of day, `days_after` the anchor's date ("17:00 the same day",
//!   "12:00 the next day"); an anchor that is already past the first step's time is handled by
//!   [`LateAnchor`];
//! - recurring: occurrences `every_days` at a time of day ("every day at 09:00"); steps count
//!   `after` each occurrence.

use jiff::civil::{Date, Time};
use jiff::{SignedDuration, Span, Timestamp};
use serde::{Deserialize, Serialize, Serializer};
use thiserror::Error;

use super::time::{format_duration, format_time_of_day, shanghai};
use super::{Action, JurisdictionLevel};
use crate::i18n::{Describe, Label, Lang};

/// The event a deadline counts from (起算事件).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The list was imported.
    Imported,
    /// The task reached its unit.
    Dispatched,
    /// The unit claimed the task.
    Claimed,
    /// The record was answered.
    Answered,
}

impl Anchor {
    /// The name used in TOML.
    pub fn code(self) -> &'static str {
        match self {
            Self::Imported => "imported",
            Self::Dispatched => "dispatched",
            Self::Claimed => "claimed",
            Self::Answered => "answered",
        }
    }

    /// The action that produces the event, which the program must therefore allow.
    pub fn required_action(self) -> Option<Action> {
        match self {
            Self::Imported | Self::Dispatched => None,
            Self::Claimed => Some(Action::Claim),
            Self::Answered => Some(Action::Answer),
        }
    }
}

impl Describe for Anchor {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Imported => ("导入", "imported"),
            Self::Dispatched => ("派发", "dispatched"),
            Self::Claimed => ("认领", "claimed"),
            Self::Answered => ("反馈", "answered"),
        };
        pick(lang, zh, en)
    }
}

/// What stops a deadline (满足条件). The core conditions are written as a word (`"claimed"`);
/// a condition on the program's own statuses as a table (`{ status_in = ["released"] }`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The task was claimed.
    Claimed,
    /// Every person of the task has an answer.
    AllAnswered,
    /// CDC judged the supplementary person.
    CdcJudged,
    /// Supplies were issued to everyone.
    SuppliesIssued,
    /// Everyone boarded.
    Boarded,
    /// Every person of the task is in one of these statuses (the program's declared ones or
    /// the core ones), e.g. 已隔离 or 已解除 for "handled".
    StatusIn(Vec<String>),
}

impl Condition {
    /// The name used in TOML.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Claimed => "claimed",
            Self::AllAnswered => "all_answered",
            Self::CdcJudged => "cdc_judged",
            Self::SuppliesIssued => "supplies_issued",
            Self::Boarded => "boarded",
            Self::StatusIn(_) => "status_in",
        }
    }

    /// The core action that satisfies the condition, which the program must therefore allow;
    /// `None` for a condition on statuses (the program must declare them instead).
    pub fn required_action(&self) -> Option<Action> {
        match self {
            Self::Claimed => Some(Action::Claim),
            Self::AllAnswered => Some(Action::Answer),
            Self::CdcJudged => Some(Action::CdcJudge),
            Self::SuppliesIssued => Some(Action::IssueSupplies),
            Self::Boarded => Some(Action::Board),
            Self::StatusIn(_) => None,
        }
    }
}

impl Describe for Condition {
    fn describe(&self, lang: Lang) -> String {
        let (zh, en) = match self {
            Self::Claimed => ("已认领", "claimed"),
            Self::AllAnswered => ("全部已反馈", "all answered"),
            Self::CdcJudged => ("疾控已判定", "judged by CDC"),
            Self::SuppliesIssued => ("已发放物资", "supplies issued"),
            Self::Boarded => ("全部已上车", "all boarded"),
            Self::StatusIn(codes) => {
                let codes = codes.join(", ");
                return match lang {
                    Lang::Zh => format!("全部处于状态 {codes}"),
                    Lang::En => format!("all in status {codes}"),
                };
            }
        };
        pick(lang, zh, en)
    }
}

/// What a wall-clock rule does when its anchor is already at or past the first step's time on
/// the anchor's day (晚到处理), e.g. a list imported at 18:00 under "done by 17:00 the same day".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateAnchor {
    /// The whole ladder moves one day later (the 18:00 list is due 17:00 tomorrow). The default,
    /// because a deadline that is already missed when it starts helps nobody.
    #[default]
    NextDay,
    /// Steps already past fall due at the anchor itself, i.e. at once.
    Immediately,
}

/// Who a ladder step notifies (通知对象), relative to the unit the task is dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// The leader of the task's unit or of an ancestor at this level (`town_leader`,
    /// `district_leader`, …).
    Leader(JurisdictionLevel),
    /// The workers of the task's unit themselves (`unit_staff`), for reminders.
    UnitStaff,
    /// A group the program declares, e.g. `task_force_group` (流调溯源专班).
    Group(String),
}

impl Recipient {
    /// The name used in TOML.
    pub fn code(&self) -> String {
        match self {
            Self::Leader(level) => format!("{}_leader", level.code()),
            Self::UnitStaff => "unit_staff".into(),
            Self::Group(id) => id.clone(),
        }
    }

    /// The role a name stands for, if it is a role name rather than a group.
    pub fn role(name: &str) -> Option<Recipient> {
        if name == "unit_staff" {
            return Some(Self::UnitStaff);
        }
        let level = name.strip_suffix("_leader")?;
        JurisdictionLevel::ALL
            .into_iter()
            .find(|candidate| candidate.code() == level)
            .map(Self::Leader)
    }

    /// Describes the recipient; a group is described by its id, see
    /// `Program::recipient_label` for its label.
    pub fn describe_role(&self, lang: Lang) -> String {
        match self {
            Self::Leader(level) => match lang {
                Lang::Zh => format!("{}领导", level.describe(lang)),
                Lang::En => format!("{} leader", level.describe(lang)),
            },
            Self::UnitStaff => pick(lang, "本单位工作人员", "unit staff"),
            Self::Group(id) => id.clone(),
        }
    }
}

impl Serialize for Recipient {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code())
    }
}

/// When a ladder step falls due (告警时间点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepTime {
    /// A duration after the anchor (or after each occurrence of a recurring rule).
    After(SignedDuration),
    /// A time of day in Beijing time, `days_after` the anchor's date.
    At { days_after: u32, time: Time },
}

impl StepTime {
    /// As a program file writes it, for messages: "10m", "17:00", "12:00 (+1d)".
    pub fn text(&self) -> String {
        match self {
            Self::After(duration) => format_duration(*duration),
            Self::At {
                days_after: 0,
                time,
            } => format_time_of_day(*time),
            Self::At { days_after, time } => {
                format!("{} (+{days_after}d)", format_time_of_day(*time))
            }
        }
    }
}

/// One step of an escalation ladder (告警升级步骤).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LadderStep {
    pub when: StepTime,
    pub notify: Vec<Recipient>,
}

/// How a recurring rule repeats (周期): every `every_days` days at `at`, counting days from the
/// anchor's date so that "every 2 days" has a fixed phase per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Recurrence {
    every_days: u32,
    at: Time,
}

impl Recurrence {
    /// A recurrence; `every_days` of 0 is read as 1.
    pub fn new(every_days: u32, at: Time) -> Recurrence {
        Recurrence {
            every_days: every_days.max(1),
            at,
        }
    }

    /// How many days between occurrences.
    pub fn every_days(&self) -> u32 {
        self.every_days
    }

    /// The time of day of each occurrence.
    pub fn at(&self) -> Time {
        self.at
    }

    /// The first occurrence strictly after both `after` and `anchor`. Occurrences fall on the
    /// anchor's date plus multiples of `every_days`, at `at`.
    pub fn next_after(
        &self,
        anchor: Timestamp,
        after: Timestamp,
    ) -> Result<Timestamp, DeadlineError> {
        let zone = shanghai();
        let every = i32::try_from(self.every_days.max(1)).map_err(|_| DeadlineError::OutOfRange)?;
        let from = anchor.max(after);
        let anchor_date = anchor.to_zoned(zone.clone()).date();
        let from_date = from.to_zoned(zone).date();
        let elapsed = anchor_date
            .until(from_date)
            .map_err(|_| DeadlineError::OutOfRange)?
            .get_days();
        let cycles = elapsed.div_euclid(every) + i32::from(elapsed.rem_euclid(every) != 0);
        let offset = cycles.checked_mul(every).ok_or(DeadlineError::OutOfRange)?;
        let date = add_days(anchor_date, i64::from(offset))?;
        let candidate = wall_clock(date, self.at)?;
        if candidate > from {
            Ok(candidate)
        } else {
            wall_clock(add_days(date, i64::from(every))?, self.at)
        }
    }
}

/// A deadline rule (时限规则): from which event it counts, what satisfies it, and its ladder.
/// Built only by the program parser, which guarantees a non-empty ladder whose steps are all of
/// one shape and strictly later one after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineRule {
    pub(super) id: String,
    pub(super) label: Label,
    pub(super) anchor: Anchor,
    pub(super) until: Option<Condition>,
    pub(super) late_anchor: LateAnchor,
    pub(super) recurrence: Option<Recurrence>,
    pub(super) steps: Vec<LadderStep>,
}

/// Where one ladder step stands (步骤状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Not due yet and not satisfied.
    Pending,
    /// Satisfied at or before the step's due time (or before `now` reached it): no alert.
    Met,
    /// Due and not satisfied: the alert must be raised.
    Overdue,
    /// Satisfied, but after the step fell due: the alert, if raised, is resolved late.
    MetLate,
}

/// One ladder step with its due time and state (步骤检查结果), as [`DeadlineRule::check`]
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepCheck<'a> {
    /// 0-based position in the ladder.
    pub index: usize,
    pub step: &'a LadderStep,
    pub due: Timestamp,
    pub state: StepState,
}

/// A due time that cannot be represented (截止时间超出范围), e.g. an anchor near the end of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DeadlineError {
    #[error("the deadline falls outside the supported time range")]
    OutOfRange,
}

impl Describe for DeadlineError {
    fn describe(&self, lang: Lang) -> String {
        pick(lang, "截止时间超出可表示的范围", &self.to_string())
    }
}

impl DeadlineRule {
    /// The rule's id, unique in its program.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The name people read, e.g. 认领时限.
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// The event the rule counts from.
    pub fn anchor(&self) -> Anchor {
        self.anchor
    }

    /// What satisfies the rule; `None` for a plain reminder that always fires.
    pub fn until(&self) -> Option<&Condition> {
        self.until.as_ref()
    }

    /// What happens when the anchor is past the first wall-clock step's time.
    pub fn late_anchor(&self) -> LateAnchor {
        self.late_anchor
    }

    /// The recurrence, for recurring rules.
    pub fn recurrence(&self) -> Option<&Recurrence> {
        self.recurrence.as_ref()
    }

    /// The ladder, earliest step first.
    pub fn steps(&self) -> &[LadderStep] {
        &self.steps
    }

    /// The due instant of each ladder step for an anchor instant. For a recurring rule, pass
    /// the occurrence (from [`Recurrence::next_after`]) as the anchor.
    pub fn due_times(&self, anchor: Timestamp) -> Result<Vec<Timestamp>, DeadlineError> {
        let anchor_date = anchor.to_zoned(shanghai()).date();
        let first_at = self.steps.iter().find_map(|step| match step.when {
            StepTime::At { days_after, time } => Some((days_after, time)),
            StepTime::After(_) => None,
        });
        let base = match (self.late_anchor, first_at) {
            (LateAnchor::NextDay, Some((days_after, time)))
                if wall_clock(add_days(anchor_date, i64::from(days_after))?, time)? <= anchor =>
            {
                add_days(anchor_date, 1)?
            }
            _ => anchor_date,
        };
        self.steps
            .iter()
            .map(|step| match step.when {
                StepTime::After(duration) => anchor
                    .checked_add(duration)
                    .map_err(|_| DeadlineError::OutOfRange),
                StepTime::At { days_after, time } => {
                    let due = wall_clock(add_days(base, i64::from(days_after))?, time)?;
                    Ok(match self.late_anchor {
                        LateAnchor::Immediately => due.max(anchor),
                        LateAnchor::NextDay => due,
                    })
                }
            })
            .collect()
    }

    /// Every step with its due time and state, given when the anchor happened, when the
    /// condition was satisfied (if it was) and the current time.
    pub fn check(
        &self,
        anchor: Timestamp,
        satisfied_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Vec<StepCheck<'_>>, DeadlineError> {
        let dues = self.due_times(anchor)?;
        Ok(self
            .steps
            .iter()
            .zip(dues)
            .enumerate()
            .map(|(index, (step, due))| {
                let state = match satisfied_at {
                    Some(done) if done <= due => StepState::Met,
                    Some(_) if due <= now => StepState::MetLate,
                    Some(_) => StepState::Met,
                    None if due <= now => StepState::Overdue,
                    None => StepState::Pending,
                };
                StepCheck {
                    index,
                    step,
                    due,
                    state,
                }
            })
            .collect())
    }

    /// The steps that are due and not satisfied: the alerts that must stand at `now`.
    pub fn due_steps(
        &self,
        anchor: Timestamp,
        satisfied_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Vec<StepCheck<'_>>, DeadlineError> {
        let mut checks = self.check(anchor, satisfied_at, now)?;
        checks.retain(|check| check.state == StepState::Overdue);
        Ok(checks)
    }

    /// When to look again: the due time of the first step still pending, if any.
    pub fn next_check(
        &self,
        anchor: Timestamp,
        satisfied_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, DeadlineError> {
        Ok(self
            .check(anchor, satisfied_at, now)?
            .into_iter()
            .find(|check| check.state == StepState::Pending)
            .map(|check| check.due))
    }
}

fn add_days(date: Date, days: i64) -> Result<Date, DeadlineError> {
    let span = Span::new()
        .try_days(days)
        .map_err(|_| DeadlineError::OutOfRange)?;
    date.checked_add(span)
        .map_err(|_| DeadlineError::OutOfRange)
}

fn wall_clock(date: Date, time: Time) -> Result<Timestamp, DeadlineError> {
    date.to_datetime(time)
        .to_zoned(shanghai())
        .map(|zoned| zoned.timestamp())
        .map_err(|_| DeadlineError::OutOfRange)
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::Zh => zh.into(),
        Lang::En => en.into(),
    }
}
