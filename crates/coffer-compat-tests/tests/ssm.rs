//! SSM Parameter Store through the real aws-sdk-ssm against a real `coffer serve`.

mod common;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_sdk_ssm::types::{
    ParameterStringFilter, ParameterTier, ParameterType, ParametersFilter, ParametersFilterKey, ResourceTypeForTagging,
    Tag,
};

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

async fn put(ssm: &Client, name: &str, value: &str, ty: ParameterType) -> i64 {
    ssm.put_parameter().name(name).value(value).r#type(ty).send().await.unwrap().version
}

/// The code and message of a failed call.
fn code<E: ProvideErrorMetadata>(e: &E) -> (String, String) {
    (e.code().unwrap_or("").to_owned(), e.message().unwrap_or("").to_owned())
}

macro_rules! err {
    ($call:expr) => {{
        let e = $call.await.expect_err("expected an error");
        code(&e.into_service_error())
    }};
}

#[tokio::test]
async fn seed_parameter_secure_string_round_trip() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        let out = ssm
            .put_parameter()
            .name("GH_WEBHOOK_SECRET")
            .value("secretvalue1234")
            .r#type(ParameterType::SecureString)
            .tags(tag("copilot-application", "demo"))
            .tags(tag("copilot-environment", "test"))
            .send()
            .await
            .unwrap();
        assert_eq!(out.version, 1);
        assert_eq!(out.tier, Some(ParameterTier::Standard));

        let p = ssm.get_parameter().name("GH_WEBHOOK_SECRET").with_decryption(true).send().await.unwrap().parameter.unwrap();
        assert_eq!(p.value(), Some("secretvalue1234"));
        assert_eq!(p.r#type(), Some(&ParameterType::SecureString));
        assert_eq!(p.arn(), Some("arn:aws:ssm:us-east-1:000000000000:parameter/GH_WEBHOOK_SECRET"));
        assert_eq!(p.data_type(), Some("text"));
        assert!(p.last_modified_date().is_some());

        let hidden = ssm.get_parameter().name("GH_WEBHOOK_SECRET").send().await.unwrap().parameter.unwrap();
        let opaque = hidden.value().unwrap();
        assert_ne!(opaque, "secretvalue1234");
        assert!(!opaque.contains("secretvalue1234"));
        use base64::Engine as _;
        assert!(base64::engine::general_purpose::STANDARD.decode(opaque).is_ok(), "ciphertext is base64");

        let meta = ssm.describe_parameters().send().await.unwrap();
        let m = &meta.parameters()[0];
        assert_eq!(m.key_id(), Some("alias/aws/ssm"));
        assert_eq!(m.last_modified_user(), Some("arn:aws:iam::000000000000:root"));

        let tags = ssm.list_tags_for_resource().resource_type(ResourceTypeForTagging::Parameter).resource_id("GH_WEBHOOK_SECRET").send().await.unwrap();
        let got: Vec<_> = tags.tag_list().iter().map(|t| (t.key(), t.value())).collect();
        assert_eq!(got, vec![("copilot-application", "demo"), ("copilot-environment", "test")]);
    });
}

#[tokio::test]
async fn string_types_and_decryption_flag() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        put(&ssm, "plain", "v1", ParameterType::String).await;
        put(&ssm, "list", "a,b,c", ParameterType::StringList).await;
        for (name, value) in [("plain", "v1"), ("list", "a,b,c")] {
            let p = ssm.get_parameter().name(name).send().await.unwrap().parameter.unwrap();
            assert_eq!(p.value(), Some(value), "WithDecryption is irrelevant for {name}");
        }
        let m = ssm.describe_parameters().send().await.unwrap();
        assert!(m.parameters().iter().all(|p| p.key_id().is_none()), "no KeyId on String types");
    });
}

