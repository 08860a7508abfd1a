#!/usr/bin/env bash
# Installs what building Outpost needs on a fresh Debian machine (run as root). Sourced by
# run.sh and test.sh; safe to run again (it skips what is already there).
#   OUTPOST_SETUP_APP=1     also what the field app needs: webkit, Node.js and npm
#   OUTPOST_SETUP_WINDOW=1  also what driving the app's window needs: Xvfb, WebKitWebDriver,
#                           tauri-driver
#   OUTPOST_SETUP_BROWSER=1 also Debian's Chromium, for the web console's browser tests, and
#                           poppler's pdftoppm, which renders printed label sheets for checking
set -euo pipefail

need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v make >/dev/null 2>&1 || need_apt+=(make)
pkg-config --exists libcrypto 2>/dev/null || need_apt+=(libssl-dev) # SQLCipher links the system libcrypto
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)        # builds zxing-cpp, the camera QR decoder
pkg-config --exists libpcsclite 2>/dev/null || need_apt+=(libpcsclite-dev) # the pcsc crate (NFC readers)
if [ "${OUTPOST_SETUP_APP:-0}" = 1 ]; then
  pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_apt+=(libwebkit2gtk-4.1-dev)
  pkg-config --exists dbus-1 2>/dev/null || need_apt+=(libdbus-1-dev) # desktop deadline reminders
  command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
  command -v npm >/dev/null 2>&1 || need_apt+=(npm)
fi
if [ "${OUTPOST_SETUP_WINDOW:-0}" = 1 ]; then
  command -v xvfb-run >/dev/null 2>&1 || need_apt+=(xvfb)
  command -v xauth >/dev/null 2>&1 || need_apt+=(xauth)
  command -v WebKitWebDriver >/dev/null 2>&1 || need_apt+=(webkit2gtk-driver)
  command -v dbus-daemon >/dev/null 2>&1 || need_apt+=(dbus-daemon) # the reminder test's session bus
  # Chinese glyphs in the window tests' screenshots (Xvfb has no desktop fonts)
  [ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need_apt+=(fonts-wqy-microhei)
  command -v dbus-monitor >/dev/null 2>&1 || need_apt+=(dbus-bin)
fi
if [ "${OUTPOST_SETUP_BROWSER:-0}" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils) # rasterises label sheets (PDF)
fi
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

if [ "${OUTPOST_SETUP_WINDOW:-0}" = 1 ] && ! command -v tauri-driver >/dev/null 2>&1; then
  echo "==> installing tauri-driver (WebDriver for the app's window)"
  cargo install tauri-driver --locked --version 2.1.0
fi

# The field app's front-end (TypeScript, no runtime dependencies): its build is what the Tauri
# crate embeds, so it must exist before anything compiles mobile/src-tauri.
build_app_ui() {
  echo "==> field app front-end: npm ci, build"
  (cd mobile/ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build)
}
