use super::alert::{self, AlertFacts};
use super::command::{self, Command, CommandError, Context, Facts};
use super::*;
use crate::i18n::{Describe, Lang};
use crate::jurisdiction::Jurisdictions;
use crate::program::{Program, Recipient, W1_PRESET, W2_PRESET, presets};
use crate::record::{Action, AlertResolution, Record, Stamp, UserId};
use crate::test_support::Worker;

const NANSHA: &str = include_str!("../../../assets/jurisdictions/440115-nansha.toml");
const SIMING: &str = include_str!("../../../assets/jurisdictions/350203-siming.toml");
const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";
const W1: &str = "w1-close-contact-whereabouts";

fn tree() -> Jurisdictions {
    let mut tree = Jurisdictions::from_toml_str(NANSHA, "nansha").unwrap();
    tree.merge(Jurisdictions::from_toml_str(SIMING, "siming").unwrap())
        .unwrap();
    tree
}

fn preset(file: &str) -> Program {
    let (_, text) = presets().into_iter().find(|(f, _)| *f == file).unwrap();
    Program::from_toml_str(text, file).unwrap()
}

/// W1 with extra deadline rules appended: a wall-clock one and a recurring one.
fn w1_with(extra: &str) -> Program {
    let (_, text) = presets()
        .into_iter()
        .find(|(f, _)| *f == W1_PRESET)
        .unwrap();
    Program::from_toml_str(&format!("{text}\n{extra}"), "w1-extra.toml").unwrap()
}

/// Milliseconds of a Beijing-time instant.
fn bj(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

fn member(record: &Record) -> Member {
    Member::of(record.id(), W1, &record.state()).unwrap()
}

fn ms(at: i64) -> u64 {
    u64::try_from(at).unwrap()
}

#[test]
fn a_task_is_the_batch_at_a_unit_and_a_move_starts_a_new_one() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = district.person("p-1", TOWN_A, "李明", "13490879088", "");
    let first = TaskKey::of(W1, &record.state()).unwrap();
    assert_eq!(first.id(), format!("{W1}/954428744670892032/{TOWN_A}"));
    let moved = town.act(
        &mut record,
        5_000,
        Action::Reassigned {
            to_unit: TOWN_B.into(),
            reason: None,
        },
    );
    let second = TaskKey::of(W1, &record.state()).unwrap();
    assert_eq!(second.unit, TOWN_B);
    assert_eq!(second.moved_by, Some(moved.clone()));
    assert_eq!(
        second.id(),
        format!("{W1}/954428744670892032/{TOWN_B}/{moved}")
    );
    // Fresh clocks: the new task counts from the move, not from the import.
    assert_eq!(member(&record).assigned_ms, 5_000);
    assert_eq!(member(&record).claimed_ms, None);
}

#[test]
fn a_task_is_claimed_and_answered_when_every_member_is_and_at_the_last_ones_time() {
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut a = district.person("p-1", TOWN_A, "李明", "13490879088", "");
    let mut b = district.person("p-2", TOWN_A, "王芳", "13490879089", "");
    assert_eq!(
        satisfaction(&[member(&a), member(&b)], &Condition::Claimed),
        Satisfaction::Open
    );
    town.act(&mut a, 60_000, Action::Claimed);
    town.act(&mut b, 90_000, Action::Claimed);
    let members = [member(&a), member(&b)];
    assert_eq!(
        satisfaction(&members, &Condition::Claimed),
        Satisfaction::Done(90_000)
    );
    assert_eq!(anchor_ms(&members, Anchor::Claimed), Some(90_000));
    assert_eq!(
        outstanding(&members, Some(&Condition::AllAnswered)),
        vec![a.id().clone(), b.id().clone()]
    );
    // Answering without a separate claim counts as claiming.
    let mut c = district.person("p-3", TOWN_A, "赵强", "13490879080", "");
    town.act(
        &mut c,
        120_000,
        Action::Answered {
            outcome: vec!["cannot_locate".into()],
            note: Some("电话空号".into()),
        },
    );
    assert_eq!(member(&c).claimed_ms, Some(120_000));
    assert_eq!(satisfaction(&[], &Condition::Claimed), Satisfaction::Empty);
}

#[test]
fn w1_ladders_fall_due_10_and_30_minutes_and_2_and_3_hours_after_dispatch() {
    let program = preset(W1_PRESET);
    let dispatched = bj("2022-03-18T17:19:05+08:00");
    let due = |rule: &str| -> Vec<i64> {
        plan_steps(program.deadline(rule).unwrap(), dispatched, None)
            .unwrap()
            .into_iter()
            .map(|s| s.due_ms - dispatched)
            .collect()
    };
    assert_eq!(due("claim"), vec![600_000, 1_800_000]);
    assert_eq!(due("answer"), vec![7_200_000, 10_800_000]);
    let claim = program.deadline("claim").unwrap();
    assert_eq!(
        claim.steps()[0].notify,
        vec![
            Recipient::Leader(JurisdictionLevel::Town),
            Recipient::Group("task_force_group".into())
        ]
    );
}

