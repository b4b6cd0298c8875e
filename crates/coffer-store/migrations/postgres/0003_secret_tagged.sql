-- Whether a secret has ever carried a tag: DescribeSecret answers `"Tags": []` once all its
-- tags are removed, and no `Tags` at all for a secret never tagged.
ALTER TABLE sm_secrets ADD COLUMN tagged BIGINT NOT NULL DEFAULT 0;
UPDATE sm_secrets SET tagged = 1 WHERE id IN (SELECT secret_id FROM sm_secret_tags);
