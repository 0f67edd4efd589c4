#!/usr/bin/env bash
# The README's first command: set up a fresh Debian 12 machine, build, and run the main job on
# the embedded default: generate a city's history from a seed, fold it, print what was decided.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
exec build/adapters/kezek demo "$@"
