#!/usr/bin/env bash
# Times `labelaudit demo generate` for 5000 faces at 1024x1024 (the bar: at most 180 s on 2 cores),
# and beside it the reference: Pillow decoding + re-encoding (q90) the same 5000 files on the same
# number of processes (see demo_reference.py). Run from the repo root after `swift build -c release`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/labelaudit
if [ ! -x "$BIN" ]; then
  echo "demo.sh: $BIN is missing; run 'swift build -c release' first." >&2
  exit 1
fi
PY=$(LABELAUDIT_VENV="${LABELAUDIT_VENV:-.bench-venv}" bash Benchmarks/venv.sh)
WORKERS=$(nproc)
OUT=.tmp/bench-demo
rm -rf "$OUT" "$OUT-truth"
mkdir -p .tmp
start=$(date +%s.%N)
"$BIN" demo generate --out "$OUT" --train 4500 --test 500 --size 1024 --dim 512 --seed 1 >/dev/null
end=$(date +%s.%N)
ours=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }')
read -r ref count _ < <("$PY" Benchmarks/demo_reference.py "$OUT/images" "$WORKERS")
bytes=$(du -sb "$OUT/images" | cut -f1)
echo "demo generate, 5000 faces at 1024x1024, $WORKERS cores:"
printf "  labelaudit (render + JPEG + CSV):        %7.1f s   (bar: <= 180 s) %s\n" "$ours" \
  "$(awk -v o="$ours" 'BEGIN { print (o <= 180 ? "PASS" : "FAIL") }')"
printf "  pillow decode + re-encode only (%s files): %7.1f s\n" "$count" "$ref"
awk -v o="$ours" -v r="$ref" 'BEGIN { printf "  ratio labelaudit / pillow round-trip:      %7.2f\n", o / r }'
awk -v b="$bytes" 'BEGIN { printf "  images: %.0f MB\n", b / 1e6 }'
rm -rf "$OUT" "$OUT-truth"
