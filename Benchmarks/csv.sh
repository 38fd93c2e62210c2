#!/usr/bin/env bash
# CSV ingest against pandas.read_csv; see Benchmarks/bench_csv.py.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(bash Benchmarks/venv.sh | tail -1)
"$PY" Benchmarks/bench_csv.py "$@"
