#!/usr/bin/env bash
# The README's first command: set up a fresh Debian 12 machine, build, and run the main job on
# the embedded default: generate a city's history from a seed, fold it, print what was decided, and
# run it through the durable runtime into out/demo-data (logs, journal, RocksDB state).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
rm -rf out/demo-data
exec build/adapters/kezek demo --store out/demo-data "$@"
