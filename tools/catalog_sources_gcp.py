"""GCP prices (USD/hour, on-demand and Spot) transcribed for the bundled catalog.

Source: SkyPilot's GCP catalog (github.com/skypilot-org/skypilot-catalog,
catalogs/v7/gcp/vms.csv, built by SkyPilot from the Cloud Billing Catalog API); the
same rows' format is in ../shared/data/catalogs/skypilot-v8-subset, which the generator
imports directly for a2/a3 (A100, A100-80GB, H100). Zones of one region share a price
in the source; one row per region is kept. GPUs are billed on top of the host VM:
g2-standard-4 = host + 1 L4 (us-central1: 0.14679 + 0.56004 = 0.70683, GCP's list price),
n1-standard-4+T4x1 and n1-standard-4+V100x1 = n1-standard-4 + 1 GPU. The Asian T4 rows
were not transcribed, so GCP T4 is EU/US/IL only.
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

# Host VM prices (region -> (on-demand, spot)); GCP bills the GPUs on top (SkyPilot's rows).
GCP_HOSTS: dict[str, tuple[float, float, Prices]] = {  # name -> (vcpus, memory_gib, prices)
    "g2-standard-4": (4, 16, {
        "asia-east1": (0.16997, 0.04114), "asia-northeast1": (0.18851, 0.07542),
        "asia-northeast3": (0.18851, 0.03478), "asia-south1": (0.1528, 0.0611),
        "asia-southeast1": (0.1811, 0.07244), "europe-west1": (0.16163, 0.05044),
        "europe-west2": (0.16714, 0.06579), "europe-west3": (0.173, 0.06789),
        "europe-west4": (0.15429, 0.06174), "us-central1": (0.14679, 0.05874),
        "us-east1": (0.14679, 0.05874), "us-east4": (0.14631, 0.05851),
        "us-west1": (0.14679, 0.05874), "us-west4": (0.16533, 0.04322),
    }),
    "n1-standard-4": (4, 15, {
        "asia-east1": (0.22, 0.04223), "asia-northeast1": (0.24376, 0.06662),
        "asia-northeast3": (0.24376, 0.0539), "asia-south1": (0.2282, 0.04682),
        "asia-south2": (0.2282, 0.06682), "asia-southeast1": (0.23439, 0.04556),
        "europe-north1": (0.20918, 0.07212), "europe-west1": (0.20901, 0.0658),
        "europe-west2": (0.24479, 0.05093), "europe-west3": (0.24479, 0.06956),
        "europe-west4": (0.20917, 0.07782), "me-west1": (0.209, 0.03738),
        "us-central1": (0.19, 0.04815), "us-east1": (0.19, 0.04815),
        "us-east4": (0.21398, 0.0452), "us-west1": (0.19, 0.04815),
        "us-west3": (0.22822, 0.06611), "us-west4": (0.21398, 0.05154),
    }),
}

GCP_T4_GPU_1: dict[str, tuple[float, float]] = {
    "europe-west1": (0.35, 0.14), "europe-west2": (0.399, 0.0952), "europe-west3": (0.41, 0.164),
    "europe-west4": (0.3675, 0.14), "me-west1": (0.385, 0.0804), "us-central1": (0.35, 0.14),
    "us-east1": (0.35, 0.14), "us-east4": (0.37, 0.1123), "us-west1": (0.35, 0.14),
    "us-west3": (0.42074, 0.164), "us-west4": (0.37, 0.1258),
}

GCP_V100_GPU_1: dict[str, tuple[float, float]] = {
    "asia-east1": (2.48, 0.8792), "europe-west4": (2.604, 0.7148), "us-central1": (2.48, 0.992),
    "us-east1": (2.48, 0.992), "us-west1": (2.48, 0.992),
}

# offering name -> (host, accelerator, accelerator_memory_gib, GPU prices); one GPU each.
GCP_GPU_OFFERINGS = {
    "g2-standard-4": ("g2-standard-4", "L4", 24, GCP_L4_GPU_1),
    "n1-standard-4+T4x1": ("n1-standard-4", "T4", 16, GCP_T4_GPU_1),
    "n1-standard-4+V100x1": ("n1-standard-4", "V100", 16, GCP_V100_GPU_1),
}


def gcp_gpu_table() -> PriceTable:
    """Host + GPU per region, where both are priced (GCP bills them separately)."""
    out: PriceTable = {}
    for name, (host, accel, accel_mem, gpu_prices) in GCP_GPU_OFFERINGS.items():
        vcpus, mem, host_prices = GCP_HOSTS[host]
        prices: Prices = {}
        for region, (gpu_usd, gpu_spot) in gpu_prices.items():
            if region in host_prices:
                host_usd, host_spot = host_prices[region]
                prices[region] = (round(host_usd + gpu_usd, 6), round(host_spot + gpu_spot, 6))
        out[name] = (vcpus, mem, accel, 1, accel_mem, prices)
    return out
