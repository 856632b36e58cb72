"""The Terraform module is equivalent to the SAM template: the same resources, the same
settings per function, the same permissions per role, a variable per parameter (typed,
described and validated where the parameter is constrained) and an output per output."""

import re

import pytest

import infra
import terraform_model as tf

# SAM parameters with no Terraform variable of the same name, and why.
PARAMETERS_NOT_IN_TERRAFORM = {
    # Terraform infers SSE-KMS from output_kms_key_arn being set.
    "OutputEncryption",
    # Terraform uses the provider's reserved_concurrent_executions = -1 for "unreserved";
    # test-connection is bounded by the API throttle in both.
    "TestConnectionReservedConcurrency",
}
# Terraform-only variables, and why.
VARIABLES_NOT_IN_SAM = {
    "name",  # the SAM stack name
    "package_dir",  # SAM builds the code itself (sam build)
}


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def template():
    return infra.load_template()


def test_every_parameter_is_a_variable(template):
    variables = tf.variables()
    expected = {snake(p) for p in template["Parameters"] if p not in PARAMETERS_NOT_IN_TERRAFORM}
    assert expected - set(variables) == set(), "parameters without a Terraform variable"
    assert set(variables) - expected - VARIABLES_NOT_IN_SAM == set(), "variables without a SAM parameter"


def test_variables_are_typed_described_and_validated_like_the_parameters(template):
    variables = tf.variables()
    unvalidated = []
    for name, p in template["Parameters"].items():
        if name in PARAMETERS_NOT_IN_TERRAFORM:
            continue
        v = variables[snake(name)]
        assert "type" in v and len(tf._first(v["description"])) > 10, name
        if p.get("NoEcho"):
            assert tf._first(v.get("sensitive")) is True, f"{name} is NoEcho, so {snake(name)} must be sensitive"
        if tf._first(v["type"]) == "${bool}":
            continue  # the type is the constraint
        if ("AllowedValues" in p or "AllowedPattern" in p) and "validation" not in v:
            unvalidated.append(snake(name))
    assert not unvalidated, f"variables need a validation like their parameter's constraint: {unvalidated}"


def test_every_output_is_an_output(template):
    outputs = tf.outputs()
    for name in template["Outputs"]:
        assert snake(name).replace("_name", "_name") in outputs, snake(name)


def test_same_resources_as_the_transformed_sam_template():
    sam = infra.transformed_template()["Resources"]
    count = {}
    for r in sam.values():
        count[r["Type"]] = count.get(r["Type"], 0) + 1
    types = tf.resource_types()
    pairs = {
        "AWS::SQS::Queue": "aws_sqs_queue",
        "AWS::SQS::QueuePolicy": "aws_sqs_queue_policy",
        "AWS::Lambda::Function": "aws_lambda_function",
        "AWS::Lambda::EventSourceMapping": "aws_lambda_event_source_mapping",
        "AWS::Scheduler::Schedule": "aws_scheduler_schedule",
        "AWS::S3::Bucket": "aws_s3_bucket",
        "AWS::S3::BucketPolicy": "aws_s3_bucket_policy",
        "AWS::ApiGatewayV2::Api": "aws_apigatewayv2_api",
        "AWS::ApiGatewayV2::Stage": "aws_apigatewayv2_stage",
    }
    for cfn, terraform in pairs.items():
        assert len(types.get(terraform, [])) == count.get(cfn, 0), (cfn, terraform)
    # Roles and log groups are for_each over the functions in Terraform.
    assert count["AWS::IAM::Role"] == 4 and set(types["aws_iam_role"]) == {"function", "schedule"}
    assert count["AWS::Logs::LogGroup"] == 4 and set(types["aws_cloudwatch_log_group"]) == {"function", "api"}


@pytest.mark.parametrize("function", infra.FUNCTIONS)
def test_same_settings_per_function(template, function):
    assert tf.environment(function) == set(infra.function_env(template, function))


def test_queues_match(template):
    ingest = tf.blocks("resource", "aws_sqs_queue")["ingest"]
    assert tf._first(ingest["visibility_timeout_seconds"]) == "${6 * var.ingest_timeout}"
    assert tf._first(ingest["sqs_managed_sse_enabled"]) is True
    route = tf.blocks("resource", "aws_apigatewayv2_route")["connection_tests"]
    assert tf._first(route["authorization_type"]) == "AWS_IAM"
    assert tf._first(route["route_key"]) == "POST /connection-tests"


def test_scanned_account_role_module_matches_the_template():
    tf_role = tf.module(str(infra.TERRAFORM / "modules" / "scanned-account-role"))
    docs = {}
    for block in tf_role["data"]:
        docs.update(block.get("aws_iam_policy_document", {}))
    cfn = infra.load_template(infra.ROLE_TEMPLATE)
    assert tf.policy_actions(docs["read"]) == infra.role_actions(cfn, "ScanReaderRole")
    (trust,) = docs["trust"]["statement"]
    assert tf._first(tf._first(trust["condition"])["variable"]) == "sts:ExternalId"
