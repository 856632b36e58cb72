"""Every S3CONNECTOR_* setting the code reads is deployed (a function environment variable
fed by a described, constrained parameter) by the SAM template and the Terraform module."""

import pytest

import infra


@pytest.fixture(scope="module")
def template():
    return infra.load_template()


def _sam_env_names(template):
    names = set()
    for f in infra.FUNCTIONS:
        names |= set(infra.function_env(template, f))
    return names


def test_every_setting_in_the_source_is_a_sam_environment_variable(template):
    deployed = _sam_env_names(template)
    missing = {
        name: sorted(files)
        for name, files in infra.settings_in_source().items()
        if name not in deployed and name not in infra.SETTINGS_NOT_DEPLOYED
    }
    assert not missing, (
        "settings the code reads but infra/template.yaml does not set (add a parameter and the "
        f"environment variable, and the Terraform variable, or explain in SETTINGS_NOT_DEPLOYED): {missing}"
    )


def test_every_sam_environment_variable_is_read_by_the_code(template):
    in_source = set(infra.settings_in_source())
    stale = {n for n in _sam_env_names(template) if n.startswith("S3CONNECTOR_") and n not in in_source}
    assert not stale, f"template sets settings no code reads: {sorted(stale)}"


def test_every_setting_in_the_source_is_a_terraform_environment_variable():
    import terraform_model

    deployed = terraform_model.environment_names()
    missing = {
        n for n in infra.settings_in_source() if n not in deployed and n not in infra.SETTINGS_NOT_DEPLOYED
    }
    assert not missing, f"infra/terraform does not set {sorted(missing)}"


def test_every_parameter_is_described_and_constrained(template):
    for name, p in template["Parameters"].items():
        assert len(p.get("Description", "")) > 20, f"{name} needs a description"
        if p["Type"] == "String" and name not in ("HttpToken",):
            assert {"AllowedValues", "AllowedPattern", "MaxLength"} & set(p), f"{name} needs a constraint"
        if p["Type"] == "Number":
            assert {"AllowedValues", "MinValue"} & set(p), f"{name} needs a range"


def test_secrets_are_no_echo(template):
    for name in ("HttpToken", "AccountExternalIds", "SourceExternalId", "ScanExternalId", "ClassifyHmacKey"):
        assert template["Parameters"][name].get("NoEcho") is True, name


def test_ingest_memory_holds_the_chunks_in_flight(template):
    params = template["Parameters"]
    memory_mb = int(params["IngestMemorySize"]["Default"])
    chunk_mib = int(params["ChunkMaxBytes"]["Default"]) / 2**20
    assert memory_mb >= 4 * chunk_mib + 128


def test_visibility_timeout_is_six_times_each_function_timeout(template):
    mapping = template["Mappings"]["VisibilityByTimeout"]
    allowed = template["Parameters"]["IngestTimeout"]["AllowedValues"]
    assert sorted(int(k) for k in mapping) == sorted(int(v) for v in allowed)
    for timeout, row in mapping.items():
        assert int(row["Seconds"]) >= 6 * int(timeout)
    res = template["Resources"]
    assert int(res["ScanQueue"]["Properties"]["VisibilityTimeout"]) >= 6 * int(res["ScanFunction"]["Properties"]["Timeout"])


def test_test_connection_outlives_api_gateway(template):
    fn = template["Resources"]["TestConnectionFunction"]["Properties"]
    assert int(fn["Timeout"]) >= 30
    assert fn["Events"]["ConnectionTests"]["Properties"]["Auth"] == {"Authorizer": "AWS_IAM"}


def test_readme_lists_every_parameter(template):
    readme = (infra.ROOT / "README.md").read_text()
    deploying = readme[readme.index("## Deploying") :]
    missing = [p for p in template["Parameters"] if f"| `{p}` (" not in deploying]
    assert not missing, f"README's Deploying section lacks parameters {missing}"
