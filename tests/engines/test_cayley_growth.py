"""cayley_growth: exact growth functions against the reference data.

Sequences and diameters come from the project reference (cayley.md Sections
2.2-2.3 and 3; OEIS A039745, A058986, A008302, A094638, A063810) and CayleyPy
0.2.0's shipped datasets; a few are re-derived here by brute force from
classical formulas (inversions, cycle counts).
"""

from __future__ import annotations

import itertools
import math
import os

import pytest
from pydantic import ValidationError

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley.graph import prepare_graph
from mathdisco.engines.cayley.growth import estimate_memory, growth
from mathdisco.engines.cayley.job import JOB_TYPES, GrowthParams, run_growth
from mathdisco.engines.contract import Cancelled
from mathdisco.engines.registry import get_job_type

GROWTH = {
    ("all_transpositions", 5): [1, 10, 35, 50, 24],
    ("all_transpositions", 6): [1, 15, 85, 225, 274, 120],
    ("coxeter", 4): [1, 3, 5, 6, 5, 3, 1],
    ("coxeter", 5): [1, 4, 9, 15, 20, 22, 20, 15, 9, 4, 1],
    ("cyclic_coxeter", 5): [1, 5, 15, 35, 42, 20, 2],
    ("cyclic_coxeter", 6): [1, 6, 21, 56, 126, 197, 195, 100, 17, 1],
    ("lrx", 5): [1, 3, 6, 10, 16, 24, 29, 21, 6, 3, 1],
    ("lrx", 6): [1, 3, 6, 11, 20, 35, 55, 81, 109, 128, 126, 95, 40, 6, 3, 1],
    ("lrx", 7): [1, 3, 6, 12, 22, 42, 73, 124, 203, 303, 425, 559, 678, 713, 746, 611, 355,
                 122, 28, 10, 3, 1],
    ("lx", 5): [1, 2, 3, 5, 8, 12, 15, 20, 22, 19, 11, 2],
    ("lx", 6): [1, 2, 3, 5, 8, 13, 20, 30, 42, 56, 73, 87, 98, 101, 85, 59, 29, 7, 1],
    ("top_spin", 6): [1, 3, 6, 11, 20, 37, 63, 103, 165, 152, 106, 46, 7],
    ("top_spin", 7): [1, 3, 6, 12, 20, 34, 58, 96, 158, 234, 334, 430, 410, 326, 258, 112, 24, 4],
    ("pancake", 5): [1, 4, 12, 35, 48, 20],
    ("pancake", 6): [1, 5, 20, 79, 199, 281, 133, 2],
    ("pancake", 7): [1, 6, 30, 149, 543, 1357, 1903, 1016, 35],
    ("pancake", 8): [1, 7, 42, 251, 1191, 4281, 10561, 15011, 8520, 455],
    ("burnt_pancake", 2): [1, 2, 2, 2, 1],
    ("burnt_pancake", 3): [1, 3, 6, 12, 18, 6, 2],
    ("burnt_pancake", 4): [1, 4, 12, 36, 90, 124, 96, 18, 3],
    ("full_reversals", 5): [1, 10, 52, 55, 2],
    ("full_reversals", 6): [1, 15, 129, 389, 184, 2],
    ("signed_reversals", 4): [1, 10, 50, 170, 145, 8],  # CayleyPy dataset
    ("stars", 5): [1, 4, 12, 30, 44, 26, 3],
    ("transposons", 6): [1, 35, 259, 380, 45],
    ("block_interchange", 6): [1, 70, 469, 180],
    ("rapaport_m1", 6): [1, 5, 16, 41, 95, 176, 240, 143, 3],  # CayleyPy dataset
    ("rapaport_m1", 7): [1, 6, 24, 75, 214, 526, 1019, 1555, 1381, 239],  # CayleyPy dataset
    ("rapaport_m2", 6): [1, 3, 5, 8, 13, 21, 32, 47, 64, 90, 124, 122, 104, 52, 22, 10, 2],
    ("larx", 6): [1, 2, 3, 5, 8, 12, 18, 28, 43, 63, 88, 113, 125, 108, 70, 24, 8, 1],
}

