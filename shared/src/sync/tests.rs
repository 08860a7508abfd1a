//! Protocol tests over the in-memory ledger: devices with real replicas exchange through a
//! transport that calls the ledger algorithm directly, with drops and duplicates injected.

use super::client::{SyncOptions, Transport, TransportError, sync};
use super::ledger::{self, LedgerError, Peer};
use super::memory::MemoryLedger;
use super::message::*;
use super::scope::Scope;
use crate::record::{Action, RecordId, TaskStatus};
use crate::replica::Replica;
use crate::test_support::Worker;

const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";

/// The server: a ledger and the scope of each device, and the program files and user names it
/// sends.
#[derive(Default)]
struct Server {
    ledger: MemoryLedger,
    programs: Option<ProgramSet>,
    names: Option<UserNames>,
}

impl Server {
    fn handle(
        &mut self,
        device: &str,
        scope: &Scope,
        request: &SyncRequest,
    ) -> Result<SyncResponse, LedgerError> {
        request.check_bounds().map_err(LedgerError::Refused)?;
        // Work on a copy and keep it only if everything succeeded: a failed request changes
        // nothing, like a rolled-back transaction.
        let mut tx = self.ledger.clone();
        let peer = Peer { device, scope };
        let push = ledger::push(&mut tx, peer, request.cursor, 42, &request.push)?;
        let limits = request
            .limits
            .unwrap_or(PageLimits::DEFAULT)
            .clamp(PageLimits::DEFAULT);
        let page = ledger::pull_page(&mut tx, peer, request.cursor, &request.resend_whole, limits)?;
        for item in &page.items {
            let id = item.record();
            let unit = tx.record_row(id).and_then(|r| r.unit.clone());
            if !matches!(item, PullItem::Remove { .. }) {
                assert!(
                    scope.contains_at(id, unit.as_deref(), Cursor(u64::MAX))
                        || scope.units.is_empty(),
                    "sent {id} outside the scope"
                );
            }
        }
        self.ledger = tx;
        let programs = self
            .programs
            .as_ref()
            .filter(|set| !page.more && request.programs_version.as_ref() != Some(&set.version))
            .cloned();
        let names = self
            .names
            .as_ref()
            .filter(|set| !page.more && request.names_version.as_ref() != Some(&set.version))
            .cloned();
        Ok(SyncResponse {
            protocol: PROTOCOL_VERSION,
            push,
            items: page.items,
            cursor: page.cursor,
            more: page.more,
            server_time_ms: 0,
            deadlines: Default::default(),
            jurisdictions: None,
            programs,
            names,
            deferred: page.deferred,
        })
    }
}

/// A transport straight into the server, which can lose the response of chosen rounds (the
/// server did the work, the device never hears of it).
struct Direct<'a> {
    server: &'a mut Server,
    device: String,
    scope: Scope,
    lose_responses: Vec<u32>,
    round: u32,
}

impl Transport for Direct<'_> {
    fn exchange(&mut self, request: &SyncRequest) -> Result<SyncResponse, TransportError> {
        // Through JSON, as on the wire.
        let wire = serde_json::to_vec(request).unwrap();
        let request: SyncRequest = serde_json::from_slice(&wire).unwrap();
        self.round += 1;
        let response = self
            .server
            .handle(&self.device, &self.scope, &request)
            .map_err(|e| match e {
                LedgerError::Refused(body) => TransportError::Refused { status: 400, body },
                other => TransportError::Unreachable(other.to_string()),
            })?;
        if self.lose_responses.contains(&self.round) {
            return Err(TransportError::Unreachable("connection reset".into()));
        }
        let wire = serde_json::to_vec(&response).unwrap();
        Ok(serde_json::from_slice(&wire).unwrap())
    }
}

fn run_sync(server: &mut Server, replica: &mut Replica, device: &str, scope: &Scope) {
    run_sync_with(
        server,
        replica,
        device,
        scope,
        SyncOptions::default(),
        Vec::new(),
    )
    .unwrap();
}

fn run_sync_with(
    server: &mut Server,
    replica: &mut Replica,
    device: &str,
    scope: &Scope,
    options: SyncOptions,
    lose: Vec<u32>,
) -> Result<super::client::SyncReport, super::client::SyncError> {
    let mut transport = Direct {
        server,
        device: device.into(),
        scope: scope.clone(),
        lose_responses: lose,
        round: 0,
    };
    sync(replica, &mut transport, options, || 1_000)
}

fn id(text: &str) -> RecordId {
    RecordId::new(text).unwrap()
}

