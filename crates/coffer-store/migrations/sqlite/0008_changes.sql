-- A change counter for caches: every insert, update and delete of data (everything but the
-- audit trail) bumps it, whoever makes it — this server, the embedded CLI in another process, an
-- operator's sqlite3 — so a server may keep sealed rows it read and know, by reading one row,
-- whether they are still what the database holds.
CREATE TABLE coffer_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO coffer_changes (id, n) VALUES (1, 0);

CREATE TRIGGER ssm_parameters_i_changes AFTER INSERT ON ssm_parameters BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameters_u_changes AFTER UPDATE ON ssm_parameters BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameters_d_changes AFTER DELETE ON ssm_parameters BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_versions_i_changes AFTER INSERT ON ssm_parameter_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_versions_u_changes AFTER UPDATE ON ssm_parameter_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_versions_d_changes AFTER DELETE ON ssm_parameter_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_labels_i_changes AFTER INSERT ON ssm_parameter_labels BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_labels_u_changes AFTER UPDATE ON ssm_parameter_labels BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_labels_d_changes AFTER DELETE ON ssm_parameter_labels BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_tags_i_changes AFTER INSERT ON ssm_parameter_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_tags_u_changes AFTER UPDATE ON ssm_parameter_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER ssm_parameter_tags_d_changes AFTER DELETE ON ssm_parameter_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secrets_i_changes AFTER INSERT ON sm_secrets BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secrets_u_changes AFTER UPDATE ON sm_secrets BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secrets_d_changes AFTER DELETE ON sm_secrets BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_versions_i_changes AFTER INSERT ON sm_secret_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_versions_u_changes AFTER UPDATE ON sm_secret_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_versions_d_changes AFTER DELETE ON sm_secret_versions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_stages_i_changes AFTER INSERT ON sm_secret_stages BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_stages_u_changes AFTER UPDATE ON sm_secret_stages BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_stages_d_changes AFTER DELETE ON sm_secret_stages BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_tags_i_changes AFTER INSERT ON sm_secret_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_tags_u_changes AFTER UPDATE ON sm_secret_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_secret_tags_d_changes AFTER DELETE ON sm_secret_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_replicas_i_changes AFTER INSERT ON sm_replicas BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_replicas_u_changes AFTER UPDATE ON sm_replicas BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sm_replicas_d_changes AFTER DELETE ON sm_replicas BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principals_i_changes AFTER INSERT ON iam_principals BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principals_u_changes AFTER UPDATE ON iam_principals BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principals_d_changes AFTER DELETE ON iam_principals BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principal_tags_i_changes AFTER INSERT ON iam_principal_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principal_tags_u_changes AFTER UPDATE ON iam_principal_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_principal_tags_d_changes AFTER DELETE ON iam_principal_tags BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_inline_policies_i_changes AFTER INSERT ON iam_inline_policies BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_inline_policies_u_changes AFTER UPDATE ON iam_inline_policies BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_inline_policies_d_changes AFTER DELETE ON iam_inline_policies BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_access_keys_i_changes AFTER INSERT ON iam_access_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_access_keys_u_changes AFTER UPDATE ON iam_access_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER iam_access_keys_d_changes AFTER DELETE ON iam_access_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_functions_i_changes AFTER INSERT ON rotation_functions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_functions_u_changes AFTER UPDATE ON rotation_functions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_functions_d_changes AFTER DELETE ON rotation_functions BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_webhook_keys_i_changes AFTER INSERT ON rotation_webhook_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_webhook_keys_u_changes AFTER UPDATE ON rotation_webhook_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER rotation_webhook_keys_d_changes AFTER DELETE ON rotation_webhook_keys BEGIN UPDATE coffer_changes SET n = n + 1 WHERE id = 1; END;
