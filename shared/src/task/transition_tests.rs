//! Declared steps (`program::Transition`) end to end in the pure core: what `available`
//! offers, what `check` refuses and produces, and how the fold settles steps made on several
//! devices offline. The program is `shared/tests/programs/isolation-follow-up.toml`, written
//! only in TOML.

use std::collections::BTreeMap;

use super::command::{self, Command, CommandError, Context, Facts};
use super::{Member, Satisfaction, satisfaction};
use crate::i18n::{Describe, Lang};
use crate::jurisdiction::Jurisdictions;
use crate::program::Condition;
use crate::program::Program;
use crate::record::{Action, Record, ReviewReason, TaskStatus};
use crate::test_support::Worker;

const PROGRAM: &str = include_str!("../../tests/programs/isolation-follow-up.toml");
const NANSHA: &str = include_str!("../../../assets/jurisdictions/440115-nansha.toml");
const JINSHA: &str = "440115001001";
const GANGQIAN: &str = "440115001002";

fn program() -> Program {
    Program::from_toml_str(PROGRAM, "isolation-follow-up.toml").unwrap()
}

fn tree() -> Jurisdictions {
    Jurisdictions::from_toml_str(NANSHA, "nansha").unwrap()
}

fn facts(origin: &str) -> Facts {
    Facts {
        supplementary: false,
        fields: BTreeMap::from([("origin".to_owned(), origin.to_owned())]),
    }
}

fn step(action: &str, inputs: &[(&str, &str)], note: Option<&str>) -> Command {
    Command::Transition {
        action: action.into(),
        outcome: Vec::new(),
        inputs: inputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        note: note.map(str::to_owned),
    }
}

/// The event a worker's device makes of `command` on `record`; the step must pass.
fn taken(role: &str, record: &Record, origin: &str, command: &Command) -> Action {
    let (program, tree) = (program(), tree());
    let context = Context {
        program: &program,
        jurisdictions: &tree,
        role,
    };
    command::check(&context, &record.state(), &facts(origin), command).unwrap()
}

fn person(district: &mut Worker) -> Record {
    district.person("p-1", JINSHA, "李明", "13490879088", "")
}

#[test]
fn a_step_is_checked_for_status_role_inputs_guards_and_note() {
    let program = program();
    let tree = tree();
    let worker = Context {
        program: &program,
        jurisdictions: &tree,
        role: "worker",
    };
    let leader = Context {
        role: "leader",
        ..worker
    };
    let mut district = Worker::new("district", "d-pc");
    let record = person(&mut district);
    let state = record.state();
    assert_eq!(state.status_code, "pending");

    // The required input, typed as its field's type: 是 becomes "true".
    let missing = command::check(
        &worker,
        &state,
        &facts("guangdong"),
        &step("start_home_isolation", &[], None),
    )
    .unwrap_err();
    assert!(matches!(missing, CommandError::Value { .. }));
    assert_eq!(missing.describe(Lang::Zh), "门磁是否完好：必填");
    assert_eq!(
        command::check(
            &worker,
            &state,
            &facts("guangdong"),
            &step("start_home_isolation", &[("seal_intact", "是")], Some("  ")),
        ),
        Ok(Action::Transitioned {
            action: "start_home_isolation".into(),
            from: "pending".into(),
            to: "home_isolation".into(),
            outcome: Vec::new(),
            inputs: BTreeMap::from([("seal_intact".into(), "true".into())]),
            note: None,
        })
    );
    // A field the step does not ask for is refused, not stored.
    assert_eq!(
        command::check(
            &worker,
            &state,
            &facts("guangdong"),
            &step(
                "start_home_isolation",
                &[("seal_intact", "是"), ("isolation_site", "x")],
                None
            ),
        ),
        Err(CommandError::UnknownInput {
            action: "start_home_isolation".into(),
            field: "isolation_site".into()
        })
    );
    // The guard reads the record's fields.
    let from_hubei = command::check(
        &worker,
        &state,
        &facts("hubei"),
        &step("start_home_isolation", &[("seal_intact", "是")], None),
    )
    .unwrap_err();
    assert_eq!(
        from_hubei.describe(Lang::Zh),
        "来自湖北、河南的人员须集中隔离"
    );
    assert_eq!(
        from_hubei.describe(Lang::En),
        "People from Hubei or Henan go to central isolation"
    );
    // Only from the statuses it starts from, only by its roles, with its required note.
    let wrong_status = command::check(&leader, &state, &facts(""), &step("release", &[], None));
    assert!(
        matches!(&wrong_status, Err(CommandError::WrongStatus { status, .. }) if status == "pending"),
        "{wrong_status:?}"
    );
    assert_eq!(
        wrong_status.unwrap_err().describe(Lang::Zh),
        "当前状态为「待处置」，不能进行该操作"
    );
    let mut town = Worker::new("worker-1", "phone-1");
    let mut isolated = record.clone();
    let central = command::check(
        &worker,
        &state,
        &facts("hubei"),
        &step("send_to_central", &[("isolation_site", " 南沙酒店 ")], None),
    )
    .unwrap();
    town.act(&mut isolated, 2_000, central);
    let isolated_state = isolated.state();
    assert_eq!(isolated_state.status_code, "central_isolation");
    assert!(matches!(
        command::check(
            &worker,
            &isolated_state,
            &facts(""),
            &step("release", &[], Some("期满"))
        ),
        Err(CommandError::RoleNotAllowed { .. })
    ));
    assert!(matches!(
        command::check(
            &leader,
            &isolated_state,
            &facts(""),
            &step("release", &[], None)
        ),
        Err(CommandError::NoteRequired { .. })
    ));
    let released = command::check(
        &leader,
        &isolated_state,
        &facts(""),
        &step("release", &[], Some("期满解除")),
    )
    .unwrap();
    town.act(&mut isolated, 3_000, released);
    assert_eq!(isolated.state().status_code, "released");
    assert!(matches!(
        command::check(&worker, &state, &facts(""), &step("vanish", &[], None)),
        Err(CommandError::UnknownTransition(_))
    ));
}

