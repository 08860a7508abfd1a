//! An enrolled device turned hostile, against a real server on loopback: every push below was
//! accepted on main and either stopped the server (a panic inside the ledger transaction that
//! poisoned its connection), made a record unreadable for every town search, or let a worker
//! act in a leader's or the CDC's name. Each is now refused with a reason in the push report,
//! the rest of the push is kept, and the server keeps serving syncs and console reads.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use automerge::legacy::{ObjectId, OpId};
use automerge::{Change, ExpandedChange};
use outpost_e2e::in_process::{ADMIN_TOKEN, InProcessServer, W1};
use outpost_shared::demo::people;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, Record, RecordId, UserId};
use outpost_shared::sync::message::{
    EnrolRequest, Enrolled, PROTOCOL_VERSION, PullItem, RecordChanges, RejectReason, SyncRequest,
    SyncResponse,
};
use outpost_shared::sync::{Cursor, PushReport};
use serde_json::Value;

const TOWN: &str = "440115001";

struct Device {
    url: String,
    enrolled: Enrolled,
    clock: HlcClock,
}

impl Device {
    fn enrol(server: &InProcessServer, user: &str, role: &str) -> Self {
        let payload = server.enrolment(user, role, TOWN);
        let code = payload.rsplit('#').next().unwrap().to_owned();
        let enrolled: Enrolled = reqwest::blocking::Client::new()
            .post(format!("{}/v1/enrol", server.url()))
            .json(&EnrolRequest {
                protocol: PROTOCOL_VERSION,
                code,
                label: "手机".into(),
            })
            .send()
            .unwrap()
            .json()
            .unwrap();
        let clock = HlcClock::new(DeviceId::new(enrolled.device_id.clone()).unwrap());
        Self {
            url: server.url(),
            enrolled,
            clock,
        }
    }

    fn author(&self, user: &str) -> Author {
        Author {
            user: UserId::new(user).unwrap(),
            device: DeviceId::new(self.enrolled.device_id.clone()).unwrap(),
        }
    }

    fn exchange(&self, request: &SyncRequest) -> reqwest::blocking::Response {
        reqwest::blocking::Client::new()
            .post(format!("{}/v1/sync", self.url))
            .bearer_auth(&self.enrolled.token)
            .json(request)
            .send()
            .unwrap()
    }

    fn push(&self, groups: Vec<RecordChanges>) -> PushReport {
        let mut request = SyncRequest::new(Cursor(0));
        request.push = groups;
        let response = self.exchange(&request);
        assert_eq!(response.status(), 200);
        response.json::<SyncResponse>().unwrap().push
    }

    /// Every record the device's scope holds, as documents.
    fn pull_all(&self) -> Vec<Record> {
        let mut records = Vec::new();
        let mut cursor = Cursor(0);
        loop {
            let response = self.exchange(&SyncRequest::new(cursor));
            assert_eq!(response.status(), 200, "sync must keep answering");
            let response: SyncResponse = response.json().unwrap();
            for item in response.items {
                if let PullItem::Whole { changes, .. } = item
                    && let Ok(record) = Record::load(&changes.concat())
                {
                    records.push(record);
                }
            }
            cursor = response.cursor;
            if !response.more {
                return records;
            }
        }
    }
}

fn changes_since(record: &mut Record, heads: &[automerge::ChangeHash]) -> Vec<Vec<u8>> {
    record
        .changes_since(heads)
        .into_iter()
        .map(|(_, bytes)| bytes)
        .collect()
}

fn forged(bytes: &[u8], edit: impl FnOnce(&mut ExpandedChange)) -> Vec<u8> {
    let mut expanded = Change::try_from(bytes).unwrap().decode();
    expanded.hash = None;
    edit(&mut expanded);
    Change::from(expanded).bytes().into_owned()
}

fn console_results(server: &InProcessServer) -> Value {
    let response = reqwest::blocking::Client::new()
        .get(format!(
            "{}/console/api/results?program={W1}&search=1",
            server.url()
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "console search must keep answering");
    response.json().unwrap()
}

fn rejected<'a>(report: &'a PushReport, id: &RecordId) -> &'a RejectReason {
    &report
        .rejected
        .iter()
        .find(|r| &r.record == id)
        .unwrap_or_else(|| panic!("{id} was not rejected: {report:?}"))
        .reason
}

