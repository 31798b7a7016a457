"""The CrossGuard pack itself: registry, metadata, per-stack config, the entry point and the real server."""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import runpy
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
import pulumi_azure_native
import pulumi_policy
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from ruamel.yaml import YAML

from policy import pack_config
from policy.rules import ALL_POLICIES, diagnostics, lifecycle, naming, taggable_gen, types
from policy.rules.common import ENVIRONMENTS
from tests.policy.harness import one, plan_of

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policy"

SHIPPED_RULES = 59
"""The number of policies the pack ships; change it deliberately with the rules."""


def test_rule_count_is_exact() -> None:
    assert len(ALL_POLICIES) == SHIPPED_RULES
    stack_rules = [p.name for p in ALL_POLICIES if isinstance(p, StackValidationPolicy)]
    assert stack_rules == [
        "acr-premium-for-private-endpoints",
        "prod-customer-managed-keys",
        "diagnostics-everywhere",
        "unique-global-names",
        "ado-preview-identity-read-only",
    ]
    assert sum(isinstance(p, ResourceValidationPolicy) for p in ALL_POLICIES) == SHIPPED_RULES - 5


def test_rules_are_named_described_and_configurable() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(set(names)) == len(names)
    for policy in ALL_POLICIES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", policy.name), policy.name
        assert policy.description.endswith("."), policy.name
        assert policy.config_schema is not None
        assert policy.config_schema.properties["environment"]["enum"] == list(ENVIRONMENTS)
    advisory = [p.name for p in ALL_POLICIES if p.enforcement_level == EnforcementLevel.ADVISORY]
    assert advisory == ["aks-auto-upgrade-channel", "databricks-job-pinned-source"]
    assert all(p.enforcement_level in (None, EnforcementLevel.ADVISORY) for p in ALL_POLICIES)


def test_pulumi_policy_yaml_and_requirements() -> None:
    document = YAML(typ="safe").load((PACK / "PulumiPolicy.yaml").read_text())
    assert document["runtime"]["name"] == "python"
    assert document["runtime"]["options"]["virtualenv"] == "venv"
    assert document["version"] == "0.1.0"
    assert document["description"]
    pins = [
        line.split(" ")[0]
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line and not line.startswith(("#", " "))
    ]
    assert {"pulumi==3.272.0", "pulumi-policy==1.21.0", "pyyaml==6.0.3"} <= set(pins)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_stack_config_files_are_current(environment: str) -> None:
    shipped = (PACK / "config" / f"{environment}.json").read_text()
    assert shipped == pack_config.render(environment)
    config = json.loads(shipped)
    assert list(config) == [p.name for p in ALL_POLICIES]
    assert {entry["environment"] for entry in config.values()} == {environment}
    levels = {name: entry["enforcementLevel"] for name, entry in config.items()}
    if environment == "dev":
        assert set(levels.values()) == {"advisory"}
    else:
        assert {n for n, level in levels.items() if level == "advisory"} == {
            "aks-auto-upgrade-channel",
            "databricks-job-pinned-source",
        }
        assert set(levels.values()) == {"advisory", "mandatory"}


def test_stack_enforcement() -> None:
    assert [pack_config.stack_enforcement(e) for e in ENVIRONMENTS] == [
        "advisory",
        "mandatory",
        "mandatory",
        "mandatory",
    ]


def test_taggable_types_are_current() -> None:
    sdk_root = Path(pulumi_azure_native.__file__).parent
    generated = taggable_gen.render_module(taggable_gen.taggable_types(sdk_root))
    assert (PACK / "rules" / "taggable_types.py").read_text() == generated
    from policy.rules.taggable_types import TAGGABLE_TYPES

    assert "azure-native:storage:StorageAccount" in TAGGABLE_TYPES
    assert "azure-native:storage:BlobContainerLegalHold" not in TAGGABLE_TYPES  # its `tags` is a list
    assert "azure-native:monitor:DiagnosticSetting" not in TAGGABLE_TYPES
    assert "azure-native:authorization:RoleAssignment" not in TAGGABLE_TYPES


