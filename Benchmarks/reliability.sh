#!/usr/bin/env bash
# The slow proofs of the audit store (issue 6), run by hand with `make reliability`:
#   1. crash:       a writer committing verdicts is SIGKILLed at random moments (>= 100 times);
#                   every verdict whose commit had returned (printed after commit) must be there,
#                   and PRAGMA integrity_check must say ok after every kill.
#   2. concurrency: two processes write 1,000 verdicts each to one new file at the same time;
#                   none may be lost.
#   3. full disk:   the database on a small tmpfs (root) fills up; the command must exit 74 with
#                   a message, keep every earlier verdict, and work again once space is freed.
# Quick versions of each proof run in `make test` (Tests/StoreTests).
#
# Usage (repo root, after `swift build -c release`):
#   bash Benchmarks/reliability.sh [KILLS (default 120)] [VERDICTS PER WRITER (default 1000)]
set -uo pipefail

KILLS=${1:-120}
PER_WRITER=${2:-1000}
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
[ -x "$BIN" ] || { echo "reliability: $BIN not found; run 'swift build -c release' first" >&2; exit 66; }
command -v sqlite3 >/dev/null || { echo "reliability: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 69; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/labelaudit-reliability.XXXXXX")
MOUNTED=""
cleanup() {
    [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }

# A dataset of 5,000 train and 500 test ids, two latent columns.
DATA="$WORK/dataset"
mkdir -p "$DATA"
{ echo "id,v1,v2,glasses"; for i in $(seq 1 5000); do echo "$i,0.$((i % 97)),0.$((i % 89)),$((i % 3 == 0 ? 0 : 1))"; done; } > "$DATA/train.csv"
{ echo "id,v1,v2"; for i in $(seq 5001 5500); do echo "$i,0.5,0.5"; done; } > "$DATA/test.csv"
VERDICTS=(label_ok label_wrong unsure bad_image)

# ---------------------------------------------------------------- 1. crash loop
DB="$WORK/crash.sqlite"
LINES="$WORK/lines.txt"
for i in $(seq 1 5000); do echo "$i ${VERDICTS[$((i % 4))]}"; done | shuf > "$LINES"
acknowledged=0; missing=0; killed=0; checks_ok=0
start=$(date +%s.%N)
for round in $(seq 1 "$KILLS"); do
    reviewer="crash-$round"
    out="$WORK/out.$round"
    "$BIN" verdict "$DATA" --from "$LINES" --reviewer "$reviewer" --db "$DB" > "$out" 2>/dev/null &
    pid=$!
    # Random moment: 0.02 .. 0.70 s after start (some during start-up and the first open).
    sleep "0.$(printf '%02d' $((RANDOM % 69 + 2)))"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null
    # Every line printed was printed after its commit returned.
    grep -E '^recorded [0-9]+ [a-z_]+$' "$out" | awk '{print $2 "|" $3}' | sort > "$WORK/printed"
    [ -f "$DB" ] || { [ -s "$WORK/printed" ] && fail "round $round: verdicts printed but no database"; continue; }
    integrity=$(sqlite3 "$DB" "PRAGMA integrity_check" 2>&1)
    [ "$integrity" = "ok" ] && checks_ok=$((checks_ok + 1)) || fail "round $round: integrity_check said: $integrity"
    sqlite3 -separator '|' "$DB" "SELECT item, verdict FROM reviewer_state WHERE reviewer = '$reviewer' AND verdict IS NOT NULL" | sort > "$WORK/stored"
    lost=$(comm -23 "$WORK/printed" "$WORK/stored" | wc -l)
    acknowledged=$((acknowledged + $(wc -l < "$WORK/printed")))
    missing=$((missing + lost))
    [ "$lost" -eq 0 ] || fail "round $round: $lost acknowledged verdicts missing"
    # The event log and the state table stay in step.
    events=$(sqlite3 "$DB" "SELECT COUNT(*) FROM event WHERE reviewer = '$reviewer'")
    states=$(sqlite3 "$DB" "SELECT COUNT(*) FROM reviewer_state WHERE reviewer = '$reviewer'")
    [ "$events" = "$states" ] || fail "round $round: $events events but $states states"
done
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
echo "crash: $killed SIGKILLs in $KILLS rounds, $acknowledged acknowledged verdicts, $missing missing, integrity_check ok after $checks_ok/$KILLS kills ($(printf '%.1f' "$elapsed") s)"
[ "$killed" -ge 100 ] || [ "$KILLS" -lt 100 ] || fail "only $killed of $KILLS writers were killed mid-run"

# ---------------------------------------------------------------- 2. two concurrent writers
DB="$WORK/concurrent.sqlite"
for w in a b; do
    for i in $(seq 1 "$PER_WRITER"); do echo "$i ${VERDICTS[$(((i + ${#w}) % 4))]}"; done > "$WORK/writer-$w.txt"
done
start=$(date +%s.%N)
"$BIN" verdict "$DATA" --from "$WORK/writer-a.txt" --reviewer writer-a --db "$DB" > "$WORK/out-a" 2> "$WORK/err-a" &
pa=$!
"$BIN" verdict "$DATA" --from "$WORK/writer-b.txt" --reviewer writer-b --db "$DB" > "$WORK/out-b" 2> "$WORK/err-b" &
pb=$!
wait $pa; sa=$?
wait $pb; sb=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
[ $sa -eq 0 ] || fail "writer a exited $sa: $(cat "$WORK/err-a")"
[ $sb -eq 0 ] || fail "writer b exited $sb: $(cat "$WORK/err-b")"
stored=$(sqlite3 "$DB" "SELECT COUNT(*) FROM reviewer_state WHERE verdict IS NOT NULL")
events=$(sqlite3 "$DB" "SELECT COUNT(*) FROM event")
acked=$(( $(grep -c '^recorded ' "$WORK/out-a") + $(grep -c '^recorded ' "$WORK/out-b") ))
integrity=$(sqlite3 "$DB" "PRAGMA integrity_check")
echo "concurrency: 2 processes x $PER_WRITER verdicts on one new file: $acked acknowledged, $stored stored, $events events, integrity_check $integrity ($(printf '%.1f' "$elapsed") s, $(echo "scale=0; $acked / $elapsed" | bc) verdicts/s with fsync per commit)"
[ "$stored" -eq $((2 * PER_WRITER)) ] && [ "$acked" -eq $((2 * PER_WRITER)) ] || fail "expected $((2 * PER_WRITER)) verdicts, stored $stored, acknowledged $acked"
[ "$integrity" = "ok" ] || fail "integrity_check: $integrity"

# ---------------------------------------------------------------- 3. full disk
if [ "$(id -u)" -ne 0 ]; then
    echo "full disk: NOT RUN (needs root to mount a small tmpfs); the test suite covers it only when run as root"
    FAILURES=$((FAILURES + 1))
else
    DISK="$WORK/disk"
    mkdir -p "$DISK"
    if mount -t tmpfs -o size=1m tmpfs "$DISK"; then
        MOUNTED="$DISK"
        DB="$DISK/audit.sqlite"
        note=$(head -c 60000 /dev/zero | tr '\0' 'n')
        recorded=0; status=0
        for i in $(seq 1 200); do
            "$BIN" verdict "$DATA" "$i" label_wrong --note "$note" --reviewer filler --db "$DB" > /dev/null 2> "$WORK/err-full"
            status=$?
            [ $status -eq 0 ] || break
            recorded=$((recorded + 1))
        done
        message=$(cat "$WORK/err-full")
        expected="labelaudit: the disk holding $DB is full. Nothing was written (the last action was rolled back); free some space and try again."
        [ $status -eq 74 ] || fail "full disk: expected exit 74, got $status ($message)"
        [ "$message" = "$expected" ] || fail "full disk: message was: $message"
        stored=$(sqlite3 -readonly "$DB" "SELECT COUNT(*) FROM reviewer_state WHERE verdict IS NOT NULL" 2>&1)
        failed_item=$((recorded + 1))
        failed_present=$(sqlite3 -readonly "$DB" "SELECT COUNT(*) FROM event WHERE item = '$failed_item'" 2>&1)
        integrity=$(sqlite3 -readonly "$DB" "PRAGMA integrity_check" 2>&1)
        [ "$stored" = "$recorded" ] || fail "full disk: $recorded verdicts recorded before the disk filled, $stored stored"
        [ "$failed_present" = "0" ] || fail "full disk: the failed verdict left $failed_present events"
        [ "$integrity" = "ok" ] || fail "full disk: integrity_check: $integrity"
        # Free space (a teammate's file elsewhere would be the real move): the next verdict works.
        "$BIN" verdict "$DATA" "$failed_item" label_ok --reviewer other --db "$WORK/elsewhere.sqlite" > /dev/null
        "$BIN" merge "$DATA" "$DB" --db "$WORK/elsewhere.sqlite" > /dev/null || fail "full disk: the filled database cannot be merged from"
        echo "full disk: $recorded verdicts with 60 KB notes fit on a 1 MB tmpfs; the next one exited $status with \"$message\"; $stored stored, failed one absent ($failed_present events), integrity_check $integrity, file still merges"
    else
        echo "full disk: NOT RUN (mount -t tmpfs failed)"
        FAILURES=$((FAILURES + 1))
    fi
fi

if [ "$FAILURES" -eq 0 ]; then
    echo "reliability: all proofs passed"
else
    echo "reliability: $FAILURES problem(s)"
    exit 1
fi
