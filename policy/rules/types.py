"""Resource type tokens the rules match, checked against the installed SDKs (see tests/policy)."""

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
KEY_VAULT = "azure-native:keyvault:Vault"
KEY_VAULT_KEY = "azure-native:keyvault:Key"
CONTAINER_REGISTRY = "azure-native:containerregistry:Registry"
AML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
AML_REGISTRY = "azure-native:machinelearningservices:Registry"
AML_ONLINE_DEPLOYMENT = "azure-native:machinelearningservices:OnlineDeployment"
AML_BATCH_DEPLOYMENT = "azure-native:machinelearningservices:BatchDeployment"
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
APP_INSIGHTS = "azure-native:applicationinsights:Component"
LOG_ANALYTICS = "azure-native:operationalinsights:Workspace"
WEB_APP = "azure-native:web:WebApp"
VM_SCALE_SET = "azure-native:compute:VirtualMachineScaleSet"
DATABRICKS_WORKSPACE = "azure-native:databricks:Workspace"
DATA_FACTORY = "azure-native:datafactory:Factory"
EVENT_GRID_TOPIC = "azure-native:eventgrid:Topic"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
PRIVATE_ENDPOINT = "azure-native:network:PrivateEndpoint"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
ADO_SERVICE_ENDPOINT_AZURERM = "azuredevops:index/serviceEndpointAzureRM:ServiceEndpointAzureRM"

ADO_SERVICE_ENDPOINT_PREFIXES: tuple[str, ...] = (
    "azuredevops:index/serviceEndpoint",
    "azuredevops:index/serviceendpoint",
)
"""Both spellings the pulumi-azuredevops SDK uses for service connection tokens."""

ADO_NOT_A_SERVICE_ENDPOINT: frozenset[str] = frozenset(
    {"azuredevops:index/serviceendpointPermissions:ServiceendpointPermissions"}
)
"""Tokens under the service endpoint prefixes that are not service connections."""
