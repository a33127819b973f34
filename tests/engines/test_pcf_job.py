"""The pcf_cluster job: every member identified (noise and slow ones included), recall
against an independent exhaustive pass, the result contract, shards, families, bad input."""

from __future__ import annotations

import json
import math

import gmpy2
import mpmath
import pytest
from pydantic import ValidationError

from mathdisco.engines.numerics.constants import constant_value
from mathdisco.engines.numerics.expressions import constant_expression_value
from mathdisco.engines.pcf import job
from mathdisco.engines.pcf import params as params_module
from mathdisco.engines.pcf.evaluation import tail_value
from mathdisco.engines.pcf.members import identify_member
from mathdisco.engines.pcf.table import TABLE_COLUMNS, box_rows, member_values, tail_index
from mathdisco.engines.registry import get_job_type

COLUMN = {name: i for i, name in enumerate(TABLE_COLUMNS)}


def _params(**changes) -> job.PCFClusterParams:
    return job.PCFClusterParams(**{"depth": 1000, **changes})


@pytest.mark.parametrize(("a", "b", "closed_form"), [
    ([1, 2], [0, 0, 1], "4/pi"),                         # reference case 1
    ([3, 1], [0, -1], "E"),                              # case 4
    ([3, 6], [0, 0, -1], "2/log(2)"),                    # case 8
    ([5, 27, 51, 34], [0, 0, 0, 0, 0, 0, -1], "6/zeta(3)"),  # case 9, Apery
    ([3, 11, 11], [0, 0, 0, 0, 1], "30/pi**2"),          # case 10
    ([1, 2], [-1], "1/tan(1)"),                          # case 15
    ([1, 2], [1], "(exp(2) + 1)/(exp(2) - 1)"),          # case 16
    ([1], [1], "(1 + sqrt(5))/2"),                       # case 13: a quadratic irrational
    ([2], [3], "1 + 2"),                                 # x = 2 + 3/x: rational 3
    ([3], [5], "(3 + sqrt(29))/2"),                      # sqrt 29 is in no basis
    # the slow slice (constant a, quadratic b): cases 17-23
    ([1], [0, 0, 1], "1/log(2)"),
    ([2], [0, 0, 1], "2/(4 - pi)"),
    ([4], [0, 0, 1], "6/(3*pi - 8)"),
    ([5], [0, 0, 1], "2/(2*log(2) - 1)"),
    ([2], [1, -4, 4], "1 + 4/pi"),
    ([4], [1, -4, 4], "2 + gamma(1/4)**4/(8*pi**2)"),
])
def test_known_pcfs_are_identified(a, b, closed_form):
    params = _params(depth=2000)  # only its precisions, depths and basis are used here
    n_star = params.depth // 2
    from mathdisco.engines.pcf.evaluation import convergent_value, convergents

    p, q, _, _ = convergents(a, b, n_star)
    star = convergent_value(a, b, n_star, 400).digits  # the kernel's blind estimate, near enough
    search, check, _ = member_values(params, a, b, (p, q), star)
    found = identify_member(a, b, search, check, tail_index(params))
    assert found is not None
    with mpmath.workdps(80):
        got = constant_expression_value(str(found.expression), 60)
        want = constant_expression_value(closed_form, 60)
    assert abs(got - want) < mpmath.mpf(10) ** -(min(found.verified_digits, 60) - 2)
    assert found.verified_digits > found.found_digits >= 20


def test_an_unrelated_limit_is_not_identified():
    # a(n) = n + 1, b(n) = 2: a ratio of Bessel functions at 2 sqrt 2, in no basis below
    params = _params(a_degree=1, b_degree=0, coefficient_min=-3, coefficient_max=3,
                     constants=["pi", "e", "ln2"])
    from mathdisco.engines.pcf.evaluation import convergents

    p, q, _, _ = convergents([1, 1], [2], 500)
    search, check, _ = member_values(params, [1, 1], [2], (p, q), 400.0)
    assert identify_member([1, 1], [2], search, check, tail_index(params)) is None


@pytest.fixture(scope="module")
def small_box():
    params = _params(a_degree=1, b_degree=2, coefficient_min=0, coefficient_max=2,
                     constants=["pi", "e", "ln2", "e2", "tan1", "bessel_i0_i1_1"])
    return params, json.loads(json.dumps(job.run(params)))


