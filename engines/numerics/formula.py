"""Quasi-polynomial integer sequences and the shared Formula JSON of a continued fraction.

A *quasi-polynomial* ("interlaced polynomial") sequence has a few explicit
initial terms ``t(0..k-1)`` and then, for ``n >= k``, with ``j = (n - k) mod p``
and ``m = (n - k) div p``, ``t(n) = P_j(m)`` for ``p`` integer polynomials
``P_0..P_{p-1}`` (coefficients lowest degree first).  The partial numerators
and denominators of every continued fraction this project states are of this
shape: a PCF has ``p = 1`` and ``k = 0``; a simple continued fraction has
``b(n) = 1``; a signed one (ESMA) has ``b(n) = ±1`` by a periodic sign pattern.

The JSON shapes are fixed by docs/design.md ("Formula JSON")::

    QP      = {"initial": [...], "period": p, "polynomials": [[c0, c1, ...], ...]}
    Formula = {"kind": "gcf", "a": QP, "b": QP, "equals": "<safe expression>",
               "latex": "...", "text": "...", "verified_digits": N, ...}

with the continued fraction read as ``a(0) + b(1)/(a(1) + b(2)/(a(2) + ...))``
(``b(0)`` is never used).

Examples
--------
>>> from mathdisco.engines.numerics.formula import QuasiPolynomial
>>> e_simple = QuasiPolynomial(initial=(2,), period=3, polynomials=((1,), (2, 2), (1,)))
>>> e_simple.terms(9)
[2, 1, 2, 1, 1, 4, 1, 1, 6]
>>> e_simple.text("a")
'a(0) = 2; a(3m + 1) = 1, a(3m + 2) = 2*m + 2, a(3m + 3) = 1 for m >= 0'
>>> QuasiPolynomial.from_terms([2, 1, 2, 1, 1, 4, 1, 1, 6, 1, 1, 8], period=3, degree=1,
...                            preperiod=1) == e_simple
True

Reference: the interlaced-polynomial view is that of Razon et al., "Automated Search for
Conjectures on Mathematical Constants using Analysis of Integer Sequences" (ICML 2023), Sec. 3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from math import comb
from typing import Any

import sympy

from mathdisco.engines.numerics.expressions import parse_expression, to_text
from mathdisco.engines.numerics.polynomials import integer_coefficients, interpolate

_M, _N = sympy.symbols("m n")


@dataclass(frozen=True)
class QuasiPolynomial:
    """``t(n)``: explicit ``initial`` terms, then ``P_{(n-k) mod p}((n-k) div p)``."""

    initial: tuple[int, ...]
    period: int
    polynomials: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if self.period < 1:
            raise ValueError("period must be at least 1")
        if len(self.polynomials) != self.period:
            raise ValueError(f"need {self.period} polynomials, got {len(self.polynomials)}")
        object.__setattr__(self, "initial", tuple(int(t) for t in self.initial))
        # trailing zero coefficients carry no information; strip them so equal
        # sequences compare equal ([] is the zero polynomial)
        polys = []
        for poly in self.polynomials:
            coefficients = [int(c) for c in poly]
            while coefficients and coefficients[-1] == 0:
                coefficients.pop()
            polys.append(tuple(coefficients))
        object.__setattr__(self, "polynomials", tuple(polys))

    # -- constructors ------------------------------------------------------------
    @classmethod
    def polynomial(cls, coefficients: Sequence[int]) -> QuasiPolynomial:
        """A plain polynomial ``t(n) = sum c_i n^i`` (period 1, no initial terms)."""
        return cls((), 1, (tuple(coefficients),))

    @classmethod
    def constant(cls, value: int) -> QuasiPolynomial:
        return cls.polynomial((value,))

    @classmethod
    def signs(cls, pattern: Sequence[int]) -> QuasiPolynomial:
        """``b`` of a signed continued fraction: ``b(n) = pattern[(n-1) mod k]`` for n >= 1."""
        if not pattern or any(s not in (1, -1) for s in pattern):
            raise ValueError("a sign pattern is a non-empty sequence of +1/-1")
        return cls((0,), len(pattern), tuple((s,) for s in pattern))

    @classmethod
    def from_terms(cls, terms: Sequence[int], *, period: int, degree: int,
                   preperiod: int = 0) -> QuasiPolynomial | None:
        """Fit ``period`` integer polynomials of degree <= ``degree`` to ``terms``.

        Uses the first ``degree + 1`` terms of each residue class and checks every
        other given term.  Returns None when the fit is not integral or a term
        disagrees, or when there are too few terms to fit.
        """
        k, p = preperiod, period
        if len(terms) < k + p * (degree + 1):
            return None
        columns = [[int(t) for t in terms[k + j::p]] for j in range(p)]
        if not all(_vanishing_differences(column, degree + 1) for column in columns):
            return None  # the cheap integer test rejects most (period, degree) guesses
        polynomials = []
        for column in columns:
            # the vanishing differences make the column equal this polynomial at every m
            coefficients = _interpolate(column[: degree + 1])
            if coefficients is None:
                return None
            polynomials.append(tuple(coefficients))
        return cls(tuple(terms[:k]), p, tuple(polynomials))

    # -- values ----------------------------------------------------------------
    @property
    def preperiod(self) -> int:
        return len(self.initial)

    @property
    def degree(self) -> int:
        return max((len(p) - 1 for p in self.polynomials), default=-1)

    def term(self, n: int) -> int:
        if n < 0:
            raise ValueError("terms are indexed from 0")
        k = len(self.initial)
        if n < k:
            return self.initial[n]
        m, j = divmod(n - k, self.period)
        value = 0
        for c in reversed(self.polynomials[j]):
            value = value * m + c
        return value

    def terms(self, count: int) -> list[int]:
        k, p = len(self.initial), self.period
        if count <= k:
            return list(self.initial[:count])
        result = list(self.initial) + [0] * (count - k)
        for j, poly in enumerate(self.polynomials):
            length = len(range(k + j, count, p))
            if length:
                result[k + j::p] = _polynomial_values(poly, length)
        return result

    # -- normal form -------------------------------------------------------------
    def canonical(self) -> QuasiPolynomial:
        """The same sequence with the shortest pre-period, then the shortest period.

        Two quasi-polynomials describe the same sequence iff their canonical forms
        are equal (both sides agree on ``degree + 1`` values of every residue class
        of the common period, which proves polynomial identity).
        """
        current = self
        while current.initial and _shift_back_fits(current):
            current = _shift_back(current)
        d = max(current.degree, 0)
        k, p = current.preperiod, current.period
        horizon = k + p * (d + 1)
        terms = current.terms(horizon + p)
        for q in _divisors(p):
            if q == p:
                break
            shorter = QuasiPolynomial.from_terms(terms, period=q, degree=d, preperiod=k)
            if shorter is not None and shorter.terms(horizon + p) == terms:
                return shorter
        return current

    # -- JSON and text -------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"initial": list(self.initial), "period": self.period,
                "polynomials": [list(p) for p in self.polynomials]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuasiPolynomial:
        try:
            initial = [int(t) for t in data.get("initial", [])]
            period = int(data["period"])
            polynomials = [tuple(int(c) for c in p) for p in data["polynomials"]]
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a quasi-polynomial JSON object: {error}") from error
        return cls(tuple(initial), period, tuple(polynomials))

    def _pieces(self) -> list[tuple[str, sympy.Expr]]:
        """(index label, polynomial expression) pairs for text and LaTeX forms."""
        k, p = self.preperiod, self.period
        if p == 1:
            return [("n", _polynomial_expr(self.polynomials[0], k))]
        pieces = []
        for j, poly in enumerate(self.polynomials):
            offset = k + j
            label = f"{p}m" + (f" + {offset}" if offset else "")
            pieces.append((label, _polynomial_expr(poly, None)))
        return pieces

    def text(self, name: str = "a") -> str:
        parts = []
        if self.initial:
            parts.append(", ".join(f"{name}({i}) = {t}" for i, t in enumerate(self.initial)))
        pieces = [f"{name}({label}) = {_printed(expr)[0]}" for label, expr in self._pieces()]
        general = ", ".join(pieces)
        if self.period == 1:
            general += f" for n >= {self.preperiod}" if self.initial else ""
        else:
            general += " for m >= 0"
        parts.append(general)
        return "; ".join(parts)

    def latex(self, name: str = "a") -> str:
        rows = [f"{t} & n = {i}" for i, t in enumerate(self.initial)]
        for label, expr in self._pieces():
            if self.period == 1:
                condition = f"n \\ge {self.preperiod}" if self.initial else ""
            else:
                condition = f"n = {label.replace(' ', '')}"
            rows.append(f"{_printed(expr)[1]} & {condition}".rstrip(" &"))
        if len(rows) == 1 and self.period == 1 and not self.initial:
            return f"{name}_n = {_printed(self._pieces()[0][1])[1]}"
        return f"{name}_n = \\begin{{cases}} " + r" \\ ".join(rows) + r" \end{cases}"


def _polynomial_values(coefficients: Sequence[int], count: int) -> list[int]:
    """``[P(0), ..., P(count-1)]`` by forward differences: additions only, no powers."""
    degree = len(coefficients) - 1
    if degree <= 0:
        return [coefficients[0] if coefficients else 0] * count
    start = []
    for m in range(degree + 1):
        value = 0
        for c in reversed(coefficients):
            value = value * m + c
        start.append(value)
    differences = list(start)
    for level in range(1, degree + 1):  # the Newton table's leading diagonal
        for i in range(degree, level - 1, -1):
            differences[i] -= differences[i - 1]
    # summing the constant top difference d times (C-speed accumulate) gives P(0..count-1)
    values = [differences[degree]] * count
    for level in range(degree - 1, -1, -1):
        values = list(accumulate(values[: count - 1], initial=differences[level]))
    return values


def _as_expr(coefficients: Sequence[int], variable: sympy.Expr) -> sympy.Expr:
    return sum((c * variable**i for i, c in enumerate(coefficients)), sympy.Integer(0))


def _vanishing_differences(values: list[int], order: int) -> bool:
    """Whether the ``order``-th forward differences of ``values`` are all zero (a polynomial of degree < order)."""
    for _ in range(order):
        values = [b - a for a, b in zip(values, values[1:], strict=False)]
    return not any(values)


def _interpolate(values: Sequence[int]) -> list[int] | None:
    """Integer coefficients (lowest first) of the polynomial through (i, values[i]), or None."""
    return integer_coefficients(interpolate(range(len(values)), values))


def _shift_back_fits(qp: QuasiPolynomial) -> bool:
    last = qp.initial[-1]
    poly = qp.polynomials[-1]
    return sum(c * (-1) ** i for i, c in enumerate(poly)) == last


def _shift_back(qp: QuasiPolynomial) -> QuasiPolynomial:
    """Absorb the last initial term: new P_0(m) = old P_{p-1}(m - 1), new P_j = old P_{j-1}."""
    last_poly = qp.polynomials[-1]
    shifted = [0] * len(last_poly)
    for i, c in enumerate(last_poly):
        for r in range(i + 1):
            shifted[r] += c * comb(i, r) * (-1) ** (i - r)
    return QuasiPolynomial(qp.initial[:-1], qp.period,
                           (tuple(shifted),) + qp.polynomials[:-1])


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


# ---------------------------------------------------------------------------
# Formula JSON
# ---------------------------------------------------------------------------

def _tail_sign(b_next: int) -> str:
    """What stands for the levels not written: ``+ ...`` or ``- ...`` by the sign of the next
    partial numerator (it is the next term's sign, as in ``a(n) - |b(n+1)|/(...)``), or nothing
    when ``b(n+1) = 0`` ends the fraction there."""
    return "" if b_next == 0 else (" - " if b_next < 0 else " + ")


def gcf_latex(a: QuasiPolynomial, b: QuasiPolynomial, levels: int = 4) -> str:
    r"""The first ``levels`` levels of ``a(0) + b(1)/(a(1) + ...)`` as nested ``\cfrac``.

    A negative ``b(n)`` is written as a minus before ``|b(n)|``, so every sign
    shown is the sign of the term it stands before, the elided tail included.

    >>> gcf_latex(QuasiPolynomial.polynomial([1, 1]), QuasiPolynomial.polynomial([0, 1]), 2)
    '1 + \\cfrac{1}{2 + \\cfrac{2}{3 + \\dots}}'
    >>> gcf_latex(QuasiPolynomial.polynomial([2, 2]), QuasiPolynomial.polynomial([0, 0, -1]), 2)
    '2 - \\cfrac{1}{4 - \\cfrac{4}{6 - \\dots}}'
    """
    a_terms, b_terms = a.terms(levels + 1), b.terms(levels + 2)
    sign = _tail_sign(b_terms[levels + 1])
    tail = f"{sign}\\dots" if sign else ""
    for n in range(levels, 0, -1):
        sign = "-" if b_terms[n] < 0 else "+"
        tail = f" {sign} \\cfrac{{{abs(b_terms[n])}}}{{{a_terms[n]}{tail}}}"
    return f"{a_terms[0]}{tail}"


def gcf_text(a: QuasiPolynomial, b: QuasiPolynomial, levels: int = 4) -> str:
    """Plain-text form of the first ``levels`` levels, e.g. ``2 + 1/(1 + 1/(2 + ...))``.

    Each sign is that of the term it stands before; ``...`` stands for the
    levels not written (``- ...`` when the next partial numerator is negative).

    >>> gcf_text(QuasiPolynomial.polynomial([1, 1]), QuasiPolynomial.signs([-1]), 3)
    '1 - 1/(2 - 1/(3 - 1/(4 - ...)))'
    >>> gcf_text(QuasiPolynomial.polynomial([1, 1]), QuasiPolynomial.signs([1, -1]), 3)
    '1 + 1/(2 - 1/(3 + 1/(4 - ...)))'
    """
    a_terms, b_terms = a.terms(levels + 1), b.terms(levels + 2)
    sign = _tail_sign(b_terms[levels + 1])
    result = f"{a_terms[levels]}{sign}..." if sign else f"{a_terms[levels]}"
    for n in range(levels, 0, -1):
        sign = "-" if b_terms[n] < 0 else "+"
        result = f"{a_terms[n - 1]} {sign} {abs(b_terms[n])}/({result})"
    return result


def formula_json(a: QuasiPolynomial, b: QuasiPolynomial, equals: str, verified_digits: int,
                 **extra: Any) -> dict[str, Any]:
    """The Formula JSON (docs/design.md) for ``equals = a(0) + b(1)/(a(1) + b(2)/(...))``.

    Parameters
    ----------
    a, b : the partial denominators and numerators (``b(0)`` unused).
    equals : the limit, in the safe expression grammar; it is parsed and
        re-printed (:func:`mathdisco.engines.numerics.expressions.to_text`), so equal
        limits are spelled the same way.
    verified_digits : digits confirmed by an independent evaluation.
    extra : further JSON-serialisable fields (evidence, sign pattern, ...).

    Returns
    -------
    dict with ``kind, a, b, equals, latex, text, verified_digits`` and ``extra``.

    Examples
    --------
    >>> f = formula_json(QuasiPolynomial.polynomial([2, 4]), QuasiPolynomial.constant(1),
    ...                  "(exp(1)+1)/(exp(1)-1)", 100)
    >>> f["a"], f["equals"]
    ({'initial': [], 'period': 1, 'polynomials': [[2, 4]]}, '(1 + E)/(-1 + E)')
    >>> f["text"]
    '(1 + E)/(-1 + E) = 2 + 1/(6 + 1/(10 + 1/(14 + 1/(18 + ...)))); a(n) = 4*n + 2; b(n) = 1'
    """
    equals_text, equals_latex = _limit_forms(equals)
    latex = (f"{equals_latex} = {gcf_latex(a, b)}, \\quad "
             f"{a.latex('a')}, \\quad {b.latex('b')}")
    text = f"{equals_text} = {gcf_text(a, b)}; {a.text('a')}; {b.text('b')}"
    result = {"kind": "gcf", "a": a.to_json(), "b": b.to_json(), "equals": equals_text,
              "latex": latex, "text": text, "verified_digits": int(verified_digits)}
    result.update(extra)
    return result


@lru_cache(maxsize=4096)
def _limit_forms(equals: str) -> tuple[str, str]:
    """``equals`` re-printed as text and as LaTeX (a search states many formulas per limit)."""
    limit = parse_expression(equals)
    return to_text(limit), sympy.latex(limit)


@lru_cache(maxsize=8192)
def _polynomial_expr(coefficients: tuple[int, ...], shift: int | None) -> sympy.Expr:
    """``P(n - shift)`` expanded, or ``P(m)`` when ``shift`` is None."""
    if shift is None:
        return _as_expr(coefficients, _M)
    return sympy.expand(_as_expr(coefficients, _N - shift))


@lru_cache(maxsize=8192)
def _printed(expr: sympy.Expr) -> tuple[str, str]:
    """(text, LaTeX) of a polynomial piece: a search prints a thousand formulas over few pieces."""
    return sympy.sstr(expr), sympy.latex(expr)
