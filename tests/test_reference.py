"""The field reference and JSON Schemas in docs/ are generated from the models and current."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import ROOT, run_cli
from tierplan.reference import KINDS, json_schema, model, sections

spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "tools" / "gen_reference.py")
assert spec and spec.loader
gen_reference = importlib.util.module_from_spec(spec)
sys.modules["gen_reference"] = gen_reference
spec.loader.exec_module(gen_reference)


def test_generated_reference_and_schemas_are_current():
    stale = [str(p.relative_to(ROOT)) for p in gen_reference.stale()]
    assert not stale, (f"generated docs are stale: {', '.join(stale)}; "
                       "regenerate them with: python tools/gen_reference.py")


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_says_what_it_means(kind):
    missing = [f"{s.path}.{r.path}".lstrip(".") for s in sections(model(kind)) for r in s.rows
               if not r.meaning]
    assert not missing, (f"{kind}: fields without a description: {missing}; give each one "
                         "doc('one-line meaning', 'unit') in its model, then run "
                         "python tools/gen_reference.py")


def test_a_changed_model_makes_the_pages_stale(tmp_path, monkeypatch):
    page = ROOT / "docs" / "reference" / "scenario.md"
    monkeypatch.setattr(gen_reference, "markdown", lambda kind: "changed\n")
    assert page in gen_reference.stale()


@pytest.mark.parametrize("kind", KINDS)
def test_schema_command_prints_the_shipped_schema(kind, capsys):
    code, out, _ = run_cli(capsys, "schema", kind)
    assert code == 0
    assert json.loads(out) == json_schema(kind)
    shipped = json.loads((ROOT / "docs" / "schemas" / f"{kind}.schema.json").read_text())
    assert shipped == json_schema(kind)


def test_schema_command_names_the_kinds_it_knows(capsys):
    code, _, err = run_cli(capsys, "schema", "scenaro")
    assert code == 2 and "scenario" in err


def test_durations_may_be_strings_in_the_schema():
    props = json_schema("scenario")["properties"]["horizon_hours"]
    assert {"type": "string"} in props["anyOf"]
