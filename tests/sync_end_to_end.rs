//! End to end through real servers: five devices with replica files sync over HTTP with a
//! server whose ledger is a SQLite file (or PostgreSQL, two instances sharing it). Devices go
//! offline for random stretches, work, and come back in random order; requests and responses are
//! dropped, duplicated and replayed out of order; the server is killed with SIGKILL in the middle
//! of syncs and restarted. Afterwards every device and the server agree, no event is lost, and no
//! device ever held a record outside its scope.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use outpost_e2e::Device;
use outpost_e2e::server::{
    Admin, Faults, FaultyTransport, ServerProcess, child_server_main, free_address,
};
use outpost_shared::demo::DemoRng;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{Action, EventId, RecordId};
use outpost_shared::replica::ReplicaError;
use outpost_shared::sync::client::{SyncError, SyncOptions, TransportError, sync};
use outpost_shared::sync::{PageLimits, Scope};
use outpost_shared::task::command::{Command, Context, Facts, check};

const DISTRICT: &str = "440115";
const W1: &str = "w1-close-contact-whereabouts";

/// W1 and the shipped tree, for the checks a device makes before it acts.
static RULES: LazyLock<(Program, Jurisdictions)> = LazyLock::new(|| {
    let program = outpost_shared::program::load_presets()
        .unwrap()
        .into_iter()
        .find(|p| p.id() == W1)
        .unwrap();
    (
        program,
        outpost_shared::jurisdiction::load_presets().unwrap(),
    )
});
const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";

#[test]
#[ignore = "entry point of the server child process that the other tests start and kill"]
fn child_server() {
    child_server_main();
}

struct FieldDevice {
    device: Device,
    scope: Scope,
    transport: FaultyTransport,
    /// Events this device made: each must end up everywhere the record is.
    made: Vec<(RecordId, EventId)>,
    online: bool,
}

fn options() -> SyncOptions {
    SyncOptions {
        // Small pages, so that paging and cuts between pages are exercised.
        limits: Some(PageLimits {
            max_changes: 25,
            max_bytes: 64 * 1024,
        }),
        max_push_bytes: 16 * 1024,
        max_rounds: 500,
        ..SyncOptions::default()
    }
}

fn now() -> u64 {
    u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap()
}

/// Every record the device holds is in its scope, unless it still holds unsent changes of its
/// own (those are never dropped).
fn assert_scope_respected(d: &FieldDevice, label: &str) {
    for summary in d.device.replica.list("", None, usize::MAX, 0).unwrap() {
        let id = RecordId::new(summary.id.clone()).unwrap();
        let in_scope = d.scope.contains_at(
            &id,
            summary.unit.as_deref(),
            outpost_shared::sync::Cursor(u64::MAX),
        );
        assert!(
            in_scope || d.device.replica.is_unsent(&id).unwrap(),
            "{label}: device {} holds {} of unit {:?} outside its scope",
            d.device.author.device.as_str(),
            summary.id,
            summary.unit
        );
    }
}

fn try_sync(d: &mut FieldDevice) -> Result<(), SyncError> {
    let result = sync(&mut d.device.replica, &mut d.transport, options(), || {
        i64::try_from(now()).unwrap()
    });
    match result {
        Ok(_) => Ok(()),
        Err(SyncError::Transport(TransportError::Unreachable(_))) => Ok(()),
        Err(other) => Err(other),
    }
}

/// One random piece of offline work on a record the device holds.
fn work(d: &mut FieldDevice, rng: &mut DemoRng, step: u64) {
    let held = d.device.replica.list("", None, usize::MAX, 0).unwrap();
    if held.is_empty() {
        return;
    }
    let pick = &held[rng.below(held.len() as u64) as usize];
    let id = RecordId::new(pick.id.clone()).unwrap();
    let action = match rng.below(10) {
        0..=2 => Action::Claimed,
        3..=5 => Action::Answered {
            outcome: vec![
                "in_district".into(),
                "home_quarantine".into(),
                "elderly".into(),
            ],
            note: Some(format!("step {step}")),
        },
        6 => Action::Reassigned {
            to_unit: if pick.unit.as_deref() == Some(TOWN_A) {
                TOWN_B
            } else {
                TOWN_A
            }
            .into(),
            reason: Some("moved".into()),
        },
        _ => {
            // A corrected phone number: a field edit rather than an event.
            let author = d.device.author.clone();
            d.device
                .replica
                .write(|w| {
                    let mut record = w.load(&id)?.unwrap();
                    record
                        .set_field(&author, "phone", &format!("139{:08}", step))
                        .map_err(|e| ReplicaError::record(id.to_string(), e))?;
                    w.save(&mut record)
                })
                .unwrap();
            return;
        }
    };
    // What the app does: the action is checked against what this replica knows, and a device
    // never writes what its own check refuses (the server would refuse it too).
    let state = d.device.replica.load(&id).unwrap().unwrap().state();
    let Some(command) = Command::of_action(&action) else {
        return;
    };
    let rules = &*RULES;
    let context = Context {
        program: &rules.0,
        jurisdictions: &rules.1,
        role: "worker",
    };
    if check(&context, &state, &Facts::default(), &command).is_err() {
        return;
    }
    let author = d.device.author.clone();
    let clock = &mut d.device.clock;
    let event = d
        .device
        .replica
        .write(|w| {
            let mut record = w.load(&id)?.unwrap();
            let event = record
                .append(&author, clock, now(), action)
                .map_err(|e| ReplicaError::record(id.to_string(), e))?;
            w.save(&mut record)?;
            Ok(event)
        })
        .unwrap();
    d.made.push((id, event));
}

