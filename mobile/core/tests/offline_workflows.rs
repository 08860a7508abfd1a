//! The field app's logic end to end against a real sync server on loopback: enrol with a code,
//! sync a W1 town's task and a W2 community's task, stop the server, do the whole workflow
//! offline, restart the server, sync, and check on the server's ledger (through a second
//! device) that everything arrived. The window on top of this is tested by `tests/app_window.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use outpost_app_core::actions::{
    ActInput, Acted, AnswerInput, ClaimInput, CorrectInput, MoveInput, SupplementaryInput,
};
use outpost_app_core::views::{Tab, TasksInput};
use outpost_app_core::{AppCore, EnrolInput, ErrorCode};
use outpost_e2e::in_process::{InProcessServer as Server, W1, W2};
use outpost_shared::demo::people;
use outpost_shared::hlc::Clock;

const MIN: u64 = 60_000;

/// A clock the test moves; starts at the real time so that it agrees with the server's.
struct TestClock(AtomicU64);

impl Clock for TestClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    fn now() -> Arc<Self> {
        Arc::new(Self(AtomicU64::new(
            outpost_shared::hlc::SystemClock.now_ms(),
        )))
    }
    fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

fn enrol(dir: &Path, clock: Arc<TestClock>, code: String) -> AppCore {
    let mut app = AppCore::open(dir, clock).unwrap();
    let status = app
        .enrol(EnrolInput {
            code,
            server_url: None,
            device_label: "测试手机".into(),
            pin: "135790".into(),
        })
        .unwrap();
    assert!(status.enrolled && status.unlocked);
    app
}

fn sync(app: &AppCore) {
    let outcome = app
        .sync_job()
        .expect("unlocked")
        .run()
        .expect("not already running");
    outcome.unwrap();
}

fn ids(app: &AppCore, program: &str, tab: Tab) -> Vec<String> {
    app.tasks(&TasksInput {
        program: program.into(),
        tab,
        query: String::new(),
    })
    .unwrap()
    .into_iter()
    .flat_map(|g| g.persons.into_iter().map(|p| p.record_id))
    .collect()
}

