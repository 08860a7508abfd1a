//! Scan → on-screen confirmation in the boarding roll call, in the real window.
//!
//! A community worker's device (an app core) binds wristbands to `--persons` persons and sends a
//! transfer notice for all of them; an escort enrols the app (built by `cargo bench`, release),
//! syncs, opens the roll call and loses the server. The bench then types each wristband's
//! payload into the scan field through WebDriver as a USB scanner would (keystrokes, then
//! Enter), in a shuffled order, followed by `--repeats` scans of already-boarded wristbands and
//! of codes with a wrong check value.
//!
//! The time is taken inside the page, so WebDriver's own round trips do not count: a capturing
//! `keydown` listener notes `performance.now()` when Enter arrives, a `MutationObserver` on the
//! verdict notes when the verdict is written to the DOM, and a `requestAnimationFrame` callback
//! registered then notes the frame that paints it (a second one, the frame after: the webview's
//! frame interval, which under Xvfb's software rendering is far longer than a screen's 16.7 ms). In between: the front-end's scan reader, the
//! Tauri IPC call, the app core's roll-call check and its write to the encrypted replica, the
//! answer, and the DOM update. Needs tauri-driver, WebKitWebDriver and a display:
//!
//!     xvfb-run -a cargo bench -p outpost-app --bench scan_latency -- --persons 100 --repeats 50
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/window/mod.rs"]
mod window;

use outpost_app_core::transfer_chain::transfers::TransferNoticeInput;
use window::*;

/// Installs the in-page timers on the roll call's scan field and verdict.
const INSTALL_TIMERS: &str = r#"
const input = document.querySelector('[data-testid="scan-input"]');
const verdict = document.querySelector('[data-testid="scan-verdict"]');
if (!input || !verdict) return false;
window.__scans = [];
let enterAt = null;
input.addEventListener('keydown', (e) => { if (e.key === 'Enter') enterAt = performance.now(); }, true);
new MutationObserver(() => {
  if (enterAt === null) return;
  const started = enterAt;
  enterAt = null;
  const written = performance.now();
  const kind = verdict.getAttribute('data-kind');
  const entry = { kind, written: written - started };
  requestAnimationFrame(() => {
    entry.painted = performance.now() - started;
    requestAnimationFrame(() => { entry.raf2 = performance.now() - started; window.__scans.push(entry); });
  });
}).observe(verdict, { attributes: true, childList: true, characterData: true, subtree: true });
return true;
"#;

struct Args {
    persons: usize,
    repeats: usize,
}

fn args() -> Args {
    let mut parsed = Args {
        persons: 100,
        repeats: 50,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().and_then(|v| v.parse::<usize>().ok());
        match arg.as_str() {
            "--persons" => parsed.persons = value().unwrap_or(parsed.persons).clamp(2, 500),
            "--repeats" => parsed.repeats = value().unwrap_or(parsed.repeats).min(500),
            _ => {}
        }
    }
    parsed
}

