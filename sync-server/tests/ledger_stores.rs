//! The service layer on both ledger stores: SQLite (a file) and PostgreSQL (the server the test
//! script starts on loopback; `OUTPOST_TEST_POSTGRES`, required under CI).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::sync::admission::Rules;
use outpost_shared::sync::ledger::{self, Peer};
use outpost_shared::sync::message::{
    PageLimits, PullItem, RecordChanges, SyncRequest, SyncResponse,
};
use outpost_shared::sync::{Cursor, RejectReason, Scope};
use outpost_sync_server::AnyStore;
use outpost_sync_server::config::Database;
use outpost_sync_server::quarantine::{PushTurns, Quarantine};
use outpost_sync_server::service::{self, EnrolRequest, NewUser};
use outpost_sync_server::store::Store;

fn stores(name: &str) -> Vec<(String, AnyStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = AnyStore::open(&Database::Sqlite(dir.path().join("ledger.db")), 1).unwrap();
    let mut all = vec![("sqlite".to_owned(), sqlite, Some(dir))];
    match std::env::var("OUTPOST_TEST_POSTGRES") {
        Ok(base) => {
            let mut admin =
                postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls).unwrap();
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .unwrap();
            let store = AnyStore::open(&Database::Postgres(format!("{base}/{name}")), 4).unwrap();
            all.push(("postgres".to_owned(), store, None));
        }
        Err(_) if std::env::var("CI").is_ok() => panic!("OUTPOST_TEST_POSTGRES is not set"),
        Err(_) => eprintln!("OUTPOST_TEST_POSTGRES not set: SQLite only (run scripts/test.sh)"),
    }
    all
}

fn user(store: &AnyStore, id: &str, unit: &str) {
    service::create_user(
        store,
        NewUser {
            id: id.into(),
            display_name: "测试".into(),
            role: "worker".into(),
            unit: unit.into(),
        },
        |code| code.starts_with("440115"),
        0,
    )
    .unwrap();
}

fn enrol(store: &AnyStore, user_id: &str, now: i64) -> (String, String) {
    let code = service::issue_enrolment_code(store, user_id, 60_000, now).unwrap();
    service::enrol(
        store,
        &EnrolRequest {
            protocol: 1,
            code: code.code.to_lowercase().replace('-', " "),
            label: "手机".into(),
        },
        now,
    )
    .map(|enrolled| (enrolled.device_id, enrolled.token))
    .unwrap()
}

/// One exchange, admitted against the shipped programs and tree as the server does.
fn sync(store: &AnyStore, token: &str, request: SyncRequest, now: i64) -> SyncResponse {
    let programs = outpost_shared::program::load_presets().unwrap();
    let tree = outpost_shared::jurisdiction::load_presets().unwrap();
    let (turns, quarantine) = (PushTurns::default(), Quarantine::default());
    let admission = service::Admission {
        rules: Rules {
            programs: &programs,
            jurisdictions: &tree,
        },
        turns: &turns,
        quarantine: &quarantine,
    };
    service::sync(store, token, request, PageLimits::DEFAULT, now, &admission)
        .unwrap()
        .response
}

/// A person the server imported into `unit` (stored through the server's own push), and the
/// claim that `user`'s device `device` makes of it.
fn imported_and_claimed(
    store: &AnyStore,
    id: &str,
    unit: &str,
    user: &str,
    device: &str,
) -> (Record, RecordChanges) {
    let import = DeviceId::new("server-import").unwrap();
    let importer = Author {
        user: UserId::new("import").unwrap(),
        device: import.clone(),
    };
    let mut record = Record::create(
        NewRecord {
            id: RecordId::new(id).unwrap(),
            kind: RecordKind::Person,
            program: "w1-close-contact-whereabouts".into(),
            unit: unit.into(),
            batch: None,
            fields: vec![("name".into(), "何伟".into())],
        },
        &importer,
        &mut HlcClock::new(import),
        1_000,
    )
    .unwrap();
    let creation = RecordChanges {
        record: record.id().clone(),
        changes: record
            .changes_since(&[])
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
    };
    let everywhere = Scope::of_units(["44"]);
    store
        .transaction(|tx| {
            let peer = Peer {
                device: "server-import",
                scope: &everywhere,
            };
            ledger::push(tx, peer, Cursor(0), 5, std::slice::from_ref(&creation))
        })
        .unwrap();
    let heads = record.heads();
    let device = DeviceId::new(device).unwrap();
    let author = Author {
        user: UserId::new(user).unwrap(),
        device: device.clone(),
    };
    record
        .append(&author, &mut HlcClock::new(device), 2_000, Action::Claimed)
        .unwrap();
    let claim = RecordChanges {
        record: record.id().clone(),
        changes: record
            .changes_since(&heads)
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
    };
    (record, claim)
}

