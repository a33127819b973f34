"""Quasi-polynomials, Formula JSON, convergents and guaranteed expansions.

Known values come from the ESMA reference notes (tests T1-T24, section 2) and
classical continued fractions; nothing here compares the code with itself.
"""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from mathdisco.engines.numerics.continued_fractions import (
    convergence_profile,
    evaluate_gcf,
    gcf_convergent,
    gcf_convergents,
    signed_continued_fraction,
    simple_continued_fraction,
)
from mathdisco.engines.numerics.expressions import constant_expression_value, parse_expression
from mathdisco.engines.numerics.formula import QuasiPolynomial, formula_json, gcf_latex, gcf_text

Q = QuasiPolynomial


# -- quasi-polynomials ---------------------------------------------------------------

def test_design_md_example_for_e() -> None:
    # DESIGN.md: e = [2; 1, 2, 1, 1, 4, 1, 1, 6, ...]
    a = Q.from_json({"initial": [2], "period": 3, "polynomials": [[1], [2, 2], [1]]})
    assert a.terms(12) == [2, 1, 2, 1, 1, 4, 1, 1, 6, 1, 1, 8]
    assert a.to_json() == {"initial": [2], "period": 3, "polynomials": [[1], [2, 2], [1]]}
    b = Q.from_json({"initial": [0], "period": 1, "polynomials": [[1]]})
    assert b.terms(4) == [0, 1, 1, 1]


def test_pcf_is_period_one_in_n() -> None:
    a = Q.polynomial([1, 0, 3])  # 3n^2 + 1
    assert a.terms(4) == [1, 4, 13, 28]
    assert a.to_json() == {"initial": [], "period": 1, "polynomials": [[1, 0, 3]]}


def test_from_terms_fits_and_refuses() -> None:
    # tan 1 with signs (+,-,-,+), T14: a_{4m} = 1, a_{4m+1} = 6m+2, a_{4m+2} = 6m+5, a_{4m+3} = 6m+6
    terms = [1, 2, 5, 6, 1, 8, 11, 12, 1, 14, 17, 18]
    qp = Q.from_terms(terms, period=4, degree=1)
    assert qp is not None and qp.polynomials == ((1,), (2, 6), (5, 6), (6, 6))
    assert Q.from_terms([1, 2, 4, 8, 16, 32], period=1, degree=2) is None
    assert Q.from_terms([1, 3], period=1, degree=2) is None  # too few terms


def test_canonical_absorbs_preperiod_and_shortens_period() -> None:
    # e - 1 = [1; 1, 2, 1, 1, 4, ...] stated with a needless pre-period of 2
    stated = Q((1, 1), 3, ((2, 2), (1,), (1,)))
    canonical = stated.canonical()
    assert canonical.preperiod == 0 and canonical.terms(30) == stated.terms(30)
    # 1, 2, 3, 4, ... written with period 2
    assert Q((), 2, ((1, 2), (2, 2))).canonical() == Q.polynomial([1, 1])


def test_text_and_latex_forms() -> None:
    a = Q((2,), 3, ((1,), (2, 2), (1,)))
    assert "a(3m + 2) = 2*m + 2" in a.text()
    assert r"\begin{cases}" in a.latex()
    assert Q.polynomial([2, 4]).text() == "a(n) = 4*n + 2"


def test_formula_json_shape() -> None:
    f = formula_json(Q.polynomial([2, 4]), Q.constant(1), "(exp(1)+1)/(exp(1)-1)", 120,
                     evidence={"depth": 500})
    assert f["kind"] == "gcf"
    assert set(f) >= {"a", "b", "equals", "latex", "text", "verified_digits", "evidence"}
    assert parse_expression(f["equals"]) == parse_expression("(E+1)/(E-1)")
    assert r"\cfrac" in f["latex"] and r"\dots" in f["latex"]
    assert f["text"].startswith("(1 + E)/(-1 + E) = 2 + 1/(6 + 1/(10 + ")


def _depth_convergent(a: Q, b: Q, depth: int) -> Fraction:
    """a(0) + b(1)/(a(1) + ... + b(depth)/a(depth)), by the definition, from the bottom up."""
    value = Fraction(a.term(depth))
    for n in range(depth, 0, -1):
        value = a.term(n - 1) + Fraction(b.term(n)) / value
    return value


def _latex_as_text(latex: str) -> str:
    r"""The nested \cfrac of gcf_latex written as plain text (numerators are integers)."""
    text = re.sub(r"\\cfrac\{(\d+)\}\{", r"\1/(", latex).replace(r"\dots", "...")
    return text.replace("}", ")")


def _read_back(text: str, tail: str) -> Fraction:
    """The written fraction with ``...`` replaced by ``tail``, read by sympy, exactly."""
    value = sympy.parse_expr(text.replace("...", tail), evaluate=True)
    assert value.is_Rational, text
    return Fraction(int(value.p), int(value.q))


_terms = st.lists(st.integers(-6, 6), min_size=1, max_size=3).map(tuple)


