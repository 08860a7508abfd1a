//! Sync benchmarks (a bench binary that prints figures; every loop is bounded):
//!
//! 1. merge throughput: record changes per second the ledger accepts, pushed in device-sized
//!    batches straight into the store (SQLite file; PostgreSQL too when `OUTPOST_TEST_POSTGRES`
//!    is set);
//! 2. first sync of a community scope of 2,000 records (among 10,000 in the district) by a device
//!    with a real replica file, over HTTP to a server on loopback;
//! 3. incremental round trips (push 10 changes, pull) from 500 concurrently connected simulated
//!    devices, each syncing once a second at a random phase: latency percentiles (every push
//!    admitted by the server as in production);
//! 4. admission alone: loading a pushed record and applying and re-checking its change, per
//!    record, for a new record and one with 21 changes.
//!
//! `cargo bench -p outpost-sync-server --bench sync` (options: `--devices N`, `--rounds N`,
//! `--records N` for the merge, `--only merge|first-sync|concurrent|admission`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use outpost_shared::demo::DemoRng;
use outpost_shared::hlc::{DeviceId, HlcClock};
use outpost_shared::record::{Action, Author, NewRecord, Record, RecordId, RecordKind, UserId};
use outpost_shared::replica::Replica;
use outpost_shared::sync::client::{SyncOptions, sync};
use outpost_shared::sync::http::HttpTransport;
use outpost_shared::sync::ledger::{self, Peer};
use outpost_shared::sync::{Cursor, RecordChanges, Scope, SyncRequest, SyncResponse};
use outpost_sync_server::AnyStore;
use outpost_sync_server::config::{ConfigFile, Database};
use outpost_sync_server::service::{self, EnrolRequest, NewUser};
use outpost_sync_server::store::Store;

const DISTRICT: &str = "440115";
const COMMUNITY: &str = "440115001001";
const ADMIN_TOKEN: &str = "bench-admin-token-0123456789";

struct Writer {
    author: Author,
    clock: HlcClock,
}

impl Writer {
    fn new(device: &str) -> Result<Self> {
        let device = DeviceId::new(device)?;
        Ok(Self {
            author: Author {
                user: UserId::new("bench")?,
                device: device.clone(),
            },
            clock: HlcClock::new(device),
        })
    }

    fn person(&mut self, id: &str, unit: &str) -> Result<Record> {
        Ok(Record::create(
            NewRecord {
                id: RecordId::new(id)?,
                kind: RecordKind::Person,
                program: "w1-close-contact-whereabouts".into(),
                unit: unit.into(),
                batch: Some("bench".into()),
                fields: vec![
                    ("name".into(), "何伟".into()),
                    ("phone".into(), "13800000000".into()),
                    ("id_number".into(), "440115199001011234".into()),
                ],
            },
            &self.author,
            &mut self.clock,
            1_000,
        )?)
    }
}

