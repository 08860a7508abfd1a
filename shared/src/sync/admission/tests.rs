//! Admission against hostile pushes: each change below is what an enrolled device could send.

use automerge::legacy::{ObjectId, OpId};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};

use super::*;
use crate::jurisdiction;
use crate::program;
use crate::record::NewRecord;
use crate::test_support::Worker;
use crate::test_support::hostile::{forged, imported, raw_change, since};

const W1: &str = "w1-close-contact-whereabouts";
const W2: &str = "w2-community-verification";
const TOWN: &str = "440115001";

struct Setup {
    programs: Vec<Program>,
    jurisdictions: Jurisdictions,
}

impl Setup {
    fn new() -> Self {
        Self {
            programs: program::load_presets().unwrap(),
            jurisdictions: jurisdiction::load_presets().unwrap(),
        }
    }

    fn rules(&self) -> Rules<'_> {
        Rules {
            programs: &self.programs,
            jurisdictions: &self.jurisdictions,
        }
    }
}

const WORKER: Pusher<'static> = Pusher {
    user: "worker-1",
    device: "device-1",
    role: "worker",
};

fn all_changes(record: &mut Record) -> Vec<Vec<u8>> {
    since(record, &[])
}

fn stored(record: &mut Record) -> Stored {
    Stored::load(&all_changes(record)).unwrap()
}

fn admit_one(
    stored: &Stored,
    record: &Record,
    pushed: &[Vec<u8>],
    pusher: Pusher<'_>,
) -> Result<(), Refusal> {
    let setup = Setup::new();
    admit(record.id(), stored.clone(), pushed, pusher, setup.rules())
}

fn event_refused(result: Result<(), Refusal>) -> (String, String) {
    match result {
        Err(Refusal::Event {
            detail, detail_zh, ..
        }) => (detail, detail_zh),
        other => panic!("expected an event refusal, got {other:?}"),
    }
}

#[test]
fn a_valid_claim_and_answer_are_admitted() {
    let mut record = imported("p-1", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    let pushed = since(&mut record, &heads);
    assert_eq!(admit_one(&base, &record, &pushed, WORKER), Ok(()));
}

#[test]
fn a_change_that_skips_a_sequence_number_is_refused_without_panicking() {
    let mut record = imported("p-2", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    let claim = since(&mut record, &heads).remove(0);
    let gap = forged(&claim, |c| c.seq = 3);
    let refusal = admit_one(&base, &record, &[gap], WORKER).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::Unappliable { index: 0, detail } if detail.contains("expects number 1")),
        "{refusal:?}"
    );
}

#[test]
fn a_put_into_an_object_that_does_not_exist_is_refused_without_panicking() {
    let mut record = imported("p-3", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    let claim = since(&mut record, &heads).remove(0);
    let hostile = forged(&claim, |c| {
        let actor = c.actor_id.clone();
        for op in &mut c.operations {
            op.obj = ObjectId::Id(OpId(9_999, actor.clone()));
        }
    });
    let refusal = admit_one(&base, &record, &[hostile], WORKER).unwrap_err();
    assert!(
        matches!(refusal, Refusal::Unappliable { .. }),
        "{refusal:?}"
    );
}

/// The record's creation, a claim by device-1, and another change of device-1's actor with
/// the same sequence number (made on a copy that had not seen the claim).
type Changes = Vec<Vec<u8>>;

fn two_changes_numbered_one(id: &str) -> (Record, Changes, Changes, Changes) {
    let mut record = imported(id, W1, Vec::new());
    let creation = all_changes(&mut record);
    let mut fork = record.clone();
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    let first = since(&mut record, &heads);
    let mut again = Worker::new("worker-1", "device-1");
    again.act(
        &mut fork,
        2_500,
        Action::Reassigned {
            to_unit: "440115002".into(),
            reason: None,
        },
    );
    let second = since(&mut fork, &heads);
    (record, creation, first, second)
}

#[test]
fn a_sequence_number_used_twice_is_refused() {
    let (record, creation, first, second) = two_changes_numbered_one("p-4");
    let after_first = Stored::load(&[creation, first].concat()).unwrap();
    let refusal = admit_one(&after_first, &record, &second, WORKER).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::Unappliable { detail, .. } if detail.contains("expects number 2")),
        "{refusal:?}"
    );
}

