#!/usr/bin/env bash
# Throughput of `coffer agent` cache hits against Coffer's own GetSecretValue over HTTP, both
# for the same 40-byte secret, with wrk on this machine (the load generator shares its cores).
#
# Usage: scripts/bench-agent.sh [SECONDS]      (default 10 s per measurement)
# Needs: a release build (cargo build --release -p coffer), wrk (apt-get install -y wrk),
# the aws CLI and botocore (the e2e virtualenv has both: scripts/e2e-ssm.sh makes it).
SECONDS_PER_RUN="${1:-10}"
source "$(dirname "$0")/lib-bench.sh"

WORK="$(mktemp -d)"
cleanup() { kill "${AGENT_PID:-}" "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIABENCHAGENT000001 AWS_SECRET_ACCESS_KEY=benchAgentSecretKey0123456789abcdefghijkl
COFFER_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  COFFER_DATA_DIR="$WORK/data" "$COFFER" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
wait_for "$WORK/serve.out" "$WORK/serve.err"
export AWS_ENDPOINT_URL="http://$(sed -n 's/^listening on //p' "$WORK/serve.out")"
aws secretsmanager create-secret --name bench --secret-string 0123456789012345678901234567890123456789 >/dev/null

export AWS_TOKEN=bench-agent-token
"$COFFER" agent --port 0 >"$WORK/agent.out" 2>"$WORK/agent.err" &
AGENT_PID=$!
wait_for "$WORK/agent.out" "$WORK/agent.err"
AGENT="http://$(sed -n 's/^listening on //p' "$WORK/agent.out")"

signed_get_secret_value "$AWS_ENDPOINT_URL" bench >"$WORK/signed.lua"

echo "== coffer agent, cache hits (GET /secretsmanager/get, 10 connections)"
curl -s -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" "$AGENT/secretsmanager/get?secretId=bench" >/dev/null
wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" \
  "$AGENT/secretsmanager/get?secretId=bench" | grep -E 'Requests/sec|Latency|99%'
echo "== coffer serve, GetSecretValue over HTTP (signed, root, 10 connections)"
wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/signed.lua" "$AWS_ENDPOINT_URL/" | grep -E 'Requests/sec|Latency|99%|Non-2xx'
