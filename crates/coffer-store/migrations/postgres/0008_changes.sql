-- Cache invalidation across nodes: every statement that changes data (everything but the
-- audit trail) notifies channel `coffer_changes` when its transaction commits, so each server
-- drops the sealed rows it keeps. PostgreSQL folds a transaction's identical notifications
-- into one.
CREATE FUNCTION coffer_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('coffer_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER ssm_parameters_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ssm_parameters FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER ssm_parameter_versions_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ssm_parameter_versions FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER ssm_parameter_labels_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ssm_parameter_labels FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER ssm_parameter_tags_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ssm_parameter_tags FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER sm_secrets_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sm_secrets FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER sm_secret_versions_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sm_secret_versions FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER sm_secret_stages_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sm_secret_stages FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER sm_secret_tags_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sm_secret_tags FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER sm_replicas_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sm_replicas FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER iam_principals_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_principals FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER iam_principal_tags_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_principal_tags FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER iam_inline_policies_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_inline_policies FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER iam_access_keys_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON iam_access_keys FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER rotation_functions_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rotation_functions FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
CREATE TRIGGER rotation_webhook_keys_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rotation_webhook_keys FOR EACH STATEMENT EXECUTE FUNCTION coffer_notify_change();
