"""The one identification module: the acceptance rule, PSLQ, the tail index, periods.

The closed forms below are evaluated by mpmath at a precision far above the
digits handed to the finders, so every assertion compares against an
independent value.
"""

from __future__ import annotations

import math
import random

import mpmath
import pytest
import sympy

from mathdisco.engines.numerics.constants import CONSTANTS, constant_value
from mathdisco.engines.numerics.expressions import constant_expression_value, to_text
from mathdisco.engines.numerics.identification import (
    MARGIN_DIGITS,
    basis_values,
    closed_form,
    identify_decimal,
    judge,
    mobius_coefficients,
    pslq_relation,
    relation_size,
)
from mathdisco.engines.numerics.tails import (
    TailIndex,
    exact_interval,
    hermite_forms,
    interval_partial_quotients,
    periodic_quadratic,
    rational_interval,
)


def _digits_of(expression: str, digits: int) -> str:
    with mpmath.workdps(digits + 20):
        return mpmath.nstr(constant_expression_value(expression, digits + 10), digits)


@pytest.mark.parametrize(("expression", "constants", "form"), [
    ("(exp(1) + 1)/(exp(1) - 1)", ["pi", "e"], "mobius"),
    ("pi/4", ["pi", "e"], "linear"),
    ("22/7", ["pi"], "rational"),
    ("3*log(2) - 1/2", ["ln2", "pi"], "linear"),
    ("pi + 2*zeta(3) - 1", ["pi", "zeta3"], "combination"),
])
def test_identify_decimal_recovers_closed_forms(expression, constants, form):
    found = identify_decimal(_digits_of(expression, 45), 45, constants)
    assert found is not None and found.form == form
    with mpmath.workdps(60):
        got = constant_expression_value(to_text(found.expression), 50)
        want = constant_expression_value(expression, 50)
    assert abs(got - want) < mpmath.mpf(10) ** -48
    assert found.found_digits == 36 and found.verified_digits >= 43


def test_random_numbers_are_not_identified():
    rng = random.Random(1)
    for _ in range(5):
        digits = "".join(rng.choice("0123456789") for _ in range(40))
        assert identify_decimal("0." + digits, 40, ["pi", "e", "ln2"]) is None


def test_judge_applies_both_halves_of_the_rule():
    with mpmath.workdps(120):
        x = (3 * mpmath.pi + 2) / (mpmath.pi - 7)
        values = basis_values("mobius", x, ["pi"], 110)
    relation = (7, -1, 2, 3)      # 7x - x pi + 2 + 3 pi = 0
    assert judge(relation, 40, values, 100) >= 98
    # found at too few digits for its size: refused whatever the check says
    big = (12345678, -1234567, 2345678, 3456789)
    assert relation_size(big) + MARGIN_DIGITS > 30
    assert judge(big, 30, values, 100) is None
    # the check must carry more digits than the search saw
    assert judge(relation, 100, values, 100) is None
    # a relation that does not hold is refused
    assert judge((7, -1, 2, 4), 40, values, 100) is None


def test_pslq_relation_and_closed_form_agree():
    with mpmath.workdps(80):
        x = 4 / (3 * mpmath.pi - 8)
        values = basis_values("mobius", x, ["pi"], 70)
    relation = pslq_relation(values, 50)
    assert relation is not None
    expression = closed_form("mobius", relation, ["pi"])
    assert sympy.simplify(expression - 4 / (3 * sympy.pi - 8)) == 0


def test_hermite_forms_are_the_primitive_ones():
    # Dedekind psi up to 12: 1+3+4+6+6+12+8+12+12+18+12+24
    forms = list(hermite_forms(12))
    assert len(forms) == 118 == len(set(forms))
    assert all(0 <= b < d and a * d <= 12 and math.gcd(a, b, d) == 1 for a, b, d in forms)


