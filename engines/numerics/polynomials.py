"""Exact polynomial interpolation over the rationals: the one interpolator of the project.

Every engine that fits a polynomial to exact data -- quasi-polynomial term
sequences (:mod:`mathdisco.engines.numerics.formula`), diameter formulas
(:mod:`mathdisco.engines.cayley.quasipolynomial`), parametric PCF families
(:mod:`mathdisco.engines.pcf.families`) -- calls :func:`interpolate`; nothing else in
the project interpolates.

Newton's divided differences in exact :class:`fractions.Fraction` arithmetic,
expanded to monomial coefficients (lowest degree first).

Examples
--------
>>> interpolate([0, 1, 2], [0, 1, 3])
[Fraction(0, 1), Fraction(1, 2), Fraction(1, 2)]
>>> evaluate(interpolate([2, 5, 7], [4, 25, 49]), 10)
Fraction(100, 1)
>>> integer_coefficients(interpolate([0, 1, 2], [2, 4, 6]))
[2, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

__all__ = ["evaluate", "integer_coefficients", "interpolate", "rational_nullspace", "trim"]


def interpolate(xs: Sequence[int | Fraction], ys: Sequence[int | Fraction]) -> list[Fraction]:
    """Coefficients (lowest degree first) of the polynomial of degree < len(xs) through (xs, ys).

    Parameters
    ----------
    xs : sequence of int or Fraction
        Distinct abscissae.
    ys : sequence of int or Fraction
        Values at ``xs``.

    Returns
    -------
    list of Fraction
        ``len(xs)`` coefficients; trailing zeros are kept (see :func:`trim`).

    Raises
    ------
    ValueError
        When the lengths differ, ``xs`` is empty, or two abscissae coincide.
    """
    if len(xs) != len(ys) or not xs:
        raise ValueError("need as many values as abscissae, at least one")
    x = [Fraction(v) for v in xs]
    table = [Fraction(v) for v in ys]
    count = len(x)
    for level in range(1, count):
        for i in range(count - 1, level - 1, -1):
            denominator = x[i] - x[i - level]
            if denominator == 0:
                raise ValueError("abscissae must be distinct")
            table[i] = (table[i] - table[i - 1]) / denominator
    coefficients = [Fraction(0)] * count
    for i in range(count - 1, -1, -1):  # Horner on the Newton form: c = c * (t - x_i) + table_i
        shifted = [Fraction(0)] + coefficients[:-1]
        coefficients = [s - x[i] * c for s, c in zip(shifted, coefficients, strict=True)]
        coefficients[0] += table[i]
    return coefficients


def evaluate(coefficients: Sequence[int | Fraction], x: int | Fraction) -> Fraction:
    """The polynomial (lowest degree first) at ``x``, exactly."""
    value = Fraction(0)
    for c in reversed(coefficients):
        value = value * x + c
    return value


def trim(coefficients: Sequence[Fraction]) -> list[Fraction]:
    """Drop trailing zero coefficients, keeping at least one."""
    out = list(coefficients)
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return out


def integer_coefficients(coefficients: Sequence[Fraction]) -> list[int] | None:
    """The coefficients as integers with trailing zeros dropped ([] for zero), or None if one is not."""
    if any(Fraction(c).denominator != 1 for c in coefficients):
        return None
    out = [int(c) for c in coefficients]
    while out and out[-1] == 0:
        out.pop()
    return out


def rational_nullspace(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of ``{x : rows x = 0}`` by exact Gauss-Jordan elimination over the rationals.

    >>> from fractions import Fraction as F
    >>> rational_nullspace([[F(1), F(-2)]], 2)
    [[Fraction(2, 1), Fraction(1, 1)]]
    """
    matrix = [list(r) for r in rows]
    pivots: list[int] = []
    r = 0
    for col in range(width):
        pivot = next((i for i in range(r, len(matrix)) if matrix[i][col] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead = matrix[r][col]
        matrix[r] = [v / lead for v in matrix[r]]
        for i in range(len(matrix)):
            if i != r and matrix[i][col] != 0:
                factor = matrix[i][col]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
        pivots.append(col)
        r += 1
        if r == len(matrix):
            break
    free = [c for c in range(width) if c not in pivots]
    basis = []
    for f in free:
        x = [Fraction(0)] * width
        x[f] = Fraction(1)
        for i, col in enumerate(pivots):
            x[col] = -matrix[i][f]
        basis.append(x)
    return basis