/// The district's list: `count` persons imported through the server, alternately for town A
/// (南沙街道) and town B (珠江街道), as the district administrator imports them.
fn import_list(admin: &Admin, count: usize) {
    let rows: Vec<Vec<String>> = outpost_shared::demo::people(11, count, &[TOWN_A, TOWN_B])
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let town = if n % 2 == 0 {
                "南沙街道"
            } else {
                "珠江街道"
            };
            vec![
                p.name,
                p.phone,
                p.id_number,
                "密接".to_owned(),
                town.to_owned(),
            ]
        })
        .collect();
    admin
        .import(
            W1,
            DISTRICT,
            &["姓名", "手机号码", "身份证号码", "密接类型", "所属镇街"],
            &rows,
        )
        .unwrap();
}

/// Runs the whole scenario against `servers` (one or two instances of one ledger).
fn scenario(servers: &mut [ServerProcess], seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let admin = Admin::new(&servers[0].url());
    let people = [
        ("district-leader", "leader", DISTRICT),
        ("a-worker-1", "worker", TOWN_A),
        ("a-worker-2", "worker", TOWN_A),
        ("a-worker-3", "worker", TOWN_A),
        ("b-worker-1", "worker", TOWN_B),
    ];
    let faults = Faults {
        drop_request: 80,
        drop_response: 120,
        duplicate: 80,
        replay_old: 80,
    };
    let mut devices: Vec<FieldDevice> = Vec::new();
    for (n, (user, role, unit)) in people.iter().enumerate() {
        admin.create_user(user, role, unit).unwrap();
        let (device_id, token) = admin.enrol(user).unwrap();
        let url = servers[n % servers.len()].url();
        devices.push(FieldDevice {
            device: Device::open(dir.path(), user, &device_id).unwrap(),
            scope: Scope::of_units([*unit]),
            transport: FaultyTransport::new(&url, &token, faults, seed + n as u64),
            made: Vec::new(),
            online: true,
        });
    }
    import_list(&admin, 40);
    // The district's list goes up without faults first, so that everyone has work.
    devices[0].transport.faults = Faults {
        drop_request: 0,
        drop_response: 0,
        duplicate: 0,
        replay_old: 0,
    };
    try_sync(&mut devices[0]).unwrap();
    devices[0].transport.faults = faults;

    let mut rng = DemoRng::new(seed);
    let mut kills = 0;
    for step in 0..240u64 {
        let n = rng.below(devices.len() as u64) as usize;
        match rng.below(10) {
            0 => devices[n].online = !devices[n].online,
            1..=5 => work(&mut devices[n], &mut rng, step),
            _ if devices[n].online => {
                try_sync(&mut devices[n]).unwrap();
                assert_scope_respected(&devices[n], "after a sync");
            }
            _ => {}
        }
        if step % 80 == 40 {
            // SIGKILL a server while a device is in the middle of a sync, then restart it.
            let s = rng.below(servers.len() as u64) as usize;
            let pid = servers[s].pid().unwrap();
            let delay = Duration::from_millis(rng.below(40));
            let killer = std::thread::spawn(move || {
                std::thread::sleep(delay);
                let _ = std::process::Command::new("kill")
                    .args(["-9", &pid.to_string()])
                    .status();
            });
            let _ = try_sync(&mut devices[n]);
            killer.join().unwrap();
            servers[s].restart().unwrap();
            kills += 1;
        }
    }
    assert!(kills >= 2);

    // Everyone comes back online; the network heals; two full passes settle everything.
    for d in &mut devices {
        d.online = true;
        d.transport.faults = Faults {
            drop_request: 0,
            drop_response: 0,
            duplicate: 0,
            replay_old: 0,
        };
    }
    for _ in 0..3 {
        for d in &mut devices {
            try_sync(d).unwrap();
            assert_scope_respected(d, "while settling");
        }
    }

    // The district leader's device holds the whole district: compare everyone against it.
    let (district, others) = devices.split_first_mut().unwrap();
    let all: BTreeMap<String, _> = district
        .device
        .replica
        .list("", None, usize::MAX, 0)
        .unwrap()
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    assert_eq!(all.len(), 40, "the district device lost or gained records");
    for d in others.iter_mut() {
        assert_eq!(d.device.replica.outbox_status().unwrap().waiting_records, 0);
        let held: BTreeSet<String> = d
            .device
            .replica
            .list("", None, usize::MAX, 0)
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        let expected: BTreeSet<String> = all
            .values()
            .filter(|s| s.unit.as_deref().is_some_and(|u| d.scope.covers_unit(u)))
            .map(|s| s.id.clone())
            .collect();
        assert_eq!(
            held,
            expected,
            "device {} holds the wrong records",
            d.device.author.device.as_str()
        );
        for id in &held {
            let rid = RecordId::new(id.clone()).unwrap();
            let mut mine = d.device.replica.load(&rid).unwrap().unwrap();
            let mut theirs = district.device.replica.load(&rid).unwrap().unwrap();
            assert_eq!(mine.heads(), theirs.heads(), "record {id} differs");
            assert_eq!(
                d.device.replica.summary(&rid).unwrap(),
                district.device.replica.summary(&rid).unwrap()
            );
        }
    }
    // No event any device made is missing from the district's copy.
    for d in std::iter::once(&*district).chain(others.iter()) {
        for (id, event) in &d.made {
            let record = district.device.replica.load(id).unwrap().unwrap();
            let (events, _) = record.events();
            assert!(
                events.iter().any(|e| &e.id == event),
                "event {event} on {id} was lost"
            );
        }
    }
    let made: usize = std::iter::once(&*district)
        .chain(others.iter())
        .map(|d| d.made.len())
        .sum();
    assert!(
        made > 50,
        "the scenario did too little work ({made} events)"
    );
    let held: Vec<u64> = others
        .iter()
        .map(|d| d.device.replica.record_count().unwrap())
        .collect();
    eprintln!("scenario: {made} events, {kills} server kills, records per town device {held:?}");

    // A revoked device is refused at its next request.
    let revoked = &mut others[0];
    admin.revoke(revoked.device.author.device.as_str()).unwrap();
    let error = sync(
        &mut revoked.device.replica,
        &mut revoked.transport,
        options(),
        || 0,
    )
    .unwrap_err();
    assert!(
        matches!(
            error,
            SyncError::Transport(TransportError::Refused { status: 403, .. })
        ),
        "{error}"
    );
}