# reference Section 2.2 (exhaustive data): family -> {n: diameter}
DIAMETERS = {
    "all_transpositions": {n: n - 1 for n in range(2, 10)},
    "coxeter": {n: n * (n - 1) // 2 for n in range(2, 9)},
    "cyclic_coxeter": {2: 1, 3: 2, 4: 4, 5: 6, 6: 9, 7: 12, 8: 16, 9: 20},
    "lrx": {3: 2, 4: 6, 5: 10, 6: 15, 7: 21, 8: 28, 9: 36},
    "pancake": {2: 1, 3: 3, 4: 4, 5: 5, 6: 7, 7: 8, 8: 9, 9: 10},
    "full_reversals": {n: n - 1 for n in range(2, 9)},
    "signed_reversals": {2: 3, 3: 3, 4: 5, 5: 6},
    "stars": {3: 3, 4: 4, 5: 6, 6: 7, 7: 9, 8: 10, 9: 12},
    "transposons": {2: 1, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 5},
    "block_interchange": {3: 1, 4: 2, 5: 2, 6: 3, 7: 3, 8: 4},
    "burnt_pancake": {1: 1, 2: 4, 3: 6, 4: 8, 5: 10, 6: 12},
}

GLUSHKOV_LX = {3: 2, 4: 6, 5: 11, 6: 18, 7: 25, 8: 35, 9: 45}  # OEIS A039745


@pytest.mark.parametrize(("family", "n"), sorted(GROWTH))
def test_growth_sequences_match_reference(family, n):
    result = run_growth(GrowthParams(family=family, n=n))
    assert result["layer_sizes"] == GROWTH[(family, n)]
    assert result["diameter"] == len(GROWTH[(family, n)]) - 1
    assert result["num_vertices"] == sum(GROWTH[(family, n)])
    assert result["bfs_completed"]


@pytest.mark.parametrize("family", sorted(DIAMETERS))
def test_diameters_match_reference_table(family):
    for n, diameter in DIAMETERS[family].items():
        assert run_growth(GrowthParams(family=family, n=n))["diameter"] == diameter, (family, n)


def test_glushkov_lx_diameters_up_to_9_and_fibonacci_start():
    for n, diameter in GLUSHKOV_LX.items():
        result = run_growth(GrowthParams(family="lx", n=n))
        assert result["diameter"] == diameter
        assert result["num_vertices"] == math.factorial(n)
        assert result["inverse_closed"] is False
    # reference 3.4: first layers are Fibonacci numbers up to distance n-1, and the
    # number of farthest elements is 1 for even n > 4, 2 for odd n > 5
    sizes = run_growth(GrowthParams(family="lx", n=9))["layer_sizes"]
    fib = [1, 2]
    while len(fib) < 9:
        fib.append(fib[-1] + fib[-2])
    assert sizes[:9] == fib and sizes[9] == 88
    assert sizes[-1] == 2
    assert run_growth(GrowthParams(family="lx", n=8))["layer_sizes"][-1] == 1


def test_lrx_antipode_is_the_known_element():
    # reference 3.5: unique farthest element (2, 1, n, n-1, ..., 3) (1-based)
    result = run_growth(GrowthParams(family="lrx", n=8))
    assert result["last_layer"] == [[1, 0, 7, 6, 5, 4, 3, 2]]


def _cycle_type(p):
    seen, lengths = set(), []
    for start in range(len(p)):
        if start not in seen:
            length, x = 0, start
            while x not in seen:
                seen.add(x)
                x = p[x]
                length += 1
            lengths.append(length)
    return lengths


def _distribution(n, distance):
    counts = {}
    for p in itertools.permutations(range(n)):
        d = distance(p)
        if d is not None:
            counts[d] = counts.get(d, 0) + 1
    return [counts[d] for d in range(max(counts) + 1)]


@pytest.mark.parametrize("n", [4, 6, 7])
def test_brute_force_word_lengths(n):
    # transpositions: n - #cycles; adjacent transpositions: #inversions;
    # 3-cycles on A_n: (n - #odd cycles) / 2
    def inversions(p):
        return sum(p[i] > p[j] for i in range(n) for j in range(i + 1, n))

    def three(p):
        lengths = _cycle_type(p)
        if (n - len(lengths)) % 2:
            return None
        return (n - sum(1 for c in lengths if c % 2)) // 2

    assert run_growth(GrowthParams(family="all_transpositions", n=n))["layer_sizes"] == \
        _distribution(n, lambda p: n - len(_cycle_type(p)))
    assert run_growth(GrowthParams(family="coxeter", n=n))["layer_sizes"] == \
        _distribution(n, inversions)
    result = run_growth(GrowthParams(family="three_cycles", n=n))
    assert result["layer_sizes"] == _distribution(n, three)
    assert result["num_vertices"] == math.factorial(n) // 2
    assert result["layer_sizes"][1] == 2 * math.comb(n, 3)


def test_top_spin_odd_n_generates_alternating_group():
    result = run_growth(GrowthParams(family="top_spin", n=9))
    assert result["num_vertices"] == math.factorial(9) // 2
    assert result["group_order"] == math.factorial(9) // 2


@pytest.mark.parametrize(("family", "n"), [("lrx", 8), ("pancake", 7), ("lx", 7),
                                           ("burnt_pancake", 4), ("larx", 7), ("top_spin", 9)])
def test_all_algorithms_agree(family, n):
    results = {a: run_growth(GrowthParams(family=family, n=n, algorithm=a))
               for a in ("rank_bitset", "rank_bitset_frontier", "sorted_layers")}
    reference = results["rank_bitset"]
    for algorithm, result in results.items():
        assert result["algorithm"] == algorithm
        assert result["layer_sizes"] == reference["layer_sizes"]
        assert result["last_layer"] == reference["last_layer"]


def test_frontier_bitsets_chosen_when_lists_do_not_fit():
    # full S_12: lists need ~2.5 GB, three bitsets 180 MB, so the lean variant is chosen
    graph = prepare_graph(families.lrx(12))
    assert estimate_memory(graph, budget_bytes=2**29)["algorithm"] == "rank_bitset_frontier"
    assert estimate_memory(graph, budget_bytes=2**33)["algorithm"] == "rank_bitset"
    result = run_growth(GrowthParams(family="lrx", n=12, memory_budget_gib=0.5, max_diameter=6,
                                     algorithm="rank_bitset_frontier"))
    assert result["algorithm"] == "rank_bitset_frontier"
    lists = run_growth(GrowthParams(family="lrx", n=12, max_diameter=6))
    assert lists["algorithm"] == "rank_bitset"
    assert result["layer_sizes"] == lists["layer_sizes"]
    assert result["layer_sizes"][:6] == [1, 3, 6, 12, 24, 48]  # free growth 3 * 2^(d-1) early on
    assert result["bfs_completed"] is False
    assert result["memory"]["peak_tracked_bytes"] <= 0.5 * 2**30


SCHREIER = {
    "0011": [1, 2, 3],
    "000111": [1, 2, 3, 4, 4, 3, 2, 1],
    "01010101": [1, 2, 3, 4, 6, 10, 10, 12, 8, 5, 2, 3, 4],
    "0000011111": [1, 2, 3, 4, 6, 8, 10, 13, 14, 17, 23, 25, 26, 25, 23, 21, 16, 11, 4],
    "01210": [1, 3, 5, 8, 7, 5, 1],
    "0110110110": [1, 3, 4, 6, 11, 16, 19, 23, 31, 29, 20, 14, 10, 10, 6, 3, 3, 1],
}


@pytest.mark.parametrize("state", sorted(SCHREIER))
def test_schreier_coset_graphs_of_lrx(state):
    result = run_growth(GrowthParams(family="lrx", n=len(state), central_state=state))
    assert result["kind"] == "schreier"
    assert result["layer_sizes"] == SCHREIER[state]
    counts = [state.count(s) for s in set(state)]
    assert result["num_vertices"] == math.factorial(len(state)) // math.prod(
        math.factorial(c) for c in counts)
    if state == "0110110110":
        assert result["last_layer"] == ["1111100001"]


