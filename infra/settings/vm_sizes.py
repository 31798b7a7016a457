"""VM sizes a managed online deployment accepts, vendored (the check runs offline).

Source: the Azure Machine Learning reference page "Managed online endpoints SKU list"
(learn.microsoft.com/azure/machine-learning/reference-managed-online-endpoints-vm-sku-list;
MicrosoftDocs/azure-ai-docs, ``articles/machine-learning/reference-managed-online-endpoints-vm-sku-list.md``,
commit 1d987e37c168d7ef6eaeb8441da7967a197aac00), read {RETRIEVED}. Names compare
case-insensitively (Azure does). Whether a size is offered *in a region*, and whether the
subscription has quota for it, cannot be checked offline: a listed size can still fail at
deploy time in a region that lacks it.
"""

from __future__ import annotations

SOURCE = "Azure Machine Learning 'Managed online endpoints SKU list' (learn.microsoft.com)"
RETRIEVED = "2026-12-03"

MANAGED_ONLINE_SIZES: frozenset[str] = frozenset(
    {
        "STANDARD_D2AS_V4",
        "STANDARD_D4AS_V4",
        "STANDARD_D8AS_V4",
        "STANDARD_D16AS_V4",
        "STANDARD_D32AS_V4",
        "STANDARD_D48AS_V4",
        "STANDARD_D64AS_V4",
        "STANDARD_D96AS_V4",
        "STANDARD_D2A_V4",
        "STANDARD_D4A_V4",
        "STANDARD_D8A_V4",
        "STANDARD_D16A_V4",
        "STANDARD_D32A_V4",
        "STANDARD_D48A_V4",
        "STANDARD_D64A_V4",
        "STANDARD_D96A_V4",
        "STANDARD_DS1_V2",
        "STANDARD_DS2_V2",
        "STANDARD_DS3_V2",
        "STANDARD_DS4_V2",
        "STANDARD_DS5_V2",
        "STANDARD_E2S_V3",
        "STANDARD_E4S_V3",
        "STANDARD_E8S_V3",
        "STANDARD_E16S_V3",
        "STANDARD_E32S_V3",
        "STANDARD_E48S_V3",
        "STANDARD_E64S_V3",
        "STANDARD_F2S_V2",
        "STANDARD_F4S_V2",
        "STANDARD_F8S_V2",
        "STANDARD_F16S_V2",
        "STANDARD_F32S_V2",
        "STANDARD_F48S_V2",
        "STANDARD_F64S_V2",
        "STANDARD_F72S_V2",
        "STANDARD_FX4MDS",
        "STANDARD_FX12MDS",
        "STANDARD_FX24MDS",
        "STANDARD_FX36MDS",
        "STANDARD_FX48MDS",
        "STANDARD_L8AS_V3",
        "STANDARD_L16AS_V3",
        "STANDARD_L32AS_V3",
        "STANDARD_L48AS_V3",
        "STANDARD_L64AS_V3",
        "STANDARD_L80AS_V3",
        "STANDARD_L8S_V2",
        "STANDARD_L16S_V2",
        "STANDARD_L32S_V2",
        "STANDARD_L48S_V2",
        "STANDARD_L64S_V2",
        "STANDARD_L80S_V2",
        "STANDARD_L8S_V3",
        "STANDARD_L16S_V3",
        "STANDARD_L32S_V3",
        "STANDARD_L48S_V3",
        "STANDARD_L64S_V3",
        "STANDARD_L80S_V3",
        "STANDARD_NC24ADS_A100_V4",
        "STANDARD_NC48ADS_A100_V4",
        "STANDARD_NC96ADS_A100_V4",
        "STANDARD_NC4AS_T4_V3",
        "STANDARD_NC8AS_T4_V3",
        "STANDARD_NC16AS_T4_V3",
        "STANDARD_NC64AS_T4_V3",
        "STANDARD_NC6S_V2",
        "STANDARD_NC12S_V2",
        "STANDARD_NC24S_V2",
        "STANDARD_NC6S_V3",
        "STANDARD_NC12S_V3",
        "STANDARD_NC24S_V3",
        "STANDARD_NC40ADS_H100_V5",
        "STANDARD_NC80ADIS_H100_V5",
        "STANDARD_ND96AMSR_A100_V4",
        "STANDARD_ND96ASR_V4",
        "STANDARD_ND40RS_V2",
        "STANDARD_ND96IS_H100_V5",
        "STANDARD_ND96ISR_H100_V5",
        "STANDARD_NV6ADS_A10_V5",
        "STANDARD_NV12ADS_A10_V5",
        "STANDARD_NV18ADS_A10_V5",
        "STANDARD_NV36ADS_A10_V5",
        "STANDARD_NV36ADMS_A10_V5",
        "STANDARD_NV72ADS_A10_V5",
    }
)


def is_managed_online_size(size: str) -> bool:
    """Whether ``size`` is on the vendored managed online endpoint SKU list."""
    return size.upper() in MANAGED_ONLINE_SIZES


def describe_unknown(size: str) -> str:
    """The refusal text for a size not on the list (names the source and its date)."""
    return (
        f"'{size}' is not a VM size managed online endpoints accept (list: {SOURCE}, "
        f"retrieved {RETRIEVED}; e.g. Standard_DS3_v2, Standard_E4s_v3, Standard_F4s_v2); "
        "per-region availability cannot be checked offline"
    )
