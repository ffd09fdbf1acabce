"""GCP prices the dated roll-up in tools/catalog_data/gcp_machine_types.csv lacks.

1. Attached GPUs on n1 hosts (T4, V100). The roll-up prices machine types, not attachable
   GPUs, so these rows are the n1-standard-4 host from the roll-up plus one GPU at the rate
   in SkyPilot's GCP catalog (github.com/skypilot-org/skypilot-catalog, catalogs/v7/gcp/
   vms.csv, from the Cloud Billing Catalog API): region -> (on-demand, Spot) per GPU-hour.
   These are GCP's standing list rates (T4 $0.35, V100 $2.48 in us-central1).
2. a3-ultragpu-8g (8 x H200, 224 vCPU, 2,952 GiB): not in the roll-up. Whole-VM prices from
   the per-GPU instance share of the Cloud Billing Catalog API published in the
   huggingface.co/datasets/tanod/cloud-gpu-list-prices snapshot of 2026-10-13 (x 8 GPUs);
   regions where that snapshot gives an on-demand price only.
"""

GCP_ATTACHED_SOURCE = "GPU: skypilot-catalog v7 gcp/vms.csv"

# offering name -> (host machine type, accelerator, accelerator memory GiB, {region: (usd, spot)})
GCP_ATTACHED: dict[str, tuple[str, str, int, dict[str, tuple[float, float]]]] = {
    "n1-standard-4+T4x1": ("n1-standard-4", "T4", 16, {
        "europe-west1": (0.35, 0.14), "europe-west2": (0.399, 0.0952), "europe-west3": (0.41, 0.164),
        "europe-west4": (0.3675, 0.14), "me-west1": (0.385, 0.0804), "us-central1": (0.35, 0.14),
        "us-east1": (0.35, 0.14), "us-east4": (0.37, 0.1123), "us-west1": (0.35, 0.14),
        "us-west3": (0.42074, 0.164), "us-west4": (0.37, 0.1258),
    }),
    "n1-standard-4+V100x1": ("n1-standard-4", "V100", 16, {
        "asia-east1": (2.48, 0.8792), "europe-west4": (2.604, 0.7148), "us-central1": (2.48, 0.992),
        "us-east1": (2.48, 0.992), "us-west1": (2.48, 0.992),
    }),
}

GCP_A3_ULTRA_SOURCE = "gcp-cloud-billing-catalog (huggingface tanod/cloud-gpu-list-prices, per-GPU share x 8)"
GCP_A3_ULTRA_AS_OF = "2026-10-13"
Prices = dict[str, tuple[float, float | None]]
GCP_A3_ULTRA: dict[str, tuple[float, float, str | None, int, float | None, Prices]] = {
    "a3-ultragpu-8g": (224, 2952, "H200", 8, 141, {
        "us-central1": (83.492, 50.0856), "us-east4": (83.492, 45.0856), "us-west1": (83.492, 50.0856),
        "europe-west1": (91.9472, 55.1552), "asia-south1": (100.196, 54.244),
    }),
}
