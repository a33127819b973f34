"""Proved closed forms of deg (1, 2) PCFs (engines.pcf.closed_forms, issue 26)."""

from __future__ import annotations

import random

import mpmath
import pytest
import sympy

from mathdisco.engines.pcf.closed_forms import check_proof, closed_form, verify_closed_form
from mathdisco.engines.pcf.evaluation import evaluate
from mathdisco.engines.pcf.hypergeometric_theorems import (
    THEOREMS,
    expression_value,
    theorem_fraction,
)

n = sympy.Symbol("n")


def _backward(a_n: sympy.Expr, b_n: sympy.Expr, depth: int, dps: int = 60) -> mpmath.mpf:
    """a(0) + b(1)/(a(1) + ... + b(depth)/a(depth)), evaluated from the bottom up."""
    fa = sympy.lambdify(n, a_n, "mpmath")
    fb = sympy.lambdify(n, b_n, "mpmath")
    with mpmath.workdps(dps):
        tail = mpmath.mpf(0)
        for k in range(depth, 0, -1):
            tail = fb(k) / (fa(k) + tail)
        return fa(0) + tail


def _digits(x, y) -> float:
    return float(-mpmath.log10(abs(x - y) / max(1, abs(y)))) if x != y else 99.0


def _rational(rng: random.Random, low: int, high: int, den: int = 7) -> sympy.Rational:
    return sympy.Rational(rng.randint(low * den, high * den), rng.randint(1, den))


@pytest.mark.parametrize("seed", range(3))
def test_the_three_identities_at_random_rational_parameters(seed):
    rng = random.Random(seed)
    mpmath.mp.dps = 50
    a, b = _rational(rng, -2, 2), _rational(rng, -2, 2)
    c = _rational(rng, 1, 3) + sympy.Rational(1, 11)  # not a non-positive integer
    z = _rational(rng, -1, 0) + sympy.Rational(2, 5)  # Re z < 1/2
    p = {"a": a, "b": b, "c": c, "z": z}
    claimed = {
        "norlund": c * mpmath.hyp2f1(a, b, c, z) / mpmath.hyp2f1(a + 1, b + 1, c + 1, z),
        "confluent_1f1": c * mpmath.hyp1f1(a, c, 3 * z) / mpmath.hyp1f1(a + 1, c + 1, 3 * z),
        "confluent_0f1": c * mpmath.hyp0f1(c, 3 * z) / mpmath.hyp0f1(c + 1, 3 * z),
    }
    for theorem, value in claimed.items():
        q = dict(p, z=3 * z) if theorem != "norlund" else p
        a_n, b_n = theorem_fraction(theorem, q)
        assert _digits(_backward(a_n, b_n, 2500), value) > 40, (theorem, p)


def test_the_degenerate_identities_at_rational_parameters():
    mpmath.mp.dps = 50
    a, b, z = sympy.Rational(5, 3), sympy.Rational(1, 4), sympy.Rational(3, 2)
    a_n, b_n = theorem_fraction("tricomi_u", {"a": a, "b": b, "z": z})
    tricomi = mpmath.hyperu(a - 1, b, z) / mpmath.hyperu(a, b, z)
    assert _digits(_backward(a_n, b_n, 3000), tricomi) > 30
    a, x = sympy.Rational(2, 3), sympy.Rational(5, 2)
    a_n, b_n = theorem_fraction("parabolic_u", {"a": a, "x": x})
    parabolic = mpmath.pcfu(a - 1, x) / mpmath.pcfu(a, x)
    assert _digits(_backward(a_n, b_n, 3000), parabolic) > 30


@pytest.mark.parametrize("a, b, constant, equals", [
    ([1, 2], [0, 0, 1], lambda: 4 / mpmath.pi, "4/pi"),             # 1 + 1/(3 + 4/(5 + ...))
    ([1], [0, 0, 1], lambda: 1 / mpmath.log(2), "1/log(2)"),       # slow: a constant, z = 1/2
    ([1, 1], [0, 1], lambda: 1 / (mpmath.e - 2), "1/(-2 + E)"),    # 1 + 1/(2 + 2/(3 + ...))
])
def test_known_members_match_the_engine_and_their_constant(a, b, constant, equals):
    form = closed_form(a, b)
    assert form["proof"]["status"] == "proved" and check_proof(a, b, form)
    assert form["named"]["equals"] == equals and form["named"]["how"] == "derivation"
    found, check = evaluate(a, b, target_digits=40, check_digits=50)
    with mpmath.workdps(60):
        mine = expression_value(form["expression"], 50)
        assert _digits(mine, check.value) >= 40
        assert _digits(mine, constant()) >= 45