#[tokio::test]
async fn name_rules() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        let invalid = "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_";
        for bad in ["a/b/c", "/a//b", "/a b", "bad$name", "/a/b/"] {
            let (c, m) = err!(ssm.put_parameter().name(bad).value("v").r#type(ParameterType::String).send());
            assert_eq!((c.as_str(), m.as_str()), ("ValidationException", invalid), "name {bad:?}");
        }
        let (c, m) = err!(ssm.put_parameter().name("awsThing").value("v").r#type(ParameterType::String).send());
        assert_eq!(c, "ValidationException");
        assert_eq!(m, "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).");
        let (c, m) = err!(ssm.put_parameter().name("/aws/mine").value("v").r#type(ParameterType::String).send());
        assert_eq!((c.as_str(), m.as_str()), ("AccessDeniedException", "No access to reserved parameter name: /aws/mine."));
        let deep: String = (0..16).map(|i| format!("/l{i}")).collect();
        let (c, _) = err!(ssm.put_parameter().name(&deep).value("v").r#type(ParameterType::String).send());
        assert_eq!(c, "HierarchyLevelLimitExceededException");
        let ok15: String = (0..15).map(|i| format!("/l{i}")).collect();
        assert_eq!(put(&ssm, &ok15, "v", ParameterType::String).await, 1);

        let prefix = "arn:aws:ssm:us-east-1:000000000000:parameter/".len();
        let longest = "n".repeat(1011 - prefix);
        assert_eq!(put(&ssm, &longest, "v", ParameterType::String).await, 1);
        let (c, _) = err!(ssm.put_parameter().name(format!("{longest}n")).value("v").r#type(ParameterType::String).send());
        assert_eq!(c, "ValidationException");

        // `/p` and `p` are one parameter; responses echo the requested spelling.
        put(&ssm, "/single", "s", ParameterType::String).await;
        let p = ssm.get_parameter().name("single").send().await.unwrap().parameter.unwrap();
        assert_eq!((p.name(), p.value()), (Some("single"), Some("s")));
        let p = ssm.get_parameter().name("/single").send().await.unwrap().parameter.unwrap();
        assert_eq!(p.name(), Some("/single"));
        assert_eq!(p.arn(), Some("arn:aws:ssm:us-east-1:000000000000:parameter/single"));
        let (c, _) = err!(ssm.put_parameter().name("single").value("x").r#type(ParameterType::String).send());
        assert_eq!(c, "ParameterAlreadyExists");

        // ARNs work for reads and come back as the bare name.
        put(&ssm, "/app/db/password", "pw", ParameterType::SecureString).await;
        let by_arn = ssm
            .get_parameter()
            .name("arn:aws:ssm:us-east-1:000000000000:parameter/app/db/password")
            .with_decryption(true)
            .send()
            .await
            .unwrap()
            .parameter
            .unwrap();
        assert_eq!((by_arn.name(), by_arn.value()), (Some("/app/db/password"), Some("pw")));

        // A single-level name's ARN has no leading slash; the answer names the parameter as
        // it was created (GetParameter and GetParameters alike), InvalidParameters echoes.
        put(&ssm, "/app", "top", ParameterType::String).await;
        let arn = "arn:aws:ssm:us-east-1:000000000000:parameter/app";
        let p = ssm.get_parameter().name(arn).send().await.unwrap().parameter.unwrap();
        assert_eq!((p.name(), p.value()), (Some("/app"), Some("top")));
        let missing = "arn:aws:ssm:us-east-1:000000000000:parameter/nope";
        let out = ssm.get_parameters().names(arn).names(missing).send().await.unwrap();
        assert_eq!(out.parameters().iter().map(|p| p.name().unwrap()).collect::<Vec<_>>(), ["/app"]);
        assert_eq!(out.invalid_parameters(), [missing]);
        put(&ssm, "plain", "p", ParameterType::String).await;
        let p = ssm.get_parameter().name("arn:aws:ssm:us-east-1:000000000000:parameter/plain").send().await.unwrap();
        assert_eq!(p.parameter.unwrap().name(), Some("plain"));
    });
}

#[tokio::test]
async fn values_tiers_and_patterns() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        let (c, m) = err!(ssm.put_parameter().name("empty").value("").r#type(ParameterType::String).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1"), "{m}");

        let (c, m) = err!(ssm.put_parameter().name("notype").value("v").send());
        assert_eq!((c.as_str(), m.as_str()), ("ValidationException", "A parameter type is required when you create a parameter."));

        let (c, m) = err!(ssm.put_parameter().name("big").value("x".repeat(4097)).r#type(ParameterType::String).send());
        assert_eq!(c, "ValidationException");
        assert!(m.starts_with("Standard tier parameters support a maximum parameter value of 4096 characters."), "{m}");
        assert_eq!(put(&ssm, "fits", &"x".repeat(4096), ParameterType::String).await, 1);
        let adv = ssm.put_parameter().name("big").value("x".repeat(8000)).r#type(ParameterType::String).tier(ParameterTier::Advanced).send().await.unwrap();
        assert_eq!(adv.tier, Some(ParameterTier::Advanced));
        let (c, _) = err!(ssm.put_parameter().name("big").value("y").overwrite(true).tier(ParameterTier::Standard).send());
        assert_eq!(c, "ValidationException", "no downgrade from Advanced");
        let auto = ssm.put_parameter().name("auto").value("x".repeat(5000)).r#type(ParameterType::String).tier(ParameterTier::IntelligentTiering).send().await.unwrap();
        assert_eq!(auto.tier, Some(ParameterTier::Advanced));

        let (c, m) = err!(ssm.put_parameter().name("dt").value("v").r#type(ParameterType::String).data_type("Text").send());
        assert_eq!((c.as_str(), m.as_str()), ("ValidationException", "The following data type is not supported: Text (Data type names are all lowercase.)"));
        let (c, _) = err!(ssm.put_parameter().name("ami").value("not-an-ami").r#type(ParameterType::String).data_type("aws:ec2:image").send());
        assert_eq!(c, "ValidationException");
        ssm.put_parameter().name("ami").value("ami-0123456789abcdef0").r#type(ParameterType::String).data_type("aws:ec2:image").send().await.unwrap();
        let p = ssm.get_parameter().name("ami").send().await.unwrap().parameter.unwrap();
        assert_eq!(p.data_type(), Some("aws:ec2:image"));

        ssm.put_parameter().name("port").value("8080").r#type(ParameterType::String).allowed_pattern(r"^\d+$").description("a port").send().await.unwrap();
        let (c, m) = err!(ssm.put_parameter().name("port").value("http").overwrite(true).send());
        assert_eq!((c.as_str(), m.as_str()), ("ParameterPatternMismatchException", r"Parameter value, cannot be validated against allowedPattern: ^\d+$"));
        // Overwrite keeps unspecified metadata and bumps the version.
        let v = ssm.put_parameter().name("port").value("9090").overwrite(true).send().await.unwrap().version;
        assert_eq!(v, 2);
        let d = ssm.describe_parameters().parameter_filters(ParameterStringFilter::builder().key("Name").values("port").build().unwrap()).send().await.unwrap();
        let m = &d.parameters()[0];
        assert_eq!((m.description(), m.allowed_pattern(), m.version(), m.r#type()), (Some("a port"), Some(r"^\d+$"), 2, Some(&ParameterType::String)));

        let (c, _) = err!(ssm.put_parameter().name("port").value("1").overwrite(true).r#type(ParameterType::SecureString).send());
        assert_eq!(c, "HierarchyTypeMismatchException");
        // A refused write changed nothing.
        let p = ssm.get_parameter().name("port").send().await.unwrap().parameter.unwrap();
        assert_eq!((p.value(), p.version()), (Some("9090"), 2));

        let (c, m) = err!(ssm.put_parameter().name("port").value("1").overwrite(true).tags(tag("a", "b")).send());
        assert_eq!(c, "ValidationException");
        assert!(m.starts_with("Invalid request: tags and overwrite can't be used together."), "{m}");
        let (c, m) = err!(ssm.put_parameter().name("port").value("1").send());
        assert_eq!(c, "ParameterAlreadyExists");
        assert_eq!(m, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
    });
}

#[tokio::test]
async fn selectors_get_parameters_and_delete() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        put(&ssm, "/app/key", "v1", ParameterType::String).await;
        ssm.put_parameter().name("/app/key").value("v2").overwrite(true).send().await.unwrap();
        ssm.label_parameter_version().name("/app/key").parameter_version(1).labels("prod").send().await.unwrap();

        let p = ssm.get_parameter().name("/app/key:1").send().await.unwrap().parameter.unwrap();
        assert_eq!((p.value(), p.version(), p.selector(), p.name()), (Some("v1"), 1, Some(":1"), Some("/app/key")));
        let p = ssm.get_parameter().name("/app/key:prod").send().await.unwrap().parameter.unwrap();
        assert_eq!((p.value(), p.selector()), (Some("v1"), Some(":prod")));
        let (c, m) = err!(ssm.get_parameter().name("/app/key:7").send());
        assert_eq!((c.as_str(), m.as_str()), ("ParameterVersionNotFound", "Systems Manager could not find version 7 of /app/key. Verify the version and try again."));
        let (c, _) = err!(ssm.get_parameter().name("/app/missing").send());
        assert_eq!(c, "ParameterNotFound");

        put(&ssm, "/app/other", "o", ParameterType::String).await;
        let out = ssm
            .get_parameters()
            .names("/app/other")
            .names("/app/key")
            .names("/app/key")
            .names("/app/key:9")
            .names("/nope")
            .send()
            .await
            .unwrap();
        let names: Vec<_> = out.parameters().iter().map(|p| p.name().unwrap()).collect();
        assert_eq!(names, vec!["/app/key", "/app/other"], "sorted, duplicates once");
        let mut invalid = out.invalid_parameters().to_vec();
        invalid.sort();
        assert_eq!(invalid, vec!["/app/key:9".to_owned(), "/nope".to_owned()]);
        // One batch naming one parameter three ways: each reference answered on its own.
        let out = ssm.get_parameters().names("/app/key:prod").names("/app/key:1").names("/app/key").send().await.unwrap();
        let got: Vec<_> = out.parameters().iter().map(|p| (p.value().unwrap(), p.version(), p.selector())).collect();
        assert_eq!(got, vec![("v2", 2, None), ("v1", 1, Some(":1")), ("v1", 1, Some(":prod"))]);
        assert!(out.invalid_parameters().is_empty());

        let eleven: Vec<String> = (0..11).map(|i| format!("n{i}")).collect();
        let (c, m) = err!(ssm.get_parameters().set_names(Some(eleven.clone())).send());
        assert_eq!(c, "ValidationException");
        assert_eq!(m, "1 validation error detected: Value '[n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10");
        let (c, _) = err!(ssm.delete_parameters().set_names(Some(eleven)).send());
        assert_eq!(c, "ValidationException");

        let del = ssm.delete_parameters().names("/app/other").names("/gone").send().await.unwrap();
        assert_eq!(del.deleted_parameters(), ["/app/other".to_owned()]);
        assert_eq!(del.invalid_parameters(), ["/gone".to_owned()]);
        ssm.delete_parameter().name("/app/key").send().await.unwrap();
        let (c, _) = err!(ssm.delete_parameter().name("/app/key").send());
        assert_eq!(c, "ParameterNotFound");
        // Deleting removed versions, labels and tags: a new parameter of that name starts over.
        assert_eq!(put(&ssm, "/app/key", "fresh", ParameterType::String).await, 1);
        let (c, _) = err!(ssm.get_parameter().name("/app/key:prod").send());
        assert_eq!(c, "ParameterVersionNotFound");
    });
}

#[tokio::test]
async fn get_parameters_by_path() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        for name in ["/svc/a", "/svc/b", "/svc/nested/c", "/svc/nested/deeper/d", "/svcx/e", "/other/f"] {
            put(&ssm, name, name, ParameterType::String).await;
        }
        ssm.put_parameter().name("/svc/s").value("secret").r#type(ParameterType::SecureString).send().await.unwrap();
        let names = |out: &aws_sdk_ssm::operation::get_parameters_by_path::GetParametersByPathOutput| {
            out.parameters().iter().map(|p| p.name().unwrap().to_owned()).collect::<Vec<_>>()
        };
        let one = ssm.get_parameters_by_path().path("/svc").send().await.unwrap();
        assert_eq!(names(&one), vec!["/svc/a", "/svc/b", "/svc/s"]);
        let all = ssm.get_parameters_by_path().path("/svc/").recursive(true).with_decryption(true).send().await.unwrap();
        assert_eq!(names(&all), vec!["/svc/a", "/svc/b", "/svc/nested/c", "/svc/nested/deeper/d", "/svc/s"]);
        assert_eq!(all.parameters()[4].value(), Some("secret"));

        let only_secure = ssm
            .get_parameters_by_path()
            .path("/svc")
            .recursive(true)
            .parameter_filters(ParameterStringFilter::builder().key("Type").option("Equals").values("SecureString").build().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(names(&only_secure), vec!["/svc/s"]);
        let (c, m) = err!(ssm
            .get_parameters_by_path()
            .path("/svc")
            .parameter_filters(ParameterStringFilter::builder().key("Name").values("x").build().unwrap())
            .send());
        assert_eq!((c.as_str(), m.as_str()), ("InvalidFilterKey", "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId]."));
        let (c, m) = err!(ssm.get_parameters_by_path().path("/svc").max_results(11).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("Member must have value less than or equal to 10"), "{m}");
        let (c, m) = err!(ssm.get_parameters_by_path().path("svc").send());
        assert_eq!(c, "ValidationException");
        assert!(m.starts_with("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash"), "{m}");
        assert!(ssm.get_parameters_by_path().path("/nothing/here").send().await.unwrap().parameters().is_empty());

        // Pages of 2, stable while a parameter is inserted before the cursor.
        let first = ssm.get_parameters_by_path().path("/svc").recursive(true).max_results(2).send().await.unwrap();
        assert_eq!(names(&first), vec!["/svc/a", "/svc/b"]);
        put(&ssm, "/svc/aa", "late", ParameterType::String).await;
        let mut seen = names(&first);
        let mut token = first.next_token().map(str::to_owned);
        while let Some(t) = token {
            let page = ssm.get_parameters_by_path().path("/svc").recursive(true).max_results(2).next_token(t).send().await.unwrap();
            seen.extend(names(&page));
            token = page.next_token().map(str::to_owned);
        }
        assert_eq!(seen, vec!["/svc/a", "/svc/b", "/svc/nested/c", "/svc/nested/deeper/d", "/svc/s"]);
        let (c, _) = err!(ssm.get_parameters_by_path().path("/svc").next_token("bogus").send());
        assert_eq!(c, "InvalidNextToken");
    });
}

#[tokio::test]
async fn describe_parameters_path_filter_with_several_values() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        for name in ["root1", "/root2", "/foo/a", "/foo/b/deep", "/bar/c", "/bar/d/deep"] {
            put(&ssm, name, "v", ParameterType::String).await;
        }
        let described = |option: Option<&'static str>, values: &'static [&'static str]| {
            let ssm = ssm.clone();
            async move {
                let mut f = ParameterStringFilter::builder().key("Path");
                if let Some(o) = option {
                    f = f.option(o);
                }
                for v in values {
                    f = f.values(*v);
                }
                let out = ssm.describe_parameters().parameter_filters(f.build().unwrap()).send().await.unwrap();
                let mut names: Vec<String> = out.parameters().iter().map(|p| p.name().unwrap().to_owned()).collect();
                names.sort();
                names
            }
        };
        let e = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(described(None, &["/", "/foo"]).await, e(&["/foo/a", "/root2", "root1"]));
        assert_eq!(described(None, &["/foo", "/"]).await, e(&["/foo/a", "/root2", "root1"]), "order does not matter");
        assert_eq!(described(Some("OneLevel"), &["/foo", "/bar"]).await, e(&["/bar/c", "/foo/a"]));
        assert_eq!(
            described(Some("Recursive"), &["/foo", "/bar"]).await,
            e(&["/bar/c", "/bar/d/deep", "/foo/a", "/foo/b/deep"])
        );
    });
}

