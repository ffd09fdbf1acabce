"""GCP prices (USD/hour, on-demand and Spot) transcribed for the bundled catalog.

Source: SkyPilot's GCP catalog (github.com/skypilot-org/skypilot-catalog,
catalogs/v7/gcp/vms.csv, built by SkyPilot from the Cloud Billing Catalog API); the
same rows' format is in ../shared/data/catalogs/skypilot-v8-subset, which the generator
imports directly for a2/a3 (A100, A100-80GB, H100). Zones of one region share a price
in the source; one row per region is kept.
"""

SOURCE = "skypilot-catalog v7 gcp/vms.csv (Cloud Billing Catalog API)"

# instance -> (vcpus, memory_gib, accelerator, count, accelerator_memory_gib,
#              {region: (usd_per_hour, spot_usd_per_hour or None)})
Prices = dict[str, tuple[float, float | None]]
PriceTable = dict[str, tuple[float, float, str | None, int, float | None, Prices]]

GCP: PriceTable = {
    "t2d-standard-2": (2, 8, None, 0, None, {
        "asia-east1": (0.09783, 0.00881), "asia-northeast1": (0.1084, 0.01444),
        "asia-south1": (0.05577, 0.01368), "asia-southeast1": (0.10423, 0.01931),
        "europe-north1": (0.09303, 0.00836), "europe-west1": (0.09295, 0.01263),
        "europe-west2": (0.10885, 0.01419), "europe-west3": (0.10885, 0.02547),
        "europe-west4": (0.09302, 0.02003), "us-central1": (0.08449, 0.00913),
        "us-east1": (0.08449, 0.00913), "us-east4": (0.09516, 0.02152),
        "us-west1": (0.08449, 0.00913), "us-west4": (0.09516, 0.0091),
    }),
}

# GPU prices that SkyPilot lists separately and that are added to the host VM's price
# (region -> (usd_per_hour, spot)) for 1 GPU.
GCP_L4_GPU_1: dict[str, tuple[float, float]] = {
    "asia-east1": (0.64847, 0.2118), "asia-northeast1": (0.7192, 0.2853),
    "asia-northeast3": (0.7192, 0.1481), "asia-south1": (0.58298, 0.2321),
    "asia-southeast1": (0.69092, 0.2384), "europe-west1": (0.61666, 0.2291),
    "europe-west2": (0.63765, 0.242), "europe-west3": (0.66085, 0.264),
    "europe-west4": (0.58804, 0.2106), "us-central1": (0.56004, 0.2231),
    "us-east1": (0.56004, 0.2231), "us-east4": (0.55821, 0.2233),
    "us-west1": (0.56004, 0.2231), "us-west4": (0.63077, 0.1774),
}