@functools.cache
def _azure_sources(module: str) -> dict[str, str]:
    """Token → source text of every resource class in one pulumi-azure-native module (no import)."""
    root = Path(pulumi_azure_native.__file__).parent / module
    found: dict[str, str] = {}
    for source_file in sorted(root.glob("*.py")):
        text = source_file.read_text(encoding="utf-8")
        for match in re.finditer(r"super\(\w+, __self__\)\.__init__\(\s*'(azure-native:[^']+)'", text):
            found[match.group(1)] = text
    return found


def _azure_source(token: str) -> str | None:
    return _azure_sources(token.split(":")[1]).get(token)


def test_every_azure_token_the_rules_name_exists_in_the_sdk() -> None:
    tokens = {
        v
        for k, v in vars(types).items()
        if k.isupper() and isinstance(v, str) and v.startswith("azure-native:")
    }
    tokens |= set(naming.NAME_RULES) | diagnostics.DIAGNOSTICS_CAPABLE_TYPES | lifecycle.STATEFUL_TYPES
    assert [token for token in sorted(tokens) if _azure_source(token) is None] == []


def test_name_inputs_are_the_sdk_arguments() -> None:
    for token, rule in naming.NAME_RULES.items():
        source = _azure_source(token)
        assert source is not None, token
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", rule.input).lower()
        assert re.search(rf"\n\s+{snake}_?: pulumi\.Input", source), (token, rule.input)


def test_azuredevops_tokens_exist_in_the_sdk() -> None:
    import pulumi_azuredevops

    source = "".join(p.read_text() for p in Path(pulumi_azuredevops.__file__).parent.glob("service*.py"))
    assert f"'{types.ADO_SERVICE_ENDPOINT_AZURERM}'" in source
    for token in types.ADO_NOT_A_SERVICE_ENDPOINT:
        assert f"'{token}'" in source


def test_importing_the_pack_entry_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("PolicyPack was constructed on import")

    monkeypatch.setattr(pulumi_policy, "PolicyPack", refuse)
    sys.modules.pop("policy.__main__", None)
    module = importlib.import_module("policy.__main__")
    assert callable(module.build_pack)


def test_running_the_pack_entry_builds_the_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.append(kwargs))
    runpy.run_path(str(PACK / "__main__.py"), run_name="__main__")
    assert len(built) == 1
    assert built[0]["name"] == "mlops-estate"
    assert built[0]["policies"] is ALL_POLICIES
    assert built[0]["enforcement_level"] == EnforcementLevel.MANDATORY


