//! What the app core's benchmarks share: their command-line numbers, and a device enrolled with
//! an in-process server on loopback that has pulled its persons.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use outpost_app_core::{AppCore, EnrolInput};
use outpost_e2e::in_process::InProcessServer;
use outpost_shared::hlc::SystemClock;

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A device of `user` (created with `role` at `unit`) in `dir`, enrolled and synced.
pub fn synced_device(
    server: &InProcessServer,
    dir: &Path,
    user: &str,
    role: &str,
    unit: &str,
) -> AppCore {
    let code = server.enrolment(user, role, unit);
    let mut app = AppCore::open(dir, Arc::new(SystemClock)).unwrap();
    app.enrol(EnrolInput {
        code,
        server_url: None,
        device_label: "bench".into(),
        pin: "135790".into(),
    })
    .unwrap();
    app.sync_job().unwrap().run().unwrap().unwrap();
    app
}

/// `times` sorted, as "median … p95 …" in milliseconds.
pub fn quantiles(mut times: Vec<Duration>) -> (f64, f64, f64) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(at(0.5)), ms(at(0.95)), ms(times[times.len() - 1]))
}
