//! GetParameter and GetParameters.

use super::Ssm;
use super::errors::{parameter_not_found, version_not_found};
use super::model::{GetParameterInput, GetParameterOutput, GetParametersInput, GetParametersOutput, Parameter};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts};
use coffer_aws::ssm_name::{ParameterName, Selector};
use coffer_store::ssm::{ParameterRecord, ParameterVersion};
use std::collections::{BTreeSet, HashMap};

/// Why a reference named no parameter version.
pub(super) enum Missing {
    Parameter,
    Version(String),
}

pub(super) struct Resolved {
    pub name: ParameterName,
    pub record: ParameterRecord,
    pub version: ParameterVersion,
    pub selector: Option<Selector>,
}

impl Ssm {
    /// Finds the version a `name[:selector]` (or ARN) reference names, authorizing `action` on
    /// it first (a parameter that does not exist is authorized without tags).
    pub(super) async fn resolve(
        &self,
        ctx: &RequestContext,
        reference: &str,
        action: &str,
    ) -> OpResult<Result<Resolved, Missing>> {
        let Some((name, selector)) = ParameterName::parse_with_selector(reference, &ctx.scope)? else {
            return Ok(Err(Missing::Parameter));
        };
        let latest = self.store.ssm_parameter_latest(&ctx.scope, name.canonical()).await?;
        let id = latest.as_ref().map(|(record, _)| record.id);
        let tags = async {
            match id {
                Some(id) => self.store.ssm_tags(id).await,
                None => Ok(Vec::new()),
            }
        };
        self.select(ctx, name, selector, latest, tags, action).await
    }

    /// Authorizes `action` on `name` (with its tags when it exists) and picks the version
    /// `selector` names from the parameter's `latest` row.
    async fn select(
        &self,
        ctx: &RequestContext,
        name: ParameterName,
        selector: Option<Selector>,
        latest: Option<(ParameterRecord, ParameterVersion)>,
        tags: impl std::future::Future<Output = Result<Vec<(String, String)>, coffer_store::StoreError>>,
        action: &str,
    ) -> OpResult<Result<Resolved, Missing>> {
        let arn = name.arn(&ctx.scope);
        let Some((record, latest)) = latest else {
            ctx.authorize(action, &arn)?;
            return Ok(Err(Missing::Parameter));
        };
        super::authorize_parameter(ctx, tags, action, &arn, RequestFacts::default()).await?;
        let found = match &selector {
            None => Some(latest),
            Some(Selector::Version(v)) if *v == latest.version => Some(latest),
            Some(Selector::Version(v)) => self.store.ssm_version(record.id, *v).await?,
            Some(Selector::Label(l)) => match self.store.ssm_label_version(record.id, l).await? {
                Some(n) if n == latest.version => Some(latest),
                Some(n) => self.store.ssm_version(record.id, n).await?,
                None => None,
            },
        };
        Ok(match found {
            Some(version) => Ok(Resolved { name, record, version, selector }),
            None => {
                let shown = match &selector {
                    Some(Selector::Version(v)) => v.to_string(),
                    Some(Selector::Label(l)) => l.clone(),
                    None => record.latest_version.to_string(),
                };
                Err(Missing::Version(shown))
            }
        })
    }

    pub(super) fn parameter(&self, ctx: &RequestContext, r: &Resolved, with_decryption: bool) -> OpResult<Parameter> {
        Ok(Parameter {
            name: r.name.answered(&r.record.display_name).to_owned(),
            param_type: r.version.meta.param_type,
            value: self.wire_value(ctx, &r.record.name, &r.version, with_decryption)?,
            version: r.version.version,
            selector: r.selector.as_ref().map(Selector::to_wire),
            source_result: None,
            last_modified_date: r.version.modified,
            arn: r.name.arn(&ctx.scope),
            data_type: r.version.meta.data_type.clone(),
        })
    }