#[test]
fn a_w1_town_worker_does_the_whole_workflow_offline_and_it_reaches_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(21, 3, &["440115001"]);
    server.import_w1(&persons, "南沙街道");
    let clock = TestClock::now();
    let worker_dir = dir.path().join("worker");
    let code = server.enrolment("nansha-w", "worker", "440115001");
    let mut app = enrol(&worker_dir, clock.clone(), code);
    assert_eq!(app.status().programs[0].id, W1);
    sync(&app);

    // One task of three persons, masked in the list, with the 10-minute claim deadline.
    let groups = app
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: String::new(),
        })
        .unwrap();
    assert_eq!(groups.len(), 1);
    let group = &groups[0];
    assert_eq!(group.persons.len(), 3);
    assert_eq!(group.unit_name, "南沙街道");
    let deadline = group.deadline.as_ref().expect("claim deadline");
    assert_eq!(deadline.label, "认领时限");
    assert!(!deadline.overdue);
    let dispatched = group.dispatched_at_ms.unwrap();
    assert_eq!(deadline.due_ms, dispatched + 10 * 60_000);
    for row in &group.persons {
        assert!(row.masked_phone.contains("****"), "{}", row.masked_phone);
        assert!(
            persons
                .iter()
                .all(|p| p.name != row.masked_name && p.phone != row.masked_phone)
        );
    }
    // Search by phone tail finds exactly that person.
    let tail = &persons[1].phone[7..];
    let found = app
        .tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Unclaimed,
            query: tail.into(),
        })
        .unwrap();
    assert_eq!(found.iter().map(|g| g.persons.len()).sum::<usize>(), 1);

    // The server goes away; everything below happens offline.
    server.halt();
    let all = ids(&app, W1, Tab::Unclaimed);
    let claimed = app
        .claim(&ClaimInput {
            record_ids: all[..2].to_vec(),
        })
        .unwrap();
    assert_eq!(claimed.claimed, 2);
    let counts = app.task_counts(W1).unwrap();
    assert_eq!(
        (counts.unclaimed, counts.claimed, counts.answered),
        (1, 2, 0)
    );

    // A note is required where the program says so, and the error says it in Chinese.
    let missing_note = app
        .answer(&AnswerInput {
            record_id: all[0].clone(),
            outcome: vec![
                "in_district".into(),
                "central_quarantine".into(),
                "other_site".into(),
            ],
            note: None,
            forward_to: None,
        })
        .unwrap_err();
    assert_eq!(missing_note.code, ErrorCode::BadInput);
    assert!(
        missing_note.message.contains("备注"),
        "{}",
        missing_note.message
    );
    let answered = app
        .answer(&AnswerInput {
            record_id: all[0].clone(),
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: Some("独居老人，社区每日上门".into()),
            forward_to: None,
        })
        .unwrap();
    assert_eq!(answered.status, "answered");
    assert!(
        answered.answer.as_ref().unwrap().label.contains("居家"),
        "{:?}",
        answered.answer
    );
    // The detail screen shows the full phone number.
    assert!(
        answered
            .fields
            .iter()
            .any(|f| persons.iter().any(|p| Some(&p.phone) == f.value.as_ref()))
    );
    // The third person belongs to another town.
    let moved = app
        .reassign(&MoveInput {
            record_id: all[2].clone(),
            to_unit: "440115002".into(),
            note: Some("实际居住珠江街道".into()),
        })
        .unwrap();
    assert_eq!(moved.unit, "440115002");
    let bad_move = app
        .reassign(&MoveInput {
            record_id: all[1].clone(),
            to_unit: "440115001001".into(),
            note: None,
        })
        .unwrap_err();
    assert_eq!(bad_move.code, ErrorCode::BadInput);

    // Offline: the sync bar says so and counts what waits.
    assert!(app.sync_job().unwrap().run().unwrap().is_err());
    let status = app.sync_status().unwrap();
    assert_eq!(status.online, Some(false));
    assert_eq!(status.pending_changes, 3);
    assert!(status.oldest_unsent_ms.is_some());
    assert!(status.last_error.unwrap().contains("无法连接"));

    // Reminders come from the local replica: 11 minutes later the claim deadline of the first
    // task has passed for nobody (two claimed, one moved away is its own task)…
    clock.advance(11 * MIN);
    let reminders = app.reminders().unwrap();
    assert!(
        reminders.iter().all(|r| r.label != "认领时限"),
        "{reminders:?}"
    );
    // …while the answer deadline (2 h) is reminded 30 minutes ahead.
    clock.advance(100 * MIN);
    let reminders = app.reminders().unwrap();
    assert!(
        reminders
            .iter()
            .any(|r| r.label == "反馈时限" && !r.overdue),
        "{reminders:?}"
    );

    // Lock, wrong PIN, right PIN — all offline.
    app.lock();
    assert_eq!(
        app.tasks(&TasksInput {
            program: W1.into(),
            tab: Tab::Claimed,
            query: String::new()
        })
        .unwrap_err()
        .code,
        ErrorCode::Locked
    );
    assert_eq!(app.unlock("000000").unwrap_err().code, ErrorCode::WrongPin);
    assert!(app.unlock("135790").unwrap().unlocked);

    // The server comes back on the same address; one sync carries everything.
    server.run();
    sync(&app);
    let status = app.sync_status().unwrap();
    assert_eq!((status.online, status.pending_changes), (Some(true), 0));
    // The moved person left this town's device.
    assert_eq!(ids(&app, W1, Tab::Unclaimed).len(), 0);
    assert_eq!(ids(&app, W1, Tab::Claimed).len(), 1);

    // A second device — the district's — sees what the worker did.
    let district = enrol(
        &dir.path().join("district"),
        clock.clone(),
        server.enrolment("nansha-d", "admin", "440115"),
    );
    sync(&district);
    let detail = district.person(&all[0]).unwrap();
    assert_eq!(detail.status, "answered");
    assert_eq!(
        detail.answer.unwrap().note.as_deref(),
        Some("独居老人，社区每日上门")
    );
    assert_eq!(district.person(&all[2]).unwrap().unit, "440115002");
    assert_eq!(district.person(&all[1]).unwrap().status, "claimed");

    // The replica is encrypted at rest: no SQLite header, no phone number in the file.
    let bytes = std::fs::read(worker_dir.join("replica.db")).unwrap();
    assert!(!bytes.starts_with(b"SQLite format 3"));
    let phone = persons[0].phone.as_bytes();
    assert!(!bytes.windows(phone.len()).any(|w| w == phone));
}

