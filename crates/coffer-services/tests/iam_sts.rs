//! IAM and STS over the Query protocol, in process, on a temporary SQLite store: every
//! action's success and error paths, checked on the XML elements, codes and statuses AWS uses.

use coffer_aws::Scope;
use coffer_aws::secret::ExposeSecret;
use coffer_services::context::ResourceFacts;
use coffer_services::iam::Iam;
use coffer_services::operation::{IamOperation, StsOperation};
use coffer_services::query::Params;
use coffer_services::sts::Sts;
use coffer_services::{Authorizer, AwsError, Denial, Principal, RequestContext, Service};
use coffer_store::iam::{PrincipalKind, session_token_hash};
use coffer_store::{Keyring, MasterKey, Store, StoreOptions};
use sqlx::any::install_default_drivers;
use sqlx::{AnyConnection, Connection as _};
use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;
use tempfile::TempDir;

const ACCOUNT: &str = "000000000000";
const TRUST_ANYONE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole"}]}"#;

struct Env {
    store: Store,
    iam: Iam,
    sts: Sts,
    backend: &'static str,
    _dir: TempDir,
    _pg: Option<PgDb>,
}

/// A PostgreSQL database made for one test, dropped with it.
struct PgDb {
    server: String,
    name: String,
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Best effort, on a thread of its own: Drop runs inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                let mut admin = AnyConnection::connect(&server).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut admin).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// `postgres://host/db?q` with another database name.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let root = base[authority..].find('/').map_or(base, |i| &base[..authority + i]);
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

async fn open(pg_server: Option<&str>) -> Env {
    let dir = tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap();
    let (database_url, pg) = match pg_server {
        None => (None, None),
        Some(server) => {
            install_default_drivers();
            let name = format!("coffer_iam_test_{:016x}", rand::random::<u64>());
            let mut admin = AnyConnection::connect(server).await.expect("connect to COFFER_TEST_POSTGRES_URL");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
            let _ = admin.close().await;
            (Some(with_database(server, &name)), Some(PgDb { server: server.to_owned(), name }))
        }
    };
    let options = StoreOptions { database_url, data_dir: dir.path().to_owned(), ..Default::default() };
    let store = Store::open(&options, Keyring::new(MasterKey::generate().unwrap())).await.unwrap();
    let backend = store.backend().name();
    Env { iam: Iam::new(store.clone()), sts: Sts::new(store.clone()), store, backend, _dir: dir, _pg: pg }
}

/// A fresh store per backend: SQLite always, PostgreSQL when `COFFER_TEST_POSTGRES_URL` is set.
async fn envs() -> Vec<Env> {
    let mut envs = vec![open(None).await];
    match std::env::var("COFFER_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => envs.push(open(Some(url.trim())).await),
        _ => eprintln!("iam_sts [postgres]: skipped: COFFER_TEST_POSTGRES_URL not set"),
    }
    envs
}

fn root() -> RequestContext {
    RequestContext::root(Scope::new(ACCOUNT, "us-east-1"), "req-1")
}

fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (*k, *v)))
}

impl Env {
    async fn iam(&self, ctx: &RequestContext, pairs: &[(&str, &str)]) -> Result<String, AwsError> {
        let p = params(pairs);
        let op = IamOperation::from_name(p.action().unwrap()).expect("an IAM operation");
        self.iam.call(op, ctx, &p).await.map_err(|e| e.into_aws(Service::Iam))
    }

    async fn iam_ok(&self, pairs: &[(&str, &str)]) -> String {
        self.iam(&root(), pairs).await.unwrap_or_else(|e| panic!("{pairs:?}: {e:?}"))
    }

    async fn sts(&self, ctx: &RequestContext, pairs: &[(&str, &str)]) -> Result<String, AwsError> {
        let p = params(pairs);
        let op = StsOperation::from_name(p.action().unwrap()).expect("an STS operation");
        self.sts.call(op, ctx, &p).await.map_err(|e| e.into_aws(Service::Sts))
    }

    /// A context signed by user `name` (created if missing).
    async fn user_ctx(&self, name: &str) -> RequestContext {
        let _ = self.iam(&root(), &[("Action", "CreateUser"), ("UserName", name)]).await;
        let rec = self.store.iam_principal(ACCOUNT, PrincipalKind::User, name).await.unwrap().unwrap();
        root().with_principal(Principal::User { name: rec.name, id: rec.unique_id, arn: rec.arn })
    }
}

/// The text of the first `<name>` element.
fn elem(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].to_owned())
}

fn elems(xml: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(text) = elem(rest, name) {
        let open = format!("<{name}>");
        let at = rest.find(&open).unwrap() + open.len() + text.len();
        out.push(text);
        rest = &rest[at..];
    }
    out
}

#[track_caller]
fn assert_err(result: Result<String, AwsError>, code: &str, status: u16, message: &str) {
    let err = result.expect_err("expected an error");
    assert_eq!((err.code.as_ref(), err.status, err.message.as_deref()), (code, status, Some(message)), "{err:?}");
}

