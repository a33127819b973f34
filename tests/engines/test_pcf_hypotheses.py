"""Beyond the basis: hypotheses for unknown constants, closed forms in identified, the account.

Relations are re-verified here independently: the PCF limits by the plain
three-term recurrence in exact integers (not the engine's binary splitting),
the tail classes by sympy on ``b(n)/(a(n) a(n-1))``.
"""

from __future__ import annotations

import json

import gmpy2
import mpmath
import pytest
import sympy

from mathdisco.engines.numerics.expressions import (
    constant_expression_value,
    parse_expression,
    to_text,
)
from mathdisco.engines.pcf import job
from mathdisco.engines.pcf.account import grammar_text
from mathdisco.engines.pcf.evaluation import convergent_value
from mathdisco.engines.pcf.hypotheses import connect, fingerprint, mobius_relation, relation_matrix
from mathdisco.engines.registry import get_job_type

N = sympy.Symbol("n")


def _sequential(a, b, depth):
    p0, p1, q0, q1 = gmpy2.mpz(1), gmpy2.mpz(a[0]), gmpy2.mpz(0), gmpy2.mpz(1)
    for n in range(1, depth + 1):
        an = sum(c * n**i for i, c in enumerate(a))
        bn = sum(c * n**i for i, c in enumerate(b))
        p0, p1 = p1, an * p1 + bn * p0
        q0, q1 = q1, an * q1 + bn * q0
    return int(p1), int(q1)


def _limit(a, b, depth=3000, dps=110):
    """``(value, digits)``: p_2N/q_2N by the sequential recurrence (not the engine's binary
    splitting), its digits bounded by its distance to p_N/q_N (the slow members converge
    sub-exponentially and carry fewer)."""
    with mpmath.workdps(dps):
        shallow, deep = (mpmath.mpf(p) / q for p, q in (_sequential(a, b, depth),
                                                         _sequential(a, b, 2 * depth)))
        step = abs(deep - shallow)
        digits = dps if step == 0 else int(-mpmath.log10(step / max(abs(deep), 1)))
    return deep, min(digits, dps - 5)


def _ratio(a, b):
    poly = lambda c, x: sum(ci * x**i for i, ci in enumerate(c))  # noqa: E731
    return sympy.cancel(poly(b, N) / (poly(a, N) * poly(a, N - 1)))


def _same_tail_class(x, y) -> bool:
    """Equal b(n)/(a(n)a(n-1)) after some shift n -> n + s (a -> -a leaves it unchanged)."""
    rx, ry = _ratio(*x), _ratio(*y)
    return any(sympy.cancel(rx.subs(N, N + s) - ry) == 0 for s in range(-6, 7))


@pytest.fixture(scope="module")
def box():
    # deg a <= 1, deg b <= 1, coefficients 0..2: Bessel and Kummer ratios, none in the basis
    params = job.PCFClusterParams(a_degree=1, b_degree=1, coefficient_min=0, coefficient_max=2,
                                  depth=600, constants=["pi", "e"], families=False)
    return params, json.loads(json.dumps(job.run(params)))


def test_a_hypothesis_is_found_and_its_relations_hold(box):
    params, result = box
    assert result["hypotheses"], result["hypothesis_search"]
    named = {f["index"] for f in result["identified"] if f["form"] != "hypergeometric"}
    checked_non_trivial = 0
    for hypothesis in result["hypotheses"]:
        rep = hypothesis["representative"]
        y, y_digits = _limit(rep["a"], rep["b"])
        with mpmath.workdps(110):
            assert abs(mpmath.mpf(hypothesis["value"]) - y) < mpmath.mpf(10) ** -(
                min(y_digits, hypothesis["value_digits"]) - 2) * max(abs(y), 1)
        assert hypothesis["value_digits"] >= 50 and len(hypothesis["value"].replace("-", "")) > 50
        assert hypothesis["id"] == fingerprint(rep["a"], rep["b"])
        assert len(hypothesis["members"]) >= 2
        for member in hypothesis["members"]:
            assert member["index"] not in named  # only members no basis constant names
            p, q, r, s = member["relation"]
            assert p * s - q * r != 0
            x, x_digits = _limit(member["a"], member["b"])
            digits = min(x_digits, y_digits, member["verified_digits"])
            assert digits >= 30
            with mpmath.workdps(110):
                scale = max(abs(p * x * y), abs(q * x), abs(r * y), abs(s))
                assert abs(p * x * y + q * x + r * y + s) < mpmath.mpf(10) ** -(digits - 3) * scale
            assert member["verified_digits"] >= 60
            assert member["trivial"] == _same_tail_class((member["a"], member["b"]),
                                                         (rep["a"], rep["b"]))
            checked_non_trivial += not member["trivial"]
    assert checked_non_trivial >= 3  # non-trivial connections are there to be read first


