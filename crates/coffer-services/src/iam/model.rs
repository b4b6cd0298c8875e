//! IAM's input and output shapes: read from Query parameters, written as IAM's XML.

use crate::error::OpResult;
use crate::query::{Params, Xml, url_encode};
use coffer_aws::Timestamp;
use coffer_aws::secret::{ExposeSecret, SecretString};
use coffer_store::iam::PrincipalKind;

pub type Tag = (String, String);

/// A `User` element. The root (GetUser without a name) has no `Path` or `UserName`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub path: Option<String>,
    pub user_name: Option<String>,
    pub user_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    /// Written only when non-empty (GetUser and CreateUser send them; ListUsers never does).
    pub tags: Vec<Tag>,
}

impl User {
    pub fn write(&self, x: &mut Xml) {
        x.leaf_opt("Path", self.path.as_deref())
            .leaf_opt("UserName", self.user_name.as_deref())
            .leaf("UserId", &self.user_id)
            .leaf("Arn", &self.arn)
            .date("CreateDate", self.create_date);
        if !self.tags.is_empty() {
            x.tags("Tags", &self.tags);
        }
    }
}

/// A `Role` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Role {
    pub path: String,
    pub role_name: String,
    pub role_id: String,
    pub arn: String,
    pub create_date: Timestamp,
    /// The trust policy as given; URL-encoded on the wire, as AWS sends it.
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: i64,
    /// Written only when non-empty (ListRoles never sends them).
    pub tags: Vec<Tag>,
}

impl Role {
    pub fn write(&self, x: &mut Xml) {
        x.leaf("Path", &self.path)
            .leaf("RoleName", &self.role_name)
            .leaf("RoleId", &self.role_id)
            .leaf("Arn", &self.arn)
            .date("CreateDate", self.create_date)
            .leaf("AssumeRolePolicyDocument", &url_encode(&self.assume_role_policy_document))
            .leaf_opt("Description", self.description.as_deref())
            .int("MaxSessionDuration", self.max_session_duration);
        if !self.tags.is_empty() {
            x.tags("Tags", &self.tags);
        }
    }
}

/// A new access key, the only place its secret is ever shown. Debug hides the secret.
#[derive(Clone, Debug)]
pub struct AccessKey {
    /// `None` for the account root's keys.
    pub user_name: Option<String>,
    pub access_key_id: String,
    pub status: String,
    pub secret_access_key: SecretString,
    pub create_date: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessKeyMetadata {
    pub user_name: Option<String>,
    pub access_key_id: String,
    pub status: String,
    pub create_date: Timestamp,
}

/// Paging parameters of the List* operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Paging {
    pub marker: Option<String>,
    pub max_items: Option<i64>,
}

impl Paging {
    fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { marker: p.optional("Marker").map(str::to_owned), max_items: p.integer("MaxItems")? })
    }
}

/// The end of a List* result: `IsTruncated`, and `Marker` when there is more.
fn write_page_end(x: &mut Xml, marker: Option<&str>) {
    x.boolean("IsTruncated", marker.is_some()).leaf_opt("Marker", marker);
}

fn owned(p: &Params, name: &str) -> OpResult<String> {
    Ok(p.required(name)?.to_owned())
}

fn opt(p: &Params, name: &str) -> Option<String> {
    p.optional(name).map(str::to_owned)
}

// ---- users ----

#[derive(Clone, Debug, Default)]
pub struct CreateUserInput {
    pub user_name: String,
    pub path: Option<String>,
    pub tags: Vec<Tag>,
}

impl CreateUserInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: owned(p, "UserName")?, path: opt(p, "Path"), tags: p.tags("Tags") })
    }
}

#[derive(Clone, Debug)]
pub struct UserOutput {
    pub user: User,
}

impl UserOutput {
    pub fn write(&self, x: &mut Xml) {
        x.node("User", |x| self.user.write(x));
    }
}

#[derive(Clone, Debug, Default)]
pub struct GetUserInput {
    /// `None`: the caller.
    pub user_name: Option<String>,
}

