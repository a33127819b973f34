"""Conjectures from everything a sweep computes: spheres, antipodes, diameters, the bound.

Chervov et al., "CayleyPy Growth" (arXiv:2509.19162), state about 200
conjectures read off growth data: for fixed radius k the sphere size
|S_k(n)| is, for many families, a polynomial (or quasi-polynomial) in n; the
number of farthest elements follows residue patterns; the diameter is a
quasi-polynomial; and every undirected Cayley graph of S_n has diameter at
most n^2/2 + 4n (their Section on the refined Babai-type bound).  This
module turns a sweep's points into those statements with the one fitting
rule of :func:`mathdisco.engines.cayley.quasipolynomial.fit_quasi_polynomial`: fitted
on the fewest leading points of each residue class, accepted only when at
least ``min_checks`` further points of every class agree.  Each accepted
formula is compared with the known theorems of :mod:`mathdisco.engines.cayley.known`
and marked ``known`` (naming the theorem) or ``open``; an unaccepted one is
``insufficient data`` (more n could still decide it) or ``no formula`` (the
data would have sufficed for every allowed period and degree).

A point is ``{"n", "layer_sizes", "complete"}``: a complete BFS gives every
sphere (zero beyond the diameter), the diameter and the antipodes; a
depth-limited BFS gives the spheres up to its depth only.

Examples
--------
>>> points = [{"n": n, "layer_sizes": [1, n - 1, (n - 1) * (n - 2)], "complete": False}
...           for n in range(3, 9)]
>>> entry = sequence_conjecture("pancake", "sphere", 2, points, FitArgs(max_degree=2))
>>> entry["status"], entry["formula"]["text"], entry["theorem"][:22]
('known', '(n - 2)*(n - 1)', '|S_2| = (n - 1)(n - 2)')
>>> bound_check([{"n": 5, "diameter": 10, "applies": True}])["violations"]
[]
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from mathdisco.engines.cayley.known import known_theorem
from mathdisco.engines.cayley.quasipolynomial import fit_quasi_polynomial, formula_value

__all__ = ["BOUND_TEXT", "FitArgs", "bound_check", "generator_degree", "sequence_conjecture",
           "series", "sphere_degree"]

BOUND_TEXT = "n^2/2 + 4n"


@dataclass(frozen=True)
class FitArgs:
    """The fitting rule's knobs (see :func:`fit_quasi_polynomial`)."""

    max_period: int = 4
    max_degree: int = 2
    min_checks: int = 2
    max_leading_exceptions: int = 2

    def points_needed(self) -> int:
        """How many n decide the question for every allowed period and degree."""
        return (self.max_period * (self.max_degree + 1 + self.min_checks)
                + self.max_leading_exceptions)


def series(points: list[dict], quantity: str, k: int | None = None) -> tuple[list[int], list[int]]:
    """(ns, values) of one quantity over the points that determine it.

    ``quantity`` is "sphere" (radius ``k``), "diameter" or "antipodes" (the
    size of the last sphere); the last two need complete searches.
    """
    ns, values = [], []
    for p in sorted(points, key=lambda p: p["n"]):
        sizes = p["layer_sizes"]
        if quantity == "sphere":
            if k < len(sizes):
                value = sizes[k]
            elif p["complete"]:
                value = 0
            else:
                continue
        elif not p["complete"]:
            continue
        else:
            value = len(sizes) - 1 if quantity == "diameter" else sizes[-1]
        ns.append(p["n"])
        values.append(int(value))
    return ns, values


def generator_degree(counts: dict[int, int]) -> int:
    """The growth degree d of the number of generators, |S(n)| ~ n^d, from counts at two n.

    >>> generator_degree({10: 45, 20: 190}), generator_degree({10: 3, 20: 3})
    (2, 0)
    """
    (n1, c1), (n2, c2) = sorted(counts.items())[0], sorted(counts.items())[-1]
    if n1 == n2 or c1 == c2:
        return 0
    return max(0, round(math.log(c2 / c1) / math.log(n2 / n1)))


