"""Coboundary certificates: exact proofs that two PCFs are related by a Möbius map.

Two PCFs ``x = a_x(0) + b_x(1)/(a_x(1) + ...)`` and ``y`` (docs/design.md,
"Formula JSON") with companion matrices ``M(n) = [[0, b(n)], [1, a(n)]]`` are
*coboundary equivalent* [1, 2] when a matrix ``U(n)`` of rational functions and
a scalar ``f(n)`` satisfy, identically in ``n``,

    ``M_x(n) U(n+1) = f(n) U(n) M_y(n)``.

Multiplying these identities for ``n = k, ..., N`` telescopes:
``M_x(k)...M_x(N) U(N+1) = (f(k)...f(N)) U(k) M_y(k)...M_y(N)``, so the
convergents of one fraction are those of the other seen through ``U``.
:func:`check_coboundary` decides the identity exactly (sympy, rational
functions); it is the proof a hypothesis member may carry (issue 26,
``certificate``).  :func:`relation_from_coboundary` reads off the Möbius
relation ``p x y + q x + r y + s = 0`` the telescoped identity implies when
``U(N)`` maps the generic direction to a generic one (which the caller
confirms numerically: a relation from a certificate is a candidate, the
acceptance rule still judges it).

References
----------
.. [1] R. Elimelech, O. David, C. De la Cruz Mengual, R. Kalisch, W. Berndt,
   M. Shalyt, M. Silberstein, Y. Hadad, I. Kaminer, "Algorithm-assisted
   discovery of an intrinsic order among mathematical constants", PNAS 121
   (2024): coboundary (gauge) equivalence of polynomial continued fractions.
.. [2] ramanujantools (RamanujanMachine), ``Matrix.coboundary`` and
   ``PCF``: the same matrix convention ``[[0, b(n)], [1, a(n)]]``.

Examples
--------
>>> # x = 2 y: the equivalence transformation a -> 2a, b -> 4b, U = diag(2, 1), f = 2
>>> check_coboundary([1, 2], [0, 0, 1], [2, 4], [0, 0, 4], [["1", "0"], ["0", "2"]], "2")
False
>>> check_coboundary([2, 4], [0, 0, 4], [1, 2], [0, 0, 1], [["2", "0"], ["0", "1"]], "2")
True
>>> relation_from_coboundary([2, 4], [0, 0, 4], [1, 2], [0, 0, 1], [["2", "0"], ["0", "1"]])
(0, 1, -2, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import sympy

from mathdisco.engines.numerics.expressions import ExpressionError, parse_expression

__all__ = ["check_coboundary", "companion", "relation_from_coboundary"]

n = sympy.Symbol("n")
#: certificate entries are short rational functions; longer text is refused before parsing
MAX_ENTRY_CHARS = 2000


def _polynomial(coefficients: Sequence[int], name: str) -> sympy.Expr:
    try:
        values = [sympy.Integer(int(c)) for c in coefficients]
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name}: coefficients must be integers") from error
    return sum((c * n**i for i, c in enumerate(values)), sympy.Integer(0))


def companion(a: Sequence[int], b: Sequence[int]) -> sympy.Matrix:
    """``M(n) = [[0, b(n)], [1, a(n)]]`` for coefficient lists, lowest degree first.

    >>> companion([1, 2], [0, 0, 1]).tolist()
    [[0, n**2], [1, 2*n + 1]]
    """
    return sympy.Matrix([[0, _polynomial(b, "b")], [1, _polynomial(a, "a")]])


def _entry(text: str, name: str) -> sympy.Expr:
    if not isinstance(text, str) or len(text) > MAX_ENTRY_CHARS:
        raise ValueError(f"{name}: a text of at most {MAX_ENTRY_CHARS} characters is required")
    try:
        expr = parse_expression(text, variables=["n"])
    except ExpressionError as error:
        raise ValueError(f"{name}: {error}") from error
    if not expr.free_symbols <= {n} or not expr.is_rational_function(n):
        raise ValueError(f"{name}: not a rational function of n")
    return expr


def _matrix(U: Sequence[Sequence[str]]) -> sympy.Matrix:
    if len(U) != 2 or any(len(row) != 2 for row in U):
        raise ValueError("U: a 2x2 matrix of texts is required")
    return sympy.Matrix([[_entry(U[i][j], f"U[{i}][{j}]") for j in range(2)] for i in range(2)])


def check_coboundary(a_x: Sequence[int], b_x: Sequence[int], a_y: Sequence[int],
                     b_y: Sequence[int], U: Sequence[Sequence[str]], f: str) -> bool:
    """True iff ``M_x(n) U(n+1) == f(n) U(n) M_y(n)`` identically in ``n``, with ``det U, f != 0``.

    Parameters
    ----------
    a_x, b_x, a_y, b_y : sequences of int
        the two PCFs, coefficients lowest degree first.
    U : 2x2 nested sequence of str
        rational functions of ``n`` in the project's safe grammar.
    f : str
        a rational function of ``n``.

    Returns
    -------
    bool
        the identity holds as rational functions (exact), and neither ``f``
        nor ``det U`` vanishes identically (a zero ``U`` would "prove" anything).

    Raises
    ------
    ValueError
        malformed certificate text (not parsable, not a rational function of
        ``n``, not 2x2) or non-integer coefficients.

    Examples
    --------
    >>> check_coboundary([1], [0, 0, 1], [1], [0, 0, 1], [["1", "0"], ["0", "1"]], "1")
    True
    >>> check_coboundary([1], [0, 0, 1], [2], [0, 0, 1], [["1", "0"], ["0", "1"]], "1")
    False
    """
    mx, my = companion(a_x, b_x), companion(a_y, b_y)
    u, scale = _matrix(U), _entry(f, "f")
    if sympy.cancel(scale) == 0 or sympy.cancel(u.det()) == 0:
        return False
    difference = mx * u.subs(n, n + 1) - scale * u * my
    return all(sympy.cancel(sympy.together(entry)) == 0 for entry in difference)


def relation_from_coboundary(a_x: Sequence[int], b_x: Sequence[int], a_y: Sequence[int],
                             b_y: Sequence[int], U: Sequence[Sequence[str]],
                             ) -> tuple[int, int, int, int] | None:
    """``(p, q, r, s)`` with ``p x y + q x + r y + s = 0`` implied by a coboundary ``U``.

    With ``A = [[1, a(0)], [0, 1]]`` the convergents of a PCF are the columns
    of ``A M(1) ... M(N)``; the telescoped identity (module docstring) at the
    first ``k >= 1`` where ``U(k)`` is finite and invertible and ``b(1..k-1)``
    do not vanish gives ``x = W(y)`` with
    ``W = A_x M_x(1)...M_x(k-1) U(k) (A_y M_y(1)...M_y(k-1))^(-1)``,
    provided ``U(N)`` does not send the limit direction to the other
    fraction's subdominant one (generic; confirm the relation numerically).
    Returns the primitive integer relation, or None (no such ``k`` up to 8,
    or an irrational ``W``).  The certificate itself is not checked here.
    """
    mx, my, u = companion(a_x, b_x), companion(a_y, b_y), _matrix(U)
    ax0, ay0 = _polynomial(a_x, "a_x").subs(n, 0), _polynomial(a_y, "a_y").subs(n, 0)
    left = sympy.Matrix([[1, ax0], [0, 1]])
    right = sympy.Matrix([[1, ay0], [0, 1]])
    for k in range(1, 9):
        try:
            uk = u.subs(n, k)
        except (ZeroDivisionError, ValueError):
            uk = None
        if (uk is not None and not uk.has(sympy.zoo, sympy.nan, sympy.oo) and uk.det() != 0
                and right.det() != 0):
            w = left * uk * right.inv()
            if not all(entry.is_rational for entry in w):
                return None
            # x = (w00 y + w01)/(w10 y + w11)  <=>  w10 x y + w11 x - w00 y - w01 = 0
            rel = [sympy.Rational(v) for v in (w[1, 0], w[1, 1], -w[0, 0], -w[0, 1])]
            denominator = math.lcm(*(int(v.q) for v in rel))
            ints = [int(v * denominator) for v in rel]
            g = math.gcd(*ints) or 1
            ints = [v // g for v in ints]
            first = next(v for v in ints if v)
            return tuple(v if first > 0 else -v for v in ints)
        left = left * mx.subs(n, k)
        right = right * my.subs(n, k)
    return None