def test_noise_points_are_identified(small_box):
    params, result = small_box
    rows = {row[0]: row for row in result["feature_table"]["rows"]}
    four_over_pi = rows[params.box.index_of([1, 2], [0, 0, 1])]
    assert four_over_pi[-1] == -1, "4/pi should be a noise point of this clustering"
    assert four_over_pi[COLUMN["closed_form"]] == "4/pi"
    formula = next(f for f in result["identified"] if f["equals"] == "4/pi")
    assert formula["cluster"] is None and formula["verified_digits"] >= 90
    identified_noise = [r for r in rows.values() if r[-1] == -1 and r[COLUMN["closed_form"]]
                        and r[COLUMN["constant"]] != "rational"]
    assert len(identified_noise) >= 5


def test_result_contract_view_and_discoveries(small_box):
    params, result = small_box
    job_type = get_job_type("pcf_cluster")
    model = job_type.check_result(result)  # the runner's validation
    assert model.identified_count == len(result["identified"]) > 0
    for formula in result["identified"]:
        assert formula["kind"] == "gcf" and formula["a"]["period"] == 1
        assert formula["verified_digits"] > formula["evidence"]["found_digits"]
    # every formula re-verified: a deeper evaluation against the closed form (plain
    # convergents for fast members, the tail-corrected ones at four times the depth for slow)
    for formula in result["identified"]:
        a, b = formula["a"]["polynomials"][0], formula["b"]["polynomials"][0]
        with mpmath.workdps(130):
            if "tail" in formula["evidence"]["check"]:
                value = tail_value(a, b, 4 * formula["evidence"]["check_depth"], 120)
            else:
                p, q = _sequential(a, b, 3000)
                value = mpmath.mpf(p) / q
            closed = constant_expression_value(formula["equals"], 120)
            assert abs(value - closed) < mpmath.mpf(10) ** -(formula["verified_digits"] - 1)
    view = job_type.view(model)
    assert view.formulas and view.formulas[0].label.startswith("Formula 1: ")
    assert {c.id for c in view.charts} == {"explained", "clusters", "constants"}
    found = job_type.discoveries(params, model)
    # one per catalogue class (classes named only by a closed form are theorem instances, not
    # discoveries) and one per hypothesis
    theorem_classes = sum(entry["constant"] == "hypergeometric" for entry in result["catalogue"])
    assert len(found) == (result["catalogue_classes"] - theorem_classes
                          + len(result["hypotheses"]))
    assert result["catalogue_classes"] == len(result["catalogue"])
    assert sum(entry["size"] for entry in result["catalogue"]) == result["identified_count"]
    assert len({d.fingerprint() for d in found}) == len(found)
    with pytest.raises(Exception, match="does not match"):
        job_type.check_result({**result, "surprise": 1})


def test_terminating_and_rational_members_are_reported(small_box):
    params, result = small_box
    rows = {row[0]: row for row in result["feature_table"]["rows"]}
    # a = 2n + 1, b = 2n - n^2 stops at b(2) = 0: 1 + 1/3 = 4/3
    stopped = rows[params.box.index_of([1, 2], [0, 2, -1])] if params.coefficient_min < 0 else None
    assert stopped is None or stopped[COLUMN["exact_limit"]] == "4/3"
    assert result["status_counts"].get("terminating", 0) == sum(
        1 for r in rows.values() if r[COLUMN["status"]] == "terminating")
    assert all(r[COLUMN["constant"]] == "rational" for r in rows.values()
               if r[COLUMN["status"]] == "terminating")


# -- recall against an exhaustive pass written independently here ---------------------------

def _sequential(a, b, depth):
    """p_depth, q_depth by the plain recurrence (not the engine's binary splitting)."""
    p0, p1, q0, q1 = gmpy2.mpz(1), gmpy2.mpz(a[0]), gmpy2.mpz(0), gmpy2.mpz(1)
    for n in range(1, depth + 1):
        an = sum(c * n**i for i, c in enumerate(a))
        bn = sum(c * n**i for i, c in enumerate(b))
        p0, p1 = p1, an * p1 + bn * p0
        q0, q1 = q1, an * q1 + bn * q0
    return p1, q1