#[test]
fn a_w2_community_worker_verifies_forwards_and_adds_a_supplementary_person_offline() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(33, 3, &["350203001001"]);
    server.import_w2(&persons, "仁和社区");
    let clock = TestClock::now();
    let mut app = enrol(
        &dir.path().join("w2"),
        clock.clone(),
        server.enrolment("renhe-w", "worker", "350203001001"),
    );
    assert_eq!(app.status().programs[0].id, W2);
    sync(&app);
    let all = ids(&app, W2, Tab::Unclaimed);
    assert_eq!(all.len(), 3);
    let view = app.program_view(W2).unwrap();
    assert_eq!(view.outcomes.len(), 7);
    assert_eq!(view.dispatch_level, "community");

    server.halt();
    // Scenario 2 with the door magnet installed and a corrected phone number.
    let corrected = app
        .correct(&CorrectInput {
            record_id: all[0].clone(),
            fields: [
                ("door_magnet".to_owned(), "true".to_owned()),
                ("phone".to_owned(), "+86 139-0000-1234".to_owned()),
            ]
            .into(),
        })
        .unwrap();
    let phone = corrected.fields.iter().find(|f| f.key == "phone").unwrap();
    assert_eq!(phone.value.as_deref(), Some("13900001234"));
    let bad_phone = app
        .correct(&CorrectInput {
            record_id: all[0].clone(),
            fields: [("phone".to_owned(), "12345".to_owned())].into(),
        })
        .unwrap_err();
    assert!(
        bad_phone.message.starts_with("手机号码："),
        "{}",
        bad_phone.message
    );
    let answered = app
        .answer(&AnswerInput {
            record_id: all[0].clone(),
            outcome: vec!["home_quarantine".into()],
            note: None,
            forward_to: None,
        })
        .unwrap();
    assert_eq!(answered.status, "answered");
    // Scenario 3 forwards to the community the person really lives in, and needs it named.
    let no_target = app
        .answer(&AnswerInput {
            record_id: all[1].clone(),
            outcome: vec!["other_community_in_town".into()],
            note: None,
            forward_to: None,
        })
        .unwrap_err();
    assert_eq!(no_target.code, ErrorCode::BadInput);
    let forwarded = app
        .answer(&AnswerInput {
            record_id: all[1].clone(),
            outcome: vec!["other_community_in_town".into()],
            note: None,
            forward_to: Some("350203001002".into()),
        })
        .unwrap();
    assert_eq!(forwarded.unit, "350203001002");
    // Scenario 4 is to be reported to CDC.
    let reported = app
        .answer(&AnswerInput {
            record_id: all[2].clone(),
            outcome: vec!["other_district_in_city".into()],
            note: Some("湖里区殿前街道".into()),
            forward_to: None,
        })
        .unwrap();
    assert!(reported.answer.unwrap().report_to_cdc);
    // A cohabitant missed by the list, awaiting CDC's judgement.
    let added = app
        .add_supplementary(&SupplementaryInput {
            source_record_id: all[0].clone(),
            fields: [
                ("name".to_owned(), "同住甲".to_owned()),
                ("phone".to_owned(), "13800009999".to_owned()),
                ("contact_type".to_owned(), "close".to_owned()),
                ("supplementary_relation".to_owned(), "cohabitant".to_owned()),
            ]
            .into(),
        })
        .unwrap();
    assert_eq!(added.supplementary_of.as_deref(), Some(all[0].as_str()));
    assert_eq!(added.unit, "350203001001");

    server.run();
    sync(&app);
    assert_eq!(app.sync_status().unwrap().pending_changes, 0);
    let mut district = enrol(
        &dir.path().join("cdc"),
        clock,
        server.enrolment("siming-cdc", "cdc", "350203"),
    );
    sync(&district);
    let door = district.person(&all[0]).unwrap();
    assert_eq!(
        door.fields
            .iter()
            .find(|f| f.key == "door_magnet")
            .unwrap()
            .display
            .as_deref(),
        Some("是")
    );
    assert_eq!(district.person(&all[1]).unwrap().unit, "350203001002");
    let supplementary = district.person(&added.record_id).unwrap();
    assert!(
        supplementary.allowed.contains(&"cdc_judge".to_owned()),
        "{:?}",
        supplementary.allowed
    );
    // The CDC judges it offline through the shell's one `act` command, as the window sends it.
    let judge: ActInput = serde_json::from_value(serde_json::json!({
        "command": "cdc_judge",
        "record_id": added.record_id,
        "accepted": false,
        "note": "经核实非同住人员",
    }))
    .unwrap();
    let Acted::Person(judged) = district.act(&judge).unwrap() else {
        panic!("a judgement answers the person");
    };
    assert!(!judged.allowed.contains(&"cdc_judge".to_owned()));
    assert!(
        judged.history.iter().any(|h| h.label == "疾控判定：不纳入"),
        "{:?}",
        judged.history
    );
    let claim: ActInput =
        serde_json::from_value(serde_json::json!({"command": "claim", "record_ids": []})).unwrap();
    assert_eq!(
        district.act(&claim).unwrap_err().code,
        ErrorCode::BadInput,
        "claiming nobody is refused"
    );
    sync(&district);
    assert_eq!(district.sync_status().unwrap().pending_changes, 0);
    let after = district.person(&added.record_id).unwrap();
    assert_eq!(after.sync_problem, None, "the server accepts the judgement");
}