#[test]
fn available_offers_the_steps_the_status_role_and_fields_allow_here_only() {
    let program = program();
    let tree = tree();
    let worker = Context {
        program: &program,
        jurisdictions: &tree,
        role: "worker",
    };
    let mut district = Worker::new("district", "d-pc");
    let record = person(&mut district);
    let state = record.state();
    let actions = |facts: &Facts, unit: &str, context: &Context<'_>| -> Vec<String> {
        let offer = command::available(context, &state, facts, unit);
        offer
            .core
            .iter()
            .map(|a| (*a).to_owned())
            .chain(offer.transitions.iter().map(|t| t.action.clone()))
            .collect()
    };
    assert_eq!(
        actions(&facts("guangdong"), JINSHA, &worker),
        [
            "answer",
            "correct",
            "start_home_isolation",
            "send_to_central"
        ]
    );
    // A person from Hubei is not offered home isolation; the town above sees the same.
    assert_eq!(
        actions(&facts("hubei"), "440115001", &worker),
        ["answer", "correct", "send_to_central"]
    );
    // Another community's worker is offered nothing.
    assert!(actions(&facts("guangdong"), GANGQIAN, &worker).is_empty());
    // The release is the leader's, and only once the person is isolated.
    let leader = Context {
        role: "leader",
        ..worker
    };
    assert!(!actions(&facts(""), JINSHA, &leader).contains(&"release".to_owned()));
}

#[test]
fn the_same_step_on_two_devices_agrees_and_different_steps_are_kept_for_review() {
    let mut district = Worker::new("district", "d-pc");
    let base = person(&mut district);
    let home = taken(
        "worker",
        &base,
        "guangdong",
        &step("start_home_isolation", &[("seal_intact", "true")], None),
    );
    let central = taken(
        "worker",
        &base,
        "guangdong",
        &step("send_to_central", &[("isolation_site", "南沙酒店")], None),
    );

    // Both phones confirm home isolation offline: one status, nothing to review.
    let (mut a, mut b) = (base.clone(), base.clone());
    Worker::new("worker-1", "phone-1").act(&mut a, 2_000, home.clone());
    Worker::new("worker-2", "phone-2").act(&mut b, 2_500, home.clone());
    a.merge(&mut b).unwrap();
    let state = a.state();
    assert_eq!(state.status_code, "home_isolation");
    assert!(state.reviews.is_empty(), "{:?}", state.reviews);
    assert_eq!(state.status, TaskStatus::Claimed, "a step takes the task");

    // One phone starts home isolation, the other sends the person to a central site, neither
    // having seen the other: the earlier stands and the later waits for review, whichever
    // copy merges first.
    let (mut a, mut b) = (base.clone(), base.clone());
    Worker::new("worker-1", "phone-1").act(&mut a, 2_000, home);
    Worker::new("worker-2", "phone-2").act(&mut b, 2_500, central);
    let mut other = b.clone();
    a.merge(&mut b).unwrap();
    other.merge(&mut a.clone()).unwrap();
    let state = a.state();
    assert_eq!(state, other.state());
    assert_eq!(state.status_code, "home_isolation");
    assert_eq!(state.reviews.len(), 1);
    assert!(matches!(
        &state.reviews[0].reason,
        ReviewReason::ConcurrentTransitions { kept, also, .. }
            if kept == "home_isolation" && also == "central_isolation"
    ));
    assert!(
        state.reviews[0]
            .reason
            .describe(Lang::Zh)
            .contains("状态冲突")
    );

    // Someone who saw the home isolation may still send the person to a central site.
    let followed = taken(
        "worker",
        &a,
        "guangdong",
        &step("send_to_central", &[("isolation_site", "南沙酒店")], None),
    );
    Worker::new("worker-1", "phone-1").act(&mut a, 4_000, followed);
    assert_eq!(a.state().status_code, "central_isolation");
}

