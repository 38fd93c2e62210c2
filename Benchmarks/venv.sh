#!/usr/bin/env bash
# Creates (once) the Python venv that holds the reference tools the bench compares against.
# Never used by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${LABELAUDIT_VENV:-.bench-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check -r Benchmarks/requirements.txt
echo "$VENV/bin/python"
