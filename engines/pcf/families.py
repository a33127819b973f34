"""Families of PCFs: identified members on a line in coefficient space.

Shalyt et al., "Unsupervised Discovery of Formulas for Mathematical Constants"
(NeurIPS 2024, Sec. 4.3, Table 5) generalise single formulas into infinite
families: the coefficient vector ``v(k) = v_0 + k d`` moves along a line while
the limit stays a Möbius transform of one constant ``K``,
``c_0(k) L + c_1(k) L K + c_2(k) + c_3(k) K = 0`` with polynomial ``c_i(k)``.

:func:`find_families` walks, for every constant and every small direction
``d`` (entries in ``{-1, 0, 1}``, and ``±2`` along one coordinate), the maximal
runs ``v_0, v_0 + d, v_0 + 2d, ...`` of members identified with that constant.
On a run of at least :data:`MIN_POINTS` members the relation coefficients are
interpolated (:func:`engines.numerics.polynomials.interpolate`, the project's
one interpolator) through the fewest leading points that predict *every*
other point of the run exactly; a family is stated with the members it was
fitted on and the ones it was checked on (at least one).

Relations are primitive integer vectors, so each is scaled by the sign that
keeps it pointing the way of its predecessor (the fit is blind to a sign flip
at a zero crossing otherwise).

Example
-------
>>> members = [((k, 1, 0, -1), "e", (1, 0, -k, 0)) for k in range(2, 7)]   # L_k = k, say
>>> family = find_families(members)[0]
>>> family["relation_polynomials"], family["fitted_on"], family["checked_on"]
([[1], [0], [-2, -1], [0]], [0, 1], [2, 3, 4])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from fractions import Fraction

from engines.numerics.polynomials import evaluate, integer_coefficients, interpolate

__all__ = ["MIN_POINTS", "directions", "find_families", "fit_relations"]

MIN_POINTS = 4
#: runs longer than this are cut (the fit only ever needs a few points)
MAX_POINTS = 12
#: families reported per constant (longest runs first)
MAX_PER_CONSTANT = 40


def directions(dimension: int) -> list[tuple[int, ...]]:
    """Primitive small steps: entries in {-1, 0, 1} (first non-zero positive), and 2 e_i.

    >>> len(directions(2))
    6
    """
    out = []
    for step in itertools.product((-1, 0, 1), repeat=dimension):
        nonzero = [s for s in step if s]
        if nonzero and nonzero[0] > 0:
            out.append(step)
    for i in range(dimension):
        out.append(tuple(2 if j == i else 0 for j in range(dimension)))
    return out


def _aligned(relations: Sequence[Sequence[int]]) -> list[list[int]]:
    out = [list(relations[0])]
    for r in relations[1:]:
        dot = sum(x * y for x, y in zip(out[-1], r, strict=True))
        out.append([-x for x in r] if dot < 0 else list(r))
    return out


def _proportional_polynomials(ks: Sequence[int], rows: Sequence[Sequence[int]], degree: int
                              ) -> list[list[int]] | None:
    """Integer polynomials ``P_i`` of degree <= ``degree`` with ``P(k) || rows[k]`` at every ``k``.

    ``P(k)`` parallel to ``c(k)`` means every 2x2 minor ``P_i c_j - P_j c_i``
    vanishes: linear equations in the coefficients of the ``P_i``.  The
    solution space must be one line (the scale); it is taken primitive.
    """
    width = len(rows[0])
    unknowns = width * (degree + 1)
    equations = []
    for k, c in zip(ks, rows, strict=True):
        powers = [Fraction(k) ** j for j in range(degree + 1)]
        for i in range(width):
            for j in range(i + 1, width):
                row = [Fraction(0)] * unknowns
                for t in range(degree + 1):
                    row[i * (degree + 1) + t] += powers[t] * c[j]
                    row[j * (degree + 1) + t] -= powers[t] * c[i]
                equations.append(row)
    basis = _nullspace(equations, unknowns)
    if len(basis) != 1:
        return None
    vector = basis[0]
    scale = 1
    for v in vector:
        scale = scale * v.denominator // math.gcd(scale, v.denominator)
    ints = [int(v * scale) for v in vector]
    g = 0
    for v in ints:
        g = math.gcd(g, v)
    ints = [v // g for v in ints]
    polynomials = [integer_coefficients([Fraction(v) for v in ints[i * (degree + 1):(i + 1) * (degree + 1)]])
                   for i in range(width)]
    polynomials = [p or [0] for p in polynomials]
    # orient like the first relation
    first = [evaluate(p, Fraction(ks[0])) for p in polynomials]
    if sum(x * y for x, y in zip(first, rows[0], strict=True)) < 0:
        polynomials = [[-c for c in p] for p in polynomials]
    return polynomials


def _nullspace(rows: list[list[Fraction]], width: int) -> list[list[Fraction]]:
    """A basis of ``{x : rows x = 0}`` by exact Gauss-Jordan elimination."""
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


def fit_relations(ks: Sequence[int], relations: Sequence[Sequence[int]], max_degree: int = 3
                  ) -> tuple[list[list[int]], int] | None:
    """Integer polynomials ``c_i(k)`` through the fewest leading points that predict all others.

    The relation at each point is known up to a scale, so the polynomials are
    fitted *projectively*: ``c(k)`` parallel to the point's relation (every
    2x2 minor zero), which is linear in the polynomials' coefficients.  For
    each degree ``d <= max_degree`` the fit uses the fewest leading points
    that determine it (:func:`engines.numerics.polynomials.interpolate` for the
    first one, then the minors) and must hold at every later point, of which
    there must be at least one.  Returns ``(polynomials, fitted)`` or None.

    >>> fit_relations([0, 1, 2, 3], [[1, 0, -1, 0], [1, 0, -2, 0], [1, 0, -3, 0], [1, 0, -4, 0]])
    ([[1], [0], [-1, -1], [0]], 2)
    >>> fit_relations([0, 1, 2, 3], [[1, 0, -1, 0], [2, 0, -1, 0], [3, 0, -1, 0], [4, 0, -1, 0]])
    ([[1, 1], [0], [-1], [0]], 2)
    """
    rows = _aligned(relations)
    width = len(rows[0])
    for degree in range(max_degree + 1):
        # the fewest points whose minors can pin down width * (degree + 1) - 1 unknowns
        fitted = max(degree + 1, -(-(width * (degree + 1) - 1) // (width - 1)))
        if fitted >= len(ks):
            return None
        if degree == 0:
            polynomials = [[v] for v in rows[0]]
            g = 0
            for p in polynomials:
                g = math.gcd(g, p[0])
            polynomials = [[p[0] // g] for p in polynomials]
        else:
            # interpolate the aligned relations first: exact polynomials need no minors
            direct = [integer_coefficients(interpolate(ks[:degree + 1], [r[i] for r in rows[:degree + 1]]))
                      for i in range(width)]
            if all(p is not None for p in direct) and all(
                    [evaluate(p or [0], Fraction(k)) for p in direct] == list(r)
                    for k, r in zip(ks, rows, strict=True)):
                return [p or [0] for p in direct], degree + 1
            polynomials = None
            while polynomials is None and fitted < len(ks):
                polynomials = _proportional_polynomials(ks[:fitted], rows[:fitted], degree)
                fitted += polynomials is None
            if polynomials is None:
                continue
        if all(_parallel([evaluate(p, Fraction(k)) for p in polynomials], r)
               for k, r in zip(ks, rows, strict=True)):
            return polynomials, fitted
    return None


def _parallel(x: Sequence[Fraction], y: Sequence[int]) -> bool:
    if not any(x):
        return False
    return all(x[i] * y[j] == x[j] * y[i] for i in range(len(x)) for j in range(i + 1, len(x)))


def find_families(members: Sequence[tuple[tuple[int, ...], str, tuple[int, ...]]]) -> list[dict]:
    """Families among identified members ``(vector, constant, relation)`` (module docstring).

    Returns dicts with ``constant``, ``base`` (the vector at ``k = 0``),
    ``direction``, ``points`` (``k`` values, in order), ``relations``,
    ``relation_polynomials`` (``c_i(k)``, lowest degree first), ``fitted_on``
    and ``checked_on`` (``k`` values) and ``member_positions`` (indices into
    ``members``).
    """
    by_constant: dict[str, dict[tuple[int, ...], int]] = {}
    for position, (vector, constant, _) in enumerate(members):
        by_constant.setdefault(constant, {})[tuple(vector)] = position
    families = []
    for constant, group in sorted(by_constant.items()):
        if len(group) < MIN_POINTS:
            continue
        dimension = len(next(iter(group)))
        found = []
        for step in directions(dimension):
            for vector in group:
                previous = tuple(v - s for v, s in zip(vector, step, strict=True))
                if previous in group:
                    continue  # not the start of a run
                run = [vector]
                while len(run) < MAX_POINTS:
                    following = tuple(v + s for v, s in zip(run[-1], step, strict=True))
                    if following not in group:
                        break
                    run.append(following)
                if len(run) < MIN_POINTS:
                    continue
                positions = [group[v] for v in run]
                relations = [members[p][2] for p in positions]
                ks = list(range(len(run)))
                fit = fit_relations(ks, relations)
                if fit is None:
                    continue
                polynomials, fitted = fit
                found.append({"constant": constant, "base": list(run[0]), "direction": list(step),
                              "points": ks, "relations": [list(r) for r in _aligned(relations)],
                              "relation_polynomials": polynomials, "fitted_on": ks[:fitted],
                              "checked_on": ks[fitted:], "member_positions": positions})
        found.sort(key=lambda f: (-len(f["points"]), f["base"], f["direction"]))
        families += found[:MAX_PER_CONSTANT]
    return families
