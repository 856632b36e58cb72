"""Each function's role grants exactly the IAM actions its code needs (derived from the SDK
calls in the source it reaches, mapped by infra/permissions.toml), on named resources."""

import json

import pytest

import infra

# Actions IAM defines no resource type for: granted on "*".
ACCOUNT_LEVEL = {"s3:ListAllMyBuckets", "s3:GetAccountPublicAccessBlock", "cloudwatch:GetMetricStatistics"}

ROLE_OF = {"ingest": "IngestRole", "scan": "ScanRole", "test-connection": "TestConnectionRole"}


@pytest.fixture(scope="module")
def template():
    return infra.load_template()


@pytest.mark.parametrize("function", infra.FUNCTIONS)
def test_sam_role_grants_exactly_what_the_code_calls(template, function):
    needed = infra.required_actions(function)
    role = infra.function_role(template, function)
    assert role == ROLE_OF[function]
    granted = infra.role_actions(template, role)
    missing = {a: sorted(why) for a, why in needed.items() if a not in granted}
    unused = granted - set(needed)
    assert not missing, f"{role} lacks actions the code calls: {json.dumps(missing, indent=1)}"
    assert not unused, f"{role} grants actions no code of {function} calls: {sorted(unused)}"


@pytest.mark.parametrize("function", infra.FUNCTIONS)
def test_terraform_role_grants_exactly_what_the_code_calls(function):
    import terraform_model

    granted = terraform_model.role_actions(function)
    needed = set(infra.required_actions(function))
    assert granted == needed, f"missing {sorted(needed - granted)}, unused {sorted(granted - needed)}"


def test_unknown_sdk_call_fails_the_derivation(tmp_path, monkeypatch):
    """Adding an SDK call without a table entry (and so without a permission) fails."""
    fake = tmp_path / "main.rs"
    fake.write_text("async fn f(c: &Client) { c.put_bucket_policy().send().await; }\n")
    monkeypatch.setattr(infra, "function_main", lambda _f: fake)
    with pytest.raises(AssertionError, match="put_bucket_policy"):
        infra.required_actions("scan")


def test_new_sdk_call_in_a_reached_module_is_required(tmp_path, monkeypatch):
    fake = tmp_path / "main.rs"
    fake.write_text("async fn f(c: &Client) { c.delete_object().send().await; }\n")
    monkeypatch.setattr(infra, "function_main", lambda _f: fake)
    assert "s3:DeleteObject" in infra.required_actions("scan")


def test_test_connection_has_no_s3_permission_unless_opted_in(template):
    role = template["Resources"]["TestConnectionRole"]["Properties"]
    for policy in role["Policies"]:
        for s in policy["PolicyDocument"]["Statement"]:
            actions = s.get("Action", []) if isinstance(s, dict) and "Fn::If" not in s else []
            assert not any(a.startswith(("s3:", "sqs:")) for a in infra.as_list(actions)), s
            if isinstance(s, dict) and "Fn::If" in s:
                assert s["Fn::If"][0] == "FunctionIdentity"
    env = infra.function_env(template, "test-connection")
    assert env["S3CONNECTOR_ALLOW_FUNCTION_IDENTITY"] == {"Ref": "AllowFunctionIdentity"}


def _no_wildcards(template):
    for rid, res in template["Resources"].items():
        if res["Type"] != "AWS::IAM::Role":
            continue
        for policy in res["Properties"].get("Policies", []):
            for s in infra.statements(policy["PolicyDocument"]):
                for a in infra.as_list(s["Action"]):
                    assert "*" not in a, f"{rid}: wildcard action {a}"
                resources = infra.as_list(s["Resource"])
                if "*" in resources:
                    # Only actions with no resource type may use "*".
                    assert set(infra.as_list(s["Action"])) <= ACCOUNT_LEVEL, f"{rid}: {s}"


def test_no_wildcard_actions_or_resources_where_a_name_is_known(template):
    _no_wildcards(template)
    _no_wildcards(infra.load_template(infra.ROLE_TEMPLATE))


def test_assume_role_only_on_configured_patterns(template):
    found = {}
    for role in ROLE_OF.values():
        for policy in template["Resources"][role]["Properties"]["Policies"]:
            for s in infra.statements(policy["PolicyDocument"]):
                if "sts:AssumeRole" in infra.as_list(s["Action"]):
                    found[role] = s["Resource"]
    assert found["ScanRole"] == {"Ref": "ScanRolePatterns"}
    assert found["TestConnectionRole"] == {"Fn::Split": [",", {"Ref": "AllowedRolePatterns"}]}
    assert found["IngestRole"] == {"Ref": "SourceRoleArn"}
