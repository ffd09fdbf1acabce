"""Azure list prices (USD/hour, Linux, pay-as-you-go and Spot) transcribed for the bundled catalog.

Source: SkyPilot's Azure catalog (github.com/skypilot-org/skypilot-catalog,
catalogs/v6/azure/vms.csv, built by SkyPilot from the Azure Retail Prices API). That
catalog only covers US regions; the EU, Asia and Australia rows come from
catalog_sources_azure_eu_asia.py (on-demand only, no spot in that source).

Corrections applied, with reasons:
- Standard_ND96isr_H100_v5 has 8 H100 GPUs (SkyPilot's row says 12).
- Where SkyPilot's spot price equals the on-demand price (the H100 v5 sizes), Azure sells
  no spot discount for that size in the source, so spot is left empty (None).
"""

SOURCE = "skypilot-catalog v6 azure/vms.csv (Azure Retail Prices API)"

# instance -> (vcpus, memory_gib, accelerator, count, accelerator_memory_gib,
#              {region: (usd_per_hour, spot_usd_per_hour or None)})
Prices = dict[str, tuple[float, float | None]]
PriceTable = dict[str, tuple[float, float, str | None, int, float | None, Prices]]

AZURE: PriceTable = {
    "Standard_NC4as_T4_v3": (4, 28, "T4", 1, 16, {
        "centralus": (0.594, 0.06534), "eastus": (0.526, 0.062699), "eastus2": (0.526, 0.05786),
        "northcentralus": (0.526, 0.05786), "southcentralus": (0.631, 0.06941),
        "westus": (0.631, 0.06941), "westus2": (0.526, 0.061595), "westus3": (0.526, 0.05786),
    }),
    "Standard_NC64as_T4_v3": (64, 440, "T4", 4, 16, {
        "centralus": (4.907, 0.53977), "eastus": (4.352, 0.518758), "eastus2": (4.352, 0.47872),
        "northcentralus": (4.352, 0.47872), "southcentralus": (5.222, 0.57442),
        "westus": (5.222, 0.57442), "westus2": (4.352, 0.509619), "westus3": (4.352, 0.47872),
    }),
    "Standard_NV36ads_A10_v5": (36, 440, "A10", 1, 24, {
        "eastus": (3.2, 0.8), "eastus2": (3.2, 0.8), "northcentralus": (3.84, 0.96),
        "southcentralus": (3.84, 0.96), "westus": (4.16, 1.04), "westus2": (3.2, 0.8),
        "westus3": (3.2, 0.8),
    }),
    "Standard_NC6s_v3": (6, 112, "V100", 1, 16, {
        "centralus": (3.458, 0.394212), "eastus": (3.06, 0.3978), "eastus2": (3.06, 0.404838),
        "southcentralus": (3.366, 0.388773), "westus": (3.978, 0.459061),
        "westus2": (3.06, 0.35343), "westus3": (3.06, 0.3366),
    }),
    "Standard_NC24s_v3": (24, 448, "V100", 4, 16, {
        "centralus": (13.831, 1.576734), "eastus": (12.24, 1.5912), "eastus2": (12.24, 1.619352),
        "southcentralus": (13.464, 1.555092), "westus": (15.912, 1.836245),
        "westus2": (12.24, 1.41372), "westus3": (12.24, 1.3464),
    }),
    "Standard_ND96asr_v4": (96, 900, "A100", 8, 40, {
        "eastus": (27.197, 2.99167), "southcentralus": (32.63, 3.5893), "westus2": (27.197, 2.99167),
    }),
    "Standard_NC24ads_A100_v4": (24, 220, "A100-80GB", 1, 80, {
        "centralus": (4.15, 0.4565), "eastus": (3.673, 0.444433), "eastus2": (3.673, 0.47749),
        "southcentralus": (4.408, 0.57304), "westus": (4.775, 0.647968),
        "westus2": (3.673, 0.615962), "westus3": (3.673, 0.40403),
    }),
    "Standard_ND96amsr_A100_v4": (96, 1800, "A100-80GB", 8, 80, {
        "eastus": (32.77, 3.6047), "eastus2": (32.77, 3.611254), "southcentralus": (39.324, 4.32564),
    }),
    "Standard_NC40ads_H100_v5": (40, 320, "H100", 1, 94, {
        "eastus": (6.98, None), "eastus2": (6.98, None), "southcentralus": (8.38, None),
        "westus3": (6.98, None),
    }),
    "Standard_ND96isr_H100_v5": (96, 1900, "H100", 8, 80, {
        "eastus": (98.32, None), "eastus2": (98.32, None), "westus": (127.816, None),
    }),
    "Standard_DS3_v2": (4, 14, None, 0, None, {
        "centralus": (0.293, 0.03223), "eastus": (0.293, 0.03223), "eastus2": (0.229, 0.02977),
        "northcentralus": (0.293, 0.03809), "southcentralus": (0.254, 0.02794),
        "westcentralus": (0.254, 0.03302), "westus": (0.279, 0.03069), "westus2": (0.229, 0.02977),
        "westus3": (0.229, 0.025282),
    }),
    "Standard_DS4_v2": (8, 28, None, 0, None, {
        "centralus": (0.585, 0.06435), "eastus": (0.585, 0.06435), "eastus2": (0.458, 0.05954),
        "northcentralus": (0.585, 0.07605), "southcentralus": (0.509, 0.05599),
        "westcentralus": (0.509, 0.06617), "westus": (0.559, 0.06149), "westus2": (0.458, 0.05954),
        "westus3": (0.458, 0.050563),
    }),
}
