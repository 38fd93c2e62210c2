#!/usr/bin/env bash
# The reliability suite, `make reliability` (issues 6 and 15). Every group of cases reports one
# row of counts; the script prints them as one table and fails unless every count but "tried"
# is zero:
#   bad-input    every bad input of issue 15 through the command line (Tests/ReliabilityTests:
#                tiny and one-label sets, hostile headers and ids, FIFOs, devices, folders, huge
#                lines, read-only team files, hostile merge sources, exit codes), on the release
#                binary, each with its exact exit code and message;
#   csv-fuzz     10,000 mutated tables (slices of Assets/demo/train.csv and generated ones) read
#                mapped and streamed with random read splits (`labelaudit-bench fuzz-csv`);
#   crash        a writer committing verdicts is SIGKILLed at random moments (>= 100 times);
#                every verdict whose commit had returned must be there, integrity_check ok;
#   concurrency  two processes write 1,000 verdicts each to one new file, then 30 more new files
#                with 50 each (the race to create the file); none may fail or be lost;
#   full-disk    the database on a 1 MB tmpfs fills up (root only): exit 74, nothing lost;
#   app-input    the review app in tmux: a 100 KB paste (in the note editor, in the queue),
#                unbracketed bursts, a paste end marker split byte by byte, keys at and behind
#                every panel, unknown sequences and raw mouse bytes, a hostile teammate's note,
#                SIGILL/SEGV/BUS/ABRT: nothing recorded by accident, nothing raw on screen, the
#                terminal restored;
#   key-fuzz     the key/paste decoder on 100,000 random byte streams with random read splits
#                (`labelaudit-bench fuzz-input`): the keys never depend on the splits, a paste is
#                always one paste.
# Quick versions of each run in `make test` (Tests/ReliabilityTests, Tests/StoreTests).
#
# How a group reports (add a group, e.g. the review app's paste and key cases, as one more row):
# append one line to the file named by $LABELAUDIT_RELIABILITY_ROWS (set below for every
# producer) of the form
#     row NAME tried=N crashes=N hangs=N wrong_exit=N raw_control=N accidental_events=N [wrong_message=N] [lost=N] [note=WORD]
# where tried counts the cases run; crashes, cases that ended by a signal; hangs, cases over
# their time limit; wrong_exit, cases with another exit status than expected; wrong_message,
# cases whose message or output was not the one expected; raw_control, cases that wrote a
# control byte, escape sequence or bidi control to stdout/stderr (or to the terminal, for the
# app); accidental_events, audit events written (or data changed) that the case must not
# write; lost, committed verdicts missing afterwards or integrity_check failures. Then call
# the producer with `run_group NAME TIMEOUT COMMAND...`: if it dies by a signal or times out
# before writing its row, the script writes one for it (crashes=1 or hangs=1).
#
# Usage (repo root, after release builds of both products, labelaudit and labelaudit-bench, and
# `swift build --build-tests`; make reliability does all three):
#   bash Benchmarks/reliability.sh [KILLS (default 120)] [VERDICTS PER WRITER (default 1000)] [FUZZ CASES (default 10000)]
set -uo pipefail

