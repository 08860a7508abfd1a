//! The deadline arithmetic on real rules: relative, wall-clock in Beijing time (including an
//! anchor already past the time), recurring, and which ladder steps are due.

use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::super::{DeadlineError, DeadlineRule, Program, StepState, W1_PRESET, shanghai};
use super::{CLAIM_ANSWER, parse, ts};

fn w1_rule(id: &str) -> DeadlineRule {
    let (_, text) = super::super::presets()
        .into_iter()
        .find(|(name, _)| *name == W1_PRESET)
        .expect("W1 preset");
    let program = Program::from_toml_str(text, W1_PRESET).expect("W1 preset");
    program.deadline(id).expect("rule").clone()
}

/// The single rule of a test program whose body is `rule`.
fn only_rule(rule: &str) -> DeadlineRule {
    let program = parse(CLAIM_ANSWER, rule).expect("valid rule");
    program.deadlines().first().expect("one rule").clone()
}

/// "17:00 the same day, then 12:00 the next day", with a `late_anchor` line.
fn wall_clock_rule(late_anchor: &str) -> DeadlineRule {
    only_rule(&format!(
        r#"[[deadlines]]
id = "verify"
label = {{ zh = "核查时限", en = "Verification" }}
anchor = "imported"
until = "all_answered"
late_anchor = "{late_anchor}"
[[deadlines.steps]]
at = "17:00"
notify = ["town_leader"]
[[deadlines.steps]]
at = "12:00"
days_after = 1
notify = ["district_leader"]
"#
    ))
}

/// "Every `every_days` days at 09:00", reminding the unit at once and its leader an hour later.
fn recurring_rule(every_days: u32) -> DeadlineRule {
    only_rule(&format!(
        r#"[[deadlines]]
id = "daily"
label = {{ zh = "每日检查", en = "Daily check" }}
anchor = "imported"
[deadlines.recurring]
at = "09:00"
every_days = {every_days}
[[deadlines.steps]]
after = "0m"
notify = ["unit_staff"]
[[deadlines.steps]]
after = "1h"
notify = ["town_leader"]
"#
    ))
}

#[test]
fn relative_steps_fall_due_at_the_anchor_plus_their_offsets() {
    let dispatched = ts("2022-03-18T17:19:05+08:00");
    assert_eq!(
        w1_rule("claim").due_times(dispatched),
        Ok(vec![
            ts("2022-03-18T17:29:05+08:00"),
            ts("2022-03-18T17:49:05+08:00")
        ])
    );
    assert_eq!(
        w1_rule("answer").due_times(dispatched),
        Ok(vec![
            ts("2022-03-18T19:19:05+08:00"),
            ts("2022-03-18T20:19:05+08:00")
        ])
    );
}

#[test]
fn an_unclaimed_task_escalates_to_the_town_at_10_minutes_and_the_district_at_30() {
    let rule = w1_rule("claim");
    let dispatched = ts("2022-03-18T17:19:05+08:00");
    let due = |now: &str| -> Vec<usize> {
        rule.due_steps(dispatched, None, ts(now))
            .expect("due")
            .iter()
            .map(|check| check.index)
            .collect()
    };
    assert_eq!(due("2022-03-18T17:29:04+08:00"), Vec::<usize>::new());
    assert_eq!(due("2022-03-18T17:29:05+08:00"), [0]);
    assert_eq!(due("2022-03-18T17:49:05+08:00"), [0, 1]);
    assert_eq!(
        rule.next_check(dispatched, None, ts("2022-03-18T17:30:00+08:00")),
        Ok(Some(ts("2022-03-18T17:49:05+08:00")))
    );
}