def test_top_spin_coset_and_explicit_generators():
    assert run_growth(GrowthParams(family="top_spin", n=6, central_state="000111"))[
        "layer_sizes"] == [1, 2, 3, 4, 4, 3, 2, 1]
    gens = families.lrx(6)
    explicit = run_growth(GrowthParams(generators=gens, central_state=[0, 0, 0, 1, 1, 1]))
    assert explicit["layer_sizes"] == [1, 2, 3, 4, 4, 3, 2, 1]
    assert explicit["last_layer"] == [[0, 1, 0, 1, 0, 1]]


def test_sixteen_points_use_all_64_bits():
    # a 16-cycle alone: the directed cycle C_16; states fill the whole word
    result = run_growth(GrowthParams(generators=[families.left_shift(16)],
                                     store_layers_max_size=1))
    assert result["layer_sizes"] == [1] * 16
    assert result["algorithm"] == "sorted_layers"
    assert result["last_layer"] == [[15] + list(range(15))]
    assert sorted(tuple(v[0]) for v in result["layers"].values()) == sorted(
        tuple((i + d) % 16 for i in range(16)) for d in range(16))
    transpositions = run_growth(GrowthParams(generators=[families.left_shift(16),
                                                         [1, 0] + list(range(2, 16))],
                                             max_diameter=3))
    assert transpositions["layer_sizes"] == [1, 2, 3, 5]  # Fibonacci start of LX


