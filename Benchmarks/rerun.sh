#!/usr/bin/env bash
# Rerun bar (issue 9): `labelaudit rerun --model image` on 100 flagged faces of the 5,000-face demo
# set, warm caches, at most 2 s including retraining; beside scikit-learn doing the same retraining.
# Run from the repo root after `swift build -c release` and `make bench-data`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
PY=$(LABELAUDIT_VENV=${LABELAUDIT_VENV:-.bench-venv} bash Benchmarks/venv.sh)
FACES=${FACES:-bench-data/faces5000}
TRUTH=${TRUTH:-bench-data/faces5000-truth/truth.csv}
if [ ! -f "$FACES/train.csv" ] || [ ! -f "$TRUTH" ]; then
  echo "$FACES or $TRUTH missing: run make bench-data (or set FACES and TRUTH)" >&2
  exit 1
fi
# The audit database and the cache go to bench-data/rerun, never into the dataset folder.
"$PY" Benchmarks/rerun_bench.py "$BIN" "$FACES" "$TRUTH" bench-data/rerun "${TRIALS:-3}"
