"""Families of PCFs: identified members on a line in coefficient space.

Shalyt et al., "Unsupervised Discovery of Formulas for Mathematical Constants"
(NeurIPS 2024, Sec. 4.3, Table 5) generalise single formulas into infinite
families: the coefficient vector ``v(k) = v_0 + k d`` moves along a line while
the limit stays a Möbius transform of one constant ``K``,
``L_k = M_k(K)`` with ``M_k = [[-c_3, -c_2], [c_1, c_0]]`` for the relation
``c_0 L + c_1 L K + c_2 + c_3 K = 0``.

:func:`find_families` walks, for every constant and every small direction
``d`` (entries in ``{-1, 0, 1}``, and ``±2`` along one coordinate), the maximal
runs ``v_0, v_0 + d, ...`` of members identified with that constant.  A run of
at least :data:`MIN_RUN` members may be lengthened past the box by the
caller's ``extend`` (evaluate and identify ``v_0 + k d`` against ``K``), and is
then fitted by the first of

* ``polynomial`` -- ``c_i(k)`` polynomials in ``k`` (projectively: ``c(k)``
  parallel to the relation at every point);
* ``mobius recurrence`` -- a Möbius map ``T(k)`` with polynomial entries and
  ``M_{k+1} = T(k) M_k`` (up to scale): ``L_{k+1} = T(k)(L_k)``, the shape of
  the contiguous relations of hypergeometric families, whose own coefficients
  grow like factorials;

that holds through the fewest leading points and predicts *every* other point
(at least one).  Fits use exact rational arithmetic; the fewest-point
polynomial fit uses :func:`mathdisco.engines.numerics.polynomials.interpolate`, the
project's one interpolator.  A family is stated with the members (``k``) it
was fitted on and checked on, and which of them lie outside the box.

Relations are primitive integer vectors, so each is scaled by the sign that
keeps it pointing the way of its predecessor (a fit is blind to a sign flip
at a zero crossing otherwise).

Example
-------
>>> members = [((k, 1, 0, -1), "e", (1, 0, -k, 0)) for k in range(2, 7)]   # L_k = k, say
>>> family = find_families(members)[0]
>>> family["kind"], family["relation_polynomials"], family["fitted_on"], family["checked_on"]
('polynomial', [[1], [0], [-2, -1], [0]], [0, 1], [2, 3, 4])
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction

from mathdisco.engines.numerics.polynomials import (
    evaluate,
    integer_coefficients,
    interpolate,
    rational_nullspace,
)

__all__ = ["MIN_POINTS", "MIN_RUN", "directions", "find_families", "fit_mobius_recurrence",
           "fit_relations"]

#: identified members a line needs in the box before it is lengthened
MIN_RUN = 3
#: points a fitted family needs (fitted on some, checked on at least one)
MIN_POINTS = 4
#: a run is lengthened (by ``extend``) up to this many points, and cut there
MAX_POINTS = 10
#: families reported per constant (longest runs first), and lines lengthened in all
MAX_PER_CONSTANT = 40
MAX_EXTENDED = 300


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
    ints = _unique_integer_solution(equations, unknowns)
    if ints is None:
        return None
    polynomials = [integer_coefficients([Fraction(v) for v in ints[i * (degree + 1):(i + 1) * (degree + 1)]])
                   for i in range(width)]
    polynomials = [p or [0] for p in polynomials]
    # orient like the first relation
    first = [evaluate(p, Fraction(ks[0])) for p in polynomials]
    if sum(x * y for x, y in zip(first, rows[0], strict=True)) < 0:
        polynomials = [[-c for c in p] for p in polynomials]
    return polynomials


def fit_relations(ks: Sequence[int], relations: Sequence[Sequence[int]], max_degree: int = 3
                  ) -> tuple[list[list[int]], int] | None:
    """Integer polynomials ``c_i(k)`` through the fewest leading points that predict all others.

    The relation at each point is known up to a scale, so the polynomials are
    fitted *projectively*: ``c(k)`` parallel to the point's relation (every
    2x2 minor zero), which is linear in the polynomials' coefficients.  For
    each degree ``d <= max_degree`` the fit uses the fewest leading points
    that determine it (:func:`mathdisco.engines.numerics.polynomials.interpolate` for the
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


def fit_mobius_recurrence(ks: Sequence[int], relations: Sequence[Sequence[int]],
                          max_degree: int = 2) -> tuple[list[list[list[int]]], int] | None:
    """``T(k)`` (2x2, polynomial entries) with ``M_{k+1} || T(k) M_k``, or None.

    ``M_k = [[-c_3, -c_2], [c_1, c_0]]`` from the relation at ``k``; the ``ks``
    are consecutive.  Proportionality of the 4-vectors ``M_{k+1}`` and
    ``T(k) M_k`` is linear in ``T``'s coefficients; the fit uses the fewest
    leading steps that determine ``T`` (up to scale) and must hold on every
    later step, of which there must be at least one.  Returns
    ``(T, fitted_points)``: ``T[i][j]`` the coefficients (lowest degree first)
    of entry ``(i, j)``.

    >>> import math
    >>> # L_k = k! K: M_{k+1} = [[k + 1, 0], [0, 1]] M_k
    >>> rel = [(1, 0, 0, -math.factorial(k)) for k in range(6)]
    >>> fit_mobius_recurrence(list(range(6)), rel)
    ([[[1, 1], [0]], [[0], [1]]], 4)
    """
    rows = _aligned(relations)
    matrices = [((-r[3], -r[2]), (r[1], r[0])) for r in rows]
    steps = len(matrices) - 1
    for degree in range(max_degree + 1):
        unknowns = 4 * (degree + 1)
        # each step gives 3 independent equations; one unknown is the scale
        fitted = -(-(unknowns - 1) // 3)
        while fitted < steps:
            t = _recurrence_solution(ks, matrices, degree, fitted)
            fitted += t is None
            if t is not None:
                break
        else:
            continue
        if all(_parallel_vectors(_flat(matrices[s + 1]), _flat(_apply(t, ks[s], matrices[s])))
               for s in range(steps)):
            return t, fitted + 1
    return None


def _flat(m) -> list[Fraction]:
    return [Fraction(m[0][0]), Fraction(m[0][1]), Fraction(m[1][0]), Fraction(m[1][1])]


def _apply(t, k: int, m) -> tuple:
    entry = [[evaluate(t[i][j], Fraction(k)) for j in range(2)] for i in range(2)]
    return ((entry[0][0] * m[0][0] + entry[0][1] * m[1][0], entry[0][0] * m[0][1] + entry[0][1] * m[1][1]),
            (entry[1][0] * m[0][0] + entry[1][1] * m[1][0], entry[1][0] * m[0][1] + entry[1][1] * m[1][1]))


def _parallel_vectors(x: Sequence[Fraction], y: Sequence[Fraction]) -> bool:
    if not any(x) or not any(y):
        return False
    return all(x[i] * y[j] == x[j] * y[i] for i in range(len(x)) for j in range(i + 1, len(x)))


def _recurrence_solution(ks, matrices, degree: int, steps: int) -> list | None:
    """The unique-up-to-scale T fitted on the first ``steps`` steps, as integer polynomials."""
    width = degree + 1
    equations = []
    for s in range(steps):
        k = ks[s]
        powers = [Fraction(k) ** j for j in range(width)]
        m, target = matrices[s], _flat(matrices[s + 1])
        # (T M)[i][j] = sum_l T[i][l] M[l][j]; flat index f = 2 i + j; unknown (i, l, power)
        linear = []
        for i in range(2):
            for j in range(2):
                row = [Fraction(0)] * (4 * width)
                for l_index in range(2):
                    for power in range(width):
                        row[(2 * i + l_index) * width + power] += powers[power] * m[l_index][j]
                linear.append(row)
        for f in range(4):
            for g in range(f + 1, 4):
                equations.append([linear[f][u] * target[g] - linear[g][u] * target[f]
                                  for u in range(4 * width)])
    ints = _unique_integer_solution(equations, 4 * width)
    if ints is None:
        return None
    return [[integer_coefficients([Fraction(v) for v in ints[(2 * i + l_index) * width:
                                                              (2 * i + l_index + 1) * width]]) or [0]
             for l_index in range(2)] for i in range(2)]


def _unique_integer_solution(equations: list[list[Fraction]], unknowns: int) -> list[int] | None:
    """The primitive integer vector spanning a one-dimensional null space, or None."""
    basis = rational_nullspace(equations, unknowns)
    if len(basis) != 1:
        return None
    scale = math.lcm(*(v.denominator for v in basis[0]))
    ints = [int(v * scale) for v in basis[0]]
    divisor = math.gcd(*ints)
    return [v // divisor for v in ints]


def _runs(group: dict[tuple[int, ...], int]):
    """Maximal runs ``v, v + d, ...`` (at least MIN_RUN long) of a constant's members."""
    dimension = len(next(iter(group)))
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
            if len(run) >= MIN_RUN:
                yield step, run


def find_families(members: Sequence[tuple[tuple[int, ...], str, tuple[int, ...]]],
                  extend: Callable[[str, tuple[int, ...]], tuple[int, ...] | None] | None = None,
                  ) -> list[dict]:
    """Families among identified members ``(vector, constant, relation)`` (module docstring).

    ``extend(constant, vector)`` identifies a PCF off the list against the
    constant (its relation, or None); runs are lengthened with it to
    :data:`MAX_POINTS`.  Returns dicts with ``constant``, ``kind``, ``base``
    (the vector at ``k = 0``), ``direction``, ``points`` (``k`` values),
    ``relations``, ``relation_polynomials`` or ``recurrence`` (``T(k)``),
    ``fitted_on``, ``checked_on``, ``outside`` (``k`` of members not in
    ``members``) and ``member_positions`` (indices into ``members``, None
    outside).
    """
    by_constant: dict[str, dict[tuple[int, ...], int]] = {}
    for position, (vector, constant, _) in enumerate(members):
        by_constant.setdefault(constant, {})[tuple(vector)] = position
    families, extended = [], 0
    for constant, group in sorted(by_constant.items()):
        found = []
        for step, run in _runs(group):
            positions = [group[v] for v in run]
            relations = [members[p][2] for p in positions]
            if extend is not None and len(run) < MAX_POINTS and extended < MAX_EXTENDED:
                extended += 1
                while len(run) < MAX_POINTS:
                    following = tuple(v + s for v, s in zip(run[-1], step, strict=True))
                    relation = extend(constant, following)
                    if relation is None:
                        break
                    run.append(following)
                    positions.append(None)
                    relations.append(relation)
            if len(run) < MIN_POINTS:
                continue
            ks = list(range(len(run)))
            family = {"constant": constant, "base": list(run[0]), "direction": list(step),
                      "points": ks, "relations": [list(r) for r in _aligned(relations)],
                      "outside": [k for k, p in zip(ks, positions, strict=True) if p is None],
                      "member_positions": positions}
            polynomial = fit_relations(ks, relations)
            if polynomial is not None:
                family.update(kind="polynomial", relation_polynomials=polynomial[0],
                              recurrence=None, fitted_on=ks[:polynomial[1]],
                              checked_on=ks[polynomial[1]:])
            else:
                recurrence = fit_mobius_recurrence(ks, relations)
                if recurrence is None:
                    continue
                family.update(kind="mobius recurrence", relation_polynomials=None,
                              recurrence=recurrence[0], fitted_on=ks[:recurrence[1]],
                              checked_on=ks[recurrence[1]:])
            found.append(family)
        found.sort(key=lambda f: (-len(f["points"]), f["kind"], f["base"], f["direction"]))
        families += found[:MAX_PER_CONSTANT]
    return families
