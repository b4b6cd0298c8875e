#!/usr/bin/env bash
# Coffer at scale, on the embedded SQLite store:
#   - loads COUNT SecureString parameters (/copilot/app{i%50}/env{i%5}/secrets/s{i}) and COUNT
#     secrets (app{i%50}/env{i%5}/secret{i}), each with a 40-character value and the tags
#     copilot-application / copilot-environment, through the API (boto3, 16 threads, no retries:
#     any failed request stops the script); prints the write rate of each kind;
#   - the size of the SQLite files in the data directory;
#   - start-up to ready (spawn to the `listening on` line) on that data directory, 3 times;
#   - p50/p99 of single sequential requests: first pages of GetParametersByPath (by path),
#     DescribeParameters (by tag), ListSecrets (by name prefix, by tag value, unfiltered), and
#     GetSecretValue / GetParameter (200 requests each; 20 once one takes over 2 s or
#     the measure has run 60 s), of app8/env3 (COUNT/50 of each kind: as 5 divides 50, the
#     application decides the environment) and of the empty app7/env3 prefix;
#   - server RSS after the load and after the page measurements.
# The client (scripts/bench-scale-load.py) shares this machine's cores with the server.
#
# Usage: scripts/bench-scale.sh [COUNT]      (default 100000 of each kind)
# Env:   COFFER_BIN  the coffer binary (default target/release/coffer)
# Needs: a release build (cargo build --release -p coffer), wrk, the e2e virtualenv with boto3
# (scripts/lib-bench.sh says how to make them).
COUNT="${1:-100000}"
source "$(dirname "$0")/lib-bench.sh"

WORK="$(mktemp -d)"
cleanup() { kill "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export COFFER_ROOT_ACCESS_KEY_ID=AKIABENCHSCALE000001
export COFFER_ROOT_SECRET_ACCESS_KEY=benchScaleSecretKey0123456789abcdefghijkl
export AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_ACCESS_KEY
export HOME="$WORK/home" NO_COLOR=1 AWS_EC2_METADATA_DISABLED=true
DATA="$WORK/data"
mkdir -p "$HOME"
mkdir -m 700 "$DATA"
LOAD="$ROOT/scripts/bench-scale-load.py"

# serve : starts `coffer serve` on $DATA; sets ENDPOINT, SERVER_PID and READY_MS (spawn to the
# `listening on` line; a store this size may take longer than wait_for's 5 s, so its own wait).
serve() {
    : >"$WORK/serve.out"
    local start now
    start=$(date +%s%N)
    COFFER_DATA_DIR="$DATA" "$COFFER" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
    SERVER_PID=$!
    until grep -q '^listening on ' "$WORK/serve.out"; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null || [ $(($(date +%s%N) - start)) -gt 300000000000 ]; then
            echo "coffer serve did not start:" >&2
            cat "$WORK/serve.err" >&2
            exit 1
        fi
        sleep 0.005
    done
    now=$(date +%s%N)
    READY_MS=$(((now - start) / 1000000))
    ENDPOINT="http://$(sed -n 's/^listening on //p' "$WORK/serve.out")"
}

# stop : SIGTERM to the server, and its exit awaited; sets STOP_MS.
stop() {
    local start
    start=$(date +%s%N)
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || { echo "coffer serve exited with $? on SIGTERM:" >&2; cat "$WORK/serve.err" >&2; exit 1; }
    STOP_MS=$((($(date +%s%N) - start) / 1000000))
    SERVER_PID=
}

rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }
peak() { awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }
db_size() {
    (cd "$DATA" && ls -l -- *.db*) | awk '{printf "  %-16s %12d bytes\n", $9, $5}'
    du -cb "$DATA"/*.db* | awk '$2 == "total" {printf "  %-16s %12d bytes (%.1f MB)\n", "total", $1, $1 / 1048576}'
}

echo "== load: $COUNT parameters and $COUNT secrets (16 threads)"
serve
python "$LOAD" load "$ENDPOINT" "$COUNT"
echo "server RSS after the load: $(rss "$SERVER_PID") (peak $(peak "$SERVER_PID"))"
echo "== database, server running ($DATA: $(cd "$DATA" && echo *))"
db_size

echo "== restart on the same data directory"
for run in 1 2 3; do
    stop
    serve
    echo "run $run: stopped in $STOP_MS ms; start-up to ready $READY_MS ms"
done
echo "server RSS after the restart: $(rss "$SERVER_PID")"
echo "== database after the restarts"
db_size

echo "== first pages and single reads (sequential, one client)"
python "$LOAD" pages "$ENDPOINT"
echo "server RSS after the page measurements: $(rss "$SERVER_PID") (peak $(peak "$SERVER_PID"))"
