"""One-word BFS kernels against plain-Python references.

Generator application (shift and reflected groups), ranking, merging and the
BFS drivers on one and two threads are each checked against code that shares
nothing with the engine: tuples, ``itertools.permutations`` and a set-based BFS.
"""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cayley_packed import python_bfs  # the shared plain-Python BFS

from mathdisco.engines.cayley import families, kernels, rank_bitset, sorted_layers
from mathdisco.engines.cayley.graph import prepare_graph
from mathdisco.engines.cayley.growth import growth
from mathdisco.engines.cayley.job import GrowthParams, run_growth


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_generator_groups_apply_like_the_permutations(seed):
    rng = random.Random(seed)
    width = rng.choice([3, 4])
    n = rng.randint(2, 64 // width)
    gens = []
    for _ in range(rng.randint(1, 5)):
        p = list(range(n))
        kind = rng.randrange(3)
        if kind == 0:  # a prefix, or any window, reversed: one reflected group
            i, j = sorted(rng.sample(range(n + 1), 2))
            p[i:j] = p[i:j][::-1]
        elif kind == 1:
            rng.shuffle(p)
        else:
            p = p[1:] + p[:1]
        gens.append(p)
    states = [[rng.randrange(1 << width) for _ in range(n)] for _ in range(300)]
    packed = np.array([kernels.pack_state(s, width) for s in states], dtype=np.uint64)
    for reflections in ([False, True] if width == 4 else [False]):
        compiled = kernels.compile_generators(gens, width, reflections)
        out = np.empty(len(states) * len(gens), dtype=np.uint64)
        kernels.expand_all(packed, 0, len(states), compiled, out)
        got = kernels.unpack_states(out, n, width).tolist()
        expected = [[s[i] for i in p] for p in gens for s in states]
        assert got == expected


def test_reflected_groups_make_a_prefix_reversal_one_group():
    masks = kernels.compile_generators(families.pancake(11), 4, reflections=True)[0]
    assert len(masks) == 19  # the full reversal is one group, every other one two
    assert len(kernels.compile_generators(families.pancake(11), 4)[0]) == 70


@pytest.mark.parametrize("n", [1, 2, 5, 7])
def test_ranks_are_lexicographic_and_unrank_inverts_them(n):
    perms = list(itertools.permutations(range(n)))
    packed = np.array([kernels.pack_state(list(p), 4) for p in perms], dtype=np.uint64)
    ranks = kernels.rank_permutations(packed, n)
    assert ranks.tolist() == list(range(len(perms)))
    fact = np.array([math.factorial(n - 1 - i) for i in range(n)], dtype=np.uint64)
    back = kernels.unrank_permutations(ranks, n, fact, 1.0 / fact.astype(np.float64))
    assert back.tolist() == packed.tolist()


@settings(max_examples=30, deadline=None)
@given(st.sets(st.integers(0, 2**63), max_size=60), st.sets(st.integers(0, 2**63), max_size=60))
def test_merge_unique_is_the_sorted_union(a, b):
    x = np.array(sorted(a), dtype=np.uint64)
    y = np.array(sorted(b), dtype=np.uint64)
    out = np.empty(x.size + y.size, dtype=np.uint64)
    count = kernels.merge_unique(x, y, out)
    assert out[:count].tolist() == sorted(a | b)


CASES = [("pancake", 7), ("lrx", 7), ("all_transpositions", 6), ("lx", 7), ("burnt_pancake", 4)]


@pytest.mark.parametrize(("family", "n"), CASES)
@pytest.mark.parametrize("threads", [1, 2])
def test_every_one_word_search_matches_python_bfs(family, n, threads, monkeypatch):
    # slices of 16 states or more are shared among threads (atomic test-and-set)
    monkeypatch.setattr(rank_bitset, "PARALLEL_MIN_STATES", 16)
    gens = families.permutation_family(family, n, None)
    expected = python_bfs(gens, list(range(len(gens[0]))))
    for algorithm in ("rank_bitset", "rank_bitset_frontier", "sorted_layers"):
        result = run_growth(GrowthParams(family=family, n=n, algorithm=algorithm,
                                         threads=threads))
        assert result["layer_sizes"] == expected, algorithm


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threaded_sorted_layers_of_a_large_schreier_graph(threads, monkeypatch):
    # layers of thousands of states cut into one slice a thread (64 states or more):
    # the pieces the threads find are merged
    monkeypatch.setattr(sorted_layers, "MIN_THREAD_STATES", 64)
    gens = families.lrx(16)
    state = "0" * 11 + "11223"
    graph = prepare_graph(gens, central_state=state)
    result = growth(graph, threads=threads)
    assert result["algorithm"] == "sorted_layers"
    assert result["layer_sizes"] == python_bfs(gens, list(state))


@pytest.mark.parametrize(("family", "n"), [("pancake", 7), ("lrx", 8)])
@pytest.mark.parametrize("threads", [1, 2])
def test_bucketed_probes_match_python_bfs(family, n, threads, monkeypatch):
    # the region-by-region probes serve bitsets past 16 MB (n >= 12); forced here on small n,
    # with slices small enough to be shared among threads
    monkeypatch.setattr(rank_bitset, "BUCKETED_ABOVE_BYTES", 0)
    monkeypatch.setattr(rank_bitset, "PARALLEL_MIN_STATES", 16)
    gens = families.permutation_family(family, n, None)
    result = growth(prepare_graph(gens), threads=threads)
    assert result["algorithm"] == "rank_bitset"
    assert result["layer_sizes"] == python_bfs(gens, list(range(n)))
