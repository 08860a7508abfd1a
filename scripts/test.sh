#!/usr/bin/env bash
# The whole test suite: formatting, lints, the front-end's unit tests, every test of every
# crate with a real PostgreSQL server on loopback for the ledger tests, and the field app in its
# real window (tauri-driver + WebKitWebDriver under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
export OUTPOST_SETUP_APP=1 OUTPOST_SETUP_WINDOW=1
source scripts/setup.sh
started=$(date +%s)
echo "==> cargo fmt --check"
cargo fmt --all -- --check
build_app_ui
echo "==> front-end unit tests (node --test)"
log=$(mktemp)
(cd mobile/ui && npm test 2>&1) | tee -a "$log"
echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> cargo test"
source scripts/postgres.sh
trap 'rm -f "$log"; stop_postgres' EXIT
cargo test --workspace 2>&1 | tee -a "$log"
echo "==> the field app in its real window"
# Same package selection as above, so nothing is rebuilt; one window at a time.
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo test --workspace --test app_window -- --ignored --test-threads=1 2>&1 | tee -a "$log"
totals=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
              /^(#|ℹ) (pass|fail) [0-9]+$/ { if ($2 == "pass") p += $3; else f += $3 }
              END { printf "%d passed, %d failed", p, f }' "$log")
echo "==> asset files"
cargo run -q -p outpost-sync-server -- check --assets assets
echo "==> all checks passed in $(( $(date +%s) - started )) s"
echo "tests: $totals"
