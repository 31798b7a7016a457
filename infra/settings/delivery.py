"""Delivery: the Azure DevOps project (shared), environments and approvals, self-hosted agents."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from infra.settings.base import StrictModel

APPROVER_GROUP = re.compile(r"^\[[^\]\\]+\]\\[^\\]+$")
"""``[scope]\\group``: one bracketed scope, one backslash, a group name."""


class BranchPolicySettings(StrictModel):
    """Policies on the default branch."""

    min_reviewers: int = Field(default=2, ge=1, le=10)
    """Optional. Approvals a pull request needs. @default 2"""
    require_comment_resolution: bool = True
    """Optional. All comments resolved before merge. @default true"""
    require_linked_work_items: bool = False
    """Optional. A work item linked to every pull request. @default false"""
    build_validation_expiry_minutes: int = Field(default=720, ge=0, le=10080)
    """Optional. How long a passing CI / infrastructure-preview build stays valid after the target
    branch moves (0: until the next push to the pull request). @default 720 (12 hours)"""


class ApprovalSettings(StrictModel):
    """The approval check on an environment (qa, prod)."""

    approver_group: str = Field(min_length=3, max_length=256)
    """Required. The Azure DevOps group that approves, as ``[<project>]\\<group>``, e.g.
    [mlops]\\Release Approvers (the project part names the scope; the group must exist)."""
    timeout_minutes: int = Field(default=1440, ge=5, le=43200)
    """Optional. How long an approval waits. @default 1440 (one day)"""
    min_approvers: int = Field(default=1, ge=1, le=10)
    """Optional. @default 1"""

    @field_validator("approver_group")
    @classmethod
    def _check_group(cls, value: str) -> str:
        if not APPROVER_GROUP.match(value):
            raise PydanticCustomError(
                "approver_group",
                "'{value}' is not an Azure DevOps group as [<project or organization>]\\<group name>, "
                'e.g. [mlops-estate]\\Release Approvers (in YAML: "[mlops-estate]\\\\Release Approvers")',
                {"value": value},
            )
        return value

    @property
    def group_scope(self) -> str:
        """The ``[scope]`` part of :attr:`approver_group` without brackets."""
        return self.approver_group[1 : self.approver_group.index("]")]

    @property
    def group_name(self) -> str:
        """The group's display name (after the backslash)."""
        return self.approver_group.split("\\", 1)[1]


class DevOpsProjectSettings(StrictModel):
    """The Azure DevOps organisation and project (shared stack)."""

    organization_url: str = Field(
        pattern=r"^https://dev\.azure\.com/[A-Za-z0-9][A-Za-z0-9-]{0,48}[A-Za-z0-9]?/?$"
    )
    """Required. e.g. https://dev.azure.com/contoso"""
    project: str = Field(min_length=1, max_length=64, pattern=r"^[^\\/:*?\"<>|;#$*{},+=\[\]]+$")
    """Required. The project name."""
    existing_project: bool = False
    """Optional. Reference an existing project instead of creating one. @default false"""
    repository: str = Field(default="mlops-estate", min_length=1, max_length=64)
    """Optional. The Git repository name. @default mlops-estate"""
    default_branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]{1,100}$")
    """Optional. @default main"""
    branch_policy: BranchPolicySettings = BranchPolicySettings()
    """Optional. @default 2 reviewers, comment resolution"""
    pipelines_folder: str = Field(default="\\mlops-estate", pattern=r"^\\[A-Za-z0-9 ._\\-]{0,200}$")
    """Optional. Folder of the build definitions in Azure Pipelines. @default \\mlops-estate"""
    approvals: ApprovalSettings | None = None
    """Optional. Approval on the ``mlops-shared`` environment (deployments of the shared stack).
    @default none (branch control only)"""


class DevOpsEnvironmentSettings(StrictModel):
    """What an environment stack declares in Azure DevOps."""

    approvals: ApprovalSettings | None = None
    """Conditional. Required in qa and prod; dev deploys without approval. @default none"""
    exclusive_lock: bool | None = None
    """Optional. Only one run at a time may use the environment (later runs queue).
    @default true in prod, false elsewhere"""


class AgentSettings(StrictModel):
    """Self-hosted Azure DevOps agents: a VM scale set in the agents subnet, as an elastic pool."""

    enabled: bool = True
    """Optional. @default true"""
    vm_size: str = Field(default="Standard_D4ds_v5", pattern=r"^Standard_[A-Za-z0-9_]+$")
    """Optional. @default Standard_D4ds_v5"""
    min_idle: int = Field(default=0, ge=0, le=100)
    """Optional. Agents kept idle and ready. @default 0 (scale to zero)"""
    max_capacity: int = Field(default=4, ge=1, le=100)
    """Optional. Upper bound of the elastic pool. @default 4"""
    ssh_public_key: str = Field(pattern=r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256) [A-Za-z0-9+/=]+( .*)?$")
    """Required. Public key of the break-glass admin (password login is disabled)."""
    time_to_live_minutes: int = Field(default=30, ge=0, le=1440)
    """Optional. How long an idle agent lives before it is deleted. @default 30"""
    recycle_after_each_use: bool = True
    """Optional. Reimage an agent's VM after every job. Pull-request previews run the pull
    request's own code on these pools, so a reused agent would carry whatever that code left
    behind into the next deployment; turn it off only for a pool no pull request uses.
    @default true"""
    os_disk_size_gb: int = Field(default=128, ge=64, le=2048)
    """Optional. OS disk of every agent (the work folder lives there). @default 128"""
    image_version: str = Field(default="latest", pattern=r"^(latest|[0-9]+\.[0-9]+\.[0-9]+)$")
    """Optional. Ubuntu 22.04 Gen2 marketplace image version; pin one (e.g. 22.04.202410020)
    to make agents reproducible. @default latest"""

    @model_validator(mode="after")
    def _check_bounds(self) -> AgentSettings:
        if self.min_idle > self.max_capacity:
            raise PydanticCustomError(
                "bounds",
                "minIdle {min} is greater than maxCapacity {max}",
                {"min": self.min_idle, "max": self.max_capacity},
            )
        return self