impl GetUserInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: opt(p, "UserName") })
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListInput {
    pub path_prefix: Option<String>,
    pub paging: Paging,
}

impl ListInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { path_prefix: opt(p, "PathPrefix"), paging: Paging::from_params(p)? })
    }
}

#[derive(Clone, Debug)]
pub struct ListUsersOutput {
    pub users: Vec<User>,
    pub marker: Option<String>,
}

impl ListUsersOutput {
    pub fn write(&self, x: &mut Xml) {
        x.members("Users", &self.users, |x, u| u.write(x));
        write_page_end(x, self.marker.as_deref());
    }
}

#[derive(Clone, Debug, Default)]
pub struct UserNameInput {
    pub user_name: String,
}

impl UserNameInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: owned(p, "UserName")? })
    }
}

// ---- access keys ----

#[derive(Clone, Debug, Default)]
pub struct CreateAccessKeyInput {
    /// `None`: the caller (a user, or the root).
    pub user_name: Option<String>,
}

impl CreateAccessKeyInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: opt(p, "UserName") })
    }
}

#[derive(Clone, Debug)]
pub struct CreateAccessKeyOutput {
    pub access_key: AccessKey,
}

impl CreateAccessKeyOutput {
    pub fn write(&self, x: &mut Xml) {
        let k = &self.access_key;
        x.node("AccessKey", |x| {
            x.leaf_opt("UserName", k.user_name.as_deref())
                .leaf("AccessKeyId", &k.access_key_id)
                .leaf("Status", &k.status)
                .leaf("SecretAccessKey", k.secret_access_key.expose_secret())
                .date("CreateDate", k.create_date);
        });
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListAccessKeysInput {
    pub user_name: Option<String>,
    pub paging: Paging,
}

impl ListAccessKeysInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: opt(p, "UserName"), paging: Paging::from_params(p)? })
    }
}

#[derive(Clone, Debug)]
pub struct ListAccessKeysOutput {
    pub user_name: Option<String>,
    pub access_key_metadata: Vec<AccessKeyMetadata>,
    pub marker: Option<String>,
}

impl ListAccessKeysOutput {
    pub fn write(&self, x: &mut Xml) {
        x.leaf_opt("UserName", self.user_name.as_deref());
        x.members("AccessKeyMetadata", &self.access_key_metadata, |x, k| {
            x.leaf_opt("UserName", k.user_name.as_deref())
                .leaf("AccessKeyId", &k.access_key_id)
                .leaf("Status", &k.status)
                .date("CreateDate", k.create_date);
        });
        write_page_end(x, self.marker.as_deref());
    }
}

#[derive(Clone, Debug, Default)]
pub struct DeleteAccessKeyInput {
    pub user_name: Option<String>,
    pub access_key_id: String,
}

impl DeleteAccessKeyInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { user_name: opt(p, "UserName"), access_key_id: owned(p, "AccessKeyId")? })
    }
}

// ---- roles ----

#[derive(Clone, Debug, Default)]
pub struct CreateRoleInput {
    pub role_name: String,
    pub path: Option<String>,
    pub assume_role_policy_document: String,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub tags: Vec<Tag>,
}

impl CreateRoleInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self {
            role_name: owned(p, "RoleName")?,
            path: opt(p, "Path"),
            assume_role_policy_document: owned(p, "AssumeRolePolicyDocument")?,
            description: opt(p, "Description"),
            max_session_duration: p.integer("MaxSessionDuration")?,
            tags: p.tags("Tags"),
        })
    }
}

#[derive(Clone, Debug)]
pub struct RoleOutput {
    pub role: Role,
}

impl RoleOutput {
    pub fn write(&self, x: &mut Xml) {
        x.node("Role", |x| self.role.write(x));
    }
}

#[derive(Clone, Debug, Default)]
pub struct RoleNameInput {
    pub role_name: String,
}

impl RoleNameInput {
    pub fn from_params(p: &Params) -> OpResult<Self> {
        Ok(Self { role_name: owned(p, "RoleName")? })
    }
}