#[test]
fn two_devices_claiming_and_answering_the_same_person_offline_list_it_for_review_with_both_versions()
 {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let persons = people(55, 1, &["440115001"]);
    server.import_w1(&persons, "南沙街道");
    let clock = TestClock::now();
    let mut first = enrol(
        &dir.path().join("a"),
        clock.clone(),
        server.enrolment("worker-a", "worker", "440115001"),
    );
    let mut second = enrol(
        &dir.path().join("b"),
        clock.clone(),
        server.enrolment("worker-b", "worker", "440115001"),
    );
    sync(&first);
    sync(&second);
    let id = ids(&first, W1, Tab::Unclaimed).remove(0);

    // Both answer without seeing each other (each claim is implied by the answer).
    first
        .answer(&AnswerInput {
            record_id: id.clone(),
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: None,
            forward_to: None,
        })
        .unwrap();
    clock.advance(1_000);
    second
        .answer(&AnswerInput {
            record_id: id.clone(),
            outcome: vec![
                "in_district".into(),
                "sent_to_hospital".into(),
                "other_illness".into(),
            ],
            note: Some("发热就诊".into()),
            forward_to: None,
        })
        .unwrap();
    sync(&first);
    sync(&second);
    sync(&first);

    for device in [&first, &second] {
        let reviews = device.reviews().unwrap();
        assert_eq!(reviews.len(), 1, "{reviews:?}");
        assert_eq!(reviews[0].record_id, id);
        assert!(reviews[0].masked_name.contains('*'));
        let answers = reviews[0]
            .notes
            .iter()
            .find(|n| n.versions.iter().any(|v| v.contains("worker-b")) && n.versions.len() == 2)
            .unwrap_or_else(|| panic!("no note with both answers: {reviews:?}"));
        assert!(
            answers.versions.iter().any(|v| v.contains("居家")),
            "{answers:?}"
        );
        assert!(
            answers.versions.iter().any(|v| v.contains("送医就医")),
            "{answers:?}"
        );
        let row = device
            .tasks(&TasksInput {
                program: W1.into(),
                tab: Tab::Answered,
                query: String::new(),
            })
            .unwrap();
        assert!(row[0].persons[0].needs_review);
    }
}