def _exhaustive(params, rows) -> dict[int, str]:
    """Every ok member at depth 3000 / 90 digits: PSLQ (L, L K, 1, K) per constant and (L^2, L, 1)."""
    truth = {}
    basis = {name: constant_value(name, 100) for name in params.constants}
    for row in rows:
        if row[COLUMN["status"]] != "ok":
            continue
        a, b = row[1], row[2]
        p, q = _sequential(a, b, 3000)
        p2, q2 = _sequential(a, b, 1500)
        if q == 0 or q2 == 0:
            continue
        with mpmath.workdps(100):
            x = mpmath.mpf(p) / q
            if abs(x - mpmath.mpf(p2) / q2) > mpmath.mpf(10) ** -90 or abs(x) < 1e-30:
                continue  # too slow for this pass: left out of the truth set
            with mpmath.workdps(50):
                rational = mpmath.pslq([x, 1], maxcoeff=10**8, maxsteps=10**4)
            if rational and abs(rational[0] * x + rational[1]) < mpmath.mpf(10) ** -85:
                continue
            with mpmath.workdps(50):
                quadratic = mpmath.pslq([x * x, x, 1], maxcoeff=10**4, maxsteps=10**4)
            if quadratic and abs(quadratic[0] * x * x + quadratic[1] * x + quadratic[2]) \
                    < mpmath.mpf(10) ** -85:
                truth[row[0]] = "quadratic"
                continue
            for name, k in basis.items():
                with mpmath.workdps(50):
                    r = mpmath.pslq([x, x * k, 1, k], maxcoeff=10**4, maxsteps=10**4)
                if r and (r[0] or r[1]) and (r[1] or r[3]) and \
                        abs(r[0] * x + r[1] * x * k + r[2] + r[3] * k) < mpmath.mpf(10) ** -85:
                    truth[row[0]] = name
                    break
    return truth


def test_recall_against_an_exhaustive_pass():
    params = _params(a_degree=1, b_degree=1, coefficient_min=-2, coefficient_max=2,
                     constants=["pi", "e", "e2", "sqrt_e", "ln2", "tan1", "bessel_i0_i1_1",
                                "bessel_i0_i1_2"])
    result = job.run(params)
    rows = result["feature_table"]["rows"]
    truth = _exhaustive(params, rows)
    assert len(truth) >= 20
    found = {r[0]: r[COLUMN["constant"]] for r in rows
             if r[COLUMN["constant"]] not in (None, "rational")}
    hits = [i for i in truth if i in found]
    recall = len(hits) / len(truth)
    assert recall >= 0.95, sorted(set(truth) - set(found))
    for i in hits:  # the same constant (quadratics under their square-free discriminant)
        assert found[i] == truth[i] or (truth[i] == "quadratic" and found[i].startswith("sqrt"))


# -- the slow slice, shards, families, bad input ----------------------------------------------

def test_the_discovery_slice_yields_its_formulas_from_a_sweep():
    # a = 4, b of degree 2 with coefficients in [-4, 4]: one a-value of the paper's slow slice
    params = _params(a_degree=0, b_degree=2, coefficient_min=-4, coefficient_max=4,
                     constants=["pi", "ln2", "gauss", "lemniscate", "lemniscate_gauss", "catalan"])
    nb = 9**3 - 1
    params = params.model_copy(update={"index_start": 7 * nb, "index_stop": 8 * nb})
    assert params.box.coefficients(7 * nb, 7 * nb + 1)[0].tolist() == [[4]]
    rows, formulas, stats = box_rows(params)
    by_pcf = {(tuple(f["a"]["polynomials"][0]), tuple(f["b"]["polynomials"][0])): f for f in formulas}
    assert by_pcf[((4,), (0, 0, 1))]["constant"] == "pi"                  # 6/(3 pi - 8)
    lemniscate = by_pcf[((4,), (1, -4, 4))]                                  # 2 + varpi G
    assert lemniscate["constant"] == "lemniscate_gauss" and lemniscate["verified_digits"] >= 40
    assert "tail" in lemniscate["evidence"]["search"]
    assert stats["counts"]["slow"] >= 200 and len(formulas) >= 10


def test_shards_merge_exactly(monkeypatch):
    monkeypatch.setattr(job, "SHARD_SIZE", 150)
    params = _params(a_degree=1, b_degree=1, coefficient_min=-2, coefficient_max=2, depth=400,
                     constants=["pi", "e", "tan1"], identify_clusters=4, members_checked=2)
    pieces = job.shards(params)
    assert len(pieces) == 4 and pieces[0]["index_start"] == 0
    assert pieces[-1]["index_stop"] == params.box.count == 576
    shard_results = [job.run(job.PCFClusterParams(**p)) for p in reversed(pieces)]
    for r in shard_results:
        get_job_type("pcf_cluster").check_result(json.loads(json.dumps(r)))
    merged = job.merge(params, [json.loads(json.dumps(r)) for r in shard_results])
    whole = json.loads(json.dumps(job.run(params)))
    for timing in (merged, whole):
        timing.pop("timing")
        timing["identification"].pop("seconds")
    assert merged == whole


