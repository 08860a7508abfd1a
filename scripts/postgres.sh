#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the ledger tests and exports
# OUTPOST_TEST_POSTGRES (a connection string without database name). Sourced by test.sh, which
# stops the server on exit. Installs Debian's postgresql package when it is missing.
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/postgres" ]; then
  echo "==> installing PostgreSQL (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi

pg_port=${OUTPOST_PG_PORT:-54329}
pg_dir=$(mktemp -d /tmp/outpost-pg.XXXXXX)
# PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user (created by the
# package) or, failing that, to `nobody`.
pg_user=postgres
id "$pg_user" >/dev/null 2>&1 || pg_user=nobody
chown "$pg_user" "$pg_dir"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u "$pg_user" -- "$@"; else "$@"; fi; }
as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=on -c max_connections=200" start >/dev/null
echo "==> PostgreSQL running on 127.0.0.1:$pg_port ($pg_dir)"
export OUTPOST_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port"
stop_postgres() { as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
