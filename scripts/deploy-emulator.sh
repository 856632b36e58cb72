#!/usr/bin/env bash
# `make deploy-emulator`: the real `sam build` + `sam deploy` of infra/template.yaml, deployed
# into a local moto server instead of an AWS account. It runs the same SAM CLI commands as
# `make deploy` (release build of the three functions with cargo-lambda, artifacts uploaded to
# S3, a CloudFormation change set created and executed), then checks that the stack completed
# and prints its outputs and resources.
#
# moto's CloudFormation does not implement every resource type of the template (queue and
# bucket policies, the Scheduler schedule, the HTTP API): those are skipped by moto and are
# checked statically by infra/tests (cfn-lint, checkov, cfn-guard). ARCH defaults to x86_64,
# the only Rust target on the build machines.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${ARCH:-x86_64}
SAM=.venv-sam/bin/sam
build_dir=${SAM_BUILD_DIR:-.aws-sam-emulator}
state=.run/deploy-emulator
stack=s3connector-emulator

trap 'scripts/emulator.sh stop "$state"' EXIT INT TERM
scripts/emulator.sh start "$state"
# `localhost`, not 127.0.0.1: moto's CloudFormation finds the bucket of the TemplateURL that
# `sam deploy` passes by the host name, and reads it path-style only for localhost.
export AWS_ENDPOINT_URL=$(sed 's/127\.0\.0\.1/localhost/' "$state/moto.url")
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1 SAM_CLI_TELEMETRY=0
unset AWS_PROFILE AWS_SESSION_TOKEN

if [[ ! -f "$build_dir/template.yaml" || -n "${REBUILD:-}" ]]; then
  (cd infra && PATH="$PWD/../.venv-sam/bin:$PATH" "../$SAM" build --beta-features \
    --parameter-overrides "Architecture=$ARCH" --build-dir "../$build_dir")
fi

boto() { .venv/bin/python - "$@"; }
artifacts=s3connector-artifacts-$(date +%s)
boto "$artifacts" <<'EOF'
import sys, boto3
boto3.client("s3").create_bucket(Bucket=sys.argv[1])
EOF

# moto's CloudFormation does not run the SAM transform, so the packaged template is
# transformed locally by samtranslator (the library the AWS transform is built from) and
# that plain CloudFormation goes through `sam deploy`'s change set.
PATH="$PWD/.venv-sam/bin:$PATH" "$SAM" package \
  --template-file "$build_dir/template.yaml" \
  --s3-bucket "$artifacts" \
  --output-template-file "$state/packaged.yaml" --no-progressbar
.venv/bin/python - "$state/packaged.yaml" "$state/transformed.json" <<'EOF'
import json, sys
from pathlib import Path
sys.path.insert(0, "infra/tests")
import infra
template = infra.transformed_template(code_uri=None, path=Path(sys.argv[1]))
Path(sys.argv[2]).write_text(json.dumps(template, indent=1))
EOF
PATH="$PWD/.venv-sam/bin:$PATH" "$SAM" deploy \
  --template-file "$state/transformed.json" \
  --stack-name "$stack" \
  --s3-bucket "$artifacts" \
  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM \
  --parameter-overrides "Architecture=$ARCH" AllowedAccounts=111122223333 \
  --no-confirm-changeset --no-fail-on-empty-changeset --no-progressbar

boto "$stack" "$artifacts" <<'EOF'
import sys, zipfile, io, boto3
stack, artifacts = sys.argv[1], sys.argv[2]
cfn, s3, lam = boto3.client("cloudformation"), boto3.client("s3"), boto3.client("lambda")
desc = cfn.describe_stacks(StackName=stack)["Stacks"][0]
assert desc["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), desc["StackStatus"]
print(f"stack {stack}: {desc['StackStatus']}")
outputs = desc.get("Outputs", [])
for o in outputs:
    print(f"  output {o['OutputKey']:<28} {o['OutputValue']}")
if not outputs:
    print("  (moto reports no stack outputs for stacks created through a change set)")
resources = [r for p in cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
             for r in p["StackResourceSummaries"]]
print(f"  {len(resources)} resources deployed")
# The functions carry the release bootstrap sam build produced, uploaded by sam deploy.
uploaded = [o["Key"] for o in s3.list_objects_v2(Bucket=artifacts).get("Contents", [])]
functions = [r["PhysicalResourceId"] for r in resources if r["ResourceType"] == "AWS::Lambda::Function"]
assert len(functions) == 3, functions
for name in functions:
    cfg = lam.get_function(FunctionName=name)["Configuration"]
    assert cfg["Runtime"] == "provided.al2023" and cfg["Handler"] == "bootstrap", cfg
    print(f"  function {name}: {cfg['Architectures']} {cfg['CodeSize']} bytes, {cfg['MemorySize']} MB")
for key in uploaded:
    body = s3.get_object(Bucket=artifacts, Key=key)["Body"].read()
    if body[:2] == b"PK":
        names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        assert "bootstrap" in names, (key, names)
print(f"  {len(uploaded)} artifacts uploaded by sam deploy, each function zip holding bootstrap")
EOF
