#!/usr/bin/env bash
# Installs what building Outpost needs on a fresh Debian machine (run as root). Sourced by
# run.sh and test.sh; safe to run again (it skips what is already there).
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v perl >/dev/null 2>&1 || need_apt+=(perl)          # builds the vendored OpenSSL for SQLCipher
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_apt[@]}" ca-certificates
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "Outpost needs the Rust toolchain (1.95 or newer, edition 2024); install it with rustup." >&2
  exit 1
fi