def test_statement_shape_for_the_named_theorems():
    for a, b, theorem in [([1, 2], [0, 0, 1], "norlund"), ([1, 1], [0, 1], "confluent_1f1"),
                          ([1, 2], [3], "confluent_0f1")]:
        form = closed_form(a, b, name=False)
        assert form["theorem"] == theorem
        assert set(form["parameters"]) == {"a", "b", "c", "z", "lambda"}
        for key in THEOREMS[theorem] + ("lambda",):
            sympy.sympify(form["parameters"][key])  # exact sympy text
        sympy.sympify(form["expression"], locals={"hyper": sympy.hyper})
        assert "lambda = " in form["proof"]["by"] and theorem in form["proof"]["by"]


def test_laplace_mills_ratio():
    for x in (1, 2, 3):
        form = closed_form([x], [0, 1], name=False)
        assert form["theorem"] == "parabolic_u" and form["parameters"]["a"] == "1/2"
        with mpmath.workdps(50):
            mills = mpmath.sqrt(mpmath.pi / 2) * mpmath.exp(x**2 / mpmath.mpf(2)) * mpmath.erfc(
                x / mpmath.sqrt(2))
            assert _digits(expression_value(form["expression"], 45), 1 / mills) >= 40
    # sympy derives the erfc form itself; erfc is outside the safe grammar, so it is not "named"
    form = closed_form([2], [0, 1])
    assert form["named"] is None and "erf" in form["elementary"]
    with mpmath.workdps(50):
        mills = mpmath.sqrt(mpmath.pi / 2) * mpmath.exp(2) * mpmath.erfc(mpmath.sqrt(2))
        elementary = sympy.N(sympy.sympify(form["elementary"]), 45)
        assert _digits(mpmath.mpf(str(elementary)), 1 / mills) >= 40


def test_a_pole_of_the_ratio_is_stepped_over():
    form = closed_form([0, 1], [1])  # c = 0: written as 0 + 1/(lambda R(c = 1))
    assert form["parameters"]["c"] == "0"
    assert form["named"]["equals"] == "besseli(1, 2)/besseli(0, 2)"
    assert verify_closed_form([0, 1], [1], form) >= 30


def test_degenerate_members_are_proved_and_verified():
    for a, b, theorem in [([3, 2], [2, 0, -1], "tricomi_u"), ([2], [1, 1], "parabolic_u"),
                          ([2, -1], [1], "confluent_0f1"), ([1], [1], "periodic")]:
        form = closed_form(a, b, name=False)
        assert form["theorem"] == theorem and check_proof(a, b, form)
        assert verify_closed_form(a, b, form) >= 30, (a, b)


def test_pincherle_gamma_member():
    # a = 2n, b = -n^2 + n + 1: alpha, beta = (-1 +- sqrt 5)/2, value alpha (error ~ n^-sqrt 5)
    form = closed_form([0, 2], [1, 1, -1], name=False)
    assert form["theorem"] == "pincherle_gamma" and check_proof([0, 2], [1, 1, -1], form)
    assert sympy.simplify(sympy.sympify(form["expression"]) - (sympy.sqrt(5) - 1) / 2) == 0
    assert verify_closed_form([0, 2], [1, 1, -1], form) >= 5


def test_terminating_member_is_its_exact_rational():
    form = closed_form([1, 1], [2, -1])  # b(2) = 0: 1 + 1/2
    assert form["theorem"] == "terminating" and form["parameters"]["value"] == "3/2"
    assert check_proof([1, 1], [2, -1], form)


def test_no_theorem_no_statement():
    assert closed_form([0, 1], [0, 0, -1]) is None      # D = 1 - 4 < 0: roots of equal modulus
    assert closed_form([1], [-1]) is None                # x = 1 - 1/x has complex roots
    assert closed_form([0], [0, 1]) is None              # a = 0
    assert closed_form([1, 0, 1], [0, 0, 1]) is None     # deg a = 2: outside the theorems
    # the theorem's denominator function vanishes exactly: these PCFs run off to infinity
    assert closed_form([-1, -1], [-3, -3]) is None       # confluent 1F1, after the step-over
    assert closed_form([-1, 4], [-1, -4, -3]) is None    # Nörlund at z = -1/2
    assert abs(evaluate([-1, 4], [-1, -4, -3], target_digits=10, check_digits=12,
                        max_depth=4096)[1].value) > 1e100


def test_a_tampered_proof_is_refused():
    form = closed_form([1, 2], [0, 0, 1], name=False)
    assert check_proof([1, 2], [0, 0, 1], form)
    bad = {**form, "parameters": {**form["parameters"], "lambda": "2"}}
    assert not check_proof([1, 2], [0, 0, 1], bad)
    assert not check_proof([1, 2], [0, 0, 2], form)
    bad = {**form, "parameters": {**form["parameters"], "c": "1"}}
    assert not check_proof([1, 2], [0, 0, 1], bad)
    # a numerically wrong statement is caught by the independent check
    assert verify_closed_form([1, 2], [0, 0, 1], {**form, "expression": "4/pi + 10**-20"}) < 25
