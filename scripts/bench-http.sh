#!/usr/bin/env bash
# The signed, authorized, audited read path over HTTP, in one invocation, with wrk replaying
# SigV4-signed requests (botocore signs them once; they stay valid for the 15-minute skew window):
#   - Coffer's own GET /health (HTTP alone) at 1, 10 and 64 connections;
#   - GetSecretValue and GetParameter(WithDecryption) as root, and GetSecretValue and
#     GetParameters(WithDecryption) as an environment's execution role (Copilot's policy, tag
#     conditions; temporary credentials from AssumeRole; the policy grants ssm:GetParameters, what
#     the ECS agent calls, not GetParameter), SQLite, at 1, 10 and 64 connections;
#   - the same at 10 connections on PostgreSQL (one node), unless it is unreachable;
#   - PutParameter (SecureString, overwrite) and PutSecretValue with 16 writers, both backends;
#   - the same GetSecretValue against moto_server (PyPI `moto[server]`) as the peer.
# Prints req/s, p50/p99, the ratio to /health at the same connection count, and server RSS
# idle / peak. The load generator shares this machine's cores with the server.
#
# Usage: scripts/bench-http.sh [SECONDS]      (default 10 s per measurement)
# Env:   COFFER_BENCH_POSTGRES_URL  a server Coffer may create a database on
#                                   (default postgres://postgres@127.0.0.1:5432/postgres)
#        COFFER_BENCH_ONLY=sqlite   skip PostgreSQL and moto
# Needs: a release build (cargo build --release -p coffer), wrk, the e2e virtualenv with
# moto[server] (scripts/lib-bench.sh says how to make it).
SECONDS_PER_RUN="${1:-10}"
source "$(dirname "$0")/lib-bench.sh"

WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

export COFFER_ROOT_ACCESS_KEY_ID=AKIABENCHHTTP0000001
export COFFER_ROOT_SECRET_ACCESS_KEY=benchHttpSecretKey0123456789abcdefghijklm
export AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_ACCESS_KEY
export HOME="$WORK/home" NO_COLOR=1
PROJECT="$WORK/1/2/3/4/5/project"
mkdir -p "$PROJECT" "$HOME"
cd "$PROJECT"
VALUE=0123456789012345678901234567890123456789
PARAM=/copilot/bench/test/secrets/db_password

# setup DATA_DIR [DATABASE_URL] : the Copilot app `bench`, environment `test` (and its
# execution role), one SecureString parameter through `coffer secret init`.
setup() {
    local env=(COFFER_DATA_DIR="$1")
    [ -n "${2:-}" ] && env+=(COFFER_DATABASE_URL="$2")
    env "${env[@]}" "$COFFER" app init bench >/dev/null 2>&1
    env "${env[@]}" "$COFFER" env init --name test >/dev/null 2>&1
    env "${env[@]}" "$COFFER" secret init --name db_password --values "test=$VALUE" >/dev/null 2>&1
}

# serve NAME DATA_DIR [DATABASE_URL] : starts `coffer serve`; sets ENDPOINT and SERVER_PID.
serve() {
    local env=(COFFER_DATA_DIR="$2")
    [ -n "${3:-}" ] && env+=(COFFER_DATABASE_URL="$3")
    env "${env[@]}" "$COFFER" serve --listen 127.0.0.1:0 >"$WORK/$1.out" 2>"$WORK/$1.err" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_for "$WORK/$1.out" "$WORK/$1.err"
    ENDPOINT="http://$(sed -n 's/^listening on //p' "$WORK/$1.out")"
}

# scripts NAME : root and execution-role request scripts for the server at $ENDPOINT.
scripts() {
    aws --endpoint-url "$ENDPOINT" secretsmanager create-secret --name bench/db --secret-string "$VALUE" \
        --tags Key=copilot-application,Value=bench Key=copilot-environment,Value=test >/dev/null
    local account role
    account=$(aws --endpoint-url "$ENDPOINT" sts get-caller-identity --query Account --output text)
    role=$(aws --endpoint-url "$ENDPOINT" sts assume-role --role-arn "arn:aws:iam::$account:role/bench-test-ExecutionRole" \
        --role-session-name bench --query Credentials --output json)
    local gsv='{"SecretId": "bench/db"}' gp="{\"Name\": \"$PARAM\", \"WithDecryption\": true}"
    local gps="{\"Names\": [\"$PARAM\"], \"WithDecryption\": true}"
    presign "$ENDPOINT" secretsmanager GetSecretValue "$gsv" "$VALUE" >"$WORK/$1-gsv-root.lua"
    presign "$ENDPOINT" ssm GetParameter "$gp" "$VALUE" >"$WORK/$1-gp-root.lua"
    (
        AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId <<<"$role") AWS_SECRET_ACCESS_KEY=$(jq -r .SecretAccessKey <<<"$role") \
            AWS_SESSION_TOKEN=$(jq -r .SessionToken <<<"$role")
        export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
        presign "$ENDPOINT" secretsmanager GetSecretValue "$gsv" "$VALUE" >"$WORK/$1-gsv-role.lua"
        presign "$ENDPOINT" ssm GetParameters "$gps" "$VALUE" >"$WORK/$1-gp-role.lua"
    )
    presign "$ENDPOINT" ssm PutParameter \
        "{\"Name\": \"/bench/written\", \"Value\": \"$VALUE\", \"Type\": \"SecureString\", \"Overwrite\": true}" \
        >"$WORK/$1-put-parameter.lua"
    presign "$ENDPOINT" secretsmanager PutSecretValue "{\"SecretId\": \"bench/db\", \"SecretString\": \"$VALUE\"}" \
        >"$WORK/$1-put-secret-value.lua"
}

