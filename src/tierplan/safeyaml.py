"""The one way tierplan reads YAML (scenario, simulation and autoscale files).

A YAML file is untrusted text, so the loader refuses, with the file, line and column
named (a :class:`~tierplan.errors.ScenarioError`, exit code 2):

- any tag outside plain YAML (``!!python/object`` ...): it is PyYAML's SafeLoader;
- a key given twice in one mapping, and a key that is a list or a mapping (``? [a, b]``);
- nesting deeper than :data:`MAX_DEPTH` levels (checked while composing, before Python's
  recursion limit could be reached);
- a document whose aliases expand to more than :data:`MAX_NODES` nodes ("billion laughs":
  a few hundred bytes whose anchors multiply into billions of values). The count follows
  each alias once per use with a memo per node, so it takes time linear in the file;
- an alias inside its own anchor (``&a [*a]``), a cycle no tierplan file can mean;
- a file longer than :func:`max_bytes` (``TIERPLAN_MAX_YAML_MIB``, default
  :data:`DEFAULT_MAX_MIB` MiB): PyYAML parses about 0.1-0.2 MiB a second, so a cap on
  the size is a cap on the time; the file is not read past the limit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from .errors import InputError, ScenarioError
from .files import TooLarge, read_text

__all__ = ["DEFAULT_MAX_MIB", "MAX_DEPTH", "MAX_NODES", "SIZE_VARIABLE", "load_yaml", "max_bytes",
           "read_yaml"]

MAX_DEPTH = 100
"""Deepest nesting of lists and mappings a file may have (real files stay under ~10)."""

MAX_NODES = 1_000_000
"""Most values a document may hold once its aliases are expanded (a 1,000-workload
scenario holds ~30,000)."""


SIZE_VARIABLE = "TIERPLAN_MAX_YAML_MIB"
"""The environment variable that raises (or lowers) the size limit of a YAML file."""

DEFAULT_MAX_MIB = 2
"""Largest YAML file read by default, in MiB: about 3,000 workloads (a 1,000-workload
scenario with 2,000 offerings is ~0.7 MiB and parses in ~4 s), and about 20 s of parsing
at worst (a long list of one-character items parses at ~10 s a MiB)."""


def max_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The size limit of a YAML file in bytes: ``TIERPLAN_MAX_YAML_MIB`` MiB when set
    (a positive number), else :data:`DEFAULT_MAX_MIB`."""
    env = os.environ if environ is None else environ
    raw = env.get(SIZE_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_MAX_MIB * 2**20
    try:
        mib = float(raw)
    except ValueError:
        mib = float("nan")
    if not 0 < mib < 2**20:  # also refuses nan and inf
        raise InputError(f"{SIZE_VARIABLE}={raw!r}: not a size; give the largest YAML file "
                         "to read in MiB, a positive number (e.g. 16)")
    return max(1, round(mib * 2**20))


def _too_large(file: str, limit: int) -> ScenarioError:
    return ScenarioError(file, "", f"the file is larger than {limit / 2**20:.4g} MiB, the limit for a "
                         f"YAML input (parsing takes ~10 s a MiB); if it is meant to be this large, "
                         f"raise the limit, e.g. {SIZE_VARIABLE}={2 * limit / 2**20:.4g}")


class _Refused(yaml.YAMLError):
    """A limit of this loader, reported like a YAML syntax error (with its mark)."""

    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader with a nesting limit, an expansion limit and stricter mapping keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _Refused(f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node)
        return node


def _check_expansion(root: Node) -> None:
    """Refuse a document whose values, aliases expanded, number over MAX_NODES, and one
    where an alias sits inside its own anchor (a cycle, which no file format can hold)."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # nodes whose children are still being counted
    # Iterative post-order: a node's size is 1 + its children's; an aliased node is one
    # Python object reached from several parents, so its size is computed once.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            size = 1 + sum(sizes[id(c)] for c in _children(node))
            if size > MAX_NODES:
                raise _Refused(f"its aliases expand to more than {MAX_NODES:,} values (an alias "
                               "bomb?); write the values out or use fewer nested aliases",
                               node.start_mark)
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in open_:
            raise _Refused("an alias refers to the anchor it is inside (a cycle)", node.start_mark)
        open_.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in open_:
                raise _Refused("an alias refers to the anchor it is inside (a cycle)", child.start_mark)
            if id(child) not in sizes:
                stack.append((child, False))


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _mapping(loader: _Loader, node: MappingNode, deep: bool = False) -> Any:
    """A mapping whose keys are plain values, each given once."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if isinstance(key_node, SequenceNode | MappingNode):
            shape = "list" if isinstance(key_node, SequenceNode) else "mapping"
            raise ConstructorError(None, None, f"a {shape} cannot be a key; keys are names "
                                   "(a '?' line starts a complex key: remove it)",
                                   key_node.start_mark)
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConstructorError(None, None, f"key {_short(key)} appears twice in one mapping",
                                   key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value) if not isinstance(value, str) or len(value) <= limit else repr(value[:limit])
    return text if len(text) <= limit else text[:limit - 3] + "..."


def load_yaml(text: str, file: str) -> Any:
    """Parse ``text`` (the contents of ``file``) safely; errors name the file, line and column."""
    limit = max_bytes()
    if len(text) > limit:  # characters: at most the bytes of the file
        raise _too_large(file, limit)
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader: no python tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(file, where, f"invalid YAML: {problem}") from None


def read_yaml(path: str | Path) -> Any:
    """Read and parse a YAML file safely (see the module's notes); a file over the size
    limit is refused before it is read whole."""
    limit = max_bytes()
    try:
        text = read_text(path, max_bytes=limit)
    except TooLarge:
        raise _too_large(str(path), limit) from None
    return load_yaml(text, str(path))
