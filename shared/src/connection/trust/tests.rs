use super::*;
use crate::connection::request::ConnectionTestRequest;

const ROLE: &str = "arn:aws:iam::123456789012:role/s3connector-reader";
const OTHER_TENANT_ROLE: &str = "arn:aws:iam::210987654321:role/s3connector-reader";

fn endpoint() -> EndpointTrust {
    EndpointTrust {
        roles: RoleAllowList::parse("arn:aws:iam::*:role/s3connector-*").unwrap(),
        accounts: AccountScope::Listed(["123456789012".to_string()].into_iter().collect()),
        external_ids: ExternalIds {
            default: Some("deployment-default-id".to_string().into()),
            per_account: [("123456789012".to_string(), "tenant-a-id".to_string().into())]
                .into_iter()
                .collect(),
        },
        allow_function_identity: false,
        local_endpoints: false,
        partition: "aws".into(),
    }
}

fn request(body: serde_json::Value) -> ValidatedRequest {
    serde_json::from_value::<ConnectionTestRequest>(body)
        .unwrap()
        .validate()
        .unwrap()
}

fn refused(trust: &Trust, body: serde_json::Value) -> ValidationError {
    trust
        .admit(&request(body))
        .expect_err("the endpoint should refuse this request")
}

#[test]
fn endpoint_refuses_a_request_without_a_role() {
    let e = refused(
        &Trust::Endpoint(endpoint()),
        serde_json::json!({"bucket": "logs"}),
    );
    assert_eq!(e.field, "role_arn");
    assert!(
        e.rule.contains("never lends its own identity"),
        "{}",
        e.rule
    );
}

#[test]
fn function_identity_is_lent_only_when_the_deployment_opts_in() {
    let trust = Trust::Endpoint(EndpointTrust {
        allow_function_identity: true,
        ..endpoint()
    });
    assert_eq!(
        trust.admit(&request(serde_json::json!({"bucket": "logs"}))),
        Ok(())
    );
    assert_eq!(
        Trust::LocalUser.admit(&request(serde_json::json!({"bucket": "logs"}))),
        Ok(())
    );
}

#[test]
fn caller_external_id_that_differs_is_refused_without_revealing_the_configured_one() {
    let trust = Trust::Endpoint(endpoint());
    for sent in [
        "attacker-guess",
        "tenant-a-i",
        "tenant-a-idx",
        "deployment-default-id",
    ] {
        let e = refused(
            &trust,
            serde_json::json!({"bucket": "logs", "role_arn": ROLE, "external_id": sent}),
        );
        assert_eq!(e.field, "external_id", "{sent}");
        assert!(!e.rule.contains("tenant-a-id"), "{}", e.rule);
        assert!(!e.rule.contains("deployment-default-id"), "{}", e.rule);
        assert!(!e.rule.contains(sent), "{}", e.rule);
    }
    // The right one may be sent; it changes nothing.
    let ok = request(
        serde_json::json!({"bucket": "logs", "role_arn": ROLE, "external_id": "tenant-a-id"}),
    );
    assert_eq!(trust.admit(&ok), Ok(()));
}

#[test]
fn endpoint_assumes_with_the_deployments_external_id_per_account() {
    let trust = Trust::Endpoint(EndpointTrust {
        accounts: AccountScope::Any,
        ..endpoint()
    });
    let spec = |arn: &str| {
        let req = request(serde_json::json!({"bucket": "logs", "role_arn": arn}));
        trust.role_spec(req.role.as_ref().unwrap()).unwrap()
    };
    assert_eq!(spec(ROLE).external_id.as_deref(), Some("tenant-a-id"));
    assert_eq!(
        spec(OTHER_TENANT_ROLE).external_id.as_deref(),
        Some("deployment-default-id")
    );
    let s = spec(ROLE);
    assert_eq!(s.session_name, DEFAULT_SESSION_NAME);
    assert_eq!(s.duration, std::time::Duration::from_secs(900));
}

#[test]
fn session_names_carry_the_fixed_prefix_and_durations_are_capped() {
    let trust = Trust::Endpoint(endpoint());
    let req = request(serde_json::json!({
        "bucket": "logs", "role_arn": ROLE, "session_name": "alice"
    }));
    assert_eq!(trust.admit(&req), Ok(()));
    let spec = trust.role_spec(req.role.as_ref().unwrap()).unwrap();
    assert_eq!(spec.session_name, "s3connector-test-alice");
    let long = "a".repeat(64 - SESSION_NAME_PREFIX.len() + 1);
    let e = refused(
        &trust,
        serde_json::json!({"bucket": "logs", "role_arn": ROLE, "session_name": long}),
    );
    assert_eq!(e.field, "session_name");
    let e = refused(
        &trust,
        serde_json::json!({"bucket": "logs", "role_arn": ROLE, "duration_seconds": 901}),
    );
    assert_eq!(e.field, "duration_seconds");
    assert!(e.rule.contains("at most 900"), "{}", e.rule);
}

