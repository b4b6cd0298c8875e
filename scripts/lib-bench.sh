# Shared by the wrk benchmarks (bench-agent.sh, bench-http.sh, bench-tls.sh): the release
# binary, wrk and the e2e virtualenv they need, a wait for a server's `listening on` line, and
# signed requests for wrk to replay. Source it after setting SECONDS_PER_RUN.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COFFER="${COFFER_BIN:-$ROOT/target/release/coffer}"
VENV="${COFFER_E2E_VENV:-$ROOT/target/e2e-venv}"
[ -x "$COFFER" ] || { echo "no release binary at $COFFER: cargo build --release -p coffer" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || { echo "the e2e virtualenv is needed: bash scripts/e2e-ssm.sh" >&2; exit 1; }
# moto_server, bench-http.sh's peer, is not among what the e2e scripts install.
[ -x "$VENV/bin/moto_server" ] || "$VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]>=5'
export PATH="$VENV/bin:$PATH"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" RUST_LOG=warn

# wait_for OUT ERR : until OUT holds `listening on …`; else print ERR and stop.
wait_for() {
    for _ in $(seq 100); do grep -q '^listening on ' "$1" 2>/dev/null && return; sleep 0.05; done
    cat "$2"
    exit 1
}

# presign ENDPOINT SERVICE OPERATION BODY [EXPECT] : a wrk Lua script replaying one AWS JSON 1.1
# request signed now with $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY (and $AWS_SESSION_TOKEN if
# set); valid for the 15-minute skew window. Host is signed, so one per endpoint. With EXPECT,
# the request is sent once first and its answer must be a 200 holding EXPECT (so a benchmark
# never measures a refusal or an empty answer).
presign() {
    python - "$@" <<'PY'
import json, os, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, service, operation, body = sys.argv[1] + "/", sys.argv[2], sys.argv[3], sys.argv[4]
prefix = {"secretsmanager": "secretsmanager", "ssm": "AmazonSSM"}[service]
req = AWSRequest("POST", url, data=body, headers={
    "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": prefix + "." + operation})
credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                          os.environ.get("AWS_SESSION_TOKEN"))
SigV4Auth(credentials, service, "us-east-1").add_auth(req)
if len(sys.argv) > 5:
    import urllib.request
    sent = urllib.request.Request(url, data=body.encode(), headers=dict(req.headers.items()), method="POST")
    with urllib.request.urlopen(sent) as answer:
        if sys.argv[5] not in answer.read().decode():
            sys.exit("%s %s: the answer does not hold %r" % (service, operation, sys.argv[5]))
print('wrk.method = "POST"')
print("wrk.body = " + json.dumps(body))
for k, v in req.headers.items():
    print("wrk.headers[%s] = %s" % (json.dumps(k), json.dumps(v)))
PY
}

# signed_get_secret_value ENDPOINT SECRET_ID : `presign` for GetSecretValue of SECRET_ID.
signed_get_secret_value() {
    presign "$1" secretsmanager GetSecretValue "$(printf '{"SecretId": "%s"}' "$2")"
}