def test_depth_limited_search_of_a_huge_group_is_accepted():
    # S_16 would never fit, but the ball of radius 4 has at most 1 + 2 + ... + 2^4 states
    job = get_job_type("cayley_growth")
    with pytest.raises(ValidationError, match="memory budget"):
        job.validate({"family": "lx", "n": 16})
    params = job.validate({"family": "lx", "n": 16, "max_diameter": 4})
    assert run_growth(params)["layer_sizes"] == [1, 2, 3, 5, 8]


def test_directed_generators_and_add_inverses():
    # LX made undirected is LRX (R = L^-1, X an involution)
    lx = families.lx(7)
    directed = run_growth(GrowthParams(generators=lx))
    undirected = run_growth(GrowthParams(generators=lx, add_inverses=True))
    assert directed["diameter"] == 25 and directed["inverse_closed"] is False
    assert undirected["layer_sizes"] == GROWTH[("lrx", 7)]


def test_matrix_groups():
    assert run_growth(GrowthParams(family="heisenberg", n=3, modulus=5))["layer_sizes"] == \
        [1, 4, 12, 32, 62, 12, 2]
    assert run_growth(GrowthParams(family="heisenberg", n=3, modulus=6))["layer_sizes"] == \
        [1, 4, 12, 34, 70, 66, 24, 4, 1]
    over_z = run_growth(GrowthParams(family="heisenberg", n=3, max_diameter=15))
    assert over_z["layer_sizes"] == [1, 4, 12, 36, 82, 164, 294, 476, 724, 1052, 1464, 1972,
                                     2590, 3324, 4186, 5188]  # OEIS A063810
    assert over_z["bfs_completed"] is False
    # diam UT_3(Z/p) = 2 floor(p/2) for p >= 8; small p: 4, 4, 6, 6, 8, 8 (reference 3.6)
    for p, d in {2: 4, 3: 4, 4: 6, 5: 6, 6: 8, 7: 8, 8: 8, 11: 10}.items():
        result = run_growth(GrowthParams(family="heisenberg", n=3, modulus=p))
        assert result["diameter"] == d and result["num_vertices"] == p ** 3
    # higher Heisenberg H_5 (n=4): 2(n-2) floor(p/2)
    for p in (2, 3, 4, 5):
        result = run_growth(GrowthParams(family="heisenberg", n=4, modulus=p))
        assert result["diameter"] == 4 * (p // 2) and result["num_vertices"] == p ** 5
    ut4 = run_growth(GrowthParams(family="unitriangular", n=4, modulus=2))
    assert ut4["num_vertices"] == 2 ** 6
    explicit = run_growth(GrowthParams(matrix_generators=families.matrix_family("heisenberg", 3),
                                       modulus=5))
    assert explicit["layer_sizes"] == [1, 4, 12, 32, 62, 12, 2]


@pytest.mark.parametrize("params", [
    {"generators": [[0, 1, 2], [1, 0]]},
    {"generators": [[0, 0, 1]]},
    {"generators": [[1, 0, 2]], "central_state": "0011"},
    {"family": "lrx", "n": 6, "central_state": "0011"},
    {"family": "pancake", "n": 17},
    {"family": "burnt_pancake", "n": 17},
    {"family": "pancake"},
    {"family": "heisenberg", "n": 3, "modulus": 0},
    {"family": "heisenberg", "n": 3, "modulus": -5},
    {"matrix_generators": [[[1, 1], [0, 1]]], "modulus": -2},
    {"matrix_generators": [[[1, 1], [0, 1]]]},
    {"family": "lrx", "n": 5, "generators": [[1, 0, 2]]},
    {"family": "lrx", "n": 5, "memory_budget_gib": 64},
    {"family": "lrx", "n": 5, "unknown": 1},
])
def test_bad_input_is_refused_by_validation(params):
    with pytest.raises(ValidationError):
        get_job_type("cayley_growth").validate(params)


def test_memory_estimate_refuses_up_front():
    job = get_job_type("cayley_growth")
    with pytest.raises(ValidationError, match="memory budget"):
        job.validate({"family": "pancake", "n": 14})
    with pytest.raises(ValidationError, match="memory budget"):
        job.validate({"family": "lrx", "n": 12, "memory_budget_gib": 0.1})
    with pytest.raises(ValidationError, match="memory budget"):
        job.validate({"family": "heisenberg", "n": 3, "modulus": 1000, "memory_budget_gib": 1})
    with pytest.raises(ValidationError, match="memory budget"):
        get_job_type("cayley_sweep").validate({"family": "lrx", "n_min": 5, "n_max": 15})


def test_result_reports_memory_and_is_json():
    import json

    result = run_growth(GrowthParams(family="pancake", n=8, store_layers_max_size=10))
    json.dumps(result)
    memory = result["memory"]
    assert 0 < memory["peak_tracked_bytes"] <= memory["budget_bytes"]
    assert memory["peak_rss_bytes"] > 0
    assert result["layers"]["0"] == [list(range(8))]
    assert len(result["layers"]["1"]) == 7
    assert result["invariants_checked"]["sum_of_layers_equals_vertex_count"] == math.factorial(8)


def test_progress_reports_within_layers_and_cancellation_stops_the_search():
    # how fast a cancel lands is a benchmark figure (bench/cancel_latency.py); here: the search
    # reports inside its large layers, and a Cancelled raised by progress ends it at once
    calls = []

    def progress(done, total, message=""):
        calls.append((done, message))
        if len(calls) >= 8:
            raise Cancelled()

    with pytest.raises(Cancelled):
        run_growth(GrowthParams(family="all_transpositions", n=10), progress)
    assert len(calls) == 8
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] < math.factorial(10)


