//! Every deadline-rule validation error, each with the line it must point at.

use super::super::{
    Action, Condition, DurationError, JurisdictionLevel, Need, ProgramError, ProgramErrorKind,
    TimeOfDayError,
};
use super::{CLAIM_ANSWER, HEAD_LINES, parse, rejected};
use crate::i18n::{Describe, Lang};

fn assert_at(error: &ProgramError, body_line: usize, kind: ProgramErrorKind) {
    assert_eq!(error.kind, kind, "{error}");
    assert_eq!(error.position.line, HEAD_LINES + body_line, "{error}");
}

/// A rule head of five lines (header, id, label, anchor, until), then `rest`.
fn rule(id: &str, until: &str, rest: &str) -> String {
    format!(
        "[[deadlines]]\nid = \"{id}\"\nlabel = {{ zh = \"时限\", en = \"Deadline\" }}\nanchor = \"dispatched\"\nuntil = \"{until}\"\n{rest}"
    )
}

/// A ladder step of three lines (header, time, notify).
fn step(time: &str, notify: &str) -> String {
    format!("[[deadlines.steps]]\n{time}\nnotify = {notify}\n")
}

#[test]
fn a_rule_with_valid_steps_parses() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"", r#"["town_leader"]"#),
    );
    let program = parse(CLAIM_ANSWER, &body).expect("valid");
    assert_eq!(program.deadlines().len(), 1);
}

#[test]
fn rule_ids_must_be_unique() {
    let one = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"", r#"["town_leader"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &format!("{one}{one}"));
    assert_at(
        &error,
        10,
        ProgramErrorKind::DuplicateRule { id: "claim".into() },
    );
}

#[test]
fn a_rule_without_steps_is_rejected() {
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", ""));
    assert_at(
        &error,
        4,
        ProgramErrorKind::EmptyLadder { id: "claim".into() },
    );
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", "steps = []\n"));
    assert_at(
        &error,
        6,
        ProgramErrorKind::EmptyLadder { id: "claim".into() },
    );
}

