//! The deadline engine on both ledger stores: W1's ladders fire on time and escalate, work done
//! offline before a deadline resolves the alert with both times, a move starts fresh clocks,
//! wall-clock and recurring rules, restarts and two engines fire nothing twice, notifications
//! are handed over once. The clock is injected: hours of deadlines run in milliseconds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::i18n::Lang;
use outpost_shared::jurisdiction::Jurisdictions;
use outpost_shared::program::Program;
use outpost_shared::record::{
    Action, Author, NewRecord, Record, RecordId, RecordKind, TaskStatus, UserId,
};
use outpost_shared::sync::ledger::{self, Peer};
use outpost_shared::sync::{Cursor, RecordChanges, Scope};
use outpost_shared::task::alert;
use outpost_sync_server::AnyStore;
use outpost_sync_server::config::Database;
use outpost_sync_server::engine::{AlertNotice, AlertOutbox, Engine};
use outpost_sync_server::store::Store;
use outpost_sync_server::store::tasks::DeadlineState;

const W1: &str = "w1-close-contact-whereabouts";
const TOWN_A: &str = "440115001";
const TOWN_B: &str = "440115002";
const MIN: i64 = 60_000;
/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;

fn stores(name: &str) -> Vec<(String, AnyStore, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = AnyStore::open(&Database::Sqlite(dir.path().join("ledger.db")), 1).unwrap();
    let mut all = vec![("sqlite".to_owned(), sqlite, Some(dir))];
    match std::env::var("OUTPOST_TEST_POSTGRES") {
        Ok(base) => {
            let name = format!("deadlines_{name}");
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

fn assets() -> (Jurisdictions, Vec<Program>) {
    let loaded =
        outpost_sync_server::assets::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"))
            .unwrap();
    (loaded.jurisdictions, loaded.programs)
}

/// The assets and the TOML-only test program (shared/tests/programs/isolation-follow-up.toml).
fn assets_with_isolation() -> (Jurisdictions, Vec<Program>) {
    let (tree, mut programs) = assets();
    programs.push(
        Program::from_toml_str(
            include_str!("../../shared/tests/programs/isolation-follow-up.toml"),
            "isolation-follow-up.toml",
        )
        .unwrap(),
    );
    (tree, programs)
}

/// A user at a device, pushing straight into the ledger as a sync would.
struct Device {
    author: Author,
    clock: HlcClock,
}

impl Device {
    fn new(user: &str, device: &str) -> Self {
        let id = DeviceId::new(device).unwrap();
        Self {
            author: Author {
                user: UserId::new(user).unwrap(),
                device: id.clone(),
            },
            clock: HlcClock::new(id),
        }
    }

    fn create(&mut self, id: &str, unit: &str, batch: &str, at: i64) -> Record {
        self.create_in(W1, id, unit, batch, at)
    }

    fn create_in(&mut self, program: &str, id: &str, unit: &str, batch: &str, at: i64) -> Record {
        Record::create(
            NewRecord {
                id: RecordId::new(id).unwrap(),
                kind: RecordKind::Person,
                program: program.into(),
                unit: unit.into(),
                batch: Some(batch.into()),
                fields: vec![("name".into(), "测试".into())],
            },
            &self.author,
            &mut self.clock,
            u64::try_from(at).unwrap(),
        )
        .unwrap()
    }

    /// Appends an event made at device time `at`; returns the new changes.
    fn act(&mut self, record: &mut Record, at: i64, action: Action) -> Vec<Vec<u8>> {
        let heads = record.heads();
        record
            .append(
                &self.author,
                &mut self.clock,
                u64::try_from(at).unwrap(),
                action,
            )
            .unwrap();
        record
            .changes_since(&heads)
            .into_iter()
            .map(|(_, b)| b)
            .collect()
    }

    fn push(&self, store: &AnyStore, received_at: i64, records: Vec<(RecordId, Vec<Vec<u8>>)>) {
        let scope = Scope::of_units(["440115"]);
        let push: Vec<RecordChanges> = records
            .into_iter()
            .map(|(record, changes)| RecordChanges { record, changes })
            .collect();
        let report = store
            .transaction(|tx| {
                ledger::push(
                    tx,
                    Peer {
                        device: self.author.device.as_str(),
                        scope: &scope,
                    },
                    Cursor(0),
                    received_at,
                    &push,
                )
            })
            .unwrap();
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
    }
}

fn all_changes(record: &mut Record) -> (RecordId, Vec<Vec<u8>>) {
    (
        record.id().clone(),
        record
            .changes_since(&[])
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
    )
}

/// Imports `count` persons of batch `batch` to `unit` at `at`.
fn import(
    store: &AnyStore,
    district: &mut Device,
    batch: &str,
    unit: &str,
    count: usize,
    at: i64,
) -> Vec<Record> {
    let mut records: Vec<Record> = (0..count)
        .map(|i| district.create(&format!("{batch}-{unit}-{i}"), unit, batch, at))
        .collect();
    let pushed = records.iter_mut().map(all_changes).collect();
    district.push(store, at, pushed);
    records
}

/// Every alert record in the ledger, loaded.
fn alerts(store: &AnyStore) -> Vec<Record> {
    store
        .transaction(|tx| {
            let max = tx.max_seq()?;
            let ids: Vec<RecordId> = tx
                .records_changed_since(0, 100_000)?
                .into_iter()
                .filter(|r| r.kind == RecordKind::Alert)
                .map(|r| r.id)
                .collect();
            let mut out = Vec::new();
            for id in ids {
                let bytes = tx.changes_of(&id, 0, max, None)?.concat();
                out.push(Record::load(&bytes).unwrap());
            }
            Ok(out)
        })
        .unwrap()
}

fn field(record: &Record, key: &str) -> String {
    record.field(key).map(|f| f.value).unwrap_or_default()
}

fn counts(store: &AnyStore) -> Vec<(DeadlineState, i64)> {
    store.transaction(|tx| tx.deadline_counts()).unwrap()
}

#[test]
fn w1_claim_alerts_fire_at_10_and_30_minutes_and_offline_work_resolves_them_with_both_times() {
    let (tree, programs) = assets();
    for (name, store, _dir) in stores("w1_ladder") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut town = Device::new("town-worker", "town-phone");
        let mut persons = import(&store, &mut district, "B1", TOWN_A, 3, T0);

        let report = engine.settle(&store, &tree, T0 + 1_000).unwrap();
        assert_eq!((report.tasks, report.scheduled), (1, 4), "{name}");
        assert_eq!(
            engine
                .settle(&store, &tree, T0 + 10 * MIN - 1)
                .unwrap()
                .fired,
            0,
            "{name}"
        );
        assert_eq!(
            engine.settle(&store, &tree, T0 + 10 * MIN).unwrap().fired,
            1,
            "{name}"
        );
        let raised = alerts(&store);
        assert_eq!(raised.len(), 1, "{name}");
        assert_eq!(
            raised[0].state().unit.as_deref(),
            Some(TOWN_A),
            "{name}: the town leader's alert stays in the town"
        );
        assert_eq!(
            field(&raised[0], alert::fields::PERSONS).split(' ').count(),
            3,
            "{name}"
        );
        assert!(
            field(&raised[0], alert::fields::TITLE)
                .starts_with("认领时限第 1 步（10分钟）：南沙街道 3/3 人未认领"),
            "{name}"
        );

        // Two claimed online at 12 min; the third claimed offline at 25 min, synced at 35 min.
        let mut pushed = Vec::new();
        for person in persons.iter_mut().take(2) {
            pushed.push((
                person.id().clone(),
                town.act(person, T0 + 12 * MIN, Action::Claimed),
            ));
        }
        town.push(&store, T0 + 12 * MIN, pushed);
        let report = engine.settle(&store, &tree, T0 + 12 * MIN).unwrap();
        assert_eq!(report.resolved, 0, "{name}: one person is still unclaimed");
        let offline_claim = town.act(&mut persons[2], T0 + 25 * MIN, Action::Claimed);

        assert_eq!(
            engine.settle(&store, &tree, T0 + 30 * MIN).unwrap().fired,
            1,
            "{name}"
        );
        let district_alert = alerts(&store)
            .into_iter()
            .find(|a| a.state().unit.as_deref() == Some("440115"))
            .expect("the 30-minute alert goes to the district");
        assert!(
            field(&district_alert, alert::fields::TITLE).contains("1/3"),
            "{name}"
        );

        town.push(
            &store,
            T0 + 35 * MIN,
            vec![(persons[2].id().clone(), offline_claim)],
        );
        let report = engine.settle(&store, &tree, T0 + 35 * MIN).unwrap();
        assert_eq!(report.resolved, 2, "{name}: both claim alerts resolve");
        for raised in alerts(&store) {
            let state = raised.state();
            assert_eq!(state.status, TaskStatus::Answered, "{name}");
            let resolution = state.alert_resolution.unwrap();
            assert_eq!(resolution.completed_ms, T0 + 25 * MIN, "{name}");
            assert_eq!(resolution.synced_ms, T0 + 35 * MIN, "{name}");
            assert_eq!(
                alert::resolution_text(&resolution, Lang::Zh),
                "已于 09:25 离线完成，09:35 同步",
                "{name}"
            );
        }

        // A restarted engine (or a second instance) finds nothing to do twice.
        let again = Engine::new(&programs).unwrap();
        let report = again.settle(&store, &tree, T0 + 36 * MIN).unwrap();
        assert_eq!((report.fired, report.resolved), (0, 0), "{name}");
        assert_eq!(alerts(&store).len(), 2, "{name}");
        // The answer ladder (2 h, 3 h) is still open.
        assert!(
            counts(&store).contains(&(DeadlineState::Open, 2)),
            "{name}: {:?}",
            counts(&store)
        );
    }
}

#[test]
fn work_done_offline_before_the_deadline_but_synced_after_it_resolves_the_alert() {
    let (tree, programs) = assets();
    for (name, store, _dir) in stores("offline_before") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut town = Device::new("town-worker", "town-phone");
        let mut persons = import(&store, &mut district, "B2", TOWN_A, 1, T0);
        engine.settle(&store, &tree, T0).unwrap();
        let claim = town.act(&mut persons[0], T0 + 5 * MIN, Action::Claimed);
        // The server has not seen the claim at 10 min: the alert is raised.
        assert_eq!(
            engine.settle(&store, &tree, T0 + 10 * MIN).unwrap().fired,
            1,
            "{name}"
        );
        town.push(
            &store,
            T0 + 20 * MIN,
            vec![(persons[0].id().clone(), claim)],
        );
        let report = engine.settle(&store, &tree, T0 + 20 * MIN).unwrap();
        assert_eq!(report.resolved, 1, "{name}");
        assert_eq!(
            report.met, 1,
            "{name}: the 30-minute step is met, never raised"
        );
        let resolution = alerts(&store)[0].state().alert_resolution.unwrap();
        assert_eq!(
            alert::resolution_text(&resolution, Lang::En),
            "completed offline at 09:05, synced 09:20",
            "{name}"
        );
        assert_eq!(
            engine.settle(&store, &tree, T0 + 31 * MIN).unwrap().fired,
            0,
            "{name}"
        );
    }
}

#[test]
fn a_person_moved_to_another_town_starts_a_task_there_with_fresh_clocks() {
    let (tree, programs) = assets();
    for (name, store, _dir) in stores("moves") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut town = Device::new("town-worker", "town-phone");
        let mut persons = import(&store, &mut district, "B3", TOWN_A, 2, T0);
        engine.settle(&store, &tree, T0).unwrap();
        let moved = town.act(
            &mut persons[0],
            T0 + 8 * MIN,
            Action::Reassigned {
                to_unit: TOWN_B.into(),
                reason: None,
            },
        );
        let claimed = town.act(&mut persons[1], T0 + 8 * MIN, Action::Claimed);
        town.push(
            &store,
            T0 + 8 * MIN,
            vec![
                (persons[0].id().clone(), moved),
                (persons[1].id().clone(), claimed),
            ],
        );
        let report = engine.settle(&store, &tree, T0 + 8 * MIN).unwrap();
        assert_eq!(report.tasks, 2, "{name}: the old task and the new one");
        // Town A's remaining person is claimed: its claim ladder is met. Town B's task counts
        // from the move (8 min), so its first alert comes at 18 min, not 10.
        assert_eq!(
            engine.settle(&store, &tree, T0 + 17 * MIN).unwrap().fired,
            0,
            "{name}"
        );
        assert_eq!(
            engine.settle(&store, &tree, T0 + 18 * MIN).unwrap().fired,
            1,
            "{name}"
        );
        let raised = alerts(&store);
        assert_eq!(raised.len(), 1, "{name}");
        assert_eq!(
            field(&raised[0], alert::fields::TASK_UNIT),
            TOWN_B,
            "{name}"
        );
        let tasks = store
            .transaction(|tx| tx.tasks_within("440115", 10))
            .unwrap();
        let town_a = tasks.iter().find(|t| t.key.unit == TOWN_A).unwrap();
        assert_eq!((town_a.members, town_a.claimed), (1, 1), "{name}");
    }
}