use crate::program::{Anchor, Condition, JurisdictionLevel};

const WALL_CLOCK: &str = r#"
[[deadlines]]
id = "same_day"
label = { zh = "当日完成", en = "Same day" }
anchor = "dispatched"
until = "all_answered"
[[deadlines.steps]]
at = "17:00"
notify = ["town_leader"]
[[deadlines.steps]]
at = "12:00"
days_after = 1
notify = ["district_leader"]

[[deadlines]]
id = "daily"
label = { zh = "每日检查", en = "Daily check" }
anchor = "dispatched"
until = "all_answered"
[deadlines.recurring]
at = "09:00"
every_days = 1
[[deadlines.steps]]
after = "0m"
notify = ["town_leader"]
"#;

#[test]
fn wall_clock_steps_are_beijing_time_and_a_late_list_moves_to_the_next_day() {
    let program = w1_with(WALL_CLOCK);
    let rule = program.deadline("same_day").unwrap();
    let morning = bj("2026-11-23T10:00:00+08:00");
    let dues: Vec<i64> = plan_steps(rule, morning, None)
        .unwrap()
        .iter()
        .map(|s| s.due_ms)
        .collect();
    assert_eq!(
        dues,
        vec![
            bj("2026-11-23T17:00:00+08:00"),
            bj("2026-11-24T12:00:00+08:00")
        ]
    );
    let evening = bj("2026-11-23T18:30:00+08:00");
    let dues: Vec<i64> = plan_steps(rule, evening, None)
        .unwrap()
        .iter()
        .map(|s| s.due_ms)
        .collect();
    assert_eq!(
        dues,
        vec![
            bj("2026-11-24T17:00:00+08:00"),
            bj("2026-11-25T12:00:00+08:00")
        ]
    );
}

#[test]
fn a_recurring_check_plans_one_occurrence_at_a_time_every_day_at_nine() {
    let program = w1_with(WALL_CLOCK);
    let rule = program.deadline("daily").unwrap();
    let dispatched = bj("2026-11-23T10:00:00+08:00");
    let first = plan_steps(rule, dispatched, None).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].occurrence_ms, bj("2026-11-24T09:00:00+08:00"));
    assert_eq!(first[0].due_ms, bj("2026-11-24T09:00:00+08:00"));
    let second = plan_steps(rule, dispatched, Some(first[0].occurrence_ms)).unwrap();
    assert_eq!(second[0].occurrence_ms, bj("2026-11-25T09:00:00+08:00"));
}

#[test]
fn a_step_stands_unless_the_work_was_done_by_its_due_time_even_if_synced_later() {
    let program = preset(W1_PRESET);
    let rule = program.deadline("claim").unwrap();
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = district.person("p-1", TOWN_A, "李明", "13490879088", "");
    let due = 1_000 + 600_000;
    assert!(step_stands(rule, &[member(&record)], due));
    // Claimed offline at 5 min: the step never stands, whenever the claim arrives.
    let mut offline = record.clone();
    town.act(&mut offline, 301_000, Action::Claimed);
    assert!(!step_stands(rule, &[member(&offline)], due));
    // Claimed at 12 min: the step stood (the alert is resolved late).
    town.act(&mut record, 721_000, Action::Claimed);
    assert!(step_stands(rule, &[member(&record)], due));
    assert!(!step_stands(rule, &[], due), "an emptied task owes nothing");
}

