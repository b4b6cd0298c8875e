#!/usr/bin/env bash
# Runs the README's walkthrough exactly as written (the block between the walkthrough
# markers), in a scratch HOME and data directory, and checks what it printed.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli

SCRATCH=$(mktemp -d)
trap 'pkill -f "$SCRATCH/target/release/coffer serve" 2>/dev/null || true; rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/target/release" "$SCRATCH/home"
ln -s "$COFFER" "$SCRATCH/target/release/coffer"
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' "$ROOT/README.md" | sed '1,2d;$d' | sed '$d' > "$SCRATCH/walkthrough.sh"
[ -s "$SCRATCH/walkthrough.sh" ] || { echo "walkthrough block not found in README.md"; exit 1; }

out=$(cd "$SCRATCH" && env -i PATH="$PATH" HOME="$SCRATCH/home" XDG_DATA_HOME="$SCRATCH/data" \
    AWS_EC2_METADATA_DISABLED=true bash -euo pipefail walkthrough.sh 2>"$SCRATCH/stderr") || {
    echo "walkthrough failed:"; cat "$SCRATCH/stderr"; echo "$out"; exit 1; }

expect_eq "GITHUB_WEBHOOK_SECRET delivered" secretvalue1234 "$(sed -n '/^secretvalue1234$/p' <<<"$out" | head -n1)"
expect_eq "DB_PASSWORD delivered" 'i29wwX!%9wFV' "$(grep -Fx 'i29wwX!%9wFV' <<<"$out" | head -n1)"
expect_eq "render shows the Secrets Manager ARN" 1 \
    "$(grep -c 'arn:aws:secretsmanager:us-east-1:000000000000:secret:mysql:password::' <<<"$out")"
expect_eq "dry run never prints values" 0 "$(grep -c 'secretvalue1234\|i29wwX' <<<"$(sed -n '/GITHUB_WEBHOOK_SECRET.*ssm/,$p' <<<"$out")")"
expect_eq "secret init stored the Copilot path" 1 \
    "$(grep -c '/copilot/demo/test/secrets/GH_WEBHOOK_SECRET' "$SCRATCH/stderr")"
finish
