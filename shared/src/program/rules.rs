//! Reading deadline rules from TOML and checking them: every duration and time parses, each
//! ladder is of one shape and strictly later step by step, recipients exist and sit at or above
//! the unit the task goes to, and the actions the rule depends on are allowed.

use serde::Deserialize;
use toml::Spanned;

use super::deadline::{
    Anchor, Condition, DeadlineRule, LadderStep, LateAnchor, Recipient, Recurrence, StepTime,
};
use super::error::{Need, ProgramError, ProgramErrorKind, Source};
use super::parse::RawLabel;
use super::time::{parse_duration, parse_time_of_day};
use super::{Action, Group, JurisdictionLevel, StatusDef};

/// A deadline rule as written in TOML, before checking.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    id: Spanned<String>,
    label: RawLabel,
    anchor: Spanned<Anchor>,
    #[serde(default)]
    until: Option<Spanned<Condition>>,
    #[serde(default)]
    late_anchor: Option<Spanned<LateAnchor>>,
    #[serde(default)]
    recurring: Option<RawRecurrence>,
    #[serde(default)]
    steps: Option<Spanned<Vec<Spanned<RawStep>>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecurrence {
    at: Spanned<String>,
    #[serde(default)]
    every_days: Option<Spanned<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    #[serde(default)]
    after: Option<Spanned<String>>,
    #[serde(default)]
    at: Option<Spanned<String>>,
    #[serde(default)]
    days_after: Option<Spanned<u32>>,
    notify: Spanned<Vec<Spanned<String>>>,
}

/// What the rules are checked against.
pub(super) struct RuleContext<'a> {
    pub(super) actions: &'a [Action],
    /// The declared statuses, which a `status_in` condition must name.
    pub(super) statuses: &'a [StatusDef],
    pub(super) groups: &'a [Group],
    /// The level tasks are dispatched at; leaders below it do not exist for the task.
    pub(super) unit: JurisdictionLevel,
}

/// Checks and builds all rules of a program.
pub(super) fn build_rules(
    src: &Source<'_>,
    raws: Vec<RawRule>,
    ctx: &RuleContext<'_>,
) -> Result<Vec<DeadlineRule>, ProgramError> {
    let mut rules: Vec<DeadlineRule> = Vec::with_capacity(raws.len());
    for raw in raws {
        src.identifier(&raw.id)?;
        if rules.iter().any(|rule| rule.id == *raw.id.get_ref()) {
            let id = raw.id.get_ref().clone();
            return Err(src.error(raw.id.span(), ProgramErrorKind::DuplicateRule { id }));
        }
        rules.push(build_rule(src, raw, ctx)?);
    }
    Ok(rules)
}

fn require_action(
    src: &Source<'_>,
    ctx: &RuleContext<'_>,
    action: Action,
    needed_by: Need,
    span: std::ops::Range<usize>,
) -> Result<(), ProgramError> {
    if ctx.actions.contains(&action) {
        Ok(())
    } else {
        Err(src.error(span, ProgramErrorKind::MissingAction { action, needed_by }))
    }
}

fn build_rule(
    src: &Source<'_>,
    raw: RawRule,
    ctx: &RuleContext<'_>,
) -> Result<DeadlineRule, ProgramError> {
    let anchor = *raw.anchor.get_ref();
    if let Some(action) = anchor.required_action() {
        require_action(src, ctx, action, Need::Anchor(anchor), raw.anchor.span())?;
    }
    let until = match &raw.until {
        Some(until) => {
            let condition = until.get_ref().clone();
            if let Some(action) = condition.required_action() {
                require_action(
                    src,
                    ctx,
                    action,
                    Need::Condition(condition.clone()),
                    until.span(),
                )?;
            }
            if let Condition::StatusIn(codes) = &condition {
                if codes.is_empty() {
                    return Err(src.error(until.span(), ProgramErrorKind::EmptyStatusCondition));
                }
                if let Some(code) = codes
                    .iter()
                    .find(|code| !ctx.statuses.iter().any(|s| &s.code == *code))
                {
                    return Err(src.error(
                        until.span(),
                        ProgramErrorKind::UnknownStatus {
                            status: code.clone(),
                        },
                    ));
                }
            }
            Some(condition)
        }
        None => None,
    };
    let recurrence = raw
        .recurring
        .as_ref()
        .map(|raw| build_recurrence(src, raw))
        .transpose()?;
    let id = raw.id.into_inner();
    let steps = match raw.steps {
        Some(steps) if !steps.get_ref().is_empty() => steps.into_inner(),
        Some(steps) => {
            return Err(src.error(steps.span(), ProgramErrorKind::EmptyLadder { id }));
        }
        None => {
            return Err(src.error(raw.anchor.span(), ProgramErrorKind::EmptyLadder { id }));
        }
    };
    let steps = build_steps(src, steps, recurrence.is_some(), ctx)?;
    let has_at = steps
        .iter()
        .any(|step| matches!(step.when, StepTime::At { .. }));
    if let Some(late) = &raw.late_anchor
        && !has_at
    {
        return Err(src.error(late.span(), ProgramErrorKind::LateAnchorWithoutAt));
    }
    Ok(DeadlineRule {
        id,
        label: raw.label.into(),
        anchor,
        until,
        late_anchor: raw.late_anchor.map(Spanned::into_inner).unwrap_or_default(),
        recurrence,
        steps,
    })
}

