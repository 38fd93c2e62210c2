#!/usr/bin/env bash
# Report bars: building the audit report (noise estimate by simulation, four permutation tests,
# precision@k, plots) and writing every format, on the demo and on the 5,000-face set, with
# scripted honest reviewers (the queue's top faces + a random sample, from the truth file).
# Bar (the lead's): well under a second on the demo, so `x` in the review app feels instant.
# There is no reference tool that builds this report; the quality figure printed beside the
# time is the noise estimate against the true share of flipped labels.
# Run from the repo root after `swift build -c release`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 1; }
WORK=bench-data/report
mkdir -p "$WORK/demo" "$WORK/faces5000"

echo "== demo (540 train faces): 80 queue reviews + 60 random"
# Warm the caches first (the bar is about the report, not the models).
"$BIN" report-bench Assets/demo --cache "$WORK/demo-cache.sqlite" --truth Assets/demo-truth/truth.csv \
  --queue 80 --sample 60 --out-dir "$WORK/demo" >/dev/null
"$BIN" report-bench Assets/demo --cache "$WORK/demo-cache.sqlite" --truth Assets/demo-truth/truth.csv \
  --queue 80 --sample 60 --out-dir "$WORK/demo"

FACES=${FACES:-bench-data/faces5000}
# (FACES=/path/to/faces5000 to use a set made elsewhere)
TRUTH=${TRUTH:-$(dirname "$FACES")/faces5000-truth/truth.csv}
if [ -d "$FACES" ] && [ -f "$TRUTH" ]; then
  echo "== $FACES (4,500 train faces): 300 queue reviews + 200 random"
  "$BIN" report-bench "$FACES" --cache "$WORK/faces5000-cache.sqlite" --truth "$TRUTH" \
    --queue 300 --sample 200 --out-dir "$WORK/faces5000" >/dev/null
  "$BIN" report-bench "$FACES" --cache "$WORK/faces5000-cache.sqlite" --truth "$TRUTH" \
    --queue 300 --sample 200 --out-dir "$WORK/faces5000"
else
  echo "skipped the 5,000-face set: $FACES or $TRUTH missing (make bench-data)"
fi

# Coverage of the noise interval: the scripted random sample is redrawn on every run, so repeated
# runs show how often the 95% interval holds the true share (should be about 19 in 20).
coverage() {
  local dataset=$1 cache=$2 truth=$3 queue=$4 sample=$5 runs=$6 out=$7 covered=0
  for _ in $(seq 1 "$runs"); do
    if "$BIN" report-bench "$dataset" --cache "$cache" --truth "$truth" --queue "$queue" --sample "$sample" --out-dir "$out" \
      | python3 -c 'import json,sys; d=json.load(sys.stdin); lo,hi=map(float,d["interval"].split("..")); t=float(d["true_share"]); sys.exit(0 if lo<=t<=hi else 1)'; then
      covered=$((covered + 1))
    fi
  done
  echo "interval held the true share in $covered of $runs runs ($dataset, $queue queue + $sample random reviews)"
}
RUNS=${RUNS:-20}
echo "== noise interval coverage ($RUNS runs each)"
coverage Assets/demo "$WORK/demo-cache.sqlite" Assets/demo-truth/truth.csv 80 60 "$RUNS" "$WORK/demo"
if [ -d "$FACES" ] && [ -f "$TRUTH" ]; then
  coverage "$FACES" "$WORK/faces5000-cache.sqlite" "$TRUTH" 300 200 "$RUNS" "$WORK/faces5000"
fi
