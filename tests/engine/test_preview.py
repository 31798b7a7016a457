"""The offline preview engine: runs the real program, answers like Azure, leaves nothing unknown."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_azure_native as azure_native
import pytest

from infra.cli import main
from infra.engine import EngineError, dumps, preview, preview_function, stacks
from tests.support.project import copy_project, edit_stack

ARM_ID = re.compile(
    r"^/subscriptions/[0-9a-f-]{36}/resourceGroups/[A-Za-z0-9_.()-]+(/providers/[A-Za-z.]+/[^/]+/[^/]+)*(/providers/.+)?$"
)
PLAN_KEYS = {
    "urn",
    "type",
    "name",
    "parent",
    "custom",
    "provider",
    "id",
    "inputs",
    "outputs",
    "dependencies",
    "protect",
    "retainOnDelete",
    "ignoreChanges",
    "deleteBeforeReplace",
}


@pytest.fixture(scope="module")
def plans():
    return {stack: preview(stack) for stack in stacks()}


def test_every_stack_previews(plans):
    assert list(plans) == ["shared", "dev", "qa", "prod"]
    for stack, plan in plans.items():
        assert plan["schema"] == "mlops-estate/plan@1"
        assert plan["project"] == "mlops-estate"
        assert plan["stack"] == stack
        assert plan["resources"][0]["type"] == "pulumi:pulumi:Stack"


def test_plans_are_byte_identical_across_runs(plans):
    again = preview("prod", cache=False)
    before = {r["urn"]: r for r in plans["prod"]["resources"]}
    differences = [
        (r["urn"], key)
        for r in again["resources"]
        for key in r
        if r["urn"] in before and before[r["urn"]][key] != r[key]
    ]
    assert differences == []
    assert dumps(again) == dumps(plans["prod"])


def test_every_resource_has_the_plan_fields_and_its_parent(plans):
    for plan in plans.values():
        urns = {r["urn"] for r in plan["resources"]}
        for resource in plan["resources"]:
            assert PLAN_KEYS <= set(resource), resource["urn"]
            if resource["type"] != "pulumi:pulumi:Stack":
                assert resource["parent"] in urns, resource["urn"]
            assert set(resource["dependencies"]) <= urns, resource["urn"]


def test_no_value_is_unknown(plans):
    for plan in plans.values():
        assert "<unknown>" not in json.dumps(plan)
        assert "04da6b54-80e4-46f7-96ec-b56ff0331ba9" not in json.dumps(plan)


def test_azure_resources_have_arm_ids_and_explicit_providers(plans):
    for plan in plans.values():
        for resource in plan["resources"]:
            if resource["type"].startswith("azure-native:"):
                assert ARM_ID.match(resource["id"]), resource["id"]
                assert resource["provider"] and resource["provider"].startswith(
                    f"urn:pulumi:{plan['stack']}::mlops-estate::pulumi:providers:azure-native::"
                ), resource["urn"]


def test_urns_carry_the_whole_parent_type_chain_without_the_root_stack(plans):
    """The engine's URN form: a top-level resource names its own type only; a nested one the
    qualified type of its parent, all the way up (three levels for a private endpoint inside a
    PrivateEndpoint component inside the Databricks workspace)."""
    resources = {r["urn"]: r for r in plans["qa"]["resources"]}
    for urn, resource in resources.items():
        chain = urn.split("::")[2]
        parent = resource["parent"]
        if resource["type"] == "pulumi:pulumi:Stack":
            assert parent is None and chain == "pulumi:pulumi:Stack"
        elif resources[parent]["type"] == "pulumi:pulumi:Stack":
            assert chain == resource["type"], urn
        else:
            assert chain == parent.split("::")[2] + "$" + resource["type"], urn
    assert (
        "urn:pulumi:qa::mlops-estate::mlops:databricks:DatabricksWorkspace$mlops:private_endpoint:"
        "PrivateEndpoint$azure-native:network:PrivateEndpoint::databricks-ui-api-pe"
    ) in resources


def test_ids_use_the_stack_subscription(plans):
    group = next(r for r in plans["prod"]["resources"] if r["type"] == "azure-native:resources:ResourceGroup")
    assert (
        group["id"] == "/subscriptions/6e4c2a0b-9d8f-4a7e-b5c3-3f2e1d0c9b87/resourceGroups/rg-mlops-prod-weu"
    )


def test_stack_reference_sees_the_real_shared_outputs(plans):
    reference = next(r for r in plans["prod"]["resources"] if r["type"] == "pulumi:pulumi:StackReference")
    assert reference["inputs"] == {"name": "organization/mlops-estate/shared"}
    assert reference["read"] is True
    assert reference["id"] == "organization/mlops-estate/shared"


def test_preview_json_cli_writes_the_schema(tmp_path, capsys):
    out = tmp_path / "p.json"
    code = main(["preview", "prod", "--json", str(out), "--quiet"])
    capsys.readouterr()
    assert code == 0
    plan = json.loads(out.read_text())
    assert plan["schema"] == "mlops-estate/plan@1"
    assert plan["policy"]["enforcement"] == "mandatory"
    assert [v for v in plan["policy"]["violations"] if v["enforcement"] == "mandatory"] == []
    assert out.read_text() == dumps(plan)


def test_tree_output_reads_like_pulumi(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")  # wide enough for whole type names, whatever runs the tests
    assert main(["preview", "dev", "--no-policy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Previewing update (dev) [offline]:")
    assert " +   pulumi:pulumi:Stack" in out
    assert "├─ azure-native:resources:ResourceGroup" in out
    assert re.search(r"Resources:\n    \+ \d+ to create", out)


def test_secure_values_stay_masked_and_secret(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "p")
    monkeypatch.chdir(project)
    edit_stack(
        project,
        "dev",
        lambda c: c["mlops-estate:tags"].__setitem__(
            "extra", {"ticket": {"secure": "v1:AAABAJl0ZXN0Y2lwaGVydGV4dA=="}}
        ),
    )
    plan = preview("dev", policy=False)
    group = next(r for r in plan["resources"] if r["type"] == "azure-native:resources:ResourceGroup")
    assert group["inputs"]["tags"]["ticket"] == "[secret]"
    assert "v1:AAAB" not in json.dumps(plan)


def test_unanswered_output_is_an_error_naming_the_input():
    def program():
        provider = azure_native.Provider("p", subscription_id="00000000-0000-0000-0000-000000000001")
        group = azure_native.resources.ResourceGroup(
            "g",
            resource_group_name="rg",
            location="westeurope",
            opts=pulumi.ResourceOptions(provider=provider),
        )
        azure_native.resources.ResourceGroup(
            "h",
            resource_group_name=group.managed_by,
            location="westeurope",
            opts=pulumi.ResourceOptions(provider=provider),
        )

    with pytest.raises(EngineError) as err:
        preview_function(program)
    assert "azure-native:resources:ResourceGroup 'h': inputs.resourceGroupName" in str(err.value)


def test_unknown_resource_type_is_an_error():
    def program():
        provider = azure_native.Provider("p", subscription_id="00000000-0000-0000-0000-000000000001")
        azure_native.cdn.Profile(
            "cdn",
            resource_group_name="rg",
            sku=azure_native.cdn.SkuArgs(name="Standard_Microsoft"),
            opts=pulumi.ResourceOptions(provider=provider),
        )

    with pytest.raises(Exception) as err:
        preview_function(program)
    assert "no Azure answer for resource type 'azure-native:cdn:Profile'" in str(err.value)


def test_unknown_invoke_is_an_error():
    def program():
        azure_native.resources.get_resource_group(resource_group_name="rg")

    with pytest.raises(Exception) as err:
        preview_function(program)
    assert "does not know the invoke 'azure-native:resources:getResourceGroup'" in str(err.value)


def test_known_invoke_is_answered():
    seen: dict[str, str] = {}

    def program():
        config = azure_native.authorization.get_client_config_output()
        config.subscription_id.apply(lambda v: seen.setdefault("sub", v))

    preview_function(program)
    assert re.fullmatch(r"[0-9a-f-]{36}", seen["sub"])


def test_resource_without_provider_fails_when_default_providers_are_disabled(tmp_path, monkeypatch):
    from infra.engine.project import StackConfig
    from infra.engine.runner import _run

    config = StackConfig(stack="unit", file=tmp_path / "Pulumi.unit.yaml", values={}, secret_keys=[])
    with pytest.raises(Exception) as err:
        _run(
            lambda: azure_native.resources.ResourceGroup(
                "g", resource_group_name="rg", location="westeurope"
            ),
            project_name="mlops-estate",
            directory=tmp_path,
            config=config,
            argv0="unit",
            stack_references=None,
            disabled_default_providers=["azure-native"],
            location="westeurope",
        )
    assert "has no explicit provider, and the default 'azure-native' provider is disabled" in str(err.value)


# (stack) -> (all registrations incl. the stack, Azure/DevOps/Databricks resources, components, providers)
EXACT_COUNTS = {
    "shared": (56, 47, 6, 3),
    "dev": (121, 107, 10, 3),
    "qa": (234, 208, 21, 4),
    "prod": (317, 281, 31, 4),
}


@pytest.mark.parametrize("stack", list(EXACT_COUNTS))
def test_exact_resource_counts_per_stack(plans, stack):
    resources = plans[stack]["resources"]
    counts = (
        len(resources),
        sum(1 for r in resources if r["custom"] and not r["type"].startswith("pulumi:")),
        sum(1 for r in resources if not r["custom"]),
        sum(1 for r in resources if r["type"].startswith("pulumi:providers:")),
    )
    assert counts == EXACT_COUNTS[stack]


def test_every_custom_resource_names_a_provider_of_its_own_package(plans):
    for plan in plans.values():
        for resource in plan["resources"]:
            if resource["custom"] and not resource["type"].startswith("pulumi:"):
                package = resource["type"].split(":", 1)[0]
                if package == "pulumi-python":  # dynamic resources run in the program itself
                    continue
                assert f"pulumi:providers:{package}::" in (resource["provider"] or ""), resource["urn"]


def test_an_edit_to_the_shared_stack_reaches_the_environment_plan(tmp_path, monkeypatch):
    project = copy_project(tmp_path / "p")
    monkeypatch.chdir(project)

    def registry_of(plan):
        reference = next(r for r in plan["resources"] if r["type"].endswith(":OnlineDeployment"))
        return reference["inputs"]["properties"]["model"].split("/")[3]

    before = registry_of(preview("dev", policy=False))
    edit_stack(project, "shared", lambda c: c.__setitem__("mlops-estate:workload", "mlx"))
    after = registry_of(preview("dev", policy=False))
    assert before == "mlr-mlops-weu-qvsj9"
    assert after.startswith("mlr-mlx-weu-") and after != before