fn build_recurrence(src: &Source<'_>, raw: &RawRecurrence) -> Result<Recurrence, ProgramError> {
    let at = time_of_day(src, &raw.at)?;
    let every_days = match &raw.every_days {
        Some(days) if *days.get_ref() == 0 => {
            return Err(src.error(days.span(), ProgramErrorKind::ZeroRecurrence));
        }
        Some(days) => *days.get_ref(),
        None => 1,
    };
    Ok(Recurrence::new(every_days, at))
}

fn build_steps(
    src: &Source<'_>,
    raws: Vec<Spanned<RawStep>>,
    recurring: bool,
    ctx: &RuleContext<'_>,
) -> Result<Vec<LadderStep>, ProgramError> {
    let mut steps: Vec<LadderStep> = Vec::with_capacity(raws.len());
    for raw in raws {
        let step_span = raw.span();
        let raw = raw.into_inner();
        let (when, span) = match (&raw.after, &raw.at) {
            (None, None) => return Err(src.error(step_span, ProgramErrorKind::StepWithoutTime)),
            (Some(_), Some(at)) => {
                return Err(src.error(at.span(), ProgramErrorKind::StepWithBothTimes));
            }
            (Some(after), None) => {
                if let Some(days) = &raw.days_after {
                    return Err(src.error(days.span(), ProgramErrorKind::DaysAfterWithoutAt));
                }
                (StepTime::After(duration(src, after)?), after.span())
            }
            (None, Some(at)) => {
                if recurring {
                    return Err(src.error(at.span(), ProgramErrorKind::AtInRecurringRule));
                }
                let days_after = raw.days_after.as_ref().map_or(0, |d| *d.get_ref());
                let time = time_of_day(src, at)?;
                (StepTime::At { days_after, time }, at.span())
            }
        };
        if let Some(previous) = steps.last() {
            let in_order = match (previous.when, when) {
                (StepTime::After(before), StepTime::After(now)) => now > before,
                (
                    StepTime::At {
                        days_after: d0,
                        time: t0,
                    },
                    StepTime::At {
                        days_after: d1,
                        time: t1,
                    },
                ) => (d1, t1) > (d0, t0),
                _ => return Err(src.error(span, ProgramErrorKind::MixedLadder)),
            };
            if !in_order {
                return Err(src.error(
                    span,
                    ProgramErrorKind::StepOutOfOrder {
                        step: when.text(),
                        previous: previous.when.text(),
                    },
                ));
            }
        }
        let notify = recipients(src, raw.notify, ctx)?;
        steps.push(LadderStep { when, notify });
    }
    Ok(steps)
}

pub(super) fn recipients(
    src: &Source<'_>,
    raw: Spanned<Vec<Spanned<String>>>,
    ctx: &RuleContext<'_>,
) -> Result<Vec<Recipient>, ProgramError> {
    if raw.get_ref().is_empty() {
        return Err(src.error(raw.span(), ProgramErrorKind::EmptyRecipients));
    }
    let mut out: Vec<Recipient> = Vec::with_capacity(raw.get_ref().len());
    for name in raw.into_inner() {
        let recipient = match Recipient::role(name.get_ref()) {
            Some(Recipient::Leader(level)) if level < ctx.unit => {
                return Err(src.error(
                    name.span(),
                    ProgramErrorKind::RecipientBelowUnit {
                        name: name.get_ref().clone(),
                        unit: ctx.unit,
                    },
                ));
            }
            Some(role) => role,
            None if ctx.groups.iter().any(|group| group.id == *name.get_ref()) => {
                Recipient::Group(name.get_ref().clone())
            }
            None => {
                return Err(src.error(
                    name.span(),
                    ProgramErrorKind::UnknownRecipient {
                        name: name.get_ref().clone(),
                    },
                ));
            }
        };
        if !out.contains(&recipient) {
            out.push(recipient);
        }
    }
    Ok(out)
}

fn duration(
    src: &Source<'_>,
    text: &Spanned<String>,
) -> Result<jiff::SignedDuration, ProgramError> {
    parse_duration(text.get_ref()).map_err(|reason| {
        src.error(
            text.span(),
            ProgramErrorKind::BadDuration {
                text: text.get_ref().clone(),
                reason,
            },
        )
    })
}

fn time_of_day(
    src: &Source<'_>,
    text: &Spanned<String>,
) -> Result<jiff::civil::Time, ProgramError> {
    parse_time_of_day(text.get_ref()).map_err(|reason| {
        src.error(
            text.span(),
            ProgramErrorKind::BadTimeOfDay {
                text: text.get_ref().clone(),
                reason,
            },
        )
    })
}
