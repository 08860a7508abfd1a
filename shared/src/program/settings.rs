//! Deadline settings (时限设置): what an administrator may change in a program's deadline rules
//! without editing its file — the durations and wall-clock times of each ladder step, the time
//! and period of a recurring rule, and who each step notifies. The shape stays the program's:
//! the same rules, the same number of steps, each step relative or wall-clock as the file has it,
//! so an open step scheduled before a change still names a step that exists.
//!
//! Values are written as program files write them ("10m", "1h30m", "17:00"). Every mistake is a
//! [`SettingsError`] that names the rule (by its label) and the step, in Chinese or English.
//!
//! ```
//! use outpost_shared::program::{DeadlineSettings, Program, W1_PRESET, presets};
//! let (_, text) = presets().into_iter().find(|(f, _)| *f == W1_PRESET).unwrap();
//! let program = Program::from_toml_str(text, W1_PRESET).unwrap();
//! let mut settings = program.deadline_settings();
//! settings.rules[0].steps[0].after = Some("15m".into());
//! let changed = program.with_deadline_settings(&settings).unwrap();
//! assert_eq!(changed.deadlines()[0].steps()[0].when.text(), "15m");
//! ```

use serde::{Deserialize, Serialize};

use super::deadline::{Recipient, Recurrence, StepTime};
use super::time::{format_duration, format_time_of_day, parse_duration, parse_time_of_day};
use super::{JurisdictionLevel, Program};
use crate::i18n::{Describe, Label, Lang};

/// The longest a relative step may wait, and the most days a wall-clock step or a recurrence may
/// span: a deadline further out is almost certainly a typo ("100d").
pub const MAX_DAYS: u32 = 30;

/// Every rule's changeable values. Rules left out keep what they have.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    pub rules: Vec<RuleSettings>,
}

/// One rule's values (`id` names the rule in the program file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSettings {
    pub id: String,
    /// A recurring rule's time of day, "09:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurring_at: Option<String>,
    /// A recurring rule's period in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_days: Option<u32>,
    pub steps: Vec<StepSettings>,
}

/// One step: `after` ("10m") for a relative step, or `at` ("17:00") with `days_after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_after: Option<u32>,
    /// Recipient codes: `town_leader`, `district_leader`, `unit_staff`, a group id, …
    pub notify: Vec<String>,
}

/// What is wrong with a setting, and where (设置错误).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The rule's label, when the problem is in a rule.
    pub rule: Option<Label>,
    /// 1-based step number, when the problem is in a step.
    pub step: Option<usize>,
    pub kind: SettingsErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsErrorKind {
    UnknownRule(String),
    DuplicateRule,
    StepCount {
        expected: usize,
        given: usize,
    },
    /// The file has a relative step here and the setting a wall-clock time, or the reverse.
    WrongShape {
        relative: bool,
    },
    Duration(super::time::DurationError),
    Time(super::time::TimeOfDayError),
    ZeroDuration,
    TooLong,
    TooManyDays,
    /// A wall-clock step or recurrence field on a rule that has none.
    NotRecurring,
    ZeroPeriod,
    OutOfOrder {
        previous: String,
    },
    NoRecipients,
    UnknownRecipient(String),
    RecipientBelowUnit(String),
}

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe(Lang::En))
    }
}

impl std::error::Error for SettingsError {}

