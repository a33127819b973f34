"""The ``esma`` job type, checked against the authors' unit test and the reference cases."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from mathdisco.engines.esma.job import discoveries, merge, run, shards
from mathdisco.engines.esma.params import EsmaParams
from mathdisco.engines.esma.results import EsmaResult
from mathdisco.engines.esma.search import primitive_sign_periods
from mathdisco.engines.numerics.expressions import parse_expression
from mathdisco.engines.registry import get_job_type


@pytest.fixture(scope="module")
def e_api_run() -> dict:
    # ESMA/APITesting.py: -constant e -cycle_range 2 2 -depth 105 -poly_deg 1 -coeff_lim 2
    params = EsmaParams(constant="e", min_sign_period=2, max_sign_period=2, n_terms=105,
                        approve_depth=600, approve_digits=300)
    return run(params)


def _find(result: dict, equals: str, signs: list[int]) -> dict | None:
    target = parse_expression(equals)
    for conjecture in [f for c in result["conjectures"] for f in [c, *c["alternatives"]]]:
        if conjecture["sign_period"] == signs and parse_expression(conjecture["equals"]) == target:
            return conjecture
    return None


def test_reproduces_authors_unit_test(e_api_run: dict) -> None:
    # the authors' test expects 13 distinct values ...
    assert e_api_run["counts"]["distinct_values"] == 13
    # ... including these three (constant, signs, LFSR)
    for equals, signs, lfsr in [("E/(E-1)", [1, -1], [1, 0, -2, 0, 1]),
                                ("E-1", [-1, 1], [1, 0, -2, 0, 1]),
                                ("E/(E-2)", [1, 1], [1, 0, 0, -1, 0, 0, -1, 0, 0, 1])]:
        conjecture = _find(e_api_run, equals, signs)
        assert conjecture is not None, equals
        assert conjecture["connection_polynomial"] == lfsr
        assert conjecture["verified_digits"] >= 300


def test_formula_json_and_comparison(e_api_run: dict) -> None:
    t1 = _find(e_api_run, "E-1", [-1, 1])  # T1: a_{2m} = 2, a_{2m+1} = 2m+3; 193 digits at 100 terms
    assert t1["kind"] == "gcf"
    assert t1["a"] == {"initial": [], "period": 2, "polynomials": [[2], [3, 2]]}
    assert t1["b"] == {"initial": [0], "period": 2, "polynomials": [[-1], [1]]}
    assert 195 <= t1["digits_at_n_terms"] <= 210  # 105 terms
    assert t1["faster_than_simple_cf"] and t1["simpler_than_simple_cf"]
    assert t1["simple_cf"]["period"] == 3  # e - 1 = [1; 1, 2, 1, 1, 4, ...]
    assert r"\cfrac" in t1["latex"]
    json.dumps(e_api_run)  # JSON-serialisable throughout


def test_discoveries_are_fingerprinted(e_api_run: dict) -> None:
    params = EsmaParams(constant="e", min_sign_period=2, max_sign_period=2, n_terms=105,
                        approve_depth=600, approve_digits=300)
    found = discoveries(params, EsmaResult.model_validate(e_api_run))
    assert len(found) == e_api_run["counts"]["approved"] == 14
    assert len({d.fingerprint() for d in found}) == 14
    assert all(d.kind == "formula" and d.target == "e" for d in found)


def test_shards_merge_exactly() -> None:
    params = EsmaParams(constant="tan1", lhs_coefficient_bound=1, max_sign_period=2,
                        approve_depth=400, approve_digits=200)
    whole = run(params)
    parts = [run(EsmaParams(**p)) for p in shards(params)]
    assert len(parts) > 1
    merged = merge(params, parts)
    assert merged["conjectures"] == whole["conjectures"]
    without_time = {k: v for k, v in whole.items() if k != "elapsed_s"}
    assert {k: v for k, v in merged.items() if k != "elapsed_s"} == without_time
    # tan 1 = [1; 1, 1, 3, 1, 5, ...] (T13) is among them
    assert _find(whole, "tan(1)", [1]) is not None


def test_pi_gives_nothing() -> None:
    result = run(EsmaParams(constant="pi", lhs_coefficient_bound=1, max_sign_period=2,
                            approve_depth=400, approve_digits=200))
    assert result["conjectures"] == []
    assert result["counts"]["pairs"] > 0


@pytest.mark.parametrize(("constant", "kind"), [("7/3", "rational"), ("sqrt(2)", "quadratic"),
                                                ("(1 + sqrt(5))/2", "quadratic")])
def test_rational_and_quadratic_constants_reported(constant: str, kind: str) -> None:
    result = run(EsmaParams(constant=constant, approve_depth=200, approve_digits=100))
    assert result["conjectures"] == []
    assert result["constant_kind"].startswith(kind)


@pytest.mark.parametrize(
    "params",
    [{"constant": "__import__('os')"}, {"constant": "x + 1"}, {"constant": "e", "n_terms": 10**6},
     {"constant": "e", "min_sign_period": 4, "max_sign_period": 2}, {"constant": "e", "prime": 100},
     {"constant": "e", "unknown": 1}, {"constant": "e", "approve_min_digits": 900,
                                      "approve_digits": 100}],
)
def test_bad_params_refused(params: dict) -> None:
    with pytest.raises(ValidationError):
        EsmaParams(**params)


def test_registered() -> None:
    job_type = get_job_type("esma")
    assert job_type.validate({"constant": "tan1"}).constant == "tan1"


def test_sign_period_counts() -> None:
    # primitive patterns per length: 2, 2, 6, 12, 30, 54 (22 for lengths <= 4)
    assert len(primitive_sign_periods(1, 4)) == 22
    assert [len(primitive_sign_periods(1, k)) - len(primitive_sign_periods(1, k - 1))
            for k in range(2, 7)] == [2, 6, 12, 30, 54]


def test_tan1_period_four_formula() -> None:
    # T14: tan 1 with signs (+,-,-,+): a_{4m} = 1, a_{4m+1} = 6m+2, a_{4m+2} = 6m+5, a_{4m+3} = 6m+6
    result = run(EsmaParams(constant="tan1", lhs_coefficient_bound=1,
                            min_sign_period=4, max_sign_period=4))
    t14 = _find(result, "tan(1)", [1, -1, -1, 1])
    assert t14["a"]["polynomials"] == [[1], [2, 6], [5, 6], [6, 6]]
    assert t14["verified_digits"] >= 1000


@pytest.mark.parametrize(("constant", "words"), [
    ("exp(exp(exp(exp(10))))", "too large"),  # overflow (the engine failed on it after a 202)
    ("tan(pi/2)", "undefined"),               # a pole
    ("log(-2)", "complex"),
    ("sqrt(2) - sqrt(2)", "zero"),
    ("exp(300)", "10^130"),                   # finite, but no digits left for its CF
    ("exp(-300)", "10^-131"),
])
def test_constants_that_cannot_be_evaluated_are_refused_naming_the_field(constant: str,
                                                                         words: str) -> None:
    with pytest.raises(ValidationError) as info:
        EsmaParams(constant=constant)
    (error,) = info.value.errors()
    assert error["loc"] == ("constant",) and words in error["msg"]


def test_large_but_usable_constants_are_accepted() -> None:
    assert EsmaParams(constant="exp(exp(4))").constant == "exp(exp(4))"  # about 5e23
    assert EsmaParams(constant="exp(-200)").constant == "exp(-200)"


def test_what_only_the_engine_decides_fails_the_job_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    import mathdisco.engines.esma.job as esma

    params = EsmaParams(constant="tan1", lhs_coefficient_bound=1, max_sign_period=1, n_terms=20)

    def refuse(text: str, dps: int):
        raise esma.ExpressionError(f"cannot evaluate the constant to {dps} digits (severe cancellation)")

    monkeypatch.setattr(esma, "constant_expression_value", refuse)
    with pytest.raises(ValueError, match="cannot evaluate the constant: .*severe cancellation"):
        esma.run(params)
