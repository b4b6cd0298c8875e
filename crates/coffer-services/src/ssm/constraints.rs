//! SSM's input shapes and their members' constraints, as the service model states them.

use super::model::{
    AddTagsToResourceInput, DeleteParameterInput, DeleteParametersInput, DescribeParametersInput,
    GetParameterHistoryInput, GetParameterInput, GetParametersByPathInput, GetParametersInput,
    LabelParameterVersionInput, ListTagsForResourceInput, ParameterStringFilter, ParametersFilter, PutParameterInput,
    RemoveTagsFromResourceInput, Tag, UnlabelParameterVersionInput,
};
use crate::constraints::{At, Constrained, Pattern, Str, Violations};
use crate::tag_text::{TAG_KEY, TAG_VALUE};

/// `PSParameterName`.
const NAME: Str = Str::len(1, 2048);
const FILTER_VALUE: Str = Str::len(1, 1024);
const LABEL: Str = Str::len(1, 100);
/// `ParameterKeyId`.
const KEY_ID: Str = Str::len(1, 256).pattern(Pattern {
    text: "^([a-zA-Z0-9:/_-]+)$",
    test: |k| k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-')),
});
/// `ResourceTypeForTagging` in the current model, in its order.
const RESOURCE_TYPES: &[&str] = &[
    "Document",
    "ManagedInstance",
    "MaintenanceWindow",
    "Parameter",
    "PatchBaseline",
    "OpsItem",
    "OpsMetadata",
    "Automation",
    "Association",
    "CloudConnector",
];
const FILTER_KEY: Str = Str::len(1, 132).pattern(Pattern {
    text: "tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType",
    test: |k| {
        k.strip_prefix("tag:").is_some_and(|rest| !rest.is_empty())
            || ["Name", "Type", "KeyId", "Path", "Label", "Tier", "DataType"].contains(&k)
    },
});

impl Constrained for ParameterStringFilter {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("key"), self.key.as_ref());
        v.string(at.member("key"), self.key.as_deref(), FILTER_KEY);
        v.string(at.member("option"), self.option.as_deref(), Str::len(1, 10));
        v.strings(at.member("values"), self.values.as_deref(), 1, 50, FILTER_VALUE);
    }
}

impl Constrained for ParametersFilter {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.required(at.member("key"), self.key.as_ref());
        v.required(at.member("values"), self.values.as_ref());
        v.string(at.member("key"), self.key.as_deref(), Str::one_of(&["Name", "Type", "KeyId"]));
        v.strings(at.member("values"), self.values.as_deref(), 1, 50, FILTER_VALUE);
    }
}

impl Constrained for Tag {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("key"), Some(&self.key), TAG_KEY);
        v.string(at.member("value"), Some(&self.value), TAG_VALUE);
    }
}

/// Tags as PutParameter and AddTagsToResource check them: each one (how many a parameter
/// may have is the `TooManyTagsError` quota's).
fn tags(at: &At, v: &mut Violations, tags: Option<&[Tag]>) {
    for (i, tag) in tags.unwrap_or_default().iter().enumerate() {
        tag.constrain(&at.member("tags").item(i), v);
    }
}

impl Constrained for PutParameterInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
        v.string(at.member("description"), self.description.as_deref(), Str::len(0, 1024));
        v.string(at.member("type"), self.param_type.as_deref(), Str::one_of(&["SecureString", "StringList", "String"]));
        v.string(at.member("keyId"), self.key_id.as_deref(), KEY_ID);
        v.string(
            at.member("tier"),
            self.tier.as_deref(),
            Str::one_of(&["Standard", "Advanced", "Intelligent-Tiering"]),
        );
        tags(at, v, self.tags.as_deref());
        v.string(at.member("allowedPattern"), self.allowed_pattern.as_deref(), Str::len(0, 1024));
        v.string(at.member("policies"), self.policies.as_deref(), Str::len(1, 4096));
        v.string(at.member("dataType"), self.data_type.as_deref(), Str::len(0, 128));
    }
}

impl Constrained for GetParameterInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
    }
}

impl Constrained for DeleteParameterInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
    }
}

impl Constrained for GetParametersInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.strings(at.member("names"), Some(self.names.as_deref().unwrap_or_default()), 1, 10, NAME);
    }
}

impl Constrained for DeleteParametersInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.strings(at.member("names"), Some(self.names.as_deref().unwrap_or_default()), 1, 10, NAME);
    }
}

impl Constrained for GetParametersByPathInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("path"), self.path.as_deref(), NAME);
        v.list(at.member("parameterFilters"), self.parameter_filters.as_deref(), 0, usize::MAX);
        v.range(at.member("maxResults"), self.max_results, 1, 10);
    }
}

impl Constrained for DescribeParametersInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.list(at.member("filters"), self.filters.as_deref(), 0, usize::MAX);
        v.list(at.member("parameterFilters"), self.parameter_filters.as_deref(), 0, usize::MAX);
        v.range(at.member("maxResults"), self.max_results, 1, 50);
    }
}

impl Constrained for GetParameterHistoryInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
        v.range(at.member("maxResults"), self.max_results, 1, 50);
    }
}

impl Constrained for LabelParameterVersionInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
        v.strings(at.member("labels"), Some(self.labels.as_deref().unwrap_or_default()), 1, 10, LABEL);
    }
}

impl Constrained for UnlabelParameterVersionInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("name"), Some(&self.name), NAME);
        v.strings(at.member("labels"), Some(self.labels.as_deref().unwrap_or_default()), 1, 10, LABEL);
    }
}

fn tagging(at: &At, v: &mut Violations, resource_type: &str) {
    v.string(at.member("resourceType"), Some(resource_type), Str::one_of(RESOURCE_TYPES));
}

impl Constrained for AddTagsToResourceInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        tagging(at, v, &self.resource_type);
        tags(at, v, self.tags.as_deref());
    }
}

impl Constrained for RemoveTagsFromResourceInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        tagging(at, v, &self.resource_type);
    }
}

impl Constrained for ListTagsForResourceInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        tagging(at, v, &self.resource_type);
    }
}