fn create(replica: &mut Replica, worker: &mut Worker, record: &str, unit: &str) {
    let mut record = worker.person(record, unit, "何伟", "13800000000", "440115199001011234");
    replica.write(|w| w.save(&mut record)).unwrap();
}

fn act(replica: &mut Replica, worker: &mut Worker, record: &str, now: u64, action: Action) {
    replica
        .write(|w| {
            let mut r = w.load(&id(record))?.unwrap();
            worker.act(&mut r, now, action);
            w.save(&mut r)
        })
        .unwrap();
}

#[test]
fn two_devices_of_one_town_converge_and_the_other_town_sees_nothing() {
    let mut server = Server::default();
    let town_a = Scope::of_units([TOWN_A]);
    let town_b = Scope::of_units([TOWN_B]);
    let (mut a1, mut a2, mut b) = (
        Replica::open_in_memory().unwrap(),
        Replica::open_in_memory().unwrap(),
        Replica::open_in_memory().unwrap(),
    );
    let mut w1 = Worker::new("u1", "dev-a1");
    let mut w2 = Worker::new("u2", "dev-a2");
    create(&mut a1, &mut w1, "p1", TOWN_A);
    run_sync(&mut server, &mut a1, "dev-a1", &town_a);
    run_sync(&mut server, &mut a2, "dev-a2", &town_a);
    run_sync(&mut server, &mut b, "dev-b", &town_b);
    assert_eq!(a2.record_count().unwrap(), 1);
    assert_eq!(
        b.record_count().unwrap(),
        0,
        "another town's device got the record"
    );

    act(&mut a2, &mut w2, "p1", 2_000, Action::Claimed);
    run_sync(&mut server, &mut a2, "dev-a2", &town_a);
    run_sync(&mut server, &mut a1, "dev-a1", &town_a);
    assert_eq!(
        a1.summary(&id("p1")).unwrap().unwrap().status,
        TaskStatus::Claimed
    );
    assert_eq!(
        a1.derived_snapshot().unwrap(),
        a2.derived_snapshot().unwrap()
    );
    assert_eq!(a1.outbox_status().unwrap().waiting_records, 0);
    assert_eq!(a2.outbox_status().unwrap().waiting_records, 0);
    assert_eq!(
        server.ledger.record_row(&id("p1")).unwrap().status,
        TaskStatus::Claimed
    );
}

