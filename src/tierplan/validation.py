"""Configuration files -> validated pydantic models, with errors a user can act on.

Shared by the scenario, simulation and autoscale files, so all three behave alike:

- YAML is read by :mod:`.safeyaml` (safe tags, no duplicate or list keys, nesting and
  alias-expansion limits), errors naming the line and column;
- every problem the schema finds is reported at once (up to 20 shown, then "... and N
  more"), each as ``file: path: message`` where the path reads like the file
  (``workloads[1].latency_slo_ms``); misspelt keys come first, and the "missing" error of
  the key a misspelt one was meant to be is left out (one mistake, one message);
- an unknown key gets the closest known key of its mapping ("did you mean ...?");
- the tag that a discriminated union puts into pydantic's location (``workloads.0.
  training.work_hours``) is left out, and a bad or missing tag names the tags allowed.
"""

from __future__ import annotations

import difflib
import re
import reprlib
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import ScenarioError, ScenarioErrors
from .safeyaml import read_yaml

__all__ = ["did_you_mean", "format_path", "read_yaml", "validate"]

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any, file: str, expected: str) -> M:
    """``model`` from parsed YAML, or a ScenarioError (ScenarioErrors when there are
    several) for the problems found.

    ``expected`` says what the top level must be when it is not a mapping at all.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(file, "", expected)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, file, model)
        raise (problems[0] if len(problems) == 1 else ScenarioErrors(problems)) from None


def format_path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def _problems(exc: ValidationError, file: str, root: type[BaseModel]) -> list[ScenarioError]:
    """One error per path, misspelt keys first; a required key that a misspelt sibling
    was meant to be is not reported again as missing."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    meant: set[str] = set()
    out: dict[str, ScenarioError] = {}  # by path: a file with 50,000 bad keys stays linear
    for err in errors:
        problem, meant_key = _error(err, file, root)
        if err["type"] == "missing" and problem.path in meant:
            continue
        if meant_key:
            meant.add(format_path([*_walk(root, list(err["loc"]))[0][:-1], meant_key]))
        out.setdefault(problem.path, problem)
    return list(out.values())


def _error(err: Any, file: str, root: type[BaseModel]) -> tuple[ScenarioError, str | None]:
    """The error as the user reads it, and the key a misspelt one was probably meant to be."""
    loc, options = _walk(root, list(err["loc"]))
    hint: str | None = None
    kind = err["type"]
    message = err["msg"]
    if kind == "extra_forbidden":
        parent = _walk(root, list(err["loc"])[:-1])[1]
        message = f"unknown key {loc[-1]!r}"
        hint = did_you_mean(str(loc[-1]), [f for m in parent for f in m.model_fields])
        message += f" (did you mean {hint!r}?)" if hint else "; remove it or check its spelling"
    elif kind == "missing":
        message = "this field is required"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        field = str(err.get("ctx", {}).get("discriminator", "kind")).strip("'")
        tags = [t for m in options for t in _literals(m, field)]
        message = f"{field} must be one of {', '.join(tags)}"
        got = err.get("input")
        if kind == "union_tag_invalid" and isinstance(got, Mapping) and field in got:
            loc = [*loc, field]
            hint = did_you_mean(str(got[field]), tags)
            message += f" (got {got[field]!r}" + (f"; did you mean {hint!r}?)" if hint else ")")
    elif kind == "value_error":  # our own validators' messages, without pydantic's prefix
        message = message.removeprefix("Value error, ")
    elif kind in _SHAPES:
        message = f"expected {_SHAPES[kind]} (got {_shown(err.get('input'))})"
    else:
        message = _plain(message)
        if "input" in err:
            message = f"{message} (got {_shown(err['input'])})"
    return ScenarioError(file, format_path(loc), message), hint if kind == "extra_forbidden" else None


# Pydantic's phrases, as the rest of tierplan's messages put them.
_PLAIN = (
    (re.compile(r"^Input should be a valid integer, got a number with a fractional part$"),
     "must be a whole number"),
    (re.compile(r"^Input should be a valid number, unable to parse string as a number.*$"),
     "must be a number"),
    (re.compile(r"^Input should be a valid integer, unable to parse string as an integer.*$"),
     "must be a whole number"),
    (re.compile(r"^String should have at least 1 character$"), "must not be empty"),
    (re.compile(r"^(List|Dictionary) should have at least (\d+) items?.*$"),
     r"must have at least \2 entries"),
    (re.compile(r"^Input should be "), "must be "),
    (re.compile(r"^String should have "), "must have "),
)


def _plain(message: str) -> str:
    for pattern, replacement in _PLAIN:
        message, n = pattern.subn(replacement, message)
        if n:
            break
    return message


# Pydantic's wording for a value of the wrong shape names the schema's classes
# ("a valid dictionary or instance of SiteIn"); users see what the file must hold.
_SHAPES = {
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "dict_type": "a mapping of keys to values",
    "list_type": "a list",
}


def _shown(value: Any, limit: int = 60) -> str:
    """A value as the error shows it, cut short when long. reprlib stops early at each
    level, so a huge value (aliases expanded) is never rendered whole first."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


_REPR = reprlib.Repr()  # Python 3.11's Repr takes no keyword arguments
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 4, 4, 60, 60


def _walk(root: type[BaseModel], loc: list[int | str]) -> tuple[list[int | str], list[type[BaseModel]]]:
    """The location without union tags, and the models that may sit at its end.

    A part that names a field descends into the models of its annotation (through lists,
    dicts, unions); a part that is a union member's tag selects that member and is
    dropped; anything else (a list index, a dict key) stays and keeps the models.
    """
    kept: list[int | str] = []
    options: list[type[BaseModel]] = [root]
    for part in loc:
        if isinstance(part, int):
            kept.append(part)
            continue
        owner = next((m for m in options if part in m.model_fields), None)
        if owner is not None:
            kept.append(part)
            options = _models_in(owner.model_fields[part].annotation)
            continue
        tagged = [m for m in options if any(part in _literals(m, f) for f in m.model_fields)]
        if tagged:
            options = tagged[:1]
            continue
        kept.append(part)
    return kept, options


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _literals(model: type[BaseModel], field: str) -> list[str]:
    info = model.model_fields.get(field)
    if info is None or typing.get_origin(info.annotation) is not typing.Literal:
        return []
    return [str(v) for v in typing.get_args(info.annotation)]
