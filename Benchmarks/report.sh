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
[ -d "$FACES" ] || FACES=/work/main/bench-data/faces5000
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