/// W1 with a wall-clock rule (17:00 the same day, then 12:00 the next day) and a daily 09:00
/// check, under W1's id so that the persons' records use it.
fn w1_with_wall_clock(programs: &[Program]) -> Vec<Program> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../assets/programs/w1-close-contact-whereabouts.toml"),
    )
    .unwrap();
    let extra = r#"
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
    let mut out: Vec<Program> = programs.iter().filter(|p| p.id() != W1).cloned().collect();
    out.push(Program::from_toml_str(&format!("{text}\n{extra}"), "w1.toml").unwrap());
    out
}

#[test]
fn wall_clock_and_daily_rules_fire_in_beijing_time_and_the_daily_check_repeats_until_done() {
    let (tree, programs) = assets();
    let programs = w1_with_wall_clock(&programs);
    for (name, store, _dir) in stores("wall_clock") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut town = Device::new("town-worker", "town-phone");
        // Imported at 09:00 on the 23rd.
        let mut persons = import(&store, &mut district, "B4", TOWN_A, 1, T0);
        engine.settle(&store, &tree, T0).unwrap();
        let rule_alerts = |store: &AnyStore, rule: &str| {
            alerts(store)
                .into_iter()
                .filter(|a| field(a, alert::fields::RULE) == rule)
                .count()
        };
        engine.settle(&store, &tree, T0 + 8 * 60 * MIN - 1).unwrap();
        assert_eq!(
            rule_alerts(&store, "same_day"),
            0,
            "{name}: not before 17:00"
        );
        engine.settle(&store, &tree, T0 + 8 * 60 * MIN).unwrap();
        assert_eq!(
            rule_alerts(&store, "same_day"),
            1,
            "{name}: 17:00 the same day"
        );
        // 09:00 on the 24th: the daily check; 12:00: the next-day step.
        engine.settle(&store, &tree, T0 + 24 * 60 * MIN).unwrap();
        assert_eq!(rule_alerts(&store, "daily"), 1, "{name}");
        engine.settle(&store, &tree, T0 + 27 * 60 * MIN).unwrap();
        assert_eq!(
            rule_alerts(&store, "same_day"),
            2,
            "{name}: 12:00 the next day"
        );
        engine.settle(&store, &tree, T0 + 48 * 60 * MIN).unwrap();
        assert_eq!(rule_alerts(&store, "daily"), 2, "{name}: again on the 25th");
        // Answered on the 25th at 10:00: every standing alert resolves, no check on the 26th.
        let answer = town.act(
            &mut persons[0],
            T0 + 49 * 60 * MIN,
            Action::Answered {
                outcome: vec!["cannot_locate".into()],
                note: Some("电话停机".into()),
            },
        );
        town.push(
            &store,
            T0 + 49 * 60 * MIN,
            vec![(persons[0].id().clone(), answer)],
        );
        engine.settle(&store, &tree, T0 + 49 * 60 * MIN).unwrap();
        engine.settle(&store, &tree, T0 + 72 * 60 * MIN).unwrap();
        assert_eq!(
            rule_alerts(&store, "daily"),
            2,
            "{name}: no check after the work is done"
        );
        assert!(
            alerts(&store)
                .iter()
                .all(|a| a.state().alert_resolution.is_some()),
            "{name}"
        );
    }
}

