"""A Secrets Manager rotation function, written to the protocol of AWS's
SecretsManagerRotationTemplate (aws-samples/aws-secrets-manager-rotation-lambdas):
one call per step, the event {"Step", "SecretId", "ClientRequestToken", ...}.

It rotates the password of a secret. A JSON object secret keeps its other keys
({"username": ..., "password": ...} gets a new "password"); any other value is
replaced by the new password as a whole, as AWS's template does, and then fails
testSecret, which expects a JSON credential. set_secret and test_secret are where a real
function changes and tries the password in the database; this one has no database.

The same file runs unchanged as a Lambda function on AWS, or under Coffer with
runner.py. It logs what it does, never a secret value.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

AWSCURRENT = "AWSCURRENT"
AWSPENDING = "AWSPENDING"


def lambda_handler(event, context):
    """Runs one rotation step.

    Args:
        event (dict): SecretId (the secret's ARN), ClientRequestToken (the new version's
            id) and Step (createSecret, setSecret, testSecret or finishSecret).
        context: the Lambda context (unused; runner.py passes None).

    Raises:
        ValueError: the secret is not set up for rotation, or the step is unknown.
        ResourceNotFoundException: the secret or its AWSCURRENT version does not exist.
        KeyError: the event lacks a key.
    """
    arn = event["SecretId"]
    token = event["ClientRequestToken"]
    step = event["Step"]

    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])

    # The version must be the one this rotation staged.
    metadata = client.describe_secret(SecretId=arn)
    if not metadata["RotationEnabled"]:
        logger.error("Secret %s is not enabled for rotation.", arn)
        raise ValueError("Secret %s is not enabled for rotation." % arn)
    versions = metadata["VersionIdsToStages"]
    if token not in versions:
        logger.error("Secret version %s has no stage for rotation of secret %s.", token, arn)
        raise ValueError("Secret version %s has no stage for rotation of secret %s." % (token, arn))
    if AWSCURRENT in versions[token]:
        logger.info("Secret version %s is already AWSCURRENT for secret %s.", token, arn)
        return
    if AWSPENDING not in versions[token]:
        logger.error("Secret version %s is not staged AWSPENDING for rotation of secret %s.", token, arn)
        raise ValueError("Secret version %s is not staged AWSPENDING for rotation of secret %s." % (token, arn))

    if step == "createSecret":
        create_secret(client, arn, token)
    elif step == "setSecret":
        set_secret(client, arn, token)
    elif step == "testSecret":
        test_secret(client, arn, token)
    elif step == "finishSecret":
        finish_secret(client, arn, token)
    else:
        logger.error("Invalid step parameter %s for secret %s.", step, arn)
        raise ValueError("Invalid step parameter %s" % step)


def with_new_password(current, password):
    """The new value: the current JSON object with a new "password", or the password alone."""
    try:
        value = json.loads(current)
    except ValueError:
        return password
    if not isinstance(value, dict):
        return password
    value["password"] = password
    return json.dumps(value)


def create_secret(client, arn, token):
    """Puts the new value on the token's version, unless an earlier attempt already did.

    Raises:
        ResourceNotFoundException: the secret has no AWSCURRENT version.
    """
    current = client.get_secret_value(SecretId=arn, VersionStage=AWSCURRENT)

    try:
        client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=AWSPENDING)
        logger.info("createSecret: version %s of %s already has a value.", token, arn)
    except client.exceptions.ResourceNotFoundException:
        exclude = os.environ.get("EXCLUDE_CHARACTERS", "/@\"'\\")
        password = client.get_random_password(ExcludeCharacters=exclude)["RandomPassword"]
        client.put_secret_value(
            SecretId=arn,
            ClientRequestToken=token,
            SecretString=with_new_password(current.get("SecretString", ""), password),
            VersionStages=[AWSPENDING],
        )
        logger.info("createSecret: put a new value on version %s of %s.", token, arn)


def set_secret(client, arn, token):
    """Sets the AWSPENDING password in the system the secret is for.

    For a database credential: log in with the AWSCURRENT (or AWSPREVIOUS) credential and
    change the user's password to the AWSPENDING one. This example has no database.
    """
    logger.info("setSecret: no external system to update for %s (version %s).", arn, token)


def test_secret(client, arn, token):
    """Checks that the AWSPENDING value works.

    For a database credential: log in with the AWSPENDING credential and check the user's
    permissions. Without a database, this checks the value is a JSON object with a
    non-empty password.

    Raises:
        ValueError: the AWSPENDING value is not such an object.
    """
    pending = client.get_secret_value(SecretId=arn, VersionId=token, VersionStage=AWSPENDING)
    try:
        value = json.loads(pending.get("SecretString", ""))
    except ValueError:
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("password"), str) or not value["password"]:
        logger.error("testSecret: version %s of %s is not a JSON object with a password.", token, arn)
        raise ValueError("testSecret: version %s of %s is not a JSON object with a password." % (token, arn))
    logger.info("testSecret: version %s of %s is a JSON object with a password.", token, arn)


def finish_secret(client, arn, token):
    """Moves AWSCURRENT to the token's version (Secrets Manager then moves AWSPREVIOUS).

    Raises:
        ResourceNotFoundException: the secret does not exist.
    """
    metadata = client.describe_secret(SecretId=arn)
    current_version = None
    for version, stages in metadata["VersionIdsToStages"].items():
        if AWSCURRENT in stages:
            if version == token:
                logger.info("finishSecret: version %s is already AWSCURRENT for %s.", version, arn)
                return
            current_version = version
            break

    client.update_secret_version_stage(
        SecretId=arn, VersionStage=AWSCURRENT, MoveToVersionId=token, RemoveFromVersionId=current_version
    )
    # The service removes AWSPENDING once the rotation is done (newer versions of AWS's
    # template also remove it here, with a second update_secret_version_stage call).
    logger.info("finishSecret: set AWSCURRENT to version %s for %s.", token, arn)
