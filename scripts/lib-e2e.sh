# Shared helpers for the end-to-end scripts: a virtualenv with the aws CLI from PyPI, a
# `coffer serve` on a free port with its own data directory, and assertions.
# Source it; it sets AWS_* for the aws CLI and registers cleanup.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COFFER=${COFFER_BIN:-$ROOT/target/debug/coffer}
VENV=${COFFER_E2E_VENV:-$ROOT/target/e2e-venv}
FAILURES=0
PASSES=0

ensure_aws_cli() {
    if [ ! -x "$VENV/bin/aws" ]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check 'awscli>=1.36,<2' 'boto3>=1.36'
    fi
    export PATH="$VENV/bin:$PATH"
}

# start_server : `coffer serve` (plus $SERVE_ARGS) on a free port; sets ENDPOINT and AWS_*.
start_server() {
    E2E_DIR=$(mktemp -d)
    export AWS_ACCESS_KEY_ID=AKIAE2ETESTROOT00001
    export AWS_SECRET_ACCESS_KEY=e2eSecretAccessKeyForCofferTests0123456789
    export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
    export AWS_PAGER="" AWS_MAX_ATTEMPTS=1
    COFFER_ROOT_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID COFFER_ROOT_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
        COFFER_DATA_DIR="$E2E_DIR/data" RUST_LOG=warn \
        "$COFFER" serve --listen 127.0.0.1:0 ${SERVE_ARGS:-} >"$E2E_DIR/stdout" 2>"$E2E_DIR/stderr" &
    SERVER_PID=$!
    trap 'kill $SERVER_PID 2>/dev/null || true; wait $SERVER_PID 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
    for _ in $(seq 1 100); do
        if grep -q '^listening on ' "$E2E_DIR/stdout" 2>/dev/null; then break; fi
        sleep 0.05
    done
    local scheme=http
    # With TLS, the server prints the CA bundle clients need before it is ready.
    if grep -q '^AWS_CA_BUNDLE=' "$E2E_DIR/stderr"; then scheme=https; fi
    ENDPOINT="$scheme://$(sed -n 's/^listening on //p' "$E2E_DIR/stdout")"
    export AWS_ENDPOINT_URL=$ENDPOINT
    [ "$ENDPOINT" != "$scheme://" ] || { echo "coffer serve did not start:"; cat "$E2E_DIR/stderr"; exit 1; }
}

pass() { PASSES=$((PASSES + 1)); }
fail() { FAILURES=$((FAILURES + 1)); echo "FAIL: $*" >&2; }

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then pass; else fail "$1: expected [$2], got [$3]"; fi
}

# expect_error DESCRIPTION CODE COMMAND... : the command fails and stderr names CODE.
expect_error() {
    local desc=$1 code=$2; shift 2
    local err
    LAST_ERROR=""
    if err=$("$@" 2>&1 >/dev/null); then
        fail "$desc: expected error $code, command succeeded"
    elif [[ "$err" == *"($code)"* ]]; then
        pass
        LAST_ERROR=$err
    else
        fail "$desc: expected error $code, got: $err"
    fi
}

# expect_match DESCRIPTION EXTENDED-REGEX ACTUAL : ACTUAL matches the regex (anchor it with ^...$).
expect_match() {
    if [[ "$3" =~ $2 ]]; then pass; else fail "$1: expected a match for /$2/, got [$3]"; fi
}

# expect_absent DESCRIPTION NEEDLE HAYSTACK : NEEDLE does not occur in HAYSTACK.
expect_absent() {
    if [[ "$3" != *"$2"* ]]; then pass; else fail "$1: [$2] must not appear in [$3]"; fi
}

# json_get PYTHON-EXPRESSION JSON : evaluate the expression with `d` bound to the parsed JSON.
json_get() {
    python3 -c 'import json,sys; d=json.loads(sys.argv[2]); r=eval(sys.argv[1]); print(r if isinstance(r,str) else json.dumps(r, sort_keys=True))' "$1" "$2"
}

# error_message : the message of the last expect_error's CLI error (the text after "operation: ").
error_message() {
    printf '%s' "${LAST_ERROR#*operation: }"
}

finish() {
    echo "$PASSES passed, $FAILURES failed"
    [ "$FAILURES" -eq 0 ]
}
