"""A search for coboundary certificates of Möbius relations between two PCFs.

Two PCFs with companion matrices ``M(n) = [[0, b(n)], [1, a(n)]]`` are
coboundary equivalent when ``M_x(n) U(n+1) = f(n) U(n) M_y(n)`` identically in
``n`` (Elimelech et al., "Algorithm-assisted discovery of an intrinsic order
among mathematical constants", PNAS 121 (2024); :mod:`mathdisco.engines.pcf.certificates`
checks such an identity exactly).  This module looks for one with ``U(n)`` of
*polynomial* entries of degree at most ``degree`` and a constant ``f``:

* ``f``: taking determinants, ``b_x(n) det U(n+1) = f^2 b_y(n) det U(n)``, so
  with ``deg b_x = deg b_y`` a constant ``f`` has ``f^2 = lc(b_x)/lc(b_y)``
  (two rational candidates ``±f``, none when the ratio is not a square);
* ``U``: for a fixed ``f`` the identity is linear in the coefficients of
  ``U``'s entries -- a small integer nullspace (exact, :mod:`fractions`).

A solution is returned only when :func:`mathdisco.engines.pcf.certificates.check_coboundary`
confirms it and the relation it implies (:func:`~mathdisco.engines.pcf.certificates.relation_from_coboundary`)
is the relation it should certify; otherwise None (the member keeps
``certificate: null``).  Rational ``U`` and a non-constant ``f`` are not
searched.

Example
-------
>>> found = coboundary([2, 4], [0, 0, 4], [1, 2], [0, 0, 1], relation=(0, 1, -2, 0))
>>> found["kind"], found["f"]
('coboundary', '2')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import sympy

from mathdisco.engines.numerics.polynomials import rational_nullspace

__all__ = ["coboundary"]

_N = sympy.Symbol("n")


def _trim(c: Sequence[int]) -> list[int]:
    out = [int(x) for x in c]
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return out


def _rational_sqrt(x: Fraction) -> Fraction | None:
    if x <= 0:
        return None
    p, q = math.isqrt(x.numerator), math.isqrt(x.denominator)
    if p * p != x.numerator or q * q != x.denominator:
        return None
    return Fraction(p, q)


def _solutions(a_x, b_x, a_y, b_y, f: Fraction, degree: int) -> list[list[Fraction]]:
    """Coefficient vectors of ``U`` (4 entries, ``degree + 1`` each) solving the identity."""
    size = degree + 1
    symbols = sympy.symbols(f"u0:{4 * size}")
    entries = [sum(symbols[e * size + k] * _N**k for k in range(size)) for e in range(4)]
    u = sympy.Matrix(2, 2, entries)
    shifted = u.subs(_N, _N + 1)

    def companion(a, b):
        return sympy.Matrix([[0, sum(c * _N**i for i, c in enumerate(b))],
                             [1, sum(c * _N**i for i, c in enumerate(a))]])

    identity = companion(a_x, b_x) * shifted - sympy.Rational(f.numerator, f.denominator) \
        * u * companion(a_y, b_y)
    rows = []
    for entry in identity:
        poly = sympy.Poly(sympy.expand(entry), _N)
        for coefficient in poly.all_coeffs():
            row = [Fraction(0)] * len(symbols)
            for term, value in sympy.Poly(coefficient, *symbols).terms():
                if value == 0 or 1 not in term:
                    continue
                position = term.index(1)
                row[position] = Fraction(int(sympy.numer(value)), int(sympy.denom(value)))
            rows.append(row)
    basis = rational_nullspace(rows, len(symbols))
    if len(basis) > 1:  # a basis vector may be singular where a combination is not
        basis.append([sum(column) for column in zip(*basis, strict=True)])
    return basis


def coboundary(a_x: Sequence[int], b_x: Sequence[int], a_y: Sequence[int], b_y: Sequence[int],
               *, relation: Sequence[int], degree: int = 2) -> dict | None:
    """A checked certificate ``{"kind", "U", "f"}`` for ``relation`` between x and y, or None.

    Parameters
    ----------
    a_x, b_x, a_y, b_y : the two PCFs (coefficients lowest degree first).
    relation : ``[p, q, r, s]`` with ``p x y + q x + r y + s = 0`` that the certificate
        must imply.
    degree : the largest degree of ``U``'s polynomial entries tried.
    """
    from mathdisco.engines.numerics.identification import primitive
    from mathdisco.engines.pcf.certificates import check_coboundary, relation_from_coboundary

    a_x, b_x, a_y, b_y = _trim(a_x), _trim(b_x), _trim(a_y), _trim(b_y)
    if len(b_x) != len(b_y):
        return None
    ratio = _rational_sqrt(Fraction(b_x[-1], b_y[-1]))
    if ratio is None:
        return None
    wanted = primitive(relation)
    for f in (ratio, -ratio):
        for d in range(degree + 1):
            for vector in _solutions(a_x, b_x, a_y, b_y, f, d):
                scale = math.lcm(*(v.denominator for v in vector))
                coefficients = [int(v * scale) for v in vector]
                size = d + 1
                texts = [sympy.sstr(sum(coefficients[e * size + k] * _N**k for k in range(size)))
                         for e in range(4)]
                matrix = [[texts[0], texts[1]], [texts[2], texts[3]]]
                f_text = sympy.sstr(sympy.Rational(f.numerator, f.denominator))
                if not check_coboundary(a_x, b_x, a_y, b_y, matrix, f_text):
                    continue
                implied = relation_from_coboundary(a_x, b_x, a_y, b_y, matrix)
                if implied is not None and primitive(implied) == wanted:
                    return {"kind": "coboundary", "U": matrix, "f": f_text}
    return None
