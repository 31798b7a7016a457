"""The offline runner: plan entries in, sorted violations out, with the stack's enforcement."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_azure_native as azure
import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE

from infra.engine.policy_runner import Violation, evaluate
from infra.errors import ConfigError
from policy.rules import ALL_POLICIES
from tests.policy.estate_fixtures import Providers, build
from tests.policy.harness import POLICIES_BY_NAME, plan_of


def _small_estate(providers: Providers, env: str) -> None:
    """Log Analytics, a storage account with shared keys on, an AKS cluster off the upgrade channels."""
    opts = pulumi.ResourceOptions(provider=providers.azure())
    logs: list[azure.monitor.DiagnosticsLogSettingsArgsDict] = [
        {"category_group": "allLogs", "enabled": True}
    ]
    workspace = build(providers, "log_analytics", env)
    storage = build(providers, "storage", env, {"allow_shared_key_access": True})
    cluster = build(providers, "aks", env, {"auto_upgrade_profile": {"upgrade_channel": "none"}})
    for name, target in (("diag-log", workspace), ("diag-storage", storage), ("diag-aks", cluster)):
        metrics: list[azure.monitor.DiagnosticsMetricSettingsArgsDict] | None = (
            [{"category": "Transaction", "enabled": True}] if target is storage else None
        )
        azure.monitor.DiagnosticSetting(
            name,
            name="to-log",
            resource_uri=target.id,
            workspace_id=workspace.id,
            logs=None if target is storage else logs,
            metrics=metrics,
            opts=opts,
        )


@pytest.fixture(scope="module")
def small_plans() -> dict[str, list[dict[str, Any]]]:
    return {env: plan_of(_small_estate, env) for env in ("prod", "dev")}


def _urn(env: str, token: str, name: str) -> str:
    return f"urn:pulumi:{env}::mlops-estate::pulumi:pulumi:Stack${token}::{name}"


def test_whole_pack_on_a_small_prod_plan(small_plans: dict[str, list[dict[str, Any]]]) -> None:
    violations = evaluate(small_plans["prod"], environment="prod", enforcement="mandatory")
    assert [v.to_json() for v in violations] == [
        {
            "policy": "aks-auto-upgrade-channel",
            "message": "azure-native:containerservice:ManagedCluster 'aks': `autoUpgradeProfile.upgradeChannel` is "
            '"none"; expected "stable" or "patch"',
            "urn": _urn("prod", "azure-native:containerservice:ManagedCluster", "aks"),
            "enforcement": "advisory",
        },
        {
            "policy": "storage-shared-key-disabled",
            "message": "azure-native:storage:StorageAccount 'storage': `allowSharedKeyAccess` is true; expected false",
            "urn": _urn("prod", "azure-native:storage:StorageAccount", "storage"),
            "enforcement": "mandatory",
        },
    ]


def test_dev_is_advisory_and_relaxes_stage_rules(small_plans: dict[str, list[dict[str, Any]]]) -> None:
    violations = evaluate(small_plans["dev"], environment="dev", enforcement="advisory")
    assert [(v.policy, v.enforcement) for v in violations] == [
        ("aks-auto-upgrade-channel", "advisory"),
        ("storage-shared-key-disabled", "advisory"),
    ]


def test_violations_are_sorted_by_urn_then_policy_then_message(
    small_plans: dict[str, list[dict[str, Any]]],
) -> None:
    plan = copy.deepcopy(small_plans["prod"])
    for entry in plan:
        entry["inputs"].pop("tags", None)
    violations = evaluate(list(reversed(plan)), environment="prod", enforcement="mandatory")
    keys = [(v.urn or "", v.policy, v.message) for v in violations]
    assert keys == sorted(keys)
    assert len({v.urn for v in violations if v.policy == "required-tags"}) == 3
    assert evaluate(plan, environment="prod", enforcement="mandatory") == violations


def test_violation_is_frozen_and_serialises() -> None:
    violation = Violation("p", "m", "urn:x", "mandatory")
    assert violation.to_json() == {"policy": "p", "message": "m", "urn": "urn:x", "enforcement": "mandatory"}
    with pytest.raises(AttributeError):
        violation.policy = "q"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"environment": "staging", "enforcement": "mandatory"},
            "environment: unknown environment 'staging'; allowed: dev, qa, prod, shared",
        ),
        (
            {"environment": "prod", "enforcement": "blocking"},
            "enforcement: unknown enforcement level 'blocking'; allowed: mandatory, advisory",
        ),
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigError) as raised:
        evaluate([], environment=kwargs["environment"], enforcement=kwargs["enforcement"])
    assert str(raised.value) == expected


def test_default_provider_reference_is_reported(small_plans: dict[str, list[dict[str, Any]]]) -> None:
    plan = copy.deepcopy(small_plans["prod"])
    storage = next(e for e in plan if e["type"] == "azure-native:storage:StorageAccount")
    storage["provider"] = (
        "urn:pulumi:prod::mlops-estate::pulumi:providers:azure-native::default_3_29_0::"
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    )
    violations = evaluate(
        plan, environment="prod", enforcement="mandatory", policies=[POLICIES_BY_NAME["explicit-provider"]]
    )
    assert [v.message for v in violations] == [
        "azure-native:storage:StorageAccount 'storage': `opts.provider` is \"default_3_29_0\"; expected an explicit "
        "provider resource (ResourceOptions(provider=...)), not a default provider"
    ]


def test_provider_reference_by_plain_urn_resolves(small_plans: dict[str, list[dict[str, Any]]]) -> None:
    plan = copy.deepcopy(small_plans["prod"])
    for entry in plan:
        if entry["provider"]:
            entry["provider"] = entry["provider"].rsplit("::", 1)[0]
    assert (
        evaluate(
            plan,
            environment="prod",
            enforcement="mandatory",
            policies=[POLICIES_BY_NAME["explicit-provider"]],
        )
        == []
    )


def test_diagnostic_settings_match_resource_ids_case_insensitively(
    small_plans: dict[str, list[dict[str, Any]]],
) -> None:
    plan = copy.deepcopy(small_plans["prod"])
    setting = next(e for e in plan if e["name"] == "diag-storage")
    setting["inputs"]["resourceUri"] = setting["inputs"]["resourceUri"].upper()
    rule = [POLICIES_BY_NAME["diagnostics-everywhere"]]
    assert evaluate(plan, environment="prod", enforcement="mandatory", policies=rule) == []
    setting["inputs"]["resourceUri"] = setting["inputs"]["resourceUri"] + "/blobServices/default"
    assert [v.urn for v in evaluate(plan, environment="prod", enforcement="mandatory", policies=rule)] == [
        _urn("prod", "azure-native:storage:StorageAccount", "storage")
    ]


def test_unknown_values_skip_the_check(small_plans: dict[str, list[dict[str, Any]]]) -> None:
    plan = copy.deepcopy(small_plans["prod"])
    storage = next(e for e in plan if e["type"] == "azure-native:storage:StorageAccount")
    storage["inputs"]["allowSharedKeyAccess"] = UNKNOWN_BOOLEAN_VALUE
    rule = [POLICIES_BY_NAME["storage-shared-key-disabled"]]
    assert evaluate(plan, environment="prod", enforcement="mandatory", policies=rule) == []


def _entry(name: str = "thing") -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:prod::mlops-estate::test:index:Thing::{name}",
        "type": "test:index:Thing",
        "name": name,
        "parent": None,
        "custom": True,
        "provider": None,
        "id": f"/things/{name}",
        "inputs": {"size": 3},
        "outputs": {},
        "dependencies": [],
        "protect": False,
        "retainOnDelete": False,
        "ignoreChanges": [],
        "deleteBeforeReplace": False,
    }


def test_async_validations_are_awaited() -> None:
    async def validate_resource(args: ResourceValidationArgs, report: Any) -> None:
        report(f"{args.name} has size {args.props['size']}", None)

    async def validate_stack(args: Any, report: Any) -> None:
        report(f"{len(args.resources)} resources", args.resources[0].urn)

    policies = [
        ResourceValidationPolicy("async-resource", "Async resource check.", validate_resource),
        StackValidationPolicy("async-stack", "Async stack check.", validate_stack),
    ]
    violations = evaluate(
        [_entry("a"), _entry("b")], environment="qa", enforcement="mandatory", policies=policies
    )
    assert [(v.policy, v.message, v.urn.rsplit("::", 1)[-1] if v.urn else None) for v in violations] == [
        ("async-resource", "a has size 3", "a"),
        ("async-stack", "2 resources", "a"),
        ("async-resource", "b has size 3", "b"),
    ]


def test_disabled_policies_do_not_run_and_advisory_ones_stay_advisory() -> None:
    def always(args: ResourceValidationArgs, report: Any) -> None:
        report("bad", None)

    policies = [
        ResourceValidationPolicy("off", "Disabled.", always, enforcement_level=EnforcementLevel.DISABLED),
        ResourceValidationPolicy("soft", "Advisory.", always, enforcement_level=EnforcementLevel.ADVISORY),
        ResourceValidationPolicy("hard", "Pack default.", always),
    ]
    violations = evaluate([_entry()], environment="prod", enforcement="mandatory", policies=policies)
    assert [(v.policy, v.enforcement) for v in violations] == [("hard", "mandatory"), ("soft", "advisory")]


def test_the_stack_resource_is_not_validated() -> None:
    stack = _entry("stack") | {
        "type": "pulumi:pulumi:Stack",
        "urn": "urn:pulumi:prod::mlops-estate::pulumi:pulumi:Stack::mlops-estate-prod",
    }

    def always(args: ResourceValidationArgs, report: Any) -> None:
        report(args.resource_type, None)

    violations = evaluate(
        [stack],
        environment="prod",
        enforcement="mandatory",
        policies=[ResourceValidationPolicy("any", "Any.", always)],
    )
    assert violations == []


def test_retain_rule_is_not_applicable_without_the_option() -> None:
    """Under real CrossGuard the options carry no retainOnDelete: the rule says so instead of guessing."""
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(
        "azure-native:keyvault:Vault", {}, "urn:x", "kv", options, None, {"environment": "prod"}
    )
    policy = POLICIES_BY_NAME["retain-stateful-resources"]
    assert isinstance(policy, ResourceValidationPolicy)

    def report(message: str, urn: str | None = None) -> None:
        return None

    with pytest.raises(_NotApplicableError):
        policy.validate(args, report)


def test_every_policy_runs_offline_on_an_empty_plan() -> None:
    assert evaluate([], environment="shared", enforcement="mandatory") == []
    assert len(ALL_POLICIES) == len(POLICIES_BY_NAME)


def test_tree_walking_rules_skip_unknown_values_and_still_report() -> None:
    """In a real preview other resources' ids are unknown; the image rule must still see the known image."""
    entry = _entry("env") | {
        "type": "azure-native:machinelearningservices:EnvironmentVersion",
        "inputs": {
            "name": UNKNOWN_STRING_VALUE,
            "properties": {
                "autoRebuild": UNKNOWN_STRING_VALUE,
                "description": [UNKNOWN_STRING_VALUE, "x"],
                "image": "mcr.microsoft.com/azureml/sklearn:latest",
            },
        },
    }
    rule = [POLICIES_BY_NAME["container-image-not-latest"]]
    assert [
        v.message for v in evaluate([entry], environment="prod", enforcement="mandatory", policies=rule)
    ] == [
        "azure-native:machinelearningservices:EnvironmentVersion 'env': `properties.image` is "
        '"mcr.microsoft.com/azureml/sklearn:latest"; expected an image with an explicit tag other than latest '
        "(or a digest)"
    ]
