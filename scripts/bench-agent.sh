#!/usr/bin/env bash
# Throughput of `coffer agent` cache hits against Coffer's own GetSecretValue over HTTP, both
# for the same 40-byte secret, with wrk on this machine (the load generator shares its cores).
#
# Usage: scripts/bench-agent.sh [SECONDS]      (default 10 s per measurement)
# Needs: a release build (cargo build --release --workspace), wrk (apt-get install -y wrk),
# the aws CLI and botocore (the e2e virtualenv has both: scripts/e2e-ssm.sh makes it).
set -euo pipefail

SECONDS_PER_RUN="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
COFFER="${COFFER_BIN:-$ROOT/target/release/coffer}"
VENV="${COFFER_E2E_VENV:-$ROOT/target/e2e-venv}"
[ -x "$COFFER" ] || { echo "no release binary at $COFFER: cargo build --release --workspace" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "the e2e virtualenv is needed: bash scripts/e2e-ssm.sh" >&2; exit 1; }
export PATH="$VENV/bin:$PATH"

WORK="$(mktemp -d)"
cleanup() { kill "${AGENT_PID:-}" "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIABENCHAGENT000001 AWS_SECRET_ACCESS_KEY=benchAgentSecretKey0123456789abcdefghijkl
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" RUST_LOG=warn
COFFER_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
  COFFER_DATA_DIR="$WORK/data" "$COFFER" serve --listen 127.0.0.1:0 >"$WORK/serve.out" 2>"$WORK/serve.err" &
SERVER_PID=$!
wait_for() { for _ in $(seq 100); do grep -q '^listening on ' "$1" 2>/dev/null && return; sleep 0.05; done; cat "$2"; exit 1; }
wait_for "$WORK/serve.out" "$WORK/serve.err"
export AWS_ENDPOINT_URL="http://$(sed -n 's/^listening on //p' "$WORK/serve.out")"
aws secretsmanager create-secret --name bench --secret-string 0123456789012345678901234567890123456789 >/dev/null

export AWS_TOKEN=bench-agent-token
"$COFFER" agent --port 0 >"$WORK/agent.out" 2>"$WORK/agent.err" &
AGENT_PID=$!
wait_for "$WORK/agent.out" "$WORK/agent.err"
AGENT="http://$(sed -n 's/^listening on //p' "$WORK/agent.out")"

# One GetSecretValue request signed now, replayed by wrk (valid for the 15-minute skew window).
python - "$AWS_ENDPOINT_URL" > "$WORK/signed.lua" <<'PY'
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import os
url, body = sys.argv[1] + "/", json.dumps({"SecretId": "bench"})
req = AWSRequest("POST", url, data=body, headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"})
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
          "secretsmanager", "us-east-1").add_auth(req)
print('wrk.method = "POST"')
print("wrk.body = " + json.dumps(body))
for k, v in req.headers.items():
    print("wrk.headers[%s] = %s" % (json.dumps(k), json.dumps(v)))
PY

echo "== coffer agent, cache hits (GET /secretsmanager/get, 10 connections)"
curl -s -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" "$AGENT/secretsmanager/get?secretId=bench" >/dev/null
wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -H "X-Aws-Parameters-Secrets-Token: $AWS_TOKEN" \
  "$AGENT/secretsmanager/get?secretId=bench" | grep -E 'Requests/sec|Latency|99%'
echo "== coffer serve, GetSecretValue over HTTP (signed, root, 10 connections)"
wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/signed.lua" "$AWS_ENDPOINT_URL/" | grep -E 'Requests/sec|Latency|99%|Non-2xx'
