"""Delivery settings and the stack-level helpers of stacks/delivery.py (no preview needed)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from infra.engine import preview
from infra.errors import ConfigError
from infra.settings.delivery import AgentSettings, ApprovalSettings, DevOpsProjectSettings
from stacks.delivery import (
    ENV_PIPELINE_RESOURCES,
    PIPELINES_DIR,
    QUEUE_PIPELINES,
    SHARED_PIPELINE_RESOURCES,
    _permissions,
    pipeline_files,
)

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJq7mBqfS8cD6q1x5a7mLQ3HvKpP0w9Zr2yTn4uVb1Ce ops"


def test_approver_group_splits_into_scope_and_name():
    approval = ApprovalSettings.model_validate({"approverGroup": "[mlops-estate]\\Release Approvers"})
    assert (approval.group_scope, approval.group_name) == ("mlops-estate", "Release Approvers")
    assert (approval.timeout_minutes, approval.min_approvers) == (1440, 1)


@pytest.mark.parametrize("group", ["Release Approvers", "[mlops]Release", "[a]\\b\\c", "\\Release"])
def test_approver_group_must_name_a_scope(group):
    with pytest.raises(ValidationError) as err:
        ApprovalSettings.model_validate({"approverGroup": group})
    assert f"'{group}' is not an Azure DevOps group as [<project or organization>]\\<group name>" in str(
        err.value
    )


def test_agent_defaults_scale_to_zero():
    agents = AgentSettings.model_validate({"sshPublicKey": KEY})
    assert (agents.min_idle, agents.max_capacity, agents.time_to_live_minutes) == (0, 4, 30)
    assert (agents.recycle_after_each_use, agents.os_disk_size_gb, agents.image_version) == (
        True,
        128,
        "latest",
    )
    with pytest.raises(ValidationError):
        AgentSettings.model_validate({"sshPublicKey": KEY, "imageVersion": "jammy"})


def test_project_defaults():
    project = DevOpsProjectSettings.model_validate(
        {"organizationUrl": "https://dev.azure.com/contoso", "project": "mlops-estate"}
    )
    assert project.pipelines_folder == "\\mlops-estate"
    assert project.approvals is None
    assert project.branch_policy.build_validation_expiry_minutes == 720


def test_prod_cannot_drop_the_exclusive_lock():
    with pytest.raises(ConfigError) as err:
        preview(
            "prod",
            overrides={
                "mlops-estate:devops": {
                    "approvals": {"approverGroup": "[mlops-estate]\\Production Approvers"},
                    "exclusiveLock": False,
                }
            },
        )
    assert "Pulumi.prod.yaml: mlops-estate:devops.exclusiveLock: prod deployments are serialised" in str(
        err.value
    )


def test_the_removed_release_trigger_setting_is_refused():
    # Releases start from the training run that registered the version; the event relay is gone.
    with pytest.raises(ConfigError) as err:
        preview(
            "qa",
            overrides={
                "mlops-estate:devops": {
                    "releaseTrigger": True,
                    "approvals": {"approverGroup": "[mlops-estate]\\Release Approvers"},
                }
            },
        )
    assert "releaseTrigger" in str(err.value)


def test_bad_approver_group_in_a_stack_file_names_the_key():
    with pytest.raises(ConfigError) as err:
        preview(
            "qa", overrides={"mlops-estate:devops": {"approvals": {"approverGroup": "Release Approvers"}}}
        )
    assert str(err.value).startswith(
        "Pulumi.qa.yaml: mlops-estate:devops.approvals.approverGroup: 'Release Approvers'"
    )


def test_one_build_definition_per_pipeline_file():
    assert pipeline_files() == {
        "batch": "pipelines/batch.yml",
        "ci": "pipelines/ci.yml",
        "infra-deploy": "pipelines/infra-deploy.yml",
        "infra-preview": "pipelines/infra-preview.yml",
        "release": "pipelines/release.yml",
        "train": "pipelines/train.yml",
    }


def test_pipeline_files_refuses_an_empty_directory(tmp_path):
    with pytest.raises(ConfigError) as err:
        pipeline_files(tmp_path)
    assert "no pipeline YAML in" in str(err.value)


def test_permission_tables_match_the_yaml():
    """Every pipeline that names a service connection, pool or environment gets exactly those."""
    files = pipeline_files()
    for name, path in files.items():
        text = (PIPELINES_DIR.parent / path).read_text()
        uses_azure = "serviceConnection:" in text or "templates/train-model.yml" in text
        assert (name in ENV_PIPELINE_RESOURCES) == uses_azure, name
        assert (name in QUEUE_PIPELINES) == ("mlops-agents-" in text), name
        deploys = (
            "environment: mlops-" in text
            or "templates/deploy-stack.yml" in text
            or "release-stack.yml" in text
        )
        assert ("environment" in ENV_PIPELINE_RESOURCES.get(name, ())) == deploys, name
    assert set(SHARED_PIPELINE_RESOURCES) <= set(ENV_PIPELINE_RESOURCES)


def test_each_pipeline_names_the_connection_of_its_purpose():
    """The connection suffix in the YAML matches the kind of connection the pipeline is authorised for."""
    suffix = {"endpoint": "", "preview-endpoint": "-preview", "jobs-endpoint": "-jobs"}
    for name, kinds in ENV_PIPELINE_RESOURCES.items():
        text = (PIPELINES_DIR / f"{name}.yml").read_text()
        if "templates/train-model.yml" in text:  # training jobs name the connection in that template
            text += (PIPELINES_DIR / "templates" / "train-model.yml").read_text()
        names = set(re.findall(r"serviceConnection: (mlops-estate-.+)$", text, re.MULTILINE))
        if "templates/deploy-stack.yml" in text or "release-stack.yml" in text:
            continue  # the deployer connection, passed to a template
        endpoint_kinds = [k for k in kinds if k in suffix]
        assert len(endpoint_kinds) == 1, name
        assert names and all(n.endswith(suffix[endpoint_kinds[0]]) for n in names), (name, names)


def test_permissions_drop_pipelines_without_resources():
    ids = {"ci": "1", "train": "2", "release": "3"}
    assert _permissions(ENV_PIPELINE_RESOURCES, ids, ["ci", "train", "release"]) == {
        "ci": ("1", ["jobs-endpoint"]),
        "train": ("2", ["jobs-endpoint"]),
        "release": ("3", ["endpoint", "environment", "variablegroup", "release-endpoint"]),
    }