def test_job_types_registered():
    names = {jt.name for jt in JOB_TYPES}
    assert names == {"cayley_growth", "cayley_sweep", "cayley_catalogue", "cayley_extremal"}
    assert get_job_type("cayley_sweep").shards is not None
    assert get_job_type("cayley_extremal").merge is not None


def test_growth_direct_api_doc_example():
    graph = prepare_graph(families.coxeter(4))
    assert growth(graph)["layer_sizes"] == GROWTH[("coxeter", 4)]


@pytest.mark.parametrize("params", [
    {"family": "lrx", "n": 6, "store_layers_max_size": 5},
    {"family": "lrx", "n": 8, "central_state": "00001111"},
    {"family": "lx", "n": 16, "max_diameter": 4},
    {"family": "heisenberg", "n": 3, "modulus": 4, "store_layers_max_size": 4},
    {"puzzle": "pyraminx_no_tips"},
    {"generators": [[1, 2, 0, 3], [0, 1, 3, 2]], "central_state": "abbc"},
])
def test_real_results_match_the_result_model_and_view(params):
    job = get_job_type("cayley_growth")
    result = run_growth(job.validate(params))
    model = job.check_result(result)
    view = job.view(model)
    chart = view.charts[0]
    assert chart.id == "growth" and chart.y.log_toggle and chart.x.integer
    assert chart.series[0].y == [float(s) for s in result["layer_sizes"]]
    assert all(not isinstance(row.value, bool) for row in view.evidence)
    labels = [row.label for row in view.evidence]
    assert labels[0] == "vertices reached" and view.evidence[0].value == result["num_vertices"]
    assert len(labels) == len(set(labels))


