//! The browser tests' server (`mobile/ui/test-browser/console.test.mjs`): a real sync server on
//! 127.0.0.1:0 with an injected clock, serving the built console from the folder given as the
//! first argument. It prints one JSON line `{"url", "admin_token"}` and then answers one JSON
//! line per command read on stdin — the test's only way to move the clock, so the production
//! binary has none:
//!
//! ```text
//! code <user>            a one-time sign-in code            → {"code": "…"}
//! write-list <path>      a W1 list (3 南沙街道, 2 珠江街道, 1 bad row) to <path> → {"ok": true}
//! answer <n>             南沙街道's worker syncs, claims and answers n persons, syncs → {"answered": n}
//! move <n>               珠江街道's worker syncs, moves n of its persons to 南沙街道 (修改所属镇街),
//!                        syncs → {"moved": n}
//! advance <minutes>      the server clock moves on; the engine runs → {"now_ms": …}
//! read-xlsx <path>       the first sheet's cells, read with calamine → {"rows": [[…]]}
//! break-record           imports one 南沙街道 person and stores it unreadable in the ledger,
//!                        as a ledger from before admission holds it → {"record": "…"}
//! quit                   stops the server
//! ```
//!
//! Build: `cargo build -p outpost-sync-server --example console_fixture`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/console_fixture/mod.rs"]
mod console_fixture;

use std::io::{BufRead, Write};
use std::path::PathBuf;

use calamine::Reader;
use console_fixture::{FieldDevice, Fixture, MIN, NANSHA, TOKEN, list_with, runtime};
use outpost_shared::record::Action;

fn reply(value: serde_json::Value) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}").unwrap();
    out.flush().unwrap();
}

fn main() {
    let dist = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .expect("usage: console_fixture <built console folder, e.g. mobile/ui/dist>");
    let runtime = runtime();
    let start = jiff::Timestamp::now().as_millisecond();
    let mut fixture = Fixture::start(&runtime, start, Some(dist));
    reply(serde_json::json!({"url": fixture.url, "admin_token": TOKEN}));
    let mut worker: Option<FieldDevice> = None;
    let mut zhujiang: Option<FieldDevice> = None;
    for line in std::io::stdin().lock().lines() {
        let line = line.unwrap();
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("code"), Some(user)) => reply(serde_json::json!({"code": fixture.code(user)})),
            (Some("write-list"), Some(path)) => {
                std::fs::write(path, list_with(3, 2, true)).unwrap();
                reply(serde_json::json!({"ok": true}));
            }
            (Some("answer"), Some(n)) => {
                let device =
                    worker.get_or_insert_with(|| FieldDevice::enrol(&fixture, "nansha-worker"));
                device.sync(fixture.now_ms());
                let answered = device.answer(n.parse().unwrap(), fixture.now_ms(), Some("=1+2"));
                device.sync(fixture.now_ms());
                reply(serde_json::json!({"answered": answered}));
            }
            (Some("move"), Some(n)) => {
                let device =
                    zhujiang.get_or_insert_with(|| FieldDevice::enrol(&fixture, "zhujiang-worker"));
                device.sync(fixture.now_ms());
                let moving: Vec<String> = device
                    .persons()
                    .into_iter()
                    .take(n.parse().unwrap())
                    .map(|p| p.id)
                    .collect();
                for id in &moving {
                    let to_unit = NANSHA.to_owned();
                    let reason = Some("实际居住南沙街道".to_owned());
                    device.act(id, fixture.now_ms(), Action::Reassigned { to_unit, reason });
                }
                device.sync(fixture.now_ms());
                reply(serde_json::json!({"moved": moving.len()}));
            }
            (Some("advance"), Some(minutes)) => {
                fixture.advance(minutes.parse::<i64>().unwrap() * MIN);
                reply(serde_json::json!({"now_ms": fixture.now_ms()}));
            }
            (Some("read-xlsx"), Some(path)) => {
                let mut workbook = calamine::open_workbook_auto(path).unwrap();
                let sheet = workbook.sheet_names()[0].clone();
                let range = workbook.worksheet_range(&sheet).unwrap();
                let rows: Vec<Vec<String>> = range
                    .rows()
                    .map(|r| r.iter().map(|c| c.to_string()).collect())
                    .collect();
                reply(serde_json::json!({"rows": rows}));
            }
            (Some("break-record"), _) => {
                fixture.import(list_with(1, 0, false));
                let device =
                    worker.get_or_insert_with(|| FieldDevice::enrol(&fixture, "nansha-worker"));
                device.sync(fixture.now_ms());
                reply(serde_json::json!({"record": fixture.store_unreadable(device)}));
            }
            (Some("quit"), _) | (None, _) => break,
            _ => reply(serde_json::json!({"error": format!("unknown command: {line}")})),
        }
    }
    fixture.stop(&runtime);
}