#[test]
fn claiming_in_time_meets_every_step_and_claiming_late_resolves_the_raised_one() {
    let rule = w1_rule("claim");
    let dispatched = ts("2022-03-18T17:19:05+08:00");
    let states = |claimed: &str, now: &str| -> Vec<StepState> {
        rule.check(dispatched, Some(ts(claimed)), ts(now))
            .expect("check")
            .iter()
            .map(|check| check.state)
            .collect()
    };
    let on_time = states("2022-03-18T17:29:05+08:00", "2022-03-18T18:00:00+08:00");
    assert_eq!(on_time, [StepState::Met, StepState::Met]);
    let late = states("2022-03-18T17:35:00+08:00", "2022-03-18T18:00:00+08:00");
    assert_eq!(late, [StepState::MetLate, StepState::Met]);
    assert!(
        rule.due_steps(
            dispatched,
            Some(ts("2022-03-18T17:35:00+08:00")),
            ts("2022-03-18T18:00:00+08:00")
        )
        .expect("due")
        .is_empty()
    );
    assert_eq!(
        rule.next_check(
            dispatched,
            Some(ts("2022-03-18T17:20:00+08:00")),
            ts("2022-03-18T17:21:00+08:00")
        ),
        Ok(None)
    );
}

#[test]
fn wall_clock_steps_fall_at_17_00_the_same_day_and_12_00_the_next_day() {
    let rule = wall_clock_rule("next_day");
    assert_eq!(
        rule.due_times(ts("2022-05-10T09:30:00+08:00")),
        Ok(vec![
            ts("2022-05-10T17:00:00+08:00"),
            ts("2022-05-11T12:00:00+08:00")
        ])
    );
}

#[test]
fn an_anchor_past_17_00_moves_the_whole_ladder_to_the_next_day_by_default() {
    let rule = wall_clock_rule("next_day");
    let expected = Ok(vec![
        ts("2022-05-11T17:00:00+08:00"),
        ts("2022-05-12T12:00:00+08:00"),
    ]);
    assert_eq!(rule.due_times(ts("2022-05-10T18:00:00+08:00")), expected);
    assert_eq!(rule.due_times(ts("2022-05-10T17:00:00+08:00")), expected);
    assert_eq!(
        rule.due_times(ts("2022-05-10T16:59:59+08:00"))
            .map(|d| d[0]),
        Ok(ts("2022-05-10T17:00:00+08:00"))
    );
}

#[test]
fn an_anchor_past_17_00_can_instead_be_due_at_once() {
    let rule = wall_clock_rule("immediately");
    let anchor = ts("2022-05-10T18:00:00+08:00");
    assert_eq!(
        rule.due_times(anchor),
        Ok(vec![anchor, ts("2022-05-11T12:00:00+08:00")])
    );
    let due = rule.due_steps(anchor, None, anchor).expect("due");
    assert_eq!(due.len(), 1);
}

#[test]
fn the_same_day_is_the_day_in_beijing_not_in_utc() {
    let rule = wall_clock_rule("next_day");
    // 20:00 UTC on 10 May is 04:00 on 11 May in Beijing.
    assert_eq!(
        rule.due_times(ts("2022-05-10T20:00:00Z")),
        Ok(vec![ts("2022-05-11T09:00:00Z"), ts("2022-05-12T04:00:00Z")])
    );
}

#[test]
fn a_daily_rule_occurs_at_09_00_strictly_after_the_given_instant() {
    let rule = recurring_rule(1);
    let recurrence = rule.recurrence().expect("recurring");
    let anchor = ts("2022-05-10T10:00:00+08:00");
    let next = |after: &str| recurrence.next_after(anchor, ts(after));
    assert_eq!(
        recurrence.next_after(anchor, anchor),
        Ok(ts("2022-05-11T09:00:00+08:00"))
    );
    assert_eq!(
        next("2022-05-11T08:59:59+08:00"),
        Ok(ts("2022-05-11T09:00:00+08:00"))
    );
    assert_eq!(
        next("2022-05-11T09:00:00+08:00"),
        Ok(ts("2022-05-12T09:00:00+08:00"))
    );
    assert_eq!(
        next("2021-01-01T00:00:00+08:00"),
        Ok(ts("2022-05-11T09:00:00+08:00"))
    );
}

