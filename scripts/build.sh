#!/usr/bin/env bash
# Configures and builds one flavour: scripts/build.sh [release|sanitize] -> build/ or build-sanitize/.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
case "$flavour" in
  release) dir=build; extra=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  # -O1: the sanitizers find the same faults, and the suites run several times faster than at -O0.
  sanitize) dir=build-sanitize; extra=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" -DKEZEK_SANITIZE=ON) ;;
  *) echo "usage: scripts/build.sh [release|sanitize]" >&2; exit 2 ;;
esac
# ccache: paths relative to the checkout, so every clone (CI's, a helper's) shares one cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
cmake -S . -B "$dir" -G Ninja "${extra[@]}" > /dev/null
ninja -C "$dir" -j2