#[tokio::test]
async fn describe_parameters_filters_and_pages() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        for i in 0..7 {
            ssm.put_parameter()
                .name(format!("/team/p{i}"))
                .value("v")
                .r#type(if i % 2 == 0 { ParameterType::String } else { ParameterType::SecureString })
                .tags(tag("env", if i < 3 { "prod" } else { "dev" }))
                .send()
                .await
                .unwrap();
        }
        put(&ssm, "top", "v", ParameterType::String).await;
        let f = |k: &str, o: Option<&str>, v: &[&str]| {
            let mut b = ParameterStringFilter::builder().key(k);
            if let Some(o) = o {
                b = b.option(o);
            }
            for x in v {
                b = b.values(*x);
            }
            b.build().unwrap()
        };
        let names = |out: &aws_sdk_ssm::operation::describe_parameters::DescribeParametersOutput| {
            out.parameters().iter().map(|p| p.name().unwrap().to_owned()).collect::<Vec<_>>()
        };
        let secure = ssm.describe_parameters().parameter_filters(f("Type", None, &["SecureString"])).send().await.unwrap();
        assert_eq!(names(&secure), vec!["/team/p1", "/team/p3", "/team/p5"]);
        let prod = ssm.describe_parameters().parameter_filters(f("tag:env", None, &["prod"])).send().await.unwrap();
        assert_eq!(names(&prod), vec!["/team/p0", "/team/p1", "/team/p2"]);
        let has_tag = ssm.describe_parameters().parameter_filters(f("tag:env", None, &[])).send().await.unwrap();
        assert_eq!(has_tag.parameters().len(), 7);
        let begins = ssm.describe_parameters().parameter_filters(f("Name", Some("BeginsWith"), &["/team/p1"])).send().await.unwrap();
        assert_eq!(names(&begins), vec!["/team/p1"]);
        let contains = ssm.describe_parameters().parameter_filters(f("Name", Some("Contains"), &["op"])).send().await.unwrap();
        assert_eq!(names(&contains), vec!["top"]);
        let path = ssm.describe_parameters().parameter_filters(f("Path", Some("OneLevel"), &["/team"])).parameter_filters(f("Type", None, &["String"])).send().await.unwrap();
        assert_eq!(names(&path), vec!["/team/p0", "/team/p2", "/team/p4", "/team/p6"]);
        let legacy = ssm
            .describe_parameters()
            .filters(ParametersFilter::builder().key(ParametersFilterKey::Type).values("SecureString").build().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(legacy.parameters().len(), 3);

        let (c, m) = err!(ssm
            .describe_parameters()
            .filters(ParametersFilter::builder().key(ParametersFilterKey::Type).values("String").build().unwrap())
            .parameter_filters(f("Type", None, &["String"]))
            .send());
        assert_eq!((c.as_str(), m.as_str()), ("ValidationException", "You can use either Filters or ParameterFilters in a single request."));
        let (c, m) = err!(ssm.describe_parameters().parameter_filters(f("Label", None, &["x"])).send());
        assert_eq!((c.as_str(), m.as_str()), ("InvalidFilterKey", "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier]."));
        let (c, m) = err!(ssm.describe_parameters().parameter_filters(f("Name", None, &["a"])).parameter_filters(f("Name", None, &["b"])).send());
        assert_eq!(c, "InvalidFilterKey");
        assert_eq!(m, "The following filter is duplicated in the request: Name. A request can contain only one occurrence of a specific filter.");
        let (c, m) = err!(ssm.describe_parameters().parameter_filters(f("Type", Some("Contains"), &["String"])).send());
        assert_eq!(c, "InvalidFilterOption");
        assert!(m.starts_with("The following filter option is not valid: Contains."), "{m}");
        let (c, m) = err!(ssm.describe_parameters().parameter_filters(f("Type", None, &["Bogus"])).send());
        assert_eq!(c, "InvalidFilterOption");
        assert!(m.starts_with("The following filter value is not valid: Bogus."), "{m}");
        let (c, m) = err!(ssm.describe_parameters().parameter_filters(f("Name", None, &[])).send());
        assert_eq!((c.as_str(), m.as_str()), ("InvalidFilterValue", "The following filter values are missing : null for filter key Name."));
        let (c, _) = err!(ssm.describe_parameters().parameter_filters(f("Path", None, &["/aws/x"])).send());
        assert_eq!(c, "ValidationException");
        let (c, _) = err!(ssm.describe_parameters().max_results(51).send());
        assert_eq!(c, "ValidationException");

        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = ssm.describe_parameters().max_results(3).set_next_token(token.clone()).send().await.unwrap();
            assert!(page.parameters().len() <= 3);
            all.extend(names(&page));
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        assert_eq!(all.len(), 8);
        let mut sorted = all.clone();
        sorted.sort();
        assert_eq!(all, sorted, "pages come in name order without repeats");
    });
}

