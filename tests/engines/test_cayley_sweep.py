"""cayley_sweep: diameter formulas re-derived from BFS data, and refused when the
data cannot support them (reference cayley.md Section 3.1)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from mathdisco.engines.cayley.job import (
    SweepParams,
    run_sweep,
    sweep_discoveries,
    sweep_merge,
    sweep_shards,
)
from mathdisco.engines.cayley.quasipolynomial import fit_quasi_polynomial
from mathdisco.engines.cayley.results import SweepResult
from mathdisco.engines.registry import get_job_type
from mathdisco.engines.results import QuasiPolynomialJSON

# reference Section 2.2 / OEIS A058986: the pancake numbers for n = 2..19
PANCAKE = dict(zip(range(2, 20), [1, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 22],
                   strict=True))
LX = dict(zip(range(3, 16), [2, 6, 11, 18, 25, 35, 45, 58, 71, 87, 103, 122, 141], strict=True))


def _value(formula, n):
    period = formula["period"]
    poly = next(p for p in formula["polynomials"] if p["residue"] == n % period)
    return sum(Fraction(c) * n ** i for i, c in enumerate(poly["coefficients"]))


def test_sweep_rederives_coxeter_formula():
    result = run_sweep(SweepParams(family="coxeter", n_min=2, n_max=7))
    formula = result["formula"]
    assert formula["period"] == 1 and formula["valid_from"] == 2
    assert formula["polynomials"][0]["coefficients"] == ["0", "-1/2", "1/2"]
    assert all(_value(formula, n) == n * (n - 1) // 2 for n in range(2, 40))
    assert result["diameters"] == {str(n): n * (n - 1) // 2 for n in range(2, 8)}
    assert len(formula["checked_on"]) >= 2


def test_sweep_rederives_stars_formula_with_shards_and_merge():
    params = SweepParams(family="stars", n_min=3, n_max=10)
    shards = sweep_shards(params)
    assert [s["n_min"] for s in shards] == list(range(3, 11))
    job = get_job_type("cayley_sweep")
    results = [run_sweep(job.validate(s)) for s in reversed(shards)]
    merged = sweep_merge(params, results)
    formula = merged["formula"]
    assert formula["period"] == 2 and formula["valid_from"] == 3
    assert all(_value(formula, n) == 3 * (n - 1) // 2 for n in range(3, 60))
    assert list(merged["diameters"]) == [str(n) for n in range(3, 11)]
    (discovery,) = [d for d in sweep_discoveries(params, job.check_result(merged)) if d.kind == "diameter_formula"]
    assert discovery.target == "stars"
    direct = run_sweep(params)
    assert direct["formula"] == merged["formula"] and direct["diameters"] == merged["diameters"]
    for field in ("sphere_formulas", "antipode_formula", "bound_check", "diameter_conjecture"):
        assert direct[field] == merged[field]


def test_sweep_refuses_from_too_few_points():
    result = run_sweep(SweepParams(family="coxeter", n_min=2, n_max=4))
    assert result["formula"] is None
    assert "no quasi-polynomial" in result["formula_status"]
    found = sweep_discoveries(SweepParams(family="coxeter", n_min=2, n_max=4),
                              SweepResult.model_validate(result))
    assert not any(d.kind == "diameter_formula" for d in found)
    # three values of |S_k| per radius cannot fix a degree >= 1 polynomial plus two checks
    assert {e["status"] for e in result["sphere_formulas"]} == {"insufficient data"}
    # the unique farthest element (1, 1, 1): a constant, fitted on n = 2, checked on 3, 4
    assert result["antipode_formula"]["text"] == "1"
    assert result["antipode_conjecture"]["status"] == "known"


def test_no_spurious_pancake_formula():
    ns = list(PANCAKE)
    assert fit_quasi_polynomial(ns, [PANCAKE[n] for n in ns]) is None
    # the spurious "n + 2 for n >= 11" needs n = 11..14 only; refused there too
    assert fit_quasi_polynomial(ns[:13], [PANCAKE[n] for n in ns[:13]]) is None
    # n = 6..10 look like n + 1 (pancake(11) = 13 breaks it): still refused
    result = run_sweep(SweepParams(family="pancake", n_min=2, n_max=10))
    assert result["diameters"] == {str(n): PANCAKE[n] for n in range(2, 11)}
    assert result["formula"] is None


def test_glushkov_formula_from_lx_data():
    fit = fit_quasi_polynomial(list(LX), list(LX.values()))
    assert fit["period"] == 2 and fit["valid_from"] == 5  # fails at n = 4 (6 vs 7)
    for n in range(5, 40):
        expected = Fraction(3 * n * n - 8 * n + (12 if n % 2 == 0 else 9), 4)
        assert _value(fit, n) == expected


def test_more_checks_can_be_demanded():
    ns = list(range(2, 8))
    values = [n * (n - 1) // 2 for n in ns]
    assert fit_quasi_polynomial(ns, values, min_checks=3) is not None
    assert fit_quasi_polynomial(ns, values, min_checks=4) is None
    # LRX: n(n-1)/2 from n = 4 (n = 3 gives 2): one leading exception
    lrx = dict(zip(range(3, 10), [2, 6, 10, 15, 21, 28, 36], strict=True))
    fit = fit_quasi_polynomial(list(lrx), list(lrx.values()))
    assert fit["valid_from"] == 4 and fit["text"] == "n*(n - 1)/2"
    assert fit_quasi_polynomial(list(lrx), list(lrx.values()), max_leading_exceptions=0) is None


@pytest.mark.parametrize("params", [
    {"family": "coxeter", "n_min": 8, "n_max": 4},
    {"family": "burnt_pancake", "n_min": 2, "n_max": 12},
    {"family": "coxeter", "n_min": 2, "n_max": 6, "min_checks": 1},
    {"family": "coxeter", "n_min": 2, "n_max": 6, "max_period": 5},
    {"family": "heisenberg", "n_min": 3, "n_max": 5},
])
def test_sweep_bad_input(params):
    with pytest.raises(ValidationError):
        get_job_type("cayley_sweep").validate(params)


def test_stars_sweep_extends_until_the_formula_is_supported():
    # n = 4..10 has three odd n: one check point short in the odd class
    plain = run_sweep(SweepParams(family="stars", n_min=4, n_max=10))
    assert plain["formula"] is None and "no quasi-polynomial" in plain["formula_status"]
    params = SweepParams(family="stars", n_min=4, n_max=10, extend=True, time_budget_s=120,
                         antipodes=False, sphere_radius_max=0)
    assert sweep_shards(params) == []  # one job: it decides its own range
    result = run_sweep(params)
    assert result["extended"] is True and result["stopped_because"] == "a formula is supported"
    assert list(result["diameters"]) == [str(n) for n in range(4, 12)]
    formula = result["formula"]
    assert formula["period"] == 2 and formula["valid_from"] == 4
    assert all(_value(formula, n) == 3 * (n - 1) // 2 for n in range(4, 80))
    # the same formula in the one QP JSON convention (docs/design.md), evaluated independently
    qp = QuasiPolynomialJSON.model_validate(formula["qp"])
    assert qp.offset == 4 and qp.initial == []
    assert qp.terms(60) == [3 * (n - 1) // 2 for n in range(4, 64)]
    (discovery,) = sweep_discoveries(params, SweepResult.model_validate(result))
    assert discovery.statement.kind == "diameter_formula" and discovery.statement.valid_from == 4
    assert discovery.evidence["fitted_on"] == formula["fitted_on"]
    assert set(discovery.evidence["checked_on"]) == {8, 9, 10, 11}
    job = get_job_type("cayley_sweep")
    model = job.check_result(result)
    view = job.view(model)
    assert [f.label for f in view.formulas] == ["Diameter of stars"]
    chart = view.charts[0]
    assert chart.id == "diameters" and chart.x.integer
    fitted = chart.series[1]
    assert fitted.x == list(range(4, 12)) and fitted.y == [3 * (n - 1) // 2 for n in range(4, 12)]
    assert all(not isinstance(row.value, bool) for row in view.evidence)


def test_extension_stops_at_the_time_budget():
    result = run_sweep(SweepParams(family="pancake", n_min=3, n_max=8, extend=True,
                                   time_budget_s=0.5))
    assert result["formula"] is None
    assert result["stopped_because"].startswith(("the time budget", "a formula"))
    assert int(max(result["diameters"], key=int)) <= 11
    assert get_job_type("cayley_sweep").check_result(result)


def test_extension_stops_at_the_memory_budget():
    result = run_sweep(SweepParams(family="pancake", n_min=3, n_max=8, extend=True,
                                   time_budget_s=600, memory_budget_gib=0.01))
    assert result["formula"] is None and "memory budget" in result["stopped_because"]
    assert "n = " in result["stopped_because"]


def test_catalogue_of_diameter_conjectures():
    job = get_job_type("cayley_catalogue")
    params = job.validate({"families": ["coxeter", "stars", "pancake", "all_transpositions"],
                           "time_budget_s": 40, "n_max_start": 7})
    result = job.run(params, lambda done, total, message="": None)
    model = job.check_result(result)
    by_family = {e["family"]: e for e in result["entries"]}
    assert by_family["coxeter"]["formula"]["text"] == "n*(n - 1)/2"
    assert by_family["all_transpositions"]["formula"]["text"] == "n - 1"
    assert by_family["stars"]["formula"]["period"] == 2
    assert by_family["pancake"]["formula"] is None
    found = job.discoveries(params, model)
    assert {d.target for d in found} >= {"coxeter", "stars", "all_transpositions"}
    assert {d.statement.kind for d in found} == {"diameter_formula", "sequence_formula"}
    view = job.view(model)
    assert len(view.formulas) == result["counts"]["total"] > result["formulas_found"] >= 3
    assert result["bound_check"]["violations"] == [] and result["bound_check"]["checked_n"]
    assert job.estimate(params).seconds == 40


def test_sweep_results_validate_against_the_model():
    job = get_job_type("cayley_sweep")
    params = SweepParams(family="lrx", n_min=3, n_max=9)
    direct = run_sweep(params)
    merged = sweep_merge(params, [run_sweep(job.validate(s)) for s in sweep_shards(params)])
    for result in (direct, merged):
        job.check_result(result)
        assert result["formula"]["text"] == "n*(n - 1)/2" and result["formula"]["valid_from"] == 4
    assert direct["formula"] == merged["formula"]
    with pytest.raises(Exception, match="does not match its model"):
        job.check_result({**direct, "diameters": {"3": "two"}})
    with pytest.raises(ValidationError, match="time_budget_s goes with extend"):
        SweepParams(family="lrx", n_min=3, n_max=9, time_budget_s=10)
