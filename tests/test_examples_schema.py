"""Every example names its JSON Schema on its first line, and the schema accepts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, ROOT

jsonschema = pytest.importorskip("jsonschema")

PREFIX = "# yaml-language-server: $schema="
FILES = sorted(EXAMPLES.rglob("*.yaml"))


def _kind(path: Path) -> str:
    if path.parent.name == "autoscale":
        return "autoscale"
    if path.parent.name == "simulations" and not path.name.endswith(".scenario.yaml"):
        return "simulation"
    return "scenario"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_example_starts_with_its_schema_and_the_schema_accepts_it(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(PREFIX), f"{path.name}: first line must be {PREFIX}<relative path>"
    target = (path.parent / first[len(PREFIX):]).resolve()
    assert target == ROOT / "docs" / "schemas" / f"{_kind(path)}.schema.json"
    schema = json.loads(target.read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


def test_the_schema_catches_what_an_editor_should_flag():
    schema = json.loads((ROOT / "docs" / "schemas" / "scenario.schema.json").read_text())
    bad = yaml.safe_load((EXAMPLES / "hub-and-spoke.yaml").read_text())
    bad["workloads"][0]["wrk_hours"] = bad["workloads"][0].pop("work_hours")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
