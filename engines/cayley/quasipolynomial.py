"""Exact rational quasi-polynomial fits of diameter sequences.

The conjecture step of Chervov et al., "CayleyPy Growth" (arXiv:2509.19162,
Section 3.1: diameters of many families of S_n are quasi-polynomials, one
quadratic or linear polynomial per residue class of n mod s).  A fit is
accepted only when, for every residue class, at least ``min_checks`` data
points beyond the d+1 needed to determine its polynomial agree exactly, and
when it holds on the whole swept range except at most
``max_leading_exceptions`` of the smallest n (and never on fewer n than it
leaves out).  These rules guard against spurious fits such as "pancake =
n + 2 for n >= 11" (four points support it, reference Section 3.1) or
"pancake = n + 1 for n >= 6" (true for n = 6..10, wrong at 11).

Examples
--------
>>> fit = fit_quasi_polynomial(list(range(2, 8)), [n * (n - 1) // 2 for n in range(2, 8)])
>>> fit["text"], fit["period"], fit["valid_from"]
('n*(n - 1)/2', 1, 2)
>>> fit_quasi_polynomial([2, 3, 4], [1, 3, 6]) is None
True
"""

from __future__ import annotations

from fractions import Fraction

import sympy

from mathdisco.engines.numerics.polynomials import evaluate, interpolate, trim

__all__ = ["fit_quasi_polynomial", "formula_value", "to_quasi_polynomial_json"]

N = sympy.Symbol("n", integer=True, positive=True)


def fit_quasi_polynomial(ns: list[int], values: list[int], *, max_period: int = 4,
                         max_degree: int = 2, min_checks: int = 2,
                         max_leading_exceptions: int = 2) -> dict | None:
    """The simplest quasi-polynomial that matches the data from some n on, or None.

    Parameters
    ----------
    ns, values : list of int
        The data, e.g. n and the diameter of the family's graph for S_n.
    max_period : int
        Largest period s tried (residue classes n mod s).
    max_degree : int
        Largest polynomial degree tried per class.
    min_checks : int
        Data points per class that must agree beyond the d+1 used to fit.
    max_leading_exceptions : int
        How many of the smallest n the formula may fail on (small cases are
        often special: LX fails at n = 4, LRX at n = 3).

    Returns
    -------
    dict or None
        ``period``, ``degree``, ``valid_from`` (first n covered),
        ``polynomials`` (per residue r = n mod period: exact coefficients as
        "p/q" strings, lowest degree first, in n), ``qp`` (the same formula
        in the one quasi-polynomial JSON convention of docs/design.md,
        :func:`to_quasi_polynomial_json`), ``text``, ``latex``,
        ``fitted_on`` / ``checked_on`` (the n used to determine / to check
        each class).  Candidates are ordered by earliest ``valid_from``, then
        fewest parameters (period * (degree + 1)), period, degree.
    """
    data = sorted(zip(ns, values, strict=True))
    if len({n for n, _ in data}) != len(data):
        raise ValueError("each n may appear only once")
    candidates = []
    for period in range(1, max_period + 1):
        for degree in range(0, max_degree + 1):
            for start in range(len(data)):
                window = data[start:]
                covered, excluded = len(window), start
                if covered < excluded or excluded > max_leading_exceptions:
                    break
                fit = _fit_window(window, period, degree, min_checks)
                if fit is not None:
                    candidates.append((window[0][0], period * (degree + 1), period, degree, fit))
                    break
    if not candidates:
        return None
    valid_from, _, period, degree, (polynomials, fitted, checked) = min(
        candidates, key=lambda c: c[:4])
    return _describe(period, degree, valid_from, polynomials, fitted, checked)


