#!/usr/bin/env bash
# The seed scenario's Secrets Manager half, driven by the aws CLI against `coffer serve`:
# names, partial and full ARNs (and the 6-character suffix rule), versions and staging
# labels, deletion with a recovery window, restore, forced deletion, random passwords,
# and the SSM bridge /aws/reference/secretsmanager/<secret>.
source "$(dirname "$0")/lib-e2e.sh"
ensure_aws_cli
start_server

ACCOUNT=000000000000
ARN_PREFIX=arn:aws:secretsmanager:us-east-1:$ACCOUNT:secret
# The value from the seed document, byte for byte.
MYSQL='{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV","host": "","dbname": "myDatabase","port": "3306"}'
sm() { aws secretsmanager "$@"; }

# --- Create `mysql`, tagged for application demo / environment test. ---
out=$(sm create-secret --name mysql --secret-string "$MYSQL" \
    --tags Key=copilot-application,Value=demo Key=copilot-environment,Value=test --output json)
MYSQL_ARN=$(json_get 'd["ARN"]' "$out")
MYSQL_V1=$(json_get 'd["VersionId"]' "$out")
expect_eq "create returns the name" mysql "$(json_get 'd["Name"]' "$out")"
expect_match "full ARN: name, hyphen, 6 alphanumerics" "^$ARN_PREFIX:mysql-[A-Za-z0-9]{6}\$" "$MYSQL_ARN"
expect_match "create returns a UUID version id" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$MYSQL_V1"
expect_error "create twice" ResourceExistsException sm create-secret --name mysql --secret-string x
expect_eq "create twice message" "The operation failed because the secret mysql already exists." "$(error_message)"

# --- Read it by name, by partial ARN and by full ARN: the same value and ARN each time. ---
expect_eq "get by name" "$MYSQL" "$(sm get-secret-value --secret-id mysql --query SecretString --output text)"
expect_eq "get by partial ARN" "$MYSQL" \
    "$(sm get-secret-value --secret-id "$ARN_PREFIX:mysql" --query SecretString --output text)"
expect_eq "get by full ARN" "$MYSQL" \
    "$(sm get-secret-value --secret-id "$MYSQL_ARN" --query SecretString --output text)"
out=$(sm get-secret-value --secret-id "$ARN_PREFIX:mysql" --output json)
expect_eq "partial ARN resolves to the full ARN, version and stage" "$MYSQL_ARN mysql $MYSQL_V1 [\"AWSCURRENT\"]" \
    "$(json_get '" ".join([d["ARN"], d["Name"], d["VersionId"], json.dumps(d["VersionStages"])])' "$out")"
expect_eq "the JSON keys ECS extracts (mysql:password::)" 'i29wwX!%9wFV user1 3306' \
    "$(json_get '" ".join(json.loads(d["SecretString"])[k] for k in ("password", "username", "port"))' "$out")"
expect_eq "describe: tags" "copilot-application=demo copilot-environment=test" \
    "$(sm describe-secret --secret-id mysql --query 'Tags[].[Key,Value]' --output text | awk '{printf "%s%s=%s", (NR>1?" ":""), $1, $2}')"
expect_error "missing secret" ResourceNotFoundException sm get-secret-value --secret-id nosuch
expect_eq "missing secret message" "Secrets Manager can't find the specified secret." "$(error_message)"
expect_error "wrong suffix in the full ARN" ResourceNotFoundException \
    sm get-secret-value --secret-id "$ARN_PREFIX:mysql-AAAAAA"
expect_error "another region's ARN" ResourceNotFoundException \
    sm get-secret-value --secret-id "arn:aws:secretsmanager:us-west-2:$ACCOUNT:secret:mysql"

# --- The SSM bridge: /aws/reference/secretsmanager/<secret> returns the secret's current value. ---
out=$(aws ssm get-parameter --name /aws/reference/secretsmanager/mysql --with-decryption --output json)
expect_eq "bridge returns the seed JSON" "$MYSQL" "$(json_get 'd["Parameter"]["Value"]' "$out")"
expect_eq "bridge name, type, version and ARN" "/aws/reference/secretsmanager/mysql SecureString 0 $MYSQL_ARN" \
    "$(json_get '" ".join([d["Parameter"]["Name"], d["Parameter"]["Type"], str(d["Parameter"]["Version"]), d["Parameter"]["ARN"]])' "$out")"
