#!/usr/bin/env bash
# What TLS costs on the read path: the same signed GetSecretValue (root, 40-byte secret) against
# two `coffer serve` processes on one data directory, one over plain HTTP and one with
# --tls-self-signed, measured alternately with wrk (kept-alive connections, so the handshake is
# paid once per connection; the figure is the per-request record-layer cost).
#
# Usage: scripts/bench-tls.sh [SECONDS]      (default 10 s per measurement)
# Needs: a release build (cargo build --release -p coffer), wrk (apt-get install -y wrk), the
# e2e virtualenv with botocore (bash scripts/e2e-ssm.sh makes it).
SECONDS_PER_RUN="${1:-10}"
source "$(dirname "$0")/lib-bench.sh"

WORK="$(mktemp -d)"
cleanup() { kill "${PLAIN_PID:-}" "${TLS_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIABENCHTLS00000001 AWS_SECRET_ACCESS_KEY=benchTlsSecretKey0123456789abcdefghijklmn
# `exec`: run in the background, the function's subshell becomes the server, so $! is its pid.
serve() {
    COFFER_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
        COFFER_DATA_DIR="$WORK/data" exec "$COFFER" serve --listen 127.0.0.1:0 "$@"
}
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

signed_get_secret_value "$PLAIN" bench >"$WORK/plain.lua"
signed_get_secret_value "$TLS" bench >"$WORK/tls.lua"

for round in 1 2; do
    echo "== round $round: GetSecretValue over HTTP (signed, root, 10 connections)"
    wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/plain.lua" "$PLAIN/" | grep -E 'Requests/sec|99%|Non-2xx'
    echo "== round $round: GetSecretValue over HTTPS (TLS 1.3, same request)"
    wrk -t2 -c10 -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/tls.lua" "$TLS/" | grep -E 'Requests/sec|99%|Non-2xx'
done