def test_a_large_merged_summary_pages_its_formulas_over_the_shards(monkeypatch):
    """Past the summary's bounds the merge leaves `identified` to the shard results (paged by the
    service) and keeps the formulas named by a constant and the largest hypergeometric classes."""
    monkeypatch.setattr(job, "SHARD_SIZE", 150)
    monkeypatch.setattr(job, "MAX_SUMMARY_FORMULAS", 5)
    monkeypatch.setattr(job, "MAX_SUMMARY_CLASSES", 3)
    params = _params(a_degree=1, b_degree=1, coefficient_min=-2, coefficient_max=2, depth=400,
                     constants=["pi", "e", "tan1"], identify_clusters=4, members_checked=2)
    shard_results = [json.loads(json.dumps(job.run(job.PCFClusterParams(**p))))
                     for p in job.shards(params)]
    merged = json.loads(json.dumps(job.merge(params, shard_results)))
    whole = json.loads(json.dumps(job.run(params)))  # one process: nothing to page from
    job_type = get_job_type("pcf_cluster")
    model = job_type.check_result(merged)
    assert merged["identified"] is None and "identified" in merged["identified_note"]
    assert merged["identified_count"] == whole["identified_count"] > 5
    everything = whole["identified"]
    assert merged["named_formulas"] == [f for f in everything if f["form"] != "hypergeometric"]
    paged = {f["index"] for r in shard_results for f in r["identified"]}
    hypergeometric = [f for f in everything if f["form"] == "hypergeometric"]
    assert hypergeometric and {f["index"] for f in hypergeometric} <= paged
    classes = [e for e in whole["catalogue"] if e["constant"] == "hypergeometric"]
    assert len(classes) > 3 and merged["catalogue_classes"] == whole["catalogue_classes"]
    kept = [e for e in merged["catalogue"] if e["constant"] == "hypergeometric"]
    assert len(kept) == 3 and min(e["size"] for e in kept) >= sorted(
        (e["size"] for e in classes), reverse=True)[2]
    assert [e for e in merged["catalogue"] if e["constant"] != "hypergeometric"] == [
        e for e in whole["catalogue"] if e["constant"] != "hypergeometric"]
    assert merged["explained"] == whole["explained"]
    found = {d.fingerprint() for d in job_type.discoveries(params, model)}
    assert found == {d.fingerprint() for d in job_type.discoveries(
        params, job_type.check_result(whole))}
    assert any("named_formulas" in note for note in job_type.view(model).notes)


def test_families_are_fitted_on_some_members_and_checked_on_others():
    # L_k = (k K + 1)/K along a line of coefficient vectors: relations (0, k, -1, -... ) made
    # from real constants' Möbius forms; the fitter must recover c(k) from the fewest points
    from mathdisco.engines.pcf.families import find_families

    members = []
    for k in range(5):
        vector = (k, 1, 0, 2)
        relation = (0, 1, -1, -k)  # L K - 1 - k K = 0  <=>  L = (k K + 1)/K
        members.append((vector, "pi", relation))
    members.append(((9, 9, 9, 9), "pi", (1, 0, 0, -1)))  # off the line
    (family,) = find_families(members)
    assert family["direction"] == [1, 0, 0, 0] and family["points"] == [0, 1, 2, 3, 4]
    assert family["relation_polynomials"] == [[0], [1], [-1], [0, -1]]
    assert family["fitted_on"] == [0, 1] and family["checked_on"] == [2, 3, 4]


def test_families_in_a_box_are_consistent_with_their_members():
    params = _params(a_degree=1, b_degree=1, coefficient_min=-3, coefficient_max=4,
                     constants=["e", "e2", "tan1"], depth=600)
    result = job.run(params)
    by_index = {f["index"]: f for f in result["identified"]}
    assert result["families"]  # Bessel-type lines: Moebius recurrences in k
    for family in result["families"]:
        assert family["checked_on"] and len(family["fitted_on"]) + len(family["checked_on"]) >= 4
        assert family["outside"] == [k for k, m in zip(family["k_values"], family["members"],
                                                        strict=True) if m is None]
        for k, member in zip(family["k_values"], family["members"], strict=True):
            a = [b + k * s for b, s in zip(family["a"]["base"], family["a"]["step"], strict=True)]
            b = [b + k * s for b, s in zip(family["b"]["base"], family["b"]["step"], strict=True)]
            if member is None:  # lengthened past the box: its relation holds on a fresh evaluation
                from mathdisco.engines.pcf.evaluation import convergent_value

                value = convergent_value(a, b, 2000, 60).value
                c0, c1, c2, c3 = family["relations"][k]
                with mpmath.workdps(70):
                    constant = constant_value(family["constant"], 60)
                    assert abs(c0 * value + c1 * value * constant + c2 + c3 * constant) < 1e-40
                continue
            formula = by_index[member]
            assert _trimmed(formula["a"]["polynomials"][0]) == _trimmed(a)
            assert _trimmed(formula["b"]["polynomials"][0]) == _trimmed(b)
            assert formula["constant"] == family["constant"]


