-- Coffer schema v1 (SQLite). Times are epoch milliseconds; every stored value is sealed
-- (ciphertext = nonce || AES-256-GCM ciphertext || tag, wrapped_key = the value's data key
-- sealed under the master key named by master_key_id).

CREATE TABLE ssm_parameters (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account        TEXT    NOT NULL,
    region         TEXT    NOT NULL,
    name           TEXT    NOT NULL,   -- canonical: "p" for "/p"
    display_name   TEXT    NOT NULL,   -- as created
    latest_version INTEGER NOT NULL,
    UNIQUE (account, region, name)
);

CREATE TABLE ssm_parameter_versions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    parameter_id    INTEGER NOT NULL REFERENCES ssm_parameters (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    param_type      TEXT    NOT NULL,
    tier            TEXT    NOT NULL,
    data_type       TEXT    NOT NULL,
    key_id          TEXT,
    description     TEXT,
    allowed_pattern TEXT,
    policies        TEXT,
    modified_ms     INTEGER NOT NULL,
    modified_by     TEXT    NOT NULL,
    ciphertext      BLOB    NOT NULL,
    wrapped_key     BLOB    NOT NULL,
    master_key_id   TEXT    NOT NULL,
    UNIQUE (parameter_id, version)
);

CREATE TABLE ssm_parameter_labels (
    parameter_id INTEGER NOT NULL REFERENCES ssm_parameters (id) ON DELETE CASCADE,
    label        TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    PRIMARY KEY (parameter_id, label)
);

CREATE TABLE ssm_parameter_tags (
    parameter_id INTEGER NOT NULL REFERENCES ssm_parameters (id) ON DELETE CASCADE,
    tag_key      TEXT    NOT NULL,
    tag_value    TEXT    NOT NULL,
    PRIMARY KEY (parameter_id, tag_key)
);

CREATE TABLE sm_secrets (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    account             TEXT    NOT NULL,
    region              TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    arn_suffix          TEXT    NOT NULL,
    description         TEXT,
    kms_key_id          TEXT,
    secret_type         TEXT,
    resource_policy     TEXT,
    rotation_enabled    INTEGER NOT NULL DEFAULT 0,
    rotation_lambda_arn TEXT,
    rotation_rules      TEXT,
    last_rotated_ms     INTEGER,
    next_rotation_ms    INTEGER,
    owning_service      TEXT,
    primary_region      TEXT,
    created_ms          INTEGER NOT NULL,
    last_changed_ms     INTEGER NOT NULL,
    last_accessed_ms    INTEGER,
    deleted_ms          INTEGER,
    purge_after_ms      INTEGER,
    version_seq         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, region, name)
);

CREATE TABLE sm_secret_versions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    secret_id        INTEGER NOT NULL REFERENCES sm_secrets (id) ON DELETE CASCADE,
    version_id       TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    value_kind       TEXT    NOT NULL,  -- 'string' | 'binary'
    created_ms       INTEGER NOT NULL,
    last_accessed_ms INTEGER,
    ciphertext       BLOB    NOT NULL,
    wrapped_key      BLOB    NOT NULL,
    master_key_id    TEXT    NOT NULL,
    UNIQUE (secret_id, version_id)
);

CREATE TABLE sm_secret_stages (
    secret_id  INTEGER NOT NULL REFERENCES sm_secrets (id) ON DELETE CASCADE,
    stage      TEXT    NOT NULL,
    version_id TEXT    NOT NULL,
    PRIMARY KEY (secret_id, stage)
);

CREATE TABLE sm_secret_tags (
    secret_id INTEGER NOT NULL REFERENCES sm_secrets (id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    tag_key   TEXT    NOT NULL,
    tag_value TEXT    NOT NULL,
    PRIMARY KEY (secret_id, tag_key)
);

CREATE TABLE iam_principals (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    account              TEXT    NOT NULL,
    kind                 TEXT    NOT NULL,  -- 'user' | 'role'
    name                 TEXT    NOT NULL,
    path                 TEXT    NOT NULL,
    arn                  TEXT    NOT NULL,
    unique_id            TEXT    NOT NULL,
    trust_policy         TEXT,
    description          TEXT,
    max_session_seconds  INTEGER,
    created_ms           INTEGER NOT NULL,
    UNIQUE (account, kind, name)
);

CREATE TABLE iam_principal_tags (
    principal_id INTEGER NOT NULL REFERENCES iam_principals (id) ON DELETE CASCADE,
    tag_key      TEXT    NOT NULL,
    tag_value    TEXT    NOT NULL,
    PRIMARY KEY (principal_id, tag_key)
);

CREATE TABLE iam_inline_policies (
    principal_id INTEGER NOT NULL REFERENCES iam_principals (id) ON DELETE CASCADE,
    policy_name  TEXT    NOT NULL,
    document     TEXT    NOT NULL,
    PRIMARY KEY (principal_id, policy_name)
);

CREATE TABLE iam_access_keys (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    access_key_id      TEXT    NOT NULL UNIQUE,
    account            TEXT    NOT NULL,
    principal_id       INTEGER REFERENCES iam_principals (id) ON DELETE CASCADE,  -- NULL: the root
    status             TEXT    NOT NULL,  -- 'Active' | 'Inactive'
    created_ms         INTEGER NOT NULL,
    expires_ms         INTEGER,           -- temporary (STS) credentials only
    session_token_hash TEXT,
    session_name       TEXT,
    ciphertext         BLOB    NOT NULL,  -- the secret access key, sealed
    wrapped_key        BLOB    NOT NULL,
    master_key_id      TEXT    NOT NULL
);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,
    request_id    TEXT    NOT NULL,
    account       TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    principal_arn TEXT,
    access_key_id TEXT,
    source_ip     TEXT,
    user_agent    TEXT,
    event_source  TEXT    NOT NULL,
    event_name    TEXT    NOT NULL,
    resources     TEXT    NOT NULL,  -- JSON array of ARNs
    error_code    TEXT,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at_ms);