#[test]
fn two_engines_on_one_ledger_raise_each_alert_once() {
    let (tree, programs) = assets();
    for (name, store, _dir) in stores("two_engines") {
        let store = Arc::new(store);
        let mut district = Device::new("district-admin", "district-pc");
        for (i, town) in ["440115001", "440115002", "440115003", "440115004"]
            .iter()
            .enumerate()
        {
            import(&store, &mut district, &format!("B5{i}"), town, 5, T0);
        }
        let engines: Vec<Arc<Engine>> = (0..2)
            .map(|_| Arc::new(Engine::new(&programs).unwrap()))
            .collect();
        let mut threads = Vec::new();
        for engine in engines {
            let (store, tree) = (store.clone(), tree.clone());
            threads.push(std::thread::spawn(move || {
                let mut fired = 0;
                for minute in 0..=35 {
                    fired += engine
                        .settle(store.as_ref(), &tree, T0 + minute * MIN)
                        .unwrap()
                        .fired;
                }
                fired
            }));
        }
        let fired: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(
            fired, 8,
            "{name}: 4 tasks × 2 claim steps, whichever engine fired them"
        );
        assert_eq!(alerts(&store).len(), 8, "{name}");
    }
}

/// An outbox that, like the real one, keeps one notice per idempotency key.
#[derive(Default)]
struct Recorder {
    notices: Mutex<std::collections::BTreeMap<String, AlertNotice>>,
    calls: Mutex<usize>,
    failures_left: Mutex<usize>,
}