#[tokio::test]
async fn history_labels_and_version_limit() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        put(&ssm, "h", "v1", ParameterType::SecureString).await;
        for i in 2..=4 {
            ssm.put_parameter().name("h").value(format!("v{i}")).overwrite(true).description(format!("d{i}")).send().await.unwrap();
        }
        let l = ssm.label_parameter_version().name("h").parameter_version(2).labels("stable").labels("1bad").labels("awsx").send().await.unwrap();
        assert_eq!(l.parameter_version, 2);
        assert_eq!(l.invalid_labels(), ["1bad".to_owned(), "awsx".to_owned()]);
        // A label moves between versions.
        let l = ssm.label_parameter_version().name("h").labels("stable").labels("latest").send().await.unwrap();
        assert_eq!(l.parameter_version, 4);

        let h = ssm.get_parameter_history().name("h").with_decryption(true).send().await.unwrap();
        let rows: Vec<_> = h.parameters().iter().map(|p| (p.version(), p.value().unwrap().to_owned(), p.labels().to_vec())).collect();
        assert_eq!(rows, vec![
            (1, "v1".to_owned(), vec![]),
            (2, "v2".to_owned(), vec![]),
            (3, "v3".to_owned(), vec![]),
            (4, "v4".to_owned(), vec!["latest".to_owned(), "stable".to_owned()]),
        ]);
        assert_eq!(h.parameters()[3].description(), Some("d4"));
        assert_eq!(h.parameters()[0].last_modified_user(), Some("arn:aws:iam::000000000000:root"));
        let hidden = ssm.get_parameter_history().name("h").send().await.unwrap();
        for p in hidden.parameters() {
            // Base64 ciphertext may start with any letter; it must just not be the plaintext.
            assert_ne!(p.value().unwrap(), format!("v{}", p.version()), "SecureString history is encrypted without decryption");
        }
        let page = ssm.get_parameter_history().name("h").max_results(3).send().await.unwrap();
        assert_eq!(page.parameters().len(), 3);
        let rest = ssm.get_parameter_history().name("h").max_results(3).next_token(page.next_token().unwrap()).send().await.unwrap();
        assert_eq!(rest.parameters().iter().map(|p| p.version()).collect::<Vec<_>>(), vec![4]);
        assert!(rest.next_token().is_none());
        let (c, m) = err!(ssm.get_parameter_history().name("h").max_results(51).send());
        assert_eq!(c, "ValidationException");
        assert!(m.contains("less than or equal to 50"), "{m}");

        let u = ssm.unlabel_parameter_version().name("h").parameter_version(4).labels("latest").labels("never").send().await.unwrap();
        assert_eq!(u.removed_labels(), ["latest".to_owned()]);
        assert_eq!(u.invalid_labels(), ["never".to_owned()]);
        let (c, _) = err!(ssm.label_parameter_version().name("h").parameter_version(99).labels("x").send());
        assert_eq!(c, "ParameterVersionNotFound");
        let (c, _) = err!(ssm.label_parameter_version().name("nope").labels("x").send());
        assert_eq!(c, "ParameterNotFound");
        let ten: Vec<String> = (0..10).map(|i| format!("l{i}")).collect();
        ssm.label_parameter_version().name("h").parameter_version(3).set_labels(Some(ten)).send().await.unwrap();
        let (c, m) = err!(ssm.label_parameter_version().name("h").parameter_version(3).labels("eleventh").send());
        assert_eq!(c, "ParameterVersionLabelLimitExceeded");
        assert!(m.starts_with("A parameter version can have maximum 10 labels."), "{m}");

        // 100 versions: the oldest unlabelled one is dropped; a labelled oldest blocks.
        put(&ssm, "many", "1", ParameterType::String).await;
        for i in 2..=100 {
            ssm.put_parameter().name("many").value(i.to_string()).overwrite(true).send().await.unwrap();
        }
        let v = ssm.put_parameter().name("many").value("101").overwrite(true).send().await.unwrap().version;
        assert_eq!(v, 101);
        let (c, _) = err!(ssm.get_parameter().name("many:1").send());
        assert_eq!(c, "ParameterVersionNotFound");
        ssm.label_parameter_version().name("many").parameter_version(2).labels("pinned").send().await.unwrap();
        let (c, m) = err!(ssm.put_parameter().name("many").value("102").overwrite(true).send());
        assert_eq!(c, "ParameterMaxVersionLimitExceeded");
        assert!(m.contains("Version 2, the oldest version, can't be deleted because it has a label associated with it."), "{m}");
        let p = ssm.get_parameter().name("many").send().await.unwrap().parameter.unwrap();
        assert_eq!(p.version(), 101, "the refused write changed nothing");
    });
}

