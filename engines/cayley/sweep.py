"""Diameter sweeps over n that extend themselves until a formula is supported.

A sweep computes the diameter of a family's graph for each n of its range
and fits an exact quasi-polynomial (:func:`fit_quasi_polynomial`; Chervov et
al., "CayleyPy Growth", arXiv:2509.19162, Section 3.1).  A fit is accepted
only when every residue class has ``min_checks`` points beyond those that
determine its polynomial, so a range can be too short for a true formula:
``stars`` on n = 4..10 has three odd n, one too few for the odd class of
floor(3(n - 1)/2).  An extending sweep (:func:`extend_points`) then goes on
with n + 1, n + 2, ... while no formula is supported, the next n fits the
memory budget, and its predicted time fits what is left of the time budget.

Examples
--------
>>> diameters = {3: 3, 4: 4, 5: 6, 6: 7, 7: 9, 8: 10, 9: 12, 10: 13}
>>> def point(n, progress):
...     return {"n": n, "diameter": diameters.get(n, 3 * (n - 1) // 2), "layer_sizes": [1],
...             "num_vertices": 1, "elapsed_s": 0.0}
>>> base = [point(n, None) for n in range(4, 11)]
>>> fit(base, max_period=4, max_degree=2, min_checks=2, max_leading_exceptions=2) is None
True
>>> points, why = extend_points(base, point, lambda n: None, family_hi=32, budget_s=60,
...                             fit_args=dict(max_period=4, max_degree=2, min_checks=2,
...                                           max_leading_exceptions=2))
>>> [p["n"] for p in points][-1], why
(11, 'a formula is supported')
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mathdisco.engines.cayley.quasipolynomial import fit_quasi_polynomial
from mathdisco.engines.cayley.results import Conjecture, DiameterFormula
from mathdisco.engines.contract import Progress
from mathdisco.engines.discoveries import Discovery, SequenceStatement, diameter_statement

__all__ = ["assemble", "ball", "diameter_discovery", "extend_points", "extend_spheres", "fit",
           "formula_status", "sequence_discovery"]

PointFn = Callable[[int, Progress], dict]


def fit(points: list[dict], **fit_args) -> dict | None:
    """The diameter formula supported by the points, or None."""
    points = sorted(points, key=lambda p: p["n"])
    return fit_quasi_polynomial([p["n"] for p in points], [p["diameter"] for p in points],
                                **fit_args)


def extend_points(points: list[dict], point: PointFn, check: Callable[[int], str | None], *,
                  family_hi: int, budget_s: float, fit_args: dict,
                  progress: Progress | None = None, started: float | None = None,
                  resolved: Callable[[list[dict]], bool] | None = None, step: int = 1
                  ) -> tuple[list[dict], str]:
    """Add n = last + 1, ... until a formula is supported or a limit is reached.

    ``check(n)`` returns why n cannot run (memory estimate, parameter range)
    or None; the next n's time is predicted from the last two (the ratio of
    their times, at least the last time) and must fit the time left.
    ``resolved(points)`` says when to stop (default: a diameter formula is
    supported); ``step`` is 2 for families defined for even n only.
    Returns the points and why the extension stopped.
    """
    started = time.perf_counter() if started is None else started
    points = sorted(points, key=lambda p: p["n"])
    if resolved is None:
        def resolved(points: list[dict]) -> bool:
            return fit(points, **fit_args) is not None
    while not resolved(points):
        n = points[-1]["n"] + step
        if n > family_hi:
            return points, f"the family's largest n ({family_hi}) was reached"
        problem = check(n)
        if problem:
            return points, f"n = {n} cannot run: {problem}"
        last = points[-1]["elapsed_s"]
        ratio = last / points[-2]["elapsed_s"] if len(points) > 1 and points[-2]["elapsed_s"] else 1
        predicted = last * max(1.0, ratio)
        left = budget_s - (time.perf_counter() - started)
        if predicted > left:
            return points, (f"the time budget: n = {n} would take about {predicted:.0f} s, "
                            f"{max(left, 0):.0f} s are left")

        def report(done: int, total: int, message: str = "", n: int = n) -> None:
            if progress is not None:
                progress(len(points), len(points) + 1, f"extending to n = {n}: {message}")

        points.append(point(n, report))
    return points, "a formula is supported"


def ball(point: dict, depth: int) -> int | None:
    """States within distance ``depth`` of the centre, when the point determines it."""
    sizes = point["layer_sizes"]
    if len(sizes) > depth or point.get("complete", True):
        return sum(sizes[:depth + 1])
    return None


def _predict_seconds(points: list[dict], n: int, depth: int) -> float:
    """Time of a depth-limited search at n: the ball's growth times the measured cost per state."""
    balls = sorted((p["n"], ball(p, depth)) for p in points if ball(p, depth) is not None)
    timed = [p for p in points if p.get("elapsed_s")]
    per_state = max((p["elapsed_s"] / max(sum(p["layer_sizes"]), 1) for p in timed[-3:]),
                    default=2e-6)
    if not balls:
        return float("inf")
    (n1, b1), ratio = balls[-1], 2.0
    if len(balls) > 1 and balls[-2][1]:
        ratio = max(1.0, b1 / balls[-2][1])
    predicted_ball = b1 * ratio ** max(1, n - n1)
    return 0.02 + predicted_ball * max(per_state, 2e-7)