def test_estimates_refuse_what_cannot_finish_and_bound_the_budget():
    job = get_job_type("cayley_growth")
    with pytest.raises(ValidationError, match=r"estimated time \d+\.\d h .* exceeds the time limit"):
        job.validate({"family": "three_cycles", "n": 13})
    lrx = job.estimate(job.validate({"family": "lrx", "n": 13}))
    assert 2.1 * 2**30 < lrx.memory_bytes < 4 * 2**30  # three bitsets over 13!
    assert lrx.seconds < job.limits.soft_s
    small = job.estimate(job.validate({"family": "coxeter", "n": 5}))
    assert small.seconds < 1 and small.memory_bytes < 2**20
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    limit = job.params_model.model_json_schema()["properties"]["memory_budget_gib"]["maximum"]
    assert limit <= 0.6 * physical + 0.1 and limit <= 20
    with pytest.raises(ValidationError, match="memory_budget_gib"):
        job.validate({"family": "lrx", "n": 5, "memory_budget_gib": limit + 1})
    sweep = get_job_type("cayley_sweep")
    assert sweep.estimate(sweep.validate({"family": "lrx", "n_min": 3, "n_max": 9})).seconds < 5


def test_progress_never_contradicts_the_counts():
    for params in ({"family": "pancake", "n": 9}, {"family": "lrx", "n": 9,
                                                    "algorithm": "rank_bitset_frontier"},
                   {"puzzle": "cube_2x2x2", "metric": "half_turn"},
                   {"family": "lx", "n": 16, "max_diameter": 12}):
        calls: list[tuple[int, int, str]] = []

        def record(done, total, message="", calls=calls):
            calls.append((done, total, message))

        result = run_growth(GrowthParams(**params), record)
        done, total, message = calls[-1]
        assert message.startswith(("finished", "stopped at the depth limit")), message
        assert done == result["num_vertices"]
        assert total in (0, done)
        assert f"{result['num_vertices']:,} states" in message
        for d, t, m in calls:
            assert t == 0 or d <= t, (d, t, m)
            assert "so far" not in m
        layer_reports = [m for _, _, m in calls if m.startswith("layer") and "done" in m]
        for depth, size in enumerate(result["layer_sizes"][1:], start=1):
            noun = "state" if size == 1 else "states"
            assert f"layer {depth} done ({size:,} {noun})" in layer_reports
