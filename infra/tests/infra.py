"""Shared helpers for the infra checks: paths, template loading, the SAM transform and the
source scans that tie the templates to the Rust code."""

from __future__ import annotations

import copy
import re
import tomllib
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
SAM_TEMPLATE = INFRA / "template.yaml"
ROLE_TEMPLATE = INFRA / "scanned-account-role.yaml"
TERRAFORM = INFRA / "terraform"
FUNCTIONS = ("ingest", "scan", "test-connection")

# Settings the functions never read in Lambda, each with the reason.
SETTINGS_NOT_DEPLOYED = {
    # The CLI's way to keep an external ID out of shell history.
    "S3CONNECTOR_TEST_EXTERNAL_ID": "cli only",
    # Points integration tests at the shared emulator.
    "S3CONNECTOR_TEST_ENDPOINT": "tests only",
}


def load_template(path: Path = SAM_TEMPLATE) -> dict[str, Any]:
    """The template as cfn-lint reads it (short-form tags become Fn:: mappings)."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    assert not matches, f"{path}: {matches}"
    return template


def transformed_template(
    code_uri: str | None = "s3://s3connector-code/function.zip", path: Path = SAM_TEMPLATE
) -> dict[str, Any]:
    """The SAM template at `path` after the SAM transform, as CloudFormation would run it.

    With `code_uri`, local CodeUri paths are replaced by that S3 URI first, as `sam package`
    would; with None, the template must already be packaged (`sam package` output)."""
    import os

    from samtranslator.translator.transform import transform

    # The transform fills in pseudo parameters from a region; any region will do.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    template = copy.deepcopy(load_template(path))
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and code_uri is not None:
            resource["Properties"]["CodeUri"] = code_uri
    template = _plain(template)

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(template, {}, NoManagedPolicies())


def _plain(value: Any) -> Any:
    """cfn-lint's node types converted to plain dicts, lists and strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def statements(policy_document: Any) -> Iterator[dict[str, Any]]:
    """Every statement of a policy document, including both branches of each Fn::If."""
    stmts = policy_document.get("Statement", [])
    if isinstance(stmts, dict):
        stmts = [stmts]
    for s in stmts:
        yield from _branches(s)


def _branches(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict) and "Fn::If" in node:
        _, yes, no = node["Fn::If"]
        yield from _branches(yes)
        yield from _branches(no)
    elif isinstance(node, dict) and node.get("Ref") == "AWS::NoValue":
        return
    elif isinstance(node, dict):
        yield node


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_actions(template: dict[str, Any], role_id: str) -> set[str]:
    """Allowed actions of an IAM role resource, over every inline policy and condition."""
    role = template["Resources"][role_id]["Properties"]
    actions: set[str] = set()
    for policy in role.get("Policies", []):
        for s in statements(policy["PolicyDocument"]):
            if s.get("Effect") == "Allow":
                actions.update(as_list(s["Action"]))
    return actions


def function_role(template: dict[str, Any], function_binary: str) -> str:
    """Logical ID of the role of the function built from `function_binary`."""
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == function_binary:
            return resource["Properties"]["Role"]["Fn::GetAtt"][0]
    raise AssertionError(f"no function built from {function_binary}")


