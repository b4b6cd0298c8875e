#!/usr/bin/env bash
# What TLS costs on the read path: the same signed GetSecretValue (root, 40-byte secret) against
# two `coffer serve` processes on one data directory, one over plain HTTP and one with
# --tls-self-signed, measured alternately with wrk (kept-alive connections, so the handshake is
# paid once per connection; the figure is the per-request record-layer cost).
#
# Usage: scripts/bench-tls.sh [SECONDS]      (default 10 s per measurement)
# Needs: a release build (cargo build --release -p coffer), wrk (apt-get install -y wrk), the
# e2e virtualenv with botocore (bash scripts/e2e-ssm.sh makes it).
set -euo pipefail

SECONDS_PER_RUN="${1:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
COFFER="${COFFER_BIN:-$ROOT/target/release/coffer}"
VENV="${COFFER_E2E_VENV:-$ROOT/target/e2e-venv}"
[ -x "$COFFER" ] || { echo "no release binary at $COFFER: cargo build --release -p coffer" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "the e2e virtualenv is needed: bash scripts/e2e-ssm.sh" >&2; exit 1; }
export PATH="$VENV/bin:$PATH"

WORK="$(mktemp -d)"
cleanup() { kill "${PLAIN_PID:-}" "${TLS_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIABENCHTLS00000001 AWS_SECRET_ACCESS_KEY=benchTlsSecretKey0123456789abcdefghijklmn
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" RUST_LOG=warn
# `exec`: run in the background, the function's subshell becomes the server, so $! is its pid.
serve() {
    COFFER_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
        COFFER_DATA_DIR="$WORK/data" exec "$COFFER" serve --listen 127.0.0.1:0 "$@"
}
wait_for() { for _ in $(seq 100); do grep -q '^listening on ' "$1" 2>/dev/null && return; sleep 0.05; done; cat "$2"; exit 1; }
serve >"$WORK/plain.out" 2>"$WORK/plain.err" &
PLAIN_PID=$!
wait_for "$WORK/plain.out" "$WORK/plain.err"
serve --tls-self-signed >"$WORK/tls.out" 2>"$WORK/tls.err" &
TLS_PID=$!
wait_for "$WORK/tls.out" "$WORK/tls.err"
PLAIN="http://$(sed -n 's/^listening on //p' "$WORK/plain.out")"
TLS="https://$(sed -n 's/^listening on //p' "$WORK/tls.out")"
AWS_ENDPOINT_URL=$PLAIN aws secretsmanager create-secret --name bench \
    --secret-string 0123456789012345678901234567890123456789 >/dev/null

# One GetSecretValue request per endpoint (the Host header is signed), replayed by wrk.
sign() {
    python - "$1" <<'PY'
import json, os, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
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
}
sign "$PLAIN" >"$WORK/plain.lua"
sign "$TLS" >"$WORK/tls.lua"

for round in 1 2; do
    echo "== round $round: GetSecretValue over HTTP (signed, root, 10 connections)"
    wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/plain.lua" "$PLAIN/" | grep -E 'Requests/sec|99%|Non-2xx'
    echo "== round $round: GetSecretValue over HTTPS (TLS 1.3, same request)"
    wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/tls.lua" "$TLS/" | grep -E 'Requests/sec|99%|Non-2xx'
done
