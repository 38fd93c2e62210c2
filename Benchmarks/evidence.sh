#!/usr/bin/env bash
# Evidence bars: latent model vs scikit-learn, all-pairs neighbours vs faiss, one query on
# 200,000 x 512, start-to-ranked-list with warm caches, and ranking / confident-learning quality
# vs |p - label| and cleanlab; then issue 18's: the image model against a PIL + scikit-image +
# scikit-learn pipeline (quality, ranking, cold start), 200,000 x 512 latents only (time, memory),
# imported neighbours for 200,000 faces. Run from the repo root after `swift build -c release`
# of both products, labelaudit and labelaudit-bench (the bench commands: models-bench,
# neighbours-bench, neighbours-import-bench); make bench builds them.
# LABELAUDIT_BEFORE_BIN=path/to/an/older/labelaudit adds that build's figures as "before".
# Opt-in CPU flag: LABELAUDIT_NATIVE=1 swift build -c release (the default build is baseline x86-64).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
BENCH_BIN=${LABELAUDIT_BENCH_BIN:-.build/release/labelaudit-bench}
for binary in "$BIN" "$BENCH_BIN"; do
  [ -x "$binary" ] || { echo "build first: $binary missing (swift build -c release --static-swift-stdlib --product $(basename "$binary"))" >&2; exit 1; }
done
PY=$(LABELAUDIT_VENV=${LABELAUDIT_VENV:-.bench-venv} bash Benchmarks/venv.sh)
WORK=bench-data/evidence
mkdir -p "$WORK"
if [ ! -f "$WORK/latents.f32" ]; then
  echo "making synthetic latents in $WORK (5,000 x 512, hyperplane labels with boundary flips)"
  "$PY" Benchmarks/evidence_bench.py make "$WORK" 5000 512
fi
echo "== latent model (bar: OOF log loss within 1% of scikit-learn on the same folds, and faster)"
"$PY" Benchmarks/evidence_bench.py model "$BENCH_BIN" "$WORK" 4500 512
echo "== neighbours (bar: all-pairs top-10 on 5,000 x 512 at most 0.6x faiss IndexFlatIP)"
# The issue asks for a kernel correct on baseline x86-64 and faster with an opt-in CPU flag;
# faiss runs AVX2+FMA BLAS, so the bar is read on the opt-in build (make bench builds both).
echo "(default build, baseline x86-64: SSE2, no FMA; shown for reference)"
"$PY" Benchmarks/evidence_bench.py neighbours "$BENCH_BIN" "$WORK" 5000 512 | sed 's/^PASS$/(pass)/; s/^FAIL$/(above the bar; the bar is read on the opt-in build below)/'
NATIVE_BENCH_BIN=${LABELAUDIT_NATIVE_BENCH_BIN:-.build-native/release/labelaudit-bench}
if [ -x "$NATIVE_BENCH_BIN" ]; then
  echo "(opt-in CPU flag: LABELAUDIT_NATIVE=1 swift build -c release --build-path .build-native)"
  "$PY" Benchmarks/evidence_bench.py neighbours "$NATIVE_BENCH_BIN" "$WORK" 5000 512
else
  echo "FAIL: $NATIVE_BENCH_BIN missing (make bench builds it)"
fi
echo "== one query (bar: 200,000 x 512 in at most 15 ms)"
"$PY" Benchmarks/evidence_bench.py query "$BENCH_BIN" "$WORK" 200000 512
echo "== start to ranked list, warm caches (bar: at most 1 s on 5,000 faces)"
FACES=bench-data/faces5000
if [ -d "$FACES" ]; then
  "$PY" Benchmarks/evidence_bench.py rank "$BIN" "$FACES"
else
  echo "($FACES missing: run make bench-data; timing the synthetic 5,000-row set without images instead)"
  "$PY" Benchmarks/evidence_bench.py rank "$BIN" "$WORK/dataset"
fi
echo "== ranking quality (bar: default >= |p - label| at P@50, P@100, AUROC; CL F1 >= cleanlab)"
if [ -f bench-data/faces5000-truth/truth.csv ]; then
  "$PY" Benchmarks/evidence_bench.py quality "$BIN" "$FACES" bench-data/faces5000-truth/truth.csv
else
  echo "skipped: bench-data/faces5000-truth/truth.csv missing (make bench-data)"
fi
echo "== image model, ranking, cold start (issue 18 bars 1-3; the reference pipeline takes a minute or two)"
if [ -f bench-data/faces5000-truth/truth.csv ]; then
  "$PY" Benchmarks/evidence_bench.py imagemodel "$BIN" "$FACES" bench-data/faces5000-truth/truth.csv "$WORK/imagemodel"
else
  echo "skipped: bench-data/faces5000-truth/truth.csv missing (make bench-data)"
fi
echo "== 200,000 x 512 latents only (bar 4; the first run writes a 1 GB CSV)"
"$PY" Benchmarks/evidence_bench.py bigrank "$BIN" "$WORK"
echo "== imported neighbours, 200,000 faces (bar 5)"
"$PY" Benchmarks/evidence_bench.py neighboursimport "$BENCH_BIN" "$WORK"
