-- IAM lookups. IAM names are unique regardless of case ("MyUser" and "myuser" cannot both
-- exist) and are looked up without regard to case, so the unique key is on lower(name);
-- names are ASCII ([\w+=,.@-]), where SQLite's and PostgreSQL's lower() agree.

CREATE UNIQUE INDEX iam_principals_name_ci ON iam_principals (account, kind, lower(name));

-- Access keys of a principal (listing, counting, DeleteConflict checks, cascades), and
-- expired STS session keys (purged as new sessions are created).
CREATE INDEX iam_access_keys_principal ON iam_access_keys (account, principal_id);
CREATE INDEX iam_access_keys_expiry ON iam_access_keys (expires_ms) WHERE expires_ms IS NOT NULL;
