"""AWS CPU prices (USD/hour, Linux) transcribed for the bundled catalog.

GPU instances come from tools/catalog_data/aws_on_demand.csv (see
tools/extract_catalog_sources.py). The CPU-only m5zn rows below are from SkyPilot's AWS
catalog (github.com/skypilot-org/skypilot-catalog, catalogs/v7/aws/vms.csv, built from the
AWS Price List and spot price history): region -> (on-demand, lowest regular-zone spot).
That file does not date its prices, so ``as_of`` is the day it was read.
"""

SKYPILOT_SOURCE = ("skypilot-catalog v7 aws/vms.csv (AWS Price List + spot price history; "
                   "undated, as_of = read)")
SKYPILOT_AS_OF = "2026-11-23"

Prices = dict[str, tuple[float, float | None]]
PriceTable = dict[str, tuple[float, float, str | None, int, float | None, Prices]]

AWS_SKYPILOT: PriceTable = {
    "m5zn.xlarge": (4, 16, None, 0, None, {
        "ap-northeast-1": (0.4267, 0.1591), "ap-northeast-2": (0.406, 0.1508),
        "ap-southeast-1": (0.413, 0.2076), "ap-southeast-2": (0.413, 0.1803),
        "eu-central-1": (0.3957, 0.1621), "eu-west-1": (0.3682, 0.1716),
        "us-east-1": (0.3303, 0.1273), "us-east-2": (0.3303, 0.1545),
        "us-west-1": (0.3854, 0.1784), "us-west-2": (0.3303, 0.1141),
    }),
}