#[test]
fn an_every_three_days_rule_keeps_its_phase_from_the_anchor_date() {
    let rule = recurring_rule(3);
    let recurrence = rule.recurrence().expect("recurring");
    assert_eq!(recurrence.every_days(), 3);
    let anchor = ts("2022-05-10T08:00:00+08:00");
    let next = |after: &str| recurrence.next_after(anchor, ts(after));
    assert_eq!(
        recurrence.next_after(anchor, anchor),
        Ok(ts("2022-05-10T09:00:00+08:00"))
    );
    assert_eq!(
        next("2022-05-10T09:00:00+08:00"),
        Ok(ts("2022-05-13T09:00:00+08:00"))
    );
    assert_eq!(
        next("2022-05-14T12:00:00+08:00"),
        Ok(ts("2022-05-16T09:00:00+08:00"))
    );
}

#[test]
fn steps_of_a_recurring_rule_count_from_the_occurrence() {
    let rule = recurring_rule(1);
    let occurrence = ts("2022-05-11T09:00:00+08:00");
    assert_eq!(
        rule.due_times(occurrence),
        Ok(vec![occurrence, ts("2022-05-11T10:00:00+08:00")])
    );
    assert_eq!(rule.until(), None);
}

#[test]
fn instants_at_the_end_of_time_give_an_error_not_a_panic() {
    assert_eq!(
        w1_rule("claim").due_times(Timestamp::MAX),
        Err(DeadlineError::OutOfRange)
    );
    assert!(
        wall_clock_rule("next_day")
            .due_times(Timestamp::MAX)
            .is_err()
    );
    let rule = recurring_rule(1);
    let recurrence = rule.recurrence().expect("recurring");
    assert!(
        recurrence
            .next_after(Timestamp::MAX, Timestamp::MAX)
            .is_err()
    );
}

proptest! {
    #[test]
    fn overdue_steps_are_always_a_prefix_of_the_ladder(
        anchor in 1_577_836_800i64..1_893_456_000,
        elapsed in 0i64..20_000,
    ) {
        let rule = w1_rule("answer");
        let anchor = Timestamp::from_second(anchor).expect("anchor");
        let now = anchor + SignedDuration::from_secs(elapsed);
        let due = rule.due_steps(anchor, None, now).expect("due");
        let indexes: Vec<usize> = due.iter().map(|check| check.index).collect();
        prop_assert_eq!(indexes, (0..due.len()).collect::<Vec<_>>());
        prop_assert!(due.iter().all(|check| check.due <= now));
        let on_time = rule.due_steps(anchor, Some(anchor), now).expect("due");
        prop_assert!(on_time.is_empty());
    }

    #[test]
    fn recurring_occurrences_are_the_first_phase_day_at_09_00_after_the_instant(
        anchor in 1_577_836_800i64..1_893_456_000,
        offset in -200_000i64..5_000_000,
        every_days in 1u32..15,
    ) {
        let rule = recurring_rule(every_days);
        let recurrence = rule.recurrence().expect("recurring");
        let anchor = Timestamp::from_second(anchor).expect("anchor");
        let after = anchor + SignedDuration::from_secs(offset);
        let next = recurrence.next_after(anchor, after).expect("next");
        prop_assert!(next > after && next > anchor);
        let local = next.to_zoned(shanghai());
        prop_assert_eq!((local.hour(), local.minute(), local.second()), (9, 0, 0));
        let anchor_date = anchor.to_zoned(shanghai()).date();
        let days = anchor_date.until(local.date()).expect("days").get_days();
        prop_assert_eq!(days % i32::try_from(every_days).expect("small"), 0);
        let previous = local.checked_sub(jiff::Span::new().days(i64::from(every_days))).expect("previous");
        prop_assert!(previous.timestamp() <= after.max(anchor));
    }
}
