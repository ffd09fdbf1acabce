"""Azure pay-as-you-go Linux list prices (USD/hour) for EU, Asia and Australia regions.

Source: the Azure Retail Prices API snapshot that Microsoft commits with its Karpenter
provider, github.com/Azure/karpenter-provider-azure, file
pkg/providers/pricing/zz_generated.pricing.go at commit
0499866a0874e27363395146ad4ecf5dac208e6d ("generated at 2023-12-18T14:34:50Z";
map ``initialOnDemandPrices[<armRegionName>][<armSkuName>]``). Rows from it carry
``as_of`` 2023-12-18, the date the file states. That file has on-demand prices only, so
``spot_usd_per_hour`` is empty (None) for every row here: no spot price is guessed.

How the values were checked. The provider's fetcher (pricing.go, same repository) asks the
Retail Prices API for priceType Consumption, serviceName Virtual Machines, one
armRegionName at a time, drops items whose productName ends in " Windows" and " Low
Priority" meters, and files " Spot" SKUs apart; when several remaining items share an
armSkuName the last one wins, which makes a few CPU sizes odd (D8as_v5 next to D4as_v5),
so each value used here was checked:
- the same file's eastus2 block (the one before francecentral) gives exactly the US prices
  of catalog_sources_azure.py (NC4as_T4_v3 0.526, NC24ads_A100_v4 3.673, ND96amsr_A100_v4
  32.77, ND96isr_H100_v5 98.32, NV36ads_A10_v5 3.2): the 2023 snapshot agrees with the
  newer US source for these sizes;
- within every region below, each GPU family has one regional factor over the US price for
  all its sizes (NC4as/NC8as/NC16as/NC64as_T4_v3, NC6s/NC12s/NC24s_v3,
  NC24ads/NC48ads/NC96ads_A100_v4, NV6ads/NV12ads/NV36ads_A10_v5), which a stray item (a
  licence or another meter) for one size would break;
- DS4_v2 = 2 x DS3_v2 (within 0.001) in each region, and DS3_v2 equals D3_v2 (same size,
  same Linux rate) where the file lists both.
Only values read in the file are listed; a size missing from a region's map in the file
(none of these regions lists NC40ads_H100_v5, only westeurope lists ND96asr_v4,
francecentral has no T4 size) has no row here. Vcpus, memory and GPUs of each size are
the ones in catalog_sources_azure.AZURE.
"""

from catalog_sources_azure import AZURE, Prices, PriceTable

SOURCE = ("azure-retail-prices via github.com/Azure/karpenter-provider-azure "
          "pkg/providers/pricing/zz_generated.pricing.go @0499866 (2023-12)")
AS_OF = "2023-12-18"

# instance -> {region: on-demand usd_per_hour (Linux)}
ON_DEMAND: dict[str, dict[str, float]] = {
    "Standard_NC4as_T4_v3": {
        "westeurope": 0.658, "northeurope": 0.587, "uksouth": 0.615, "germanywestcentral": 0.658,
        "swedencentral": 0.558, "japaneast": 0.710, "koreacentral": 0.647, "southeastasia": 0.736,
        "australiaeast": 0.684,
    },
    "Standard_NC64as_T4_v3": {
        "westeurope": 5.44, "northeurope": 4.853, "uksouth": 5.092, "germanywestcentral": 5.428,
        "swedencentral": 4.603, "japaneast": 5.875, "koreacentral": 5.353, "southeastasia": 6.089,
        "australiaeast": 5.658,
    },
    "Standard_NV36ads_A10_v5": {
        "westeurope": 4.16, "northeurope": 3.84, "uksouth": 4.0, "francecentral": 4.0,
        "germanywestcentral": 4.16, "swedencentral": 4.16, "japaneast": 4.64, "koreacentral": 4.32,
        "southeastasia": 4.16, "australiaeast": 4.64,
    },
    "Standard_NC6s_v3": {
        "westeurope": 3.823, "northeurope": 3.305, "uksouth": 3.589, "francecentral": 3.58,
        "japaneast": 4.194, "koreacentral": 4.234, "southeastasia": 4.234, "australiaeast": 4.234,
    },
    "Standard_NC24s_v3": {
        "westeurope": 15.292, "northeurope": 13.219, "uksouth": 14.356, "francecentral": 14.321,
        "japaneast": 16.776, "koreacentral": 16.936, "southeastasia": 16.936, "australiaeast": 16.936,
    },
    "Standard_ND96asr_v4": {"westeurope": 35.357},
    "Standard_NC24ads_A100_v4": {
        "westeurope": 4.775, "northeurope": 4.408, "uksouth": 4.591, "francecentral": 4.591,
        "swedencentral": 4.775, "japaneast": 5.326, "koreacentral": 4.959, "southeastasia": 4.775,
        "australiaeast": 5.326,
    },
    "Standard_ND96amsr_A100_v4": {
        "westeurope": 40.962, "uksouth": 40.962, "francecentral": 40.962, "swedencentral": 42.601,
        "japaneast": 47.517, "australiaeast": 47.516,
    },
    "Standard_ND96isr_H100_v5": {
        "westeurope": 127.816, "uksouth": 122.9, "swedencentral": 127.816, "japaneast": 142.564,
    },
    "Standard_DS3_v2": {
        "westeurope": 0.272, "northeurope": 0.263, "uksouth": 0.351, "francecentral": 0.351,
        "germanywestcentral": 0.266, "swedencentral": 0.272, "japaneast": 0.409, "koreacentral": 0.330,
        "southeastasia": 0.316, "australiaeast": 0.336,
    },
    "Standard_DS4_v2": {
        "westeurope": 0.544, "northeurope": 0.527, "uksouth": 0.702, "francecentral": 0.702,
        "germanywestcentral": 0.532, "swedencentral": 0.544, "japaneast": 0.818, "koreacentral": 0.660,
        "southeastasia": 0.631, "australiaeast": 0.673,
    },
}


def azure_eu_asia_table() -> PriceTable:
    """The prices above with each size's specs from catalog_sources_azure; spot is None."""
    out: PriceTable = {}
    for name, by_region in ON_DEMAND.items():
        vcpus, mem, accel, count, accel_mem, _ = AZURE[name]
        prices: Prices = {region: (usd, None) for region, usd in by_region.items()}
        out[name] = (vcpus, mem, accel, count, accel_mem, prices)
    return out