def test_importing_the_rules_in_a_fresh_interpreter_returns() -> None:
    """A PolicyPack built on import would print a port and block: this would time out instead."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import policy.rules, infra.engine.policy_runner, policy.__main__; print('imported')",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == "imported\n"


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(value)
    return message


def test_the_real_analyzer_server_runs_the_rules_with_stack_config() -> None:
    """Start the pack as the Pulumi CLI's python analyzer would and talk to it over gRPC."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_")}
    server = subprocess.Popen(
        # What the python policy analyzer plugin runs: pulumi.policy run_path()s the pack directory.
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", str(PACK)],
        cwd=PACK,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        stdout = server.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], 60)
        assert ready, "the pack did not print its port"
        port = int(stdout.readline().decode().strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)]) as channel:
            stub = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "mlops-estate"
            assert [p.name for p in info.policies] == [p.name for p in ALL_POLICIES]
            levels = {p.name: p.enforcementLevel for p in info.policies}
            assert levels["aks-auto-upgrade-channel"] == analyzer_pb2.ADVISORY
            assert levels["storage-shared-key-disabled"] == analyzer_pb2.MANDATORY

            config = json.loads((PACK / "config" / "prod.json").read_text())
            request = analyzer_pb2.ConfigureAnalyzerRequest()
            for name, entry in config.items():
                request.policyConfig[name].enforcementLevel = analyzer_pb2.EnforcementLevel.Value(
                    entry["enforcementLevel"].upper()
                )
                request.policyConfig[name].properties.update({"environment": entry["environment"]})
            stub.Configure(request, timeout=30)

            storage = next(
                e
                for e in plan_of(
                    one("storage", {"allow_shared_key_access": True, "tags": {"environment": "dev"}}), "prod"
                )
                if e["type"] == "azure-native:storage:StorageAccount"
            )
            response = stub.Analyze(
                analyzer_pb2.AnalyzeRequest(
                    type=storage["type"],
                    urn=storage["urn"],
                    name=storage["name"],
                    properties=_struct(storage["inputs"]),
                    options=analyzer_pb2.AnalyzerResourceOptions(protect=True),
                ),
                timeout=30,
            )
            found = sorted(
                (d.policyName, d.message.split("\n", 1)[1], d.enforcementLevel) for d in response.diagnostics
            )
            mandatory = analyzer_pb2.MANDATORY
            st = "azure-native:storage:StorageAccount 'storage'"
            assert found == [
                (
                    "explicit-provider",
                    f"{st}: `opts.provider` is absent; expected an explicit provider resource "
                    "(ResourceOptions(provider=...)), not a default provider",
                    mandatory,
                ),
                (
                    "required-tags",
                    f'{st}: `tags.environment` is "dev"; expected "prod" (the stack environment)',
                    mandatory,
                ),
                (
                    "storage-shared-key-disabled",
                    f"{st}: `allowSharedKeyAccess` is true; expected false",
                    mandatory,
                ),
            ]
            assert {n.policy_name for n in response.not_applicable} == {"retain-stateful-resources"}

            # Stack rules get property dependencies from the engine instead of the runner's id matching.
            la_urn = "urn:pulumi:prod::mlops-estate::azure-native:operationalinsights:Workspace::log"
            st_urn = "urn:pulumi:prod::mlops-estate::azure-native:storage:StorageAccount::storage"
            diag = analyzer_pb2.AnalyzerResource(
                type="azure-native:monitor:DiagnosticSetting",
                urn="urn:pulumi:prod::mlops-estate::azure-native:monitor:DiagnosticSetting::diag-log",
                name="diag-log",
                properties=_struct(
                    {
                        "resourceUri": "<la id>",
                        "workspaceId": "<la id>",
                        "logs": [{"categoryGroup": "allLogs", "enabled": True}],
                    }
                ),
            )
            diag.propertyDependencies["resourceUri"].urns.append(la_urn)
            diag.propertyDependencies["workspaceId"].urns.append(la_urn)
            stack_response = stub.AnalyzeStack(
                analyzer_pb2.AnalyzeStackRequest(
                    resources=[
                        analyzer_pb2.AnalyzerResource(
                            type="azure-native:operationalinsights:Workspace",
                            urn=la_urn,
                            name="log",
                            properties=_struct({"workspaceName": "log-estate-prod"}),
                        ),
                        analyzer_pb2.AnalyzerResource(
                            type="azure-native:storage:StorageAccount",
                            urn=st_urn,
                            name="storage",
                            properties=_struct(storage["inputs"]),
                        ),
                        diag,
                    ]
                ),
                timeout=30,
            )
            assert [
                (d.policyName, d.urn, d.message.split("\n", 1)[1]) for d in stack_response.diagnostics
            ] == [
                (
                    "diagnostics-everywhere",
                    st_urn,
                    f"{st}: `azure-native:monitor:DiagnosticSetting.resourceUri` is absent; expected a diagnostic "
                    "setting whose resourceUri is this resource's id, sending to Log Analytics",
                )
            ]
            assert json_format.MessageToDict(info)["name"] == "mlops-estate"
    finally:
        server.kill()
        server.wait(timeout=30)


def test_readme_lists_every_rule_as_shipped() -> None:
    rows = [line for line in (PACK / "README.md").read_text().splitlines() if line.startswith("| `")]
    expected = [
        f"| `{p.name}` | {'stack' if isinstance(p, StackValidationPolicy) else 'resource'} | "
        f"{'advisory' if p.enforcement_level == EnforcementLevel.ADVISORY else 'per stack'} | {p.description} |"
        for p in ALL_POLICIES
    ]
    assert rows == expected