@settings(max_examples=150, deadline=None)
@given(a=_terms, b=_terms, levels=st.integers(1, 5))
def test_text_and_latex_mean_the_convergent_with_any_signs(a: tuple, b: tuple, levels: int) -> None:
    """Read the printed fraction back: it is the depth-``levels`` convergent, and ``...`` stands
    for the next level with the sign printed before it (the tail of ``- 4/(6 + ...)`` was ``+``
    whatever the sign of the next partial numerator)."""
    a_qp, b_qp = Q.polynomial(a), Q.polynomial(b)
    try:
        shallow = _depth_convergent(a_qp, b_qp, levels)
        deeper = _depth_convergent(a_qp, b_qp, levels + 1)
    except ZeroDivisionError:
        return  # a vanishing denominator: no convergent to compare with
    b_next, a_next = b_qp.term(levels + 1), a_qp.term(levels + 1)
    for written in (gcf_text(a_qp, b_qp, levels), _latex_as_text(gcf_latex(a_qp, b_qp, levels))):
        assert ("..." in written) == (b_next != 0)
        assert _read_back(written, "0") == shallow, written
        if a_next != 0:  # the elided level, |b(L+1)|/a(L+1), under the printed sign
            assert _read_back(written, f"({abs(b_next)}/{a_next})") == deeper, written


def test_negative_partial_numerators_print_the_tail_sign() -> None:
    a, b = Q.polynomial([2, 2]), Q.polynomial([0, 0, -1])  # b(n) = -n^2
    assert gcf_text(a, b, 2) == "2 - 1/(4 - 4/(6 - ...))"
    assert gcf_latex(a, b, 2) == r"2 - \cfrac{1}{4 - \cfrac{4}{6 - \dots}}"
    assert "= 2 - 1/(4 - 4/(6 - 9/(8 - 16/(10 - ...))))" in formula_json(a, b, "1", 0)["text"]


# -- convergents and evaluation ----------------------------------------------------------

def test_convergents_of_sqrt2() -> None:
    a = [1] + [2] * 9
    b = [0] + [1] * 9
    pairs = list(gcf_convergents(a, b))
    assert [(int(p), int(q)) for p, q in pairs[:5]] == [(1, 1), (3, 2), (7, 5), (17, 12), (41, 29)]
    # p^2 - 2 q^2 = +-1 for every convergent of sqrt 2 (Pell)
    assert all(abs(p * p - 2 * q * q) == 1 for p, q in pairs)
    p, q, p1, q1 = gcf_convergent(a, b)
    assert (p, q, p1, q1) == (*pairs[-1], *pairs[-2])


@pytest.mark.parametrize("depth", [1, 7, 8, 9, 63, 200])
def test_product_tree_matches_recurrence(depth: int) -> None:
    a = Q.polynomial([3, 2, 1]).terms(depth + 1)
    b = Q.signs([1, -1, -1]).terms(depth + 1)
    *_, last = gcf_convergents(a, b)
    assert gcf_convergent(a, b)[:2] == last


def test_pcf_for_one_over_e_minus_two() -> None:
    # 1/(e - 2) = 1 + 1/(2 + 2/(3 + 3/(4 + ...)))   (reference notes, section 4.2)
    x = evaluate_gcf(Q.polynomial([1, 1]), Q.polynomial([0, 1]), 1000, 3000)
    with mpmath.workdps(3000):
        error = abs(x - 1 / (mpmath.e - 2))
    assert error < mpmath.mpf(10) ** -2570  # 2579 correct digits at depth 1000 (notes: 2575-2579)


def test_bessel_arithmetic_progression_identity() -> None:
    # T23: A+D + 1/(A+2D + ...) = I_{A/D}(2/D) / I_{A/D+1}(2/D); (A, D) = (1, 2)
    x = evaluate_gcf(Q.polynomial([3, 2]), Q.constant(1), 400, 300)
    expected = constant_expression_value("besseli(1/2, 1)/besseli(3/2, 1)", 300)
    with mpmath.workdps(300):
        assert abs(x - expected) < mpmath.mpf(10) ** -280


@pytest.mark.parametrize(
    ("constant", "a", "b", "digits_at_10_50_100"),
    [
        # T1: e - 1, signs (-,+), a_{2m} = 2, a_{2m+1} = 2m+3: 12.3 / 83.9 / 193
        ("e - 1", Q((), 2, ((2,), (3, 2))), Q.signs([-1, 1]), (12, 83, 193)),
        # T9: e^2 - 1, signs (+,+,-,+): 15.2 / 114.7 / 271
        ("exp(2) - 1", Q((), 4, ((6, 12), (2, 3), (2,), (4, 3))), Q.signs([1, 1, -1, 1]),
         (15, 114, 271)),
        # T14: tan 1, signs (+,-,-,+): 15.8 / 115.4 / 268
        ("tan1", Q((), 4, ((1,), (2, 6), (5, 6), (6, 6))), Q.signs([1, -1, -1, 1]),
         (15, 115, 268)),
        # T5: e simple: 7.0 / 50.8 / 117
        ("e", Q((2,), 3, ((1,), (2, 2), (1,))), Q.constant(1), (7, 50, 117)),
    ],
)
def test_convergence_matches_reference_table(constant: str, a: Q, b: Q,
                                             digits_at_10_50_100: tuple[int, int, int]) -> None:
    reference = constant_expression_value(constant, 400)
    profile = convergence_profile(a, b, [10, 50, 100], reference=reference, dps=400)
    got = tuple(row["digits"] for row in profile)
    # the table gives fractional digits; floor may land one lower
    assert all(abs(g - e) <= 1 for g, e in zip(got, digits_at_10_50_100, strict=True)), got


