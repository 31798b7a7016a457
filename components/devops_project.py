"""The Azure DevOps project of the estate (shared stack): project, Git repository, policies on the
default branch and one YAML build definition per pipeline file.

Branch policies on the default branch: a minimum number of reviewers (the pusher's own vote
does not count, votes reset on new pushes), build validation by the CI pipeline and by the
infrastructure preview pipeline (both blocking, valid for a set time after the target moves),
comment resolution, and optionally linked work items. Build definitions run their YAML from
the repository's default branch; triggers come from the YAML (Azure Repos pull requests are
driven by the build-validation policies, not by ``pr:``).

The project is created, or an existing one is referenced by name (``existing_project``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NotRequired, TypedDict

import pulumi

from components.common import arg_error, check_unknown_args, require

if TYPE_CHECKING:
    import pulumi_azuredevops as azuredevops

COMPONENT = "DevOpsProject"


class BranchPolicyArgs(TypedDict):
    """Policies on the default branch."""

    min_reviewers: NotRequired[int]
    """Optional. @default 2"""
    require_comment_resolution: NotRequired[bool]
    """Optional. @default True"""
    require_linked_work_items: NotRequired[bool]
    """Optional. @default False"""
    build_validation_expiry_minutes: NotRequired[int]
    """Optional. @default 720"""
    validation_pipelines: NotRequired[list[str]]
    """Optional. Pipelines (keys of ``pipelines``) that must pass on every pull request.
    @default ["ci", "infra-preview"] where present"""


class DevOpsProjectArgs(TypedDict):
    """Arguments of :class:`DevOpsProject`."""

    project_name: str
    """Required. The Azure DevOps project."""
    devops_provider: pulumi.ProviderResource
    """Required. The explicit ``pulumi_azuredevops.Provider`` of the stack."""
    pipelines: dict[str, str]
    """Required. Pipeline name → YAML path in the repository (``pipelines/ci.yml``)."""
    existing_project: NotRequired[bool]
    """Optional. Reference the project instead of creating it. @default False"""
    description: NotRequired[str]
    """Optional. Project description. @default a sentence about the estate"""
    repository_name: NotRequired[str]
    """Optional. @default mlops-estate"""
    default_branch: NotRequired[str]
    """Optional. @default main"""
    pipelines_folder: NotRequired[str]
    """Optional. Build definition folder. @default \\\\mlops-estate"""
    branch_policy: NotRequired[BranchPolicyArgs]
    """Optional. @default 2 reviewers, comment resolution, CI + infra-preview validation"""


def validate_args(args: DevOpsProjectArgs) -> tuple[dict[str, str], list[str], int]:
    """Every argument check of :class:`DevOpsProject`: the pipelines, the validation pipelines and
    the reviewer count (raises ConfigError)."""
    check_unknown_args(COMPONENT, args, DevOpsProjectArgs)
    require(COMPONENT, args, "project_name", "devops_provider")
    pipelines = dict(args.get("pipelines") or {})
    if not pipelines:
        raise arg_error(COMPONENT, "pipelines", "needs at least one pipeline YAML")
    for pipeline, path in pipelines.items():
        if not path.endswith((".yml", ".yaml")) or path.startswith("/"):
            raise arg_error(
                COMPONENT, f"pipelines.{pipeline}", f"'{path}' is not a repository-relative YAML path"
            )
    policy: BranchPolicyArgs = args.get("branch_policy", {})
    min_reviewers = policy.get("min_reviewers", 2)
    if not 1 <= min_reviewers <= 10:
        raise arg_error(COMPONENT, "branch_policy.min_reviewers", f"{min_reviewers} must be 1-10")
    validation = list(
        policy.get("validation_pipelines", [p for p in ("ci", "infra-preview") if p in pipelines])
    )
    missing = [p for p in validation if p not in pipelines]
    if missing:
        raise arg_error(
            COMPONENT,
            "branch_policy.validation_pipelines",
            f"{missing} are not pipelines (pipelines: {', '.join(sorted(pipelines))})",
        )
    return pipelines, validation, min_reviewers


class DevOpsProject(pulumi.ComponentResource):
    """Project, repository, branch policies, build definitions (``mlops:delivery:DevOpsProject``)."""

    project_id: pulumi.Output[str]
    """The project id."""
    project_name: str
    """The project name."""
    repository_id: pulumi.Output[str]
    """The Git repository id."""
    pipeline_ids: dict[str, pulumi.Output[str]]
    """Build definition ids by pipeline name."""

    def __init__(
        self, name: str, args: DevOpsProjectArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:delivery:DevOpsProject", name, {}, opts)
        pipelines, validation, min_reviewers = validate_args(args)
        self._name = name
        self._args = args
        self._ado = pulumi.ResourceOptions(parent=self, provider=args["devops_provider"])
        project_id = self._project()
        repository = self._repository(project_id)
        definitions = self._definitions(project_id, repository, pipelines)
        self._policies(project_id, repository, definitions, validation, min_reviewers)

        self.project_id = project_id
        self.project_name = args["project_name"]
        self.repository_id = repository.id
        self.pipeline_ids = {p: d.id for p, d in definitions.items()}
        self.register_outputs(
            {
                "project_id": self.project_id,
                "repository_id": self.repository_id,
                "pipeline_ids": self.pipeline_ids,
            }
        )

    def _project(self) -> pulumi.Output[str]:
        """The project (created, protected) or the id of an existing one."""
        import pulumi_azuredevops as azuredevops

        args = self._args
        if args.get("existing_project", False):
            found = azuredevops.get_project_output(
                name=args["project_name"],
                opts=pulumi.InvokeOptions(parent=self, provider=args["devops_provider"]),
            )
            return found.id
        project = azuredevops.Project(
            f"{self._name}-project",
            name=args["project_name"],
            description=args.get("description", "mlops-estate: Azure ML platform, models and their delivery"),
            visibility="private",
            version_control="Git",
            work_item_template="Agile",
            features={
                "boards": "enabled",
                "repositories": "enabled",
                "pipelines": "enabled",
                "testplans": "disabled",
                "artifacts": "disabled",
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args["devops_provider"], protect=True),
        )
        return project.id

    def _repository(self, project_id: pulumi.Output[str]) -> azuredevops.Git:
        import pulumi_azuredevops as azuredevops

        args = self._args
        return azuredevops.Git(
            f"{self._name}-repository",
            project_id=project_id,
            name=args.get("repository_name", "mlops-estate"),
            default_branch=f"refs/heads/{args.get('default_branch', 'main')}",
            initialization=azuredevops.GitInitializationArgs(init_type="Clean"),
            opts=pulumi.ResourceOptions(
                parent=self, provider=args["devops_provider"], protect=True, ignore_changes=["initialization"]
            ),
        )

    def _definitions(
        self, project_id: pulumi.Output[str], repository: azuredevops.Git, pipelines: dict[str, str]
    ) -> dict[str, azuredevops.BuildDefinition]:
        """One YAML build definition per pipeline file, run from the default branch."""
        import pulumi_azuredevops as azuredevops

        definitions: dict[str, azuredevops.BuildDefinition] = {}
        for pipeline, path in sorted(pipelines.items()):
            definitions[pipeline] = azuredevops.BuildDefinition(
                f"{self._name}-pipeline-{pipeline}",
                project_id=project_id,
                name=pipeline,
                path=self._args.get("pipelines_folder", "\\mlops-estate"),
                repository=azuredevops.BuildDefinitionRepositoryArgs(
                    repo_type="TfsGit",
                    repo_id=repository.id,
                    branch_name=repository.default_branch,
                    yml_path=path,
                ),
                ci_trigger=azuredevops.BuildDefinitionCiTriggerArgs(use_yaml=True),
                job_authorization_scope="project",
                queue_status="enabled",
                opts=self._ado,
            )
        return definitions

    def _policies(
        self,
        project_id: pulumi.Output[str],
        repository: azuredevops.Git,
        definitions: dict[str, azuredevops.BuildDefinition],
        validation: list[str],
        min_reviewers: int,
    ) -> None:
        """Reviewers, build validation, comment resolution and work items on the default branch."""
        import pulumi_azuredevops as azuredevops

        name = self._name
        ado = self._ado
        policy: BranchPolicyArgs = self._args.get("branch_policy", {})
        repository_id = repository.id
        ref = repository.default_branch
        azuredevops.BranchPolicyMinReviewers(
            f"{name}-policy-reviewers",
            project_id=project_id,
            enabled=True,
            blocking=True,
            settings=azuredevops.BranchPolicyMinReviewersSettingsArgs(
                reviewer_count=min_reviewers,
                submitter_can_vote=False,
                last_pusher_cannot_approve=True,
                allow_completion_with_rejects_or_waits=False,
                on_push_reset_approved_votes=True,
                scopes=[
                    azuredevops.BranchPolicyMinReviewersSettingsScopeArgs(
                        repository_id=repository_id, repository_ref=ref, match_type="Exact"
                    )
                ],
            ),
            opts=ado,
        )
        expiry = policy.get("build_validation_expiry_minutes", 720)
        for pipeline in validation:
            azuredevops.BranchPolicyBuildValidation(
                f"{name}-policy-build-{pipeline}",
                project_id=project_id,
                enabled=True,
                blocking=True,
                settings=azuredevops.BranchPolicyBuildValidationSettingsArgs(
                    display_name=f"{pipeline} must pass",
                    build_definition_id=definitions[pipeline].id.apply(int),
                    valid_duration=expiry,
                    manual_queue_only=False,
                    queue_on_source_update_only=False,
                    scopes=[
                        azuredevops.BranchPolicyBuildValidationSettingsScopeArgs(
                            repository_id=repository_id, repository_ref=ref, match_type="Exact"
                        )
                    ],
                ),
                opts=ado,
            )
        if policy.get("require_comment_resolution", True):
            azuredevops.BranchPolicyCommentResolution(
                f"{name}-policy-comments",
                project_id=project_id,
                enabled=True,
                blocking=True,
                settings=azuredevops.BranchPolicyCommentResolutionSettingsArgs(
                    scopes=[
                        azuredevops.BranchPolicyCommentResolutionSettingsScopeArgs(
                            repository_id=repository_id, repository_ref=ref, match_type="Exact"
                        )
                    ]
                ),
                opts=ado,
            )
        if policy.get("require_linked_work_items", False):
            azuredevops.BranchPolicyWorkItemLinking(
                f"{name}-policy-work-items",
                project_id=project_id,
                enabled=True,
                blocking=True,
                settings=azuredevops.BranchPolicyWorkItemLinkingSettingsArgs(
                    scopes=[
                        azuredevops.BranchPolicyWorkItemLinkingSettingsScopeArgs(
                            repository_id=repository_id, repository_ref=ref, match_type="Exact"
                        )
                    ]
                ),
                opts=ado,
            )
