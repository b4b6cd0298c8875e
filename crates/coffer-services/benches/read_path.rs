//! In-process cost of the read paths a process start depends on: SSM GetParameter with
//! decryption and Secrets Manager GetSecretValue, on the embedded SQLite store.
//!
//! `cargo bench -p coffer-services --bench read_path`

use coffer_aws::Scope;
use coffer_services::RequestContext;
use coffer_services::secretsmanager::model::GetSecretValueInput;
use coffer_services::ssm::model::{GetParameterInput, PutParameterInput};
use coffer_store::{Keyring, MasterKey, Store, StoreOptions};
use criterion::{Criterion, criterion_group, criterion_main};
use std::os::unix::fs::PermissionsExt as _;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::Builder::new().permissions(std::fs::Permissions::from_mode(0o700)).tempdir().unwrap();
    let (services, ctx) = rt.block_on(async {
        let options = StoreOptions { database_url: None, data_dir: dir.path().to_owned(), ..Default::default() };
        let store = Store::open(&options, Keyring::new(MasterKey::generate().unwrap())).await.unwrap();
        let services = coffer_services::Services::new(store);
        let ctx = RequestContext::root(Scope::new("000000000000", "us-east-1"), "bench");
        let put: PutParameterInput = serde_json::from_value(serde_json::json!({
            "Name": "/copilot/demo/test/secrets/GH_WEBHOOK_SECRET",
            "Value": "secretvalue1234",
            "Type": "SecureString",
        }))
        .unwrap();
        services.ssm.put_parameter(&ctx, put).await.unwrap();
        let create = serde_json::from_value(serde_json::json!({
            "Name": "mysql",
            "SecretString": r#"{"engine": "mysql","username": "user1","password": "i29wwX!%9wFV"}"#,
        }))
        .unwrap();
        services.secrets_manager.create_secret(&ctx, create).await.unwrap();
        (services, ctx)
    });
    c.bench_function("ssm_get_parameter_with_decryption", |b| {
        b.to_async(&rt).iter(|| async {
            let input = GetParameterInput {
                name: "/copilot/demo/test/secrets/GH_WEBHOOK_SECRET".into(),
                with_decryption: true,
            };
            let out = services.ssm.get_parameter(&ctx, input).await.unwrap();
            std::hint::black_box(out);
        });
    });
    c.bench_function("secretsmanager_get_secret_value", |b| {
        b.to_async(&rt).iter(|| async {
            let input = GetSecretValueInput { secret_id: Some("mysql".into()), version_id: None, version_stage: None };
            let out = services.secrets_manager.get_secret_value(&ctx, input).await.unwrap();
            std::hint::black_box(out);
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
