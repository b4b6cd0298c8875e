-- Rotation functions, and the state of each secret's rotation.
--
-- A function is registered under a name in a Region and is referred to by its Lambda-style
-- ARN. `spec` is JSON: the command line of a command, the URL of a webhook, the options of
-- the built-in password generator. A webhook's signing key is sealed like a secret value.
CREATE TABLE rotation_functions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account    TEXT    NOT NULL,
    region     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL,  -- 'command' | 'webhook' | 'random-password'
    role_arn   TEXT,              -- what a command acts as; a webhook has none
    spec       TEXT    NOT NULL,
    timeout_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    UNIQUE (account, region, name)
);

CREATE TABLE rotation_webhook_keys (
    id            INTEGER PRIMARY KEY REFERENCES rotation_functions (id) ON DELETE CASCADE,
    ciphertext    BLOB    NOT NULL,
    wrapped_key   BLOB    NOT NULL,
    master_key_id TEXT    NOT NULL
);

-- The rotation a secret has to run: the version id it stages (AWSPENDING), when it may next
-- be attempted, and until when a server has claimed it (so one server of many runs it).
ALTER TABLE sm_secrets ADD COLUMN rotation_token TEXT;
ALTER TABLE sm_secrets ADD COLUMN rotation_only_test INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sm_secrets ADD COLUMN rotation_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sm_secrets ADD COLUMN rotation_retry_ms INTEGER;
ALTER TABLE sm_secrets ADD COLUMN rotation_claimed_until_ms INTEGER;
ALTER TABLE sm_secrets ADD COLUMN rotation_error TEXT;

-- Every server looks for due schedules and rotations each second: partial indexes keep that
-- to the few rows concerned, however many secrets there are.
CREATE INDEX sm_secrets_rotation_due ON sm_secrets (next_rotation_ms) WHERE rotation_enabled = 1;
CREATE INDEX sm_secrets_rotation_jobs ON sm_secrets (rotation_retry_ms) WHERE rotation_token IS NOT NULL;
