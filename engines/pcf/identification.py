"""Identifying the limits of PCF clusters with PSLQ against registered constants.

The labeling stage of Shalyt et al., "Unsupervised Discovery of Formulas for
Mathematical Constants" (NeurIPS 2024, Sec. 3.3, Fig. 1 (e.1)): a few members of
each cluster are evaluated at high precision and matched against a basis of
constants by an integer relation of the Möbius (linear-fractional) form

    c_0 L + c_1 L K + c_2 + c_3 K = 0,   i.e.   L = -(c_2 + c_3 K) / (c_0 + c_1 K),

found by PSLQ on ``search_dps`` digits and confirmed on an independent,
deeper evaluation to ``check_dps`` digits (:func:`engines.numerics.relations.find_relation`).
As in the paper's code (LIReC ``min_roi = 2``), a relation also has to be
*economical*: its coefficients may use at most half of the digits it was found
on, which rejects the coefficient-~10^3 "relations" PSLQ returns for any four
numbers at low precision.

Example
-------
>>> value = pcf_value([1, 2], [0, 0, 1], 400, 60)     # 4/pi
>>> match = identify_value(value.value, value.digits, ["pi", "e"], search_dps=30)
>>> match.constant, match.expression
('pi', '4/pi')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import sympy

from engines.numerics.constants import CONSTANTS, constant_value
from engines.numerics.continued_fractions import gcf_convergent
from engines.numerics.expressions import to_text
from engines.numerics.formula import QuasiPolynomial
from engines.numerics.relations import find_relation

#: largest coefficient PSLQ may use in a Möbius relation.
MAX_COEFF = 10_000
#: fewest digits worth running PSLQ on.
MIN_DIGITS = 20


@dataclass(frozen=True)
class PCFValue:
    """A PCF limit at a depth, with the digits its last step guarantees."""

    value: mpmath.mpf
    digits: int
    depth: int


@dataclass(frozen=True)
class Match:
    """``L = expression``, confirmed to ``digits`` digits."""

    constant: str | None  # None: rational
    coefficients: list[int]
    expression: str  # the safe expression grammar
    digits: int


def pcf_value(a: Sequence[int], b: Sequence[int], depth: int, dps: int) -> PCFValue:
    """``p_depth/q_depth`` of the PCF at ``dps`` digits, and how many digits it carries.

    The digit count is ``-log10|p_N/q_N - p_{N-1}/q_{N-1}|`` (capped at ``dps``),
    which bounds the error of ``p_N/q_N`` for the PCFs that converge
    exponentially or faster (those are the ones identified here).
    """
    a_qp, b_qp = QuasiPolynomial.polynomial(list(a)), QuasiPolynomial.polynomial(list(b))
    p, q, p_prev, q_prev = gcf_convergent(a_qp.terms(depth + 1), b_qp.terms(depth + 1))
    with mpmath.workdps(dps + 10):
        if q == 0 or q_prev == 0:
            return PCFValue(mpmath.nan, 0, depth)
        value = mpmath.mpf(p) / mpmath.mpf(q)
        step = abs(mpmath.mpf(p * q_prev - p_prev * q) / (mpmath.mpf(q) * mpmath.mpf(q_prev)))
        digits = dps if step == 0 else int(min(dps, max(0, -mpmath.log10(step))))
    return PCFValue(value, digits, depth)


def _tidy(expr: sympy.Expr) -> sympy.Expr:
    """One fraction whose denominator does not start with a minus sign."""
    numerator, denominator = sympy.fraction(sympy.together(expr))
    if denominator.is_number and denominator.evalf() < 0:
        numerator, denominator = -numerator, -denominator
    return numerator / denominator


def _economical(coefficients: Sequence[int], digits: int) -> bool:
    size = sum(math.log10(abs(c) + 1) for c in coefficients)
    return 2 * size <= digits


def identify_value(value: mpmath.mpf, digits: int, basis: Sequence[str], *,
                   search_dps: int = 50, max_coeff: int = MAX_COEFF) -> Match | None:
    """The simplest rational or Möbius-in-one-constant closed form of ``value``.

    Parameters
    ----------
    value : the number, accurate to ``digits`` digits.
    basis : registered constant names (engines.numerics.constants) to try.
    search_dps : digits PSLQ sees (at most ``0.8 * digits``); the rest confirm.

    Returns
    -------
    The relation with the smallest sum of |coefficients|, or None.
    """
    if digits < MIN_DIGITS or not mpmath.isfinite(value):
        return None
    if value == 0:
        return Match(None, [1, 0], "0", digits)
    search = max(15, min(search_dps, int(digits * 0.8)))
    if abs(value) < mpmath.mpf(10) ** (5 - search):
        return None  # zero to the search precision: PSLQ cannot tell it from 0
    check = digits
    best: Match | None = None
    with mpmath.workdps(check + 10):
        one = mpmath.mpf(1)
        rational = find_relation([value, one], search_dps=search, check_dps=check,
                                 max_coeff=max_coeff)
        if rational is not None and rational.coefficients[0] and _economical(
                rational.coefficients, search):
            c0, c1 = rational.coefficients
            expr = sympy.Rational(-c1, c0)
            return Match(None, rational.coefficients, to_text(expr), rational.digits_matched)
        for name in basis:
            k = constant_value(name, check + 10)
            relation = find_relation([value, value * k, one, k], search_dps=search,
                                     check_dps=check, max_coeff=max_coeff)
            if relation is None or not _economical(relation.coefficients, search):
                continue
            c0, c1, c2, c3 = relation.coefficients
            if c0 == 0 and c1 == 0:
                continue
            if c1 == 0 and c3 == 0:
                continue  # the constant drops out: a rational relation in disguise
            symbol = CONSTANTS[name].sympy_form
            denominator = c0 + c1 * symbol
            if denominator == 0:
                continue
            expr = _tidy(-(c2 + c3 * symbol) / denominator)
            size = sum(abs(c) for c in relation.coefficients)
            if best is None or size < sum(abs(c) for c in best.coefficients):
                best = Match(name, relation.coefficients, to_text(expr), relation.digits_matched)
    return best


def confirm_constant(a: Sequence[int], b: Sequence[int], constant: str | None, *, depth: int,
                     dps: int, search_dps: int = 50) -> Match | None:
    """Whether the PCF's limit is rational (``constant`` None) or Möbius in ``constant``."""
    value = pcf_value(a, b, depth, dps)
    basis = [] if constant is None else [constant]
    match = identify_value(value.value, value.digits, basis, search_dps=search_dps)
    if match is None or match.constant != constant:
        return None
    return match