#[test]
fn a_step_needs_exactly_one_of_after_and_at() {
    let body = rule(
        "claim",
        "claimed",
        "[[deadlines.steps]]\nnotify = [\"town_leader\"]\n",
    );
    assert_at(
        &rejected(CLAIM_ANSWER, &body),
        6,
        ProgramErrorKind::StepWithoutTime,
    );
    let both = step("after = \"10m\"\nat = \"17:00\"", r#"["town_leader"]"#);
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", &both));
    assert_at(&error, 8, ProgramErrorKind::StepWithBothTimes);
}

#[test]
fn a_ladder_cannot_mix_relative_and_wall_clock_steps() {
    let steps = format!(
        "{}{}",
        step("after = \"10m\"", r#"["town_leader"]"#),
        step("at = \"17:00\"", r#"["district_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", &steps));
    assert_at(&error, 10, ProgramErrorKind::MixedLadder);
}

#[test]
fn steps_of_a_recurring_rule_must_count_from_each_occurrence() {
    let rest = format!(
        "[deadlines.recurring]\nat = \"09:00\"\n{}",
        step("at = \"10:00\"", r#"["town_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("daily", "all_answered", &rest));
    assert_at(&error, 9, ProgramErrorKind::AtInRecurringRule);
}

#[test]
fn days_after_needs_a_wall_clock_step() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"\ndays_after = 1", r#"["town_leader"]"#),
    );
    assert_at(
        &rejected(CLAIM_ANSWER, &body),
        8,
        ProgramErrorKind::DaysAfterWithoutAt,
    );
}

#[test]
fn late_anchor_needs_a_wall_clock_ladder() {
    let rest = format!(
        "late_anchor = \"next_day\"\n{}",
        step("after = \"10m\"", r#"["town_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", &rest));
    assert_at(&error, 6, ProgramErrorKind::LateAnchorWithoutAt);
}

#[test]
fn a_relative_step_earlier_than_the_previous_one_is_rejected() {
    let steps = format!(
        "{}{}",
        step("after = \"30m\"", r#"["town_leader"]"#),
        step("after = \"10m\"", r#"["district_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", &steps));
    assert_at(
        &error,
        10,
        ProgramErrorKind::StepOutOfOrder {
            step: "10m".into(),
            previous: "30m".into(),
        },
    );
    assert_eq!(
        error.to_string(),
        format!(
            "t.toml:{}:9: ladder step at 10m is not after the previous step at 30m",
            HEAD_LINES + 10
        )
    );
    assert!(
        error
            .describe(Lang::Zh)
            .contains("告警步骤 10m 不晚于上一步骤 30m")
    );
}

#[test]
fn a_step_at_the_same_time_as_the_previous_one_is_rejected() {
    let steps = format!(
        "{}{}",
        step("after = \"1h\"", r#"["town_leader"]"#),
        step("after = \"60m\"", r#"["district_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("claim", "claimed", &steps));
    assert_at(
        &error,
        10,
        ProgramErrorKind::StepOutOfOrder {
            step: "1h".into(),
            previous: "1h".into(),
        },
    );
}

#[test]
fn a_wall_clock_step_earlier_than_the_previous_one_is_rejected() {
    let steps = format!(
        "{}{}",
        step("at = \"12:00\"\ndays_after = 1", r#"["town_leader"]"#),
        step("at = \"17:00\"", r#"["district_leader"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("deadline", "all_answered", &steps));
    assert_at(
        &error,
        11,
        ProgramErrorKind::StepOutOfOrder {
            step: "17:00".into(),
            previous: "12:00 (+1d)".into(),
        },
    );
}

#[test]
fn bad_durations_are_rejected_with_the_reason() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"90\"", r#"["town_leader"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        7,
        ProgramErrorKind::BadDuration {
            text: "90".into(),
            reason: DurationError::MissingUnit,
        },
    );
    assert_eq!(
        error.to_string(),
        format!(
            "t.toml:{}:9: bad duration `90`: the number has no unit (add s, m, h or d, as in \"10m\")",
            HEAD_LINES + 7
        )
    );
}

#[test]
fn bad_times_of_day_are_rejected_with_the_reason() {
    let body = rule(
        "deadline",
        "all_answered",
        &step("at = \"25:00\"", r#"["town_leader"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        7,
        ProgramErrorKind::BadTimeOfDay {
            text: "25:00".into(),
            reason: TimeOfDayError::Hour(25),
        },
    );
    assert!(error.describe(Lang::Zh).contains("小时 25 超出范围"));
    let rest = format!(
        "[deadlines.recurring]\nat = \"9h\"\n{}",
        step("after = \"0m\"", r#"["unit_staff"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("daily", "all_answered", &rest));
    assert_at(
        &error,
        7,
        ProgramErrorKind::BadTimeOfDay {
            text: "9h".into(),
            reason: TimeOfDayError::Format,
        },
    );
}

#[test]
fn a_recurrence_of_zero_days_is_rejected() {
    let rest = format!(
        "[deadlines.recurring]\nat = \"09:00\"\nevery_days = 0\n{}",
        step("after = \"0m\"", r#"["unit_staff"]"#)
    );
    let error = rejected(CLAIM_ANSWER, &rule("daily", "all_answered", &rest));
    assert_at(&error, 8, ProgramErrorKind::ZeroRecurrence);
}

#[test]
fn a_step_must_notify_someone() {
    let body = rule("claim", "claimed", &step("after = \"10m\"", "[]"));
    assert_at(
        &rejected(CLAIM_ANSWER, &body),
        8,
        ProgramErrorKind::EmptyRecipients,
    );
}

#[test]
fn recipients_must_be_roles_or_declared_groups() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"", r#"["town_leader", "mayor"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        8,
        ProgramErrorKind::UnknownRecipient {
            name: "mayor".into(),
        },
    );
    assert_eq!(error.position.column, 26);
}

#[test]
fn leaders_below_the_dispatch_level_are_rejected() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"", r#"["community_leader"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_at(
        &error,
        8,
        ProgramErrorKind::RecipientBelowUnit {
            name: "community_leader".into(),
            unit: JurisdictionLevel::Town,
        },
    );
    assert_eq!(
        error.describe(Lang::Zh),
        format!(
            "t.toml 第 {} 行第 11 列：通知对象 `community_leader` 低于任务派发的镇街级",
            HEAD_LINES + 8
        )
    );
}

#[test]
fn a_condition_needs_the_action_that_satisfies_it() {
    let body = rule(
        "claim",
        "claimed",
        &step("after = \"10m\"", r#"["town_leader"]"#),
    );
    let error = rejected(r#"["answer"]"#, &body);
    assert_at(
        &error,
        5,
        ProgramErrorKind::MissingAction {
            action: Action::Claim,
            needed_by: Need::Condition(Condition::Claimed),
        },
    );
}

#[test]
fn an_anchor_needs_the_action_that_produces_it() {
    let body = rule(
        "after_claim",
        "all_answered",
        &step("after = \"2h\"", r#"["town_leader"]"#),
    )
    .replace("anchor = \"dispatched\"", "anchor = \"claimed\"");
    let error = rejected(r#"["answer"]"#, &body);
    assert_at(
        &error,
        4,
        ProgramErrorKind::MissingAction {
            action: Action::Claim,
            needed_by: Need::Anchor(super::super::Anchor::Claimed),
        },
    );
}

#[test]
fn unknown_conditions_are_rejected_by_the_toml_reader_at_their_line() {
    let body = rule(
        "claim",
        "done",
        &step("after = \"10m\"", r#"["town_leader"]"#),
    );
    let error = rejected(CLAIM_ANSWER, &body);
    assert_eq!(error.position.line, HEAD_LINES + 5);
    assert!(
        error.to_string().contains("unknown variant `done`"),
        "{error}"
    );
}
