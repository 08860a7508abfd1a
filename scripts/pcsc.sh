#!/usr/bin/env bash
# The PC/SC stack for the NFC reader tests (mobile/scan/tests/pcsc_virtual.rs): installs pcscd and
# vsmartcard's virtual reader (vpcd) and card packages when missing, starts pcscd in the
# foreground (as a background job of this shell), waits until vpcd listens for a virtual card,
# and exports OUTPOST_TEST_PCSC=1. Meant to be sourced by test.sh, which calls stop_pcsc on exit:
#
#   source scripts/pcsc.sh
#   trap '...; stop_pcsc' EXIT
#
# A pcscd that is already running (with vpcd) is used as it is and left running by stop_pcsc.

pcsc_packages=(pcscd libpcsclite-dev pcsc-tools vsmartcard-vpcd vsmartcard-vpicc
  python3-virtualsmartcard python3-pycryptodome)
# vpcd's first virtual reader ("Virtual PCD 00 00") listens on this port for a virtual card.
pcsc_vpcd_port=35963
pcsc_pid=""
pcsc_log=""

# True when something listens on TCP port $1 (IPv4 or IPv6), read from /proc without connecting:
# a connection to vpcd would count as a card put on the reader.
pcsc_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qs " [0-9A-F:]*:$hex [0-9A-F:]* 0A " /proc/net/tcp /proc/net/tcp6
}

# Ready: vpcd listens for a card and pcscd's client socket is there.
pcsc_ready() {
  pcsc_listening "$pcsc_vpcd_port" && [ -S "${PCSCLITE_CSOCK_NAME:-/run/pcscd/pcscd.comm}" ]
}

pcsc_start() {
  local missing=() p
  for p in "${pcsc_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> installing the PC/SC test stack (Debian packages: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || return 1
    apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
  fi

  if pcsc_ready; then
    echo "==> pcscd with the virtual reader is already running; using it"
  else
    pcsc_log=$(mktemp /tmp/outpost-pcscd.XXXXXX)
    pcscd --foreground >"$pcsc_log" 2>&1 &
    pcsc_pid=$!
    local waited=0
    # Bounded readiness wait: 20 s in steps of 0.1 s.
    until pcsc_ready; do
      if ! kill -0 "$pcsc_pid" 2>/dev/null || [ "$waited" -ge 200 ]; then
        echo "pcscd did not start with the virtual reader (vpcd on port $pcsc_vpcd_port); its log:" >&2
        cat "$pcsc_log" >&2
        stop_pcsc
        return 1
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
    echo "==> pcscd running (pid $pcsc_pid), virtual reader on port $pcsc_vpcd_port"
  fi
  export OUTPOST_TEST_PCSC=1
}

# Stops the pcscd this file started (none if it found one running) and unsets OUTPOST_TEST_PCSC.
stop_pcsc() {
  if [ -n "$pcsc_pid" ]; then
    kill "$pcsc_pid" 2>/dev/null || true
    wait "$pcsc_pid" 2>/dev/null || true
    pcsc_pid=""
  fi
  if [ -n "$pcsc_log" ]; then
    rm -f "$pcsc_log"
    pcsc_log=""
  fi
  unset OUTPOST_TEST_PCSC
}

pcsc_start
