"""The world the benchmark generator draws from: regions, instance families, prices,
on-prem and edge hardware, cities, teams and per-accelerator speeds.

Facts at list-price level (USD per hour) and approximate coordinates; used only by
:mod:`generate`.
"""

from __future__ import annotations

from tierplan.model import CPU, Network

HORIZON = 730.0
NETWORK = Network(base_ms=5.0, ms_per_km=0.02)

# ------------------------------------------------------------------------------ data

# (provider, region, lat, lon, jurisdiction, price multiplier vs. the provider's US list)
REGIONS: tuple[tuple[str, str, float, float, str, float], ...] = (
    ("aws", "us-east-1", 38.9, -77.4, "US", 1.00),
    ("aws", "us-east-2", 40.0, -83.0, "US", 1.00),
    ("aws", "us-west-1", 37.4, -122.0, "US", 1.12),
    ("aws", "us-west-2", 45.8, -119.7, "US", 1.00),
    ("aws", "ca-central-1", 45.5, -73.6, "CA", 1.10),
    ("aws", "ca-west-1", 51.0, -114.1, "CA", 1.12),
    ("aws", "sa-east-1", -23.5, -46.6, "BR", 1.55),
    ("aws", "eu-west-1", 53.3, -6.3, "IE", 1.10),
    ("aws", "eu-west-2", 51.5, -0.1, "GB", 1.16),
    ("aws", "eu-west-3", 48.9, 2.35, "FR", 1.16),
    ("aws", "eu-central-1", 50.1, 8.7, "DE", 1.18),
    ("aws", "eu-central-2", 47.4, 8.5, "CH", 1.25),
    ("aws", "eu-north-1", 59.3, 18.1, "SE", 1.06),
    ("aws", "eu-south-1", 45.5, 9.2, "IT", 1.17),
    ("aws", "eu-south-2", 41.6, -0.9, "ES", 1.15),
    ("aws", "me-central-1", 25.2, 55.3, "AE", 1.22),
    ("aws", "il-central-1", 32.1, 34.8, "IL", 1.20),
    ("aws", "af-south-1", -33.9, 18.4, "ZA", 1.30),
    ("aws", "ap-northeast-1", 35.7, 139.7, "JP", 1.26),
    ("aws", "ap-northeast-2", 37.6, 127.0, "KR", 1.22),
    ("aws", "ap-northeast-3", 34.7, 135.5, "JP", 1.26),
    ("aws", "ap-southeast-1", 1.35, 103.8, "SG", 1.24),
    ("aws", "ap-southeast-2", -33.9, 151.2, "AU", 1.25),
    ("aws", "ap-southeast-3", -6.2, 106.8, "ID", 1.24),
    ("aws", "ap-south-1", 19.1, 72.9, "IN", 1.14),
    ("aws", "ap-south-2", 17.4, 78.5, "IN", 1.14),
    ("aws", "ap-east-1", 22.3, 114.2, "HK", 1.32),
    ("gcp", "us-central1", 41.3, -95.9, "US", 1.00),
    ("gcp", "us-east1", 33.2, -80.0, "US", 1.00),
    ("gcp", "us-east4", 39.0, -77.5, "US", 1.12),
    ("gcp", "us-east5", 39.96, -83.0, "US", 1.00),
    ("gcp", "us-south1", 32.8, -96.8, "US", 1.18),
    ("gcp", "us-west1", 45.6, -121.2, "US", 1.00),
    ("gcp", "us-west2", 34.05, -118.2, "US", 1.20),
    ("gcp", "us-west4", 36.2, -115.1, "US", 1.12),
    ("gcp", "northamerica-northeast1", 45.5, -73.6, "CA", 1.10),
    ("gcp", "northamerica-northeast2", 43.7, -79.4, "CA", 1.10),
    ("gcp", "southamerica-east1", -23.5, -46.6, "BR", 1.50),
    ("gcp", "europe-west1", 50.4, 3.8, "BE", 1.10),
    ("gcp", "europe-west2", 51.5, -0.1, "GB", 1.20),
    ("gcp", "europe-west3", 50.1, 8.7, "DE", 1.20),
    ("gcp", "europe-west4", 53.4, 6.8, "NL", 1.10),
    ("gcp", "europe-west6", 47.4, 8.5, "CH", 1.28),
    ("gcp", "europe-west8", 45.5, 9.2, "IT", 1.18),
    ("gcp", "europe-west9", 48.9, 2.35, "FR", 1.18),
    ("gcp", "europe-southwest1", 40.4, -3.7, "ES", 1.18),
    ("gcp", "europe-north1", 60.6, 27.2, "FI", 1.10),
    ("gcp", "europe-central2", 52.2, 21.0, "PL", 1.20),
    ("gcp", "me-west1", 32.1, 34.8, "IL", 1.22),
    ("gcp", "asia-east1", 24.1, 120.5, "TW", 1.15),
    ("gcp", "asia-east2", 22.3, 114.2, "HK", 1.30),
    ("gcp", "asia-northeast1", 35.7, 139.7, "JP", 1.28),
    ("gcp", "asia-northeast2", 34.7, 135.5, "JP", 1.28),
    ("gcp", "asia-northeast3", 37.6, 127.0, "KR", 1.28),
    ("gcp", "asia-south1", 19.1, 72.9, "IN", 1.20),
    ("gcp", "asia-southeast1", 1.35, 103.8, "SG", 1.23),
    ("gcp", "asia-southeast2", -6.2, 106.8, "ID", 1.25),
    ("gcp", "australia-southeast1", -33.9, 151.2, "AU", 1.30),
    ("gcp", "australia-southeast2", -37.8, 145.0, "AU", 1.30),
    ("azure", "eastus", 37.4, -79.8, "US", 1.00),
    ("azure", "eastus2", 36.7, -78.4, "US", 1.00),
    ("azure", "centralus", 41.6, -93.6, "US", 1.05),
    ("azure", "northcentralus", 41.9, -87.6, "US", 1.05),
    ("azure", "southcentralus", 29.4, -98.5, "US", 1.02),
    ("azure", "westus", 37.8, -122.4, "US", 1.10),
    ("azure", "westus2", 47.2, -119.9, "US", 1.00),
    ("azure", "westus3", 33.4, -112.1, "US", 1.00),
    ("azure", "canadacentral", 43.7, -79.4, "CA", 1.10),
    ("azure", "canadaeast", 46.8, -71.2, "CA", 1.10),
    ("azure", "brazilsouth", -23.5, -46.6, "BR", 1.55),
    ("azure", "westeurope", 52.4, 4.9, "NL", 1.12),
    ("azure", "northeurope", 53.3, -6.3, "IE", 1.08),
    ("azure", "francecentral", 48.9, 2.35, "FR", 1.15),
    ("azure", "germanywestcentral", 50.1, 8.7, "DE", 1.18),
    ("azure", "swedencentral", 60.7, 17.1, "SE", 1.05),
    ("azure", "norwayeast", 59.9, 10.8, "NO", 1.20),
    ("azure", "switzerlandnorth", 47.4, 8.5, "CH", 1.28),
    ("azure", "italynorth", 45.5, 9.2, "IT", 1.18),
    ("azure", "polandcentral", 52.2, 21.0, "PL", 1.18),
    ("azure", "spaincentral", 40.4, -3.7, "ES", 1.16),
    ("azure", "uksouth", 51.5, -0.1, "GB", 1.16),
    ("azure", "ukwest", 51.5, -3.2, "GB", 1.18),
    ("azure", "uaenorth", 25.3, 55.3, "AE", 1.24),
    ("azure", "southafricanorth", -26.2, 28.0, "ZA", 1.30),
    ("azure", "centralindia", 18.6, 73.9, "IN", 1.12),
    ("azure", "southindia", 12.9, 80.2, "IN", 1.12),
    ("azure", "japaneast", 35.7, 139.7, "JP", 1.26),
    ("azure", "japanwest", 34.7, 135.5, "JP", 1.26),
    ("azure", "koreacentral", 37.6, 127.0, "KR", 1.22),
    ("azure", "eastasia", 22.3, 114.2, "HK", 1.32),
    ("azure", "southeastasia", 1.3, 103.8, "SG", 1.22),
    ("azure", "australiaeast", -33.9, 151.2, "AU", 1.25),
    ("azure", "australiasoutheast", -37.8, 145.0, "AU", 1.25),
)