fn main() {
    let args = args();
    if std::env::var_os("DISPLAY").is_none() {
        eprintln!("no display: run under xvfb-run -a");
        std::process::exit(2);
    }
    let runtime = runtime();
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path());
    let persons = people(7, args.persons, &["350203001001"]);
    server.import_w2(&persons, "仁和社区");

    // The community worker binds a wristband to everyone and sends one transfer notice.
    let mut worker = district_device(
        &dir.path().join("worker"),
        server.enrolment("renhe-prep", "worker", "350203001001"),
    );
    let ids = bind_at_the_door(&mut worker);
    let tag = |n: usize| wristband(n as u32);
    worker
        .transfer_notice(&TransferNoticeInput {
            close_contact_riders: ids.len() as u32,
            other_riders: 0,
            pickup_address: "仁和社区东门".into(),
            record_ids: ids.clone(),
        })
        .unwrap();
    worker.sync_job().unwrap().run().unwrap().unwrap();

    let window = Window::open(runtime.clone(), &dir.path().join("escort"), "scan-bench");
    window.enrol(&server.enrolment("renhe-escort", "escort", "350203001001"));
    window.sync_online();
    window.open_first_transfer();
    window.click("open-roll-call");
    window.wait_screen("roll-call");
    window.wait_until("the roll is open", |w| {
        w.attr("scan-input", "disabled").is_none()
    });
    // No signal at the assembly point.
    server.halt();
    let installed = runtime
        .block_on(window.client().execute(INSTALL_TIMERS, vec![]))
        .unwrap();
    assert_eq!(installed, serde_json::Value::Bool(true), "timers installed");

    // A fixed shuffle (a multiplicative step coprime with the count): escorts do not scan in
    // list order, and the missing-names list shrinks from anywhere.
    let n = ids.len();
    let step = (1..n)
        .rev()
        .find(|s| gcd(*s, n) == 1 && *s > n / 3)
        .unwrap_or(1);
    let mut scans: Vec<String> = (0..n).map(|i| tag((i * step) % n + 1)).collect();
    for r in 0..args.repeats {
        let real = tag(r % n + 1);
        scans.push(if r % 2 == 0 {
            real
        } else {
            let fake = if real.ends_with("ZZZZ") {
                "YYYY"
            } else {
                "ZZZZ"
            };
            format!("{}{fake}", &real[..14])
        });
    }

    let input = window.find("scan-input");
    for (done, scan) in scans.iter().enumerate() {
        runtime
            .block_on(input.send_keys(&format!("{scan}{}", char::from(Key::Enter))))
            .unwrap();
        window.wait_until("the scan's verdict is painted", |w| recorded(w) > done);
    }
    let results = runtime
        .block_on(window.client().execute("return window.__scans", vec![]))
        .unwrap();
    let results = results.as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), scans.len(), "one verdict per scan");
    let boarded = results.iter().filter(|r| r["kind"] == "boarded").count();
    assert_eq!(boarded, n, "every wristband boarded once");
    assert_eq!(
        window.attr("roll-counts", "data-done").as_deref(),
        Some(n.to_string().as_str())
    );
    window.shot("all-boarded");

    let field = |name: &str, kind: Option<&str>| -> Vec<f64> {
        let mut values: Vec<f64> = results
            .iter()
            .filter(|r| kind.is_none_or(|k| r["kind"] == k))
            .filter_map(|r| r[name].as_f64())
            .collect();
        values.sort_by(f64::total_cmp);
        values
    };
    println!(
        "roll call in the window: {n} persons on the manifest, {} scans ({boarded} boarded, {} repeats), server unreachable",
        scans.len(),
        scans.len() - boarded
    );
    for (label, kind) in [
        ("all scans", None),
        ("boarded", Some("boarded")),
        ("already boarded", Some("already_boarded")),
        ("unknown wristband", Some("unknown_wristband")),
    ] {
        let written = field("written", kind);
        let painted = field("painted", kind);
        if painted.is_empty() {
            continue;
        }
        // The gap between the frame that paints the verdict and the one after it: the
        // webview's frame interval, which bounds how soon any change can be on screen.
        let mut interval: Vec<f64> = results
            .iter()
            .filter(|r| kind.is_none_or(|k| r["kind"] == k))
            .filter_map(|r| Some(r["raf2"].as_f64()? - r["painted"].as_f64()?))
            .collect();
        interval.sort_by(f64::total_cmp);
        println!(
            "  {label:<18} n={:<4} Enter → verdict in DOM: median {:.1} ms, p95 {:.1} ms | Enter → frame painting it: median {:.1} ms, p95 {:.1} ms, max {:.1} ms | frame interval median {:.1} ms",
            painted.len(),
            quantile(&written, 0.5),
            quantile(&written, 0.95),
            quantile(&painted, 0.5),
            quantile(&painted, 0.95),
            painted.last().copied().unwrap_or_default(),
            quantile(&interval, 0.5),
        );
    }
}

/// How many verdicts the page has timed so far.
fn recorded(window: &Window) -> usize {
    window
        .runtime
        .block_on(
            window
                .client()
                .execute("return (window.__scans || []).length", vec![]),
        )
        .ok()
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}
