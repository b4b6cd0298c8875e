#!/usr/bin/env bash
# Runs the README's walkthrough exactly as written (the block between the walkthrough
# markers), in a scratch HOME and data directory, and checks what it printed.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli

SCRATCH=$(mktemp -d)
# The walkthrough starts `coffer serve` in the background: it runs in its own process group,
# which is ended with it.
trap '[ -n "${WALK_PID:-}" ] && kill -- -"$WALK_PID" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/target/release" "$SCRATCH/home"
ln -s "$COFFER" "$SCRATCH/target/release/coffer"
sed -n '/<!-- walkthrough:start -->/,/<!-- walkthrough:end -->/p' "$ROOT/README.md" | sed '1,2d;$d' | sed '$d' > "$SCRATCH/walkthrough.sh"
echo 'echo "== end"' >> "$SCRATCH/walkthrough.sh"
[ -s "$SCRATCH/walkthrough.sh" ] || { echo "walkthrough block not found in README.md"; exit 1; }

(cd "$SCRATCH" && exec setsid env -i PATH="$PATH" HOME="$SCRATCH/home" XDG_DATA_HOME="$SCRATCH/data" \
    AWS_EC2_METADATA_DISABLED=true bash -euo pipefail -x walkthrough.sh >"$SCRATCH/stdout" 2>"$SCRATCH/stderr") &
WALK_PID=$!
wait "$WALK_PID" || { echo "walkthrough failed:"; tail -n 40 "$SCRATCH/stderr"; exit 1; }
out=$(cat "$SCRATCH/stdout")

expect_eq "GITHUB_WEBHOOK_SECRET delivered" secretvalue1234 "$(sed -n '/^secretvalue1234$/p' <<<"$out" | head -n1)"
expect_eq "DB_PASSWORD delivered" 'i29wwX!%9wFV' "$(grep -Fx 'i29wwX!%9wFV' <<<"$out" | head -n1)"
expect_eq "render shows the partial Secrets Manager ARN with the JSON key" 1 \
    "$(grep -cE '^api +DB_PASSWORD +arn:aws:secretsmanager:us-east-1:000000000000:secret:mysql:password::$' <<<"$out")"
expect_eq "check passes for every reference" 4 "$(grep -c ': readable by demo-test-ExecutionRole$' <<<"$out")"
dry_run=$(sed -n '/^i29wwX/,/^{$/p' <<<"$out" | sed '1d;$d')
expect_eq "dry run lists every variable with its source" \
    "DB DB_PASSWORD GITHUB_WEBHOOK_SECRET LOG_LEVEL SECRET_INIT" "$(awk '{print $1}' <<<"$dry_run" | xargs)"
expect_eq "dry run prints no value" 0 "$(grep -c 'secretvalue1234\|i29wwX' <<<"$dry_run")"
expect_eq "an untagged secret is refused" "refused (exit 1)" "$(grep -x 'refused (exit [0-9]*)' <<<"$out")"
expect_eq "the refused program never started" 0 "$(grep -cx started <<<"$out")"
expect_eq "the refusal names the tag rule" 1 \
    "$(grep -c 'Did you tag your secrets with the "copilot-application" and "copilot-environment" tags?' "$SCRATCH/stderr")"
expect_eq "secret init stored the Copilot path" 1 \
    "$(grep -c '/copilot/demo/test/secrets/GH_WEBHOOK_SECRET' "$SCRATCH/stderr")"
finish
