//! Cold start to the first usable screen, and the release binary's size.
//!
//! Launches the app (built by `cargo bench` in the bench profile, i.e. release) `--runs` times
//! with a fresh data folder and `OUTPOST_EXIT_WHEN_READY`, so it prints how long after the
//! process started the front-end had painted its first screen (the enrolment screen) and quits.
//! Needs a display: under `xvfb-run` when `DISPLAY` is unset.
//!
//!     xvfb-run -a cargo bench -p outpost-app --bench startup -- --runs 10

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let mut runs = 10usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--runs" {
            runs = args
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(runs)
                .clamp(1, 100);
        }
    }
    let binary = Path::new(env!("CARGO_BIN_EXE_outpost-app"));
    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    let stripped = stripped_size(binary);
    println!(
        "binary {}: {:.1} MB as built, {} stripped",
        binary.display(),
        mb(size),
        stripped.map_or("(strip unavailable)".to_owned(), |s| format!(
            "{:.1} MB",
            mb(s)
        ))
    );
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("no display: run under xvfb-run -a");
        std::process::exit(2);
    }
    let mut ready = Vec::new();
    for run in 0..runs {
        let data = std::env::temp_dir().join(format!(
            "outpost-startup-bench-{}-{run}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&data);
        let started = Instant::now();
        let output = Command::new(binary)
            .env("OUTPOST_APP_DATA", &data)
            .env("OUTPOST_EXIT_WHEN_READY", "1")
            .env("RUST_LOG", "warn")
            .output();
        let wall = started.elapsed();
        let _ = std::fs::remove_dir_all(&data);
        let Ok(output) = output else {
            eprintln!("run {run}: the app could not be started");
            std::process::exit(1);
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        let Some(ms) = stdout
            .lines()
            .find_map(|l| l.strip_prefix("ready_ms="))
            .and_then(|v| v.trim().parse::<f64>().ok())
        else {
            eprintln!(
                "run {run}: no ready line; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            std::process::exit(1);
        };
        println!(
            "run {run}: first screen after {ms:.0} ms (process lived {:.0} ms)",
            wall.as_secs_f64() * 1000.0
        );
        ready.push(ms);
        std::thread::sleep(Duration::from_millis(200));
    }
    ready.sort_by(f64::total_cmp);
    let median = ready[ready.len() / 2];
    let worst = ready[ready.len() - 1];
    println!(
        "cold start to first usable screen: median {median:.0} ms, best {:.0} ms, worst {worst:.0} ms over {runs} runs (target ≤ 1500 ms)",
        ready[0]
    );
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// The size the binary has with symbols and debug info stripped (what a package ships).
fn stripped_size(binary: &Path) -> Option<u64> {
    let copy = std::env::temp_dir().join(format!("outpost-app-stripped-{}", std::process::id()));
    let status = Command::new("strip")
        .arg("-o")
        .arg(&copy)
        .arg(binary)
        .status()
        .ok()?;
    let size = status
        .success()
        .then(|| std::fs::metadata(&copy).ok().map(|m| m.len()))??;
    let _ = std::fs::remove_file(&copy);
    Some(size)
}
