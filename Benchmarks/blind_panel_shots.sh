#!/usr/bin/env bash
# The pictures for a blind panel (issue 14): the review app's inspect view of each face in
# KEY.csv (item,id,style,glasses), captured in tmux at COLSxROWS and cropped to the picture
# region with render-fidelity's termshot.py --crop-picture, so a judge sees no id, label or p.
# Give the judge only OUT/*.png (renumbered in a shuffled order), keep KEY.csv away, score after.
#   bash Benchmarks/blind_panel_shots.sh KEY.csv OUT COLS ROWS
# Needs the release binary, bench-data/faces5000 and python3 with pillow/scikit-image/scipy
# (the bench venv: LABELAUDIT_VENV/bin/python).
set -u
key=$1; out=$2; cols=$3; rows=$4
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
DATA=${PANEL_DATASET:-bench-data/faces5000}
PY=${LABELAUDIT_VENV:-.bench-venv}/bin/python
TERMSHOT=${RENDER_FIDELITY:-/work/shared/tools/render-fidelity}/termshot.py
mkdir -p "$out"
tail -n +2 "$key" | while IFS=, read item id style glasses; do
  sock=panel-$cols
  tmux -L $sock kill-server 2>/dev/null
  tmux -L $sock new-session -d -s t -x $cols -y $rows -e LANG=C.UTF-8 -e COLORTERM=truecolor -e XDG_CONFIG_HOME=/tmp/panel-config \
    "$BIN $DATA --db /tmp/panel-$cols.sqlite --cache /tmp/panel-cache.sqlite --reviewer judge --no-image --goto $id --inspect --graphics off; sleep 100"
  for i in $(seq 50); do sleep 0.2; tmux -L $sock capture-pane -p -t t | grep -q "inspect  id $id " && break; done
  sleep 0.8
  tmux -L $sock capture-pane -e -p -t t > "$out/$item.ansi"
  tmux -L $sock kill-server
  "$PY" "$TERMSHOT" "$out/$item.ansi" -o "$out/$item.png" --crop-picture > /dev/null
done
