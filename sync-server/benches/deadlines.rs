//! Deadline engine benchmark (a bench binary that prints figures; every loop is bounded):
//! with N open ladder steps in the store (default 1,000,000), how long after a step falls due is
//! its alert raised? The engine runs a pass every `ENGINE_INTERVAL` (250 ms) in the server, so
//! the worst delay is that interval plus the time of the pass that fires the step; this measures
//! that pass while steps fall due second by second among the million.
//!
//! `cargo bench -p outpost-sync-server --bench deadlines` (options: `--deadlines N`,
//! `--seconds N` simulated seconds to fire, `--per-second N` steps falling due each second,
//! `--postgres URL` to run on PostgreSQL instead of a SQLite file).

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use outpost_shared::record::RecordId;
use outpost_shared::task::{Member, TaskKey};
use outpost_sync_server::AnyStore;
use outpost_sync_server::config::Database;
use outpost_sync_server::engine::Engine;
use outpost_sync_server::store::Store;
use outpost_sync_server::store::tasks::{DeadlineRow, DeadlineState, TaskRow};

const PROGRAM: &str = "w1-close-contact-whereabouts";
/// 2026-11-23 09:00 Beijing time.
const T0: i64 = 1_795_395_600_000;
const INTERVAL_MS: f64 = 250.0;

struct Options {
    deadlines: usize,
    seconds: i64,
    per_second: usize,
    postgres: Option<String>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        deadlines: 1_000_000,
        seconds: 20,
        per_second: 50,
        postgres: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow!("{arg} needs a value"));
        match arg.as_str() {
            "--deadlines" => options.deadlines = value()?.parse()?,
            "--seconds" => options.seconds = value()?.parse()?,
            "--per-second" => options.per_second = value()?.parse()?,
            "--postgres" => options.postgres = Some(value()?),
            // cargo bench passes --bench; ignore what is not ours.
            _ => {}
        }
    }
    Ok(options)
}

/// `count` open steps over `count / 4` one-person tasks. The first `seconds × per_second` fall
/// due one second after another from T0 + 1 s; the rest lie days ahead, as most open deadlines
/// of a real outbreak do.
fn populate(store: &AnyStore, options: &Options) -> Result<()> {
    let tasks = options.deadlines.div_ceil(4);
    let firing = usize::try_from(options.seconds)? * options.per_second;
    let started = Instant::now();
    let chunk = 5_000;
    let mut inserted = 0;
    for first in (0..tasks).step_by(chunk) {
        store.transaction(|tx| {
            for t in first..(first + chunk).min(tasks) {
                let key = TaskKey {
                    program: PROGRAM.into(),
                    batch: format!("b{t}"),
                    unit: format!("440115{:03}", 1 + t % 9),
                    moved_by: None,
                };
                let id = key.id();
                let record = RecordId::new(format!("p{t}"))
                    .map_err(outpost_shared::sync::ledger::LedgerError::storage)?;
                tx.put_member(&Member {
                    record,
                    task: key.clone(),
                    assigned_ms: T0,
                    claimed_ms: None,
                    answered_ms: None,
                    cdc_judged_ms: None,
                    supplies_ms: None,
                    boarded_ms: None,
                    status: "pending".into(),
                    status_ms: None,
                })?;
                tx.put_task(&TaskRow {
                    id: id.clone(),
                    key,
                    members: 1,
                    claimed: 0,
                    answered: 0,
                    anchor_ms: T0,
                    updated_ms: T0,
                })?;
                for (step, rule) in [
                    (0usize, "claim"),
                    (1, "claim"),
                    (0, "answer"),
                    (1, "answer"),
                ] {
                    let n = t * 4 + step * 2 + usize::from(rule == "answer");
                    if n >= options.deadlines {
                        break;
                    }
                    let due_ms = if n < firing {
                        T0 + 1_000 + (n / options.per_second) as i64 * 1_000
                    } else {
                        T0 + 86_400_000 + n as i64
                    };
                    tx.insert_deadline(&DeadlineRow {
                        task_id: id.clone(),
                        rule: rule.into(),
                        occurrence_ms: T0,
                        step: step as i64,
                        due_ms,
                        state: DeadlineState::Open,
                        alert_id: None,
                        fired_ms: None,
                        notified: false,
                    })?;
                    inserted += 1;
                }
            }
            Ok(())
        })?;
    }
    println!(
        "  populated {inserted} open steps over {tasks} tasks in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let options = options()?;
    let dir = tempfile::tempdir()?;
    let database = match &options.postgres {
        Some(url) => Database::Postgres(url.clone()),
        None => Database::Sqlite(dir.path().join("ledger.db")),
    };
    let store = AnyStore::open(&database, 4)?;
    let assets = outpost_sync_server::assets::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"),
    )?;
    let engine = Engine::new(&assets.programs)?;
    println!(
        "deadline engine: {} open steps, {} falling due per second for {} s ({})",
        options.deadlines,
        options.per_second,
        options.seconds,
        if options.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    populate(&store, &options)?;
    // A first pass at T0 reads nothing due (and warms the caches as a running server's are).
    engine.pass(&store, &assets.jurisdictions, T0)?;

    let mut pass_ms = Vec::new();
    let mut fired = 0;
    for second in 1..=options.seconds {
        let now = T0 + second * 1_000;
        let started = Instant::now();
        let report = engine
            .pass(&store, &assets.jurisdictions, now)
            .context("engine pass")?;
        pass_ms.push(started.elapsed().as_secs_f64() * 1e3);
        fired += report.fired;
        if std::env::var("BENCH_DEBUG").is_ok() {
            eprintln!("{second}: {report:?}");
        }
    }
    pass_ms.sort_by(f64::total_cmp);
    let expected = usize::try_from(options.seconds)? * options.per_second;
    println!("  alerts raised: {fired} (expected {expected})");
    println!(
        "  pass that fires {} steps: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        options.per_second,
        percentile(&pass_ms, 0.5),
        percentile(&pass_ms, 0.99),
        percentile(&pass_ms, 1.0)
    );
    println!(
        "  worst delay from due time to alert: interval {INTERVAL_MS:.0} ms + max pass = {:.0} ms (target ≤ 1000 ms)",
        INTERVAL_MS + percentile(&pass_ms, 1.0)
    );
    if fired != expected {
        return Err(anyhow!("{fired} alerts raised, {expected} expected"));
    }
    Ok(())
}