#[test]
fn a_move_starts_the_status_afresh_and_a_step_made_for_the_old_unit_does_not_count() {
    let mut district = Worker::new("district", "d-pc");
    let base = person(&mut district);
    let home = taken(
        "worker",
        &base,
        "",
        &step("start_home_isolation", &[("seal_intact", "false")], None),
    );
    let mut moved = base.clone();
    district.act(
        &mut moved,
        2_000,
        Action::Reassigned {
            to_unit: GANGQIAN.into(),
            reason: None,
        },
    );
    let mut stepped = base.clone();
    Worker::new("worker-1", "phone-1").act(&mut stepped, 2_500, home);
    moved.merge(&mut stepped).unwrap();
    let state = moved.state();
    assert_eq!(state.unit.as_deref(), Some(GANGQIAN));
    assert_eq!(state.status_code, "pending");
    assert!(state.transition.is_none());
    assert_eq!(state.reviews.len(), 1, "the stale step is shown, not lost");
}

#[test]
fn a_task_meets_a_status_condition_when_every_person_reached_one_of_the_statuses() {
    let program = program();
    let mut district = Worker::new("district", "d-pc");
    let mut first = person(&mut district);
    let second = district.person("p-2", JINSHA, "王芳", "13490879089", "");
    let handled = Condition::StatusIn(vec!["home_isolation".into(), "released".into()]);
    let members = |records: &[&Record]| -> Vec<Member> {
        records
            .iter()
            .map(|r| Member::of(r.id(), program.id(), &r.state()).unwrap())
            .collect()
    };
    assert_eq!(
        satisfaction(&members(&[&first, &second]), &handled),
        Satisfaction::Open
    );
    let home = taken(
        "worker",
        &first,
        "",
        &step("start_home_isolation", &[("seal_intact", "true")], None),
    );
    Worker::new("worker-1", "phone-1").act(&mut first, 7_000, home);
    assert_eq!(
        satisfaction(&members(&[&first]), &handled),
        Satisfaction::Done(7_000),
        "met when the status was reached, by the device's time"
    );
    assert_eq!(
        satisfaction(&members(&[&first, &second]), &handled),
        Satisfaction::Open
    );
    // Members stored before statuses were declared read as pending since their assignment.
    let old: Member = serde_json::from_value(serde_json::json!({
        "record": "p-9",
        "task": {"program": "w1", "batch": "b", "unit": JINSHA, "moved_by": null},
        "assigned_ms": 5,
        "claimed_ms": null, "answered_ms": null, "cdc_judged_ms": null,
        "supplies_ms": null, "boarded_ms": null
    }))
    .unwrap();
    assert_eq!(old.status, "pending");
    assert_eq!(
        old.done_ms(&Condition::StatusIn(vec!["pending".into()])),
        Some(5)
    );
}

#[test]
fn claims_and_answers_stop_once_a_declared_step_moved_the_record_on() {
    let program = program();
    let tree = tree();
    let worker = Context {
        program: &program,
        jurisdictions: &tree,
        role: "worker",
    };
    let mut district = Worker::new("district", "d-pc");
    let mut record = person(&mut district);
    let answer = Command::Answer {
        outcome: vec!["reached".into()],
        note: None,
    };
    assert!(command::check(&worker, &record.state(), &facts(""), &answer).is_ok());
    let home = taken(
        "worker",
        &record,
        "",
        &step("start_home_isolation", &[("seal_intact", "true")], None),
    );
    Worker::new("worker-1", "phone-1").act(&mut record, 2_000, home);
    let state = record.state();
    assert!(matches!(
        command::check(&worker, &state, &facts(""), &answer),
        Err(CommandError::WrongStatus { status, .. }) if status == "home_isolation"
    ));
    let offer = command::available(&worker, &state, &facts(""), JINSHA);
    assert_eq!(offer.core, ["correct"]);
}
