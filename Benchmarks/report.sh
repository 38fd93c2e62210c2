#!/usr/bin/env bash
# Report bars: building the audit report (noise estimate by simulation, four permutation tests,
# precision@k, plots) and writing every format, on the demo and on the 5,000-face set, with
# scripted honest reviewers (the queue's top faces + a random sample, from the truth file).
# Bar (the lead's): well under a second on the demo, so `x` in the review app feels instant.
# There is no reference tool that builds this report; the quality figure printed beside the
# time is the noise estimate against the true share of flipped labels.
# The bench commands live in the bench executable (never shipped): run from the repo root after
# `swift build -c release --product labelaudit-bench` (make bench builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_BIN=${LABELAUDIT_BENCH_BIN:-.build/release/labelaudit-bench}
[ -x "$BENCH_BIN" ] || { echo "build first: swift build -c release --static-swift-stdlib --product labelaudit-bench" >&2; exit 1; }
WORK=bench-data/report
mkdir -p "$WORK/demo" "$WORK/faces5000"

echo "== demo (540 train faces): 80 queue reviews + 60 random"
# Warm the caches first (the bar is about the report, not the models).
"$BENCH_BIN" report-bench Assets/demo --cache "$WORK/demo-cache.sqlite" --truth Assets/demo-truth/truth.csv \
  --queue 80 --sample 60 --out-dir "$WORK/demo" >/dev/null
"$BENCH_BIN" report-bench Assets/demo --cache "$WORK/demo-cache.sqlite" --truth Assets/demo-truth/truth.csv \
  --queue 80 --sample 60 --out-dir "$WORK/demo"

FACES=${FACES:-bench-data/faces5000}
# (FACES=/path/to/faces5000 to use a set made elsewhere)
TRUTH=${TRUTH:-$(dirname "$FACES")/faces5000-truth/truth.csv}
if [ -d "$FACES" ] && [ -f "$TRUTH" ]; then
  echo "== $FACES (4,500 train faces): 300 queue reviews + 200 random"
  "$BENCH_BIN" report-bench "$FACES" --cache "$WORK/faces5000-cache.sqlite" --truth "$TRUTH" \
    --queue 300 --sample 200 --out-dir "$WORK/faces5000" >/dev/null
  "$BENCH_BIN" report-bench "$FACES" --cache "$WORK/faces5000-cache.sqlite" --truth "$TRUTH" \
    --queue 300 --sample 200 --out-dir "$WORK/faces5000"
else
  echo "skipped the 5,000-face set: $FACES or $TRUTH missing (make bench-data)"
fi

PY=$(LABELAUDIT_VENV=${LABELAUDIT_VENV:-.bench-venv} bash Benchmarks/venv.sh)
echo "== issues CSV against cleanlab (same probabilities)"
"$PY" Benchmarks/report_bench.py issues "$WORK/demo/report-issues.csv"
if [ -f "$WORK/faces5000/report-issues.csv" ]; then "$PY" Benchmarks/report_bench.py issues "$WORK/faces5000/report-issues.csv"; fi

# Noise estimate by simulation (the issue's bar): honest scripted reviewers review the queue's top
# K faces, then an audit sample of n drawn afresh each run (importance-weighted, as `labelaudit
# sample` draws it, and uniform); the model-assisted estimator, the stratified one and PPI++
# (ppi-python, on the same uniform samples) each print coverage and mean width beside the true share.
# Bar: at 200 + 100 on the 5,000-face set, the weighted model-assisted interval holds the truth in
# >= 94% of >= 100 runs with a mean width <= 1.0 percentage point.
RUNS=${RUNS:-100}
noise() {
  local dataset=$1 cache=$2 truth=$3 budgets=$4 out=$5
  "$BENCH_BIN" noise-bench "$dataset" --cache "$cache" --truth "$truth" --budgets "$budgets" --runs "$RUNS" --dump "$out" | tee "$out.txt"
  "$PY" Benchmarks/report_bench.py "$out"
}
echo "== noise estimate, $RUNS simulated runs per budget (queue + sample reviews)"
noise Assets/demo "$WORK/demo-cache.sqlite" Assets/demo-truth/truth.csv 40+30,80+60,120+100 "$WORK/demo-noise.json"
if [ -d "$FACES" ] && [ -f "$TRUTH" ]; then
  noise "$FACES" "$WORK/faces5000-cache.sqlite" "$TRUTH" 100+50,200+100,300+200 "$WORK/faces5000-noise.json"
  awk '$1 == "200+100" && $2 == "weighted" && $3 == "model-assisted" {
         cov = $7 + 0; width = $8 + 0; runs = $4 + 0
         ok = (cov >= 94 && width <= 1.0 && runs >= 100)
         printf "bar (200+100, weighted, model-assisted): coverage %.1f%% (>= 94), mean width %.3f points (<= 1.0), %d runs: %s\n", cov, width, runs, ok ? "PASS" : "FAIL"
         exit ok ? 0 : 1 }' "$WORK/faces5000-noise.json.txt"
fi