#[derive(Clone, Debug)]
pub struct ListRolesOutput {
    pub roles: Vec<Role>,
    pub marker: Option<String>,
}

impl ListRolesOutput {
    pub fn write(&self, x: &mut Xml) {
        x.members("Roles", &self.roles, |x, r| r.write(x));
        write_page_end(x, self.marker.as_deref());
    }
}

// ---- inline policies (users and roles alike; `name` is the user or role name) ----

#[derive(Clone, Debug, Default)]
pub struct PutPolicyInput {
    pub name: String,
    pub policy_name: String,
    pub policy_document: String,
}

#[derive(Clone, Debug, Default)]
pub struct PolicyNameInput {
    pub name: String,
    pub policy_name: String,
}

#[derive(Clone, Debug, Default)]
pub struct ListPoliciesInput {
    pub name: String,
    pub paging: Paging,
}

/// `UserName` for user policies, `RoleName` for role policies.
pub fn name_param(kind: PrincipalKind) -> &'static str {
    match kind {
        PrincipalKind::User => "UserName",
        PrincipalKind::Role => "RoleName",
    }
}

impl PutPolicyInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self {
            name: owned(p, name_param(kind))?,
            policy_name: owned(p, "PolicyName")?,
            policy_document: owned(p, "PolicyDocument")?,
        })
    }
}

impl PolicyNameInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self { name: owned(p, name_param(kind))?, policy_name: owned(p, "PolicyName")? })
    }
}

impl ListPoliciesInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self { name: owned(p, name_param(kind))?, paging: Paging::from_params(p)? })
    }
}

/// GetUserPolicy / GetRolePolicy.
#[derive(Clone, Debug)]
pub struct GetPolicyOutput {
    /// `UserName` or `RoleName`.
    pub name_element: &'static str,
    pub name: String,
    pub policy_name: String,
    /// As stored; URL-encoded on the wire, as AWS sends it.
    pub policy_document: String,
}

impl GetPolicyOutput {
    pub fn write(&self, x: &mut Xml) {
        x.leaf(self.name_element, &self.name)
            .leaf("PolicyName", &self.policy_name)
            .leaf("PolicyDocument", &url_encode(&self.policy_document));
    }
}

#[derive(Clone, Debug)]
pub struct ListPoliciesOutput {
    pub policy_names: Vec<String>,
    pub marker: Option<String>,
}

impl ListPoliciesOutput {
    pub fn write(&self, x: &mut Xml) {
        x.members("PolicyNames", &self.policy_names, |x, n| {
            // A list of strings: each member is the text itself.
            x.text(n);
        });
        write_page_end(x, self.marker.as_deref());
    }
}

// ---- tags ----

#[derive(Clone, Debug, Default)]
pub struct TagInput {
    /// The user or role name.
    pub name: String,
    pub tags: Vec<Tag>,
}

impl TagInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self { name: owned(p, name_param(kind))?, tags: p.tags("Tags") })
    }
}

#[derive(Clone, Debug, Default)]
pub struct UntagInput {
    /// The user or role name.
    pub name: String,
    pub tag_keys: Vec<String>,
}

impl UntagInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self { name: owned(p, name_param(kind))?, tag_keys: p.list("TagKeys") })
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListTagsInput {
    /// The user or role name.
    pub name: String,
    pub paging: Paging,
}

impl ListTagsInput {
    pub fn from_params(p: &Params, kind: PrincipalKind) -> OpResult<Self> {
        Ok(Self { name: owned(p, name_param(kind))?, paging: Paging::from_params(p)? })
    }
}

#[derive(Clone, Debug, Default)]
pub struct ListTagsOutput {
    pub tags: Vec<Tag>,
    pub marker: Option<String>,
}

impl ListTagsOutput {
    pub fn write(&self, x: &mut Xml) {
        x.tags("Tags", &self.tags);
        write_page_end(x, self.marker.as_deref());
    }
}
