#!/usr/bin/env bash
# Times `labelaudit demo generate` for 5000 faces at 1024x1024 (the bar: at most 180 s on 2 cores),
# and beside it the reference: Pillow decoding + re-encoding (q90) the same 5000 files on the same
# number of processes (see demo_reference.py). Run from the repo root after `swift build -c release`.
# Prints wall and CPU seconds for both: on a shared machine the wall time depends on the load, while
# CPU seconds / cores is what the run takes on idle cores.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/labelaudit
if [ ! -x "$BIN" ]; then
  echo "demo.sh: $BIN is missing; run 'swift build -c release' first." >&2
  exit 1
fi
PY=$(LABELAUDIT_VENV="${LABELAUDIT_VENV:-.bench-venv}" bash Benchmarks/venv.sh)
CORES=$(nproc)
OUT=.tmp/bench-demo
rm -rf "$OUT" "$OUT-truth"
mkdir -p .tmp
load=$(cut -d' ' -f1 /proc/loadavg)
/usr/bin/time -f '%e %U %S' -o .tmp/bench-demo.time \
  "$BIN" demo generate --out "$OUT" --train 4500 --test 500 --size 1024 --dim 512 --seed 1 >/dev/null
read -r ours_wall ours_user ours_sys < .tmp/bench-demo.time
/usr/bin/time -f '%e %U %S' -o .tmp/bench-ref.time \
  "$PY" Benchmarks/demo_reference.py "$OUT/images" "$CORES" > .tmp/bench-ref.out
read -r ref_wall ref_user ref_sys < .tmp/bench-ref.time
read -r _ count _ < .tmp/bench-ref.out
bytes=$(du -sb "$OUT/images" | cut -f1)
awk -v ow="$ours_wall" -v ou="$ours_user" -v os="$ours_sys" -v rw="$ref_wall" -v ru="$ref_user" -v rs="$ref_sys" \
    -v cores="$CORES" -v count="$count" -v load="$load" -v bytes="$bytes" 'BEGIN {
  oc = ou + os; rc = ru + rs
  printf "demo generate, 5000 faces at 1024x1024, %d cores (load average at start: %s):\n", cores, load
  printf "  %-44s %8s %8s %14s\n", "", "wall s", "CPU s", "CPU/cores s"
  printf "  %-44s %8.1f %8.1f %14.1f\n", "labelaudit demo generate (render+JPEG+CSV)", ow, oc, oc / cores
  printf "  %-44s %8.1f %8.1f %14.1f\n", "pillow decode + re-encode only (" count " files)", rw, rc, rc / cores
  printf "  ratio labelaudit / pillow: wall %.2f, CPU %.2f\n", ow / rw, oc / rc
  printf "  bar (<= 180 s on %d cores): wall %s; idle-core estimate (CPU/cores) %s\n", cores,
         (ow <= 180 ? "PASS" : "FAIL"), (oc / cores <= 180 ? "PASS" : "FAIL")
  printf "  images: %.0f MB, %.1f ms CPU per face\n", bytes / 1e6, oc * 1000 / 5000
}'
rm -rf "$OUT" "$OUT-truth" .tmp/bench-demo.time .tmp/bench-ref.time .tmp/bench-ref.out
