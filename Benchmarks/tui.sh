#!/usr/bin/env bash
# Key press to finished frame in the review TUI, read from its --frame-log.
#
# Runs the real app (`labelaudit DATASET`: evidence engine, audit store, JPEG pictures through
# the render cache with background prefetch) on the 5,000-face set at 1024 px in a detached
# tmux session at 120x40 and 200x60, waits for the evidence, sends `j` N times with a pause
# between presses (so each press makes its own frame), quits, and prints p50/p95/max of the
# frames the presses caused beside the issue's bars (p50 <= 8 ms, p95 <= 16 ms). The figure
# covers state change, screen model, pictures (decode on a prefetch miss), diff and terminal
# output through tmux's pty; "model" is the part before output.
#
# Usage (from the repo root, after `swift build -c release`):
#   bash Benchmarks/tui.sh [presses]      LABELAUDIT_BIN overrides the binary,
#   TUI_DATASET the dataset (default: bench-data/faces5000, else /work/main/bench-data/faces5000;
#   `make bench-data` makes it).
set -euo pipefail
presses="${1:-200}"
bin="$(realpath -m "${LABELAUDIT_BIN:-.build/release/labelaudit}")"
command -v tmux >/dev/null || { echo "tui bench: tmux is missing (make deps installs it)"; exit 1; }
[ -x "$bin" ] || { echo "tui bench: $bin not found; run swift build -c release first"; exit 1; }
work="$PWD/.tmp/bench-tui"
mkdir -p "$work"
dataset="${TUI_DATASET:-bench-data/faces5000}"
[ -f "$dataset/train.csv" ] || dataset="/work/main/bench-data/faces5000"
[ -f "$dataset/train.csv" ] || { echo "tui bench: no bench-data/faces5000; run make bench-data"; exit 1; }
socket="labelaudit-bench-tui-$$"
conf="$work/tmux.conf"
echo "set-option -g remain-on-exit on" > "$conf"
trap 'tmux -L "$socket" kill-server 2>/dev/null || true' EXIT

run_size() {
  local cols="$1" rows="$2" output="$3" view="${4:-queue}" log="$work/frames-${1}x${2}-$3-${4:-queue}.tsv"
  local bytes="$work/bytes-${1}x${2}-$3-${4:-queue}.bin" key=j
  local curses=""
  [ "$output" = curses ] && curses=1
  rm -f "$log" "$bytes"
  tmux -L "$socket" -f "$conf" new-session -d -s bench -x "$cols" -y "$rows" \
    -e LANG=C.UTF-8 -e COLORTERM=truecolor -e NO_COLOR= -e LABELAUDIT_CURSES_OUTPUT="$curses" \
    "$bin" "$dataset" --db "$work/audit.sqlite" --reviewer bench --no-image --frame-log "$log"
  # wait for the evidence (the status line says so), then use the whole train queue
  for _ in $(seq 1200); do
    tmux -L "$socket" capture-pane -p -t bench | grep -q "evidence ready" && break; sleep 0.1
  done
  tmux -L "$socket" send-keys -t bench ":" "filter train" Enter
  sleep 0.5
  # The inspect view (i) and the contact sheet (c, moved through with Right) as well as the queue.
  case "$view" in
    inspect) tmux -L "$socket" send-keys -t bench i; sleep 0.5 ;;
    sheet) tmux -L "$socket" send-keys -t bench c; key=Right; sleep 1 ;;
  esac
  local before
  before=$(wc -l < "$log")
  tmux -L "$socket" pipe-pane -t bench -o "cat >> '$bytes'"
  for _ in $(seq "$presses"); do
    tmux -L "$socket" send-keys -t bench "$key"
    sleep 0.05
  done
  sleep 0.5
  tmux -L "$socket" pipe-pane -t bench
  local per_frame
  per_frame=$(( $(stat -c %s "$bytes") / presses ))
  tmux -L "$socket" send-keys -t bench q
  sleep 0.5
  tmux -L "$socket" kill-server 2>/dev/null || true
  local model_p50 ready_p50
  model_p50=$(tail -n +"$((before + 1))" "$log" | cut -f3 | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR - 1) * 0.5) + 1] }')
  ready_p50=$(tail -n +"$((before + 1))" "$log" | cut -f5 | sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.2f", v[int((NR - 1) * 0.5) + 1] }')
  tail -n +"$((before + 1))" "$log" | cut -f2 | sort -n | awk -v size="${cols}x${rows} $output $view" -v model="$model_p50" -v ready="$ready_p50" -v bytes="$per_frame" '
    { ms[NR] = $1 }
    END {
      n = NR
      if (n == 0) { printf "%-8s no frames logged\n", size; exit 1 }
      p50 = ms[int((n - 1) * 0.50) + 1]; p95 = ms[int((n - 1) * 0.95) + 1]
      printf "%-23s frames %4d   p50 %6.2f ms (bar 8, ratio %.2f)   p95 %6.2f ms (bar 16, ratio %.2f)   max %6.2f ms   model p50 %s ms   bytes ready p50 %s ms   %d bytes/frame\n",
             size, n, p50, p50 / 8, p95, p95 / 16, ms[n], model, ready, bytes
    }'
}

# The team's verdicts on 300 faces (two other reviewers, some disagreeing), so the queue, the
# strip and the contact sheet draw the team's marks and conflicts.
rm -f "$work/audit.sqlite"*
for reviewer in bo cy; do
  awk -F, -v r="$reviewer" 'NR > 1 && NR <= 301 { v = (NR % 7 == 0) ? "label_wrong" : "label_ok"; if (r == "cy" && NR % 11 == 0) v = "label_wrong"; print $1, v }' \
    "$dataset/train.csv" | "$bin" verdict "$dataset" --from - --db "$work/audit.sqlite" --reviewer "$reviewer" > /dev/null
done
echo "review TUI: key press (j; Right on the contact sheet) to finished frame, $presses presses, $dataset (real app, latent evidence, 2 teammates' verdicts on 300 faces)"
echo "(model = state change + screen model + pictures; bytes ready = model + encoding; the rest is terminal output into tmux's pty;"
echo " direct = the app's own escape-sequence writer, curses = the same frames through curses' doupdate"
echo " (LABELAUDIT_CURSES_OUTPUT=1), the reference measured in the same run; load: $(cut -d' ' -f1-3 /proc/loadavg))"
# Start-up with warm caches (the runs above filled them): launch to first frame, and to the
# ranked queue (evidence from the cache), read by polling the pane (poll step 10 ms).
startup() {
  local start first="" now
  start=$(date +%s%N)
  tmux -L "$socket" -f "$conf" new-session -d -s start -x 200 -y 60 -e LANG=C.UTF-8 -e COLORTERM=truecolor \
    "$bin" "$dataset" --db "$work/audit.sqlite" --reviewer bench --no-image
  while true; do
    screen=$(tmux -L "$socket" capture-pane -p -t start 2>/dev/null || true)
    now=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$first" ] && grep -q "faces where a model disagrees" <<< "$screen"; then first=$now; fi
    grep -q "evidence ready" <<< "$screen" && break
    [ "$now" -gt 60000 ] && break
    sleep 0.01
  done
  echo "start-up, warm caches: first frame ${first} ms (bar 500), ranked queue ${now} ms"
  tmux -L "$socket" kill-server 2>/dev/null || true
  sleep 0.5
}

for size in "120 40" "200 60"; do
  run_size $size direct
  run_size $size curses
done
run_size 200 60 direct inspect
run_size 200 60 direct sheet
startup
startup