#[test]
fn role_in_an_unlisted_account_is_refused_even_when_its_name_matches() {
    let trust = Trust::Endpoint(endpoint());
    let req = request(serde_json::json!({"bucket": "logs", "role_arn": OTHER_TENANT_ROLE}));
    assert_eq!(trust.admit(&req), Ok(()));
    let refusal = trust.role_spec(req.role.as_ref().unwrap()).unwrap_err();
    assert!(
        refusal.message.contains("account 210987654321"),
        "{}",
        refusal.message
    );
    assert!(refusal.remediation.contains("S3CONNECTOR_ALLOWED_ACCOUNTS"));
}

#[test]
fn account_written_in_a_pattern_counts_as_listed() {
    let trust = Trust::Endpoint(EndpointTrust {
        roles: RoleAllowList::parse("arn:aws:iam::210987654321:role/reader").unwrap(),
        accounts: AccountScope::Listed(BTreeSet::new()),
        ..endpoint()
    });
    let req = request(serde_json::json!({
        "bucket": "logs", "role_arn": "arn:aws:iam::210987654321:role/reader"
    }));
    assert!(trust.role_spec(req.role.as_ref().unwrap()).is_ok());
    // A wildcard account in a pattern lists nothing.
    let wildcard = Trust::Endpoint(EndpointTrust {
        accounts: AccountScope::Listed(BTreeSet::new()),
        ..endpoint()
    });
    let req = request(serde_json::json!({"bucket": "logs", "role_arn": ROLE}));
    assert!(wildcard.role_spec(req.role.as_ref().unwrap()).is_err());
}

#[test]
fn role_outside_the_name_patterns_is_refused() {
    let trust = Trust::Endpoint(endpoint());
    let req = request(serde_json::json!({
        "bucket": "logs", "role_arn": "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole"
    }));
    let refusal = trust.role_spec(req.role.as_ref().unwrap()).unwrap_err();
    assert!(
        refusal.message.contains("does not match"),
        "{}",
        refusal.message
    );
}

#[test]
fn regions_outside_the_known_list_or_the_partition_are_refused() {
    let trust = Trust::Endpoint(endpoint());
    for region in ["us-gov-west-1", "cn-north-1", "us-east-9", "zz-nowhere-1"] {
        let e = refused(
            &trust,
            serde_json::json!({"bucket": "logs", "role_arn": ROLE, "region": region}),
        );
        assert_eq!(e.field, "region", "{region}");
        assert!(e.rule.contains("partition aws"), "{}", e.rule);
    }
    let ok = request(
        serde_json::json!({"bucket": "logs", "role_arn": ROLE, "region": "ap-southeast-7"}),
    );
    assert_eq!(trust.admit(&ok), Ok(()));
}

#[test]
fn loopback_queue_urls_need_an_emulator_endpoint() {
    let body = serde_json::json!({
        "bucket": "logs", "role_arn": ROLE,
        "queue_url": "http://127.0.0.1:5000/123456789012/ingest"
    });
    let e = refused(&Trust::Endpoint(endpoint()), body.clone());
    assert_eq!(e.field, "queue_url");
    let emulated = Trust::Endpoint(EndpointTrust {
        local_endpoints: true,
        ..endpoint()
    });
    assert_eq!(emulated.admit(&request(body)), Ok(()));
    let china_queue = serde_json::json!({
        "bucket": "logs", "role_arn": ROLE,
        "queue_url": "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/ingest"
    });
    assert_eq!(
        refused(&Trust::Endpoint(endpoint()), china_queue).field,
        "queue_url"
    );
}

#[test]
fn local_user_keeps_their_own_external_id_and_any_role() {
    let req = request(serde_json::json!({
        "bucket": "logs", "role_arn": OTHER_TENANT_ROLE, "external_id": "mine",
        "duration_seconds": 3600
    }));
    assert_eq!(Trust::LocalUser.admit(&req), Ok(()));
    let spec = Trust::LocalUser
        .role_spec(req.role.as_ref().unwrap())
        .unwrap();
    assert_eq!(spec.external_id.as_deref(), Some("mine"));
    assert_eq!(spec.duration, std::time::Duration::from_secs(3600));
}

#[test]
fn debug_output_hides_external_ids() {
    let text = format!("{:?}", endpoint());
    assert!(
        !text.contains("tenant-a-id") && !text.contains("deployment-default-id"),
        "{text}"
    );
}