#[tokio::test]
async fn tags() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        put(&ssm, "/t/p", "v", ParameterType::String).await;
        let rt = ResourceTypeForTagging::Parameter;
        ssm.add_tags_to_resource().resource_type(rt.clone()).resource_id("/t/p").tags(tag("a", "1")).tags(tag("b", "2")).send().await.unwrap();
        ssm.add_tags_to_resource().resource_type(rt.clone()).resource_id("/t/p").tags(tag("a", "overwritten")).send().await.unwrap();
        ssm.remove_tags_from_resource().resource_type(rt.clone()).resource_id("/t/p").tag_keys("b").tag_keys("absent").send().await.unwrap();
        let list = ssm.list_tags_for_resource().resource_type(rt.clone()).resource_id("/t/p").send().await.unwrap();
        let got: Vec<_> = list.tag_list().iter().map(|t| (t.key(), t.value())).collect();
        assert_eq!(got, vec![("a", "overwritten")]);

        let (c, _) = err!(ssm.list_tags_for_resource().resource_type(rt.clone()).resource_id("/t/none").send());
        assert_eq!(c, "InvalidResourceId");
        let (c, _) = err!(ssm.add_tags_to_resource().resource_type(ResourceTypeForTagging::Document).resource_id("/t/p").tags(tag("a", "1")).send());
        assert_eq!(c, "InvalidResourceType");
        let fifty: Vec<Tag> = (0..49).map(|i| tag(&format!("k{i}"), "v")).collect();
        ssm.add_tags_to_resource().resource_type(rt.clone()).resource_id("/t/p").set_tags(Some(fifty)).send().await.unwrap();
        let (c, _) = err!(ssm.add_tags_to_resource().resource_type(rt.clone()).resource_id("/t/p").tags(tag("one-too-many", "v")).send());
        assert_eq!(c, "TooManyTagsError");
        let list = ssm.list_tags_for_resource().resource_type(rt).resource_id("/t/p").send().await.unwrap();
        assert_eq!(list.tag_list().len(), 50, "the refused add changed nothing");
        let (c, _) = err!(ssm.put_parameter().name("badtag").value("v").r#type(ParameterType::String).tags(tag("bad#key", "v")).send());
        assert_eq!(c, "ValidationException");

        // The current model's resource types: Association and CloudConnector are known (not
        // served here); anything else fails the enum constraint.
        for known in [ResourceTypeForTagging::Association, ResourceTypeForTagging::CloudConnector] {
            let (c, _) = err!(ssm.list_tags_for_resource().resource_type(known).resource_id("/t/p").send());
            assert_eq!(c, "InvalidResourceType");
        }
        assert_eq!(
            err!(ssm.list_tags_for_resource().resource_type(ResourceTypeForTagging::from("Bogus")).resource_id("/t/p").send()),
            (
                "ValidationException".to_owned(),
                "1 validation error detected: Value 'Bogus' at 'resourceType' failed to satisfy constraint: Member must satisfy enum value set: [Document, ManagedInstance, MaintenanceWindow, Parameter, PatchBaseline, OpsItem, OpsMetadata, Automation, Association, CloudConnector]".to_owned()
            )
        );
    });
}