#[test]
fn alerts_go_to_the_most_senior_leaders_unit_and_have_one_id_per_step() {
    let town = [
        Recipient::Leader(JurisdictionLevel::Town),
        Recipient::Group("task_force_group".into()),
    ];
    let district = [Recipient::Leader(JurisdictionLevel::District)];
    assert_eq!(alert::alert_unit("440115001", &town), "440115001");
    assert_eq!(alert::alert_unit("440115001003", &town), "440115001");
    assert_eq!(alert::alert_unit("440115001", &district), "440115");
    assert_eq!(
        alert::alert_unit("440115001", &[Recipient::UnitStaff]),
        "440115001"
    );

    let program = preset(W1_PRESET);
    let rule = program.deadline("claim").unwrap();
    let mut district_pc = Worker::new("district", "d-pc");
    let a = district_pc.person("p-1", TOWN_A, "李明", "13490879088", "");
    let task = TaskKey::of(W1, &a.state()).unwrap();
    let steps = plan_steps(rule, 1_000, None).unwrap();
    let facts = AlertFacts {
        task: task.clone(),
        step: steps[1].clone(),
        members: 1,
        outstanding: vec![a.id().clone()],
    };
    let new = alert::new_alert(&program, rule, &facts, "南沙街道").unwrap();
    assert_eq!(new.unit, "440115", "the 30-minute step alerts the district");
    assert_eq!(new.id, alert::alert_id(&task, &steps[1]).unwrap());
    assert_ne!(new.id, alert::alert_id(&task, &steps[0]).unwrap());
    let title = alert::title(&program, rule, &facts, "南沙街道", Lang::Zh);
    assert_eq!(
        title,
        "认领时限第 2 步（30分钟）：南沙街道 1/1 人未认领（批次 954428744670892032），已通知区领导、流调溯源专班"
    );
    let first = AlertFacts {
        step: steps[0].clone(),
        ..facts.clone()
    };
    assert_ne!(
        alert::title(&program, rule, &first, "南沙街道", Lang::Zh),
        title,
        "the 10-minute and the 30-minute alerts read apart"
    );
    assert!(
        alert::title(&program, rule, &facts, "Nansha", Lang::En)
            .starts_with("Claim deadline, step 2 (30 min): Nansha, 1 of 1 persons not claimed")
    );
    assert!(
        new.fields
            .iter()
            .any(|(k, v)| k == alert::fields::PERSONS && v == "p-1")
    );
    assert!(!title.contains("李明"), "titles carry no names");
}

#[test]
fn a_resolution_says_when_work_done_offline_was_done_and_when_it_synced() {
    let stamp = Stamp {
        by: UserId::new("engine").unwrap(),
        at: crate::hlc::HlcClock::new(crate::hlc::DeviceId::new("server").unwrap()).tick(0),
        event: crate::record::EventId::for_time(
            &crate::hlc::HlcClock::new(crate::hlc::DeviceId::new("server").unwrap()).tick(0),
        ),
    };
    let offline = AlertResolution {
        completed_ms: bj("2026-11-23T10:05:00+08:00"),
        synced_ms: bj("2026-11-23T10:20:00+08:00"),
        stamp: stamp.clone(),
    };
    assert_eq!(
        alert::resolution_text(&offline, Lang::Zh),
        "已于 10:05 离线完成，10:20 同步"
    );
    assert_eq!(
        alert::resolution_text(&offline, Lang::En),
        "completed offline at 10:05, synced 10:20"
    );
    let online = AlertResolution {
        completed_ms: bj("2026-11-23T10:20:00+08:00"),
        synced_ms: bj("2026-11-23T10:20:02+08:00"),
        stamp,
    };
    assert_eq!(alert::resolution_text(&online, Lang::Zh), "已于 10:20 完成");
}

#[test]
fn an_alert_record_is_resolved_once_whatever_order_resolutions_arrive_in() {
    let program = preset(W1_PRESET);
    let rule = program.deadline("claim").unwrap();
    let mut district = Worker::new("district", "d-pc");
    let person = district.person("p-1", TOWN_A, "李明", "13490879088", "");
    let task = TaskKey::of(W1, &person.state()).unwrap();
    let step = plan_steps(rule, 1_000, None).unwrap().remove(0);
    let facts = AlertFacts {
        task,
        step,
        members: 1,
        outstanding: vec![person.id().clone()],
    };
    let mut engine_a = Worker::new("engine", "server-a");
    let mut engine_b = Worker::new("engine", "server-b");
    let mut alert = Record::create(
        alert::new_alert(&program, rule, &facts, "南沙街道").unwrap(),
        &engine_a.author,
        &mut engine_a.clock,
        700_000,
    )
    .unwrap();
    assert_eq!(alert.state().status, TaskStatus::Unclaimed);
    let mut copy = alert.clone();
    engine_a.act(&mut alert, 900_000, alert::resolve(500_000, 880_000));
    engine_b.act(&mut copy, 901_000, alert::resolve(500_000, 890_000));
    alert.merge(&mut copy).unwrap();
    copy.merge(&mut alert).unwrap();
    let state = alert.state();
    assert_eq!(state, copy.state());
    assert_eq!(state.status, TaskStatus::Answered);
    assert_eq!(state.alert_resolution.unwrap().synced_ms, 880_000);
}

fn context<'a>(program: &'a Program, tree: &'a Jurisdictions, role: &'a str) -> Context<'a> {
    Context {
        program,
        jurisdictions: tree,
        role,
    }
}

