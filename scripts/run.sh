#!/usr/bin/env bash
# The main job: the sync server on its embedded SQLite ledger with demo jurisdictions, users and
# a demo batch; prints its address and an enrolment code (with QR) for a field device.
# Extra arguments go to `outpost-server serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --release -p outpost-sync-server
./target/release/outpost-server check --assets assets
export OUTPOST_ADMIN_TOKEN=${OUTPOST_ADMIN_TOKEN:-outpost-demo-admin-token}
echo "管理员令牌 / admin token: $OUTPOST_ADMIN_TOKEN"
exec ./target/release/outpost-server serve --demo --database outpost-demo-ledger.db "$@"