impl Describe for SettingsError {
    fn describe(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let mut place = String::new();
        if let Some(rule) = &self.rule {
            place.push_str(rule.get(lang));
        }
        if let Some(step) = self.step {
            if zh {
                place.push_str(&format!(" 第 {step} 步"));
            } else {
                place.push_str(&format!(", step {step}"));
            }
        }
        let what = match (&self.kind, zh) {
            (SettingsErrorKind::UnknownRule(id), true) => format!("该项目没有时限规则 {id}"),
            (SettingsErrorKind::UnknownRule(id), false) => {
                format!("the program has no deadline rule {id}")
            }
            (SettingsErrorKind::DuplicateRule, true) => "同一规则出现了两次".into(),
            (SettingsErrorKind::DuplicateRule, false) => "the rule is given twice".into(),
            (SettingsErrorKind::StepCount { expected, given }, true) => {
                format!("应有 {expected} 个升级步骤，收到 {given} 个（步骤数由项目文件决定）")
            }
            (SettingsErrorKind::StepCount { expected, given }, false) => format!(
                "needs {expected} escalation steps, got {given} (the program file sets how many)"
            ),
            (SettingsErrorKind::WrongShape { relative: true }, true) => {
                "此步骤按时长计算，请填写时长（如 10m、2h）".into()
            }
            (SettingsErrorKind::WrongShape { relative: true }, false) => {
                "this step counts a duration: give one such as 10m or 2h".into()
            }
            (SettingsErrorKind::WrongShape { relative: false }, true) => {
                "此步骤按钟点计算，请填写时刻（如 17:00）".into()
            }
            (SettingsErrorKind::WrongShape { relative: false }, false) => {
                "this step is a time of day: give one such as 17:00".into()
            }
            (SettingsErrorKind::Duration(e), _) => e.describe(lang),
            (SettingsErrorKind::Time(e), _) => e.describe(lang),
            (SettingsErrorKind::ZeroDuration, true) => "时长须大于 0".into(),
            (SettingsErrorKind::ZeroDuration, false) => "the duration must be more than 0".into(),
            (SettingsErrorKind::TooLong, true) => format!("时长不能超过 {MAX_DAYS} 天"),
            (SettingsErrorKind::TooLong, false) => {
                format!("the duration must be at most {MAX_DAYS} days")
            }
            (SettingsErrorKind::TooManyDays, true) => format!("天数不能超过 {MAX_DAYS}"),
            (SettingsErrorKind::TooManyDays, false) => {
                format!("at most {MAX_DAYS} days")
            }
            (SettingsErrorKind::NotRecurring, true) => "该规则不是周期性规则".into(),
            (SettingsErrorKind::NotRecurring, false) => "this rule does not recur".into(),
            (SettingsErrorKind::ZeroPeriod, true) => "周期天数须至少为 1".into(),
            (SettingsErrorKind::ZeroPeriod, false) => "the period must be at least 1 day".into(),
            (SettingsErrorKind::OutOfOrder { previous }, true) => {
                format!("须晚于上一步（{previous}）")
            }
            (SettingsErrorKind::OutOfOrder { previous }, false) => {
                format!("must be later than the step before ({previous})")
            }
            (SettingsErrorKind::NoRecipients, true) => "至少选择一个通知对象".into(),
            (SettingsErrorKind::NoRecipients, false) => "choose at least one recipient".into(),
            (SettingsErrorKind::UnknownRecipient(name), true) => format!("未知的通知对象 {name}"),
            (SettingsErrorKind::UnknownRecipient(name), false) => {
                format!("unknown recipient {name}")
            }
            (SettingsErrorKind::RecipientBelowUnit(name), true) => {
                format!("通知对象 {name} 低于任务派发的层级")
            }
            (SettingsErrorKind::RecipientBelowUnit(name), false) => {
                format!("recipient {name} is below the level tasks are dispatched to")
            }
        };
        match (place.is_empty(), zh) {
            (true, _) => what,
            (false, true) => format!("{place}：{what}"),
            (false, false) => format!("{place}: {what}"),
        }
    }
}