def _trimmed(coefficients):
    out = list(coefficients)
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return out


@pytest.mark.parametrize(("params", "reason"), [
    ({"a_degree": 3, "b_degree": 3, "coefficient_min": -10, "coefficient_max": 10},
     "37,822,470,400 PCFs; the estimated cost is"),
    ({"depth": 50}, "depth"),
    ({"depth": 100_000}, "depth"),
    ({"constants": ["pi", "not_a_constant"]}, "unknown constants \\['not_a_constant'\\]"),
    ({"coefficient_min": 3, "coefficient_max": 1}, "coefficient_min"),
    ({"planes": [["delta", "colour"]]}, "unknown features"),
])
def test_bad_input_is_refused(params, reason):
    with pytest.raises(ValidationError, match=reason):
        get_job_type("pcf_cluster").validate(params)


def test_estimate_tracks_the_box():
    job_type = get_job_type("pcf_cluster")
    small = job_type.estimate(job_type.validate({"hypotheses": False}))
    paper = job_type.estimate(job_type.validate({"coefficient_min": -5, "coefficient_max": 5,
                                                 "hypotheses": False}))
    assert 0 < small.seconds < paper.seconds < params_module.JOB_BOUND_S
    assert paper.memory_bytes > small.memory_bytes
    assert math.isclose(paper.seconds / small.seconds, 1_768_900 / 15_376, rel_tol=0.5)
    # the hypothesis search adds its bounded cost: at most hypothesis_max_members members
    for params, count in (({}, 15_376), ({"hypothesis_max_members": 100}, 100),
                          ({"coefficient_min": -5, "coefficient_max": 5}, 20_000)):
        on = job_type.estimate(job_type.validate(params)).seconds
        off = job_type.estimate(job_type.validate({**params, "hypotheses": False})).seconds
        assert math.isclose(on - off, count * job.HYPOTHESIS_S, rel_tol=1e-3, abs_tol=0.2)


def test_a_plane_with_too_many_clusters_is_skipped_not_the_population():
    import numpy as np

    from mathdisco.engines.pcf.clustering import cluster_planes

    rng = np.random.default_rng(0)
    # plane (u, v): six tight blobs; plane (u, w): two.  With max_clusters = 3 the first plane
    # is skipped and the whole population is clustered in the second, as the released code does
    blob = np.repeat(np.arange(6.0), 30)
    spread = lambda: rng.normal(0, 0.01, 180)  # noqa: E731
    features = {"u": blob + spread(), "v": 3 * blob + spread(),
                "w": (blob >= 3) + spread(), "x": 2 * (blob >= 3) + spread()}
    skipped: list[dict] = []
    labels, traces = cluster_planes(features, [("u", "v"), ("w", "x")], max_clusters=3,
                                    skipped=skipped)
    assert skipped == [{"plane": ["u", "v"], "trace": [], "size": 180,
                        "reason": "6 clusters, more than max_clusters"}]
    assert [trace[0] for trace in traces] == [-1, -1]
    assert sorted(np.bincount(labels[labels >= 0]).tolist()) == [90, 90]
    # no plane left after a skip: the population is noise, and the skip is still reported
    labels, traces = cluster_planes(features, [("u", "v")], max_clusters=3, skipped=skipped)
    assert traces == [] and (labels == -1).all() and len(skipped) == 2
    # a plane with more grid cells than HDBSCAN is allowed is skipped before it runs
    labels, traces = cluster_planes(features, [("u", "v"), ("w", "x")], max_representatives=100,
                                    skipped=skipped)
    assert skipped[-2]["reason"].endswith("grid cells, more than max_representatives")
    assert len(skipped) == 4 and (labels == -1).all()


def test_shards_do_not_depend_on_the_merge_params():
    # a rerun that changes only clustering or families reuses the stored shards
    base = _params(coefficient_min=-3, coefficient_max=3)
    other = base.model_copy(update={"max_clusters": 1000, "planes": [("delta", "gamma_prime")],
                                    "families": False})
    assert job.shards(base) == job.shards(other)
    assert job.shards(base) != job.shards(base.model_copy(update={"depth": 2000}))
