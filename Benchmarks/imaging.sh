#!/usr/bin/env bash
# Imaging bars (issue 4): `labelaudit render` beside chafa in the same run: fidelity (median SSIM
# per symbol set, truecolor and 256 colours, 40x20 and 80x40) and speed (whole process; in-process
# decode+render and a strip of 8 thumbnails). Run from the repo root after
# `swift build -c release --static-swift-stdlib` (what `make build` does; a dynamically linked Swift
# runtime and Foundation add ~15 ms of start-up to every `labelaudit render`).
#   bash Benchmarks/imaging.sh [IMAGES_DIR]      (default: bench-data/faces5000/images, first 20)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/labelaudit
if [ ! -x "$BIN" ]; then
  echo "imaging.sh: $BIN is missing; run 'swift build -c release --static-swift-stdlib' first." >&2
  exit 1
fi
if ! command -v chafa >/dev/null; then
  echo "imaging.sh: chafa is missing; install it with: apt-get install chafa" >&2
  exit 1
fi
PY=$(LABELAUDIT_VENV="${LABELAUDIT_VENV:-.bench-venv}" bash Benchmarks/venv.sh)
IMAGES="${1:-bench-data/faces5000/images}"
if [ ! -d "$IMAGES" ]; then
  echo "imaging.sh: $IMAGES not found (make bench-data creates the demo faces);"
  echo "            falling back to sample photographs (not faces) in bench-data/imaging-photos"
  IMAGES=bench-data/imaging-photos
  [ -d "$IMAGES" ] || "$PY" Benchmarks/imaging_photos.py "$IMAGES"
fi
"$PY" Benchmarks/imaging_bench.py "$IMAGES" --bin "$BIN" --count 20
