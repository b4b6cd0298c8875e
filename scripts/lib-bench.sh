# Shared by the wrk benchmarks (bench-agent.sh, bench-tls.sh): the release binary, wrk and the
# e2e virtualenv they need, a wait for a server's `listening on` line, and one signed
# GetSecretValue request for wrk to replay. Source it after setting SECONDS_PER_RUN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COFFER="${COFFER_BIN:-$ROOT/target/release/coffer}"
VENV="${COFFER_E2E_VENV:-$ROOT/target/e2e-venv}"
[ -x "$COFFER" ] || { echo "no release binary at $COFFER: cargo build --release -p coffer" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "the e2e virtualenv is needed: bash scripts/e2e-ssm.sh" >&2; exit 1; }
export PATH="$VENV/bin:$PATH"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" RUST_LOG=warn

# wait_for OUT ERR : until OUT holds `listening on …`; else print ERR and stop.
wait_for() {
    for _ in $(seq 100); do grep -q '^listening on ' "$1" 2>/dev/null && return; sleep 0.05; done
    cat "$2"
    exit 1
}

# signed_get_secret_value ENDPOINT SECRET_ID : a wrk Lua script replaying one GetSecretValue
# signed now with $AWS_ACCESS_KEY_ID (valid for the 15-minute skew window; Host is signed, so
# one per endpoint).
signed_get_secret_value() {
    python - "$1" "$2" <<'PY'
import json, os, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, body = sys.argv[1] + "/", json.dumps({"SecretId": sys.argv[2]})
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
