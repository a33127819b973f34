"""A rational-function step: ``y = P(x) / Q(x)`` with sparse polynomials ``P`` and ``Q``.

Multiplying out, ``y Q(x) - P(x) = 0`` is *linear* in the coefficients of both
polynomials (the linearisation of rational least squares; Levi, "Complex-curve
fitting", IRE Trans. Automatic Control 4 (1959)).  One coefficient of ``Q`` is
fixed to 1 -- the term ``q_0`` it belongs to, the *pivot*, is tried in turn:
the constant, then each variable -- and the rest is a sparse regression of
``y q_0(x)`` on the columns ``p_i(x)`` (monomials of degree <= 2) and
``-y q_j(x)`` (monomials of degree <= 1)::

    (m1 r1 + m2 r2) / (m1 + m2):   y m1 = m1 r1 + m2 r2 - m2 y   (pivot m1, three columns)

The subset search is :func:`mathdisco.engines.sr.sparse.sparse_fit` (exact subsets; on
noisy data also the best of each size).  A subset becomes one tree
``(sum a_i p_i + a_0) / (q_u + sum b_j q_j + b_0)`` -- the largest
numerator and denominator coefficients are carried by the linear scale and
the unit term, the others by ``C`` tokens -- fitted by the evaluator (all of
its constants re-fitted by Levenberg-Marquardt on the original scale, where
the noise lives), so the model joins the Pareto front like any other.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> names = ["m1", "m2", "r1", "r2"]
>>> lib = Library(names, ["add", "sub", "mul", "div"], constants=True)
>>> X = np.random.default_rng(0).uniform(1, 5, (4, 200))
>>> ev = Evaluator(lib, X, (X[0] * X[2] + X[1] * X[3]) / (X[0] + X[1]))
>>> fit = rational_step(lib, ev)
>>> fit.nrmse < 1e-10
True
"""

from __future__ import annotations

import numpy as np

from mathdisco.engines.sr.basis import monomial_prefix, monomial_values, monomials
from mathdisco.engines.sr.evaluate import Evaluator, Fit
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.sparse import sparse_fit

__all__ = ["rational_step"]

Expr = tuple[int, ...]
MAX_ROWS = 160


def _sum_tree(lib: Library, parts: list[Expr], coefficients: list[float], unit: int,
              constant: float | None) -> tuple[Expr, list[float]]:
    """``parts[unit] + sum_{i != unit} C_i parts_i (+ C_0)``, with the C values (relative to the unit's)."""
    add, mul, C = lib.token_of["add"], lib.token_of["mul"], lib.const_token
    scale = coefficients[unit]
    pieces: list[Expr] = [parts[unit]]
    values: list[float] = []
    for i, (part, c) in enumerate(zip(parts, coefficients, strict=True)):
        if i != unit:
            pieces.append((mul, C) + part)
            values.append(c / scale)
    if constant is not None and abs(constant) > 1e-12 * abs(scale):
        pieces.append((C,))
        values.append(constant / scale)
    tree: Expr = pieces[-1]
    for piece in reversed(pieces[:-1]):
        tree = (add,) + piece + tree
    return tree, values


def _model(lib: Library, evaluator: Evaluator, numerator: list[tuple[Expr, float]],
           intercept: float, denominator: list[tuple[Expr, float]], constant: float) -> Fit | None:
    """The tree ``N / D`` of the solved coefficients, fitted by the evaluator."""
    if not denominator:
        return None
    d_parts = [e for e, _ in denominator]
    d_coef = [c for _, c in denominator]
    d_unit = int(np.argmax(np.abs(d_coef)))
    d_tree, d_values = _sum_tree(lib, d_parts, d_coef, d_unit, constant)
    if numerator:
        n_parts = [e for e, _ in numerator]
        n_coef = [c for _, c in numerator]
        n_unit = int(np.argmax(np.abs(n_coef)))
        n_tree, n_values = _sum_tree(lib, n_parts, n_coef, n_unit, intercept)
    else:  # a constant over Q: the linear scale is the numerator, written C/Q with C = 1
        n_tree, n_values = (lib.const_token,), [1.0]
    tree = (lib.token_of["div"],) + n_tree + d_tree
    return evaluator.fit((tree,), start=n_values + d_values)


def rational_step(lib: Library, evaluator: Evaluator, noisy: bool = False, max_terms: int = 5,
                  numerator_degree: int = 2) -> Fit | None:
    """The best rational model found (an exact one at once), or None; see the module docstring."""
    if lib.const_token < 0 or not all(op in lib.token_of for op in ("add", "mul", "div")):
        return None
    n = len(evaluator.y)
    rows = np.unique(np.linspace(0, n - 1, min(n, MAX_ROWS)).round().astype(np.int64))
    X, y = evaluator.X[:, rows], evaluator.y[rows]
    p_exps = monomials(lib.n_variables, numerator_degree)
    q_exps = monomials(lib.n_variables, 1)
    P = [monomial_values(X, e) for e in p_exps]
    Q = [monomial_values(X, e) for e in q_exps]
    p_trees = [monomial_prefix(lib, e) for e in p_exps]
    q_trees = [monomial_prefix(lib, e) for e in q_exps]
    best: Fit | None = None
    found: list[Fit] = []
    with np.errstate(all="ignore"):
        for pivot in [None] + list(range(len(q_exps))):
            others = [j for j in range(len(q_exps)) if j != pivot]
            z = y * (Q[pivot] if pivot is not None else 1.0)
            columns = P + [-y * Q[j] for j in others] + ([-y] if pivot is not None else [])
            A = np.column_stack(columns)
            if not (np.isfinite(A).all() and np.isfinite(z).all()):
                continue
            search = sparse_fit(A, z, max_terms)
            subsets = search.exact[:2] or ([s for s, _ in search.best] if noisy else [])
            for subset in subsets:
                fit = _from_subset(lib, evaluator, subset, A, z, p_trees, q_trees, pivot, others)
                if fit is None or not fit.valid:
                    continue
                if search.exact and (best is None or fit.nrmse < best.nrmse):
                    best = fit
                found.append(fit)
            if best is not None and best.nrmse <= max(evaluator.target_nrmse, 1e-12):
                return best
    if best is not None:
        return best
    if found and evaluator.length is not None:
        return min(found, key=evaluator.length)
    return None


def _from_subset(lib: Library, evaluator: Evaluator, subset: tuple[int, ...], A: np.ndarray,
                 z: np.ndarray, p_trees: list[Expr], q_trees: list[Expr], pivot: int | None,
                 others: list[int]) -> Fit | None:
    M = np.column_stack([A[:, list(subset)], np.ones(len(z))])
    coef, *_ = np.linalg.lstsq(M, z, rcond=None)
    n_p = len(p_trees)
    numerator, denominator = [], []
    constant = 0.0
    for j, c in zip(subset, coef[:-1], strict=True):
        if j < n_p:
            numerator.append((p_trees[j], float(c)))
        elif j - n_p < len(others):
            denominator.append((q_trees[others[j - n_p]], float(c)))
        else:
            constant = float(c)  # the column -y: the denominator's constant
    if pivot is None:
        constant = 1.0
    else:
        denominator.append((q_trees[pivot], 1.0))
    if not denominator:
        return None  # Q is a constant: a polynomial, the sparse polynomial step's business
    return _model(lib, evaluator, numerator, float(coef[-1]), denominator, constant)
