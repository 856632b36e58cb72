"""The SAM template, transformed locally by samtranslator, is created as a stack in the
emulator (moto's CloudFormation); the test then checks what was deployed, sends a real S3
notification through the deployed queue and runs the built ingest binary on it with the
deployed function's environment, through a minimal Lambda Runtime API."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import threading
import time
import uuid
import zipfile
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

import infra

ENDPOINT = os.environ.get("S3CONNECTOR_TEST_ENDPOINT")
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's account

pytestmark = pytest.mark.skipif(not ENDPOINT, reason="needs the emulator: run through scripts/with-emulator.sh (make test)")

# Resource types moto's CloudFormation does not implement; they are checked statically
# (test_templates.py, cfn-lint, checkov, cfn-guard) instead of in the emulator.
NOT_IN_EMULATOR = {
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    "AWS::Scheduler::Schedule",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Stage",
}


def built(binary: str):
    """A binary built by `cargo build --workspace --bins` (make test builds them first)."""
    target = os.environ.get("CARGO_TARGET_DIR") or str(infra.ROOT / "target")
    path = os.path.join(target, "debug", binary)
    assert os.path.exists(path), f"{path} is missing: run cargo build --workspace --bins first"
    return path


def client(service):
    import boto3

    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def stack():
    s3 = client("s3")
    code_bucket = f"s3connector-code-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=code_bucket)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    s3.put_object(Bucket=code_bucket, Key="function.zip", Body=buf.getvalue())

    source = f"s3connector-logs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=source)
    # An existing target that the setup command must keep (moto also answers an empty
    # configuration with a document the AWS SDK cannot parse, unlike S3).
    s3.put_bucket_notification_configuration(
        Bucket=source,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"Id": "deletions", "TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:deletions", "Events": ["s3:ObjectRemoved:*"]}
            ]
        },
    )
    body = json.dumps(infra.transformed_template(f"s3://{code_bucket}/function.zip"))
    name = f"s3c{uuid.uuid4().hex[:8]}"
    cfn = client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=body,
        Parameters=[
            {"ParameterKey": "SourceBucketName", "ParameterValue": source},
            {"ParameterKey": "AllowedAccounts", "ParameterValue": "111122223333"},
            {"ParameterKey": "IngestTimeout", "ParameterValue": "300"},
        ],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    for _ in range(60):
        status = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if status != "CREATE_IN_PROGRESS":
            break
        time.sleep(0.5)
    assert status == "CREATE_COMPLETE", cfn.describe_stack_events(StackName=name)["StackEvents"][:5]
    desc = cfn.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in desc.get("Outputs", [])}
    resources = {
        r["LogicalResourceId"]: r
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
        for r in page["StackResourceSummaries"]
        if "LogicalResourceId" in r
    }
    return {"name": name, "source": source, "outputs": outputs, "resources": resources, "template": json.loads(body)}


def physical(stack, logical):
    return stack["resources"][logical]["PhysicalResourceId"]


def test_every_resource_is_deployed_or_known_unsupported(stack):
    missing = {
        rid: r["Type"]
        for rid, r in stack["template"]["Resources"].items()
        if rid not in stack["resources"] and "Condition" not in r
    }
    assert set(missing.values()) <= NOT_IN_EMULATOR, missing


def test_ingest_queue_has_redrive_sse_and_six_times_the_timeout(stack):
    sqs = client("sqs")
    url = physical(stack, "IngestQueue")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == str(6 * 300)
    redrive = json.loads(attrs["RedrivePolicy"])
    dlq_url = physical(stack, "IngestDeadLetterQueue")
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert redrive["deadLetterTargetArn"] == dlq_arn
    assert int(redrive["maxReceiveCount"]) == 5
    assert attrs.get("SqsManagedSseEnabled") == "true"
    scan_attrs = sqs.get_queue_attributes(QueueUrl=physical(stack, "ScanQueue"), AttributeNames=["All"])["Attributes"]
    assert "RedrivePolicy" in scan_attrs and scan_attrs["VisibilityTimeout"] == "5400"


def test_output_bucket_is_encrypted(stack):
    s3 = client("s3")
    enc = s3.get_bucket_encryption(Bucket=physical(stack, "OutputBucket"))
    rule = enc["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def _policy(doc):
    """moto returns inline policies as JSON or as a Python literal, depending on how they were created."""
    import ast

    if isinstance(doc, dict):
        return doc
    try:
        return json.loads(doc)
    except json.JSONDecodeError:
        return ast.literal_eval(doc)


def test_roles_exist_with_only_their_policies(stack):
    iam = client("iam")
    for logical, function in (("IngestRole", "ingest"), ("ScanRole", "scan"), ("TestConnectionRole", "test-connection")):
        role_name = physical(stack, logical)
        assert role_name == f"{stack['name']}-{function}"
        names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        actions = set()
        for n in names:
            doc = _policy(iam.get_role_policy(RoleName=role_name, PolicyName=n)["PolicyDocument"])
            for s in filter(None, doc["Statement"]):  # moto keeps AWS::NoValue as null
                acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
                actions.update(acts)
        assert not any(a.endswith(":*") for a in actions)
        assert iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"] == []
    # With default parameters test-connection may only assume roles, never touch S3 itself.
    doc = _policy(
        iam.get_role_policy(RoleName=physical(stack, "TestConnectionRole"), PolicyName="test-connection")["PolicyDocument"]
    )
    assert {a for s in filter(None, doc["Statement"]) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sts:AssumeRole",
    }


def test_functions_and_event_source_mapping(stack):
    lam = client("lambda")
    cfg = lam.get_function_configuration(FunctionName=physical(stack, "IngestFunction"))
    assert cfg["Runtime"] == "provided.al2023"  # moto does not keep Architectures; checked statically
    assert cfg["Environment"]["Variables"]["S3CONNECTOR_OUTPUT_BUCKET"] == physical(stack, "OutputBucket")
    tc = lam.get_function_configuration(FunctionName=physical(stack, "TestConnectionFunction"))
    assert tc["Timeout"] >= 30
    mappings = lam.list_event_source_mappings(FunctionName=physical(stack, "IngestFunction"))["EventSourceMappings"]
    assert len(mappings) == 1
    assert mappings[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


class _RuntimeApi(BaseHTTPRequestHandler):
    """Just enough of the Lambda Runtime API to hand one event to a function and take its answer."""

    event: bytes = b""
    served = False
    answer: dict | None = None
    done = threading.Event()

    def do_GET(self):  # noqa: N802
        if type(self).served:
            time.sleep(30)  # the next invocation never comes; the process is stopped first
        type(self).served = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "req-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 300_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ingest")
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).event)

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).answer = {"path": self.path, "body": json.loads(body or b"null")}
        self.send_response(202)
        self.end_headers()
        type(self).done.set()

    def log_message(self, *args):
        pass


def _cloudtrail_log():
    record = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/alice"},
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": REGION,
        "sourceIPAddress": "192.0.2.1",
        "eventID": "3f2b4c1e-0000-4000-8000-000000000001",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    return gzip.compress(json.dumps({"Records": [record]}).encode())


def test_s3_notification_through_the_deployed_queue_is_ingested(stack):
    lam, sqs, s3 = client("lambda"), client("sqs"), client("s3")
    function = physical(stack, "IngestFunction")
    # Stand in for the Lambda service: moto would try to run the function in Docker.
    for m in lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]:
        lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
    queue_url = physical(stack, "IngestQueue")
    queue_arn = stack["outputs"]["IngestQueueArn"]
    # Wire the existing bucket with the command the stack prints (SetupNotificationsCommand).
    command = stack["outputs"]["SetupNotificationsCommand"].split()
    assert command[:3] == ["s3connector", "setup", "notifications"]
    cli = built("s3connector")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION}
    done = subprocess.run([str(cli), *command[1:], "--endpoint-url", ENDPOINT], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "keep  Topic deletions" in done.stdout and "add   Queue s3connector-ingest" in done.stdout, done.stdout
    config = s3.get_bucket_notification_configuration(Bucket=stack["source"])
    assert [t["Id"] for t in config["TopicConfigurations"]] == ["deletions"]

    key = f"AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/2024/05/01/{ACCOUNT}_CloudTrail_{REGION}_20240501T1200Z_x.json.gz"
    s3.put_object(Bucket=stack["source"], Key=key, Body=_cloudtrail_log())
    messages = []
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        messages = [m for m in messages if "ObjectCreated" in m["Body"]]
        if messages:
            break
    assert messages, "the S3 notification did not reach the deployed ingest queue"
    event = {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
            for m in messages
        ]
    }
    _RuntimeApi.event = json.dumps(event).encode()
    server = HTTPServer(("127.0.0.1", 0), _RuntimeApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    deployed_env = lam.get_function_configuration(FunctionName=function)["Environment"]["Variables"]
    run_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("S3CONNECTOR_")},
        # CloudFormation passes every value as a string; moto keeps the parameter's type.
        **{k: str(v) for k, v in deployed_env.items() if v is not None},
        "AWS_ENDPOINT_URL": ENDPOINT,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_port}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "test",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
    }
    proc = subprocess.Popen([built("ingest")], env=run_env, stderr=subprocess.PIPE)
    try:
        answered = _RuntimeApi.done.wait(60)
    finally:
        proc.kill()
        _, err = proc.communicate()
        server.shutdown()
    assert answered, f"ingest did not answer: {err.decode()[-3000:]}"
    answer = _RuntimeApi.answer
    assert answer["path"].endswith("/req-1/response"), (answer, err.decode()[-2000:])
    assert answer["body"]["batchItemFailures"] == []
    out = s3.list_objects_v2(Bucket=physical(stack, "OutputBucket")).get("Contents", [])
    keys = [o["Key"] for o in out]
    assert any("source=cloudtrail/" in k for k in keys), keys