    pub async fn get_parameter(&self, ctx: &RequestContext, input: GetParameterInput) -> OpResult<GetParameterOutput> {
        input.check()?;
        if let Some(secret_id) = input.name.strip_prefix(crate::secretsmanager::SSM_REFERENCE_PREFIX) {
            let parameter = crate::secretsmanager::SecretsManager::new(self.store.clone())
                .ssm_reference(ctx, SsmOperation::GetParameter.action(), &input.name, secret_id, input.with_decryption)
                .await?
                .ok_or_else(|| crate::secretsmanager::ssm_reference_not_found(&input.name))?;
            return Ok(GetParameterOutput { parameter });
        }
        match self.resolve(ctx, &input.name, SsmOperation::GetParameter.action()).await? {
            Ok(resolved) => {
                Ok(GetParameterOutput { parameter: self.parameter(ctx, &resolved, input.with_decryption)? })
            }
            Err(Missing::Parameter) => Err(parameter_not_found(&input.name).into()),
            Err(Missing::Version(v)) => {
                let base = input.name.split(':').next().unwrap_or(&input.name);
                Err(version_not_found(base, &v).into())
            }
        }
    }

    pub async fn get_parameters(
        &self,
        ctx: &RequestContext,
        input: GetParametersInput,
    ) -> OpResult<GetParametersOutput> {
        input.check()?;
        let names = input.names.unwrap_or_default();
        let unique: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        // Validate every name before reading any; then read the whole batch at once: one
        // query for the parameters, one for their tags (this sits on every `coffer run`).
        let mut parsed = HashMap::new();
        for reference in &unique {
            if !reference.starts_with(crate::secretsmanager::SSM_REFERENCE_PREFIX) {
                parsed.insert(*reference, ParameterName::parse_with_selector(reference, &ctx.scope)?);
            }
        }
        let canonical: BTreeSet<&str> = parsed.values().flatten().map(|(name, _)| name.canonical()).collect();
        let canonical: Vec<&str> = canonical.into_iter().collect();
        // Under a role the tags decide, so they come with the parameters (one query).
        let (found, tags) = if ctx.needs_resource_facts() {
            self.store.ssm_parameters_latest_with_tags(&ctx.scope, &canonical).await?
        } else {
            (self.store.ssm_parameters_latest(&ctx.scope, &canonical).await?, HashMap::new())
        };
        let latest: HashMap<String, (ParameterRecord, ParameterVersion)> =
            found.into_iter().map(|(record, version)| (record.name.clone(), (record, version))).collect();

        let mut parameters = Vec::new();
        let mut invalid = Vec::new();
        for reference in unique {
            if let Some(secret_id) = reference.strip_prefix(crate::secretsmanager::SSM_REFERENCE_PREFIX) {
                match crate::secretsmanager::SecretsManager::new(self.store.clone())
                    .ssm_reference(
                        ctx,
                        SsmOperation::GetParameters.action(),
                        reference,
                        secret_id,
                        input.with_decryption,
                    )
                    .await?
                {
                    Some(p) => parameters.push(p),
                    None => invalid.push(reference.to_owned()),
                }
                continue;
            }
            let Some((name, selector)) = parsed.remove(reference).flatten() else {
                invalid.push(reference.to_owned());
                continue;
            };
            // Two references may name one parameter (`/p` and `p:1`): the row is shared.
            let found = latest.get(name.canonical()).cloned();
            let found_tags = found.as_ref().and_then(|(record, _)| tags.get(&record.id).cloned()).unwrap_or_default();
            match self
                .select(
                    ctx,
                    name,
                    selector,
                    found,
                    std::future::ready(Ok(found_tags)),
                    SsmOperation::GetParameters.action(),
                )
                .await?
            {
                Ok(resolved) => parameters.push(self.parameter(ctx, &resolved, input.with_decryption)?),
                Err(_) => invalid.push(reference.to_owned()),
            }
        }
        parameters.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(GetParametersOutput { parameters, invalid_parameters: invalid })
    }
}