#[test]
fn a_reassigned_record_leaves_the_old_town_and_arrives_whole_in_the_new_one() {
    let mut server = Server::default();
    let town_a = Scope::of_units([TOWN_A]);
    let town_b = Scope::of_units([TOWN_B]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut b = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    create(&mut a, &mut wa, "p1", TOWN_A);
    create(&mut a, &mut wa, "p2", TOWN_A);
    act(&mut a, &mut wa, "p1", 2_000, Action::Claimed);
    run_sync(&mut server, &mut a, "dev-a", &town_a);
    run_sync(&mut server, &mut b, "dev-b", &town_b);
    assert_eq!(b.record_count().unwrap(), 0);

    act(
        &mut a,
        &mut wa,
        "p1",
        3_000,
        Action::Reassigned {
            to_unit: TOWN_B.into(),
            reason: None,
        },
    );
    let report = run_sync_with(
        &mut server,
        &mut a,
        "dev-a",
        &town_a,
        SyncOptions::default(),
        vec![],
    )
    .unwrap();
    assert_eq!(report.removed, 1);
    assert!(
        a.load(&id("p1")).unwrap().is_none(),
        "the old town kept the record"
    );
    assert!(a.load(&id("p2")).unwrap().is_some());

    run_sync(&mut server, &mut b, "dev-b", &town_b);
    let moved = b.summary(&id("p1")).unwrap().unwrap();
    assert_eq!(moved.unit.as_deref(), Some(TOWN_B));
    assert_eq!(
        moved.status,
        TaskStatus::Unclaimed,
        "fresh task in the new town"
    );
    // Whole: the new town has the full history, including the old town's claim.
    let (events, _) = b.load(&id("p1")).unwrap().unwrap().events();
    assert_eq!(events.len(), 3);
}

#[test]
fn lost_responses_and_repeats_neither_lose_nor_duplicate() {
    let mut server = Server::default();
    let scope = Scope::of_units([TOWN_A]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut b = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    for n in 0..20 {
        create(&mut a, &mut wa, &format!("p{n}"), TOWN_A);
    }
    // Every response of the first two rounds is lost: the server took the push anyway.
    let lost = run_sync_with(
        &mut server,
        &mut a,
        "dev-a",
        &scope,
        SyncOptions::default(),
        vec![1],
    );
    assert!(lost.is_err());
    assert_eq!(
        a.outbox_status().unwrap().waiting_records,
        20,
        "unacknowledged is unsent"
    );
    let changes_after_first = server.ledger.change_count();
    assert!(changes_after_first >= 20);
    let report = run_sync_with(
        &mut server,
        &mut a,
        "dev-a",
        &scope,
        SyncOptions::default(),
        vec![],
    )
    .unwrap();
    assert_eq!(report.pushed, 0);
    assert_eq!(report.duplicates as usize, changes_after_first);
    assert_eq!(server.ledger.change_count(), changes_after_first);
    assert_eq!(a.outbox_status().unwrap().waiting_records, 0);
    // Small pages, with a lost response in the middle.
    let options = SyncOptions {
        limits: Some(PageLimits {
            max_changes: 3,
            max_bytes: 1024 * 1024,
        }),
        ..SyncOptions::default()
    };
    assert!(
        run_sync_with(
            &mut server,
            &mut b,
            "dev-b",
            &scope,
            options.clone(),
            vec![3]
        )
        .is_err()
    );
    let report = run_sync_with(&mut server, &mut b, "dev-b", &scope, options, vec![]).unwrap();
    assert!(report.rounds > 3, "paged: {report:?}");
    assert_eq!(b.derived_snapshot().unwrap(), a.derived_snapshot().unwrap());
}

#[test]
fn damaged_and_wrong_version_requests_change_nothing() {
    let mut server = Server::default();
    let scope = Scope::of_units([TOWN_A]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    create(&mut a, &mut wa, "p1", TOWN_A);
    let mut request = SyncRequest::new(Cursor(0));
    request.push = a.outbox(1 << 20).unwrap().records;
    let mut damaged = request.clone();
    let bytes = &mut damaged.push[0].changes[0];
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    let error = server.handle("dev-a", &scope, &damaged).unwrap_err();
    assert!(
        matches!(error, LedgerError::Refused(ref b) if b.error == "invalid_change"),
        "{error}"
    );
    let mut truncated = request.clone();
    let bytes = &mut truncated.push[0].changes[0];
    bytes.truncate(bytes.len() - 5);
    assert!(server.handle("dev-a", &scope, &truncated).is_err());
    let mut old = request.clone();
    old.protocol = 0;
    let error = server.handle("dev-a", &scope, &old).unwrap_err();
    assert!(error.to_string().contains("protocol 1"), "{error}");
    assert_eq!(server.ledger.change_count(), 0);
    // The intact request works.
    server.handle("dev-a", &scope, &request).unwrap();
    assert_eq!(server.ledger.change_count(), request.push[0].changes.len());
}

#[test]
fn a_record_outside_the_scope_is_refused_and_kept_on_the_device() {
    let mut server = Server::default();
    let scope = Scope::of_units([TOWN_A]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    create(&mut a, &mut wa, "p-elsewhere", TOWN_B);
    let report = run_sync_with(
        &mut server,
        &mut a,
        "dev-a",
        &scope,
        SyncOptions::default(),
        vec![],
    )
    .unwrap();
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].reason, RejectReason::OutOfScope);
    assert_eq!(server.ledger.change_count(), 0);
    assert_eq!(a.outbox_status().unwrap().waiting_records, 1);
    // Another device of town B cannot be fed the record through a forged push either: only the
    // ledger decides what goes out.
    let mut b = Replica::open_in_memory().unwrap();
    run_sync(&mut server, &mut b, "dev-b", &Scope::of_units([TOWN_B]));
    assert_eq!(b.record_count().unwrap(), 0);
}

#[test]
fn a_granted_record_arrives_whole_from_the_grant_on() {
    let mut server = Server::default();
    let mut a = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    create(&mut a, &mut wa, "transfer-1", TOWN_A);
    run_sync(&mut server, &mut a, "dev-a", &Scope::of_units([TOWN_A]));
    let mut driver = Replica::open_in_memory().unwrap();
    let mut scope = Scope::default();
    run_sync(&mut server, &mut driver, "dev-d", &scope);
    assert_eq!(driver.record_count().unwrap(), 0);
    // A grant takes its own ledger position, like a change.
    let granted_at = ledger::LedgerTx::allocate_seq(&mut server.ledger).unwrap();
    scope.records.insert(id("transfer-1"), Cursor(granted_at));
    run_sync(&mut server, &mut driver, "dev-d", &scope);
    assert_eq!(driver.record_count().unwrap(), 1);
}

#[test]
fn a_device_ahead_of_a_restored_ledger_pulls_again_from_the_start() {
    let mut server = Server::default();
    let scope = Scope::of_units([TOWN_A]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut b = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    create(&mut a, &mut wa, "p1", TOWN_A);
    run_sync(&mut server, &mut a, "dev-a", &scope);
    run_sync(&mut server, &mut b, "dev-b", &scope);
    // The server is restored from an empty backup: b's cursor is now ahead of the ledger.
    server = Server::default();
    run_sync(&mut server, &mut b, "dev-b", &scope);
    assert_eq!(b.sync_cursor().unwrap(), Cursor(0));
    assert_eq!(
        b.record_count().unwrap(),
        1,
        "the device keeps what it holds"
    );
    // a re-sends what the restored server lacks once its history is asked for again.
    act(&mut a, &mut wa, "p1", 5_000, Action::Claimed);
    run_sync(&mut server, &mut a, "dev-a", &scope);
    run_sync(&mut server, &mut b, "dev-b", &scope);
    assert_eq!(
        b.summary(&id("p1")).unwrap().unwrap().status,
        TaskStatus::Claimed
    );
}

/// Device a pushes five persons of town A; device b, holding nothing, then pulls them in pages
/// of one change (several rounds). Returns the scope, b and b's report.
fn second_device_in_small_pages(
    server: &mut Server,
) -> (Scope, Replica, super::client::SyncReport) {
    let scope = Scope::of_units([TOWN_A]);
    let mut a = Replica::open_in_memory().unwrap();
    let mut wa = Worker::new("ua", "dev-a");
    for n in 0..5 {
        create(&mut a, &mut wa, &format!("p{n}"), TOWN_A);
    }
    run_sync(server, &mut a, "dev-a", &scope);
    let mut b = Replica::open_in_memory().unwrap();
    let small_pages = SyncOptions {
        limits: Some(PageLimits {
            max_changes: 1,
            max_bytes: 1024,
        }),
        ..SyncOptions::default()
    };
    let report = run_sync_with(server, &mut b, "dev-b", &scope, small_pages, vec![]).unwrap();
    assert!(report.rounds > 1, "{report:?}");
    (scope, b, report)
}

#[test]
fn the_program_set_travels_until_the_device_says_it_holds_it() {
    let files = crate::program::presets()
        .into_iter()
        .map(|(name, text)| ProgramFile {
            name: name.into(),
            text: text.into(),
        })
        .collect();
    let set = ProgramSet::new(files).unwrap();
    let mut server = Server {
        programs: Some(set.clone()),
        ..Server::default()
    };
    // A device holding nothing yet, pulling in small pages: the set comes once, with the last.
    let (scope, mut b, report) = second_device_in_small_pages(&mut server);
    assert_eq!(report.programs.as_ref(), Some(&set));
    // Holding it: nothing.
    let holding = SyncOptions {
        programs_version: Some(set.version.clone()),
        ..SyncOptions::default()
    };
    let report = run_sync_with(&mut server, &mut b, "dev-b", &scope, holding, vec![]).unwrap();
    assert_eq!(report.programs, None);
    // Holding another: the server's again.
    let stale = SyncOptions {
        programs_version: Some("0".repeat(64)),
        ..SyncOptions::default()
    };
    let report = run_sync_with(&mut server, &mut b, "dev-b", &scope, stale, vec![]).unwrap();
    assert_eq!(report.programs, Some(set));
}

#[test]
fn user_names_travel_once_per_run_until_the_device_says_it_holds_them() {
    let names = UserNames::new(
        [("ua", "张三"), ("district-admin", "区卫健局")]
            .into_iter()
            .map(|(id, name)| (id.to_owned(), name.to_owned()))
            .collect(),
    )
    .unwrap();
    let mut server = Server {
        names: Some(names.clone()),
        ..Server::default()
    };
    // Pulling in small pages: the names come once, with the last page.
    let (scope, mut b, report) = second_device_in_small_pages(&mut server);
    assert_eq!(report.names.as_ref(), Some(&names));
    // Holding them: nothing; holding others (a user renamed since): the server's again.
    let holding = SyncOptions {
        names_version: Some(names.version.clone()),
        ..SyncOptions::default()
    };
    let report = run_sync_with(&mut server, &mut b, "dev-b", &scope, holding, vec![]).unwrap();
    assert_eq!(report.names, None);
    let stale = SyncOptions {
        names_version: Some("0".repeat(64)),
        ..SyncOptions::default()
    };
    let report = run_sync_with(&mut server, &mut b, "dev-b", &scope, stale, vec![]).unwrap();
    assert_eq!(report.names, Some(names));
}
