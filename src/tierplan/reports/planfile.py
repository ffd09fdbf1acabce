"""Read a plan JSON file (SPEC section 4) back, checking every field a report relies on.

A wrong file must fail with its name and the field, like ``new.json: placements[2].cost_usd:
expected a number, got "12"``, never with a traceback: :class:`PlanFileError` is an
input error (exit code 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import ScenarioError
from ..units import LARGEST, MIN_HORIZON_HOURS
from .document import SCHEMA

# Plans written before periods (SPEC 4) read as one period, with nothing committed.
SCHEMAS = ("tierplan.plan/v1", SCHEMA)

__all__ = ["PlanFileError", "load_plan_file", "validate_plan"]

_STATUSES = ("optimal", "time_limit", "infeasible")
_GROUPS = ("by_tier", "by_provider", "by_site", "by_workload", "by_team")


class PlanFileError(ScenarioError):
    """A plan JSON file that is unreadable or not a ``tierplan.plan/v1``/``v2`` document, located
    by file and field like any input file."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "a list", dict: "an object",
            int: "a number", float: "a number"}.get(type(value), f"a {type(value).__name__}")


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> PlanFileError:
        return PlanFileError(self.file, path, message)

    def get(self, obj: dict[str, Any], key: str, path: str) -> Any:
        if key not in obj:
            raise self.fail(f"{path}.{key}" if path else key, "missing")
        return obj[key]

    def number(self, obj: dict[str, Any], key: str, path: str, minimum: float | None = None) -> float:
        value = self.get(obj, key, path)
        where = f"{path}.{key}" if path else key
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number, got {_kind(value)} {json.dumps(value)[:40]}")
        if not abs(value) <= LARGEST:  # inf and NaN too
            raise self.fail(where, f"expected a finite number of at most {LARGEST:g}, got {value:g}")
        if minimum is not None and value < minimum:
            raise self.fail(where, f"must be at least {minimum:g}, got {value:g}")
        return float(value)

    def string(self, obj: dict[str, Any], key: str, path: str, nullable: bool = False) -> str | None:
        value = self.get(obj, key, path) if not nullable else obj.get(key)
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise self.fail(f"{path}.{key}" if path else key, f"expected a string, got {_kind(value)}")
        return value

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, got {_kind(value)}")
        return value

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_kind(value)}")
        return value


def validate_plan(doc: Any, file: str) -> dict[str, Any]:
    """Check ``doc`` is a plan document; return it unchanged. Raises :class:`PlanFileError`.

    Checked: schema, scenario, status, horizon_hours (at least a minute), total_cost_usd,
    cost.by_* (name -> number), placements[] (workload, site, offering, tier: strings;
    instances >= 0; cost_usd), budgets[] (name, limit_usd, used_usd); every number
    finite and at most LARGEST in size. Other fields are left as they are.
    """
    c = _Checker(file)
    if not isinstance(doc, dict):
        raise c.fail("", f"expected a plan JSON object (schema {SCHEMA}), got {_kind(doc)}")
    schema = c.get(doc, "schema", "")
    if schema not in SCHEMAS:
        raise c.fail("schema", f"expected {SCHEMA!r}, got {json.dumps(schema)[:60]}; "
                               "is this the output of `tierplan plan --format json`?")
    c.string(doc, "scenario", "")
    if c.get(doc, "status", "") not in _STATUSES:
        got = json.dumps(doc["status"])[:40]
        raise c.fail("status", f"expected one of {', '.join(_STATUSES)}, got {got}")
    if c.number(doc, "horizon_hours", "") < MIN_HORIZON_HOURS:
        raise c.fail("horizon_hours", f"must be at least a minute ({MIN_HORIZON_HOURS:.4g} h)")
    c.number(doc, "total_cost_usd", "")
    cost = c.obj(c.get(doc, "cost", ""), "cost")
    for group in _GROUPS:
        values = c.obj(c.get(cost, group, "cost"), f"cost.{group}")
        for name in values:
            c.number(values, name, f"cost.{group}")
    for i, p in enumerate(c.array(c.get(doc, "placements", ""), "placements")):
        path = f"placements[{i}]"
        p = c.obj(p, path)
        for key in ("workload", "site", "offering", "tier"):
            c.string(p, key, path)
        for key in ("purchase", "kind", "provider"):
            c.string(p, key, path, nullable=True)
        instances = c.number(p, "instances", path, minimum=0)
        if instances != int(instances):
            raise c.fail(f"{path}.instances", f"expected a whole number, got {instances:g}")
        c.number(p, "cost_usd", path)
        for key in ("instances_by_period", "hours_by_period", "cost_by_period"):
            if key in p:
                for j, value in enumerate(c.array(p[key], f"{path}.{key}")):
                    c.number({f"{key}[{j}]": value}, f"{key}[{j}]", path)
    for i, q in enumerate(c.array(doc.get("periods", []), "periods")):
        path = f"periods[{i}]"
        q = c.obj(q, path)
        c.number(q, "start_hour", path, minimum=0)
        c.number(q, "hours", path, minimum=0)
        c.number(q, "cost_usd", path)
    for i, u in enumerate(c.array(doc.get("owned", []), "owned")):
        path = f"owned[{i}]"
        u = c.obj(u, path)
        c.string(u, "site", path)
        c.string(u, "offering", path)
        for key in ("available", "bought", "committed_usd", "idle_usd", "used_instance_hours",
                    "fixed_usd_per_hour", "utilisation"):
            c.number(u, key, path, minimum=0)
    for key in ("committed_usd", "idle_usd"):
        if key in cost:
            c.number(cost, key, "cost", minimum=0)
    for i, b in enumerate(c.array(doc.get("budgets", []), "budgets")):
        path = f"budgets[{i}]"
        b = c.obj(b, path)
        c.string(b, "name", path)
        c.number(b, "limit_usd", path)
        c.number(b, "used_usd", path)
    return doc


def load_plan_file(path: str | Path) -> dict[str, Any]:
    """Read and validate one plan JSON file."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(name, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(name, "", f"cannot read it: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
        raise PlanFileError(name, "", f"not valid JSON ({where}); expected the output of "
                                      "`tierplan plan --format json`") from None
    except RecursionError:
        raise PlanFileError(name, "", "nested too deeply to be a plan; expected the output of "
                                      "`tierplan plan --format json`") from None
    return validate_plan(doc, name)
