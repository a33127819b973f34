"""The pcf_cluster job: identification of known PCFs, clustering of a small box,
exact shard/merge, and refusal of bad input."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from pydantic import ValidationError

from engines.numerics.expressions import constant_expression_value
from engines.pcf import job
from engines.pcf.identification import identify_value, pcf_value
from engines.registry import get_job_type

BASIS = ["pi", "e", "ln2", "zeta3", "catalan", "sqrt2", "phi", "pi2", "tan1", "e2"]


@pytest.mark.parametrize(("a", "b", "constant", "closed_form"), [
    ([1, 2], [0, 0, 1], "pi", "4/pi"),                            # reference case 1
    ([3, 1], [0, -1], "e", "E"),                                   # case 4
    ([3, 6], [0, 0, -1], "ln2", "2/log(2)"),                       # case 8
    ([5, 27, 51, 34], [0, 0, 0, 0, 0, 0, -1], "zeta3", "6/zeta(3)"),  # case 9, Apery
    ([3, 11, 11], [0, 0, 0, 0, 1], "pi2", "30/pi**2"),             # case 10
    ([1, 3, 3], [0, 0, 0, 0, -2], "catalan", "1/(2*catalan)"),
    ([2], [1], "sqrt2", "1 + sqrt(2)"),                            # case 14
    ([1], [1], "phi", "(1 + sqrt(5))/2"),                          # case 13
    ([1, 2], [-1], "tan1", "1/tan(1)"),                            # case 15
])
def test_known_pcfs_are_identified(a, b, constant, closed_form):
    value = pcf_value(a, b, 2000, 110)
    assert value.digits >= 100
    match = identify_value(value.value, value.digits, BASIS, search_dps=50)
    assert match is not None and match.constant == constant
    with mpmath.workdps(110):
        got = constant_expression_value(match.expression, 100)
        want = constant_expression_value(closed_form, 100)
        assert abs(got - want) < mpmath.mpf(10) ** -95


def test_random_number_is_not_identified():
    with mpmath.workdps(120):
        x = mpmath.mpf(1) / 7 + mpmath.sqrt(mpmath.mpf(3)) ** mpmath.e / 10**3
    assert identify_value(x, 110, BASIS, search_dps=50) is None


@pytest.fixture(scope="module")
def small_box_result():
    params = job.PCFClusterParams(a_degree=1, b_degree=2, coefficient_min=-1, coefficient_max=3,
                                  depth=1000, members_checked=3,
                                  constants=["pi", "e", "ln2", "sqrt2", "phi", "e2", "tan1"])
    return params, job.run(params)


def test_small_box_known_members_land_in_the_right_clusters(small_box_result):
    params, result = small_box_result
    table = result["feature_table"]
    column = {name: i for i, name in enumerate(table["columns"])}
    rows = {row[0]: row for row in table["rows"]}

    def cluster_of(a, b):
        return rows[params.box.index_of(a, b)][column["cluster"]]

    clusters = {c["id"]: c for c in result["clusters"]}

    def first_plane(a, b):
        """The (delta, eta') cluster id: the first element of the leaf's trace."""
        return clusters[cluster_of(a, b)]["trace"][0]

    # 4/pi and 4/(pi - 2): delta ~ -0.2 with factorial reduction (reference cases 1, 7)
    pi_cluster = cluster_of([1, 2], [0, 0, 1])
    assert pi_cluster >= 0 and pi_cluster == cluster_of([3, 2], [0, 2, 1])
    assert clusters[pi_cluster]["constant"] == "pi"
    # its members with a(n) = 3n + ... converge to other constants: at most "partial"
    assert clusters[pi_cluster]["label"] in ("identified", "partial")
    assert "4/pi" in clusters[pi_cluster]["expressions"]
    # quadratic irrationals (delta = 1, eta' = 0): phi and 1 + sqrt 2 (cases 13, 14);
    # they converge to different constants, so the cluster cannot be a single-constant one
    assert cluster_of([1], [1]) == cluster_of([2], [1]) >= 0
    assert clusters[cluster_of([1], [1])]["label"] in ("mixed", "partial")
    # delta = 1 with factorial growth: cot 1 and coth 1 (cases 15, 16)
    assert first_plane([1, 2], [-1]) == first_plane([1, 2], [1])
    # e-type, delta ~ 0, eta' ~ 1: 1/(e-1), 1/(e-2) (cases 2, 3)
    assert first_plane([0, 1], [0, 1]) == first_plane([1, 1], [0, 1])
    assert len({first_plane([1, 2], [0, 0, 1]), first_plane([1], [1]),
                first_plane([1, 2], [1]), first_plane([0, 1], [0, 1])}) == 4
    # terminating PCFs are reported, not clustered: b = n^2 - n vanishes at n = 1
    assert rows[params.box.index_of([1, 1], [0, -1, 1])][column["status"]] == "terminating"
    # a = 2n + 1, b = 3n - n^2 stops before b(3) = 0: 1 + 2/(3 + 2/5) = 27/17
    stopped = rows[params.box.index_of([1, 2], [0, 3, -1])]
    assert stopped[column["status"]] == "terminating"
    assert stopped[column["exact_limit"]] == "27/17"
    json.dumps(result)


def test_small_box_identified_formulas(small_box_result):
    params, result = small_box_result
    formulas = {(tuple(f["a"]["polynomials"][0]), tuple(f["b"]["polynomials"][0])): f
                for f in result["identified"]}
    four_over_pi = formulas[((1, 2), (0, 0, 1))]
    assert four_over_pi["equals"] == "4/pi"
    assert four_over_pi["verified_digits"] >= 100
    assert four_over_pi["a"]["period"] == 1 and four_over_pi["b"]["period"] == 1
    for f in result["identified"]:
        a, b = f["a"]["polynomials"][0], f["b"]["polynomials"][0]
        value = pcf_value(a, b, 4000, 60).value
        with mpmath.workdps(60):
            assert abs(value - constant_expression_value(f["equals"], 50)) < mpmath.mpf(10) ** -40
    found = get_job_type("pcf_cluster").discoveries(params, result)
    assert len(found) == len(result["identified"]) and found[0].kind == "formula"


def test_shards_merge_exactly(monkeypatch):
    monkeypatch.setattr(job, "SHARD_SIZE", 150)
    params = job.PCFClusterParams(a_degree=1, b_degree=1, coefficient_min=-2,
                                  coefficient_max=2, depth=400, identify_clusters=4,
                                  members_checked=1)
    pieces = job.shards(params)
    assert len(pieces) == 4 and pieces[0]["index_start"] == 0
    assert pieces[-1]["index_stop"] == params.box.count == 576
    shard_results = [job.run(job.PCFClusterParams(**p)) for p in reversed(pieces)]
    merged = job.merge(params, [json.loads(json.dumps(r)) for r in shard_results])
    assert merged == json.loads(json.dumps(job.run(params)))


@pytest.mark.parametrize(("params", "reason"), [
    ({"a_degree": 3, "b_degree": 3, "coefficient_min": -10, "coefficient_max": 10},
     "37,822,470,400 PCFs"),
    ({"depth": 50}, "depth"),
    ({"depth": 100_000}, "depth"),
    ({"constants": ["pi", "not_a_constant"]}, "unknown constants"),
    ({"coefficient_min": 3, "coefficient_max": 1}, "coefficient_min"),
    ({"planes": [["delta", "colour"]]}, "unknown features"),
])
def test_bad_input_is_refused(params, reason):
    with pytest.raises(ValidationError, match=reason):
        get_job_type("pcf_cluster").validate(params)


def test_e_family_along_a0_is_found():
    # a(n) = n + k, b(n) = -n: k = 3 gives e and k = 4 gives e/(e - 2) (reference cases 4, 5)
    from engines.pcf.families import find_families

    members = [([k, 1], [0, -1]) for k in range(2, 7)]
    vectors = np.array([a + b for a, b in members])

    def identify(i):
        value = pcf_value(members[i][0], members[i][1], 1000, 110)
        match = identify_value(value.value, value.digits, ["e"], search_dps=50)
        return None if match is None else match.coefficients

    families = find_families(vectors, {1: identify(1), 2: identify(2)}, identify)
    assert len(families) == 1
    family = families[0]
    assert family["direction"] == [1, 0, 0, 0]
    assert len(family["points"]) >= 3
    relations = {members[row][0][0]: rel for _, row, rel in family["points"]}
    with mpmath.workdps(60):
        e = +mpmath.e
        for k, (c0, c1, c2, c3) in relations.items():
            value = -(c2 + c3 * e) / (c0 + c1 * e)
            assert abs(value - pcf_value([k, 1], [0, -1], 1000, 60).value) < mpmath.mpf(10) ** -50
    assert relations[3] in ([1, 0, 0, -1], [-1, 0, 0, 1])  # L = e