KILLS=${1:-120}
PER_WRITER=${2:-1000}
FUZZ_CASES=${3:-10000}
BIN=${LABELAUDIT_BIN:-.build/release/labelaudit}
[ -x "$BIN" ] || { echo "reliability: $BIN not found; run 'swift build -c release --static-swift-stdlib --product labelaudit' first" >&2; exit 66; }
# The fuzzers (fuzz-csv, fuzz-input) live in the bench executable, never in the shipped one.
BENCH_BIN=${LABELAUDIT_BENCH_BIN:-.build/release/labelaudit-bench}
[ -x "$BENCH_BIN" ] || { echo "reliability: $BENCH_BIN not found; run 'swift build -c release --static-swift-stdlib --product labelaudit-bench' first" >&2; exit 66; }
command -v sqlite3 >/dev/null || { echo "reliability: needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 69; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/labelaudit-reliability.XXXXXX")
MOUNTED=""
cleanup() {
    [ -n "$MOUNTED" ] && umount "$MOUNTED" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
ROWS="$WORK/rows"
: > "$ROWS"
export LABELAUDIT_RELIABILITY_ROWS="$ROWS"
FAILURES=0
fail() { echo "FAIL: $*"; FAILURES=$((FAILURES + 1)); }
row() { echo "row $*" >> "$ROWS"; }

# run_group NAME TIMEOUT COMMAND...: runs a producer; writes its row if it could not.
run_group() {
    local name=$1 limit=$2; shift 2
    local before status
    before=$(grep -c "^row $name " "$ROWS")
    echo "-- $name: $*"
    timeout --signal=KILL "$limit" "$@" > "$WORK/$name.out" 2>&1
    status=$?
    if [ "$(grep -c "^row $name " "$ROWS")" -eq "$before" ]; then
        if [ $status -eq 137 ]; then
            row "$name tried=1 crashes=0 hangs=1 wrong_exit=0 raw_control=0 accidental_events=0 note=over_${limit}s"
        elif [ $status -gt 128 ]; then
            row "$name tried=1 crashes=1 hangs=0 wrong_exit=0 raw_control=0 accidental_events=0 note=signal_$((status - 128))"
        else
            row "$name tried=1 crashes=0 hangs=0 wrong_exit=1 raw_control=0 accidental_events=0 note=exit_${status}_without_a_row"
        fi
        tail -20 "$WORK/$name.out"
    fi
}

# ---------------------------------------------------------------- bad inputs (Swift Testing, release binary)
run_group bad-input 900 env LABELAUDIT_BIN="$PWD/$BIN" swift test --skip-build --no-parallel --filter BadInputReliability

# ---------------------------------------------------------------- CSV reader fuzz
# The command writes its own row; a crash is named by the case in its progress file, a case
# over 5 s ends it with a hang row, and the whole run is bounded too.
echo "-- csv-fuzz: $FUZZ_CASES cases"
timeout --signal=KILL 3600 "$BENCH_BIN" fuzz-csv --cases "$FUZZ_CASES" --seed "${FUZZ_SEED:-$RANDOM}" --base Assets/demo/train.csv \
    --work "$WORK" --progress "$WORK/fuzz.progress" > "$WORK/fuzz.rows" 2> "$WORK/fuzz.err"
status=$?
grep '^row ' "$WORK/fuzz.rows" >> "$ROWS"
grep '^# ' "$WORK/fuzz.rows"
if ! grep -q '^row ' "$WORK/fuzz.rows"; then
    at=$(cut -d' ' -f1 "$WORK/fuzz.progress" 2>/dev/null || echo 0)
    if [ $status -eq 137 ]; then
        row "csv-fuzz tried=$at crashes=0 hangs=1 wrong_exit=0 raw_control=0 accidental_events=0 note=over_3600s_at_case_$at"
    else
        row "csv-fuzz tried=$at crashes=$(( status > 128 )) hangs=0 wrong_exit=$(( status <= 128 )) raw_control=0 accidental_events=0 note=exit_${status}_at_$(tr ' ' '_' < "$WORK/fuzz.progress")"
    fi
    tail -5 "$WORK/fuzz.err"
fi

# ---------------------------------------------------------------- the review app's input
# Paste, bursts, panels, unknown sequences, hostile notes and crashes in a real terminal (tmux)
# on the release binary (Tests/EndToEndTests/AppInputReliabilityTests writes the row); then the
# key/paste decoder on 100,000 random byte streams with random read splits.
run_group app-input 900 env LABELAUDIT_BIN="$PWD/$BIN" swift test --skip-build --no-parallel --filter AppInputReliabilityTests
run_group key-fuzz 1800 "$BENCH_BIN" fuzz-input --cases "${KEY_FUZZ_CASES:-100000}" --seed "${FUZZ_SEED:-$RANDOM}"

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
acknowledged=0; missing=0; killed=0; checks_ok=0; integrity_failures=0
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
    if [ "$integrity" = "ok" ]; then checks_ok=$((checks_ok + 1)); else integrity_failures=$((integrity_failures + 1)); fail "round $round: integrity_check said: $integrity"; fi
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
row "crash tried=$KILLS crashes=0 hangs=0 wrong_exit=0 raw_control=0 accidental_events=0 lost=$((missing + integrity_failures)) note=${killed}_SIGKILLs_${acknowledged}_acknowledged"

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
bad_integrity=1; [ "$integrity" = "ok" ] && bad_integrity=0
# The same on many new files, 50 verdicts each: the two writers race to create the file (WAL
# switch, first migration, the other's probe), which one round alone rarely hits.
NEW_FILE_ROUNDS=${NEW_FILE_ROUNDS:-30}
head -50 "$WORK/writer-a.txt" > "$WORK/writer-a50.txt"
head -50 "$WORK/writer-b.txt" > "$WORK/writer-b50.txt"
race_failures=0; race_lost=0
for round in $(seq 1 "$NEW_FILE_ROUNDS"); do
    DB="$WORK/race-$round.sqlite"
    "$BIN" verdict "$DATA" --from "$WORK/writer-a50.txt" --reviewer writer-a --db "$DB" > /dev/null 2> "$WORK/err-ra" &
    pa=$!
    "$BIN" verdict "$DATA" --from "$WORK/writer-b50.txt" --reviewer writer-b --db "$DB" > /dev/null 2> "$WORK/err-rb" &
    pb=$!
    wait $pa; ra=$?
    wait $pb; rb=$?
    [ $ra -eq 0 ] || { race_failures=$((race_failures + 1)); fail "new file round $round: writer a exited $ra: $(cat "$WORK/err-ra")"; }
    [ $rb -eq 0 ] || { race_failures=$((race_failures + 1)); fail "new file round $round: writer b exited $rb: $(cat "$WORK/err-rb")"; }
    n=$(sqlite3 "$DB" "SELECT COUNT(*) FROM reviewer_state WHERE verdict IS NOT NULL" 2>/dev/null || echo 0)
    race_lost=$((race_lost + 100 - n))
done
echo "concurrency on new files: $NEW_FILE_ROUNDS rounds of 2 writers x 50 verdicts creating one file: $race_failures writers failed, $race_lost verdicts missing"
row "concurrency tried=$((2 + NEW_FILE_ROUNDS)) crashes=0 hangs=0 wrong_exit=$(( (sa != 0) + (sb != 0) + race_failures )) raw_control=0 accidental_events=0 lost=$(( 2 * PER_WRITER - stored + bad_integrity + race_lost ))"

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
        disk_lost=$(( stored != recorded )); [ "$integrity" = "ok" ] || disk_lost=$((disk_lost + 1))
        row "full-disk tried=1 crashes=0 hangs=0 wrong_exit=$(( status != 74 )) wrong_message=$([ "$message" = "$expected" ] && echo 0 || echo 1) raw_control=0 accidental_events=$(( failed_present != 0 )) lost=$disk_lost"
    else
        echo "full disk: NOT RUN (mount -t tmpfs failed)"
        FAILURES=$((FAILURES + 1))
    fi
fi

# ---------------------------------------------------------------- the table
echo
awk '
    BEGIN { split("tried crashes hangs wrong_exit wrong_message raw_control accidental_events lost", keys, " ")
            printf "%-13s %7s %8s %6s %11s %14s %12s %18s %5s  %s\n", "group", "tried", "crashes", "hangs", "wrong exit", "wrong message", "raw control", "accidental events", "lost", "note" }
    /^row / { note = ""; delete v
              for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "note") note = kv[2]; else v[kv[1]] = kv[2] + 0 }
              printf "%-13s %7d %8d %6d %11d %14d %12d %18d %5d  %s\n", $2, v["tried"], v["crashes"], v["hangs"], v["wrong_exit"], v["wrong_message"], v["raw_control"], v["accidental_events"], v["lost"], note
              for (k = 1; k <= 8; k++) total[keys[k]] += v[keys[k]] }
    END { printf "%-13s %7d %8d %6d %11d %14d %12d %18d %5d\n", "total", total["tried"], total["crashes"], total["hangs"], total["wrong_exit"], total["wrong_message"], total["raw_control"], total["accidental_events"], total["lost"]
          bad = total["crashes"] + total["hangs"] + total["wrong_exit"] + total["wrong_message"] + total["raw_control"] + total["accidental_events"] + total["lost"]
          exit bad > 0 ? 1 : 0 }' "$ROWS"
table_status=$?
[ $table_status -eq 0 ] || FAILURES=$((FAILURES + 1))
for group in bad-input csv-fuzz app-input key-fuzz crash concurrency; do
    grep -q "^row $group " "$ROWS" || fail "no row from $group"
done

if [ "$FAILURES" -eq 0 ]; then
    echo "reliability: all proofs passed"
else
    echo "reliability: $FAILURES problem(s)"
    exit 1
fi
