#!/usr/bin/env bash
# Installs every Debian 12 package Kezek builds, tests and benchmarks with. Idempotent: a package
# already installed is left as it is, and nothing is fetched when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config ccache
  flatbuffers-compiler libflatbuffers-dev
  librocksdb-dev librdkafka-dev libfmt-dev doctest-dev
  libboost-dev libboost-system-dev libssl-dev libxxhash-dev libabsl-dev libzstd-dev libsimdjson-dev
  postgresql libpq-dev   # the PostgreSQL baseline of benchmarks/country.sh
  curl jq python3 wrk bc  # the HTTP demo (scripts/run.sh), its tests, benchmarks/http.sh
  openssl                # the TLS test's self-signed certificate
  maven openjdk-17-jre-headless  # the Apache Kafka broker of the tests (scripts/kafka.sh)
  python3-venv            # scripts/python-env.sh: the OpenAPI test's pinned PyPI packages
  clang libclang-rt-14-dev  # scripts/fuzz.sh: the JSON decoder's libFuzzer target
  chromium                # the auditors' console's browser test (tests/console, Playwright)
)
# Node.js and npm (the console's chart library is bundled from npm at build time, and Playwright
# drives the browser test): Debian's, unless a Node.js is installed already (e.g. NodeSource's,
# whose package holds npm too).
command -v node > /dev/null && command -v npm > /dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#packages[@]} packages present"
fi
# The console's npm packages (uPlot, bundled into the binary; playwright-core, for its test),
# exactly as console/package-lock.json pins them; again only when the lockfile changed.
if ! cmp -s console/package-lock.json console/node_modules/.kezek-lockfile 2> /dev/null; then
  echo "setup: npm ci in console/"
  (cd console && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.kezek-lockfile)
fi
