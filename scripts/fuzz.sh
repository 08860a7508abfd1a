#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time: ${OUTPOST_FUZZ_SECONDS:-30} s each
# (OUTPOST_FUZZ_TARGETS="a b" picks some). Exits non-zero on the first crash, timeout or
# out-of-memory, printing the file that reproduces it:
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <file>
# Stable Rust is enough: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's -Z flags. No sanitizer: the
# code is safe Rust, so what is hunted is panics, aborts, memory blow-ups and hangs.
# New inputs the fuzzer finds go to fuzz/target/corpus/<target> (kept between local runs,
# never committed); the seeds in fuzz/corpus/<target> are only read.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${OUTPOST_FUZZ_SECONDS:-30}
export RUSTC_BOOTSTRAP=1
# The main workspace's clippy wrapper (scripts/test.sh) is not for this workspace.
unset RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS

# target and its -max_len: a sync request body and a change are bounded by the server's limits
# in practice, a workbook is larger.
declare -A max_len=(
  [sync_request]=65536
  [change]=65536
  [admission]=65536
  [record]=65536
  [workbook]=1048576
  [sheet_xml]=262144
  [tag]=256
)
targets=${OUTPOST_FUZZ_TARGETS:-"sync_request change admission record workbook sheet_xml tag"}

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

build_started=$(date +%s)
cargo fuzz build --sanitizer none
echo "built the fuzz targets in $(( $(date +%s) - build_started )) s"

for target in $targets; do
  work=target/corpus/$target
  mkdir -p "$work" artifacts/"$target"
  log=$(mktemp)
  echo "fuzzing $target for $seconds s"
  # libFuzzer writes new inputs into the first folder and reads the seeds from the second.
  if ! cargo fuzz run --sanitizer none "$target" "$work" "corpus/$target" -- \
      -max_len="${max_len[$target]}" -rss_limit_mb=2048 -timeout=10 \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    # The panic and libFuzzer's summary; not cargo-fuzz's dump of the input's bytes.
    sed '/^Output of `std::fmt::Debug`:/,/^Reproduce with:/d' "$log" | tail -n 80
    crash=$(grep -o 'artifacts/[^ ]*' "$log" | tail -n 1 || true)
    echo "fuzz target $target failed; reproduce with:"
    echo "  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $target fuzz/${crash:-artifacts/$target}"
    rm -f "$log"
    exit 1
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" \
    | sed "s/^/  $target /"
  rm -f "$log"
done
