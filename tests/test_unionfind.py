"""Disjoint sets as a parent list (scheduler.unionfind)."""

import random

from tierplan.scheduler.unionfind import find


def test_joined_elements_share_a_root_and_others_do_not():
    rng = random.Random(7)
    n = 60
    parent = list(range(n))
    label = list(range(n))  # the sets, kept naively beside
    for _ in range(40):
        a, b = rng.randrange(n), rng.randrange(n)
        parent[find(parent, b)] = find(parent, a)
        old, new = label[b], label[a]
        label = [new if x == old else x for x in label]
    for i in range(n):
        for j in range(n):
            assert (find(parent, i) == find(parent, j)) == (label[i] == label[j])