def function_env(template: dict[str, Any], function_binary: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        if resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary") == function_binary:
            return resource["Properties"].get("Environment", {}).get("Variables", {})
    raise AssertionError(f"no function built from {function_binary}")


# ---------------------------------------------------------------- source scans ----------

SHARED_SRC = ROOT / "shared" / "src"
_CALL = re.compile(r"\.\s*([a-z_][a-z0-9_]*)\(\)")
_TEST_MODULE = re.compile(r"#\[cfg\(test\)\]")


def _without_tests(text: str) -> str:
    """Source text without its `#[cfg(test)]` items: a `mod x { ... }` block up to its
    matching brace, any other item up to the end of its line."""
    out, pos = [], 0
    for m in _TEST_MODULE.finditer(text):
        if m.start() < pos:
            continue
        out.append(text[pos : m.start()])
        rest = text[m.end() :]
        block = re.match(r"\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", rest)
        if block:
            depth, i = 1, m.end() + block.end()
            while depth and i < len(text):
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            pos = i
        else:
            nl = text.find("\n", m.end())
            nl = text.find("\n", nl + 1) if nl != -1 else -1
            pos = len(text) if nl == -1 else nl
    out.append(text[pos:])
    return "".join(out)


def _module_path(path: Path) -> list[str]:
    parts = list(path.relative_to(SHARED_SRC).with_suffix("").parts)
    if parts and parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return parts


def _resolve(parts: list[str]) -> Path | None:
    """The file defining the longest existing module prefix of `parts`."""
    for n in range(len(parts), 0, -1):
        base = SHARED_SRC.joinpath(*parts[:n])
        for candidate in (base.with_suffix(".rs"), base / "mod.rs"):
            if candidate.exists():
                return candidate
    return None


_PATH_REF = re.compile(r"\b(crate|super|self|s3connector)::((?:[A-Za-z_][A-Za-z0-9_]*::)*)(\{[^;]*?\}|[A-Za-z_][A-Za-z0-9_]*)", re.S)


def _references(path: Path, text: str) -> set[Path]:
    """Files of the shared crate that `text` (the source of `path`) refers to."""
    own = _module_path(path) if path.is_relative_to(SHARED_SRC) else []
    children = set(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", text, re.M))
    refs: list[list[str]] = []
    for root, middle, last in _PATH_REF.findall(text):
        base = {"crate": [], "s3connector": [], "super": own[:-1], "self": own}[root]
        prefix = base + [p for p in middle.split("::") if p]
        if last.startswith("{"):
            for item in re.split(r"[,{}]", last):
                item = item.strip()
                if item and item != "self":
                    refs.append(prefix + [p for p in item.split("::") if p and p != "*"])
            refs.append(prefix)
        else:
            refs.append(prefix + [last])
    # A module file reaches its children when it names them (`child::x`, `pub use child::...`).
    for child in children:
        if re.search(rf"\b{child}::", text):
            refs.append(own + [child])
    found = set()
    for parts in refs:
        target = _resolve(parts)
        if target is not None and target != path:
            found.add(target)
    return found


def function_main(function: str) -> Path:
    return ROOT / "functions" / function / "src" / "main.rs"


def reachable_files(function: str) -> set[Path]:
    """Files of the shared crate the function's main.rs reaches, directly or transitively."""
    seen: set[Path] = set()
    todo = {function_main(function)}
    while todo:
        f = todo.pop()
        if f in seen or f.name == "tests.rs":
            continue
        seen.add(f)
        todo |= _references(f, _without_tests(f.read_text()))
    return seen


def sdk_calls(files: list[Path], operations: set[str]) -> set[str]:
    """SDK operations called in `files` (`.op()` where op is a known SDK operation name)."""
    found = set()
    for f in files:
        found.update(c for c in _CALL.findall(_without_tests(f.read_text())) if c in operations)
    return found


def permissions_table() -> dict[str, Any]:
    return tomllib.loads((INFRA / "permissions.toml").read_text())


def sdk_operation_names() -> set[str]:
    """Every operation name of the SDK services the code uses (S3, S3 Control, SQS, STS, KMS,
    CloudWatch), in the
    snake_case the Rust SDK gives them, from botocore's service models."""
    import botocore.session

    session = botocore.session.get_session()
    names = set()
    for service in ("s3", "s3control", "sqs", "sts", "kms", "cloudwatch"):
        for op in session.get_service_model(service).operation_names:
            names.add(re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower())
    return names


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def required_actions(function: str) -> dict[str, set[str]]:
    """IAM actions the function's code needs, each with the SDK calls that need it."""
    table = permissions_table()
    ops = sdk_operation_names()
    needed: dict[str, set[str]] = {}
    for path in sorted(reachable_files(function)):
        module = ".".join(_module_path(path)) if path.is_relative_to(SHARED_SRC) else "main"
        for call in sdk_calls([path], ops):
            key = f"{module}.{call}"
            if key in table["call_sites"]:
                actions = table["call_sites"][key]
            elif call in table["operations"]:
                actions = table["operations"][call]
            else:
                raise AssertionError(
                    f"{_shown(path)} calls SDK operation {call}(); add it to infra/permissions.toml "
                    "and grant its IAM action to the function's role in infra/template.yaml and infra/terraform"
                )
            for a in actions:
                needed.setdefault(a, set()).add(f"{_shown(path)}: {call}()")
    for a in table["platform"]["all"] + table["platform"][function]:
        needed.setdefault(a, set()).add("platform")
    return needed


def settings_in_source() -> dict[str, set[str]]:
    """Every `"S3CONNECTOR_..."` name in the shared crate and the functions, with its files."""
    found: dict[str, set[str]] = {}
    for base in (SHARED_SRC, ROOT / "functions"):
        for f in base.rglob("*.rs"):
            for name in re.findall(r'"(S3CONNECTOR_[A-Z0-9_]+)"', f.read_text()):
                found.setdefault(name, set()).add(str(f.relative_to(ROOT)))
    return found
