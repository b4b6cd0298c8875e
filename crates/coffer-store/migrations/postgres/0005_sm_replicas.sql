-- Secrets Manager replication: the Regions a primary secret is replicated to, with each one's
-- status. A replica itself is an sm_secrets row in its Region with the primary's name and ARN
-- suffix and primary_region naming the primary's Region.
CREATE TABLE sm_replicas (
    primary_id     BIGINT  NOT NULL REFERENCES sm_secrets (id) ON DELETE CASCADE,
    region         TEXT    NOT NULL,
    kms_key_id     TEXT,
    status         TEXT    NOT NULL,  -- 'InSync' | 'Failed'
    status_message TEXT,
    PRIMARY KEY (primary_id, region)
);