#[test]
fn commands_are_checked_against_the_program_the_tree_and_the_state() {
    let program = preset(W1_PRESET);
    let tree = tree();
    let worker = context(&program, &tree, "worker");
    let mut district = Worker::new("district", "d-pc");
    let mut town = Worker::new("town-a", "phone-a");
    let mut record = district.person("p-1", TOWN_A, "李明", "13490879088", "");
    let state = record.state();
    assert_eq!(
        command::check(&worker, &state, &Facts::default(), &Command::Claim),
        Ok(Action::Claimed)
    );
    town.act(&mut record, 2_000, Action::Claimed);
    assert_eq!(
        command::check(&worker, &record.state(), &Facts::default(), &Command::Claim),
        Err(CommandError::AlreadyClaimed)
    );
    // 外省 needs a note with the address.
    let other_province = Command::Answer {
        outcome: vec!["not_in_district".into(), "other_province".into()],
        note: Some("  ".into()),
    };
    let error = command::check(&worker, &state, &Facts::default(), &other_province).unwrap_err();
    assert!(matches!(error, CommandError::Answer(_)));
    assert!(
        error.describe(Lang::Zh).contains("省"),
        "{}",
        error.describe(Lang::Zh)
    );
    let answered = command::check(
        &worker,
        &state,
        &Facts::default(),
        &Command::Answer {
            outcome: vec!["not_in_district".into(), "other_province".into()],
            note: Some(" 湖北省武汉市江汉区 ".into()),
        },
    );
    assert_eq!(
        answered,
        Ok(Action::Answered {
            outcome: vec!["not_in_district".into(), "other_province".into()],
            note: Some("湖北省武汉市江汉区".into()),
        })
    );
    // 修改所属镇街: another town of the tree, not a community, not the same town.
    let to = |unit: &str| Command::Reassign {
        to_unit: unit.into(),
        reason: None,
    };
    assert_eq!(
        command::check(&worker, &state, &Facts::default(), &to(TOWN_B)),
        Ok(Action::Reassigned {
            to_unit: TOWN_B.into(),
            reason: None
        })
    );
    assert_eq!(
        command::check(&worker, &state, &Facts::default(), &to("440115001001")),
        Err(CommandError::WrongLevel {
            code: "440115001001".into(),
            expected: "town"
        })
    );
    assert_eq!(
        command::check(&worker, &state, &Facts::default(), &to(TOWN_A)),
        Err(CommandError::SameUnit(TOWN_A.into()))
    );
    assert_eq!(
        command::check(&worker, &state, &Facts::default(), &to("999999999")),
        Err(CommandError::UnknownUnit("999999999".into()))
    );
    // W1 has no forwarding and no CDC judgement.
    assert_eq!(
        command::check(
            &worker,
            &state,
            &Facts::default(),
            &Command::Forward {
                to_unit: TOWN_B.into(),
                note: None
            }
        ),
        Err(CommandError::NotAllowed("forward"))
    );
}

#[test]
fn w2_forwards_between_communities_and_only_cdc_judges_supplementary_persons() {
    let program = preset(W2_PRESET);
    let tree = tree();
    let worker = context(&program, &tree, "worker");
    let cdc = context(&program, &tree, "cdc");
    let mut community = Worker::new("community", "c-phone");
    let source = community.person("w2-1", "350203001001", "陈红", "13590879088", "");
    let forward = Command::Forward {
        to_unit: "350203001002".into(),
        note: Some("已搬至前埔".into()),
    };
    assert!(matches!(
        command::check(&worker, &source.state(), &Facts::default(), &forward),
        Ok(Action::Forwarded { .. })
    ));
    let added = command::new_supplementary(
        &worker,
        source.id(),
        &source.state(),
        "w2-1-s1",
        vec![("name".into(), "陈小红".into())],
    )
    .unwrap();
    assert_eq!(added.unit, "350203001001");
    assert!(
        added
            .fields
            .contains(&(command::SUPPLEMENTARY_OF.into(), "w2-1".into()))
    );
    let mut supplementary =
        Record::create(added, &community.author, &mut community.clock, ms(10_000)).unwrap();
    let judge = Command::CdcJudge {
        accepted: false,
        note: Some("非同住人员".into()),
    };
    assert_eq!(
        command::check(
            &worker,
            &supplementary.state(),
            &Facts::supplementary(),
            &judge
        ),
        Err(CommandError::RoleRequired("cdc"))
    );
    assert_eq!(
        command::check(&cdc, &source.state(), &Facts::default(), &judge),
        Err(CommandError::NotSupplementary)
    );
    let action = command::check(
        &cdc,
        &supplementary.state(),
        &Facts::supplementary(),
        &judge,
    )
    .unwrap();
    community.act(&mut supplementary, 20_000, action);
    assert_eq!(
        command::check(
            &cdc,
            &supplementary.state(),
            &Facts::supplementary(),
            &judge
        ),
        Err(CommandError::NotSupplementary),
        "judged once"
    );
}