impl AlertOutbox for Recorder {
    fn enqueue(&self, notice: &AlertNotice, _now_ms: i64) -> Result<(), String> {
        let mut failures = self.failures_left.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            return Err("outbox unavailable".into());
        }
        *self.calls.lock().unwrap() += 1;
        self.notices
            .lock()
            .unwrap()
            .entry(notice.idempotency_key.clone())
            .or_insert_with(|| notice.clone());
        Ok(())
    }
}

#[test]
fn each_alert_is_handed_to_the_outbox_once_per_recipient_and_retried_if_the_outbox_fails() {
    let (tree, programs) = assets();
    for (name, store, _dir) in stores("notices") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        import(&store, &mut district, "B6", "440115003", 2, T0);
        engine.settle(&store, &tree, T0).unwrap();
        engine.settle(&store, &tree, T0 + 10 * MIN).unwrap();
        let recorder = Recorder::default();
        *recorder.failures_left.lock().unwrap() = 1;
        assert_eq!(
            engine
                .notify(&store, &tree, &recorder, T0 + 10 * MIN)
                .unwrap(),
            0,
            "{name}"
        );
        assert_eq!(
            engine
                .notify(&store, &tree, &recorder, T0 + 10 * MIN)
                .unwrap(),
            2,
            "{name}"
        );
        assert_eq!(
            engine
                .notify(&store, &tree, &recorder, T0 + 11 * MIN)
                .unwrap(),
            0,
            "{name}"
        );
        // The failed hand-over was repeated whole; the keys made the repeat harmless.
        assert_eq!(*recorder.calls.lock().unwrap(), 3, "{name}");
        let notices: Vec<AlertNotice> =
            recorder.notices.lock().unwrap().values().cloned().collect();
        let mut recipients: Vec<&str> = notices.iter().map(|n| n.recipient.as_str()).collect();
        recipients.sort_unstable();
        assert_eq!(
            recipients,
            vec!["task_force_group", "town_leader"],
            "{name}"
        );
        let leader = notices
            .iter()
            .find(|n| n.recipient == "town_leader")
            .unwrap();
        assert_eq!(leader.unit, "440115003", "{name}");
        assert!(leader.idempotency_key.starts_with("alert-"), "{name}");
        assert!(
            leader.title.starts_with("认领时限第 1 步（10分钟）："),
            "{name}: {}",
            leader.title
        );
        assert!(
            leader
                .lines
                .iter()
                .any(|l| l.contains("未认领：2 人 / 共 2 人")),
            "{name}: {:?}",
            leader.lines
        );
        assert!(
            leader
                .lines
                .iter()
                .any(|l| l.contains("镇街领导、流调溯源专班")),
            "{name}: {:?}",
            leader.lines
        );
    }
}

