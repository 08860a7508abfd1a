#!/usr/bin/env bash
# The main job: builds Outpost and runs the core demo on real replica files.
# (The sync-server issue turns this into the server on its embedded SQLite with demo data.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo run -p outpost-sync-server -- check --assets assets
exec cargo run -p outpost-sync-server -- demo --assets assets --data-dir outpost-demo-data "$@"
