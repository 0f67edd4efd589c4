#!/usr/bin/env bash
# The Python packages of the HTTP API's OpenAPI tests (tests/http/openapi_test.py: schemathesis,
# jsonschema, PyYAML, openapi-spec-validator), pinned in scripts/python-requirements.txt, in a
# virtual environment at .venv (gitignored). Idempotent: when .venv already holds exactly those
# pins it returns at once; otherwise it (re)creates .venv and installs them from PyPI.
#
#   scripts/python-env.sh                 # make sure .venv is ready
#   scripts/python-env.sh python ARGS...  # ... then run .venv/bin/python ARGS (any .venv/bin tool)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.venv
requirements=$root/scripts/python-requirements.txt
# Debian's interpreter, whose venv module scripts/setup.sh installs (python3-venv).
python=${KEZEK_PYTHON:-/usr/bin/python3}
[ -x "$python" ] || python=python3

ready() { [ -x "$venv/bin/python" ] && cmp -s "$requirements" "$venv/requirements.txt"; }

if ! ready; then
  mkdir -p "$venv"
  # Two tests (or two build flavours) may ask at once: one installs, the other waits.
  exec 9> "$venv/.lock"
  flock 9
  if ! ready; then
    echo "python-env: creating $venv with scripts/python-requirements.txt" >&2
    find "$venv" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2
    cp "$requirements" "$venv/requirements.txt"
  fi
  flock -u 9
fi
if (($#)); then
  tool=$1
  shift
  exec "$venv/bin/$tool" "$@"
fi
