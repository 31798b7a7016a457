"""DevOpsProject: project (or reference), repository, default-branch policies, build definitions."""

from __future__ import annotations

from typing import cast

import pytest

from components.devops_project import DevOpsProject, DevOpsProjectArgs
from infra.errors import ConfigError
from tests.support.template import ABSENT, Template

PROJECT = "azuredevops:index/project:Project"
GIT = "azuredevops:index/git:Git"
BUILD = "azuredevops:index/buildDefinition:BuildDefinition"
REVIEWERS = "azuredevops:index/branchPolicyMinReviewers:BranchPolicyMinReviewers"
VALIDATION = "azuredevops:index/branchPolicyBuildValidation:BranchPolicyBuildValidation"
COMMENTS = "azuredevops:index/branchPolicyCommentResolution:BranchPolicyCommentResolution"
WORK_ITEMS = "azuredevops:index/branchPolicyWorkItemLinking:BranchPolicyWorkItemLinking"
PIPELINES = {
    "ci": "pipelines/ci.yml",
    "infra-preview": "pipelines/infra-preview.yml",
    "release": "pipelines/release.yml",
}


def build(**extra):
    def program():
        import pulumi_azuredevops as azuredevops

        provider = azuredevops.Provider("ado", org_service_url="https://dev.azure.com/contoso")
        DevOpsProject(
            "devops",
            # Tests feed untyped (also invalid) args on purpose: the component validates them.
            cast(
                DevOpsProjectArgs,
                {
                    "project_name": "mlops-estate",
                    "devops_provider": provider,
                    "pipelines": PIPELINES,
                    **extra,
                },
            ),
        )

    return Template.from_function(program)


def _own(t: Template) -> dict[str, int]:
    return {k: v for k, v in t.count_by_type().items() if not k.startswith("pulumi:")}


def test_defaults():
    t = build()
    assert _own(t) == {
        "mlops:delivery:DevOpsProject": 1,
        PROJECT: 1,
        GIT: 1,
        BUILD: 3,
        REVIEWERS: 1,
        VALIDATION: 2,
        COMMENTS: 1,
    }
    project = t.resource(PROJECT, "devops-project")
    assert project["protect"] is True
    t.has_resource_properties(
        PROJECT,
        {
            "name": "mlops-estate",
            "visibility": "private",
            "versionControl": "Git",
            "features": {"testplans": "disabled", "artifacts": "disabled"},
        },
    )
    repo = t.resource(GIT, "devops-repository")
    assert repo["protect"] is True and repo["ignoreChanges"] == ["initialization"]
    assert repo["inputs"] == {
        "projectId": project["id"],
        "name": "mlops-estate",
        "defaultBranch": "refs/heads/main",
        "initialization": {"initType": "Clean"},
    }
    for name, path in PIPELINES.items():
        t.has_resource_properties(
            BUILD,
            {
                "name": name,
                "path": "\\mlops-estate",
                "projectId": project["id"],
                "jobAuthorizationScope": "project",
                "ciTrigger": {"useYaml": True},
                "repository": {
                    "repoType": "TfsGit",
                    "repoId": repo["id"],
                    "ymlPath": path,
                    "branchName": "refs/heads/main",
                },
            },
        )
    scope = [{"repositoryId": repo["id"], "repositoryRef": "refs/heads/main", "matchType": "Exact"}]
    t.has_resource_properties(
        REVIEWERS,
        {
            "enabled": True,
            "blocking": True,
            "settings": {
                "reviewerCount": 2,
                "submitterCanVote": False,
                "lastPusherCannotApprove": True,
                "onPushResetApprovedVotes": True,
                "allowCompletionWithRejectsOrWaits": False,
                "scopes": scope,
            },
        },
    )
    for pipeline in ("ci", "infra-preview"):
        definition = t.resource(BUILD, f"devops-pipeline-{pipeline}")
        t.has_resource_properties(
            VALIDATION,
            {
                "blocking": True,
                "settings": {
                    "displayName": f"{pipeline} must pass",
                    "buildDefinitionId": int(definition["id"]),
                    "validDuration": 720,
                    "manualQueueOnly": False,
                    "scopes": scope,
                },
            },
        )
    t.has_resource_properties(COMMENTS, {"blocking": True, "settings": {"scopes": scope}})
    for resource in t.resources:
        if resource["type"].startswith("azuredevops:index/"):
            assert "pulumi:providers:azuredevops::ado::" in resource["provider"], resource["name"]


def test_max():
    t = build(
        existing_project=False,
        description="d",
        repository_name="estate",
        default_branch="trunk",
        pipelines_folder="\\estate\\ci",
        branch_policy={
            "min_reviewers": 3,
            "require_comment_resolution": True,
            "require_linked_work_items": True,
            "build_validation_expiry_minutes": 0,
            "validation_pipelines": ["ci"],
        },
    )
    t.resource_count_is(VALIDATION, 1)
    t.resource_count_is(WORK_ITEMS, 1)
    t.has_resource_properties(GIT, {"name": "estate", "defaultBranch": "refs/heads/trunk"})
    t.has_resource_properties(REVIEWERS, {"settings": {"reviewerCount": 3}})
    t.has_resource_properties(VALIDATION, {"settings": {"validDuration": 0, "displayName": "ci must pass"}})
    t.all_resources_properties(
        BUILD, {"path": "\\estate\\ci", "repository": {"branchName": "refs/heads/trunk"}}
    )
    t.has_resource_properties(
        WORK_ITEMS, {"blocking": True, "settings": {"scopes": [{"repositoryRef": "refs/heads/trunk"}]}}
    )


def test_waf_aligned_existing_project_without_comment_policy():
    t = build(existing_project=True, branch_policy={"require_comment_resolution": False})
    t.resource_count_is(PROJECT, 0)
    t.resource_count_is(COMMENTS, 0)
    # the project is looked up by name: the repository and definitions use the found id
    repo = t.resource(GIT, "devops-repository")
    assert repo["inputs"]["projectId"] == t.find_resources(BUILD)[0]["inputs"]["projectId"]
    assert repo["inputs"]["projectId"] != ABSENT


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pipelines": {}}, "DevOpsProject args.pipelines: needs at least one pipeline YAML"),
        (
            {"pipelines": {"ci": "/abs/ci.yml"}},
            "DevOpsProject args.pipelines.ci: '/abs/ci.yml' is not a repository-relative",
        ),
        (
            {"branch_policy": {"min_reviewers": 0}},
            "DevOpsProject args.branch_policy.min_reviewers: 0 must be 1-10",
        ),
        (
            {"branch_policy": {"validation_pipelines": ["nightly"]}},
            "DevOpsProject args.branch_policy.validation_pipelines: ['nightly'] are not pipelines",
        ),
        ({"project_name": " "}, "DevOpsProject args.project_name: is required"),
    ],
)
def test_bad_args(extra, message):
    with pytest.raises(ConfigError) as err:
        build(**extra)
    assert message in str(err.value)