/// The model's constraints, all reported at once, before any other check.
#[tokio::test]
async fn input_constraints_are_reported_together() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        let filter = |key: &str, option: Option<&str>, values: Option<Vec<String>>| {
            ParameterStringFilter::builder().key(key).set_option(option.map(str::to_owned)).set_values(values).build().unwrap()
        };
        let described = |f: ParameterStringFilter| {
            let ssm = ssm.clone();
            async move { code(&ssm.describe_parameters().parameter_filters(f).send().await.unwrap_err().into_service_error()) }
        };
        let one = |m: &str| ("ValidationException".to_owned(), format!("1 validation error detected: {m}"));

        let long_key = format!("tag:{}", "k".repeat(129));
        assert_eq!(
            described(filter(&long_key, None, Some(vec!["v".into()]))).await,
            one(&format!("Value '{long_key}' at 'parameterFilters.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 132"))
        );
        // Before the semantic check that values are missing.
        assert_eq!(
            described(filter("Name", Some("BeginsWithX"), None)).await,
            one("Value 'BeginsWithX' at 'parameterFilters.1.member.option' failed to satisfy constraint: Member must have length less than or equal to 10")
        );
        let many: Vec<String> = (0..51).map(|i| format!("v{i}")).collect();
        assert_eq!(
            described(filter("Name", None, Some(many.clone()))).await,
            one(&format!("Value '[{}]' at 'parameterFilters.1.member.values' failed to satisfy constraint: Member must have length less than or equal to 50", many.join(", ")))
        );
        let long_value = "v".repeat(1025);
        assert_eq!(
            described(filter("Name", None, Some(vec![long_value.clone()]))).await,
            one(&format!("Value '[{long_value}]' at 'parameterFilters.1.member.values' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1]"))
        );
        assert_eq!(
            described(filter("Bad", Some("BeginsWithX"), Some(vec!["v".into()]))).await,
            (
                "ValidationException".to_owned(),
                "2 validation errors detected: \
                 Value 'Bad' at 'parameterFilters.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType; \
                 Value 'BeginsWithX' at 'parameterFilters.1.member.option' failed to satisfy constraint: Member must have length less than or equal to 10"
                    .to_owned()
            )
        );

        put(&ssm, "/labelled", "v", ParameterType::String).await;
        let long_label = "l".repeat(101);
        let e = ssm.label_parameter_version().name("/labelled").labels(&long_label).send().await.unwrap_err().into_service_error();
        assert_eq!(
            code(&e),
            one(&format!("Value '[{long_label}]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 100, Member must have length greater than or equal to 1]"))
        );
        let long_name = format!("/{}", "n".repeat(2048));
        let e = ssm.get_parameters().names(&long_name).send().await.unwrap_err().into_service_error();
        assert_eq!(
            code(&e),
            one(&format!("Value '[{long_name}]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have length greater than or equal to 1]"))
        );
        let e = ssm.get_parameter_history().name("/labelled").max_results(51).send().await.unwrap_err().into_service_error();
        assert_eq!(code(&e), one("Value 51 at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50"));
    });
}