#[test]
fn a_hostile_device_cannot_stop_blind_or_fool_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = InProcessServer::start(dir.path());
    server.import_w1(&people(7, 4, &[TOWN]), "南沙街道");
    let mut worker = Device::enrol(&server, "nansha-worker-1", "worker");
    let mut records = worker.pull_all();
    assert_eq!(records.len(), 4);
    let author = worker.author("nansha-worker-1");

    // 1. A claim whose sequence number skips ahead (Automerge panicked applying it on main).
    let heads = records[0].heads();
    records[0]
        .append(&author, &mut worker.clock, 2_000, Action::Claimed)
        .unwrap();
    let claim = changes_since(&mut records[0], &heads).remove(0);
    let gap = forged(&claim, |c| c.seq = 5);
    // 2. A put into an object that does not exist.
    let heads = records[1].heads();
    records[1]
        .append(&author, &mut worker.clock, 2_100, Action::Claimed)
        .unwrap();
    let claim_1 = changes_since(&mut records[1], &heads).remove(0);
    let nowhere = forged(&claim_1, |c| {
        let actor = c.actor_id.clone();
        for op in &mut c.operations {
            op.obj = ObjectId::Id(OpId(99_999, actor.clone()));
        }
    });
    // 3. A CDC judgement and an answer in a leader's name, from the worker's device.
    let heads = records[2].heads();
    let leader = worker.author("nansha-leader");
    records[2]
        .append(&leader, &mut worker.clock, 2_200, Action::Claimed)
        .unwrap();
    let in_leaders_name = changes_since(&mut records[2], &heads);
    // 4. And one honest claim in the same push, which must be kept.
    let heads = records[3].heads();
    records[3]
        .append(&author, &mut worker.clock, 2_300, Action::Claimed)
        .unwrap();
    let honest = changes_since(&mut records[3], &heads);

    let ids: Vec<RecordId> = records.iter().map(|r| r.id().clone()).collect();
    let report = worker.push(vec![
        RecordChanges {
            record: ids[0].clone(),
            changes: vec![gap],
        },
        RecordChanges {
            record: ids[1].clone(),
            changes: vec![nowhere],
        },
        RecordChanges {
            record: ids[2].clone(),
            changes: in_leaders_name,
        },
        RecordChanges {
            record: ids[3].clone(),
            changes: honest,
        },
    ]);
    assert_eq!(report.accepted, 1, "{report:?}");
    assert!(
        matches!(rejected(&report, &ids[0]), RejectReason::Invalid { detail } if detail.contains("number")),
        "{report:?}"
    );
    assert!(matches!(
        rejected(&report, &ids[1]),
        RejectReason::Invalid { .. }
    ));
    assert!(
        matches!(rejected(&report, &ids[2]), RejectReason::EventRefused { detail_zh, .. } if detail_zh == "操作记录的用户或设备与上传设备不符"),
        "{report:?}"
    );

    // 5. Two changes with one sequence number (on main both were stored and relayed, and every
    //    search reaching the record answered 500): an answer, then a claim numbered the same.
    let mut fork = Record::load(&changes_since(&mut records[0], &[])[..1].concat()).unwrap();
    let heads = fork.heads();
    fork.append(
        &author,
        &mut worker.clock,
        2_400,
        Action::Answered {
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: Some("已核实".into()),
        },
    )
    .unwrap();
    let first_answer = changes_since(&mut fork, &heads);
    let report = worker.push(vec![RecordChanges {
        record: ids[0].clone(),
        changes: first_answer,
    }]);
    assert_eq!(report.accepted, 1, "{report:?}");
    let mut other = Record::load(&changes_since(&mut records[0], &[])[..1].concat()).unwrap();
    let heads = other.heads();
    other
        .append(&author, &mut worker.clock, 2_500, Action::Claimed)
        .unwrap();
    let same_number = changes_since(&mut other, &heads);
    let report = worker.push(vec![RecordChanges {
        record: ids[0].clone(),
        changes: same_number,
    }]);
    assert!(
        matches!(rejected(&report, &ids[0]), RejectReason::Invalid { detail } if detail.contains("number")),
        "{report:?}"
    );

    // The server keeps serving: syncs, the console's search over every record, the engine.
    let again = worker.pull_all();
    assert_eq!(again.len(), 4);
    let found = console_results(&server);
    assert_eq!(found["unreadable"], 0, "{found}");
}

#[test]
fn a_stored_record_that_cannot_be_read_is_quarantined_not_a_500() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = InProcessServer::start(dir.path());
    server.import_w1(&people(9, 3, &[TOWN]), "南沙街道");
    let worker = Device::enrol(&server, "nansha-worker-1", "worker");
    let records = worker.pull_all();
    // What main stored and relayed: two changes of one actor with one sequence number.
    let bad = records[0].id().clone();
    server.damage_record(&bad);

    // The console answers, leaves the record out and says so; the administrator sees it.
    let mut found = console_results(&server);
    for _ in 0..40 {
        if found["unreadable"] == 1 {
            break;
        }
        // The engine folds the stored events into task members on its next pass.
        std::thread::sleep(std::time::Duration::from_millis(100));
        found = console_results(&server);
    }
    assert_eq!(found["unreadable"], 1, "{found}");
    let quarantine: Value = reqwest::blocking::Client::new()
        .get(format!("{}/console/api/admin/quarantine", server.url()))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        quarantine["records"][0]["record"],
        bad.as_str(),
        "{quarantine}"
    );
    assert_eq!(quarantine["records"][0]["found_by"], "console");

    // A push to it is refused as unreadable; the other records still take changes.
    let mut other = records[1].clone();
    let heads = other.heads();
    let mut clock = HlcClock::new(DeviceId::new(worker.enrolled.device_id.clone()).unwrap());
    other
        .append(
            &worker.author("nansha-worker-1"),
            &mut clock,
            6_000,
            Action::Claimed,
        )
        .unwrap();
    let mut bad_copy = records[0].clone();
    let bad_heads = bad_copy.heads();
    bad_copy
        .append(
            &worker.author("nansha-worker-1"),
            &mut clock,
            6_100,
            Action::Claimed,
        )
        .unwrap();
    let report = worker.push(vec![
        RecordChanges {
            record: bad.clone(),
            changes: changes_since(&mut bad_copy, &bad_heads),
        },
        RecordChanges {
            record: other.id().clone(),
            changes: changes_since(&mut other, &heads),
        },
    ]);
    assert_eq!(report.accepted, 1, "{report:?}");
    assert!(matches!(
        rejected(&report, &bad),
        RejectReason::Unreadable { .. }
    ));
}
