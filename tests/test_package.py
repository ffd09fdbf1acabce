"""The package surface: public names, lazy SDK imports, typed marker."""

import subprocess
import sys
from pathlib import Path

import tierplan


def test_public_api():
    assert sorted(tierplan.__all__) == sorted([
        "InputError", "Plan", "PlanOptions", "Scenario", "ScenarioError", "SolverError",
        "TierplanError", "__version__", "check_plan", "load_scenario", "parse_scenario", "plan",
    ])
    for name in tierplan.__all__:
        assert hasattr(tierplan, name)


HEAVY = ("boto3", "botocore", "google.cloud", "google.api_core", "azure", "kubernetes", "ray",
         "pandas", "pyarrow", "apscheduler", "prometheus_client", "psycopg2")


def test_import_loads_no_cloud_sdk_or_heavy_library():
    # Modules present at interpreter start (some SDKs install .pth files that load a
    # namespace package) are not tierplan's doing: only count what the import adds.
    code = ("import sys; before = set(sys.modules); "
            "import tierplan, tierplan.cli, tierplan.scenario, tierplan.scheduler; "
            "from tierplan.cli import plan; "
            f"heavy = {HEAVY!r}; "
            "print(sorted(m for m in set(sys.modules) - before "
            "if any(m == h or m.startswith(h + '.') for h in heavy)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_py_typed_is_shipped():
    assert (Path(tierplan.__file__).parent / "py.typed").exists()