/// An overwrite cannot move a parameter to or from the aws:ec2:image data type.
#[tokio::test]
async fn data_type_aws_ec2_image_is_kept() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        let put = |name: &'static str, value: &'static str, data_type: Option<&'static str>, overwrite: bool| {
            let ssm = ssm.clone();
            async move {
                ssm.put_parameter()
                    .name(name)
                    .value(value)
                    .r#type(ParameterType::String)
                    .set_data_type(data_type.map(str::to_owned))
                    .overwrite(overwrite)
                    .send()
                    .await
            }
        };
        put("/ami", "ami-12345678", Some("aws:ec2:image"), false).await.unwrap();
        let e = put("/ami", "plain text", Some("text"), true).await.unwrap_err().into_service_error();
        assert_eq!(
            code(&e),
            (
                "ValidationException".to_owned(),
                "The data type of an existing parameter can't be changed from aws:ec2:image to text. Delete the parameter and create it again with the new data type.".to_owned()
            )
        );
        put("/txt", "hello", None, false).await.unwrap();
        let e = put("/txt", "ami-12345678", Some("aws:ec2:image"), true).await.unwrap_err().into_service_error();
        assert_eq!(code(&e).0, "ValidationException");
        assert!(code(&e).1.contains("from text to aws:ec2:image"), "{:?}", code(&e));
        // Without a DataType the overwrite keeps the parameter's own.
        assert_eq!(put("/ami", "ami-87654321", None, true).await.unwrap().version(), 2);
        let p = ssm.get_parameter().name("/ami").send().await.unwrap().parameter.unwrap();
        assert_eq!((p.value(), p.data_type()), (Some("ami-87654321"), Some("aws:ec2:image")));
        assert_eq!(ssm.get_parameter().name("/txt").send().await.unwrap().parameter.unwrap().version(), 1, "refused writes change nothing");
    });
}

