//! IAM's input shapes and their members' constraints, as the service model states them
//! (`userNameType`, `pathType`, `policyDocumentType`, …), answered as one `ValidationError`.
//!
//! The inline-policy and tag operations come in a user and a role form over one input
//! shape; [`Of`] pairs such an input with the principal kind that names and bounds its
//! `userName`/`roleName` member.

use super::MAX_TAGS;
use super::model::{
    CreateAccessKeyInput, CreateRoleInput, CreateUserInput, DeleteAccessKeyInput, GetUserInput, ListAccessKeysInput,
    ListInput, ListPoliciesInput, ListTagsInput, Paging, PolicyNameInput, PutPolicyInput, RoleNameInput, Tag, TagInput,
    UntagInput, UserNameInput,
};
use crate::constraints::{At, Constrained, Pattern, Str, Violations};
use crate::tag_text::{IAM_TAG_KEY, IAM_TAG_VALUE};
use coffer_store::iam::PrincipalKind;

fn is_name(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
}

const NAME_PATTERN: Pattern = Pattern { text: r"[\w+=,.@-]+", test: is_name };
/// `userNameType` (CreateUser).
const NEW_USER_NAME: Str = Str::len(1, 64).pattern(NAME_PATTERN);
/// `existingUserNameType` (every other operation naming a user).
const USER_NAME: Str = Str::len(1, 128).pattern(NAME_PATTERN);
/// `roleNameType`.
const ROLE_NAME: Str = Str::len(1, 64).pattern(NAME_PATTERN);
/// `policyNameType`.
const POLICY_NAME: Str = Str::len(1, 128).pattern(NAME_PATTERN);
/// `pathType`.
const PATH: Str = Str::len(1, 512).pattern(Pattern {
    text: r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)",
    test: |p| {
        p == "/"
            || (p.len() >= 3 && p.starts_with('/') && p.ends_with('/') && p.chars().all(|c| ('!'..='~').contains(&c)))
    },
});
/// `pathPrefixType`.
const PATH_PREFIX: Str = Str::len(1, 512).pattern(Pattern {
    text: r"\u002F[\u0021-\u007E]*",
    test: |p| p.starts_with('/') && p.chars().all(|c| ('!'..='~').contains(&c)),
});
/// `accessKeyIdType`.
const ACCESS_KEY_ID: Str = Str::len(16, 128)
    .pattern(Pattern { text: r"[\w]+", test: |k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') });
/// `policyDocumentType`'s length: a longer document is not repeated in the message.
const MAX_POLICY_DOCUMENT: usize = 131_072;
const POLICY_DOCUMENT: Str = Str::len(1, MAX_POLICY_DOCUMENT).pattern(Pattern {
    text: r"[\u0009\u000A\u000D\u0020-\u00FF]+",
    test: |d| d.chars().all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}')),
});

fn policy_document(at: At, v: &mut Violations, document: &str) {
    let len = document.chars().count();
    if len > MAX_POLICY_DOCUMENT {
        v.unshown_len(at, Some(len), 1, MAX_POLICY_DOCUMENT);
    } else {
        v.string(at, Some(document), POLICY_DOCUMENT);
    }
}

/// IAM's and STS's `tagListType`: at most 50 (the list is not repeated), each key and value
/// in the tag character set.
pub(crate) fn tags(at: &At, v: &mut Violations, tags: &[Tag]) {
    let at = at.member("tags");
    v.unshown_len(at.clone(), Some(tags.len()), 0, MAX_TAGS);
    for (i, (key, value)) in tags.iter().enumerate() {
        v.string(at.item(i).member("key"), Some(key), IAM_TAG_KEY);
        v.string(at.item(i).member("value"), Some(value), IAM_TAG_VALUE);
    }
}

impl Constrained for Paging {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.range(at.member("maxItems"), self.max_items, 1, 1000);
    }
}

/// An input of an operation with a user and a role form, with the kind it names.
pub struct Of<'a, T>(pub PrincipalKind, pub &'a T);

impl<T> Of<'_, T> {
    fn name(&self, at: &At, v: &mut Violations, name: &str) {
        match self.0 {
            PrincipalKind::User => v.string(at.member("userName"), Some(name), USER_NAME),
            PrincipalKind::Role => v.string(at.member("roleName"), Some(name), ROLE_NAME),
        }
    }
}

impl Constrained for Of<'_, PutPolicyInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        v.string(at.member("policyName"), Some(&self.1.policy_name), POLICY_NAME);
        policy_document(at.member("policyDocument"), v, &self.1.policy_document);
    }
}

impl Constrained for Of<'_, PolicyNameInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        v.string(at.member("policyName"), Some(&self.1.policy_name), POLICY_NAME);
    }
}

impl Constrained for Of<'_, ListPoliciesInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        self.1.paging.constrain(at, v);
    }
}

impl Constrained for Of<'_, TagInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        tags(at, v, &self.1.tags);
    }
}

impl Constrained for Of<'_, UntagInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        // An empty list is how the Query protocol sends a missing one.
        if self.1.tag_keys.is_empty() {
            v.required::<()>(at.member("tagKeys"), None);
        }
        // IAM reports each key on its own (`tagKeys.1.member`), not the list as a whole.
        let keys = at.member("tagKeys");
        v.unshown_len(keys.clone(), Some(self.1.tag_keys.len()), 0, MAX_TAGS);
        for (i, key) in self.1.tag_keys.iter().enumerate() {
            v.string(keys.item(i), Some(key), IAM_TAG_KEY);
        }
    }
}

impl Constrained for Of<'_, ListTagsInput> {
    fn constrain(&self, at: &At, v: &mut Violations) {
        self.name(at, v, &self.1.name);
        self.1.paging.constrain(at, v);
    }
}

impl Constrained for CreateUserInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), Some(&self.user_name), NEW_USER_NAME);
        v.string(at.member("path"), self.path.as_deref(), PATH);
        tags(at, v, &self.tags);
    }
}

impl Constrained for GetUserInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), self.user_name.as_deref(), USER_NAME);
    }
}

impl Constrained for UserNameInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), Some(&self.user_name), USER_NAME);
    }
}

impl Constrained for ListInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("pathPrefix"), self.path_prefix.as_deref(), PATH_PREFIX);
        self.paging.constrain(at, v);
    }
}

impl Constrained for CreateAccessKeyInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), self.user_name.as_deref(), USER_NAME);
    }
}

impl Constrained for ListAccessKeysInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), self.user_name.as_deref(), USER_NAME);
        self.paging.constrain(at, v);
    }
}

impl Constrained for DeleteAccessKeyInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("userName"), self.user_name.as_deref(), USER_NAME);
        v.string(at.member("accessKeyId"), Some(&self.access_key_id), ACCESS_KEY_ID);
    }
}

impl Constrained for CreateRoleInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("roleName"), Some(&self.role_name), ROLE_NAME);
        v.string(at.member("path"), self.path.as_deref(), PATH);
        policy_document(at.member("assumeRolePolicyDocument"), v, &self.assume_role_policy_document);
        v.string(at.member("description"), self.description.as_deref(), Str::len(0, 1000));
        v.range(at.member("maxSessionDuration"), self.max_session_duration, 3600, 43_200);
        tags(at, v, &self.tags);
    }
}

impl Constrained for RoleNameInput {
    fn constrain(&self, at: &At, v: &mut Violations) {
        v.string(at.member("roleName"), Some(&self.role_name), ROLE_NAME);
    }
}