#[test]
fn five_devices_and_a_killed_sqlite_server_converge_within_their_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("ledger.db").display().to_string();
    let mut servers =
        vec![ServerProcess::start(&database, &free_address(), "child_server").unwrap()];
    scenario(&mut servers, 7);
}

/// PostgreSQL: the test script starts a server on loopback and sets `OUTPOST_TEST_POSTGRES` to a
/// connection string for an empty database. Under CI the variable is required.
fn postgres_url(database: &str) -> Option<String> {
    match std::env::var("OUTPOST_TEST_POSTGRES") {
        Ok(base) => {
            let admin = format!("{base}/postgres");
            let mut client = postgres_client(&admin);
            client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {database}"))
                .unwrap();
            client
                .batch_execute(&format!("CREATE DATABASE {database}"))
                .unwrap();
            Some(format!("{base}/{database}"))
        }
        Err(_) if std::env::var("CI").is_ok() => {
            panic!("OUTPOST_TEST_POSTGRES is not set: the test script must start PostgreSQL")
        }
        Err(_) => {
            eprintln!(
                "OUTPOST_TEST_POSTGRES not set: skipping the PostgreSQL run (run scripts/test.sh)"
            );
            None
        }
    }
}

fn postgres_client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

#[test]
fn two_servers_sharing_postgres_serve_the_same_devices() {
    let Some(url) = postgres_url("outpost_e2e_two_servers") else {
        return;
    };
    let mut servers = vec![
        ServerProcess::start(&url, &free_address(), "child_server").unwrap(),
        ServerProcess::start(&url, &free_address(), "child_server").unwrap(),
    ];
    scenario(&mut servers, 11);
}