def test_convergence_profile_without_reference() -> None:
    profile = convergence_profile(Q.polynomial([2, 4]), Q.constant(1), [10, 50], dps=300)
    # T7: coth(1/2) = [2; 6, 10, ...]: 28.0 / 193 digits
    got = [row["digits"] for row in profile]
    assert abs(got[0] - 28) <= 1 and abs(got[1] - 193) <= 1, got


# -- expansions --------------------------------------------------------------------

def _euclid(fraction: Fraction) -> list[int]:
    terms = []
    while True:
        a = fraction.numerator // fraction.denominator
        terms.append(a)
        fraction -= a
        if fraction == 0:
            return terms
        fraction = 1 / fraction


@pytest.mark.parametrize(
    ("constant", "signs", "expected"),
    [
        ("e", [1], [2, 1, 2, 1, 1, 4, 1, 1, 6, 1, 1, 8]),  # T5
        ("tan1", [1], [1, 1, 1, 3, 1, 5, 1, 7, 1, 9]),  # T13
        ("besseli(0, 2)/besseli(1, 2)", [1], [1, 2, 3, 4, 5, 6, 7, 8]),  # T18
        ("e - 1", [-1, 1], [2, 3, 2, 5, 2, 7, 2, 9]),  # T1
        ("e/(e-1)", [1, -1], [1, 2, 3, 2, 5, 2, 7, 2]),  # T3
        ("(e+1)/2", [1, -1], [1, 2, 1, 6, 1, 10, 1, 14]),  # T4
        ("exp(2) - 1", [1, 1, -1, 1], [6, 2, 2, 4, 18, 5, 2, 7, 30, 8, 2, 10]),  # T9
        ("tan1", [1, -1, -1, 1], [1, 2, 5, 6, 1, 8, 11, 12, 1, 14, 17, 18]),  # T14
        ("1/tan(1)", [-1], [1, 3, 5, 7, 9, 11]),  # T16
        ("2/(exp(2)-1)", [-1, 1], [1, 1, 3, 1, 5, 1, 7, 1]),  # T12
        ("besseli(0, 2)/besseli(1, 2) - 1", [-1, 1], [1, 1, 2, 1, 3, 1, 4, 1]),  # T20
    ],
)
def test_signed_expansions_of_reference_cases(constant: str, signs: list[int],
                                              expected: list[int]) -> None:
    x = constant_expression_value(constant, 300)
    with mpmath.workdps(300):
        expansion = signed_continued_fraction(x, signs, len(expected))
    assert expansion.complete
    assert expansion.terms == expected


def test_pi_simple_continued_fraction() -> None:
    with mpmath.workdps(60):
        terms = simple_continued_fraction(mpmath.pi, 20).terms
    assert terms == [3, 7, 15, 1, 292, 1, 1, 1, 2, 1, 3, 1, 14, 2, 1, 1, 2, 2, 2, 2]  # A001203


def test_precision_stops_expansion_instead_of_guessing() -> None:
    with mpmath.workdps(30):
        expansion = simple_continued_fraction(mpmath.e, 500, correct_digits=20)
    assert not expansion.complete and "precision" in expansion.reason
    # q_n^2 ~ 10^20 limits the count; every emitted term is right
    true = [2] + [t for m in range(200) for t in (1, 2 * m + 2, 1)]
    assert expansion.terms == true[: len(expansion.terms)]
    assert 10 <= len(expansion.terms) <= 25


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=10**12))
def test_exact_rationals_terminate_like_euclid(fraction: Fraction) -> None:
    expansion = simple_continued_fraction(fraction, 200)
    assert expansion.terminated
    assert expansion.terms == _euclid(fraction)


@settings(max_examples=200, deadline=None)
@given(st.fractions(min_value=-50, max_value=50, max_denominator=10**30),
       st.integers(min_value=5, max_value=25),
       st.lists(st.sampled_from([1, -1]), min_size=1, max_size=4))
def test_rounded_input_only_emits_guaranteed_terms(fraction: Fraction, digits: int,
                                                  signs: list[int]) -> None:
    # A value known to `digits` digits: whatever is emitted must agree with the
    # exact expansion of the true number.
    exact = signed_continued_fraction(fraction, signs, 80)
    with mpmath.workdps(digits + 5):
        rounded = mpmath.mpf(fraction.numerator) / fraction.denominator
    approximate = signed_continued_fraction(rounded, signs, 80, correct_digits=digits)
    assert approximate.terms == exact.terms[: len(approximate.terms)]