def test_the_account_adds_up_and_the_result_validates(box):
    params, result = box
    explained = result["explained"]
    buckets = ["rational", "named_constant", "hypergeometric", "hypothesis", "isolated"]
    assert sum(explained[b] for b in buckets) == explained["convergent"] == result["convergent"]
    assert explained["hypothesis"] + explained["hypergeometric"] > 0
    in_hypotheses = {m["index"] for h in result["hypotheses"] for m in h["members"]}
    hyper_only = {f["index"] for f in result["identified"] if f["form"] == "hypergeometric"}
    assert explained["hypothesis"] == len(in_hypotheses - hyper_only)
    assert explained["hypergeometric"] == len(hyper_only)
    job_type = get_job_type("pcf_cluster")
    model = job_type.check_result(result)
    view = job_type.view(model)
    chart = next(c for c in view.charts if c.id == "explained")
    assert chart.x.categories == [b.replace("_", " ") for b in buckets]
    assert chart.series[0].y == [explained[b] for b in buckets]
    shown = [f for f in view.formulas if f.label.startswith("Hypothesis 1 ")]
    assert shown and str(result["hypotheses"][0]["members"][1]["relation"][0]) in shown[0].text
    found = job_type.discoveries(params, model)
    hypotheses = [d for d in found if d.kind == "hypothesis"]
    assert len(hypotheses) == len(result["hypotheses"])
    assert len({d.fingerprint() for d in hypotheses}) == len(hypotheses)


def test_hypergeometric_members_are_stated_with_their_proof(box):
    params, result = box
    hyper = [f for f in result["identified"] if f["form"] == "hypergeometric"]
    assert hyper
    for formula in hyper:
        a, b = formula["a"]["polynomials"][0], formula["b"]["polynomials"][0]
        assert formula["constant"] == "hypergeometric"
        assert formula["proof"]["status"] == "proved"
        assert formula["hypergeometric"]["theorem"] in ("confluent_1f1", "confluent_0f1",
                                                        "norlund", "parabolic_u")
        # the equals text, parsed by the safe grammar, against the PCF by another route
        with mpmath.workdps(60):
            closed = constant_expression_value(formula["equals"], 45)
            value, digits = _limit(a, b)
            assert abs(closed - value) < mpmath.mpf(10) ** -(
                min(digits, formula["verified_digits"]) - 2) * max(abs(value), 1)
    for formula in result["identified"]:
        assert formula["proof"]["status"] in ("proved", "numerical") and formula["proof"]["by"]
    for entry in result["catalogue"]:
        assert all("proof" in m for m in entry["members"])


def test_certificates_hold_as_identities(box):
    # each stated certificate, checked here by sympy on its own: M_x(n) U(n+1) = f U(n) M_y(n)
    params, result = box
    stated = [(m, h["representative"]) for h in result["hypotheses"] for m in h["members"]
              if m["certificate"] is not None]
    assert stated and result["hypothesis_search"]["certificates found"] == len(stated)
    for member, rep in stated:
        assert not member["trivial"]
        u = sympy.Matrix([[sympy.sympify(t, locals={"n": N}) for t in row]
                          for row in member["certificate"]["U"]])
        f = sympy.sympify(member["certificate"]["f"])

        def m(a, b):
            return sympy.Matrix([[0, sum(c * N**i for i, c in enumerate(b))],
                                 [1, sum(c * N**i for i, c in enumerate(a))]])

        difference = m(member["a"], member["b"]) * u.subs(N, N + 1) - f * u * m(rep["a"], rep["b"])
        assert all(sympy.simplify(entry) == 0 for entry in difference)
        assert sympy.simplify(u.det()) != 0


