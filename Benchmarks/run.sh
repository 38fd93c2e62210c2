#!/usr/bin/env bash
# make bench: every bar, ours beside the reference tool's, measured in the same run.
# Machines here are shared and noisy: read the ratios, not the absolute times.
set -uo pipefail
cd "$(dirname "$0")/.."
export LABELAUDIT_VENV="${LABELAUDIT_VENV:-.bench-venv}"
echo "== reference tools (venv: $LABELAUDIT_VENV)"
bash Benchmarks/venv.sh >/dev/null || { echo "bench: could not set up the venv"; exit 1; }
command -v chafa >/dev/null || { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chafa hyperfine >/dev/null; }
bash Benchmarks/make-data.sh || exit 1
status=0
for area in csv demo imaging evidence tui rerun report; do
  script="Benchmarks/$area.sh"
  [ -f "$script" ] || continue
  echo
  echo "== $area"
  bash "$script" || { echo "bench: $area failed (exit $?)"; status=1; }
done
exit $status
