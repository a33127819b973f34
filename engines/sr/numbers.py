"""Simple numbers near a fitted value, each with its description length.

A fitted constant ``0.4987 +- 0.004`` may be ``1/2``; ``0.3991`` may be
``1/sqrt(2 pi)``.  The candidates are ``(p/q) * 2**(a/2) * 3**(b/2) *
pi**(c/2)`` with ``q <= 12``, ``a, b`` in ``{0, 1}`` and ``c`` in ``-4 .. 4``
(``1/2``, ``4 pi``, ``sqrt(2)``, ``1/sqrt(2 pi)``, ``pi**2/6`` ...), and
``(p/q) * e**k`` with ``k`` in ``{-2, -1, 1, 2}``; the
codelength of a candidate, in nats, is that of its parts: a sign, ``|p|`` and
``q`` as integers (``2 log(1 + |p|) + 2 log(q)``, a proper code: with the
lengths of ``log(1 + |p|)`` there would be so many cheap candidates that one
always lies within a standard error of any value) and each irrational factor.  Whether a candidate replaces the fitted
value is decided by :mod:`engines.sr.selection` (a statistical test and a
shorter description); this module only lists them, cheapest first.

Reference: Rissanen, "A universal prior for integers and estimation by minimum
description length", Annals of Statistics 11 (1983) (codelengths of integers);
Bartlett, Desmond, Ferreira, "Exhaustive Symbolic Regression", IEEE TEVC 2023,
section III (the codelength of a model's constants).

Examples
--------
>>> [c.text for c in candidates(0.4987, 0.004)][:1]
['1/2']
>>> [c.text for c in candidates(0.39896, 0.0005)][:1]
['sqrt(2)/(2*sqrt(pi))']
>>> candidates(1.7800000000001, 1e-12, decimals=2)[0].text
'89/50'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy

__all__ = ["SimpleNumber", "candidates", "free_cost", "integer_cost"]

MAX_DENOMINATOR = 12
LN2 = math.log(2.0)


@dataclass(frozen=True)
class SimpleNumber:
    value: float
    rational: Fraction
    base: int  # index into the irrational factors (0: none)
    cost: float  # nats

    @property
    def expr(self) -> sympy.Expr:
        return sympy.Rational(self.rational.numerator, self.rational.denominator) * _BASES[self.base][1]

    @property
    def text(self) -> str:
        return sympy.sstr(self.expr)


def integer_cost(k: int) -> float:
    """``2 log(1 + |k|)`` nats: a proper code (the lengths satisfy Kraft's inequality)."""
    return 2.0 * math.log1p(abs(k))


def free_cost(value: float, standard_error: float) -> float:
    """The codelength of a free parameter: a sign and ``|value|`` to its standard error."""
    if not math.isfinite(standard_error) or standard_error <= 0:
        standard_error = 1e-300
    return LN2 + math.log1p(abs(value) / standard_error)


def _bases() -> list[tuple[float, sympy.Expr, float]]:
    out = []
    for a in (0, 1):
        for b in (0, 1):
            for c in (0, 1, -1, 2, -2, 3, -3, 4, -4):
                expr = sympy.sqrt(2) ** a * sympy.sqrt(3) ** b * sympy.pi ** sympy.Rational(c, 2)
                cost = LN2 * (a + b) + (LN2 + math.log(abs(c)) if c else 0.0)
                out.append((float(expr), expr, cost))
    for k in (1, -1, 2, -2):  # e**k: exp(1 - x) = e * exp(-x) leaves a power of e in a scale
        out.append((math.e**k, sympy.E**k, 2 * LN2 + math.log(abs(k))))
    return out


_BASES = _bases()  # the first is 1


def _rational_cost(r: Fraction) -> float:
    cost = integer_cost(r.numerator) + 2.0 * math.log(r.denominator)
    return cost + (LN2 if r < 0 else 0.0)


def candidates(value: float, width: float, max_denominator: int = MAX_DENOMINATOR,
               decimals: int = 0) -> list[SimpleNumber]:
    """Simple numbers within ``width`` of ``value``, cheapest first (ties: closest first).

    ``decimals > 0`` adds the decimal with that many places nearest to ``value``
    (``3.39``, ``0.426``), for exact data where a benchmark's constants are
    short decimals; its cost is that of the integer ``p`` over ``10**decimals``.
    Zero is never a candidate here (dropping a term is the caller's decision).
    """
    if not (math.isfinite(value) and math.isfinite(width)) or value == 0 or abs(value) > 1e6:
        return []
    width = max(width, 1e-15 * abs(value))
    seen: dict[float, SimpleNumber] = {}
    for index, (base_value, _, base_cost) in enumerate(_BASES):
        ratio = value / base_value
        for q in range(1, max_denominator + 1):
            p = round(ratio * q)
            if p == 0:
                continue
            r = Fraction(p, q)
            number = float(r) * base_value
            if abs(number - value) > width:
                continue
            cost = _rational_cost(r) + base_cost
            key = round(number, 12)
            if key not in seen or cost < seen[key].cost:
                seen[key] = SimpleNumber(number, r, index, cost)
    for places in range(1, decimals + 1):
        r = Fraction(round(value * 10**places), 10**places)
        if r != 0 and abs(float(r) - value) <= width:
            key = round(float(r), 12)
            if key not in seen:
                cost = integer_cost(round(value * 10**places)) + places * math.log(10) + LN2
                seen[key] = SimpleNumber(float(r), r, 0, cost)
    return sorted(seen.values(), key=lambda c: (c.cost, abs(c.value - value)))
