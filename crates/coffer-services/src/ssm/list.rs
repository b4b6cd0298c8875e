//! GetParametersByPath and DescribeParameters: filtered, keyset-paginated scans.

use super::errors::{invalid_filter_key, invalid_filter_option, invalid_filter_value, invalid_next_token};
use super::model::{
    DescribeParametersInput, DescribeParametersOutput, GetParametersByPathInput, GetParametersByPathOutput,
    ParameterMetadata, ParameterStringFilter,
};
use super::{Ssm, inline_policies};
use crate::constraints::Constrained as _;
use crate::error::OpResult;
use crate::json::validation;
use crate::operation::SsmOperation;
use crate::{RequestContext, RequestFacts, ResourceFacts, pagination};
use coffer_aws::ssm_name::{ParameterName, validate_path};
use coffer_store::ssm::{ParameterListing, ParameterRecord, ParameterVersion};

const SCAN_BATCH: i64 = 100;

/// Which names a path covers: `prefix` is `/a/` for path `/a` (empty for `/`, which covers
/// every name), `recursive` whether grandchildren count.
struct PathScope {
    prefix: String,
    recursive: bool,
}

impl PathScope {
    fn new(validated_path: &str, recursive: bool) -> Self {
        let prefix = if validated_path == "/" { String::new() } else { validated_path.to_owned() };
        Self { prefix, recursive }
    }

    fn contains(&self, canonical: &str) -> bool {
        if self.prefix.is_empty() {
            // Under `/`: single-level names are children; `/a/b` is a grandchild.
            return self.recursive || !canonical.trim_start_matches('/').contains('/');
        }
        match canonical.strip_prefix(&self.prefix) {
            Some(rest) => !rest.is_empty() && (self.recursive || !rest.contains('/')),
            None => false,
        }
    }
}

/// The longest prefix of names that every scope's names share.
fn common_prefix(scopes: &[PathScope]) -> String {
    let mut prefixes = scopes.iter().map(|s| s.prefix.as_str());
    let Some(first) = prefixes.next() else { return String::new() };
    prefixes.fold(first.to_owned(), |common, p| {
        common.chars().zip(p.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect()
    })
}

/// One parsed `ParameterStringFilter`.
#[derive(Debug)]
struct Filter {
    key: String,
    option: String,
    values: Vec<String>,
}

fn option_matches(option: &str, actual: &str, wanted: &str) -> bool {
    match option {
        "BeginsWith" => actual.starts_with(wanted),
        "Contains" => actual.contains(wanted),
        _ => actual == wanted,
    }
}

impl Filter {
    fn matches_simple(&self, record: &ParameterRecord, version: &ParameterVersion) -> bool {
        let meta = &version.meta;
        let actual: Option<&str> = match self.key.as_str() {
            "Type" => Some(meta.param_type.as_str()),
            "KeyId" => meta.key_id.as_deref(),
            "Tier" => Some(&meta.tier),
            "DataType" => Some(&meta.data_type),
            "Name" => {
                return self.values.iter().any(|v| {
                    let bare = v.trim_start_matches('/');
                    option_matches(&self.option, &record.display_name, v)
                        || option_matches(&self.option, record.name.trim_start_matches('/'), bare)
                });
            }
            _ => return true,
        };
        actual.is_some_and(|a| self.values.iter().any(|v| option_matches(&self.option, a, v)))
    }

    fn matches_tags(&self, tags: &[(String, String)]) -> bool {
        let Some(tag_key) = self.key.strip_prefix("tag:") else { return true };
        tags.iter().any(|(k, v)| {
            k == tag_key && (self.values.is_empty() || self.values.iter().any(|w| option_matches(&self.option, v, w)))
        })
    }
}

fn parse_filters(raw: &[ParameterStringFilter], by_path: bool) -> OpResult<Vec<Filter>> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for f in raw {
        // Length and pattern were checked with the input's constraints.
        let key = f.key.clone().unwrap_or_default();
        let allowed_keys: &[&str] =
            if by_path { &["Type", "KeyId", "Label"] } else { &["Name", "Type", "KeyId", "Path", "Tier", "DataType"] };
        if !key.starts_with("tag:") && !allowed_keys.contains(&key.as_str()) || by_path && key.starts_with("tag:") {
            let valid = if by_path { "[Type, KeyId]" } else { "[Path, Name, Type, KeyId, Tier]" };
            return Err(invalid_filter_key(format!(
                "The following filter key is not valid: {key}. Valid filter keys include: {valid}."
            ))
            .into());
        }
        if seen.contains(&key) {
            return Err(invalid_filter_key(format!(
                "The following filter is duplicated in the request: {key}. A request can contain only one occurrence of a specific filter."
            )).into());
        }
        seen.push(key.clone());
        let values = f.values.clone().unwrap_or_default();
        if values.is_empty() && !key.starts_with("tag:") {
            return Err(invalid_filter_value(format!(
                "The following filter values are missing : null for filter key {key}."
            ))
            .into());
        }
        let (default_option, options): (&str, &[&str]) = match key.as_str() {
            "Name" => ("Equals", &["Equals", "BeginsWith", "Contains"]),
            "Path" => ("OneLevel", &["Recursive", "OneLevel"]),
            "Label" => ("Equals", &["Equals"]),
            _ => ("Equals", &["Equals", "BeginsWith"]),
        };
        let option = f.option.clone().unwrap_or_else(|| default_option.to_owned());
        if !options.contains(&option.as_str()) {
            return Err(invalid_filter_option(format!(
                "The following filter option is not valid: {option}. Valid options include: [{}].",
                options.join(", ")
            ))
            .into());
        }
        let enum_values: Option<&[&str]> = match key.as_str() {
            "Type" => Some(&["String", "StringList", "SecureString"]),
            "Tier" => Some(&["Standard", "Advanced", "Intelligent-Tiering"]),
            _ => None,
        };
        if let Some(valid) = enum_values
            && let Some(bad) = values.iter().find(|v| !valid.contains(&v.as_str()))
        {
            return Err(invalid_filter_option(format!(
                "The following filter value is not valid: {bad}. Valid values include: [{}].",
                valid.join(", ")
            ))
            .into());
        }
        if key == "Path" {
            for v in &values {
                let bare = v.trim_start_matches('/').to_ascii_lowercase();
                if bare.starts_with("aws") || bare.starts_with("ssm") {
                    return Err(validation(
                        "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). When using global parameters, please specify within a global namespace.",
                    ).into());
                }
                validate_path(v)?;
            }
        }
        out.push(Filter { key, option, values });
    }
    Ok(out)
}