#[tokio::test]
async fn region_scoping_and_partitions() {
    on_every_backend!(server => {
        let east = server.ssm().await;
        let west = server.ssm_in("us-west-2").await;
        let china = server.ssm_in("cn-north-1").await;
        put(&east, "regional", "east", ParameterType::String).await;
        let (c, _) = err!(west.get_parameter().name("regional").send());
        assert_eq!(c, "ParameterNotFound", "parameters are per region");
        put(&west, "regional", "west", ParameterType::String).await;
        assert_eq!(west.get_parameter().name("regional").send().await.unwrap().parameter.unwrap().value(), Some("west"));
        put(&china, "regional", "cn", ParameterType::String).await;
        let p = china.get_parameter().name("regional").send().await.unwrap().parameter.unwrap();
        assert_eq!(p.arn(), Some("arn:aws-cn:ssm:cn-north-1:000000000000:parameter/regional"));

        // An ARN of another account, region or partition never reads the local parameter;
        // names are taken as given, not trimmed.
        for foreign in [
            "arn:aws:ssm:us-east-1:111122223333:parameter/regional",
            "arn:aws:ssm:eu-west-1:000000000000:parameter/regional",
            "arn:aws-cn:ssm:us-east-1:000000000000:parameter/regional",
        ] {
            let e = east.get_parameter().name(foreign).send().await.unwrap_err().into_service_error();
            assert_eq!(code(&e).0, "ParameterNotFound", "{foreign}");
            let out = east.get_parameters().names(foreign).send().await.unwrap();
            assert_eq!(out.invalid_parameters(), [foreign]);
        }
        let (c, _) = err!(east.get_parameter().name(" regional ").send());
        assert_eq!(c, "ValidationException");
    });
}

#[tokio::test]
async fn concurrent_overwrites_produce_every_version_once() {
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        put(&ssm, "/race", "0", ParameterType::String).await;
        let mut tasks = Vec::new();
        for t in 0..8 {
            let ssm = ssm.clone();
            tasks.push(tokio::spawn(async move {
                let mut versions = Vec::new();
                for i in 0..10 {
                    let v = ssm.put_parameter().name("/race").value(format!("{t}-{i}")).overwrite(true).send().await.unwrap().version;
                    versions.push(v);
                }
                versions
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all, (2..=81).collect::<Vec<i64>>());
    });
}

/// Writers racing to create one parameter: with `Overwrite` every one succeeds, each with its
/// own version (the losers of the create overwrite); without it exactly one does and the others
/// find it exists — on PostgreSQL too, where the racers' transactions really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_parameter() {
    const WRITERS: i64 = 16;
    on_every_backend!(server => {
        let ssm = server.ssm().await;
        for overwrite in [true, false] {
            let name = format!("/race/overwrite-{overwrite}");
            let puts: Vec<_> = (0..WRITERS).map(|i| {
                let (ssm, name) = (ssm.clone(), name.clone());
                tokio::spawn(async move {
                    let put = ssm.put_parameter().name(&name).value(format!("v{i}")).r#type(ParameterType::SecureString);
                    put.overwrite(overwrite).send().await.map(|out| out.version).map_err(|e| code(&e.into_service_error()))
                })
            }).collect();
            let mut versions = Vec::new();
            let mut refusals = Vec::new();
            for put in puts {
                match put.await.expect("a writer panicked") {
                    Ok(version) => versions.push(version),
                    Err(refusal) => refusals.push(refusal),
                }
            }
            versions.sort_unstable();
            if overwrite {
                assert!(refusals.is_empty(), "overwrites refused: {refusals:?}");
                assert_eq!(versions, (1..=WRITERS).collect::<Vec<_>>());
            } else {
                assert_eq!(versions, [1]);
                let exists = ("ParameterAlreadyExists".to_owned(), "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.".to_owned());
                assert_eq!(refusals, vec![exists; WRITERS as usize - 1]);
            }
        }
    });
}