def test_a_skip_is_reported_and_still_counted():
    params = job.PCFClusterParams(a_degree=1, b_degree=1, coefficient_min=0, coefficient_max=2,
                                  depth=600, constants=["pi", "e"], families=False,
                                  hypothesis_max_members=5)
    result = job.run(params)
    search = result["hypothesis_search"]
    assert search["searched"] == 5
    assert search["skipped"] == search["members_beyond_the_basis"] - 5
    assert "hypothesis_max_members" in search["skip_reason"]
    explained = result["explained"]
    assert sum(v for k, v in explained.items() if k != "convergent") == explained["convergent"]
    view = get_job_type("pcf_cluster").view(get_job_type("pcf_cluster").check_result(
        json.loads(json.dumps(result))))
    assert any("not searched" in note for note in view.notes)


def test_connect_finds_a_large_determinant_by_pslq_and_refuses_strangers():
    # x = besseli ratio PCF; y = (3x + 7)/(5x - 2): det -41, beyond max_det of the tails
    x = convergent_value([0, 1], [1], 400, 60), convergent_value([0, 1], [1], 800, 110)
    with mpmath.workdps(130):
        def image(v):
            return type(v)((3 * v.value + 7) / (5 * v.value - 2), v.digits, v.depth, v.method)
        y = image(x[0]), image(x[1])
        stranger = (convergent_value([1, 3], [2], 400, 60), convergent_value([1, 3], [2], 800, 110))
    found = connect([x[0], y[0], stranger[0]], [x[1], y[1], stranger[1]], max_det=4,
                    clusters=[0, 0, 0], pslq_pairs=10)
    assert [(sorted((i, j)), r) for i, j, r in found.edges] in (
        [([0, 1], mobius_relation(((3, 7), (5, -2))))],
        [([0, 1], mobius_relation(((2, 7), (5, -3))))])
    assert found.tried["pslq relations"] == 1


def test_relation_and_matrix_are_inverse():
    for relation in [(0, 1, -2, -1), (1, 2, -2, -1), (6, 9, -10, -8)]:
        assert mobius_relation(relation_matrix(relation)) == relation


@pytest.mark.parametrize(("text", "value"), [
    ("hyp2f1(1/2, 1, 3/2, -1)", lambda: mpmath.pi / 4),            # atan(1)/1
    ("hyp1f1(1, 2, 1)", lambda: mpmath.e - 1),
    ("hyp0f1(1/2, -1/4)", lambda: mpmath.cos(1)),
    ("2*hyp0f1(sqrt(2), 3)/hyp0f1(1 + sqrt(2), 3)",
     lambda: 2 * mpmath.hyp0f1(mpmath.sqrt(2), 3) / mpmath.hyp0f1(1 + mpmath.sqrt(2), 3)),
    # conjugate upper parameters: the series' terms are |(a + ib)_k|^2 z^k/((c)_k k!), real
    ("hyp2f1c(-1/2, sqrt(3)/2, 2, 1/3)",
     lambda: mpmath.nsum(lambda k: abs(mpmath.rf(mpmath.mpc(-0.5, mpmath.sqrt(3) / 2), k)) ** 2
                         * mpmath.mpf(1) / 3 ** k / (mpmath.rf(2, k) * mpmath.factorial(k)),
                         [0, mpmath.inf])),
])
def test_the_grammar_reads_hypergeometric_functions(text, value):
    expr = parse_expression(text)
    assert not expr.is_Number and parse_expression(to_text(expr)) == expr  # kept symbolic
    with mpmath.workdps(50):
        assert abs(constant_expression_value(text, 40) - value()) < mpmath.mpf(10) ** -38


@pytest.mark.parametrize(("text", "name"), [
    ("-2*sqrt(2)*hyper([sqrt(2), -sqrt(2)], [sqrt(2)/4 + 1/2], 1/2 - sqrt(2)/4)", "hyp2f1("),
    ("-2*hyper([-1/2 + I/2, -1/2 - I/2], [sqrt(3)/3], 1/2 - sqrt(3)/6)"
     "/hyper([1/2 + I/2, 1/2 - I/2], [sqrt(3)/3 + 1], 1/2 - sqrt(3)/6)", "hyp2f1c("),
])
def test_sympy_closed_forms_are_written_in_the_grammar(text, name):
    grammar = grammar_text(text)
    assert name in grammar and "I" not in grammar
    sympy_value = sympy.N(sympy.sympify(text, locals={"hyper": sympy.hyper}), 40)
    with mpmath.workdps(50):
        assert abs(constant_expression_value(grammar, 35) - mpmath.mpf(str(sympy.re(sympy_value)))) \
            < mpmath.mpf(10) ** -33 and abs(sympy.im(sympy_value)) < 1e-30
