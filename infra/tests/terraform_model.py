"""The Terraform module read with python-hcl2 (bc-python-hcl2, the fork checkov depends on,
which provides the same `hcl2` module), for comparison with the SAM template."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import hcl2

import infra

# Function name -> the aws_iam_policy_document holding its role's policy.
POLICY_DOCUMENT = {"ingest": "ingest", "scan": "scan", "test-connection": "test_connection"}


@lru_cache(maxsize=None)
def module(path: str = str(infra.TERRAFORM)) -> dict[str, list[Any]]:
    """Every top-level block of the module's .tf files, by block type."""
    from pathlib import Path

    merged: dict[str, list[Any]] = {}
    for tf in sorted(Path(path).glob("*.tf")):
        with tf.open() as f:
            for kind, blocks in hcl2.load(f).items():
                merged.setdefault(kind, []).extend(blocks)
    return merged


def blocks(kind: str, type_name: str) -> dict[str, Any]:
    """Blocks such as resource "aws_sqs_queue" "<name>", by name."""
    found = {}
    for block in module().get(kind, []):
        for name, body in block.get(type_name, {}).items():
            found[name] = body
    return found


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    stmts = list(document.get("statement", []))
    for dyn in document.get("dynamic", []):
        if "statement" in dyn:
            stmts.extend(dyn["statement"]["content"])
    return stmts


def policy_actions(document: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for s in _statements(document):
        if _first(s.get("effect", ["Allow"])) == "Allow":
            actions.update(_first(s["actions"]))
    return actions


def role_actions(function: str) -> set[str]:
    """Allowed actions of the function's role, over every (dynamic) statement."""
    locals_text = str(module().get("locals", []))
    doc_name = POLICY_DOCUMENT[function]
    assert f"data.aws_iam_policy_document.{doc_name}.json" in locals_text
    lambda_name = function.replace("-", "_")
    fn = blocks("resource", "aws_lambda_function")[lambda_name]
    assert _first(fn["role"]) == f'${{aws_iam_role.function["{function}"].arn}}', fn["role"]
    return policy_actions(blocks("data", "aws_iam_policy_document")[doc_name])


def _local(name: str) -> Any:
    for block in module().get("locals", []):
        if name in block:
            return block[name]
    raise KeyError(name)


def environment(function: str) -> set[str]:
    fn = blocks("resource", "aws_lambda_function")[function.replace("-", "_")]
    text = str(_first(_first(fn["environment"])["variables"]))
    names = set(re.findall(r"S3CONNECTOR_[A-Z0-9_]+", text))
    if "local.log_env" in text:
        names |= set(_first(_local("log_env")))
    return names


def environment_names() -> set[str]:
    names: set[str] = set()
    for f in infra.FUNCTIONS:
        names |= environment(f)
    return names


def variables() -> dict[str, Any]:
    found = {}
    for block in module().get("variable", []):
        found.update(block)
    return found


def outputs() -> dict[str, Any]:
    found = {}
    for block in module().get("output", []):
        found.update(block)
    return found


def resource_types() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for block in module().get("resource", []):
        for type_name, named in block.items():
            found.setdefault(type_name, []).extend(named)
    return found
