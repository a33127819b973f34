"""Growth conjectures from sweeps (spheres, antipodes, the n^2/2 + 4n bound) and the extremal
search; the sweeps are never told the formulas they must find."""

from __future__ import annotations

import math

import pytest
import sympy
from sympy.functions.combinatorial.numbers import stirling

from mathdisco.engines.cayley import rank_bitset
from mathdisco.engines.cayley.conjectures import FitArgs, bound_check, sequence_conjecture
from mathdisco.engines.cayley.job import GrowthParams, SweepParams, run_growth, run_sweep
from mathdisco.engines.cayley.params import MAX_THREADS
from mathdisco.engines.cayley.quasipolynomial import formula_value
from mathdisco.engines.registry import get_job_type


def _quiet(done, total, message=""):
    pass


def test_stirling_sphere_sizes_of_all_transpositions_are_found():
    params = SweepParams(family="all_transpositions", n_min=2, n_max=6, extend=True,
                         time_budget_s=60, antipodes=False, sphere_radius_max=3)
    result = run_sweep(params)
    get_job_type("cayley_sweep").check_result(result)
    spheres = {e["k"]: e for e in result["sphere_formulas"]}
    assert sorted(spheres) == [1, 2, 3]
    for k, entry in spheres.items():
        formula = entry["formula"]
        assert formula is not None, entry["detail"]
        # the fit is checked against sympy's Stirling numbers, far past the data
        for n in range(max(formula["valid_from"], k), 45):
            assert formula_value(formula, n) == stirling(n, n - k, kind=1, signed=False)
        assert entry["status"] == "known" and "Stirling" in entry["theorem"]
        assert len(formula["checked_on"]) >= 2
    # degree 2k polynomials need 2k + 3 values: the sweep went past its full searches
    assert max(int(n) for n in result["depth_limited"]) >= 10
    assert result["diameter_conjecture"]["status"] == "known"


def test_pancake_spheres_up_to_radius_three():
    result = run_sweep(SweepParams(family="pancake", n_min=2, n_max=8, sphere_radius_max=3,
                                   antipodes=False))
    spheres = {e["k"]: e for e in result["sphere_formulas"]}
    expected = {1: lambda n: n - 1, 2: lambda n: (n - 1) * (n - 2),
                3: lambda n: (n - 1) * (n - 2) ** 2 - 1}
    check = run_growth(GrowthParams(family="pancake", n=10, max_diameter=3))["layer_sizes"]
    for k, value in expected.items():
        formula = spheres[k]["formula"]
        assert formula is not None and formula["valid_from"] <= 3
        assert all(formula_value(formula, n) == value(n) for n in range(3, 40))
        assert formula_value(formula, 10) == check[k]  # a search the fit never saw
        assert spheres[k]["status"] == "known"
    assert "Konstantinova" in spheres[3]["theorem"]
    # the pancake diameters n = 2..8 support no formula (the sequence is not a quasi-polynomial)
    assert result["formula"] is None and result["antipode_formula"] is None
    job = get_job_type("cayley_sweep")
    view = job.view(job.check_result(result))
    assert [f.label for f in view.formulas] == [f"pancake: |S_{k}|" for k in (1, 2, 3)]
    assert [c.id for c in view.charts] == ["diameters", "spheres"]


def test_an_unregistered_formula_is_open_and_too_little_data_is_said():
    points = [{"n": n, "layer_sizes": [1, 2 * n + 1], "complete": False} for n in range(3, 8)]
    entry = sequence_conjecture("pancake", "sphere", 1, points, FitArgs(max_degree=1))
    assert entry["status"] == "open" and entry["theorem"] is None
    short = sequence_conjecture("pancake", "sphere", 1, points[:3], FitArgs(max_degree=1))
    assert short["status"] == "insufficient data" and short["formula"] is None
    assert "n = 3..5" in short["detail"]
    # spheres beyond the diameter are empty: zeros say nothing about larger n
    zeros = [{"n": n, "layer_sizes": [1, 3, 2], "complete": True} for n in range(3, 9)]
    empty = sequence_conjecture("pancake", "sphere", 4, zeros, FitArgs(max_degree=2))
    assert empty["formula"] is None and empty["status"] == "insufficient data"


def test_bound_is_checked_on_every_undirected_symmetric_group_graph():
    coxeter = run_sweep(SweepParams(family="coxeter", n_min=3, n_max=6))
    bound = coxeter["bound_check"]
    assert bound["checked_n"] == [3, 4, 5, 6] and bound["violations"] == []
    assert bound["max_ratio"] == round(15 / 42, 4)
    # LX is directed: the bound is not about it
    lx = run_sweep(SweepParams(family="lx", n_min=3, n_max=6))
    assert lx["bound_check"]["checked_n"] == [] and lx["bound_check"]["not_applicable_n"]
    # a diameter above n^2/2 + 4n would be reported
    assert bound_check([{"n": 4, "diameter": 25, "applies": True}])["violations"] == [4]


