"""AWS on-demand list prices (USD/hour, Linux) transcribed for the bundled catalog.

Source: instances.vantage.sh data as republished in github.com/tsaol/aws-gpu
(data/<family>_instances.js, generated from instances.vantage.sh). Only the regions
tierplan bundles are kept. Spot prices for these families are not in that source, so the
bundled rows leave spot empty (None) rather than guess.
"""

SOURCE = "instances.vantage.sh (via github.com/tsaol/aws-gpu data/{family}_instances.js)"

# instance type -> (vcpus, memory_gib, accelerator, count, accelerator_memory_gib, {region: usd_per_hour})
AWS_ON_DEMAND: dict[str, tuple[float, float, str | None, int, float | None, dict[str, float]]] = {
    "g6.2xlarge": (8, 32, "L4", 1, 24, {
        "ap-northeast-1": 1.41781, "ap-northeast-2": 1.20208, "ap-south-1": 1.1739,
        "ap-southeast-2": 1.27107, "ca-central-1": 1.08547, "eu-central-1": 1.22249,
        "eu-north-1": 1.03688, "eu-west-2": 1.24095, "eu-west-3": 1.24095,
        "us-east-1": 0.9776, "us-east-2": 0.9776, "us-west-2": 0.9776,
    }),
    "g6.12xlarge": (48, 192, "L4", 4, 24, {
        "ap-northeast-1": 6.67369, "ap-northeast-2": 5.65823, "ap-south-1": 5.52558,
        "ap-southeast-2": 5.98299, "ca-central-1": 5.10933, "eu-central-1": 5.75429,
        "eu-north-1": 4.88062, "eu-west-2": 5.8412, "eu-west-3": 5.8412,
        "us-east-1": 4.6016, "us-east-2": 4.6016, "us-west-2": 4.6016,
    }),
    "g4dn.2xlarge": (8, 32, "T4", 1, 16, {
        "ap-northeast-1": 1.015, "ap-northeast-2": 0.925, "ap-south-1": 0.828, "ap-southeast-1": 1.052,
        "ap-southeast-2": 0.978, "ca-central-1": 0.835, "eu-central-1": 0.94, "eu-north-1": 0.798,
        "eu-west-1": 0.838, "eu-west-2": 0.88, "eu-west-3": 0.879, "us-east-1": 0.752,
        "us-east-2": 0.752, "us-west-1": 0.902, "us-west-2": 0.752,
    }),
    "g4dn.12xlarge": (48, 192, "T4", 4, 16, {
        "ap-northeast-1": 5.281, "ap-northeast-2": 4.812, "ap-south-1": 4.306, "ap-southeast-1": 5.474,
        "ap-southeast-2": 5.087, "ca-central-1": 4.343, "eu-central-1": 4.89, "eu-north-1": 4.15,
        "eu-west-1": 4.362, "eu-west-2": 4.577, "eu-west-3": 4.574, "us-east-1": 3.912,
        "us-east-2": 3.912, "us-west-1": 4.694, "us-west-2": 3.912,
    }),
    "g5.2xlarge": (8, 32, "A10G", 1, 24, {
        "ap-northeast-1": 1.75776, "ap-northeast-2": 1.4903, "ap-south-1": 1.45536,
        "ap-southeast-2": 1.57584, "ca-central-1": 1.34573, "eu-central-1": 1.5156,
        "eu-north-1": 1.28549, "eu-west-1": 1.35296, "eu-west-2": 1.53849, "eu-west-3": 1.53849,
        "us-east-1": 1.212, "us-east-2": 1.212, "us-west-2": 1.212,
    }),
    "g5.12xlarge": (48, 192, "A10G", 4, 24, {
        "ap-northeast-1": 8.22609, "ap-northeast-2": 6.97442, "ap-south-1": 6.81091,
        "ap-southeast-2": 7.37473, "ca-central-1": 6.29784, "eu-central-1": 7.09282,
        "eu-north-1": 6.01593, "eu-west-1": 6.33167, "eu-west-2": 7.19994, "eu-west-3": 7.19994,
        "us-east-1": 5.672, "us-east-2": 5.672, "us-west-2": 5.672,
    }),
    "g5.48xlarge": (192, 768, "A10G", 8, 24, {
        "ap-northeast-1": 23.62246, "ap-northeast-2": 20.02809, "ap-south-1": 19.55855,
        "ap-southeast-2": 21.17764, "ca-central-1": 18.08518, "eu-central-1": 20.3681,
        "eu-north-1": 17.27564, "eu-west-1": 18.18233, "eu-west-2": 20.67572, "eu-west-3": 20.67572,
        "us-east-1": 16.288, "us-east-2": 16.288, "us-west-2": 16.288,
    }),
    "g6e.12xlarge": (48, 384, "L40S", 4, 48, {
        "ap-northeast-1": 15.21742, "ap-northeast-2": 12.90014, "eu-central-1": 13.12002,
        "eu-north-1": 11.12975, "us-east-1": 10.49264, "us-east-2": 10.49264, "us-west-2": 10.49264,
    }),
    "p5en.48xlarge": (192, 2048, "H200", 8, 141, {
        "ap-northeast-1": 79.12, "ap-northeast-2": 87.34848, "ap-south-1": 75.9552,
        "eu-north-1": 67.72672, "us-east-1": 63.296, "us-east-2": 63.296, "us-west-1": 79.12,
        "us-west-2": 63.296,
    }),
}

SKYPILOT_SOURCE = "skypilot-catalog v7 aws/vms.csv (AWS Price List + spot price history)"

# CPU-only general purpose, from SkyPilot's AWS catalog: region -> (on-demand, lowest zone spot).
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
