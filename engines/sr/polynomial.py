"""Sparse polynomial and "form + polynomial" steps of the pipeline.

Many targets are polynomials in the inputs (Nguyen-1..4 and 12, Keijzer-12,
...), or a polynomial plus a sub-expression the tree search already found.
An expression tree needs many tokens for ``x**6 + x**5 + ... + x``, so the
MCTS/GP rarely builds them whole; a linear least-squares fit over a monomial
basis finds them in one step.  This is RSRM's modulated sub-tree idea
(Xu, Liu, Sun, ICLR 2024, section 3.5: search ``A + f`` with ``A`` mined from
the best candidates) with ``f`` restricted to a sparse polynomial, solved
directly instead of searched:

1. fit ``y ~ b + sum_m a_m m(x) [+ sum_k c_k A_k(x)]`` over all monomials
   ``m`` of total degree ``<= d`` (``d = 1, 2, ...`` while the basis stays well
   below the number of samples) and the summands ``A_k`` of a candidate;
2. when the residual is (numerically) zero, keep the terms whose coefficient
   is not, and refit those through :meth:`Evaluator.fit` -- the engine's own
   model fit, which holds several summands' coefficients to simple
   rationals, so a polynomial is accepted only when it is exact with simple
   coefficients; coefficients beyond ``p/q, q <= 4`` (``x**3/5``, ``3.39``)
   go into one tree with fitted constants
   (:func:`mathdisco.engines.sr.linear.exact_model`), still only when simple.

Every model found this way is an ordinary :class:`~mathdisco.engines.sr.evaluate.Fit`
of prefix trees (a monomial is a chain of ``mul``), so it joins the Pareto
front and the snapping like any other candidate.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> lib = Library(["x", "y"], ["add", "sub", "mul", "div"], constants=False)
>>> X = np.random.default_rng(0).uniform(0, 1, (2, 20))
>>> ev = Evaluator(lib, X, X[0] ** 4 - X[0] ** 3 + X[1] ** 2 / 2 - X[1])
>>> fit = sparse_polynomial(lib, ev)
>>> fit.nrmse < 1e-12, sorted(str(lib.to_sympy(t)) for t in fit.terms)
(True, ['x**3', 'x**4', 'y', 'y**2'])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mathdisco.engines.sr.basis import monomial_prefix, monomial_values, monomials
from mathdisco.engines.sr.evaluate import Evaluator, Fit
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.linear import exact_model
from mathdisco.engines.sr.sparse import sparse_fit

__all__ = ["sparse_polynomial"]

Expr = tuple[int, ...]


def sparse_polynomial(lib: Library, evaluator: Evaluator, extra: Sequence[Expr] = (),
                      max_degree: int = 10, max_basis: int = 40, tolerance: float = 1e-7,
                      noisy: bool = False, max_terms: int = 6) -> Fit | None:
    """The sparse fit of monomials (plus the summands ``extra``), or None.

    Returns the evaluator's fit of the kept terms when the full basis fits the
    data to ``tolerance`` (NRMSE) at some degree; the caller reads its error.
    ``extra`` summands with constants or non-finite values are left out.
    When no degree fits exactly, a subset search over a wider basis
    (:func:`_wide_basis`, up to 300 columns) looks for an exact subset of at
    most ``max_terms`` monomials; with ``noisy`` the best subset of every size
    is fitted as well, for the final selection to judge (the fit of least
    quick length is returned then).
    """
    if "mul" not in lib.token_of and max_degree > 1:
        max_degree = 1
    X, y = evaluator.X, evaluator.y
    n = len(y)
    kept_extra, columns_extra = [], []
    for e in dict.fromkeys(extra):
        column = _extra_values(lib, evaluator, e)
        if column is not None:
            kept_extra.append(e)
            columns_extra.append(column)
    extra = kept_extra
    scale = evaluator.scale
    best: Fit | None = None
    previous = -1
    for degree in range(1, max_degree + 1):
        basis = monomials(lib.n_variables, degree)
        size = len(basis) + len(extra) + 1
        if size > min(max_basis, n - 3) or len(basis) == previous:
            break
        previous = len(basis)
        A = np.column_stack([monomial_values(X, m) for m in basis] + columns_extra + [np.ones(n)])
        with np.errstate(all="ignore"):
            if not np.isfinite(A).all():
                break
            coef, *_ = np.linalg.lstsq(A, y, rcond=None)
            residual = A @ coef - y
        every = [monomial_prefix(lib, m) for m in basis] + list(extra)
        nrmse = math.sqrt(float(residual @ residual) / n) / scale
        if not nrmse <= tolerance:
            continue
        magnitude = np.abs(coef[:-1]) * np.abs(A[:, :-1]).max(axis=0)
        keep = magnitude > 1e-6 * scale
        terms = [e for e, k in zip(every, keep, strict=True) if k]
        if not terms:
            return None
        fit = evaluator.fit(tuple(sorted(set(terms))))
        if fit.nrmse > max(evaluator.target_nrmse, 1e-12):
            # coefficients beyond p/q, q <= 4 (x**3/5): one tree with fitted constants
            kept = [i for i, k in enumerate(keep) if k]
            other = exact_model(lib, evaluator, "direct", [every[i] for i in kept],
                                [A[:, i] for i in kept], y)
            if other is not None and other.nrmse < fit.nrmse:
                fit = other
        if best is None or fit.nrmse < best.nrmse:
            best = fit
        if fit.nrmse <= max(evaluator.target_nrmse, 1e-12):
            return fit
    wide = _wide_basis(lib, X, n, extra, columns_extra, max_degree)
    if wide is not None:
        found = _best_subsets(lib, evaluator, *wide, max_terms, noisy)
        if found is not None and (best is None or found.nrmse < best.nrmse or noisy):
            return found
    return best


def _wide_basis(lib: Library, X: np.ndarray, n: int, extra: list[Expr], columns_extra: list,
                max_degree: int, limit: int = 300) -> tuple[list[Expr], np.ndarray] | None:
    """Monomials up to the largest degree with at most ``min(limit, n/2)`` columns, plus ``extra``.

    Too wide for a dense fit (``x**2 y**3 + x**3 z**2``: degree 5 in four
    variables is 125 columns), but a subset search needs no dense fit.
    """
    degree, count = 0, 0
    while degree < max_degree:
        more = len(monomials(lib.n_variables, degree + 1))
        if more + len(extra) > min(limit, n / 2) or more == count:
            break
        degree, count = degree + 1, more
    if degree == 0:
        return None
    basis = monomials(lib.n_variables, degree)
    with np.errstate(all="ignore"):
        A = np.column_stack([monomial_values(X, m) for m in basis] + columns_extra)
    if not np.isfinite(A).all():
        return None
    return [monomial_prefix(lib, m) for m in basis] + list(extra), A


def _best_subsets(lib: Library, evaluator: Evaluator, every: list[Expr], A: np.ndarray,
                  max_terms: int, noisy: bool) -> Fit | None:
    """Exact subsets of the columns ``A``, else (``noisy``) the best subset of each size, fitted.

    Returns an exact fit, or the fit of least quick length.
    """
    search = sparse_fit(A, evaluator.y, max_terms)
    fits = []
    for subset in search.exact[:3]:
        fit = exact_model(lib, evaluator, "direct", [every[j] for j in subset],
                          [A[:, j] for j in subset], evaluator.y)
        if fit is not None and fit.valid:
            fits.append(fit)
    if fits:
        return min(fits, key=lambda f: f.nrmse)
    if not noisy:
        return None
    for subset, _ in search.best:
        fit = exact_model(lib, evaluator, "direct", [every[j] for j in subset],
                          [A[:, j] for j in subset], evaluator.y, exact=False)
        if fit is not None and fit.valid:
            fits.append(fit)
    if not fits:
        return None
    return min(fits, key=evaluator.length) if evaluator.length is not None else min(fits, key=lambda f: f.nrmse)


def _extra_values(lib: Library, evaluator: Evaluator, expression: Expr) -> np.ndarray | None:
    """Values of a constant-free, non-monomial summand, or None (constants, monomial, not finite)."""
    from mathdisco.engines.sr import kernels

    if lib.count_constants(expression):
        return None
    mul = lib.token_of.get("mul", -2)
    if all(t < lib.n_variables or t == mul for t in expression):
        return None  # a monomial: already in the basis
    code, arg = lib.lower(expression)
    with np.errstate(all="ignore"):
        values = kernels.evaluate_program(code, arg, np.zeros(0), evaluator.X)
    if not np.isfinite(values).all() or np.ptp(values) <= 1e-12 * max(1.0, float(np.abs(values).max())):
        return None
    return values
