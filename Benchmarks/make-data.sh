#!/usr/bin/env bash
# Makes bench-data/faces5000 (4500 train + 500 test faces at 1024x1024, like the competition)
# with the release binary, and prints how long it took. Run from the repo root after
# `swift build -c release` (or via `make bench-data`). Skips the work when the same set exists.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/labelaudit
OUT=bench-data/faces5000
ARGS=(--train 4500 --test 500 --size 1024 --dim 512 --seed 1)
if [ ! -x "$BIN" ]; then
  echo "make-data.sh: $BIN is missing; run 'swift build -c release' first." >&2
  exit 1
fi
STAMP="$OUT.args"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${ARGS[*]}" ] && [ -f "$OUT/test.csv" ] \
   && [ "$(find "$OUT/images" -name 'face-*.jpg' | wc -l)" -eq 5000 ]; then
  echo "bench-data: $OUT already holds the 5000-face set (${ARGS[*]}); delete it to remake."
  exit 0
fi
mkdir -p bench-data
rm -rf "$OUT" "$OUT-truth" "$STAMP"
start=$(date +%s.%N)
"$BIN" demo generate --out "$OUT" "${ARGS[@]}"
end=$(date +%s.%N)
echo "${ARGS[*]}" > "$STAMP"
awk -v s="$start" -v e="$end" 'BEGIN { printf "bench-data: made bench-data/faces5000 (5000 faces at 1024x1024) in %.1f s\n", e - s }'
