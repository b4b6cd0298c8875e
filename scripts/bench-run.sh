#!/usr/bin/env bash
# Start-up latency that `coffer run` adds over a direct exec of the same program, for a
# manifest with 20 SSM Parameter Store + 5 Secrets Manager references (3 whole secrets, 2 JSON
# keys), read through the environment's execution role:
#   - embedded: the local store in-process (role policies evaluated, audit written before exec);
#   - remote:   a local `coffer serve` over HTTP (STS GetCallerIdentity + AssumeRole, then
#               3 GetParameters batches and 5 GetSecretValue calls in parallel).
#
# Usage: scripts/bench-run.sh [RUNS]        (default 200 runs per command;
#        COFFER_BIN=PATH measures another build, e.g. a copy of an older one)
# Needs: a release build (cargo build --release --workspace), the aws CLI (to create the Secrets
# Manager secrets), jq; hyperfine if installed (apt-get install -y hyperfine), else a
# `date +%s%N` loop.
# Prints the median of each command and the median overhead (coffer run − direct exec).
set -euo pipefail

RUNS="${1:-200}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
COFFER="${COFFER_BIN:-$ROOT/target/release/coffer}"
[ -x "$COFFER" ] || { echo "no release binary at $COFFER: cargo build --release --workspace" >&2; exit 1; }
command -v aws >/dev/null || { echo "the aws CLI is needed to create the Secrets Manager secrets" >&2; exit 1; }
command -v jq >/dev/null || { echo "jq is needed" >&2; exit 1; }

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export COFFER_DATA_DIR="$WORK/data"
export COFFER_ROOT_ACCESS_KEY_ID=AKIABENCHRUN00000001
export COFFER_ROOT_SECRET_ACCESS_KEY=benchRunSecretKey0123456789abcdefghijklmn
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export HOME="$WORK/home" NO_COLOR=1
# Deep enough that no copilot/.workspace above the temporary directory is found.
PROJECT="$WORK/1/2/3/4/5/project"
mkdir -p "$PROJECT" "$HOME"
cd "$PROJECT"

# --- setup: app, environment (and its execution role), 20 SSM secrets, 5 Secrets Manager secrets
"$COFFER" app init bench >/dev/null 2>&1
"$COFFER" env init --name test >/dev/null 2>&1
{
  for i in $(seq -w 1 20); do printf 's%s:\n  test: ssm-value-%s\n' "$i" "$i"; done
} > input.yml
"$COFFER" secret init --cli-input-yaml input.yml >/dev/null 2>&1

"$COFFER" serve --listen 127.0.0.1:0 > "$WORK/serve.out" 2> "$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 100); do grep -q '^listening on ' "$WORK/serve.out" 2>/dev/null && break; sleep 0.05; done
ENDPOINT="http://$(sed -n 's/^listening on //p' "$WORK/serve.out" | head -1)"
for i in 1 2 3 4 5; do
  AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_ACCESS_KEY \
    aws --endpoint-url "$ENDPOINT" secretsmanager create-secret --name "db$i" \
      --secret-string "{\"username\":\"user$i\",\"password\":\"pw-$i\"}" \
      --tags Key=copilot-application,Value=bench Key=copilot-environment,Value=test >/dev/null
done

mkdir -p copilot/api
{
  echo "name: api"
  echo "type: Backend Service"
  echo "secrets:"
  for i in $(seq -w 1 20); do echo "  S$i: /copilot/\${COPILOT_APPLICATION_NAME}/\${COPILOT_ENVIRONMENT_NAME}/secrets/s$i"; done
  for i in 1 2 3; do printf '  DB%s:\n    secretsmanager: db%s\n' "$i" "$i"; done
  for i in 4 5; do printf "  DB%s_PASSWORD:\n    secretsmanager: 'db%s:password::'\n" "$i" "$i"; done
} > copilot/api/manifest.yml

PROGRAM="$(command -v true)"
RUN=("$COFFER" run --env test --svc api -- "$PROGRAM")
# Sanity: both modes resolve all 25.
"$COFFER" run --env test --svc api -- sh -c 'test "$S20" = ssm-value-20 && test "$DB5_PASSWORD" = pw-5' \
  || { echo "embedded resolution failed" >&2; exit 1; }
AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_ACCESS_KEY \
  "$COFFER" run --env test --svc api -- sh -c 'test "$S01" = ssm-value-01 && test "$DB1" != ""' \
  || { echo "remote resolution failed" >&2; exit 1; }

# --- timing: median wall time in ms of a command (run from an env given as NAME=VALUE args)
median_ms() {  # median_ms <label> <command...>
  local label="$1"; shift
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$WORK/$label.json" "$*" >/dev/null 2>&1
    jq '.results[0].median * 1000' "$WORK/$label.json"
  else
    local times=() t0 t1
    for _ in $(seq 10); do "$@" >/dev/null 2>&1; done
    for _ in $(seq "$RUNS"); do
      t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
      times+=($(( t1 - t0 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f\n", m/1e6}'
  fi
}

direct=$(median_ms direct "$PROGRAM")
embedded=$(median_ms embedded "${RUN[@]}")
remote=$(AWS_ENDPOINT_URL=$ENDPOINT AWS_ACCESS_KEY_ID=$COFFER_ROOT_ACCESS_KEY_ID \
  AWS_SECRET_ACCESS_KEY=$COFFER_ROOT_SECRET_ACCESS_KEY median_ms remote "${RUN[@]}")

tool=$(command -v hyperfine >/dev/null && echo "hyperfine -N --warmup 10 --runs $RUNS" || echo "date +%s%N loop, $RUNS runs")
echo "coffer run start-up overhead, 20 SSM + 5 Secrets Manager references ($tool)"
printf '  direct exec of %s          median %8.2f ms\n' "$PROGRAM" "$direct"
printf '  coffer run, embedded store     median %8.2f ms   overhead %8.2f ms (goal <= 10)\n' "$embedded" "$(awk "BEGIN{print $embedded - $direct}")"
printf '  coffer run, remote (%s)  median %8.2f ms   overhead %8.2f ms (goal <= 15)\n' "$ENDPOINT" "$remote" "$(awk "BEGIN{print $remote - $direct}")"
