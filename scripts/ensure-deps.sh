#!/usr/bin/env bash
# Installs what building and testing mlv needs, only when it is missing.
set -euo pipefail
missing=()
command -v git >/dev/null || missing+=(git)
command -v pkg-config >/dev/null || missing+=(pkg-config)
# The pipeline demo and tests run real Python stages.
command -v python3 >/dev/null || missing+=(python3 python3-pip)
pkg-config --exists libgit2 2>/dev/null || missing+=(libgit2-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "swift is not on PATH; install Swift 6 first" >&2; exit 1; }
# The S3 tests run against moto's server on 127.0.0.1; boto3 (moto's dependency) sets it up.
if [ "${MLV_SKIP_TEST_DEPS:-}" != 1 ] && ! python3 -c "import moto.server, boto3" >/dev/null 2>&1; then
  echo "installing: moto[server]" >&2
  python3 -m pip install -q 'moto[server]'
fi
# The evaluator's tests compare every number with scikit-learn; the plots pages are checked in
# a real browser (headless Chromium driven by selenium).
if [ "${MLV_SKIP_TEST_DEPS:-}" != 1 ]; then
  if ! python3 -c "import sklearn, selenium" >/dev/null 2>&1; then
    echo "installing: scikit-learn selenium" >&2
    python3 -m pip install -q scikit-learn selenium
  fi
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "installing: chromium chromium-driver" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