fn is_iso8601(s: &str) -> bool {
    s.len() == 20
        && s.chars().enumerate().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            19 => c == 'Z',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn users_create_get_list_delete() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        let xml = env
            .iam_ok(&[
                ("Action", "CreateUser"),
                ("UserName", "alice"),
                ("Tags.member.1.Key", "team"),
                ("Tags.member.1.Value", "core"),
            ])
            .await;
        assert!(xml.starts_with(
            r#"<CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateUserResult><User>"#
        ));
        assert!(
            xml.ends_with("<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></CreateUserResponse>")
        );
        assert_eq!(elem(&xml, "Path").as_deref(), Some("/"));
        assert_eq!(elem(&xml, "UserName").as_deref(), Some("alice"));
        assert_eq!(elem(&xml, "Arn").as_deref(), Some("arn:aws:iam::000000000000:user/alice"));
        let id = elem(&xml, "UserId").unwrap();
        assert!(id.starts_with("AIDA") && id.len() == 21, "{id}");
        assert!(is_iso8601(&elem(&xml, "CreateDate").unwrap()));
        assert!(xml.contains("<Tags><member><Key>team</Key><Value>core</Value></member></Tags>"), "{xml}");

        // Names are unique regardless of case, and found regardless of case.
        assert_err(
            env.iam(&root(), &[("Action", "CreateUser"), ("UserName", "ALICE")]).await,
            "EntityAlreadyExists",
            409,
            "User with name ALICE already exists.",
        );
        let got = env.iam_ok(&[("Action", "GetUser"), ("UserName", "Alice")]).await;
        assert_eq!(elem(&got, "UserName").as_deref(), Some("alice"));
        assert_eq!(elem(&got, "UserId"), Some(id.clone()));
        assert!(got.contains("<Key>team</Key>"));

        let bob = env.iam_ok(&[("Action", "CreateUser"), ("UserName", "bob"), ("Path", "/eng/ops/")]).await;
        assert_eq!(elem(&bob, "Arn").as_deref(), Some("arn:aws:iam::000000000000:user/eng/ops/bob"));
        assert_eq!(elem(&bob, "Path").as_deref(), Some("/eng/ops/"));
        env.iam_ok(&[("Action", "CreateUser"), ("UserName", "Carol")]).await;

        // Validation.
        assert_err(
            env.iam(&root(), &[("Action", "CreateUser")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null",
        );
        assert_err(
            env.iam(&root(), &[("Action", "CreateUser"), ("UserName", "bad name")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        );
        let long = "a".repeat(65);
        assert_err(
            env.iam(&root(), &[("Action", "CreateUser"), ("UserName", &long)]).await,
            "ValidationError",
            400,
            &format!(
                "1 validation error detected: Value '{long}' at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"
            ),
        );
        assert_eq!(
            env.iam(&root(), &[("Action", "CreateUser"), ("UserName", "x"), ("Path", "eng")]).await.unwrap_err().code,
            "ValidationError"
        );
        assert_err(
            env.iam(&root(), &[("Action", "GetUser"), ("UserName", "nobody")]).await,
            "NoSuchEntity",
            404,
            "The user with name nobody cannot be found.",
        );

        // Listing: sorted case-insensitively, paged, filtered by path; no tags in listings.
        let all = env.iam_ok(&[("Action", "ListUsers")]).await;
        assert_eq!(elems(&all, "UserName"), ["alice", "bob", "Carol"]);
        assert_eq!(elem(&all, "IsTruncated").as_deref(), Some("false"));
        assert!(!all.contains("<Marker>") && !all.contains("<Tags>"), "{all}");
        let first = env.iam_ok(&[("Action", "ListUsers"), ("MaxItems", "2")]).await;
        assert_eq!(elems(&first, "UserName"), ["alice", "bob"]);
        assert_eq!(elem(&first, "IsTruncated").as_deref(), Some("true"));
        let marker = elem(&first, "Marker").unwrap();
        let second = env.iam_ok(&[("Action", "ListUsers"), ("MaxItems", "2"), ("Marker", &marker)]).await;
        assert_eq!(elems(&second, "UserName"), ["Carol"]);
        assert_eq!(elem(&second, "IsTruncated").as_deref(), Some("false"));
        let eng = env.iam_ok(&[("Action", "ListUsers"), ("PathPrefix", "/eng/")]).await;
        assert_eq!(elems(&eng, "UserName"), ["bob"]);
        let none = env.iam_ok(&[("Action", "ListUsers"), ("PathPrefix", "/nothing/")]).await;
        assert!(none.contains("<ListUsersResult><Users/><IsTruncated>false</IsTruncated></ListUsersResult>"), "{none}");
        assert_err(
            env.iam(&root(), &[("Action", "ListUsers"), ("MaxItems", "0")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
        );
        assert_eq!(
            env.iam(&root(), &[("Action", "ListUsers"), ("Marker", "garbage")]).await.unwrap_err().code,
            "ValidationError"
        );

        // DeleteUser refuses while keys or policies remain.
        let key = env.iam_ok(&[("Action", "CreateAccessKey"), ("UserName", "alice")]).await;
        assert_err(
            env.iam(&root(), &[("Action", "DeleteUser"), ("UserName", "alice")]).await,
            "DeleteConflict",
            409,
            "Cannot delete entity, must delete access keys first.",
        );
        let key_id = elem(&key, "AccessKeyId").unwrap();
        env.iam_ok(&[("Action", "DeleteAccessKey"), ("UserName", "alice"), ("AccessKeyId", &key_id)]).await;
        env.iam_ok(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "alice"),
            ("PolicyName", "p"),
            ("PolicyDocument", "{}"),
        ])
        .await;
        assert_err(
            env.iam(&root(), &[("Action", "DeleteUser"), ("UserName", "alice")]).await,
            "DeleteConflict",
            409,
            "Cannot delete entity, must delete policies first.",
        );
        env.iam_ok(&[("Action", "DeleteUserPolicy"), ("UserName", "alice"), ("PolicyName", "p")]).await;
        let deleted = env.iam_ok(&[("Action", "DeleteUser"), ("UserName", "alice")]).await;
        assert_eq!(
            deleted,
            r#"<DeleteUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteUserResponse>"#
        );
        assert_err(
            env.iam(&root(), &[("Action", "DeleteUser"), ("UserName", "alice")]).await,
            "NoSuchEntity",
            404,
            "The user with name alice cannot be found.",
        );
        assert!(env.store.iam_tags(1).await.unwrap().is_empty(), "tags go with the user");
    }
}

#[tokio::test]
async fn get_user_without_a_name_is_the_caller() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        let me = env.iam(&root(), &[("Action", "GetUser")]).await.unwrap();
        assert_eq!(elem(&me, "UserId").as_deref(), Some(ACCOUNT));
        assert_eq!(elem(&me, "Arn").as_deref(), Some("arn:aws:iam::000000000000:root"));
        assert!(elem(&me, "UserName").is_none() && elem(&me, "Path").is_none(), "{me}");
        assert!(is_iso8601(&elem(&me, "CreateDate").unwrap()));

        let dave = env.user_ctx("dave").await;
        let me = env.iam(&dave, &[("Action", "GetUser")]).await.unwrap();
        assert_eq!(elem(&me, "UserName").as_deref(), Some("dave"));
        assert_eq!(elem(&me, "Arn").as_deref(), Some("arn:aws:iam::000000000000:user/dave"));

        let session = root().with_principal(Principal::AssumedRole {
            role_name: "r".into(),
            role_id: "AROAAAAAAAAAAAAAAAAAA".into(),
            role_arn: "arn:aws:iam::000000000000:role/r".into(),
            session_name: "s".into(),
        });
        assert_err(
            env.iam(&session, &[("Action", "GetUser")]).await,
            "ValidationError",
            400,
            "Must specify userName when calling with non-User credentials",
        );
        assert_err(
            env.iam(&session, &[("Action", "CreateAccessKey")]).await,
            "ValidationError",
            400,
            "Must specify userName when calling with non-User credentials",
        );
    }
}

#[tokio::test]
async fn access_keys() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        env.iam_ok(&[
            ("Action", "CreateUser"),
            ("UserName", "erin"),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "prod"),
        ])
        .await;
        env.iam_ok(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "erin"),
            ("PolicyName", "read"),
            ("PolicyDocument", r#"{"Statement":[]}"#),
        ])
        .await;
        let created = env.iam_ok(&[("Action", "CreateAccessKey"), ("UserName", "erin")]).await;
        assert!(
            created.contains("<CreateAccessKeyResult><AccessKey><UserName>erin</UserName><AccessKeyId>AKIA"),
            "{created}"
        );
        let id = elem(&created, "AccessKeyId").unwrap();
        let secret = elem(&created, "SecretAccessKey").unwrap();
        assert_eq!((id.len(), secret.len()), (20, 40));
        assert_eq!(elem(&created, "Status").as_deref(), Some("Active"));
        assert!(is_iso8601(&elem(&created, "CreateDate").unwrap()));

        // What the request verifier reads.
        let record = env.store.access_key(&id).await.unwrap().unwrap();
        assert_eq!(record.secret_access_key.expose_secret(), secret);
        assert_eq!(record.account, ACCOUNT);
        assert_eq!(record.status, "Active");
        assert!(record.expires.is_none() && record.session_token_hash.is_none() && !record.is_session());
        let p = record.principal.as_ref().unwrap();
        assert_eq!(
            (p.kind, p.name.as_str(), p.arn.as_str()),
            (PrincipalKind::User, "erin", "arn:aws:iam::000000000000:user/erin")
        );
        assert_eq!(record.policies, [("read".to_owned(), r#"{"Statement":[]}"#.to_owned())]);
        assert_eq!(record.tags, [("env".to_owned(), "prod".to_owned())]);
        assert!(!format!("{record:?}").contains(&secret), "Debug must not show the secret");
        assert_eq!(
            Principal::from_access_key(&record),
            Principal::User { name: "erin".into(), id: p.unique_id.clone(), arn: p.arn.clone() }
        );
        assert!(env.store.access_key("AKIADOESNOTEXIST0000").await.unwrap().is_none());

        let second = env.iam_ok(&[("Action", "CreateAccessKey"), ("UserName", "erin")]).await;
        assert_err(
            env.iam(&root(), &[("Action", "CreateAccessKey"), ("UserName", "erin")]).await,
            "LimitExceeded",
            409,
            "Cannot exceed quota for AccessKeysPerUser: 2",
        );
        let listed = env.iam_ok(&[("Action", "ListAccessKeys"), ("UserName", "erin")]).await;
        let mut ids = vec![id.clone(), elem(&second, "AccessKeyId").unwrap()];
        ids.sort();
        assert_eq!(elems(&listed, "AccessKeyId"), ids);
        assert!(!listed.contains("SecretAccessKey"), "{listed}");
        assert!(listed.contains("<AccessKeyMetadata><member><UserName>erin</UserName>"), "{listed}");
        let paged = env.iam_ok(&[("Action", "ListAccessKeys"), ("UserName", "erin"), ("MaxItems", "1")]).await;
        assert_eq!(elem(&paged, "IsTruncated").as_deref(), Some("true"));

        // A signing user manages its own keys without naming itself.
        let erin = root().with_principal(Principal::from_access_key(&record));
        let own = env.iam(&erin, &[("Action", "ListAccessKeys")]).await.unwrap();
        assert_eq!(elems(&own, "AccessKeyId").len(), 2);

        assert_err(
            env.iam(
                &root(),
                &[("Action", "DeleteAccessKey"), ("UserName", "erin"), ("AccessKeyId", "AKIANOTAKEY000000000")],
            )
            .await,
            "NoSuchEntity",
            404,
            "The Access Key with id AKIANOTAKEY000000000 cannot be found.",
        );
        env.iam_ok(&[("Action", "CreateUser"), ("UserName", "frank")]).await;
        assert_err(
            env.iam(&root(), &[("Action", "DeleteAccessKey"), ("UserName", "frank"), ("AccessKeyId", &id)]).await,
            "NoSuchEntity",
            404,
            &format!("The Access Key with id {id} cannot be found."),
        );
        assert_err(
            env.iam(&root(), &[("Action", "CreateAccessKey"), ("UserName", "ghost")]).await,
            "NoSuchEntity",
            404,
            "The user with name ghost cannot be found.",
        );
        assert_eq!(
            env.iam(&root(), &[("Action", "DeleteAccessKey"), ("AccessKeyId", "short")]).await.unwrap_err().code,
            "ValidationError"
        );
        env.iam_ok(&[("Action", "DeleteAccessKey"), ("UserName", "erin"), ("AccessKeyId", &id)]).await;
        assert!(env.store.access_key(&id).await.unwrap().is_none());

        // The root's own keys: no UserName anywhere.
        let root_key = env.iam_ok(&[("Action", "CreateAccessKey")]).await;
        assert!(elem(&root_key, "UserName").is_none(), "{root_key}");
        let root_id = elem(&root_key, "AccessKeyId").unwrap();
        let root_record = env.store.access_key(&root_id).await.unwrap().unwrap();
        assert!(root_record.principal.is_none() && root_record.policies.is_empty());
        assert_eq!(Principal::from_access_key(&root_record), Principal::Root);
        let root_keys = env.iam_ok(&[("Action", "ListAccessKeys")]).await;
        assert_eq!(elems(&root_keys, "AccessKeyId"), std::slice::from_ref(&root_id));
        env.iam_ok(&[("Action", "DeleteAccessKey"), ("AccessKeyId", &root_id)]).await;
    }
}

#[tokio::test]
async fn roles_create_get_list_delete() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        assert_err(
            env.iam(&root(), &[("Action", "CreateRole"), ("RoleName", "r")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null",
        );
        assert_err(
            env.iam(&root(), &[("Action", "CreateRole"), ("RoleName", "r"), ("AssumeRolePolicyDocument", "{nope")])
                .await,
            "MalformedPolicyDocument",
            400,
            "This policy contains invalid Json",
        );
        assert_err(
            env.iam(
                &root(),
                &[
                    ("Action", "CreateRole"),
                    ("RoleName", "r"),
                    ("AssumeRolePolicyDocument", TRUST_ANYONE),
                    ("MaxSessionDuration", "100"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600",
        );
        let xml = env
            .iam_ok(&[
                ("Action", "CreateRole"),
                ("RoleName", "exec"),
                ("Path", "/copilot/"),
                ("AssumeRolePolicyDocument", TRUST_ANYONE),
                ("Description", "task execution"),
                ("Tags.member.1.Key", "copilot-application"),
                ("Tags.member.1.Value", "demo"),
            ])
            .await;
        assert!(xml.starts_with(
            r#"<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role>"#
        ));
        assert_eq!(elem(&xml, "Arn").as_deref(), Some("arn:aws:iam::000000000000:role/copilot/exec"));
        let role_id = elem(&xml, "RoleId").unwrap();
        assert!(role_id.starts_with("AROA") && role_id.len() == 21, "{role_id}");
        assert_eq!(elem(&xml, "AssumeRolePolicyDocument"), Some(coffer_services::query::url_encode(TRUST_ANYONE)));
        assert!(elem(&xml, "AssumeRolePolicyDocument").unwrap().starts_with("%7B%22Version%22%3A%222012-10-17%22"));
        assert_eq!(elem(&xml, "MaxSessionDuration").as_deref(), Some("3600"));
        assert_eq!(elem(&xml, "Description").as_deref(), Some("task execution"));
        assert!(xml.contains("<Key>copilot-application</Key><Value>demo</Value>"));
        assert_err(
            env.iam(
                &root(),
                &[("Action", "CreateRole"), ("RoleName", "EXEC"), ("AssumeRolePolicyDocument", TRUST_ANYONE)],
            )
            .await,
            "EntityAlreadyExists",
            409,
            "Role with name EXEC already exists.",
        );
        env.iam_ok(&[
            ("Action", "CreateRole"),
            ("RoleName", "admin"),
            ("AssumeRolePolicyDocument", "{}"),
            ("MaxSessionDuration", "43200"),
        ])
        .await;

        let got = env.iam_ok(&[("Action", "GetRole"), ("RoleName", "exec")]).await;
        assert_eq!(elem(&got, "RoleId"), Some(role_id));
        assert!(got.contains("<Tags><member><Key>copilot-application</Key>"));
        assert_err(
            env.iam(&root(), &[("Action", "GetRole"), ("RoleName", "nope")]).await,
            "NoSuchEntity",
            404,
            "The role with name nope cannot be found.",
        );
        let list = env.iam_ok(&[("Action", "ListRoles")]).await;
        assert_eq!(elems(&list, "RoleName"), ["admin", "exec"]);
        assert_eq!(elems(&list, "MaxSessionDuration"), ["43200", "3600"]);
        let copilot = env.iam_ok(&[("Action", "ListRoles"), ("PathPrefix", "/copilot")]).await;
        assert_eq!(elems(&copilot, "RoleName"), ["exec"]);

        env.iam_ok(&[("Action", "PutRolePolicy"), ("RoleName", "exec"), ("PolicyName", "p"), ("PolicyDocument", "{}")])
            .await;
        assert_err(
            env.iam(&root(), &[("Action", "DeleteRole"), ("RoleName", "exec")]).await,
            "DeleteConflict",
            409,
            "Cannot delete entity, must delete policies first.",
        );
        env.iam_ok(&[("Action", "DeleteRolePolicy"), ("RoleName", "exec"), ("PolicyName", "p")]).await;
        env.iam_ok(&[("Action", "DeleteRole"), ("RoleName", "exec")]).await;
        assert_err(
            env.iam(&root(), &[("Action", "DeleteRole"), ("RoleName", "exec")]).await,
            "NoSuchEntity",
            404,
            "The role with name exec cannot be found.",
        );
    }
}

#[tokio::test]
async fn inline_policies() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        env.iam_ok(&[("Action", "CreateUser"), ("UserName", "gina")]).await;
        env.iam_ok(&[("Action", "CreateRole"), ("RoleName", "task"), ("AssumeRolePolicyDocument", TRUST_ANYONE)]).await;
        let doc =
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameters","Resource":"*"}]}"#;
        for (kind, name, elem_name) in [("User", "gina", "UserName"), ("Role", "task", "RoleName")] {
            let put = format!("Put{kind}Policy");
            let get = format!("Get{kind}Policy");
            let del = format!("Delete{kind}Policy");
            let list = format!("List{kind}Policies");
            assert_err(
                env.iam(
                    &root(),
                    &[("Action", &put), (elem_name, name), ("PolicyName", "p"), ("PolicyDocument", "[1,")],
                )
                .await,
                "MalformedPolicyDocument",
                400,
                "Syntax errors in policy.",
            );
            assert_err(
                env.iam(&root(), &[("Action", &put), (elem_name, name), ("PolicyName", "p")]).await,
                "ValidationError",
                400,
                "1 validation error detected: Value null at 'policyDocument' failed to satisfy constraint: Member must not be null",
            );
            let ok = env
                .iam_ok(&[("Action", &put), (elem_name, name), ("PolicyName", "secrets"), ("PolicyDocument", doc)])
                .await;
            assert!(ok.starts_with(&format!("<{put}Response ")) && !ok.contains("Result>"), "{ok}");
            env.iam_ok(&[("Action", &put), (elem_name, name), ("PolicyName", "another"), ("PolicyDocument", "{}")])
                .await;
            let got = env.iam_ok(&[("Action", &get), (elem_name, name), ("PolicyName", "secrets")]).await;
            assert_eq!(elem(&got, elem_name).as_deref(), Some(name));
            assert_eq!(elem(&got, "PolicyName").as_deref(), Some("secrets"));
            assert_eq!(elem(&got, "PolicyDocument"), Some(coffer_services::query::url_encode(doc)));
            let kind_lower = kind.to_lowercase();
            assert_err(
                env.iam(&root(), &[("Action", &get), (elem_name, name), ("PolicyName", "missing")]).await,
                "NoSuchEntity",
                404,
                &format!("The {kind_lower} policy with name missing cannot be found."),
            );
            let listed = env.iam_ok(&[("Action", &list), (elem_name, name)]).await;
            assert!(
                listed.contains("<PolicyNames><member>another</member><member>secrets</member></PolicyNames>"),
                "{listed}"
            );
            let paged = env.iam_ok(&[("Action", &list), (elem_name, name), ("MaxItems", "1")]).await;
            assert!(
                paged.contains("<member>another</member></PolicyNames><IsTruncated>true</IsTruncated><Marker>"),
                "{paged}"
            );
            let marker = elem(&paged, "Marker").unwrap();
            let rest =
                env.iam_ok(&[("Action", &list), (elem_name, name), ("MaxItems", "1"), ("Marker", &marker)]).await;
            assert!(
                rest.contains("<PolicyNames><member>secrets</member></PolicyNames><IsTruncated>false</IsTruncated>"),
                "{rest}"
            );
            env.iam_ok(&[("Action", &del), (elem_name, name), ("PolicyName", "secrets")]).await;
            assert_err(
                env.iam(&root(), &[("Action", &del), (elem_name, name), ("PolicyName", "secrets")]).await,
                "NoSuchEntity",
                404,
                &format!("The {kind_lower} policy with name secrets cannot be found."),
            );
            assert_err(
                env.iam(
                    &root(),
                    &[("Action", &put), (elem_name, "nobody"), ("PolicyName", "p"), ("PolicyDocument", "{}")],
                )
                .await,
                "NoSuchEntity",
                404,
                &format!("The {kind_lower} with name nobody cannot be found."),
            );
        }
        // The aggregate size quota counts non-whitespace characters.
        let big = format!(r#"{{"Sid":"{}"}}"#, "x".repeat(2040));
        assert_err(
            env.iam(
                &root(),
                &[("Action", "PutUserPolicy"), ("UserName", "gina"), ("PolicyName", "big"), ("PolicyDocument", &big)],
            )
            .await,
            "LimitExceeded",
            409,
            "Maximum policy size of 2048 bytes exceeded for user gina",
        );
        env.iam_ok(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "task"),
            ("PolicyName", "big"),
            ("PolicyDocument", &big),
        ])
        .await;
        let spaced = format!("{{ {} }}", " ".repeat(3000));
        env.iam_ok(&[
            ("Action", "PutUserPolicy"),
            ("UserName", "gina"),
            ("PolicyName", "spaced"),
            ("PolicyDocument", &spaced),
        ])
        .await;
    }
}

#[tokio::test]
async fn tags() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        env.iam_ok(&[
            ("Action", "CreateUser"),
            ("UserName", "hal"),
            ("Tags.member.1.Key", "Env"),
            ("Tags.member.1.Value", "dev"),
        ])
        .await;
        env.iam_ok(&[
            ("Action", "TagUser"),
            ("UserName", "hal"),
            ("Tags.member.1.Key", "env"),
            ("Tags.member.1.Value", "prod"),
            ("Tags.member.2.Key", "team"),
            ("Tags.member.2.Value", "core"),
        ])
        .await;
        let got = env.iam_ok(&[("Action", "GetUser"), ("UserName", "hal")]).await;
        assert!(
        got.contains("<Tags><member><Key>env</Key><Value>prod</Value></member><member><Key>team</Key><Value>core</Value></member></Tags>"),
        "keys compare without case: {got}"
    );
        assert_err(
            env.iam(
                &root(),
                &[("Action", "TagUser"), ("UserName", "hal"), ("Tags.member.1.Key", "a"), ("Tags.member.2.Key", "A")],
            )
            .await,
            "InvalidInput",
            400,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        );
        assert_err(
            env.iam(&root(), &[("Action", "TagUser"), ("UserName", "hal"), ("Tags.member.1.Key", "bad*key")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value 'bad*key' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        );
        assert_err(
            env.iam(&root(), &[("Action", "TagUser"), ("UserName", "nobody"), ("Tags.member.1.Key", "k")]).await,
            "NoSuchEntity",
            404,
            "The user with name nobody cannot be found.",
        );
        // At most 50 per user, counting what it has.
        let mut pairs: Vec<(String, String)> =
            vec![("Action".into(), "TagUser".into()), ("UserName".into(), "hal".into())];
        for i in 1..=49 {
            pairs.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
            pairs.push((format!("Tags.member.{i}.Value"), "v".into()));
        }
        let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_err(env.iam(&root(), &borrowed).await, "LimitExceeded", 409, "Cannot exceed quota for TagsPerUser: 50");
        assert_eq!(env.store.iam_tags(1).await.unwrap().len(), 2, "a refused TagUser changes nothing");

        env.iam_ok(&[("Action", "CreateRole"), ("RoleName", "svc"), ("AssumeRolePolicyDocument", "{}")]).await;
        env.iam_ok(&[
            ("Action", "TagRole"),
            ("RoleName", "svc"),
            ("Tags.member.1.Key", "copilot-environment"),
            ("Tags.member.1.Value", "test"),
        ])
        .await;
        let role = env.iam_ok(&[("Action", "GetRole"), ("RoleName", "svc")]).await;
        assert!(role.contains("<Key>copilot-environment</Key><Value>test</Value>"), "{role}");
        assert_err(
            env.iam(&root(), &[("Action", "TagRole"), ("RoleName", "nope"), ("Tags.member.1.Key", "k")]).await,
            "NoSuchEntity",
            404,
            "The role with name nope cannot be found.",
        );

        // ListUserTags: sorted by key, paged by MaxItems/Marker.
        let listed = env.iam_ok(&[("Action", "ListUserTags"), ("UserName", "hal"), ("MaxItems", "1")]).await;
        assert!(
            listed.contains(
                "<Tags><member><Key>env</Key><Value>prod</Value></member></Tags><IsTruncated>true</IsTruncated><Marker>"
            ),
            "{listed}"
        );
        let marker = listed.split("<Marker>").nth(1).and_then(|m| m.split("</Marker>").next()).unwrap().to_owned();
        let rest = env.iam_ok(&[("Action", "ListUserTags"), ("UserName", "hal"), ("Marker", &marker)]).await;
        assert!(
            rest.contains(
                "<Tags><member><Key>team</Key><Value>core</Value></member></Tags><IsTruncated>false</IsTruncated>"
            ),
            "{rest}"
        );
        // UntagUser: keys compare without case; a key not there is no error.
        env.iam_ok(&[
            ("Action", "UntagUser"),
            ("UserName", "hal"),
            ("TagKeys.member.1", "ENV"),
            ("TagKeys.member.2", "absent"),
        ])
        .await;
        let left = env.iam_ok(&[("Action", "ListUserTags"), ("UserName", "hal")]).await;
        assert!(left.contains("<Tags><member><Key>team</Key><Value>core</Value></member></Tags>"), "{left}");
        assert_err(
            env.iam(&root(), &[("Action", "UntagUser"), ("UserName", "hal")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
        );
        assert_err(
            env.iam(&root(), &[("Action", "UntagUser"), ("UserName", "hal"), ("TagKeys.member.1", "bad*key")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value 'bad*key' at 'tagKeys.1.member' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
        );
        assert_eq!(env.store.iam_tags(1).await.unwrap().len(), 1, "refused UntagUser calls change nothing");
        env.iam_ok(&[("Action", "UntagRole"), ("RoleName", "svc"), ("TagKeys.member.1", "copilot-environment")]).await;
        let none = env.iam_ok(&[("Action", "ListRoleTags"), ("RoleName", "svc")]).await;
        assert!(none.contains("<Tags/>") || none.contains("<Tags></Tags>"), "{none}");
        assert!(none.contains("<IsTruncated>false</IsTruncated>"), "{none}");
        assert_err(
            env.iam(&root(), &[("Action", "ListRoleTags"), ("RoleName", "nope")]).await,
            "NoSuchEntity",
            404,
            "The role with name nope cannot be found.",
        );
    }
}

#[tokio::test]
async fn denials() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);

        #[derive(Debug)]
        struct DenyAll;
        impl Authorizer for DenyAll {
            fn authorize(&self, action: &str, resource: &str, _: &ResourceFacts<'_>) -> Result<(), Denial> {
                Err(Denial::implicit("arn:aws:iam::000000000000:root", action, resource))
            }
        }
        let denied = root().with_authorizer(Arc::new(DenyAll));
        let err = env.iam(&denied, &[("Action", "CreateUser"), ("UserName", "x")]).await.unwrap_err();
        assert_eq!((err.code.as_ref(), err.status), ("AccessDenied", 403));
        assert_eq!(
            err.message.as_deref(),
            Some(
                "User: arn:aws:iam::000000000000:root is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::000000000000:user/x because no identity-based policy allows the iam:CreateUser action"
            )
        );
        assert!(env.store.iam_principal(ACCOUNT, PrincipalKind::User, "x").await.unwrap().is_none());
        // Denied before existence is revealed.
        let err = env.iam(&denied, &[("Action", "GetUser"), ("UserName", "ghost")]).await.unwrap_err();
        assert_eq!(err.code, "AccessDenied");
        // GetCallerIdentity needs no permission.
        assert!(env.sts(&denied, &[("Action", "GetCallerIdentity")]).await.is_ok());
    }
}

#[tokio::test]
async fn sts_assume_role_and_caller_identity() {
    for env in envs().await {
        eprintln!("[{}]", env.backend);
        let me = env.sts(&root(), &[("Action", "GetCallerIdentity")]).await.unwrap();
        assert_eq!(
            me,
            r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"#
        );
        let ivan = env.user_ctx("ivan").await;
        let me = env.sts(&ivan, &[("Action", "GetCallerIdentity")]).await.unwrap();
        assert_eq!(elem(&me, "Arn").as_deref(), Some("arn:aws:iam::000000000000:user/ivan"));
        assert!(elem(&me, "UserId").unwrap().starts_with("AIDA"));

        let role = env
            .iam_ok(&[
                ("Action", "CreateRole"),
                ("RoleName", "deploy"),
                ("Path", "/ci/"),
                ("AssumeRolePolicyDocument", TRUST_ANYONE),
            ])
            .await;
        let role_arn = elem(&role, "Arn").unwrap();
        let role_id = elem(&role, "RoleId").unwrap();
        env.iam_ok(&[
            ("Action", "PutRolePolicy"),
            ("RoleName", "deploy"),
            ("PolicyName", "p"),
            ("PolicyDocument", "{}"),
        ])
        .await;

        // Coffer's root may assume a role its trust policy admits (AWS refuses root; see sts/assume_role.rs).
        let as_root = env
            .sts(&root(), &[("Action", "AssumeRole"), ("RoleArn", &role_arn), ("RoleSessionName", "s1")])
            .await
            .unwrap();
        assert_eq!(
            elem(&as_root, "Arn").as_deref(),
            Some("arn:aws:sts::000000000000:assumed-role/deploy/s1"),
            "{as_root}"
        );
        let xml = env
            .sts(&ivan, &[("Action", "AssumeRole"), ("RoleArn", &role_arn), ("RoleSessionName", "build-42")])
            .await
            .unwrap();
        assert!(
            xml.starts_with(
                r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>"#
            ),
            "{xml}"
        );
        assert_eq!(elem(&xml, "AssumedRoleId"), Some(format!("{role_id}:build-42")));
        assert_eq!(elem(&xml, "Arn").as_deref(), Some("arn:aws:sts::000000000000:assumed-role/deploy/build-42"));
        let key_id = elem(&xml, "AccessKeyId").unwrap();
        let secret = elem(&xml, "SecretAccessKey").unwrap();
        let token = elem(&xml, "SessionToken").unwrap();
        assert!(key_id.starts_with("ASIA") && key_id.len() == 20, "{key_id}");
        assert_eq!(secret.len(), 40);
        assert!(token.len() >= 88, "base64 of at least 64 bytes: {token}");
        let expiration = elem(&xml, "Expiration").unwrap();
        assert!(is_iso8601(&expiration), "{expiration}");

        let record = env.store.access_key(&key_id).await.unwrap().unwrap();
        assert!(record.is_session());
        assert_eq!(record.secret_access_key.expose_secret(), secret);
        assert_eq!(record.session_token_hash.as_deref(), Some(session_token_hash(&token).as_str()));
        assert_eq!(record.session_name.as_deref(), Some("build-42"));
        let lifetime = record.expires.unwrap().millis() - record.created.millis();
        assert_eq!(lifetime, 3_600_000);
        assert_eq!(coffer_services::query::iso8601(record.expires.unwrap()), expiration);
        assert_eq!(record.principal.as_ref().unwrap().arn, role_arn);
        assert_eq!(record.policies.len(), 1);
        // Session keys are not the role's long-term keys and are never listed as such.
        let principal = Principal::from_access_key(&record);
        assert_eq!(
            principal,
            Principal::AssumedRole {
                role_name: "deploy".into(),
                role_id: role_id.clone(),
                role_arn: role_arn.clone(),
                session_name: "build-42".into()
            }
        );
        let session = root().with_principal(principal).with_access_key_id(&key_id);
        let me = env.sts(&session, &[("Action", "GetCallerIdentity")]).await.unwrap();
        assert_eq!(elem(&me, "Arn").as_deref(), Some("arn:aws:sts::000000000000:assumed-role/deploy/build-42"));
        assert_eq!(elem(&me, "UserId"), Some(format!("{role_id}:build-42")));
        assert_eq!(elem(&me, "Account").as_deref(), Some(ACCOUNT));

        // Durations.
        assert_err(
            env.sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "s"),
                    ("DurationSeconds", "900"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
        );
        assert_err(
            env.sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "s1"),
                    ("DurationSeconds", "10"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "1 validation error detected: Value '10' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
        );
        assert_err(
            env.sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "s1"),
                    ("DurationSeconds", "50000"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "1 validation error detected: Value '50000' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
        );
        assert_err(
            env.sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", &role_arn),
                    ("RoleSessionName", "s1"),
                    ("DurationSeconds", "7200"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        );
        assert_err(
            env.sts(&ivan, &[("Action", "AssumeRole"), ("RoleArn", &role_arn), ("RoleSessionName", "bad name")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        );
        assert_err(
            env.sts(&ivan, &[("Action", "AssumeRole"), ("RoleSessionName", "s1")]).await,
            "ValidationError",
            400,
            "1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
        );
        assert_eq!(
            env.sts(
                &ivan,
                &[("Action", "AssumeRole"), ("RoleArn", &role_arn), ("RoleSessionName", "s1"), ("Policy", "{}")]
            )
            .await
            .unwrap_err()
            .code,
            "MalformedPolicyDocument",
            "a session policy is checked, not ignored"
        );
        env.iam_ok(&[
            ("Action", "CreateRole"),
            ("RoleName", "long"),
            ("AssumeRolePolicyDocument", TRUST_ANYONE),
            ("MaxSessionDuration", "43200"),
        ])
        .await;
        let long_arn = "arn:aws:iam::000000000000:role/long";
        let long = env
            .sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", long_arn),
                    ("RoleSessionName", "s1"),
                    ("DurationSeconds", "43200"),
                ],
            )
            .await
            .unwrap();
        let long_key = env.store.access_key(&elem(&long, "AccessKeyId").unwrap()).await.unwrap().unwrap();
        assert_eq!(long_key.expires.unwrap().millis() - long_key.created.millis(), 43_200_000);
        // Role chaining is limited to an hour.
        assert_err(
            env.sts(
                &session,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", long_arn),
                    ("RoleSessionName", "s2"),
                    ("DurationSeconds", "7200"),
                ],
            )
            .await,
            "ValidationError",
            400,
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        );
        assert!(
            env.sts(&session, &[("Action", "AssumeRole"), ("RoleArn", long_arn), ("RoleSessionName", "s2")])
                .await
                .is_ok()
        );

        // A role that does not exist, a wrong path, and a refusing trust policy all look alike.
        for arn in [
            "arn:aws:iam::000000000000:role/ghost",
            "arn:aws:iam::000000000000:role/deploy",
            "arn:aws:iam::000000000000:user/ivan",
        ] {
            assert_err(
                env.sts(&ivan, &[("Action", "AssumeRole"), ("RoleArn", arn), ("RoleSessionName", "s1")]).await,
                "AccessDenied",
                403,
                &format!(
                    "User: arn:aws:iam::000000000000:user/ivan is not authorized to perform: sts:AssumeRole on resource: {arn}"
                ),
            );
        }
        let only_bob = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"sts:AssumeRole"}]}"#;
        env.iam_ok(&[("Action", "CreateRole"), ("RoleName", "bobs"), ("AssumeRolePolicyDocument", only_bob)]).await;
        assert_err(
            env.sts(
                &ivan,
                &[
                    ("Action", "AssumeRole"),
                    ("RoleArn", "arn:aws:iam::000000000000:role/bobs"),
                    ("RoleSessionName", "s1"),
                ],
            )
            .await,
            "AccessDenied",
            403,
            "User: arn:aws:iam::000000000000:user/ivan is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/bobs",
        );
        assert_err(
            env.sts(
                &ivan,
                &[("Action", "AssumeRole"), ("RoleArn", "not-an-arn-but-long-enough"), ("RoleSessionName", "s1")],
            )
            .await,
            "ValidationError",
            400,
            "Request ARN is invalid",
        );

        // Deleting the role takes its sessions' credentials with it.
        env.iam_ok(&[("Action", "DeleteRolePolicy"), ("RoleName", "deploy"), ("PolicyName", "p")]).await;
        env.iam_ok(&[("Action", "DeleteRole"), ("RoleName", "deploy")]).await;
        assert!(env.store.access_key(&key_id).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn sts_decides_trust_with_the_policy_engine() {
    let env = open(None).await;
    let trust = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/jo","arn:aws:iam::000000000000:user/kim"]},"Action":"sts:AssumeRole"},
        {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/kim"},"Action":"sts:AssumeRole"},
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/lee"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}"#;
    env.iam_ok(&[("Action", "CreateRole"), ("RoleName", "r"), ("AssumeRolePolicyDocument", trust)]).await;
    let arn = "arn:aws:iam::000000000000:role/r";
    let assume = [("Action", "AssumeRole"), ("RoleArn", arn), ("RoleSessionName", "s1")];
    // Named and allowed; named, allowed and explicitly denied; allowed only under a condition
    // the request does not meet; not named at all.
    let jo = env.user_ctx("jo").await;
    assert!(env.sts(&jo, &assume).await.is_ok());
    for refused in ["kim", "lee", "ann"] {
        let ctx = env.user_ctx(refused).await;
        assert_err(
            env.sts(&ctx, &assume).await,
            "AccessDenied",
            403,
            &format!(
                "User: arn:aws:iam::000000000000:user/{refused} is not authorized to perform: sts:AssumeRole on resource: {arn}"
            ),
        );
    }

    #[derive(Debug)]
    struct DenyAssume;
    impl Authorizer for DenyAssume {
        fn authorize(&self, action: &str, resource: &str, _: &ResourceFacts<'_>) -> Result<(), Denial> {
            if action == "sts:AssumeRole" { Err(Denial::implicit("someone", action, resource)) } else { Ok(()) }
        }
    }
    let denied = jo.with_authorizer(Arc::new(DenyAssume));
    assert_err(
        env.sts(&denied, &[("Action", "AssumeRole"), ("RoleArn", arn), ("RoleSessionName", "s1")]).await,
        "AccessDenied",
        403,
        "User: arn:aws:iam::000000000000:user/jo is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/r",
    );
}

#[tokio::test]
async fn access_keys_survive_master_key_rotation() {
    let dir = tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap();
    let options = StoreOptions { database_url: None, data_dir: dir.path().to_owned(), ..Default::default() };
    let old = MasterKey::generate().unwrap();
    let old_copy = MasterKey::from_bytes(old.material());
    let store = Store::open(&options, Keyring::new(old)).await.unwrap();
    let iam = Iam::new(store.clone());
    let p = params(&[("Action", "CreateAccessKey")]);
    let xml = iam.call(IamOperation::CreateAccessKey, &root(), &p).await.unwrap();
    let (id, secret) = (elem(&xml, "AccessKeyId").unwrap(), elem(&xml, "SecretAccessKey").unwrap());
    store.close().await;

    let store = Store::open(&options, Keyring::new(MasterKey::generate().unwrap()).with_key(old_copy)).await.unwrap();
    assert_eq!(store.rewrap_all().await.unwrap(), 1);
    assert_eq!(store.access_key(&id).await.unwrap().unwrap().secret_access_key.expose_secret(), secret);
    store.close().await;
}
