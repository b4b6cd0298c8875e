//! Property tests for the name and ARN rules: valid names parse and survive the trip through
//! their ARN; anything else is a ValidationException, never a panic.

use coffer_aws::Scope;
use coffer_aws::sm_name::SecretId;
use coffer_aws::ssm_name::ParameterName;
use proptest::prelude::*;

fn scope() -> Scope {
    Scope::new("000000000000", "us-east-1")
}

/// A path segment SSM allows that starts no reserved prefix.
fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.-]{1,12}".prop_filter("reserved prefixes", |s| {
        let lower = s.to_ascii_lowercase();
        !lower.starts_with("aws") && !lower.starts_with("ssm")
    })
}

fn hierarchical_name() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 2..6).prop_map(|segments| format!("/{}", segments.join("/")))
}

proptest! {
    #[test]
    fn hierarchical_names_round_trip_through_their_arn(name in hierarchical_name()) {
        let parsed = ParameterName::parse_for_write(&name, &scope()).unwrap();
        prop_assert_eq!(parsed.canonical(), name.as_str());
        let arn = parsed.arn(&scope());
        prop_assert_eq!(&arn, &format!("arn:aws:ssm:us-east-1:000000000000:parameter{name}"));
        let by_arn = ParameterName::parse_name_or_arn(&arn, &scope()).unwrap();
        prop_assert_eq!(by_arn.canonical(), name.as_str());
        prop_assert_eq!(by_arn.answered(&name), name.as_str());
        prop_assert_eq!(by_arn.arn(&scope()), arn);
    }

    #[test]
    fn foreign_arns_never_name_a_local_parameter(name in hierarchical_name(), account in "[0-9]{12}") {
        prop_assume!(account != "000000000000");
        let arn = format!("arn:aws:ssm:us-east-1:{account}:parameter{name}");
        let parsed = ParameterName::parse_name_or_arn(&arn, &scope()).unwrap();
        prop_assert_ne!(parsed.canonical(), name.as_str());
        prop_assert_eq!(parsed.arn(&scope()), arn);
    }

    #[test]
    fn a_character_outside_the_name_alphabet_is_a_validation_error(
        prefix in hierarchical_name(),
        bad in "[^a-zA-Z0-9_./-]",
    ) {
        let name = format!("{prefix}{bad}");
        let err = ParameterName::parse(&name, &scope()).unwrap_err();
        prop_assert_eq!(err.code.as_ref(), "ValidationException");
    }

    #[test]
    fn arbitrary_input_never_panics(input in "\\PC{0,80}") {
        let _ = ParameterName::parse(&input, &scope());
        let _ = ParameterName::parse_name_or_arn(&input, &scope());
        let _ = ParameterName::parse_with_selector(&input, &scope());
        let _ = SecretId::parse(&input);
        let _ = coffer_aws::Arn::parse(&input);
    }

    #[test]
    fn secret_arns_parse_back_to_their_parts(name in "[a-zA-Z0-9/_+=.@-]{1,40}", suffix in "[a-zA-Z0-9]{6}") {
        let arn = format!("arn:aws:secretsmanager:eu-west-1:123456789012:secret:{name}-{suffix}");
        match SecretId::parse(&arn).unwrap() {
            SecretId::Arn { partition, region, account, resource } => {
                prop_assert_eq!(partition, "aws");
                prop_assert_eq!(region, "eu-west-1");
                prop_assert_eq!(account, "123456789012");
                prop_assert_eq!(resource, format!("{name}-{suffix}"));
            }
            other => prop_assert!(false, "not an ARN: {other:?}"),
        }
        prop_assert_eq!(SecretId::parse(&name).unwrap(), SecretId::Name(name.clone()));
    }
}