def test_interval_expansion_never_emits_a_wrong_partial_quotient():
    rng = random.Random(3)
    for _ in range(200):
        with mpmath.workdps(60):
            x = mpmath.mpf(rng.random()) * 10 - 5 + mpmath.pi / 1000
            lo, hi, den = rational_interval(x, 30)
            pqs = interval_partial_quotients(lo, hi, den, 80)
            # every real in the interval, e.g. its ends, starts with these partial quotients
            for end in (mpmath.mpf(lo) / den, mpmath.mpf(hi) / den):
                expansion = []
                y = end
                for _ in range(len(pqs)):
                    q = int(mpmath.floor(y))
                    expansion.append(q)
                    if y == q:
                        break
                    y = 1 / (y - q)
                assert expansion[:len(pqs)] == pqs[:len(expansion)]
    assert 25 <= len(pqs) <= 40  # about one partial quotient per digit


def test_exact_interval_brackets_the_rational():
    lo, hi, den = exact_interval(-355, 113, 20)
    assert lo * 113 < -355 * den < hi * 113


@pytest.mark.parametrize(("name", "matrix"), [
    ("pi", ((0, 4), (1, 0))),          # 4/pi
    ("pi", ((0, 6), (3, -8))),         # 6/(3 pi - 8), determinant -18
    ("e", ((1, 1), (1, -1))),          # (e + 1)/(e - 1)
    ("ln2", ((0, 2), (2, -1))),        # 2/(2 ln 2 - 1)
    ("lemniscate_gauss", ((1, 2), (0, 1))),  # 2 + varpi G (reference case 23)
])
def test_tail_index_finds_mobius_images(name, matrix):
    index = TailIndex.build(["pi", "e", "ln2", "lemniscate_gauss"], max_det=40)
    (m00, m01), (m10, m11) = matrix
    with mpmath.workdps(80):
        k = constant_value(name, 80)
        x = (m00 * k + m01) / (m10 * k + m11)
        pqs = interval_partial_quotients(*rational_interval(x, 50), 45)
    found = index.relations(pqs)
    assert (name, matrix) in found
    assert mobius_coefficients(matrix) == mobius_coefficients(((2 * m00, 2 * m01), (2 * m10, 2 * m11)))


def test_unrelated_numbers_yield_no_accepted_relation():
    # windows of small partial quotients collide far more often than 2^-(bits) suggests;
    # the index drops alignments whose tails part, and judge() refuses whatever is left
    index = TailIndex.build(["pi", "e", "ln2", "lemniscate_gauss"], max_det=40, window=10)
    rng = random.Random(5)
    candidates = 0
    for _ in range(60):
        with mpmath.workdps(120):
            x = mpmath.mpf(rng.random()) + mpmath.sqrt(rng.randint(2, 10**6)) / 10**4
            pqs = interval_partial_quotients(*rational_interval(x, 50), 45)
            for name, matrix in index.relations(pqs):
                candidates += 1
                coefficients = mobius_coefficients(matrix)
                assert judge(coefficients, 50, basis_values("mobius", x, [name], 110), 110) is None
    assert candidates <= 3


@pytest.mark.parametrize(("text", "equation"), [
    ("sqrt(2)", (1, 0, -2)),
    ("(1 + sqrt(5))/2", (1, -1, -1)),
    ("(3 + sqrt(17))/4", (2, -3, -1)),
    ("7/(2 + sqrt(13))", (9, 28, -49)),
])
def test_periodic_expansions_give_the_quadratic(text, equation):
    with mpmath.workdps(80):
        x = constant_expression_value(text, 70)
        pqs = interval_partial_quotients(*rational_interval(x, 60), 80)
    c2, c1, c0 = periodic_quadratic(pqs)
    with mpmath.workdps(80):
        assert abs(c2 * x * x + c1 * x + c0) < mpmath.mpf(10) ** -55
    assert (c2, c1, c0) == equation


def test_registry_carries_the_issue_constants():
    for name in ("e2", "sqrt_e", "sqrt3", "sqrt5", "gauss", "lemniscate", "lemniscate_gauss"):
        assert name in CONSTANTS
    with mpmath.workdps(50):
        g = constant_value("gauss", 40)
        assert abs(constant_value("lemniscate", 40) - mpmath.pi * g) < mpmath.mpf(10) ** -38
        assert abs(constant_value("lemniscate_gauss", 40) - mpmath.pi * g * g) < mpmath.mpf(10) ** -38
