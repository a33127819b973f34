"""CayleyPy's cycle and conjugacy-class families, checked against a plain-Python BFS.

The BFS here works on tuples in a set and shares no code with the engine.
A few sequences are also compared with CayleyPy 0.2.0's shipped growth
datasets (``cayleypy/data/*_cayley_growth.csv``), which were computed by a
different program.
"""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError
from sympy.combinatorics import Permutation, PermutationGroup

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley.job import GrowthParams, run_growth
from mathdisco.engines.registry import get_job_type

NEW_FAMILIES = ["wrapped_k_cycles", "consecutive_k_cycles", "increasing_k_cycles", "down_cycles",
                "prefix_cycles", "lsl_cycles", "all_cycles", "derangements",
                "involutive_derangements", "three_cycles_0ij", "three_cycles_01i",
                "generalized_stars", "cubic_pancake", "koltsov3"]

# CayleyPy 0.2.0 datasets: family -> {(n, k): layer sizes}
CAYLEYPY = {
    "wrapped_k_cycles": {(5, 3): [1, 5, 21, 31, 2], (6, 3): [1, 6, 33, 123, 167, 30],
                         (5, 4): [1, 5, 16, 40, 42, 15, 1]},
    "consecutive_k_cycles": {(6, 3): [1, 4, 15, 42, 77, 91, 76, 39, 13, 2],
                             (6, 4): [1, 3, 9, 27, 71, 154, 235, 175, 44, 1]},
    "increasing_k_cycles": {(5, 3): [1, 10, 37, 11, 1], (6, 4): [1, 15, 112, 302, 247, 43]},
    "down_cycles": {(6, None): [1, 15, 85, 225, 274, 120]},
    "prefix_cycles": {(8, None): [1, 7, 48, 280, 1344, 5040, 13440, 20160]},
    "lsl_cycles": {(7, None): [1, 4, 10, 23, 50, 108, 223, 424, 684, 935, 1016, 900, 502, 142,
                               17, 1]},
    "all_cycles": {(7, None): [1, 2365, 2674]},
    "derangements": {(7, None): [1, 1854, 3185]},
    "involutive_derangements": {(8, None): [1, 105, 2590, 11640, 5824]},
}


def python_bfs(generators, n, max_depth=None):
    start = tuple(range(n))
    seen, layer, sizes = {start}, [start], [1]
    while layer and (max_depth is None or len(sizes) - 1 < max_depth):
        nxt = []
        for s in layer:
            for p in generators:
                t = tuple(s[i] for i in p)
                if t not in seen:
                    seen.add(t)
                    nxt.append(t)
        if nxt:
            sizes.append(len(nxt))
        layer = nxt
    return sizes


def _cases():
    for name in NEW_FAMILIES:
        spec = families.PERMUTATION_FAMILIES[name]
        top = 6 if name in ("all_cycles", "derangements") else 7  # thousands of generators at 7
        for n in range(spec.lo, min(spec.hi, top) + 1):
            if spec.even_n and n % 2:
                continue
            ks = [None]
            if spec.takes_k:
                lo, hi = spec.k_range(n)
                ks = sorted({lo, min(hi, spec.k_default), hi} & set(range(lo, hi + 1)))
            for k in ks:
                yield name, n, k


@pytest.mark.parametrize(("family", "n", "k"), list(_cases()))
def test_new_families_match_a_plain_python_bfs(family, n, k):
    gens = families.permutation_family(family, n, k)
    result = run_growth(GrowthParams(family=family, n=n, k=k))
    assert result["layer_sizes"] == python_bfs(gens, n)
    order = PermutationGroup([Permutation(g) for g in gens]).order()
    assert result["group_order"] == order == result["num_vertices"]
    assert result["k"] == families.family_k(family, n, k)


@pytest.mark.parametrize("family", sorted(CAYLEYPY))
def test_new_families_match_cayleypy_datasets(family):
    for (n, k), sizes in CAYLEYPY[family].items():
        result = run_growth(GrowthParams(family=family, n=n, k=k))
        assert result["layer_sizes"] == sizes, (family, n, k)


def test_defining_properties():
    for n in (4, 6, 8):
        gens = families.permutation_family("involutive_derangements", n)
        assert len(gens) == math.prod(range(1, n, 2))  # (n-1)!!
        assert all(g[g[i]] == i != g[i] for g in gens for i in range(n))
    assert len(families.permutation_family("derangements", 6)) == 265  # subfactorial !6
    assert len(families.permutation_family("all_cycles", 6)) == 409
    assert len(families.permutation_family("increasing_k_cycles", 9, 4)) == math.comb(9, 4)
    assert len(families.permutation_family("down_cycles", 9)) == math.comb(9, 2)
    # generalized stars with one centre are the stars
    assert families.permutation_family("generalized_stars", 7, 1) == families.stars(7)
    # consecutive 2-cycles are the Coxeter generators; wrapped ones the cyclic Coxeter set
    assert sorted(families.permutation_family("consecutive_k_cycles", 7, 2)) == \
        sorted(families.coxeter(7))
    assert sorted(families.permutation_family("wrapped_k_cycles", 7, 2)) == \
        sorted(families.cyclic_coxeter(7))


def test_directed_families_are_directed():
    result = run_growth(GrowthParams(family="prefix_cycles", n=6))
    assert result["inverse_closed"] is False and result["diameter"] == 5
    assert run_growth(GrowthParams(family="lsl_cycles", n=6))["inverse_closed"] is True


@pytest.mark.parametrize("params", [
    {"family": "wrapped_k_cycles", "n": 5, "k": 6},
    {"family": "involutive_derangements", "n": 7},
    {"family": "all_cycles", "n": 8},
    {"family": "cubic_pancake", "n": 6, "k": 8},
    {"family": "prefix_cycles", "n": 6, "k": 2},
    {"family": "koltsov3", "n": 6, "k": 3},
])
def test_family_parameters_are_checked(params):
    with pytest.raises(ValidationError):
        get_job_type("cayley_growth").validate(params)


def test_more_than_sixteen_points():
    # S_18 Cayley graphs go through the packed states (5 bits a point, two words)
    for family, depth in (("prefix_cycles", 4), ("lsl_cycles", 7), ("three_cycles_01i", 4)):
        result = run_growth(GrowthParams(family=family, n=18, max_diameter=depth))
        assert result["state_words"] == 2 and result["algorithm"] == "packed_layers"
        gens = families.permutation_family(family, 18)
        assert result["layer_sizes"] == python_bfs(gens, 18, depth)