impl Program {
    /// The changeable values of every rule as they stand, as text ("10m", "17:00").
    pub fn deadline_settings(&self) -> DeadlineSettings {
        DeadlineSettings {
            rules: self
                .deadlines
                .iter()
                .map(|rule| RuleSettings {
                    id: rule.id.clone(),
                    recurring_at: rule.recurrence.map(|r| format_time_of_day(r.at())),
                    every_days: rule.recurrence.map(|r| r.every_days()),
                    steps: rule
                        .steps
                        .iter()
                        .map(|step| match step.when {
                            StepTime::After(duration) => StepSettings {
                                after: Some(format_duration(duration)),
                                at: None,
                                days_after: None,
                                notify: step.notify.iter().map(Recipient::code).collect(),
                            },
                            StepTime::At { days_after, time } => StepSettings {
                                after: None,
                                at: Some(format_time_of_day(time)),
                                days_after: Some(days_after),
                                notify: step.notify.iter().map(Recipient::code).collect(),
                            },
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// This program with `settings` applied, checked as the program parser checks a file:
    /// every value parses, each ladder is strictly later step by step, recipients exist and sit
    /// at or above the dispatch level. The first problem found is the error.
    pub fn with_deadline_settings(
        &self,
        settings: &DeadlineSettings,
    ) -> Result<Program, SettingsError> {
        let mut program = self.clone();
        let mut seen: Vec<&str> = Vec::new();
        for given in &settings.rules {
            let Some(rule) = program.deadlines.iter_mut().find(|r| r.id == given.id) else {
                return Err(SettingsError {
                    rule: None,
                    step: None,
                    kind: SettingsErrorKind::UnknownRule(given.id.clone()),
                });
            };
            let at_rule = |kind| SettingsError {
                rule: Some(rule.label.clone()),
                step: None,
                kind,
            };
            if seen.contains(&given.id.as_str()) {
                return Err(at_rule(SettingsErrorKind::DuplicateRule));
            }
            seen.push(&given.id);
            let recurrence = match (&rule.recurrence, &given.recurring_at, given.every_days) {
                (None, None, None) => None,
                (None, _, _) => return Err(at_rule(SettingsErrorKind::NotRecurring)),
                (Some(current), at, every) => {
                    let at = match at {
                        Some(text) => parse_time_of_day(text.trim())
                            .map_err(|e| at_rule(SettingsErrorKind::Time(e)))?,
                        None => current.at(),
                    };
                    let every = every.unwrap_or(current.every_days());
                    if every == 0 {
                        return Err(at_rule(SettingsErrorKind::ZeroPeriod));
                    }
                    if every > MAX_DAYS {
                        return Err(at_rule(SettingsErrorKind::TooManyDays));
                    }
                    Some(Recurrence::new(every, at))
                }
            };
            if given.steps.len() != rule.steps.len() {
                return Err(at_rule(SettingsErrorKind::StepCount {
                    expected: rule.steps.len(),
                    given: given.steps.len(),
                }));
            }
            let mut steps = rule.steps.clone();
            for (index, (step, value)) in steps.iter_mut().zip(&given.steps).enumerate() {
                let at_step = |kind| SettingsError {
                    rule: Some(rule.label.clone()),
                    step: Some(index + 1),
                    kind,
                };
                step.when = match (step.when, &value.after, &value.at) {
                    (StepTime::After(file), Some(text), None) if value.days_after.is_none() => {
                        let duration = parse_duration(text.trim())
                            .map_err(|e| at_step(SettingsErrorKind::Duration(e)))?;
                        // "0m" means "at the occurrence" in a recurring rule; elsewhere an alert
                        // at the very moment of the anchor is a slip, unless the file has it.
                        if duration.is_zero() && recurrence.is_none() && !file.is_zero() {
                            return Err(at_step(SettingsErrorKind::ZeroDuration));
                        }
                        if duration.as_secs() > i64::from(MAX_DAYS) * 86_400 {
                            return Err(at_step(SettingsErrorKind::TooLong));
                        }
                        StepTime::After(duration)
                    }
                    (StepTime::At { .. }, None, Some(text)) => {
                        let time = parse_time_of_day(text.trim())
                            .map_err(|e| at_step(SettingsErrorKind::Time(e)))?;
                        let days_after = value.days_after.unwrap_or(0);
                        if days_after > MAX_DAYS {
                            return Err(at_step(SettingsErrorKind::TooManyDays));
                        }
                        StepTime::At { days_after, time }
                    }
                    (StepTime::After(_), _, _) => {
                        return Err(at_step(SettingsErrorKind::WrongShape { relative: true }));
                    }
                    (StepTime::At { .. }, _, _) => {
                        return Err(at_step(SettingsErrorKind::WrongShape { relative: false }));
                    }
                };
                step.notify = recipients(self, &value.notify).map_err(at_step)?;
            }
            for (before, pair) in steps.windows(2).enumerate() {
                let in_order = match (pair[0].when, pair[1].when) {
                    (StepTime::After(a), StepTime::After(b)) => b > a,
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
                    _ => false,
                };
                if !in_order {
                    return Err(SettingsError {
                        rule: Some(rule.label.clone()),
                        // `before` is the 0-based index of the earlier step: the later one is
                        // step `before + 2`.
                        step: Some(before + 2),
                        kind: SettingsErrorKind::OutOfOrder {
                            previous: pair[0].when.text(),
                        },
                    });
                }
            }
            rule.steps = steps;
            rule.recurrence = recurrence;
        }
        Ok(program)
    }

    /// Every recipient a step of this program may notify: the leaders at or above the dispatch
    /// level, the unit's own staff, and the program's groups.
    pub fn possible_recipients(&self) -> Vec<Recipient> {
        let mut all: Vec<Recipient> = JurisdictionLevel::ALL
            .into_iter()
            .filter(|level| *level >= self.dispatch.level)
            .map(Recipient::Leader)
            .collect();
        all.push(Recipient::UnitStaff);
        all.extend(self.groups.iter().map(|g| Recipient::Group(g.id.clone())));
        all
    }
}

fn recipients(program: &Program, names: &[String]) -> Result<Vec<Recipient>, SettingsErrorKind> {
    if names.is_empty() {
        return Err(SettingsErrorKind::NoRecipients);
    }
    let mut out: Vec<Recipient> = Vec::with_capacity(names.len());
    for name in names {
        let recipient = match Recipient::role(name) {
            Some(Recipient::Leader(level)) if level < program.dispatch.level => {
                return Err(SettingsErrorKind::RecipientBelowUnit(name.clone()));
            }
            Some(role) => role,
            None if program.group(name).is_some() => Recipient::Group(name.clone()),
            None => return Err(SettingsErrorKind::UnknownRecipient(name.clone())),
        };
        if !out.contains(&recipient) {
            out.push(recipient);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::{W1_PRESET, presets};

    fn w1() -> Program {
        let (_, text) = presets()
            .into_iter()
            .find(|(f, _)| *f == W1_PRESET)
            .unwrap_or_default();
        Program::from_toml_str(text, W1_PRESET).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_current_settings_apply_as_a_no_op() {
        let program = w1();
        let same = program.with_deadline_settings(&program.deadline_settings());
        assert_eq!(same, Ok(program));
    }

    #[test]
    fn a_changed_duration_and_recipient_list_apply() {
        let program = w1();
        let mut settings = program.deadline_settings();
        settings.rules[0].steps[1].after = Some("45m".into());
        settings.rules[0].steps[1].notify = vec!["district_leader".into()];
        let changed = program.with_deadline_settings(&settings).unwrap();
        let step = &changed.deadlines()[0].steps()[1];
        assert_eq!(step.when.text(), "45m");
        assert_eq!(step.notify.len(), 1);
    }

    fn only_rule(body: &str) -> Program {
        crate::program::tests::parse(crate::program::tests::CLAIM_ANSWER, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn wall_clock_steps_take_a_time_and_a_day_count() {
        let program = only_rule(
            r#"[[deadlines]]
id = "verify"
label = { zh = "核查时限", en = "Verification" }
anchor = "imported"
until = "all_answered"
[[deadlines.steps]]
at = "17:00"
notify = ["town_leader"]
[[deadlines.steps]]
at = "12:00"
days_after = 1
notify = ["district_leader"]
"#,
        );
        let mut settings = program.deadline_settings();
        assert_eq!(settings.rules[0].steps[1].days_after, Some(1));
        settings.rules[0].steps[0].at = Some("18:30".into());
        settings.rules[0].steps[1].days_after = Some(2);
        let changed = program.with_deadline_settings(&settings).unwrap();
        assert_eq!(changed.deadlines()[0].steps()[0].when.text(), "18:30");
        assert_eq!(changed.deadlines()[0].steps()[1].when.text(), "12:00 (+2d)");
        let describe = |settings: &DeadlineSettings| {
            program
                .with_deadline_settings(settings)
                .err()
                .map(|e| e.describe(Lang::Zh))
                .unwrap_or_default()
        };
        let mut late = program.deadline_settings();
        late.rules[0].steps[1].days_after = Some(0);
        assert_eq!(describe(&late), "核查时限 第 2 步：须晚于上一步（17:00）");
        let mut bad = program.deadline_settings();
        bad.rules[0].steps[0].at = Some("25:00".into());
        assert_eq!(
            describe(&bad),
            "核查时限 第 1 步：小时 25 超出范围（00–23）"
        );
        let mut far = program.deadline_settings();
        far.rules[0].steps[1].days_after = Some(31);
        assert_eq!(describe(&far), "核查时限 第 2 步：天数不能超过 30");
        let mut not_recurring = program.deadline_settings();
        not_recurring.rules[0].every_days = Some(2);
        assert_eq!(describe(&not_recurring), "核查时限：该规则不是周期性规则");
    }

    #[test]
    fn a_recurring_rule_takes_its_time_and_period_and_keeps_a_zero_first_step() {
        let program = only_rule(
            r#"[[deadlines]]
id = "daily"
label = { zh = "每日检查", en = "Daily check" }
anchor = "imported"
[deadlines.recurring]
at = "09:00"
every_days = 1
[[deadlines.steps]]
after = "0m"
notify = ["unit_staff"]
[[deadlines.steps]]
after = "1h"
notify = ["town_leader"]
"#,
        );
        let unchanged = program.with_deadline_settings(&program.deadline_settings());
        assert_eq!(unchanged.as_ref(), Ok(&program), "0m stays allowed here");
        let mut settings = program.deadline_settings();
        settings.rules[0].recurring_at = Some("08:00".into());
        settings.rules[0].every_days = Some(2);
        let changed = program.with_deadline_settings(&settings).unwrap();
        let recurrence = changed.deadlines()[0].recurrence().copied();
        assert_eq!(
            recurrence.map(|r| (r.every_days(), r.at().hour())),
            Some((2, 8))
        );
        settings.rules[0].every_days = Some(0);
        assert_eq!(
            program
                .with_deadline_settings(&settings)
                .err()
                .map(|e| e.describe(Lang::Zh)),
            Some("每日检查：周期天数须至少为 1".into())
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_rule_and_step_in_chinese() {
        let program = w1();
        let refused = |edit: &dyn Fn(&mut DeadlineSettings)| {
            let mut settings = program.deadline_settings();
            edit(&mut settings);
            program
                .with_deadline_settings(&settings)
                .err()
                .map(|e| e.describe(Lang::Zh))
                .unwrap_or_default()
        };
        assert_eq!(
            refused(&|s| s.rules[0].steps[1].after = Some("5m".into())),
            "认领时限 第 2 步：须晚于上一步（10m）"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[1] = s.rules[0].steps[0].clone()),
            "认领时限 第 2 步：须晚于上一步（10m）",
            "an identical step is the later one that is out of order"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[0].after = Some("10".into())),
            "认领时限 第 1 步：数字缺少单位（s 秒、m 分、h 时、d 天，如 \"10m\"）"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[0].after = Some("0m".into())),
            "认领时限 第 1 步：时长须大于 0"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[0].after = Some("31d".into())),
            "认领时限 第 1 步：时长不能超过 30 天"
        );
        assert_eq!(
            refused(&|s| {
                s.rules[0].steps[0].after = None;
                s.rules[0].steps[0].at = Some("17:00".into());
            }),
            "认领时限 第 1 步：此步骤按时长计算，请填写时长（如 10m、2h）"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[0].notify.clear()),
            "认领时限 第 1 步：至少选择一个通知对象"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps[0].notify = vec!["mayor".into()]),
            "认领时限 第 1 步：未知的通知对象 mayor"
        );
        assert_eq!(
            refused(&|s| s.rules[0].steps.truncate(1)),
            "认领时限：应有 2 个升级步骤，收到 1 个（步骤数由项目文件决定）"
        );
        assert_eq!(
            refused(&|s| s.rules[0].id = "nope".into()),
            "该项目没有时限规则 nope"
        );
    }
}