EGRESS = {"aws": (0.09, 0.11), "gcp": (0.10, 0.12), "azure": (0.08, 0.10)}

# List price per accelerator-hour (USD), and per vCPU-hour for the host share.
GPU_RATE = {"T4": 0.50, "L4": 0.80, "A10G": 1.00, "L40S": 1.90, "V100": 3.00,
            "A100": 4.00, "H100": 11.0}
VCPU_RATE = 0.035
CPU_ONLY_RATE = 0.045  # per vCPU-hour of a CPU-only instance

# Instance families per provider: (name, accelerator or None, count, vcpus, memory GiB).
_AWS = [
    *[(f"g4dn.{s}", "T4", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                    ("4xlarge", 16), ("8xlarge", 32))],
    ("g4dn.12xlarge", "T4", 4, 48, 192), ("g4dn.metal", "T4", 8, 96, 384),
    *[(f"g6.{s}", "L4", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                  ("4xlarge", 16), ("8xlarge", 32))],
    ("g6.12xlarge", "L4", 4, 48, 192), ("g6.24xlarge", "L4", 4, 96, 384),
    ("g6.48xlarge", "L4", 8, 192, 768),
    *[(f"g5.{s}", "A10G", 1, v, 4 * v) for s, v in (("xlarge", 4), ("2xlarge", 8),
                                                    ("4xlarge", 16), ("8xlarge", 32))],
    ("g5.12xlarge", "A10G", 4, 48, 192), ("g5.24xlarge", "A10G", 4, 96, 384),
    ("g5.48xlarge", "A10G", 8, 192, 768),
    ("g6e.xlarge", "L40S", 1, 4, 32), ("g6e.2xlarge", "L40S", 1, 8, 64),
    ("g6e.12xlarge", "L40S", 4, 48, 384), ("g6e.24xlarge", "L40S", 4, 96, 768),
    ("g6e.48xlarge", "L40S", 8, 192, 1536),
    ("p3.2xlarge", "V100", 1, 8, 61), ("p3.8xlarge", "V100", 4, 32, 244),
    ("p3.16xlarge", "V100", 8, 64, 488),
    ("p4d.24xlarge", "A100", 8, 96, 1152), ("p5.4xlarge", "H100", 1, 16, 256),
    ("p5.48xlarge", "H100", 8, 192, 2048),
    *[(f"m7i.{s}", None, 0, v, 4 * v) for s, v in (("large", 2), ("xlarge", 4),
                                                   ("2xlarge", 8), ("4xlarge", 16))],
    *[(f"c7i.{s}", None, 0, v, 2 * v) for s, v in (("2xlarge", 8), ("4xlarge", 16),
                                                   ("8xlarge", 32))],
]
_GCP = [
    *[(f"g2-standard-{v}", "L4", 1, v, 4 * v) for v in (4, 8, 12, 16, 32)],
    ("g2-standard-24", "L4", 2, 24, 96), ("g2-standard-48", "L4", 4, 48, 192),
    ("g2-standard-96", "L4", 8, 96, 384),
    *[(f"n1-standard-{v}-t4x{c}", "T4", c, v, int(3.75 * v))
      for v, c in ((4, 1), (8, 1), (16, 2), (32, 4), (64, 8))],
    *[(f"n1-standard-{v}-v100x{c}", "V100", c, v, int(3.75 * v))
      for v, c in ((8, 1), (16, 2), (32, 4), (64, 8))],
    ("a2-highgpu-1g", "A100", 1, 12, 85), ("a2-highgpu-2g", "A100", 2, 24, 170),
    ("a2-highgpu-4g", "A100", 4, 48, 340), ("a2-highgpu-8g", "A100", 8, 96, 680),
    ("a3-highgpu-1g", "H100", 1, 26, 234), ("a3-highgpu-2g", "H100", 2, 52, 468),
    ("a3-highgpu-4g", "H100", 4, 104, 936), ("a3-highgpu-8g", "H100", 8, 208, 1872),
    *[(f"n2-standard-{v}", None, 0, v, 4 * v) for v in (2, 4, 8, 16, 32)],
    *[(f"c3-standard-{v}", None, 0, v, 4 * v) for v in (4, 8, 22, 44)],
]
_AZURE = [
    ("Standard_NC4as_T4_v3", "T4", 1, 4, 28), ("Standard_NC8as_T4_v3", "T4", 1, 8, 56),
    ("Standard_NC16as_T4_v3", "T4", 1, 16, 110), ("Standard_NC64as_T4_v3", "T4", 4, 64, 440),
    ("Standard_NV6ads_A10_v5", "A10G", 1, 6, 55), ("Standard_NV36ads_A10_v5", "A10G", 1, 36, 440),
    ("Standard_NV72ads_A10_v5", "A10G", 2, 72, 880),
    ("Standard_NC6s_v3", "V100", 1, 6, 112), ("Standard_NC12s_v3", "V100", 2, 12, 224),
    ("Standard_NC24s_v3", "V100", 4, 24, 448), ("Standard_ND40rs_v2", "V100", 8, 40, 672),
    ("Standard_NC24ads_A100_v4", "A100", 1, 24, 220),
    ("Standard_NC48ads_A100_v4", "A100", 2, 48, 440),
    ("Standard_NC96ads_A100_v4", "A100", 4, 96, 880),
    ("Standard_ND96asr_v4", "A100", 8, 96, 900),
    ("Standard_NC40ads_H100_v5", "H100", 1, 40, 320),
    ("Standard_NC80adis_H100_v5", "H100", 2, 80, 640),
    ("Standard_ND96isr_H100_v5", "H100", 8, 96, 1900),
    ("Standard_NC8ads_L40S", "L40S", 1, 8, 64), ("Standard_NC32ads_L40S", "L40S", 4, 32, 256),
    *[(f"Standard_D{v}s_v5", None, 0, v, 4 * v) for v in (2, 4, 8, 16, 32)],
    *[(f"Standard_F{v}s_v2", None, 0, v, 2 * v) for v in (4, 8, 16, 32)],
]
FAMILIES = {"aws": _AWS, "gcp": _GCP, "azure": _AZURE}

