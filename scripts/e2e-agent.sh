#!/usr/bin/env bash
# `coffer agent` as AWS's documentation uses its agents: curl one-liners and a Python program
# that knows nothing but urllib and the token header, against a `coffer serve` fed with the
# aws CLI.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
start_server

aws secretsmanager create-secret --name MyTest --secret-string '{"user":"alice","password":"p1"}' >/dev/null
aws ssm put-parameter --name /app/feature --value on --type String >/dev/null
aws ssm put-parameter --name /app/db-url --value postgres://db --type SecureString >/dev/null

# A token file as the agent's installer makes it, then the agent pointed at it.
TOKEN_FILE="$E2E_DIR/agent-token"
setting=$("$COFFER" agent --init-token "$TOKEN_FILE")
expect_eq "init-token prints the variable to set" "AWS_TOKEN=file://$TOKEN_FILE" "$setting"
expect_eq "token file mode" 640 "$(stat -c %a "$TOKEN_FILE")"
export "${setting?}"
TOKEN=$(cat "$TOKEN_FILE")

"$COFFER" agent --port 0 >"$E2E_DIR/agent.out" 2>"$E2E_DIR/agent.err" &
AGENT_PID=$!
trap 'kill $AGENT_PID $SERVER_PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
for _ in $(seq 1 100); do
    grep -q '^listening on ' "$E2E_DIR/agent.out" 2>/dev/null && break
    sleep 0.05
done
AGENT="http://$(sed -n 's/^listening on //p' "$E2E_DIR/agent.out")"
[ "$AGENT" != "http://" ] || { echo "coffer agent did not start:"; cat "$E2E_DIR/agent.err"; exit 1; }
expect_match "listens on loopback only" '^http://127\.0\.0\.1:[0-9]+$' "$AGENT"

# The curl one-liners of AWS's agent documentation.
expect_eq "ping" healthy "$(curl -s "$AGENT/ping")"
expect_eq "no token" "Bad Token 403" "$(curl -s -w ' %{http_code}' "$AGENT/secretsmanager/get?secretId=MyTest")"
expect_eq "forwarded" 400 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Aws-Parameters-Secrets-Token: $TOKEN" -H 'X-Forwarded-For: 10.1.1.1' "$AGENT/secretsmanager/get?secretId=MyTest")"
out=$(curl -s -H "X-Aws-Parameters-Secrets-Token: $TOKEN" "$AGENT/secretsmanager/get?secretId=MyTest")
expect_eq "secret string" '{"user":"alice","password":"p1"}' "$(json_get 'd["SecretString"]' "$out")"
expect_eq "stages" '["AWSCURRENT"]' "$(json_get 'd["VersionStages"]' "$out")"
expect_match "created date is a string" '^[0-9]{10}\.[0-9]{3}$' "$(json_get 'd["CreatedDate"]' "$out")"
expect_eq "path form" "$out" "$(curl -s -H "X-Aws-Parameters-Secrets-Token: $TOKEN" "$AGENT/v1/MyTest")"
expect_eq "vault header" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $TOKEN" "$AGENT/v1/MyTest")"
expect_eq "unknown parameter" "unknown parameter: foo" "$(curl -s -H "X-Aws-Parameters-Secrets-Token: $TOKEN" "$AGENT/secretsmanager/get?secretId=MyTest&foo=1")"
missing=$(curl -s -w ' %{http_code}' -H "X-Aws-Parameters-Secrets-Token: $TOKEN" "$AGENT/secretsmanager/get?secretId=Nope")
expect_eq "upstream error passes through" "ResourceNotFoundException 400" "$(json_get 'd["__type"]' "${missing% *}") ${missing##* }"
param=$(curl -s -H "X-Aws-Parameters-Secrets-Token: $TOKEN" "$AGENT/systemsmanager/parameters/get?name=%2Fapp%2Fdb-url&withDecryption=true")
expect_eq "parameter endpoint" postgres://db "$(json_get 'd["Parameter"]["Value"]' "$param")"

# A program that uses only the standard library and the documented header.
program=$(cat <<'PY'
import json, os, sys, urllib.request
base, token = sys.argv[1], open(os.environ["AWS_TOKEN"][len("file://"):]).read().strip()
def get(path):
    req = urllib.request.Request(base + path, headers={"X-Aws-Parameters-Secrets-Token": token})
    with urllib.request.urlopen(req) as r:
        return json.load(r)
secret = json.loads(get("/secretsmanager/get?secretId=MyTest")["SecretString"])
flag = get("/systemsmanager/parameters/get?name=/app/feature")["Parameter"]["Value"]
print(secret["user"], flag)
PY
)
expect_eq "python urllib client" "alice on" "$(python3 -c "$program" "$AGENT")"

# The agent stops cleanly on SIGTERM and printed nothing secret.
kill -TERM $AGENT_PID
wait $AGENT_PID && pass || fail "agent exit status on SIGTERM"
expect_absent "no value in the agent's output" p1 "$(cat "$E2E_DIR/agent.out" "$E2E_DIR/agent.err")"
expect_absent "no token in the agent's output" "$TOKEN" "$(cat "$E2E_DIR/agent.out" "$E2E_DIR/agent.err")"

echo "$PASSES passed, $FAILURES failed"
[ "$FAILURES" -eq 0 ]
