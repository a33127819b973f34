"""Families of PCFs: members of a cluster whose coefficients lie on a line.

Shalyt et al., "Unsupervised Discovery of Formulas for Mathematical Constants"
(NeurIPS 2024, Sec. 4.3, Table 5) generalise formulas found inside a cluster
into infinite families: the coefficient vector moves along a line
``v(k) = v_0 + k d`` while the limit stays a Möbius transform of one constant
``K``.  Here a line is proposed by two identified members of a cluster, the
cluster's other members on that line are identified against ``K`` alone, and
when at least three are, the Möbius relation ``c(k) = (c_0, c_1, c_2, c_3)(k)``
(``c_0 L + c_1 L K + c_2 + c_3 K = 0``) is interpolated as a polynomial in
``k`` from all but one point and accepted as a parametric formula only if it
reproduces the relation at *every* identified point of the line.

Example
-------
>>> fit_polynomial_relations([0, 1, 2], [[1, 0, -1, 0], [1, 0, -2, 0], [1, 0, -3, 0]])
[[1], [0], [-1, -1], [0]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from math import gcd

import numpy as np
import sympy

MAX_LINES = 6
MAX_POINTS = 6


def _primitive(vector: Sequence[int]) -> tuple[int, ...]:
    g = 0
    for x in vector:
        g = gcd(g, int(x))
    if g == 0:
        return tuple(int(x) for x in vector)
    out = [int(x) // g for x in vector]
    if next(x for x in out if x) < 0:
        out = [-x for x in out]
    return tuple(out)


def _interpolate(ks: Sequence[int], values: Sequence[int]) -> list[Fraction]:
    """Coefficients (lowest first) of the Lagrange polynomial through (k, value)."""
    k = sympy.Symbol("k")
    poly = sympy.interpolate(list(zip(ks, values, strict=True)), k)
    coefficients = sympy.Poly(poly, k).all_coeffs()[::-1] if poly != 0 else [0]
    return [Fraction(int(sympy.fraction(c)[0]), int(sympy.fraction(c)[1])) for c in coefficients]


def fit_polynomial_relations(ks: Sequence[int], relations: Sequence[Sequence[int]]
                             ) -> list[list[int]] | None:
    """Integer polynomials ``c_i(k)`` through all primitive relations, or None.

    The polynomials are interpolated on all points but the last and must give
    the last one exactly; they must have integer coefficients.
    """
    if len(ks) < 3:
        return None
    rows = [_primitive(r) for r in relations]
    fitted = []
    for i in range(len(rows[0])):
        coefficients = _interpolate(ks[:-1], [r[i] for r in rows[:-1]])
        if any(c.denominator != 1 for c in coefficients):
            return None
        value = sum(c * ks[-1] ** j for j, c in enumerate(coefficients))
        if value != rows[-1][i]:
            return None
        ints = [int(c) for c in coefficients]
        while len(ints) > 1 and ints[-1] == 0:
            ints.pop()
        fitted.append(ints)
    return fitted


def find_families(vectors: np.ndarray, identified: dict[int, list[int]],
                  identify: Callable[[int], list[int] | None]) -> list[dict]:
    """Lines of identified members inside one cluster.

    Parameters
    ----------
    vectors : int array (members, coefficients): the cluster's coefficient vectors.
    identified : member row -> Möbius relation, for the members already identified.
    identify : member row -> relation against the cluster's constant, or None.

    Returns
    -------
    One dict per line with at least three identified points: ``direction``,
    ``base`` (the vector at k = 0), ``points`` (k, member row, relation) and
    ``relation_polynomials`` (the fitted ``c_i(k)``, or None when no integer
    polynomial pattern holds on every point).
    """
    rows = sorted(identified)
    seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    families = []
    known = dict(identified)
    for i, u in enumerate(rows):
        for v in rows[i + 1:]:
            if len(families) >= MAX_LINES:
                return families
            direction = np.array(_primitive((vectors[v] - vectors[u]).tolist()), dtype=np.int64)
            if not direction.any():
                continue
            pivot = int(np.flatnonzero(direction)[0])
            diff = vectors - vectors[u]
            k_all = diff[:, pivot] // direction[pivot]
            on_line = np.flatnonzero((diff == np.outer(k_all, direction)).all(axis=1))
            ks = k_all[on_line]
            base = vectors[u] + ks.min() * direction
            key = (tuple(direction.tolist()), tuple(base.tolist()))
            if key in seen or len(on_line) < 3:
                continue
            seen.add(key)
            order = np.argsort(ks, kind="stable")[:MAX_POINTS]
            points = []
            for j in order:
                row = int(on_line[j])
                if row not in known:
                    known[row] = identify(row)
                if known[row] is not None:
                    points.append((int(ks[j] - ks.min()), row, known[row]))
            if len(points) < 3:
                continue
            fitted = fit_polynomial_relations([p[0] for p in points], [p[2] for p in points])
            families.append({"direction": direction.tolist(), "base": base.tolist(),
                             "points": points, "relation_polynomials": fitted})
    return families