# On-prem data centres and their hardware: (name, accelerator, count, vcpus, GiB).
ONPREM_PLACES = (
    ("ashburn-dc1", 39.0, -77.5, "US"), ("fra-dc1", 50.1, 8.7, "DE"),
    ("austin-dc2", 30.3, -97.7, "US"), ("london-dc1", 51.5, -0.1, "GB"),
    ("tokyo-lab", 35.7, 139.7, "JP"), ("munich-lab", 48.1, 11.6, "DE"),
    ("toronto-dc", 43.7, -79.4, "CA"), ("paris-dc", 48.9, 2.35, "FR"),
    ("singapore-dc", 1.35, 103.8, "SG"), ("bangalore-lab", 12.97, 77.6, "IN"),
    ("seattle-lab", 47.6, -122.3, "US"), ("amsterdam-dc", 52.4, 4.9, "NL"),
)
ONPREM_HARDWARE = (
    ("dgx-h100", "H100", 8, 224, 2048), ("dgx-a100", "A100", 8, 256, 1024),
    ("hgx-a100-4", "A100", 4, 128, 512), ("l40s-server", "L40S", 4, 64, 512),
    ("v100-node", "V100", 8, 80, 512), ("t4-server", "T4", 4, 48, 256),
    ("a10-server", "A10G", 4, 64, 256), ("cpu-node", None, 0, 64, 256),
)
ONPREM_DISCOUNT = (0.30, 0.55)  # amortised cost relative to the cloud list level

