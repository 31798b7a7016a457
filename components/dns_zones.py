"""Private DNS zones: the one table of the private-link zones the estate uses.

A private endpoint's DNS zone group writes the endpoint's A record into the zone of its
private-link sub-resource (group id), so clients in the VNet resolve the service's public
name to the private address. ``Network`` creates and links the zones; ``PrivateEndpoint``
registers into them; nothing else names a zone.
"""

from __future__ import annotations

AZUREML_API = "privatelink.api.azureml.ms"
AZUREML_NOTEBOOKS = "privatelink.notebooks.azure.net"
BLOB = "privatelink.blob.core.windows.net"
FILE = "privatelink.file.core.windows.net"
DFS = "privatelink.dfs.core.windows.net"
QUEUE = "privatelink.queue.core.windows.net"
TABLE = "privatelink.table.core.windows.net"
KEY_VAULT = "privatelink.vaultcore.azure.net"
CONTAINER_REGISTRY = "privatelink.azurecr.io"
WEB_APPS = "privatelink.azurewebsites.net"
DATABRICKS = "privatelink.azuredatabricks.net"
DATA_FACTORY = "privatelink.datafactory.azure.net"
DATA_FACTORY_PORTAL = "privatelink.adf.azure.com"

GROUP_ZONES: dict[str, tuple[str, ...]] = {
    "amlworkspace": (AZUREML_API, AZUREML_NOTEBOOKS),
    "amlregistry": (AZUREML_API,),
    "blob": (BLOB,),
    "file": (FILE,),
    "dfs": (DFS,),
    "queue": (QUEUE,),
    "table": (TABLE,),
    "vault": (KEY_VAULT,),
    "registry": (CONTAINER_REGISTRY,),
    "sites": (WEB_APPS,),
    "databricks_ui_api": (DATABRICKS,),
    "browser_authentication": (DATABRICKS,),
    "dataFactory": (DATA_FACTORY,),
    "portal": (DATA_FACTORY_PORTAL,),
}
"""Private-link sub-resources (group ids) and the DNS zones their records live in."""

CORE_ZONES: tuple[str, ...] = (
    AZUREML_API,
    AZUREML_NOTEBOOKS,
    BLOB,
    FILE,
    DFS,
    QUEUE,
    TABLE,
    KEY_VAULT,
    CONTAINER_REGISTRY,
    WEB_APPS,
)
"""Zones of the private-link services every environment uses: Azure ML workspace and registry
(api, notebooks), storage (blob, file, dfs, queue, table), Key Vault, ACR, Function Apps."""

OPTIONAL_ZONES: tuple[str, ...] = (DATABRICKS, DATA_FACTORY, DATA_FACTORY_PORTAL)
"""Zones added when the environment uses Databricks or Data Factory."""


def zones_of(group_id: str) -> tuple[str, ...]:
    """The zones a private endpoint of ``group_id`` registers in (empty when unknown)."""
    return GROUP_ZONES.get(group_id, ())