printf '%-44s %5s %10s %9s %9s %7s\n' "request" "conns" "req/s" "p50" "p99" "/health"
declare -A HEALTH

# measure LABEL CONNS URL [LUA] : one wrk run, one table row.
measure() {
    local label=$1 conns=$2 url=$3 lua=${4:-} threads=2 out rps ratio
    [ "$conns" -lt 2 ] && threads=1
    out=$(wrk -t"$threads" -c"$conns" -d"${SECONDS_PER_RUN}s" --latency ${lua:+-s "$lua"} "$url")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    if grep -q 'Non-2xx' <<<"$out"; then
        echo "$label: $(grep 'Non-2xx' <<<"$out") — the request is refused; fix the setup" >&2
        exit 1
    fi
    [ "$label" = "GET /health" ] && HEALTH[$conns]=$rps
    ratio=$(awk -v r="$rps" -v h="${HEALTH[$conns]:-0}" 'BEGIN { if (h > 0) printf "%.2f", r / h; else print "-" }')
    printf '%-44s %5s %10.0f %9s %9s %7s\n' "$label" "$conns" "$rps" \
        "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" "$ratio"
}

rss() { awk '/^VmRSS/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }
peak() { awk '/^VmHWM/ {printf "%.1f MB", $2 / 1024}' "/proc/$1/status"; }

# --- SQLite (the embedded store)
setup "$WORK/sqlite"
serve sqlite "$WORK/sqlite"
SQLITE_PID=$SERVER_PID
scripts sqlite
sleep 1
IDLE_RSS=$(rss "$SQLITE_PID")
for conns in 1 10 64; do
    measure "GET /health" "$conns" "$ENDPOINT/health"
    measure "GetSecretValue, root" "$conns" "$ENDPOINT/" "$WORK/sqlite-gsv-root.lua"
    measure "GetSecretValue, execution role" "$conns" "$ENDPOINT/" "$WORK/sqlite-gsv-role.lua"
    measure "GetParameter WithDecryption, root" "$conns" "$ENDPOINT/" "$WORK/sqlite-gp-root.lua"
    measure "GetParameters WithDecryption, execution role" "$conns" "$ENDPOINT/" "$WORK/sqlite-gp-role.lua"
done
LOADED_RSS=$(peak "$SQLITE_PID")
measure "PutParameter SecureString (writes)" 16 "$ENDPOINT/" "$WORK/sqlite-put-parameter.lua"
measure "PutSecretValue (writes)" 16 "$ENDPOINT/" "$WORK/sqlite-put-secret-value.lua"
echo "SQLite server RSS: idle $IDLE_RSS, peak under the reads $LOADED_RSS, after the writes $(rss "$SQLITE_PID")"

[ "${COFFER_BENCH_ONLY:-}" = sqlite ] && exit 0

# --- PostgreSQL, one node
PG_BASE="${COFFER_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PG_URL="${PG_BASE%/*}/coffer_bench_http"
if psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS coffer_bench_http WITH (FORCE)" -c "CREATE DATABASE coffer_bench_http" 2>/dev/null; then
    setup "$WORK/pg" "$PG_URL"
    serve pg "$WORK/pg" "$PG_URL"
    scripts pg
    measure "PostgreSQL: GetSecretValue, root" 10 "$ENDPOINT/" "$WORK/pg-gsv-root.lua"
    measure "PostgreSQL: GetSecretValue, execution role" 10 "$ENDPOINT/" "$WORK/pg-gsv-role.lua"
    measure "PostgreSQL: GetParameter, root" 10 "$ENDPOINT/" "$WORK/pg-gp-root.lua"
    measure "PostgreSQL: GetParameters, execution role" 10 "$ENDPOINT/" "$WORK/pg-gp-role.lua"
    measure "PostgreSQL: PutParameter (writes)" 16 "$ENDPOINT/" "$WORK/pg-put-parameter.lua"
    measure "PostgreSQL: PutSecretValue (writes)" 16 "$ENDPOINT/" "$WORK/pg-put-secret-value.lua"
else
    echo "PostgreSQL at $PG_BASE is unreachable; skipped" >&2
fi

# --- moto_server, the emulator peer: the same GetSecretValue
PORT=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -p "$PORT" >"$WORK/moto.out" 2>&1 &
PIDS+=($!)
ENDPOINT="http://127.0.0.1:$PORT"
for _ in $(seq 100); do curl -s -o /dev/null "$ENDPOINT/" && break; sleep 0.1; done
aws --endpoint-url "$ENDPOINT" secretsmanager create-secret --name bench/db --secret-string "$VALUE" >/dev/null
presign "$ENDPOINT" secretsmanager GetSecretValue '{"SecretId": "bench/db"}' "$VALUE" >"$WORK/moto-gsv.lua"
measure "moto_server: GetSecretValue" 10 "$ENDPOINT/" "$WORK/moto-gsv.lua"