fn all_changes(record: &mut Record) -> RecordChanges {
    RecordChanges {
        record: record.id().clone(),
        changes: record
            .changes_since(&[])
            .into_iter()
            .map(|(_, b)| b)
            .collect(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// 1. Merge throughput.
fn merge_throughput(store: &AnyStore, label: &str, records: usize) -> Result<()> {
    let mut writer = Writer::new("bench-merge")?;
    let mut creations = Vec::with_capacity(records);
    let mut docs = Vec::with_capacity(records);
    for n in 0..records {
        let mut record = writer.person(&format!("merge-{label}-{n:06}"), "440115001")?;
        creations.push(all_changes(&mut record));
        docs.push(record);
    }
    let mut claims = Vec::with_capacity(records);
    for record in &mut docs {
        let heads = record.heads();
        record.append(&writer.author, &mut writer.clock, 2_000, Action::Claimed)?;
        claims.push(RecordChanges {
            record: record.id().clone(),
            changes: record
                .changes_since(&heads)
                .into_iter()
                .map(|(_, b)| b)
                .collect(),
        });
    }
    let scope = Scope::of_units([DISTRICT]);
    for (what, batches) in [
        ("new records", &creations),
        ("events on existing records", &claims),
    ] {
        let count: usize = batches.iter().map(|r| r.changes.len()).sum();
        let started = Instant::now();
        for batch in batches.chunks(250) {
            let report = store.transaction(|tx| {
                ledger::push(
                    tx,
                    Peer {
                        device: "bench-merge",
                        scope: &scope,
                    },
                    Cursor(0),
                    0,
                    batch,
                )
            })?;
            if !report.rejected.is_empty() {
                return Err(anyhow!("rejected: {:?}", report.rejected[0]));
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "merge [{label}] {what}: {count} changes in {:.3} s = {:.0} changes/s (batches of 250 records)",
            secs,
            count as f64 / secs
        );
    }
    Ok(())
}

/// A server on loopback in a background thread; returns its URL.
fn start_server(database: &str) -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let config = ConfigFile {
        listen: Some(address),
        database: Some(database.to_owned()),
        admin_token: Some(ADMIN_TOKEN.into()),
        assets: Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")),
        ..ConfigFile::default()
    }
    .resolve()?;
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            outpost_sync_server::serve(listener, config, std::future::pending())
                .await
                .expect("serve");
        });
    });
    let url = format!("http://{address}");
    let client = reqwest::blocking::Client::new();
    for _ in 0..600 {
        if client.get(format!("{url}/health")).send().is_ok() {
            return Ok(url);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(anyhow!("the server did not start"))
}

/// A user at `unit` with one enrolled device: (device id, credential).
fn enrol(store: &AnyStore, user: &str, unit: &str) -> Result<(String, String)> {
    service::create_user(
        store,
        NewUser {
            id: user.into(),
            display_name: user.into(),
            role: "worker".into(),
            unit: unit.into(),
        },
        |_| true,
        0,
    )
    .map_err(|e| anyhow!(e.body.message))?;
    let code = service::issue_enrolment_code(store, user, 3_600_000, 0)
        .map_err(|e| anyhow!(e.body.message))?;
    service::enrol(
        store,
        &EnrolRequest {
            protocol: 1,
            code: code.code,
            label: user.into(),
        },
        0,
    )
    .map(|enrolled| (enrolled.device_id, enrolled.token))
    .map_err(|e| anyhow!(e.body.message))
}

/// 2. First sync of a 2,000-record community.
fn first_sync(dir: &std::path::Path) -> Result<()> {
    let path = dir.join("first-sync-ledger.db");
    let store = AnyStore::open(&Database::Sqlite(path.clone()), 1)?;
    let mut writer = Writer::new("bench-import")?;
    let mut batch = Vec::new();
    for n in 0..10_000 {
        // 2,000 in the community, the rest elsewhere in the district.
        let unit = if n % 5 == 0 { COMMUNITY } else { "440115002" };
        batch.push(all_changes(
            &mut writer.person(&format!("first-{n:05}"), unit)?,
        ));
    }
    let scope = Scope::of_units([DISTRICT]);
    for chunk in batch.chunks(500) {
        store.transaction(|tx| {
            ledger::push(
                tx,
                Peer {
                    device: "bench-import",
                    scope: &scope,
                },
                Cursor(0),
                0,
                chunk,
            )
        })?;
    }
    let (_, token) = enrol(&store, "community-worker", COMMUNITY)?;
    drop(store);
    let url = start_server(&path.display().to_string())?;
    for attempt in 1..=3 {
        let replica_path = dir.join(format!("first-sync-device-{attempt}.db"));
        let mut replica = Replica::open(&replica_path, None)?;
        let mut transport = HttpTransport::new(&url, &token, Duration::from_secs(60))?;
        let started = Instant::now();
        let report = sync(&mut replica, &mut transport, SyncOptions::default(), || 0)?;
        let took = started.elapsed();
        println!(
            "first sync of a community scope: {} records in {:.3} s ({} rounds; replica file, HTTP on loopback)",
            replica.record_count()?,
            took.as_secs_f64(),
            report.rounds
        );
    }
    Ok(())
}

/// 3. 500 concurrent devices, incremental round trips.
fn concurrent_round_trips(
    dir: &std::path::Path,
    devices: usize,
    rounds: usize,
    period: Duration,
) -> Result<()> {
    let path = dir.join("concurrent-ledger.db");
    let store = AnyStore::open(&Database::Sqlite(path.clone()), 1)?;
    let scope = Scope::of_units([DISTRICT]);
    let mut plans = Vec::with_capacity(devices);
    for d in 0..devices {
        let unit = format!("440115{:03}{:03}", 1 + d % 9, 1 + d / 9 % 5);
        let user = format!("device-user-{d}");
        let (device, token) = enrol(&store, &user, &unit)?;
        // The persons come from an import; the device answers them as its own user, which is
        // what the server admits (a device's events name its user and device).
        let mut import = Writer::new("bench-import")?;
        let mut writer = Writer::new(&device)?;
        writer.author.user = UserId::new(user.as_str())?;
        let mut records = Vec::new();
        let mut initial = Vec::new();
        for r in 0..10 {
            let mut record = import.person(&format!("sim-{d}-{r}"), &unit)?;
            initial.push(all_changes(&mut record));
            records.push(record);
        }
        store.transaction(|tx| {
            ledger::push(
                tx,
                Peer {
                    device: "bench-import",
                    scope: &scope,
                },
                Cursor(0),
                0,
                &initial,
            )
        })?;
        // Each round pushes one new event on each of the device's ten records.
        let mut per_round = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let mut push = Vec::new();
            for record in &mut records {
                let heads = record.heads();
                record.append(
                    &writer.author,
                    &mut writer.clock,
                    10_000 + round as u64,
                    Action::Answered {
                        outcome: vec![
                            "in_district".into(),
                            "home_quarantine".into(),
                            "elderly".into(),
                        ],
                        note: Some(format!("round {round}")),
                    },
                )?;
                push.push(RecordChanges {
                    record: record.id().clone(),
                    changes: record
                        .changes_since(&heads)
                        .into_iter()
                        .map(|(_, b)| b)
                        .collect(),
                });
            }
            per_round.push(push);
        }
        plans.push((token, per_round));
    }
    drop(store);
    let url = start_server(&path.display().to_string())?;
    // The simulated devices are tasks on one async runtime with one HTTP client (a connection
    // each), so that 500 devices cost the machine what 500 connections cost, not 500 threads.
    let runtime = tokio::runtime::Runtime::new()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(devices)
        .timeout(Duration::from_secs(120))
        .build()?;
    let (latencies, wall) = runtime.block_on(async move {
        // First sync of every device (not timed): each takes its scope.
        let mut devices_state = Vec::with_capacity(plans.len());
        for (token, per_round) in plans {
            let response = post_sync(&client, &url, &token, &SyncRequest::new(Cursor(0))).await?;
            devices_state.push((token, per_round, response.cursor));
        }
        let started = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for (d, (token, per_round, mut cursor)) in devices_state.into_iter().enumerate() {
            let (client, url) = (client.clone(), url.clone());
            tasks.spawn(async move {
                let mut rng = DemoRng::new(d as u64);
                let phase = rng.below(u64::try_from(period.as_millis()).unwrap_or(1000).max(1));
                tokio::time::sleep(Duration::from_millis(phase)).await;
                let mut latencies = Vec::with_capacity(per_round.len());
                for push in per_round {
                    let tick = Instant::now();
                    let mut request = SyncRequest::new(cursor);
                    request.push = push;
                    let response = post_sync(&client, &url, &token, &request).await?;
                    latencies.push(tick.elapsed().as_secs_f64() * 1000.0);
                    if response.push.accepted != 10 {
                        return Err(anyhow!("accepted {} of 10", response.push.accepted));
                    }
                    cursor = response.cursor;
                    tokio::time::sleep(period.saturating_sub(tick.elapsed())).await;
                }
                Ok::<_, anyhow::Error>(latencies)
            });
        }
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.extend(joined??);
        }
        Ok::<_, anyhow::Error>((all, started))
    })?;
    let mut all = latencies;
    let wall = wall.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    println!(
        "incremental round trip (push 10 changes + pull), {devices} devices × {rounds} rounds, one sync per device every {} ms: \
         p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} round trips in {:.1} s)",
        period.as_millis(),
        percentile(&all, 0.50),
        percentile(&all, 0.95),
        percentile(&all, 0.99),
        all.last().copied().unwrap_or(f64::NAN),
        all.len(),
        wall
    );
    Ok(())
}

