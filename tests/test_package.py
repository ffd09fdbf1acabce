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


def test_import_loads_no_cloud_sdk():
    code = ("import sys, tierplan, tierplan.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'boto3', 'botocore', 'google', 'azure', 'kubernetes', 'ray'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_py_typed_is_shipped():
    assert (Path(tierplan.__file__).parent / "py.typed").exists()
