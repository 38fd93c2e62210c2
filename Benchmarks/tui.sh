#!/usr/bin/env bash
# Key press to finished frame in the review TUI, read from its --frame-log.
#
# Runs `labelaudit review-demo` (in-memory backend, procedural pictures) in a detached tmux
# session at 120x40 and 200x60, sends `j` N times with a pause between presses (so each
# press makes its own frame), quits, and prints p50/p95/max of the frames the presses caused
# beside the issue's bars (p50 <= 8 ms, p95 <= 16 ms). The figure covers the TUI's own work:
# state change, screen model, diff and curses output through a real pty. JPEG decoding and
# the evidence engine are not in it until the TUI is wired to them (round 2).
#
# Usage (from the repo root, after `swift build -c release`):
#   bash Benchmarks/tui.sh [presses]      LABELAUDIT_BIN overrides the binary.
set -euo pipefail
presses="${1:-200}"
bin="$(realpath -m "${LABELAUDIT_BIN:-.build/release/labelaudit}")"
command -v tmux >/dev/null || { echo "tui bench: tmux is missing (make deps installs it)"; exit 1; }
[ -x "$bin" ] || { echo "tui bench: $bin not found; run swift build -c release first"; exit 1; }
work="$PWD/.tmp/bench-tui"
mkdir -p "$work"
socket="labelaudit-bench-tui-$$"
conf="$work/tmux.conf"
echo "set-option -g remain-on-exit on" > "$conf"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT

run_size() {
  local cols="$1" rows="$2" log="$work/frames-${1}x${2}.tsv"
  rm -f "$log"
  tmux -L "$socket" -f "$conf" new-session -d -s bench -x "$cols" -y "$rows" \
    -e LANG=C.UTF-8 -e COLORTERM=truecolor -e NO_COLOR= \
    "$bin" review-demo --faces 2000 --frame-log "$log"
  # wait for the first frame
  for _ in $(seq 600); do [ -s "$log" ] && [ "$(wc -l < "$log")" -ge 2 ] && break; sleep 0.05; done
  tmux -L "$socket" send-keys -t bench ":" "filter train" Enter
  sleep 0.3
  local before
  before=$(wc -l < "$log")
  for _ in $(seq "$presses"); do
    tmux -L "$socket" send-keys -t bench j
    sleep 0.02
  done
  sleep 0.5
  tmux -L "$socket" send-keys -t bench q
  sleep 0.5
  tmux -L "$socket" kill-server 2>/dev/null || true
  local model_p50
  model_p50=$(tail -n +"$((before + 1))" "$log" | cut -f3 | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR - 1) * 0.5) + 1] }')
  tail -n +"$((before + 1))" "$log" | cut -f2 | sort -n | awk -v size="${cols}x${rows}" -v model="$model_p50" '
    { ms[NR] = $1 }
    END {
      n = NR
      if (n == 0) { printf "%-8s no frames logged\n", size; exit 1 }
      p50 = ms[int((n - 1) * 0.50) + 1]; p95 = ms[int((n - 1) * 0.95) + 1]
      printf "%-8s frames %4d   p50 %6.2f ms (bar 8, ratio %.2f)   p95 %6.2f ms (bar 16, ratio %.2f)   max %6.2f ms   model p50 %s ms\n",
             size, n, p50, p50 / 8, p95, p95 / 16, ms[n], model
    }'
}

echo "review TUI: key press (j) to finished frame, $presses presses, in-memory sample of 2000 faces"
echo "(model = state change + screen model; the rest is curses output into tmux's pty; load: $(cut -d' ' -f1-3 /proc/loadavg))"
run_size 120 40
run_size 200 60