EDGE_HARDWARE = (
    ("orin", "Jetson-AGX-Orin", 1, 12, 64, 0.06),
    ("l4-box", "L4", 1, 16, 64, 0.32),
    ("cpu-box", None, 0, 8, 32, 0.08),
)

# (name, lat, lon, jurisdiction)
CITIES = (
    ("new-york", 40.71, -74.01, "US"), ("virginia", 38.9, -77.0, "US"),
    ("chicago", 41.88, -87.63, "US"), ("dallas", 32.78, -96.8, "US"),
    ("san-francisco", 37.77, -122.42, "US"), ("seattle", 47.61, -122.33, "US"),
    ("los-angeles", 34.05, -118.24, "US"), ("atlanta", 33.75, -84.39, "US"),
    ("toronto", 43.65, -79.38, "CA"), ("mexico-city", 19.43, -99.13, "MX"),
    ("sao-paulo", -23.55, -46.63, "BR"), ("buenos-aires", -34.6, -58.38, "AR"),
    ("london", 51.51, -0.13, "GB"), ("dublin", 53.35, -6.26, "IE"),
    ("paris", 48.86, 2.35, "FR"), ("munich", 48.14, 11.58, "DE"),
    ("berlin", 52.52, 13.4, "DE"), ("amsterdam", 52.37, 4.9, "NL"),
    ("madrid", 40.42, -3.7, "ES"), ("milan", 45.46, 9.19, "IT"),
    ("stockholm", 59.33, 18.07, "SE"), ("warsaw", 52.23, 21.01, "PL"),
    ("vienna", 48.21, 16.37, "AT"), ("zurich", 47.37, 8.54, "CH"),
    ("tel-aviv", 32.09, 34.78, "IL"), ("dubai", 25.2, 55.27, "AE"),
    ("johannesburg", -26.2, 28.05, "ZA"), ("lagos", 6.52, 3.38, "NG"),
    ("mumbai", 19.08, 72.88, "IN"), ("bangalore", 12.97, 77.59, "IN"),
    ("singapore", 1.35, 103.82, "SG"), ("jakarta", -6.2, 106.85, "ID"),
    ("hong-kong", 22.32, 114.17, "HK"), ("taipei", 25.03, 121.57, "TW"),
    ("tokyo", 35.68, 139.69, "JP"), ("osaka", 34.69, 135.5, "JP"),
    ("seoul", 37.57, 126.98, "KR"), ("sydney", -33.87, 151.21, "AU"),
    ("melbourne", -37.81, 144.96, "AU"), ("auckland", -36.85, 174.76, "NZ"),
)

TEAMS = ("vision", "search", "ads", "speech", "recsys", "nlp", "fraud", "robotics",
         "maps", "health")

# Inference: (rps per accelerator, service latency ms) for a reference-size model.
SERVE = {"T4": (20.0, 45.0), "L4": (40.0, 30.0), "A10G": (50.0, 28.0),
         "L40S": (90.0, 20.0), "V100": (45.0, 30.0), "A100": (120.0, 15.0),
         "H100": (250.0, 9.0), "Jetson-AGX-Orin": (6.0, 40.0), CPU: (0.6, 110.0)}
# Training: speed relative to an A100.
TRAIN_SPEED = {"T4": 0.15, "L4": 0.25, "A10G": 0.3, "L40S": 0.6, "V100": 0.45,
               "A100": 1.0, "H100": 2.2}
DATACENTER_GPUS = ("T4", "L4", "A10G", "L40S", "V100", "A100", "H100")