def test_extremal_search_through_run_and_independent_bfs():
    job = get_job_type("cayley_extremal")
    params = job.validate({"shape": "involution_triples", "n_min": 4, "n_max": 5})
    result = job.run(params, _quiet)
    model = job.check_result(result)
    rows = {r["n"]: r for r in result["per_n"]}
    assert rows[4]["max_diameter"] == 6 and rows[5]["max_diameter"] == 10
    for n, row in rows.items():
        assert row["within_bound"] and row["generating"] > 0
        for m in row["maximisers"]:
            assert len({tuple(g) for g in m["generators"]}) == 3
            assert all(sorted(g) == list(range(n)) and [g[g[i]] for i in range(n)]
                       == list(range(n)) for g in m["generators"])
            # the growth engine, a different BFS, agrees on the group and the diameter
            growth = run_growth(GrowthParams(generators=m["generators"]))
            assert growth["num_vertices"] == math.factorial(n)
            assert growth["diameter"] == row["max_diameter"]
        assert row["growth"] == run_growth(
            GrowthParams(generators=row["maximisers"][0]["generators"]))["layer_sizes"]
    assert job.view(model).charts[0].id == "extremal"
    assert job.estimate(params).seconds > 0
    # each n searched in full is one discovery: the maximum, stated apart from who found it
    found = job.discoveries(params, model)
    assert [(d.statement.n, d.statement.max_diameter) for d in found] == [(4, 6), (5, 10)]
    again = job.discoveries(job.validate({"shape": "involution_triples", "n_min": 5, "n_max": 5}),
                            job.check_result(job.run(job.validate(
                                {"shape": "involution_triples", "n_min": 5, "n_max": 5}), _quiet)))
    assert again[0].fingerprint() == found[1].fingerprint() and found[1].kind == "extremal_diameter"
    assert found[1].evidence["first_maximiser"] == rows[5]["maximisers"][0]["cycles"]
    # one piece of a search (an index range) states nothing about the shape's maximum
    piece = job.validate({"shape": "involution_triples", "n_min": 5, "n_max": 5,
                          "index_start": 0, "index_stop": 10})
    assert job.discoveries(piece, job.check_result(job.run(piece, _quiet))) == []
    # two involutions generate a dihedral group: never S_n for n >= 4
    pairs = job.run(job.validate({"shape": "involution_pairs", "n_min": 3, "n_max": 5}), _quiet)
    assert [r["generating"] > 0 for r in pairs["per_n"]] == [True, False, False]


def test_extremal_shards_merge_equal_run():
    job = get_job_type("cayley_extremal")
    params = job.validate({"shape": "involution_element_pairs", "n_min": 4, "n_max": 5,
                           "shard_size": 100, "max_listed": 5})
    shards = job.shards(params)
    assert len(shards) > 3 and {s["n_min"] for s in shards} == {4, 5}
    results = [job.run(job.validate(s), _quiet) for s in reversed(shards)]
    merged = job.merge(params, results)
    direct = job.run(params, _quiet)
    assert merged["per_n"] == direct["per_n"]
    assert merged["max_diameter_by_n"] == direct["max_diameter_by_n"]
    try:
        job.merge(params, results[:-1])
    except ValueError as exc:
        assert "cover" in str(exc)
    else:
        raise AssertionError("a missing shard was not noticed")


def test_matrix_diameter_in_p_is_fitted():
    from mathdisco.engines.cayley.catalogue import matrix_sweep

    entry = matrix_sweep("heisenberg", 4, 10, budget_s=60)
    formula = entry["conjecture"]["formula"]
    assert formula is not None and formula["period"] == 2
    # diam H(Z/p) = 4 floor(p/2) for n = 4 (reference cayley.md Section 3.6)
    assert all(formula_value(formula, p) == 4 * (p // 2) for p in range(formula["valid_from"], 40))
    assert "p" in formula["text"] and entry["conjecture"]["status"] == "open"
    assert sympy.sympify(formula["polynomials"][0]["expression"]).free_symbols


@pytest.mark.parametrize("smallest_threaded_slice", [0, 1 << 16])
def test_threaded_rank_bitset_search_gives_the_same_growth(monkeypatch, smallest_threaded_slice):
    if MAX_THREADS < 2:
        pytest.skip("one CPU: threads=2 is refused by the params")
    # 0: every slice goes through the threaded kernels (plain and bucketed); 2^16: the default
    monkeypatch.setattr(rank_bitset, "PARALLEL_MIN_STATES", smallest_threaded_slice)
    for family, n, depth in [("pancake", 8, None), ("lrx", 9, None), ("pancake", 11, 4)]:
        one = run_growth(GrowthParams(family=family, n=n, max_diameter=depth, threads=1))
        two = run_growth(GrowthParams(family=family, n=n, max_diameter=depth, threads=2))
        assert one["algorithm"] == two["algorithm"] == "rank_bitset"
        assert one["layer_sizes"] == two["layer_sizes"]
        if depth is None:
            assert one["num_vertices"] == math.factorial(n)
