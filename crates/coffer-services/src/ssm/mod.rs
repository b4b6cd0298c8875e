//! AWS Systems Manager Parameter Store (`AmazonSSM.*`).

mod constraints;
mod delete;
pub mod errors;
mod get;
mod history;
mod list;
pub mod model;
mod put;
mod tags;

use crate::error::OpResult;
use crate::json::{decode, encode};
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts, ResourceFacts};
use base64::Engine as _;
use coffer_aws::secret::SecretString;
use coffer_store::Store;
use coffer_store::ssm::{ParameterMeta, ParameterVersion};
use model::{ParameterInlinePolicy, WireValue};

pub const DEFAULT_KEY_ID: &str = "alias/aws/ssm";
pub const MAX_VERSIONS: i64 = 100;
pub const MAX_TAGS: usize = 50;
pub const MAX_LABELS_PER_VERSION: usize = 10;

#[derive(Clone, Debug)]
pub struct Ssm {
    store: Store,
}

impl Ssm {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Runs the operation `op` on a JSON request body and returns the JSON response body.
    pub async fn call(&self, op: SsmOperation, ctx: &RequestContext, body: &[u8]) -> OpResult<Vec<u8>> {
        match op {
            SsmOperation::PutParameter => encode(&self.put_parameter(ctx, decode(body)?).await?),
            SsmOperation::GetParameter => encode(&self.get_parameter(ctx, decode(body)?).await?),
            SsmOperation::GetParameters => encode(&self.get_parameters(ctx, decode(body)?).await?),
            SsmOperation::GetParametersByPath => encode(&self.get_parameters_by_path(ctx, decode(body)?).await?),
            SsmOperation::DeleteParameter => encode(&self.delete_parameter(ctx, decode(body)?).await?),
            SsmOperation::DeleteParameters => encode(&self.delete_parameters(ctx, decode(body)?).await?),
            SsmOperation::DescribeParameters => encode(&self.describe_parameters(ctx, decode(body)?).await?),
            SsmOperation::GetParameterHistory => encode(&self.get_parameter_history(ctx, decode(body)?).await?),
            SsmOperation::LabelParameterVersion => encode(&self.label_parameter_version(ctx, decode(body)?).await?),
            SsmOperation::UnlabelParameterVersion => encode(&self.unlabel_parameter_version(ctx, decode(body)?).await?),
            SsmOperation::AddTagsToResource => encode(&self.add_tags_to_resource(ctx, decode(body)?).await?),
            SsmOperation::RemoveTagsFromResource => encode(&self.remove_tags_from_resource(ctx, decode(body)?).await?),
            SsmOperation::ListTagsForResource => encode(&self.list_tags_for_resource(ctx, decode(body)?).await?),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The value a response carries: plaintext, or for a SecureString read without
    /// decryption, the stored ciphertext in base64 (opaque to the client, as in AWS).
    fn wire_value(
        &self,
        ctx: &RequestContext,
        name: &str,
        version: &ParameterVersion,
        with_decryption: bool,
    ) -> OpResult<WireValue> {
        if version.meta.param_type == coffer_aws::ParameterType::SecureString && !with_decryption {
            let opaque = base64::engine::general_purpose::STANDARD.encode(&version.sealed.ciphertext);
            return Ok(WireValue(SecretString::from(opaque)));
        }
        let plain = self.store.ssm_open(&ctx.scope, name, version)?;
        let text = plain.to_secret_string().ok_or_else(|| crate::error::internal(crate::Service::Ssm))?;
        Ok(WireValue(text))
    }
}

/// Authorizes `action` on parameter `arn`, as `request` asks it; when the parameter exists
/// (`tags` loads its tags), they take part, so tag-conditioned policies (Copilot's execution
/// role) decide correctly.
async fn authorize_parameter(
    ctx: &RequestContext,
    tags: impl std::future::Future<Output = Result<Vec<(String, String)>, coffer_store::StoreError>>,
    action: &str,
    arn: &str,
    request: RequestFacts<'_>,
) -> OpResult<()> {
    if !ctx.needs_resource_facts() {
        return Ok(ctx.authorize_with(action, arn, &ResourceFacts::of_request(request))?);
    }
    let tags = tags.await?;
    Ok(ctx.authorize_with(action, arn, &ResourceFacts { tags: &tags, request, ..Default::default() })?)
}

impl Ssm {
    /// Locks parameter `name` in `tx` and authorizes `action` on it, as `request` asks it.
    /// `Ok(None)`: there is no such parameter (and the caller was authorized without tags).
    async fn lock_authorized(
        &self,
        ctx: &RequestContext,
        tx: &mut coffer_store::WriteTx,
        name: &coffer_aws::ssm_name::ParameterName,
        action: &str,
        request: RequestFacts<'_>,
    ) -> OpResult<Option<coffer_store::ssm::ParameterRecord>> {
        let arn = name.arn(&ctx.scope);
        let Some(record) = tx.ssm_lock(&ctx.scope, name.canonical()).await? else {
            ctx.authorize_with(action, &arn, &ResourceFacts::of_request(request))?;
            return Ok(None);
        };
        authorize_parameter(ctx, tx.ssm_tags(record.id), action, &arn, request).await?;
        Ok(Some(record))
    }
}

/// Policies as DescribeParameters and GetParameterHistory present them.
fn inline_policies(meta: &ParameterMeta) -> Vec<ParameterInlinePolicy> {
    let Some(text) = &meta.policies else { return Vec::new() };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    items
        .into_iter()
        .map(|item| ParameterInlinePolicy {
            policy_type: item.get("Type").and_then(|t| t.as_str()).unwrap_or("").to_owned(),
            policy_text: item.to_string(),
            policy_status: "Pending".to_owned(),
        })
        .collect()
}