/// Legacy `Filters` (`Name`, `Type`, `KeyId`; checked with the input's constraints) as
/// ParameterFilters.
fn legacy_filters(raw: &[super::model::ParametersFilter]) -> Vec<Filter> {
    raw.iter()
        .map(|f| {
            let key = f.key.clone().unwrap_or_default();
            let option = if key == "Name" { "BeginsWith" } else { "Equals" };
            Filter { key, option: option.to_owned(), values: f.values.clone().unwrap_or_default() }
        })
        .collect()
}

impl Ssm {
    /// Scans parameters in name order after `after`, keeping those `keep` accepts, until `max`
    /// are kept. Returns them and the token for the next page, if anything follows.
    async fn scan<T, F, Fut>(
        &self,
        ctx: &RequestContext,
        op: SsmOperation,
        prefix: &str,
        after: Option<String>,
        max: i64,
        mut keep: F,
    ) -> OpResult<(Vec<T>, Option<String>)>
    where
        F: FnMut(ParameterRecord, ParameterVersion) -> Fut,
        Fut: std::future::Future<Output = OpResult<Option<T>>>,
    {
        let mut out = Vec::new();
        let mut cursor = after;
        loop {
            let listing = ParameterListing { prefix: Some(prefix), after: cursor.as_deref(), limit: SCAN_BATCH };
            let batch = self.store.ssm_list(&ctx.scope, &listing).await?;
            let exhausted = batch.len() < usize::try_from(SCAN_BATCH).unwrap_or(usize::MAX);
            for (record, version) in batch {
                let name = record.name.clone();
                cursor = Some(name.clone());
                if let Some(item) = keep(record, version).await? {
                    out.push(item);
                    if out.len() == usize::try_from(max).unwrap_or(usize::MAX) {
                        let peek = ParameterListing { prefix: Some(prefix), after: Some(&name), limit: 1 };
                        let more = !self.store.ssm_list(&ctx.scope, &peek).await?.is_empty();
                        return Ok((out, more.then(|| pagination::encode(op, &name))));
                    }
                }
            }
            if exhausted {
                return Ok((out, None));
            }
        }
    }