def extend_spheres(points: list[dict], run_depth: Callable[[int, int, Progress], dict],
                   check: Callable[[int, int], str | None], undecided: Callable[[list[dict]],
                                                                              list[int]], *,
                   family_hi: int, budget_s: float, step: int = 1,
                   progress: Progress | None = None) -> tuple[list[dict], dict[int, str]]:
    """Depth-limited searches at n = last + 1, ... until every sphere radius is decided.

    ``undecided(points)`` lists the radii still without a verdict; each new
    n is searched to the largest of them.  A radius whose search at the next
    n would not fit the time left (predicted from the ball's growth and the
    measured cost per state) or the memory budget (``check(n, depth)``) is
    given up with that reason, and the next smaller one is tried.  Returns
    the points and why each given-up radius stopped.
    """
    started = time.perf_counter()
    stopped: dict[int, str] = {}
    n = max(p["n"] for p in points) + step
    while True:
        radii = [k for k in undecided(points) if k not in stopped]
        if not radii:
            return points, stopped
        depth = max(radii)
        if n > family_hi:
            return points, {**stopped, **{k: f"the family's largest n ({family_hi}) was reached"
                                          for k in radii}}
        left = budget_s - (time.perf_counter() - started)
        predicted = _predict_seconds(points, n, depth)
        problem = check(n, depth)
        if problem or predicted > left:
            stopped[depth] = (f"n = {n} cannot run to radius {depth}: {problem}" if problem else
                              f"the time budget: n = {n} to radius {depth} would take about "
                              f"{predicted:.1f} s, {max(left, 0):.1f} s are left")
            continue

        def report(done: int, total: int, message: str = "", n: int = n) -> None:
            if progress is not None:
                progress(0, 1, f"spheres at n = {n}: {message}")

        points.append(run_depth(n, depth, report))
        n += step


def formula_status(formula: dict | None, ns: list[int], fit_args: dict) -> str:
    """Why the formula was accepted, or why none was."""
    if formula:
        return "accepted"
    return (f"no quasi-polynomial with period <= {fit_args['max_period']} and degree <= "
            f"{fit_args['max_degree']} is supported by {fit_args['min_checks']} extra check points "
            f"per residue class on n = {ns[0]}..{ns[-1]} with at most "
            f"{fit_args['max_leading_exceptions']} leading exceptions")


def assemble(points: list[dict], fit_args: dict) -> dict:
    """``diameters``, ``layer_sizes``, ``num_vertices`` by n, ``formula``, ``formula_status``."""
    points = sorted(points, key=lambda p: p["n"])
    ns = [p["n"] for p in points]
    formula = fit(points, **fit_args)
    return {
        "diameters": {str(p["n"]): p["diameter"] for p in points},
        "layer_sizes": {str(p["n"]): p["layer_sizes"] for p in points},
        "num_vertices": {str(p["n"]): p["num_vertices"] for p in points},
        "formula": formula,
        "formula_status": formula_status(formula, ns, fit_args),
    }


def diameter_discovery(label: str, formula: DiameterFormula, diameters: dict[str, int],
                       extra: dict | None = None) -> Discovery:
    """The conjecture "diam = formula for n >= valid_from" with the n it was fitted and checked on."""
    return Discovery(
        target=label,
        text=f"diam Cay({label}, n) = {formula.text} for n >= {formula.valid_from}",
        latex=formula.latex,
        statement=diameter_statement(label, formula.valid_from, formula.period,
                                     [p.coefficients for p in formula.polynomials]),
        evidence={"fitted_on": formula.fitted_on, "checked_on": formula.checked_on,
                  "diameters": diameters, "quasi_polynomial": formula.qp.model_dump(mode="json"),
                  **(extra or {})},
    )


def _quantity(entry: Conjecture) -> str:
    return f"sphere(k={entry.k})" if entry.quantity == "sphere" else entry.quantity


def sequence_discovery(label: str, entry: Conjecture, variable: str = "n") -> Discovery:
    """A sphere-size, antipode-count or diameter-in-p conjecture (an accepted ``entry`` of
    :func:`mathdisco.engines.cayley.conjectures.sequence_conjecture`, as validated) as a discovery."""
    formula, quantity = entry.formula, _quantity(entry)
    assert formula is not None, "only accepted conjectures are discoveries"
    symbol = {"antipodes": "#antipodes", "diameter": "diam"}.get(quantity, f"|S_{entry.k}|")
    return Discovery(
        target=label,
        text=(f"{symbol} Cay({label}, {variable}) = {formula.text} for {variable} >= "
              f"{formula.valid_from}" + (f" [{entry.theorem}]" if entry.theorem else " [open]")),
        latex=formula.latex,
        statement=SequenceStatement(
            family=label, quantity=quantity, variable=variable,
            valid_from=formula.valid_from, period=formula.period,
            polynomials=[[str(c) for c in p.coefficients] for p in formula.polynomials]),
        evidence={"fitted_on": formula.fitted_on, "checked_on": formula.checked_on,
                  "values": entry.values, "status": entry.status,
                  "theorem": entry.theorem, "quasi_polynomial": formula.qp.model_dump(mode="json")},
    )
