"""Disjoint sets as a parent list: how models fall into independent parts and groups
into merged ones (parts, milp.split_layout, periodic)."""

from __future__ import annotations

__all__ = ["find"]


def find(parent: list[int], i: int) -> int:
    """The representative of ``i``'s set, halving the path on the way (``parent``: each
    element's parent, a root its own)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i