/// A program written only in TOML (shared/tests/programs/isolation-follow-up.toml) waits for
/// its own statuses: `until = { status_in = [...] }` raises the alert at 2 h while the person
/// is still 待处置, and a declared step taken offline before that resolves it when it syncs.
#[test]
fn a_rule_waiting_for_declared_statuses_fires_and_a_step_taken_offline_resolves_it() {
    let (tree, programs) = assets_with_isolation();
    const JINSHA: &str = "440115001001";
    for (name, store, _dir) in stores("declared_statuses") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut worker = Device::new("community-worker", "community-phone");
        let mut person = district.create_in("isolation-follow-up", "iso-1", JINSHA, "B9", T0);
        district.push(&store, T0, vec![all_changes(&mut person)]);
        engine.settle(&store, &tree, T0).unwrap();
        // Claimed is not handled: the rule waits for a declared status.
        let claim = worker.act(&mut person, T0 + 30 * MIN, Action::Claimed);
        worker.push(&store, T0 + 31 * MIN, vec![(person.id().clone(), claim)]);
        assert_eq!(
            engine.settle(&store, &tree, T0 + 119 * MIN).unwrap().fired,
            0,
            "{name}"
        );
        let step = worker.act(
            &mut person,
            T0 + 110 * MIN,
            Action::Transitioned {
                action: "start_home_isolation".into(),
                from: "claimed".into(),
                to: "home_isolation".into(),
                outcome: Vec::new(),
                inputs: [("seal_intact".to_owned(), "true".to_owned())].into(),
                note: None,
            },
        );
        assert_eq!(
            engine.settle(&store, &tree, T0 + 120 * MIN).unwrap().fired,
            1,
            "{name}: not handled as far as the server knows at 2 h"
        );
        let raised = alerts(&store);
        assert!(
            field(&raised[0], alert::fields::TITLE).contains("未办结"),
            "{name}: {}",
            field(&raised[0], alert::fields::TITLE)
        );
        worker.push(&store, T0 + 130 * MIN, vec![(person.id().clone(), step)]);
        let report = engine.settle(&store, &tree, T0 + 130 * MIN).unwrap();
        assert_eq!(report.resolved, 1, "{name}");
        let resolution = alerts(&store)[0].state().alert_resolution.unwrap();
        assert_eq!(
            alert::resolution_text(&resolution, Lang::En),
            "completed offline at 10:50, synced 11:10",
            "{name}"
        );
    }
}