def _fit_window(window, period, degree, min_checks):
    polynomials: dict[int, list[Fraction]] = {}
    fitted: list[int] = []
    checked: list[int] = []
    residues = {n % period for n, _ in window}
    if len(residues) < period:
        return None
    for residue in sorted(residues):
        points = [(n, v) for n, v in window if n % period == residue]
        if len(points) < degree + 1 + min_checks:
            return None
        coefficients = interpolate([n for n, _ in points[:degree + 1]],
                                   [v for _, v in points[:degree + 1]])
        if any(evaluate(coefficients, n) != v for n, v in points[degree + 1:]):
            return None
        polynomials[residue] = trim(coefficients)
        fitted += [n for n, _ in points[:degree + 1]]
        checked += [n for n, _ in points[degree + 1:]]
    return polynomials, sorted(fitted), sorted(checked)


def _expression(coefficients: list[Fraction]) -> sympy.Expr:
    return sympy.factor(sum(sympy.Rational(c.numerator, c.denominator) * N ** i
                            for i, c in enumerate(coefficients)))


def _describe(period, degree, valid_from, polynomials, fitted, checked) -> dict:
    expressions = {r: _expression(c) for r, c in polynomials.items()}
    if len(set(expressions.values())) == 1:
        # all classes agree: it is a polynomial after all (period stays as fitted)
        only = next(iter(expressions.values()))
        text, latex = sympy.sstr(only), sympy.latex(only)
    else:
        text = "; ".join(f"n ≡ {r} (mod {period}): {sympy.sstr(e)}"
                         for r, e in sorted(expressions.items()))
        latex = r"\begin{cases} " + r" \\ ".join(
            f"{sympy.latex(e)} & n \\equiv {r} \\pmod{{{period}}}"
            for r, e in sorted(expressions.items())) + r" \end{cases}"
    return {
        "period": period,
        "qp": to_quasi_polynomial_json(period, valid_from, polynomials),
        "degree": max(len(c) - 1 for c in polynomials.values()),
        "valid_from": valid_from,
        "polynomials": [{"residue": r, "coefficients": [str(c) for c in polynomials[r]],
                         "expression": sympy.sstr(expressions[r]),
                         "srepr": sympy.srepr(expressions[r])}
                        for r in sorted(polynomials)],
        "text": text,
        "latex": latex,
        "fitted_on": fitted,
        "checked_on": checked,
        "fit_degree": degree,
    }


def _json_rational(c: Fraction) -> int | str:
    return int(c) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def to_quasi_polynomial_json(period: int, valid_from: int,
                             polynomials: dict[int, list[Fraction]]) -> dict:
    """The fit as QP JSON (docs/design.md, "Quasi-polynomial JSON").

    ``offset = valid_from``, no initial terms; for ``n >= offset``,
    ``j = (n - offset) mod period``, ``m = (n - offset) div period`` and the
    ``j``-th list holds the coefficients in ``m`` (the residue polynomial in n
    with ``n = offset + j + period * m`` substituted, exactly).

    >>> to_quasi_polynomial_json(2, 3, {0: [Fraction(-2), Fraction(3, 2)], 1: [Fraction(-3, 2),
    ...                          Fraction(3, 2)]})
    {'initial': [], 'period': 2, 'polynomials': [[3, 3], [4, 3]], 'offset': 3}
    """
    lists = []
    for j in range(period):
        n0 = valid_from + j
        coefficients = polynomials[n0 % period]
        degree = len(coefficients) - 1
        ms = list(range(degree + 1))
        values = [evaluate(coefficients, n0 + period * m) for m in ms]
        lists.append([_json_rational(c) for c in trim(interpolate(ms, values))])
    return {"initial": [], "period": period, "polynomials": lists, "offset": valid_from}


def formula_value(formula: dict, n: int) -> Fraction:
    """The fitted formula (a result of :func:`fit_quasi_polynomial`) at n >= valid_from.

    >>> fit = fit_quasi_polynomial(list(range(2, 8)), [n * (n - 1) // 2 for n in range(2, 8)])
    >>> formula_value(fit, 30)
    Fraction(435, 1)
    """
    if n < formula["valid_from"]:
        raise ValueError(f"the formula holds from n = {formula['valid_from']}")
    poly = next(p for p in formula["polynomials"] if p["residue"] == n % formula["period"])
    return evaluate([Fraction(c) for c in poly["coefficients"]], n)
