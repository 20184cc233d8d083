#!/usr/bin/env bash
# Runs mlv's whole test suite: unit tests and end-to-end tests of the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
export SWIFT_BACKTRACE=enable=no
scripts/ensure-deps.sh
swift build
MLV_BINARY="$(swift build --show-bin-path)/mlv" swift test "$@"