#[test]
fn users_codes_devices_and_revocation() {
    for (name, store, _dir) in stores("outpost_test_admin") {
        user(&store, "w1", "440115001");
        let again = service::create_user(
            &store,
            NewUser {
                id: "w1".into(),
                display_name: "x".into(),
                role: "worker".into(),
                unit: "440115001".into(),
            },
            |_| true,
            0,
        );
        assert_eq!(again.unwrap_err().status, 409, "{name}");
        let bad_role = service::create_user(
            &store,
            NewUser {
                id: "w2".into(),
                display_name: "x".into(),
                role: "boss".into(),
                unit: "440115001".into(),
            },
            |_| true,
            0,
        );
        assert_eq!(bad_role.unwrap_err().body.error, "bad_role", "{name}");

        let code = service::issue_enrolment_code(&store, "w1", 60_000, 1_000).unwrap();
        let request = EnrolRequest {
            protocol: 1,
            code: code.code.clone(),
            label: "手机".into(),
        };
        let enrolled = service::enrol(&store, &request, 2_000).unwrap();
        assert_eq!(enrolled.unit, "440115001");
        let reused = service::enrol(&store, &request, 3_000).unwrap_err();
        assert_eq!(reused.body.error, "code_used", "{name}");
        let late = service::issue_enrolment_code(&store, "w1", 60_000, 1_000).unwrap();
        let expired = service::enrol(
            &store,
            &EnrolRequest {
                protocol: 1,
                code: late.code,
                label: String::new(),
            },
            61_001,
        )
        .unwrap_err();
        assert_eq!(expired.body.error, "code_expired", "{name}");
        let unknown = service::enrol(
            &store,
            &EnrolRequest {
                protocol: 1,
                code: "AAAAA-AAAAA".into(),
                label: String::new(),
            },
            0,
        )
        .unwrap_err();
        assert_eq!(unknown.body.error, "code_unknown", "{name}");

        let (device, _) = service::authenticate(&store, &enrolled.token).unwrap();
        assert!(
            store
                .transaction(|tx| tx.revoke_device(&device.id, 5_000))
                .unwrap()
        );
        assert_eq!(
            service::authenticate(&store, &enrolled.token)
                .unwrap_err()
                .status,
            403,
            "{name}"
        );
        assert_eq!(
            service::authenticate(&store, "forged").unwrap_err().status,
            401,
            "{name}"
        );
    }
}

#[test]
fn sync_keeps_scopes_and_moves_records_between_towns() {
    for (name, store, _dir) in stores("outpost_test_sync") {
        user(&store, "a", "440115001");
        user(&store, "b", "440115002");
        let (device_a, token_a) = enrol(&store, "a", 0);
        let (_, token_b) = enrol(&store, "b", 0);

        let (p1, claim_p1) = imported_and_claimed(&store, "p1", "440115001", "a", &device_a);
        let (_, claim_p2) = imported_and_claimed(&store, "p2", "440115002", "a", &device_a);
        let mut push = SyncRequest::new(Cursor(0));
        push.push = vec![claim_p1, claim_p2];
        let response = sync(&store, &token_a, push.clone(), 10);
        let p1_changes = push.push[0].changes.len() as u32;
        assert_eq!(response.push.accepted, p1_changes, "{name}");
        assert_eq!(response.push.rejected.len(), 1, "{name}");
        assert_eq!(response.push.rejected[0].reason, RejectReason::OutOfScope);
        // Re-sending is a no-op.
        let again = sync(&store, &token_a, push.clone(), 11);
        assert_eq!(
            (again.push.accepted, again.push.duplicates),
            (0, p1_changes),
            "{name}"
        );

        // Town B's device gets its own imported p2, never town A's p1.
        let pull_b = sync(&store, &token_b, SyncRequest::new(Cursor(0)), 12);
        assert!(
            pull_b.items.iter().all(
                |item| !matches!(item, PullItem::Whole { record, .. } if record.as_str() == "p1")
            ),
            "{name}: town B got town A's record"
        );

        // Town A reassigns p1 to town B: it leaves A's devices and arrives whole at B's.
        let mut doc = p1;
        let p1_changes = doc.changes_since(&[]).len() as u32;
        let heads = doc.heads();
        let device = DeviceId::new(device_a.as_str()).unwrap();
        let author = Author {
            user: UserId::new("a").unwrap(),
            device: device.clone(),
        };
        doc.append(
            &author,
            &mut HlcClock::new(device),
            3_000,
            Action::Reassigned {
                to_unit: "440115002".into(),
                reason: None,
            },
        )
        .unwrap();
        let mut move_request = SyncRequest::new(response.cursor);
        move_request.push = vec![RecordChanges {
            record: doc.id().clone(),
            changes: doc
                .changes_since(&heads)
                .into_iter()
                .map(|(_, b)| b)
                .collect(),
        }];
        let moved = sync(&store, &token_a, move_request.clone(), 13);
        assert_eq!(
            moved.items,
            vec![PullItem::Remove {
                record: doc.id().clone()
            }],
            "{name}"
        );
        let arrived = sync(&store, &token_b, SyncRequest::new(pull_b.cursor), 14);
        assert!(
            matches!(&arrived.items[..], [PullItem::Whole { changes, .. }] if changes.len() as u32 == p1_changes + 1),
            "{name}: {:?}",
            arrived.items
        );
        let devices = store.transaction(|tx| tx.devices()).unwrap();
        assert!(devices.iter().all(|d| d.last_sync_ms.is_some()), "{name}");
    }
}
