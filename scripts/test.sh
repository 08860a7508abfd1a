#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test of every crate, with a real
# PostgreSQL server on loopback for the ledger tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
started=$(date +%s)
echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> cargo test"
source scripts/postgres.sh
log=$(mktemp)
trap 'rm -f "$log"; stop_postgres' EXIT
cargo test --workspace 2>&1 | tee "$log"
totals=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
              END { printf "%d passed, %d failed", p, f }' "$log")
echo "==> asset files"
cargo run -q -p outpost-sync-server -- check --assets assets
echo "==> all checks passed in $(( $(date +%s) - started )) s"
echo "tests: $totals"