expect_eq "bridge SourceResult is the secret's DescribeSecret" "mysql $MYSQL_ARN" \
    "$(json_get '(lambda s: s["Name"] + " " + s["ARN"])(json.loads(d["Parameter"]["SourceResult"]))' "$out")"
expect_eq "bridge through get-parameters" "$MYSQL" \
    "$(aws ssm get-parameters --names /aws/reference/secretsmanager/mysql --with-decryption --query 'Parameters[0].Value' --output text)"
expect_error "bridge without decryption" ValidationException \
    aws ssm get-parameter --name /aws/reference/secretsmanager/mysql
expect_eq "bridge without decryption message" \
    "WithDecryption flag must be True for retrieving a Secret Manager secret." "$(error_message)"
expect_error "bridge to a missing secret" ParameterNotFound \
    aws ssm get-parameter --name /aws/reference/secretsmanager/nosuch --with-decryption

# --- A name ending in a hyphen and 6 characters: the partial ARN cannot find it (seed, Option 2). ---
out=$(sm create-secret --name demo/test/mysql-dbconf --secret-string dbconf-value \
    --tags Key=copilot-application,Value=demo Key=copilot-environment,Value=test --output json)
DBCONF_ARN=$(json_get 'd["ARN"]' "$out")
expect_match "dbconf full ARN" "^$ARN_PREFIX:demo/test/mysql-dbconf-[A-Za-z0-9]{6}\$" "$DBCONF_ARN"
DBCONF_SUFFIXED=${DBCONF_ARN#"$ARN_PREFIX:"}
expect_error "partial ARN of mysql-dbconf is read as name mysql + suffix dbconf" ResourceNotFoundException \
    sm get-secret-value --secret-id "$ARN_PREFIX:demo/test/mysql-dbconf"
expect_eq "partial ARN message" "Secrets Manager can't find the specified secret." "$(error_message)"
# Option 2 (the name with its random suffix) reaches Secrets Manager as the full ARN: Copilot
# renders `secretsmanager: NAME` as arn:${Partition}:secretsmanager:${Region}:${AccountId}:secret:NAME.
expect_eq "Option 2: ARN built from the name with its real suffix" dbconf-value \
    "$(sm get-secret-value --secret-id "$ARN_PREFIX:$DBCONF_SUFFIXED" --query SecretString --output text)"
expect_eq "Option 3: the full ARN from create" dbconf-value \
    "$(sm get-secret-value --secret-id "$DBCONF_ARN" --query SecretString --output text)"
expect_eq "resolved name" demo/test/mysql-dbconf \
    "$(sm get-secret-value --secret-id "$ARN_PREFIX:$DBCONF_SUFFIXED" --query Name --output text)"
expect_eq "the plain name still works as a name (not as a partial ARN)" dbconf-value \
    "$(sm get-secret-value --secret-id demo/test/mysql-dbconf --query SecretString --output text)"
# As a bare SecretId (not an ARN), the suffixed string is a name no secret has (as in AWS,
# where passing NAME-XXXXXX as a name gives ResourceNotFoundException).
expect_error "bare suffixed name is not a name" ResourceNotFoundException \
    sm get-secret-value --secret-id "$DBCONF_SUFFIXED"

# --- Versions and staging labels after two put-secret-value calls. ---
out=$(sm put-secret-value --secret-id mysql --secret-string mysql-v2 --output json)
MYSQL_V2=$(json_get 'd["VersionId"]' "$out")
expect_eq "put #1 returns ARN and AWSCURRENT" "$MYSQL_ARN [\"AWSCURRENT\"]" \
    "$(json_get 'd["ARN"] + " " + json.dumps(d["VersionStages"])' "$out")"
MYSQL_V3=$(sm put-secret-value --secret-id "$MYSQL_ARN" --secret-string mysql-v3 --query VersionId --output text)
[ "$MYSQL_V1" != "$MYSQL_V2" ] && [ "$MYSQL_V2" != "$MYSQL_V3" ] && [ "$MYSQL_V1" != "$MYSQL_V3" ] && pass \
    || fail "version ids must differ: $MYSQL_V1 $MYSQL_V2 $MYSQL_V3"
expect_eq "get returns the newest" mysql-v3 "$(sm get-secret-value --secret-id mysql --query SecretString --output text)"
expect_eq "AWSPREVIOUS returns the one before" "mysql-v2 $MYSQL_V2" \
    "$(sm get-secret-value --secret-id mysql --version-stage AWSPREVIOUS --query '[SecretString,VersionId]' --output text | tr '\t' ' ')"
expect_eq "by version id, the unlabelled first version" "$MYSQL" \
    "$(sm get-secret-value --secret-id mysql --version-id "$MYSQL_V1" --query SecretString --output text)"
expect_eq "the first version has no stage left" "[]" \
    "$(json_get 'd.get("VersionStages", [])' "$(sm get-secret-value --secret-id mysql --version-id "$MYSQL_V1" --output json)")"
# List and describe report only versions that carry a label; --include-deprecated adds the rest.
# named_versions JSON EXPR: EXPR yields (version id, stages) pairs; print "v1=… v2=… v3=…" in that order.
named_versions() {
    python3 -c 'import json,sys,os
d=json.loads(sys.argv[1]); names={os.environ["V1"]:"v1",os.environ["V2"]:"v2",os.environ["V3"]:"v3"}
print(" ".join(sorted(names.get(v,v)+"="+",".join(s) for v,s in eval(sys.argv[2]))))' "$1" "$2"
}
export V1=$MYSQL_V1 V2=$MYSQL_V2 V3=$MYSQL_V3
out=$(sm list-secret-version-ids --secret-id mysql --output json)
expect_eq "list-secret-version-ids" "v2=AWSPREVIOUS v3=AWSCURRENT" \
    "$(named_versions "$out" '[(v["VersionId"], v["VersionStages"]) for v in d["Versions"]]')"
expect_eq "list-secret-version-ids: ARN and name" "$MYSQL_ARN mysql" "$(json_get 'd["ARN"] + " " + d["Name"]' "$out")"
expect_eq "list-secret-version-ids --include-deprecated" "v1= v2=AWSPREVIOUS v3=AWSCURRENT" \
    "$(named_versions "$(sm list-secret-version-ids --secret-id mysql --include-deprecated --output json)" \
        '[(v["VersionId"], v.get("VersionStages", [])) for v in d["Versions"]]')"
expect_eq "describe-secret VersionIdsToStages" "v2=AWSPREVIOUS v3=AWSCURRENT" \
    "$(named_versions "$(sm describe-secret --secret-id mysql --output json)" 'd["VersionIdsToStages"].items()')"
expect_eq "bridge with a version stage suffix" mysql-v2 \
    "$(aws ssm get-parameter --name /aws/reference/secretsmanager/mysql:AWSPREVIOUS --with-decryption --query Parameter.Value --output text)"
expect_error "unknown stage" ResourceNotFoundException sm get-secret-value --secret-id mysql --version-stage NOPE
expect_eq "unknown stage message" "Secrets Manager can't find the specified secret value for staging label: NOPE" "$(error_message)"

# --- Delete with a recovery window: reads fail, list hides it, restore brings it back. ---
out=$(sm delete-secret --secret-id mysql --recovery-window-in-days 7 --output json)
expect_eq "delete returns ARN and name" "$MYSQL_ARN mysql" "$(json_get 'd["ARN"] + " " + d["Name"]' "$out")"
deletion=$(json_get 'd["DeletionDate"]' "$out")
now=$(date +%s)
python3 -c 'import sys; t=float(sys.argv[1]); n=int(sys.argv[2]); sys.exit(0 if abs(t - (n + 7*86400)) < 120 else 1)' "$deletion" "$now" \
    && pass || fail "DeletionDate must be 7 days from now: $deletion (now $now)"
expect_error "get while scheduled for deletion" InvalidRequestException sm get-secret-value --secret-id mysql
expect_eq "marked for deletion message" \
    "You can't perform this operation on the secret because it was marked for deletion." "$(error_message)"
expect_error "put while scheduled for deletion" InvalidRequestException \
    sm put-secret-value --secret-id mysql --secret-string nope
expect_error "delete twice" InvalidRequestException sm delete-secret --secret-id mysql
expect_error "re-create a name scheduled for deletion" InvalidRequestException \
    sm create-secret --name mysql --secret-string x
expect_eq "describe still works and shows DeletedDate" "mysql True" \
    "$(json_get 'd["Name"] + " " + str("DeletedDate" in d)' "$(sm describe-secret --secret-id mysql --output json)")"
expect_eq "list-secrets hides it" demo/test/mysql-dbconf "$(sm list-secrets --query 'SecretList[].Name' --output text)"
expect_eq "list-secrets --include-planned-deletion shows it" "demo/test/mysql-dbconf mysql" \
    "$(sm list-secrets --include-planned-deletion --query 'SecretList[].Name' --output text | tr '\t' '\n' | sort | paste -sd' ')"
expect_eq "restore" "$MYSQL_ARN mysql" \
    "$(sm restore-secret --secret-id mysql --query '[ARN,Name]' --output text | tr '\t' ' ')"
expect_eq "restored value" mysql-v3 "$(sm get-secret-value --secret-id mysql --query SecretString --output text)"
expect_eq "restored: no DeletedDate" False \
    "$(json_get 'str("DeletedDate" in d)' "$(sm describe-secret --secret-id mysql --output json)")"
expect_eq "list-secrets shows it again" "demo/test/mysql-dbconf mysql" \
    "$(sm list-secrets --query 'SecretList[].Name' --output text | tr '\t' '\n' | sort | paste -sd' ')"

# --- Forced deletion: gone at once. ---
expect_error "recovery window and force together" InvalidParameterException \
    sm delete-secret --secret-id demo/test/mysql-dbconf --recovery-window-in-days 7 --force-delete-without-recovery
expect_error "recovery window below 7 days" InvalidParameterException \
    sm delete-secret --secret-id demo/test/mysql-dbconf --recovery-window-in-days 6
expect_eq "recovery window message" \
    "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)." "$(error_message)"
expect_eq "force delete" "$DBCONF_ARN demo/test/mysql-dbconf" \
    "$(sm delete-secret --secret-id demo/test/mysql-dbconf --force-delete-without-recovery --query '[ARN,Name]' --output text | tr '\t' ' ')"
expect_error "get after force delete" ResourceNotFoundException sm get-secret-value --secret-id demo/test/mysql-dbconf
expect_error "describe after force delete" ResourceNotFoundException sm describe-secret --secret-id "$DBCONF_ARN"
expect_error "restore after force delete" ResourceNotFoundException sm restore-secret --secret-id demo/test/mysql-dbconf
expect_eq "not listed even with planned deletions" mysql \
    "$(sm list-secrets --include-planned-deletion --query 'SecretList[].Name' --output text)"

# --- Random passwords. ---
# password_classes JSON: the password's length, then which classes it draws from
# (l)ower, (u)pper, (d)igit, (p)unctuation, (s)pace, and (x) for anything else.
password_classes() {
    python3 -c 'import json,sys,string
p=json.loads(sys.argv[1])["RandomPassword"]
cls=lambda c: "l" if c in string.ascii_lowercase else "u" if c in string.ascii_uppercase else "d" if c in string.digits else "p" if c in string.punctuation else "s" if c == " " else "x"
print(len(p), "".join(sorted(set(map(cls, p)))))' "$1"
}
pw=$(sm get-random-password --output json)
expect_eq "default: length 32, every class but space" "32 dlpu" "$(password_classes "$pw")"
[ "$(sm get-random-password --output json)" != "$pw" ] && pass || fail "two passwords must differ"
expect_eq "length 20, no punctuation" "20 dlu" \
    "$(password_classes "$(sm get-random-password --password-length 20 --exclude-punctuation --output json)")"
# RequireEachIncludedType covers letters, digits and punctuation, not the space: a long
# password makes a space all but certain (1 - (10/11)^4096).
expect_eq "digits and spaces only" "4096 ds" \
    "$(password_classes "$(sm get-random-password --password-length 4096 --exclude-lowercase --exclude-uppercase \
        --exclude-punctuation --include-space --output json)")"
expect_eq "excluded characters" "40 d" \
    "$(password_classes "$(sm get-random-password --password-length 40 --exclude-characters abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ \
        --exclude-punctuation --output json)")"
expect_eq "maximum length" "4096 dlpu" "$(password_classes "$(sm get-random-password --password-length 4096 --output json)")"

finish
