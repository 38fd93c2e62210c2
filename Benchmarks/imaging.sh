#!/usr/bin/env bash
# Imaging bars (issues 4 and 14): `labelaudit render` beside chafa in the same run: glyph fidelity
# per class (half, quad, sextant) in truecolor and 256 colours on faces and photos, CIEDE2000,
# the eye band at the inspect view's sizes, whole-process time. Run from the repo root after
# `swift build -c release --static-swift-stdlib --product labelaudit` (a dynamically linked Swift
# runtime adds ~15 ms of start-up to every `labelaudit render`).
#   bash Benchmarks/imaging.sh [FACES_DIR ...]   (default: bench-data/faces5000 and Assets/demo)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/labelaudit
if [ ! -x "$BIN" ]; then
  echo "imaging.sh: $BIN is missing; run 'swift build -c release --static-swift-stdlib --product labelaudit' first." >&2
  exit 1
fi
if ! command -v chafa >/dev/null; then
  echo "imaging.sh: chafa is missing; install it with: apt-get install chafa" >&2
  exit 1
fi
PY=$(LABELAUDIT_VENV="${LABELAUDIT_VENV:-.bench-venv}" bash Benchmarks/venv.sh)
PHOTOS=bench-data/imaging-photos
[ -d "$PHOTOS" ] || "$PY" Benchmarks/imaging_photos.py "$PHOTOS"
FACES=("$@")
if [ ${#FACES[@]} -eq 0 ]; then
  FACES=(Assets/demo)
  [ -d bench-data/faces5000/images ] && FACES=(bench-data/faces5000 Assets/demo)
fi
ARGS=()
for f in "${FACES[@]}"; do ARGS+=(--faces "$f"); done
"$PY" Benchmarks/imaging_bench.py "${ARGS[@]}" --photos "$PHOTOS" --bin "$BIN"