#[test]
fn a_change_of_another_devices_actor_is_refused() {
    let mut record = imported("p-5", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    let mut other = Worker::new("worker-1", "device-2");
    other.act(&mut record, 2_000, Action::Claimed);
    let pushed = since(&mut record, &heads);
    assert_eq!(
        admit_one(&base, &record, &pushed, WORKER),
        Err(Refusal::ForeignActor { index: 0 })
    );
}

#[test]
fn an_event_in_another_users_name_is_refused() {
    let mut record = imported("p-6", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    // device-1's actor, but the event says a leader made it.
    let mut forger = Worker::new("leader-1", "device-1");
    forger.act(&mut record, 2_000, Action::Claimed);
    let pushed = since(&mut record, &heads);
    let (detail, zh) = event_refused(admit_one(&base, &record, &pushed, WORKER));
    assert!(detail.contains("another user or device"), "{detail}");
    assert_eq!(zh, "操作记录的用户或设备与上传设备不符");
}

#[test]
fn a_cdc_judgement_is_admitted_only_from_the_cdc() {
    let fields = vec![(SUPPLEMENTARY_OF.to_owned(), "p-0".to_owned())];
    let mut record = imported("p-7", W2, fields);
    let base = stored(&mut record);
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(
        &mut record,
        2_000,
        Action::CdcJudged {
            accepted: true,
            note: None,
        },
    );
    let pushed = since(&mut record, &heads);
    let (_, zh) = event_refused(admit_one(&base, &record, &pushed, WORKER));
    assert_eq!(zh, "只有疾控人员可以判定");
    let cdc = Pusher {
        role: "cdc",
        ..WORKER
    };
    assert_eq!(admit_one(&base, &record, &pushed, cdc), Ok(()));
}

#[test]
fn an_alert_resolution_from_a_device_is_refused() {
    let mut engine = Worker::new("engine", "server-engine");
    let mut alert = Record::create(
        NewRecord {
            id: RecordId::new("alert-1").unwrap(),
            kind: RecordKind::Alert,
            program: W1.into(),
            unit: TOWN.into(),
            batch: None,
            fields: Vec::new(),
        },
        &engine.author,
        &mut engine.clock,
        1_000,
    )
    .unwrap();
    let base = stored(&mut alert);
    let heads = alert.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(
        &mut alert,
        2_000,
        Action::AlertResolved {
            completed_ms: 2_000,
            synced_ms: 2_000,
        },
    );
    let pushed = since(&mut alert, &heads);
    let (_, zh) = event_refused(admit_one(&base, &alert, &pushed, WORKER));
    assert_eq!(zh, "该操作只能由服务器记录");
}

#[test]
fn a_claim_made_after_seeing_a_claim_is_refused_but_a_concurrent_one_stays() {
    let mut record = imported("p-8", W1, Vec::new());
    let mut unaware = record.clone();
    let base_heads = record.heads();
    let mut other = Worker::new("worker-2", "device-2");
    other.act(&mut record, 2_000, Action::Claimed);
    let mut server = record.clone();
    let base = stored(&mut server);
    // device-1 had synced the other claim and claims again: its own app would have refused.
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 3_000, Action::Claimed);
    let seen = since(&mut record, &heads);
    let (_, zh) = event_refused(admit_one(&base, &record, &seen, WORKER));
    assert_eq!(zh, "该任务已被认领");
    // device-1 offline, not having seen it: a concurrent claim, kept for review by the fold.
    let mut offline = Worker::new("worker-1", "device-1");
    offline.act(&mut unaware, 2_500, Action::Claimed);
    let concurrent = since(&mut unaware, &base_heads);
    assert_eq!(admit_one(&base, &unaware, &concurrent, WORKER), Ok(()));
}

#[test]
fn a_new_events_map_that_would_hide_the_history_is_refused() {
    let mut record = imported("p-9", W1, Vec::new());
    let base = stored(&mut record);
    let hostile = raw_change(&mut record, |doc| {
        doc.put_object(ROOT, "events", ObjType::Map).unwrap();
    });
    let refusal = admit_one(&base, &record, &[hostile], WORKER).unwrap_err();
    assert!(
        matches!(&refusal, Refusal::Unappliable { detail, .. } if detail.contains("`events`")),
        "{refusal:?}"
    );
}

#[test]
fn rewriting_a_recorded_event_is_refused() {
    let mut record = imported("p-10", W1, Vec::new());
    let base = stored(&mut record);
    let (events, _) = record.events();
    let dispatch = events[0].clone();
    let hostile = raw_change(&mut record, |doc| {
        let (_, map) = doc.get(ROOT, "events").unwrap().unwrap();
        let mut moved = dispatch.clone();
        moved.action = Action::Dispatched {
            unit: "440115002".into(),
            batch: None,
        };
        doc.put(
            &map,
            dispatch.id.as_str(),
            serde_json::to_string(&moved).unwrap(),
        )
        .unwrap();
    });
    let (_, zh) = event_refused(admit_one(&base, &record, &[hostile], WORKER));
    assert_eq!(zh, "已有的操作记录不能修改或删除");
}

#[test]
fn a_stored_record_that_cannot_be_loaded_is_unreadable() {
    // What main accepted and relayed: two changes of one actor with one sequence number.
    let (_, creation, first, second) = two_changes_numbered_one("p-11");
    let stored = [creation, first, second].concat();
    assert!(matches!(
        Stored::load(&stored),
        Err(Refusal::Unreadable { .. })
    ));
}

#[test]
fn a_change_whose_base_is_missing_is_left_to_the_dependency_check() {
    let mut record = imported("p-12", W1, Vec::new());
    let base = stored(&mut record);
    let heads = record.heads();
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    let claim = since(&mut record, &heads);
    let after_claim = record.heads();
    worker.act(
        &mut record,
        3_000,
        Action::Answered {
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: None,
        },
    );
    let answer = since(&mut record, &after_claim);
    // The server lacks the claim (a ledger restored from an older backup): the answer alone is
    // not refused here; the ledger answers MissingDependencies and the device resends all.
    assert_eq!(admit_one(&base, &record, &answer, WORKER), Ok(()));
    assert_eq!(
        admit_one(&base, &record, &[claim, answer].concat(), WORKER),
        Ok(())
    );
}

#[test]
fn a_whole_history_sent_again_is_admitted() {
    let mut record = imported("p-13", W1, Vec::new());
    let base = stored(&mut record);
    let mut worker = Worker::new("worker-1", "device-1");
    worker.act(&mut record, 2_000, Action::Claimed);
    // The import's creation (another actor, already stored) comes along with the claim.
    let everything = all_changes(&mut record);
    assert_eq!(everything.len(), 2);
    assert_eq!(admit_one(&base, &record, &everything, WORKER), Ok(()));
}

/// The presets and the TOML-only test program with declared steps.
fn with_isolation_program() -> Vec<Program> {
    let mut programs = program::load_presets().unwrap();
    programs.push(
        Program::from_toml_str(
            include_str!("../../../tests/programs/isolation-follow-up.toml"),
            "isolation-follow-up.toml",
        )
        .unwrap(),
    );
    programs
}

/// A device pushes one `Transitioned` event on a person of the isolation program from
/// `origin`, after `before` (events already admitted, by the same worker).
fn admit_step(origin: &str, before: &[Action], step: Action, role: &str) -> Result<(), Refusal> {
    let programs = with_isolation_program();
    let jurisdictions = jurisdiction::load_presets().unwrap();
    let mut record = imported(
        "p-steps",
        "isolation-follow-up",
        vec![("origin".into(), origin.into())],
    );
    let mut worker = Worker::new("worker-1", "device-1");
    for (n, action) in before.iter().enumerate() {
        worker.act(&mut record, 1_500 + n as u64, action.clone());
    }
    let base = stored(&mut record);
    let heads = record.heads();
    worker.act(&mut record, 2_000, step);
    let pushed = since(&mut record, &heads);
    let pusher = Pusher { role, ..WORKER };
    admit(
        record.id(),
        base,
        &pushed,
        pusher,
        Rules {
            programs: &programs,
            jurisdictions: &jurisdictions,
        },
    )
}

fn transitioned(action: &str, from: &str, to: &str, inputs: &[(&str, &str)]) -> Action {
    Action::Transitioned {
        action: action.into(),
        from: from.into(),
        to: to.into(),
        outcome: Vec::new(),
        inputs: inputs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        note: None,
    }
}

#[test]
fn a_declared_step_is_admitted_as_the_program_makes_it() {
    let home = transitioned(
        "start_home_isolation",
        "pending",
        "home_isolation",
        &[("seal_intact", "true")],
    );
    assert_eq!(admit_step("guangdong", &[], home, "worker"), Ok(()));
}

#[test]
fn a_declared_step_is_refused_when_its_status_role_guard_or_inputs_do_not_hold() {
    // A forged starting status: the person is pending, not in home isolation.
    let forged_from = transitioned("release", "home_isolation", "released", &[]);
    let (detail, _) = event_refused(admit_step("guangdong", &[], forged_from, "leader"));
    assert!(
        detail.contains("while the status is “To be handled”"),
        "{detail}"
    );

    // Home isolation for a person from Hubei, which the guard forbids.
    let home = transitioned(
        "start_home_isolation",
        "pending",
        "home_isolation",
        &[("seal_intact", "true")],
    );
    let (detail, detail_zh) = event_refused(admit_step("hubei", &[], home, "worker"));
    assert!(detail.contains("Hubei or Henan"), "{detail}");
    assert_eq!(detail_zh, "来自湖北、河南的人员须集中隔离");

    // The release is the leader's; a worker's is refused.
    let central = transitioned(
        "send_to_central",
        "pending",
        "central_isolation",
        &[("isolation_site", "南沙酒店")],
    );
    let mut release = transitioned("release", "central_isolation", "released", &[]);
    if let Action::Transitioned { note, .. } = &mut release {
        *note = Some("期满".into());
    }
    let (detail, _) = event_refused(admit_step("", &[central], release, "worker"));
    assert!(detail.contains("your role may not “Release”"), "{detail}");

    // An input written as typed rather than as the program normalises it, or one the step
    // does not ask for.
    let unnormalised = transitioned(
        "start_home_isolation",
        "pending",
        "home_isolation",
        &[("seal_intact", "是")],
    );
    let (detail, _) = event_refused(admit_step("guangdong", &[], unnormalised, "worker"));
    assert!(detail.contains("not what the program makes"), "{detail}");
    let extra = transitioned(
        "start_home_isolation",
        "pending",
        "home_isolation",
        &[("seal_intact", "true"), ("name", "张三")],
    );
    let (detail, _) = event_refused(admit_step("guangdong", &[], extra, "worker"));
    assert!(detail.contains("does not ask for field `name`"), "{detail}");
}
