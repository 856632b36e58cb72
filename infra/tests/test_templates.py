"""Static checks of the templates: cfn-lint (the SAM template as written and after the SAM
transform), checkov (CloudFormation and Terraform), cfn-guard (infra/guard/), and the
properties the emulator cannot deploy (queue policy, bucket settings, API, schedule)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

import infra

VENV_BIN = Path(sys.executable).parent
CFN_GUARD = infra.ROOT / ".tools" / "bin" / "cfn-guard"
GUARD_RULES = infra.INFRA / "guard" / "s3connector.guard"


@pytest.fixture(scope="module")
def template():
    return infra.load_template()


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfn") / "template.transformed.json"
    data = infra.transformed_template()
    path.write_text(json.dumps(data, indent=1))
    return path, data


@pytest.fixture(scope="module")
def role_json(tmp_path_factory):
    path = tmp_path_factory.mktemp("cfn") / "scanned-account-role.json"
    path.write_text(json.dumps(infra._plain(infra.load_template(infra.ROLE_TEMPLATE)), indent=1))
    return path


def run(*cmd, cwd=infra.ROOT):
    return subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True)


def test_cfn_lint_templates_as_written():
    done = run(VENV_BIN / "cfn-lint", infra.SAM_TEMPLATE, infra.ROLE_TEMPLATE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_after_the_sam_transform(transformed):
    done = run(VENV_BIN / "cfn-lint", transformed[0])
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("framework,target", [("cloudformation", "infra"), ("terraform", "infra/terraform")])
def test_checkov(framework, target):
    # --skip-download: no network calls to the vendor's API; the built-in checks run.
    done = run(VENV_BIN / "checkov", "-d", target, "--framework", framework, "--compact", "--quiet", "--skip-download")
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_every_checkov_suppression_has_a_reason(template):
    for path in (infra.SAM_TEMPLATE, infra.ROLE_TEMPLATE):
        for rid, res in infra.load_template(path)["Resources"].items():
            for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
                assert len(skip.get("comment", "")) > 30, f"{path.name} {rid}: {skip['id']} needs a reason"
    for tf in infra.TERRAFORM.rglob("*.tf"):
        for n, line in enumerate(tf.read_text().splitlines(), 1):
            if "checkov:skip=" in line:
                reason = line.split("checkov:skip=", 1)[1].split(":", 1)
                assert len(reason) == 2 and len(reason[1].strip()) > 30, f"{tf}:{n} needs a reason"


def guard(*data):
    args = [CFN_GUARD, "validate", "-r", GUARD_RULES, "--show-summary", "fail"]
    for d in data:
        args += ["-d", d]
    return run(*args)


requires_guard = pytest.mark.skipif(not CFN_GUARD.exists(), reason="cfn-guard not built: run make test")


@requires_guard
def test_cfn_guard_passes(transformed, role_json):
    done = guard(transformed[0], role_json)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr


@requires_guard
@pytest.mark.parametrize(
    "breakage",
    ["wildcard_action", "public_bucket", "unencrypted_queue", "queue_without_dlq"],
)
def test_cfn_guard_catches(breakage, transformed, tmp_path):
    data = copy.deepcopy(transformed[1])
    res = data["Resources"]
    if breakage == "wildcard_action":
        res["IngestRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][3]["Action"] = "s3:*"
    elif breakage == "public_bucket":
        res["OutputBucket"]["Properties"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] = False
    elif breakage == "unencrypted_queue":
        del res["IngestQueue"]["Properties"]["SqsManagedSseEnabled"]
    elif breakage == "queue_without_dlq":
        del res["IngestQueue"]["Properties"]["RedrivePolicy"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data))
    assert guard(path).returncode != 0


# ----------------------------------------------- what the emulator does not deploy ---------


def test_queue_policy_lets_only_the_source_bucket_and_account_send(template):
    policy = template["Resources"]["IngestQueuePolicy"]["Properties"]["PolicyDocument"]
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allow) == 1
    s = allow[0]
    assert s["Principal"] == {"Service": "s3.amazonaws.com"} and s["Action"] == "sqs:SendMessage"
    assert "aws:SourceArn" in s["Condition"]["ArnEquals"]
    assert "aws:SourceAccount" in s["Condition"]["StringEquals"]


@pytest.mark.parametrize("bucket", ["OutputBucket", "SourceBucket"])
def test_buckets_are_private_encrypted_and_tls_only(template, bucket):
    res = template["Resources"]
    props = res[bucket]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "ServerSideEncryptionConfiguration" in props["BucketEncryption"]
    policies = [r for r in res.values() if r["Type"] == "AWS::S3::BucketPolicy" and r["Properties"]["Bucket"] == {"Ref": bucket}]
    (deny,) = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_output_bucket_expires_rejects_and_scan_parts(template):
    rules = template["Resources"]["OutputBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    prefixes = {r["Id"]: r.get("Prefix") for r in rules}
    assert prefixes["expire-rejects"] == {"Fn::Sub": "${OutputPrefix}rejects/"}
    assert "expire-scan-parts" in prefixes


def test_created_source_bucket_notifies_the_ingest_queue(template):
    props = template["Resources"]["SourceBucket"]["Properties"]
    (q,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert q["Event"] == "s3:ObjectCreated:*" and q["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert template["Resources"]["SourceBucket"]["DependsOn"] == "IngestQueuePolicy"


def test_http_api_uses_iam_auth_access_logs_and_throttling(transformed):
    res = transformed[1]["Resources"]
    routes = [r for r in res.values() if r["Type"] == "AWS::ApiGatewayV2::Route"]
    apis = [r for r in res.values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    stages = [r for r in res.values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    if apis and "Body" in apis[0]["Properties"]:
        paths = apis[0]["Properties"]["Body"]["paths"]
        op = paths["/connection-tests"]["post"]
        assert op["security"] == [{"AWS_IAM": []}]
        assert op["x-amazon-apigateway-integration"]["timeoutInMillis"] == 29000
    else:
        assert routes and all(r["Properties"]["AuthorizationType"] == "AWS_IAM" for r in routes)
    (stage,) = stages
    assert "DestinationArn" in stage["Properties"]["AccessLogSettings"]
    assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}


def test_schedule_carries_the_scan_scope_with_its_own_role(template):
    target = template["Resources"]["ScanTrigger"]["Properties"]["Target"]
    assert target["Input"] == {"Ref": "ScanScope"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["ScheduleRole", "Arn"]}
    role = template["Resources"]["ScheduleRole"]["Properties"]
    (stmt,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert stmt["Action"] == "lambda:InvokeFunction" and stmt["Resource"] == {"Fn::GetAtt": ["ScanFunction", "Arn"]}


def test_functions_are_arm64_by_default_with_an_x86_option(template):
    p = template["Parameters"]["Architecture"]
    assert p["Default"] == "arm64" and set(p["AllowedValues"]) == {"arm64", "x86_64"}
    for r in template["Resources"].values():
        if r["Type"] == "AWS::Serverless::Function":
            assert r["Metadata"]["BuildMethod"] == "rust-cargolambda"


def test_scanned_account_role_trusts_only_the_scanner_with_external_id():
    t = infra.load_template(infra.ROLE_TEMPLATE)
    role = t["Resources"]["ScanReaderRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": {"Ref": "ScannerRoleArn"}}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": {"Ref": "ExternalId"}}}
    actions = infra.role_actions(t, "ScanReaderRole")
    for needed in (
        "s3:ListAllMyBuckets", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject",
        "s3:GetEncryptionConfiguration", "s3:GetBucketVersioning", "s3:GetBucketPolicyStatus",
        "s3:GetBucketTagging", "s3:GetBucketOwnershipControls", "kms:Decrypt", "s3:PutObject",
        "s3:GetAccountPublicAccessBlock", "cloudwatch:GetMetricStatistics",
    ):
        assert needed in actions, needed
    stmts = {s.get("Sid"): s for p in role["Policies"] for s in infra.statements(p["PolicyDocument"])}
    assert "kms:ViaService" in json.dumps(stmts["DecryptThroughS3"]["Condition"])
    assert stmts["ConnectionTestBeaconOnly"]["Condition"] == {"StringEquals": {"s3:ResourceAccount": {"Ref": "AWS::AccountId"}}}
