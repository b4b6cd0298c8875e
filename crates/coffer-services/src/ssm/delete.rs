//! DeleteParameter and DeleteParameters.

use super::Ssm;
use super::errors::parameter_not_found;
use super::model::{DeleteParameterInput, DeleteParametersInput, DeleteParametersOutput, Empty};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts};
use coffer_aws::ssm_name::ParameterName;

impl Ssm {
    /// Deletes one parameter; `Ok(false)` if it did not exist.
    async fn delete_one(&self, ctx: &RequestContext, name: &ParameterName, action: &str) -> OpResult<bool> {
        let mut tx = self.store.begin().await?;
        let Some(record) = self.lock_authorized(ctx, &mut tx, name, action, RequestFacts::default()).await? else {
            return Ok(false);
        };
        tx.ssm_delete(record.id).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn delete_parameter(&self, ctx: &RequestContext, input: DeleteParameterInput) -> OpResult<Empty> {
        input.check()?;
        let name = ParameterName::parse_name_or_arn(&input.name, &ctx.scope)?;
        if self.delete_one(ctx, &name, SsmOperation::DeleteParameter.action()).await? {
            Ok(Empty {})
        } else {
            Err(parameter_not_found(&input.name).into())
        }
    }

    pub async fn delete_parameters(
        &self,
        ctx: &RequestContext,
        input: DeleteParametersInput,
    ) -> OpResult<DeleteParametersOutput> {
        input.check()?;
        let names = input.names.unwrap_or_default();
        let mut parsed = Vec::with_capacity(names.len());
        for raw in &names {
            parsed.push((raw, ParameterName::parse_name_or_arn(raw, &ctx.scope)?));
        }
        let mut out = DeleteParametersOutput { deleted_parameters: Vec::new(), invalid_parameters: Vec::new() };
        for (raw, name) in parsed {
            if out.deleted_parameters.contains(raw) || out.invalid_parameters.contains(raw) {
                continue;
            }
            if self.delete_one(ctx, &name, SsmOperation::DeleteParameters.action()).await? {
                out.deleted_parameters.push(raw.clone());
            } else {
                out.invalid_parameters.push(raw.clone());
            }
        }
        Ok(out)
    }
}
