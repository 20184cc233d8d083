#!/usr/bin/env bash
# Runs mlv's libFuzzer targets (fuzz/) for a bounded time each: every parser of untrusted
# input (pointers, manifests, pack indexes, chunk lists, mlv.lock, mlv.yaml, gates, params and
# metrics files, notes). Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# A crash leaves its input in fuzz/findings/; turn each into a regression test.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export SWIFT_BACKTRACE=enable=no
seconds="${1:-30}"; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pointer manifest pack-index chunk-list lock pipeline gate params-yaml params-json params-toml metrics-csv note)
swift build --sanitize=fuzzer -q
binary="$(swift build --sanitize=fuzzer --show-bin-path)/mlv-fuzz"
mkdir -p findings
status=0
for target in "${targets[@]}"; do
  work="$(mktemp -d)"
  cp corpus/"$target"/* "$work"/
  echo "== $target (${seconds}s)"
  # -rss_limit_mb: a parser that allocates without bound is a finding too.
  if ! MLV_FUZZ_TARGET="$target" "$binary" "$work" -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 \
      -artifact_prefix="findings/$target-" -print_final_stats=1 2>&1 | tail -n 12; then
    status=1
  fi
  rm -rf "$work"
done
exit $status
