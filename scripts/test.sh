#!/usr/bin/env bash
# The whole test suite: formatting, lints, the front-end's unit tests, every test of every
# crate with a real PostgreSQL server on loopback for the ledger tests and pcscd with a virtual
# reader and card for the NFC tests, the field app in its real window (tauri-driver +
# WebKitWebDriver under Xvfb), the web console in headless Chromium, and every fuzz target of
# fuzz/ for OUTPOST_FUZZ_SECONDS (20) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export OUTPOST_SETUP_APP=1 OUTPOST_SETUP_WINDOW=1 OUTPOST_SETUP_BROWSER=1
started=$(date +%s)
# Prints each section's heading and the time the previous one took, so a slow CI run says where.
section() {
  local now; now=$(date +%s)
  [ -z "${section_name:-}" ] || echo "    ($section_name: $(( now - section_started )) s)"
  section_name=$1
  section_started=$now
  echo "==> $1"
}
section "set-up (Debian packages, tauri-driver)"
source scripts/setup.sh
section "cargo fmt --check"
cargo fmt --all -- --check
build_app_ui
section "front-end unit tests (node --test)"
log=$(mktemp)
(cd mobile/ui && npm test 2>&1) | tee -a "$log"
section "PC/SC stack (pcscd with a virtual reader)"
source scripts/pcsc.sh
trap 'rm -f "$log"; stop_pcsc' EXIT
section "build every target with clippy's lints (warnings are errors)"
# This is `cargo clippy --workspace --all-targets -- -D warnings` without a second compile of
# the dependency tree: cargo clippy runs clippy-driver on the workspace's crates during a check
# build, whose artifacts no test can use. Given as the workspace wrapper to the test build,
# clippy-driver applies the same lints and also compiles, so every dependency is built once.
# The variables stay set for the rest of the script, so nothing below rebuilds.
RUSTC_WORKSPACE_WRAPPER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
export RUSTC_WORKSPACE_WRAPPER
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
cargo test --workspace --all-targets --no-run
section "cargo test"
source scripts/postgres.sh
trap 'rm -f "$log"; stop_pcsc; stop_postgres' EXIT
cargo test --workspace 2>&1 | tee -a "$log"
section "the field app in its real window"
# Same package selection as above, so nothing is rebuilt; one window at a time.
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --workspace --test app_window --test steps_window --test scan_window --test console_window -- --ignored --test-threads=1 2>&1 | tee -a "$log"
section "wristband label sheets printed to PDF, rendered by poppler, scanned back"
cargo test --workspace --test labels -- --ignored 2>&1 | tee -a "$log"
section "the web console in headless Chromium"
# Against the console_fixture example that the test build made (a real server, injected clock).
(cd mobile/ui && npm run --silent test:browser 2>&1) | tee -a "$log"
fuzz_seconds=${OUTPOST_FUZZ_SECONDS:-20}
section "fuzzing ($fuzz_seconds s per target)"
# The cargo-fuzz targets of fuzz/ on stable Rust (see ARCHITECTURE.md, Fuzzing): built once, each
# run for a bounded time from its seed corpus; a crash fails the run and names the input to keep.
OUTPOST_FUZZ_SECONDS=$fuzz_seconds scripts/fuzz.sh
totals=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
              /^(#|ℹ) (pass|fail) [0-9]+$/ { if ($2 == "pass") p += $3; else f += $3 }
              END { printf "%d passed, %d failed", p, f }' "$log")
section "asset files"
# The binary `cargo test --workspace` built: `cargo run -p` alone would resolve features for one
# package and rebuild half the dependency tree.
./target/debug/outpost-server check --assets assets
section "all checks passed in $(( $(date +%s) - started )) s"
echo "tests: $totals"