async fn post_sync(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    request: &SyncRequest,
) -> Result<SyncResponse> {
    let response = client
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .json(request)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(anyhow!("sync refused: {}", response.text().await?));
    }
    Ok(response.json().await?)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: usize| -> Result<usize> {
        match args.iter().position(|a| a == name) {
            Some(i) => args
                .get(i + 1)
                .context("missing value")?
                .parse()
                .with_context(|| format!("{name} takes a number")),
            None => Ok(default),
        }
    };
    let devices = option("--devices", 500)?;
    let rounds = option("--rounds", 10)?;
    let records = option("--records", 10_000)?;
    let period = Duration::from_millis(option("--period-ms", 1000)? as u64);
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let dir = tempfile::tempdir()?;
    if run("merge") {
        merge_all(dir.path(), records)?;
    }
    if run("first-sync") {
        first_sync(dir.path())?;
    }
    if run("concurrent") {
        concurrent_round_trips(dir.path(), devices, rounds, period)?;
    }
    if run("admission") {
        admission(records)?;
    }
    Ok(())
}

/// 4. Admission alone: what the server does per pushed record before its transaction — load
///    the record's stored changes into a scratch document, apply the pushed change, re-check
///    its event — for records of two sizes: just imported (one change), and after 20 answers.
fn admission(records: usize) -> Result<()> {
    use outpost_shared::sync::admission::{self, Pusher, Rules, Stored};
    let programs = outpost_shared::program::load_presets()?;
    let jurisdictions = outpost_shared::jurisdiction::load_presets()?;
    let rules = Rules {
        programs: &programs,
        jurisdictions: &jurisdictions,
    };
    let pusher = Pusher {
        user: "bench-worker",
        device: "bench-phone",
        role: "worker",
    };
    let records = records.clamp(1, 2_000);
    for history in [0usize, 20] {
        let mut import = Writer::new("bench-import")?;
        let mut worker = Writer::new("bench-phone")?;
        worker.author.user = UserId::new("bench-worker")?;
        let mut cases = Vec::with_capacity(records);
        for r in 0..records {
            let mut record = import.person(&format!("adm-{history}-{r}"), COMMUNITY)?;
            for step in 0..history {
                record.append(
                    &worker.author,
                    &mut worker.clock,
                    3_000 + step as u64,
                    Action::Answered {
                        outcome: vec![
                            "in_district".into(),
                            "home_quarantine".into(),
                            "elderly".into(),
                        ],
                        note: Some(format!("answer {step}")),
                    },
                )?;
            }
            let stored = all_changes(&mut record).changes;
            let heads = record.heads();
            record.append(
                &worker.author,
                &mut worker.clock,
                9_000,
                Action::Answered {
                    outcome: vec![
                        "in_district".into(),
                        "home_quarantine".into(),
                        "elderly".into(),
                    ],
                    note: Some("pushed".into()),
                },
            )?;
            let pushed: Vec<Vec<u8>> = record
                .changes_since(&heads)
                .into_iter()
                .map(|(_, b)| b)
                .collect();
            cases.push((record.id().clone(), stored, pushed));
        }
        let started = Instant::now();
        for (id, stored, pushed) in &cases {
            let stored = Stored::load(stored).map_err(|r| anyhow!("{r:?}"))?;
            admission::admit(id, stored, pushed, pusher, rules).map_err(|r| anyhow!("{r:?}"))?;
        }
        let per = started.elapsed().as_secs_f64() * 1e6 / records as f64;
        println!(
            "admission of one pushed answer on a record with {} stored changes: {per:.0} µs per record ({records} records)",
            history + 1
        );
    }
    Ok(())
}

fn merge_all(dir: &std::path::Path, records: usize) -> Result<()> {
    let sqlite = AnyStore::open(&Database::Sqlite(dir.join("merge-ledger.db")), 1)?;
    merge_throughput(&sqlite, "sqlite", records)?;
    drop(sqlite);
    if let Ok(base) = std::env::var("OUTPOST_TEST_POSTGRES") {
        let mut admin = postgres::Client::connect(&format!("{base}/postgres"), postgres::NoTls)?;
        admin.batch_execute("DROP DATABASE IF EXISTS outpost_bench")?;
        admin.batch_execute("CREATE DATABASE outpost_bench")?;
        let pg = AnyStore::open(&Database::Postgres(format!("{base}/outpost_bench")), 2)?;
        merge_throughput(&pg, "postgres", records)?;
    }
    Ok(())
}