    pub async fn get_parameters_by_path(
        &self,
        ctx: &RequestContext,
        input: GetParametersByPathInput,
    ) -> OpResult<GetParametersByPathOutput> {
        input.check()?;
        let raw_path = input.path.clone().ok_or_else(|| {
            validation("1 validation error detected: Value null at 'path' failed to satisfy constraint: Member must not be null")
        })?;
        let path = validate_path(&raw_path)?;
        let resource = ctx.scope.arn("ssm", &format!("parameter/{}", path.trim_matches('/')));
        let recursive = [("ssm:Recursive", if input.recursive { "true" } else { "false" })];
        let request = ResourceFacts::of_request(RequestFacts::keys(&recursive));
        ctx.authorize_with(SsmOperation::GetParametersByPath.action(), &resource, &request)?;
        let max = input.max_results.unwrap_or(10);
        let filters = parse_filters(input.parameter_filters.as_deref().unwrap_or_default(), true)?;
        let after = match &input.next_token {
            Some(t) => Some(pagination::decode(SsmOperation::GetParametersByPath, t).ok_or_else(invalid_next_token)?),
            None => None,
        };
        let scope = PathScope::new(&path, input.recursive);
        let label_filter = filters.iter().find(|f| f.key == "Label");
        let with_decryption = input.with_decryption;
        let (parameters, next_token) = self
            .scan(ctx, SsmOperation::GetParametersByPath, &scope.prefix, after, max, |record, latest| {
                let scope = &scope;
                let filters = &filters;
                async move {
                    if !scope.contains(&record.name) {
                        return Ok(None);
                    }
                    let mut version = latest;
                    let mut selector = None;
                    if let Some(label_filter) = label_filter {
                        let mut found = None;
                        for label in &label_filter.values {
                            if let Some(n) = self.store.ssm_label_version(record.id, label).await? {
                                found = Some((n, label.clone()));
                                break;
                            }
                        }
                        let Some((n, label)) = found else { return Ok(None) };
                        let Some(v) = self.store.ssm_version(record.id, n).await? else {
                            return Ok(None);
                        };
                        version = v;
                        selector = Some(coffer_aws::ssm_name::Selector::Label(label));
                    }
                    if !filters.iter().all(|f| f.matches_simple(&record, &version)) {
                        return Ok(None);
                    }
                    let name = ParameterName::parse(&record.display_name, &ctx.scope)?;
                    let resolved = super::get::Resolved { name, record, version, selector };
                    Ok(Some(self.parameter(ctx, &resolved, with_decryption)?))
                }
            })
            .await?;
        Ok(GetParametersByPathOutput { parameters, next_token })
    }

    pub async fn describe_parameters(
        &self,
        ctx: &RequestContext,
        input: DescribeParametersInput,
    ) -> OpResult<DescribeParametersOutput> {
        input.check()?;
        ctx.authorize(SsmOperation::DescribeParameters.action(), "*")?;
        if input.filters.is_some() && input.parameter_filters.is_some() {
            return Err(validation("You can use either Filters or ParameterFilters in a single request.").into());
        }
        let max = input.max_results.unwrap_or(50);
        let filters = match (&input.filters, &input.parameter_filters) {
            (Some(legacy), None) => legacy_filters(legacy),
            (None, Some(f)) => parse_filters(f, false)?,
            _ => Vec::new(),
        };
        let after = match &input.next_token {
            Some(t) => Some(pagination::decode(SsmOperation::DescribeParameters, t).ok_or_else(invalid_next_token)?),
            None => None,
        };
        // A parameter under any of the paths matches; the scan covers what they share.
        let path_scopes: Option<Vec<PathScope>> = filters.iter().find(|f| f.key == "Path").map(|f| {
            f.values
                .iter()
                .map(|v| PathScope::new(&validate_path(v).unwrap_or_else(|_| "/".to_owned()), f.option == "Recursive"))
                .collect()
        });
        let prefix = path_scopes.as_deref().map(common_prefix).unwrap_or_default();
        let needs_tags = filters.iter().any(|f| f.key.starts_with("tag:"));
        let (parameters, next_token) = self
            .scan(ctx, SsmOperation::DescribeParameters, &prefix, after, max, |record, version| {
                let filters = &filters;
                let path_scopes = &path_scopes;
                async move {
                    if path_scopes.as_ref().is_some_and(|scopes| !scopes.iter().any(|p| p.contains(&record.name))) {
                        return Ok(None);
                    }
                    if !filters.iter().all(|f| f.matches_simple(&record, &version)) {
                        return Ok(None);
                    }
                    if needs_tags {
                        let tags = self.store.ssm_tags(record.id).await?;
                        if !filters.iter().all(|f| f.matches_tags(&tags)) {
                            return Ok(None);
                        }
                    }
                    let arn = ctx.scope.arn("ssm", &format!("parameter/{}", record.name.trim_start_matches('/')));
                    Ok(Some(ParameterMetadata {
                        name: record.display_name,
                        arn,
                        param_type: version.meta.param_type,
                        key_id: version.meta.key_id.clone(),
                        last_modified_date: version.modified,
                        last_modified_user: version.modified_by.clone(),
                        description: version.meta.description.clone(),
                        allowed_pattern: version.meta.allowed_pattern.clone(),
                        version: version.version,
                        tier: version.meta.tier.clone(),
                        policies: inline_policies(&version.meta),
                        data_type: version.meta.data_type.clone(),
                    }))
                }
            })
            .await?;
        Ok(DescribeParametersOutput { parameters, next_token })
    }
}
