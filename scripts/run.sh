#!/usr/bin/env bash
# The main job: the sync server on its embedded SQLite ledger with demo jurisdictions, users and
# a demo batch (it prints its address and an enrolment code with QR for a field device), plus
# the field app (Tauri) when a display is available. Extra arguments go to
# `outpost-server serve` (e.g. --listen 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
export OUTPOST_SETUP_APP=1
source scripts/setup.sh
build_app_ui
cargo build --release -p outpost-sync-server -p outpost-app
./target/release/outpost-server check --assets assets
export OUTPOST_ADMIN_TOKEN=${OUTPOST_ADMIN_TOKEN:-outpost-demo-admin-token}
echo "管理员令牌 / admin token: $OUTPOST_ADMIN_TOKEN"
./target/release/outpost-server serve --demo --database outpost-demo-ledger.db "$@" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT INT TERM
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  # The app keeps its encrypted replica in outpost-demo-app/; enrol it with the code above.
  sleep 2
  echo "==> 启动外勤端 / starting the field app (enrol with the code above, server http://127.0.0.1:8080)"
  OUTPOST_APP_DATA="$PWD/outpost-demo-app" ./target/release/outpost-app || true
  echo "外勤端已关闭，服务器仍在运行（Ctrl-C 停止） / the app closed; the server keeps running (Ctrl-C stops it)"
else
  echo "没有图形界面：在桌面上运行 ./target/release/outpost-app 打开外勤端"
  echo "No display: run ./target/release/outpost-app on a desktop to open the field app"
fi
wait "$server"
