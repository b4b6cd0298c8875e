-- The session policy an AssumeRole request passed (`Policy`): the session may do only what
-- both it and the role's policies allow.
ALTER TABLE iam_access_keys ADD COLUMN session_policy TEXT;