def sphere_degree(k: int, gdeg: int, cap: int = 12) -> int:
    """The largest degree tried for |S_k(n)|: at most |S(n)|^k grows like n^(gdeg k)."""
    return max(1, min(cap, gdeg * k))


def _status(formula: dict | None, ns: list[int], fit: FitArgs, stopped: str | None) -> str:
    if formula is not None:
        return "accepted"
    if len(ns) >= fit.points_needed():
        return "no formula"
    return "insufficient data"


def _detail(status: str, ns: list[int], fit: FitArgs, stopped: str | None) -> str:
    span = f"n = {ns[0]}..{ns[-1]} ({len(ns)} values)" if ns else "no values"
    if status == "no formula":
        return (f"no quasi-polynomial of period <= {fit.max_period} and degree <= "
                f"{fit.max_degree} holds with {fit.min_checks} check points per class on {span}")
    return (f"{span}: a period-{fit.max_period} degree-{fit.max_degree} fit needs up to "
            f"{fit.points_needed()}" + (f"; stopped: {stopped}" if stopped else ""))


def sequence_conjecture(family: str, quantity: str, k: int | None, points: list[dict],
                        fit: FitArgs, stopped: str | None = None) -> dict:
    """Fit one quantity of a family and judge it.

    Returns
    -------
    dict
        ``quantity``, ``k``, ``formula`` (the fit, or None), ``status``
        ("known", "open", "insufficient data", "no formula"), ``theorem``
        (the restated theorem's name, or None), ``detail`` (why, in words),
        ``values`` (the data, keyed by n as text) and ``fit`` (the rule used).
    """
    ns, values = series(points, quantity, k)
    formula = fit_quasi_polynomial(ns, values, **asdict(fit)) if ns else None
    if formula is not None and quantity == "sphere" and _is_zero(formula):
        # |S_k| = 0 on every n searched only says the diameter is below k there: no
        # statement about larger n (and, where the diameter stays below k, one implied by
        # the diameter's own conjecture)
        return {"quantity": quantity, "k": k, "formula": None, "status": "insufficient data",
                "theorem": None, "detail": (f"|S_{k}| = 0 on n = {ns[0]}..{ns[-1]}: the diameter "
                                            f"is below {k} there"),
                "values": {str(n): v for n, v in zip(ns, values, strict=True)},
                "fit": asdict(fit)}
    status = _status(formula, ns, fit, stopped)
    theorem = None
    if formula is not None:
        theorem = known_theorem(family, quantity, k, lambda n: formula_value(formula, n),
                                formula["valid_from"])
        status = "known" if theorem else "open"
        detail = (f"fitted on n = {', '.join(map(str, formula['fitted_on']))}; checked on "
                  f"n = {', '.join(map(str, formula['checked_on']))}")
    else:
        detail = _detail(status, ns, fit, stopped)
    return {"quantity": quantity, "k": k, "formula": formula, "status": status,
            "theorem": theorem, "detail": detail,
            "values": {str(n): v for n, v in zip(ns, values, strict=True)}, "fit": asdict(fit)}


def _is_zero(formula: dict) -> bool:
    return all(c == "0" for p in formula["polynomials"] for c in p["coefficients"])


def bound_check(rows: list[dict]) -> dict:
    """diam <= n^2/2 + 4n on every row that it applies to (undirected Cayley graphs of S_n).

    ``rows``: ``{"n", "diameter", "applies"}``.  Returns the rows checked,
    the largest diam / bound ratio and the violations (each would refute the
    paper's refined Babai-type conjecture).
    """
    rows = sorted(rows, key=lambda r: r["n"])
    checked = [r for r in rows if r["applies"]]
    ratios = [r["diameter"] / (r["n"] ** 2 / 2 + 4 * r["n"]) for r in checked]
    return {"bound": BOUND_TEXT, "checked_n": [r["n"] for r in checked],
            "not_applicable_n": [r["n"] for r in rows if not r["applies"]],
            "max_ratio": round(max(ratios), 4) if ratios else None,
            "violations": [r["n"] for r in checked if r["diameter"] > r["n"] ** 2 / 2 + 4 * r["n"]]}
