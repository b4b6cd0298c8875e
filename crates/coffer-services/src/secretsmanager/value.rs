//! GetSecretValue, BatchGetSecretValue and PutSecretValue.

use super::errors::{
    invalid_next_token, invalid_parameter, marked_for_deletion, stage_not_found, stage_version_mismatch, token_in_use,
    version_not_found,
};
use super::filters;
use super::labels::Labels;
use super::model::{
    ApiErrorType, BatchGetSecretValueInput, BatchGetSecretValueOutput, GetSecretValueInput, GetSecretValueOutput,
    PutSecretValueInput, PutSecretValueOutput,
};
use super::validate::{self, NewValue, required};
use super::{AWSCURRENT, SecretsManager, Staged, labels_of};
use crate::Service;
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SecretsManagerOperation;
use crate::{RequestContext, RequestFacts};
use coffer_aws::Timestamp;
use coffer_store::secrets::{SecretRecord, SecretVersion};

/// The most secrets one BatchGetSecretValue returns (its `MaxResults` bound).
const MAX_BATCH: usize = 20;

impl SecretsManager {
    pub async fn get_secret_value(
        &self,
        ctx: &RequestContext,
        input: GetSecretValueInput,
    ) -> OpResult<GetSecretValueOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let mut keys = Vec::new();
        if let Some(id) = input.version_id.as_deref() {
            keys.push(("secretsmanager:VersionId", id));
        }
        if let Some(stage) = input.version_stage.as_deref() {
            keys.push(("secretsmanager:VersionStage", stage));
        }
        let request = RequestFacts::keys(&keys);
        let action = SecretsManagerOperation::GetSecretValue.action();
        // By stage (the usual read), the labels and the stage's version come with the secret
        // in one query; nothing of the value is opened before the caller is authorized.
        let (found, staged) = match input.version_id {
            Some(_) => (self.lookup(ctx, secret_id).await?, None),
            None => {
                let stage = input.version_stage.as_deref().unwrap_or(AWSCURRENT);
                self.lookup_for_read(ctx, secret_id, stage).await?
            }
        };
        let record = self.authorize_lookup(ctx, action, secret_id, found, request).await?;
        self.read_value(ctx, &record, input.version_id.as_deref(), input.version_stage.as_deref(), staged).await
    }

    /// The value of one version of a found (and authorized) secret: by VersionId and/or
    /// VersionStage, AWSCURRENT by default. `staged`: the labels and the stage's version,
    /// when the lookup read them already.
    pub(super) async fn read_value(
        &self,
        ctx: &RequestContext,
        record: &SecretRecord,
        version_id: Option<&str>,
        version_stage: Option<&str>,
        staged: Option<Staged>,
    ) -> OpResult<GetSecretValueOutput> {
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let (stages, version) = match version_id {
            Some(id) => {
                let stages = self.store.sm_stages(record.id).await?;
                let version = self.store.sm_version(record.id, id).await?.ok_or_else(|| version_not_found(id))?;
                if let Some(stage) = version_stage
                    && !stages.iter().any(|(s, v)| s == stage && v == id)
                {
                    return Err(stage_version_mismatch().into());
                }
                (stages, version)
            }
            None => {
                let stage = version_stage.unwrap_or(AWSCURRENT);
                let Staged { stages, version } = match staged {
                    Some(staged) => staged,
                    None => {
                        let (stages, version) = self.store.sm_stages_with_version(record.id, stage).await?;
                        Staged { stages, version }
                    }
                };
                (stages, version.ok_or_else(|| stage_not_found(stage))?)
            }
        };
        self.value_output(ctx, record, &version, &stages).await
    }

    async fn value_output(
        &self,
        ctx: &RequestContext,
        record: &SecretRecord,
        version: &SecretVersion,
        stages: &[(String, String)],
    ) -> OpResult<GetSecretValueOutput> {
        let (secret_string, secret_binary) = self.open_value(&ctx.scope, record, version)?;
        self.record_access(record, version).await;
        Ok(GetSecretValueOutput {
            arn: record.arn(&ctx.scope),
            name: record.name.clone(),
            version_id: version.version_id.clone(),
            secret_binary,
            secret_string,
            version_stages: labels_of(stages, &version.version_id),
            created_date: version.created,
        })
    }

    pub async fn batch_get_secret_value(
        &self,
        ctx: &RequestContext,
        input: BatchGetSecretValueInput,
    ) -> OpResult<BatchGetSecretValueOutput> {
        input.check()?;
        let either = || invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.");
        let (ids, filter_list) = match (input.secret_id_list, input.filters) {
            (Some(_), Some(_)) | (None, None) => return Err(either().into()),
            (ids, filters) => (ids, filters),
        };
        if input.max_results.is_some() && filter_list.is_none() {
            return Err(invalid_parameter(
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
            )
            .into());
        }
        let parsed_filters = match &filter_list {
            Some(list) => Some(filters::parse(list)?),
            None => None,
        };
        let page = input.max_results.and_then(|m| usize::try_from(m).ok()).unwrap_or(MAX_BATCH);
        ctx.authorize(SecretsManagerOperation::BatchGetSecretValue.action(), "*")?;
        // Filters search every secret's name, description and tags: AWS requires
        // ListSecrets for them as well.
        if parsed_filters.is_some() {
            ctx.authorize(SecretsManagerOperation::ListSecrets.action(), "*")?;
        }

        let mut batch = Batch::default();
        let mut next_token = None;
        match (ids, parsed_filters) {
            (Some(ids), _) => {
                for id in ids {
                    let result = match self.authorized(ctx, SecretsManagerOperation::GetSecretValue.action(), &id).await
                    {
                        Ok(record) => self.read_value(ctx, &record, None, None, None).await,
                        Err(e) => Err(e),
                    };
                    batch.add(id, result)?;
                }
            }
            (None, Some(filters)) => {
                let after = match &input.next_token {
                    Some(t) => Some(
                        crate::pagination::decode(SecretsManagerOperation::BatchGetSecretValue, t)
                            .and_then(|a| a.parse::<i64>().ok())
                            .ok_or_else(invalid_next_token)?,
                    ),
                    None => None,
                };
                let listing = self.listing(ctx, false).await?;
                let matched: Vec<_> = listing
                    .iter()
                    .filter(|l| filters::matches(&filters, l))
                    .filter(|l| after.is_none_or(|a| l.record.id > a))
                    .collect();
                if matched.len() > page {
                    next_token = Some(crate::pagination::encode(
                        SecretsManagerOperation::BatchGetSecretValue,
                        &matched[page - 1].record.id.to_string(),
                    ));
                }
                for listed in matched.into_iter().take(page) {
                    let record = &listed.record;
                    let result = match self
                        .authorize_on(
                            ctx,
                            SecretsManagerOperation::GetSecretValue.action(),
                            record,
                            Some(&listed.tags),
                            RequestFacts::default(),
                        )
                        .await
                    {
                        Ok(()) => self.read_value(ctx, record, None, None, None).await,
                        Err(e) => Err(e),
                    };
                    batch.add(record.name.clone(), result)?;
                }
            }
            (None, None) => return Err(either().into()),
        }
        Ok(BatchGetSecretValueOutput { secret_values: batch.values, next_token, errors: batch.errors })
    }

    pub async fn put_secret_value(
        &self,
        ctx: &RequestContext,
        input: PutSecretValueInput,
    ) -> OpResult<PutSecretValueOutput> {
        input.check()?;
        let secret_id = required(&input.secret_id, "secretId")?;
        let value = validate::required_value(input.secret_string.as_ref(), input.secret_binary.as_ref())?;
        let token = validate::token_or_uuid(input.client_request_token.as_deref());
        let (mut tx, record) = self.locked(ctx, SecretsManagerOperation::PutSecretValue.action(), secret_id).await?;
        if record.is_deleted() {
            return Err(marked_for_deletion().into());
        }
        let mut labels = Labels::load(&mut tx, record.id).await?;
        if let Some(existing) = tx.sm_version(record.id, &token).await? {
            self.check_same_value(ctx, &record, &existing, &value, &token)?;
            return Ok(PutSecretValueOutput {
                arn: record.arn(&ctx.scope),
                name: record.name,
                version_stages: labels.of(&token),
                version_id: token,
            });
        }
        let now = Timestamp::now();
        tx.sm_insert_version(&ctx.scope, &record, &token, value.kind, &value.bytes, now).await?;
        let mut stages = input.version_stages.unwrap_or_else(|| vec![AWSCURRENT.to_owned()]);
        // The first version of a secret always becomes AWSCURRENT.
        if labels.holder(AWSCURRENT).is_none() && !stages.iter().any(|s| s == AWSCURRENT) {
            stages.push(AWSCURRENT.to_owned());
        }
        for stage in &stages {
            labels.attach(&mut tx, stage, &token).await?;
        }
        labels.prune(&mut tx).await?;
        if stages.iter().any(|s| s == AWSCURRENT) {
            super::rotate::reschedule_after_manual_change(&mut tx, &record, now).await?;
        }
        tx.sm_set_changed(record.id, now).await?;
        self.commit(tx, ctx, &record).await?;
        Ok(PutSecretValueOutput {
            arn: record.arn(&ctx.scope),
            name: record.name,
            version_stages: labels.of(&token),
            version_id: token,
        })
    }

    /// A request reusing a VersionId succeeds only with the very same value.
    pub(super) fn check_same_value(
        &self,
        ctx: &RequestContext,
        record: &SecretRecord,
        existing: &SecretVersion,
        value: &NewValue,
        token: &str,
    ) -> OpResult<()> {
        let stored = self.store.sm_open(&ctx.scope, record, existing)?;
        if value.same_as(existing.kind, &stored) {
            Ok(())
        } else {
            Err(token_in_use(token, &record.arn(&ctx.scope)).into())
        }
    }
}

/// BatchGetSecretValue's answers so far: a value or an error per secret, as AWS reports them.
#[derive(Default)]
struct Batch {
    values: Vec<GetSecretValueOutput>,
    errors: Vec<ApiErrorType>,
}

impl Batch {
    /// Keeps one secret's outcome; a failure of the service itself ends the whole batch.
    fn add(&mut self, secret_id: String, result: OpResult<GetSecretValueOutput>) -> OpResult<()> {
        match result {
            Ok(v) => self.values.push(v),
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => {
                let e = e.into_aws(Service::SecretsManager);
                self.errors.push(ApiErrorType { secret_id, error_code: e.code.into_owned(), message: e.message });
            }
        }
        Ok(())
    }
}
