"""Packed multi-word states: agreement with the rank-bitset BFS and with a plain-Python BFS.

The plain-Python BFS below (tuples in a set, one generator application at a
time) shares no code with the engine; every family and state layout checked
here must give the same sphere sizes.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley import packed_kernels as pk
from mathdisco.engines.cayley.graph import prepare_graph
from mathdisco.engines.cayley.growth import growth
from mathdisco.engines.cayley.job import GrowthParams, run_growth


def python_bfs(generators, start, max_depth=None):
    """Sphere sizes around ``start`` (``new[i] = old[p[i]]``), exhaustively."""
    start = tuple(start)
    seen, layer, sizes = {start}, [start], [1]
    while layer and (max_depth is None or len(sizes) - 1 < max_depth):
        nxt = []
        for s in layer:
            for p in generators:
                t = tuple(s[i] for i in p)
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        if not nxt:
            break
        sizes.append(len(nxt))
        layer = nxt
    return sizes


# every family of S_n at a size where both the rank bitset (n <= 13, a permutation state)
# and the packed states run in a second or two
BOTH_RUN = [(name, n) for name, spec in families.PERMUTATION_FAMILIES.items()
            for n in [min(spec.hi, 8 if not spec.signed else 4)]
            if not (spec.even_n and n % 2)]


@pytest.mark.parametrize(("family", "n"), BOTH_RUN)
def test_packed_agrees_with_rank_bitset_on_every_small_family(family, n):
    rank = run_growth(GrowthParams(family=family, n=n, algorithm="rank_bitset"))
    packed = run_growth(GrowthParams(family=family, n=n, algorithm="packed_layers",
                                     last_layer_max_size=10_000))
    assert rank["algorithm"] == "rank_bitset" and packed["algorithm"] == "packed_layers"
    assert packed["layer_sizes"] == rank["layer_sizes"], family
    assert packed["last_layer"] == rank["last_layer"] or rank["last_layer"] is None


@pytest.mark.parametrize(("family", "n"), [("lrx", 9), ("pancake", 8), ("lx", 8),
                                           ("burnt_pancake", 5), ("larx", 8), ("top_spin", 9)])
def test_every_algorithm_agrees(family, n):
    results = {a: run_growth(GrowthParams(family=family, n=n, algorithm=a))
               for a in ("rank_bitset", "rank_bitset_frontier", "sorted_layers", "packed_layers")}
    results["rank_bitset_frontier threads"] = run_growth(GrowthParams(
        family=family, n=n, threads=2, algorithm="rank_bitset_frontier"))
    reference = results["rank_bitset"]
    for algorithm, result in results.items():
        assert result["algorithm"] == algorithm.removesuffix(" threads")
        assert result["layer_sizes"] == reference["layer_sizes"]
        assert result["last_layer"] == reference["last_layer"]


@pytest.mark.parametrize(("gens", "state", "depth", "words"), [
    (families.lrx(20), list(range(20)), 9, 2),  # S_20: 5 bits a symbol, 12 a word
    (families.lx(30), list(range(30)), 12, 3),
    (families.stars(17), list(range(17)), 4, 2),
    (families.pancake(24), list(range(24)), 3, 2),
    (families.coxeter(40), [i % 2 for i in range(40)], 5, 1),
    (families.coxeter(24), [i % 6 for i in range(24)], 5, 2),  # 3-bit symbols, 21 a word
    (families.lrx(40), "0" * 37 + "112", None, 2),
    (families.lrx(70), "0" * 68 + "12", None, 3),
    (families.lx(65), "0" * 63 + "11", None, 2),  # directed, two words of 1-bit symbols
    (families.top_spin(33), "0" * 30 + "123", 14, 2),
])
def test_multi_word_states_match_python_bfs(gens, state, depth, words):
    graph = prepare_graph(gens, central_state=state)
    assert graph.words == words
    result = growth(graph, max_diameter=depth)
    assert result["algorithm"] == ("packed_layers" if words > 1 else "sorted_layers")
    assert result["state_words"] == words
    assert result["layer_sizes"] == python_bfs(gens, list(state), depth)


def test_schreier_orbit_count_of_long_binary_strings():
    # LRX on strings with four 1s among 64: the orbit is every arrangement, C(64, 4)
    gens = families.lrx(64)
    result = run_growth(GrowthParams(generators=gens, central_state="0" * 60 + "1111"))
    assert result["num_vertices"] == math.comb(64, 4)
    assert result["bfs_completed"] and result["kind"] == "schreier"
    assert result["invariants_checked"]["sum_of_layers_equals_vertex_count"] == math.comb(64, 4)
    assert result["layer_sizes"] == python_bfs(gens, "0" * 60 + "1111")


def test_fixed_positions_are_dropped_and_restored():
    # generators that never touch positions 5..9: the state keeps only 0..4
    gens = [g + list(range(5, 10)) for g in families.pancake(5)]
    state = ["a", "b", "c", "d", "e", "x", "x", "y", "y", "z"]
    graph = prepare_graph(gens, central_state=state)
    assert graph.n == 5 and sorted(graph.kept) == [0, 1, 2, 3, 4] and graph.positions == 10
    result = growth(graph, store_layers_max_size=10)
    assert result["layer_sizes"] == [1, 4, 12, 35, 48, 20]
    assert result["layers"]["0"] == ["abcdexxyyz"]
    assert all(s.endswith("xxyyz") for s in result["last_layer"])


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_random_generators_and_states_match_python_bfs(seed):
    rng = random.Random(seed)
    n = rng.randint(3, 70)
    symbols = rng.randint(2, min(n, 9))
    state = [rng.randrange(symbols) for _ in range(n)]
    gens = []
    for _ in range(rng.randint(1, 3)):
        p = list(range(n))
        i, j = rng.sample(range(n), 2)
        p[i], p[j] = p[j], p[i]
        if rng.random() < 0.5:
            p = p[1:] + p[:1]
        gens.append(p)
    depth = 6
    result = growth(prepare_graph(gens, central_state=state), max_diameter=depth,
                    algorithm="packed_layers")
    assert result["layer_sizes"] == python_bfs(gens, state, depth)


def test_set_kernels_are_exact_when_keys_collide():
    # keys decide only the order: with keys that collide all the time (2 bits of the first
    # word) sorting, de-duplication, set difference and merging must still be exact
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 3, size=(6000, 3), dtype=np.uint64)
    keys = rows[:, 0] & np.uint64(3)
    keys, ordered = pk.sort_states(rows, keys.copy())
    pairs = list(zip(keys.tolist(), map(tuple, ordered.tolist()), strict=True))
    assert pairs == sorted(pairs)
    count = pk.unique_rows(keys, ordered, len(keys))
    distinct = {tuple(r) for r in rows.tolist()}
    assert count == len(distinct)
    assert {tuple(r) for r in ordered[:count].tolist()} == distinct
    seen_keys, seen_rows = keys[:count:3].copy(), ordered[:count:3].copy()
    cand_keys, cand_rows = keys[:count].copy(), ordered[:count].copy()
    kept = pk.unique_not_in(cand_keys, cand_rows, count, seen_keys, seen_rows,
                            seen_keys[:0], seen_rows[:0])
    assert {tuple(r) for r in cand_rows[:kept].tolist()} == \
        distinct - {tuple(r) for r in seen_rows.tolist()}
    out_rows = np.empty((count + len(seen_keys), 3), dtype=np.uint64)
    out_keys = np.empty(len(out_rows), dtype=np.uint64)
    total = pk.merge_states(keys[:count], ordered[:count], seen_keys, seen_rows, out_keys, out_rows)
    assert total == count  # seen is a subset: kept once
    merged = list(zip(out_keys[:total].tolist(), map(tuple, out_rows[:total].tolist()), strict=True))
    assert merged == sorted(set(merged))


def test_real_hash_keys_order_the_states():
    rows = np.random.default_rng(3).integers(0, 2**63, size=(4000, 2), dtype=np.uint64)
    rows = np.concatenate([rows, rows[:1000]])  # duplicates
    keys, ordered = pk.sort_states(rows, pk.state_keys(rows))
    assert np.array_equal(keys, pk.state_keys(ordered))
    assert pk.unique_rows(keys, ordered, len(keys)) == 4000