/// 解除隔离 in the TOML-only program tells the community's leader at once: one notice per step
/// taken, handed over once whatever re-reads the record or restarts the engine, without
/// personal data, retried if the outbox fails.
#[test]
fn a_step_that_tells_someone_is_handed_over_once_at_once() {
    let (tree, programs) = assets_with_isolation();
    const JINSHA: &str = "440115001001";
    for (name, store, _dir) in stores("step_notices") {
        let engine = Engine::new(&programs).unwrap();
        let mut district = Device::new("district-admin", "district-pc");
        let mut leader = Device::new("community-leader", "leader-phone");
        let mut person = district.create_in("isolation-follow-up", "iso-n", JINSHA, "B7", T0);
        district.push(&store, T0, vec![all_changes(&mut person)]);
        let step = |action: &str, from: &str, to: &str, inputs: &[(&str, &str)], note| {
            Action::Transitioned {
                action: action.into(),
                from: from.into(),
                to: to.into(),
                outcome: Vec::new(),
                inputs: inputs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
                note,
            }
        };
        // Sent to a central site (no notice declared), then released (told at once).
        let mut changes = leader.act(
            &mut person,
            T0 + MIN,
            step(
                "send_to_central",
                "pending",
                "central_isolation",
                &[("isolation_site", "南沙酒店")],
                None,
            ),
        );
        changes.extend(leader.act(
            &mut person,
            T0 + 2 * MIN,
            step(
                "release",
                "central_isolation",
                "released",
                &[],
                Some("期满".into()),
            ),
        ));
        leader.push(&store, T0 + 3 * MIN, vec![(person.id().clone(), changes)]);
        engine.settle(&store, &tree, T0 + 3 * MIN).unwrap();

        let recorder = Recorder::default();
        *recorder.failures_left.lock().unwrap() = 1;
        assert_eq!(
            engine
                .notify(&store, &tree, &recorder, T0 + 3 * MIN)
                .unwrap(),
            0,
            "{name}: the outbox failed, nothing handed over"
        );
        assert_eq!(
            engine
                .notify(&store, &tree, &recorder, T0 + 4 * MIN)
                .unwrap(),
            1,
            "{name}: retried"
        );
        let notices: Vec<AlertNotice> =
            recorder.notices.lock().unwrap().values().cloned().collect();
        assert_eq!(notices.len(), 1, "{name}: {notices:?}");
        let notice = &notices[0];
        assert_eq!(notice.recipient, "community_leader");
        assert_eq!(notice.unit, JINSHA);
        assert_eq!(notice.link, "people/iso-n");
        assert!(notice.title.contains("解除隔离"), "{}", notice.title);
        assert!(notice.title.contains("已解除隔离"), "{}", notice.title);
        assert!(notice.title.contains("金沙社区"), "{}", notice.title);
        let text = format!("{} {}", notice.title, notice.lines.join(" "));
        assert!(!text.contains("测试"), "no personal data: {text}");

        // The record read again (another change) and a new engine: nothing more.
        let edit = leader.act(
            &mut person,
            T0 + 5 * MIN,
            Action::ReviewResolved {
                marks: Vec::new(),
                note: None,
            },
        );
        leader.push(&store, T0 + 5 * MIN, vec![(person.id().clone(), edit)]);
        let again = Engine::new(&programs).unwrap();
        again.settle(&store, &tree, T0 + 6 * MIN).unwrap();
        assert_eq!(
            again
                .notify(&store, &tree, &recorder, T0 + 6 * MIN)
                .unwrap(),
            0,
            "{name}"
        );
        assert_eq!(*recorder.calls.lock().unwrap(), 1, "{name}");
    }
}
