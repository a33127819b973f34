"""Sparse linear steps over a feature library, directly and through the inverse of ``exp``/``log``.

The tree search is good at finding the *pieces* of an expression and poor at
assembling many of them (every extra summand costs tokens and a lucky
rollout); a linear model over the pieces assembles them in one solve.  This
module is that step, after two published ideas:

* FFX (McConaghy, "FFX: Fast, Scalable, Deterministic Symbolic Regression
  Technology", GPTP 2011): a fixed basis of univariate functions (here: the
  library's unary operators applied to each monomial of degree <= 2) and
  their pairwise products, plus monomials, combined by sparse linear
  regression;
* MRGP (Arnaldo, Krawiec, O'Reilly, "Multiple Regression Genetic
  Programming", GECCO 2014): every sub-tree of the population's expressions is
  a feature of a linear model -- here the sub-trees of the best candidates of
  RSRM's MCTS and GP (Xu, Liu, Sun, ICLR 2024), which plays the role of the
  modulated sub-tree ``A + f`` search with ``f`` solved instead of searched.

The sparse model is found by a beam search over forward selection
(orthogonalised columns; a step's gain is the exact drop of the squared
residual) and accepted only when the residual vanishes, so the step either
reproduces the data exactly with a few features or reports nothing.  The same
search runs on ``exp(y)`` (a target ``log(P)``) and ``log|y|`` (``exp(P)``)
when the library has ``log`` / ``exp``.  A direct model is fitted through
:meth:`Evaluator.fit` (which holds several summands' coefficients to simple
rationals and refuses cancelling summands) and, when that loses the exact
fit (coefficients such as ``1/5`` or ``3.39``), as the single tree
``sum c_i f_i`` with a ``C`` token for every coefficient ratio other than 1;
an inverse one is the single tree ``log(sum c_i f_i + c_0)`` or
``exp(sum c_i f_i)`` built the same way.  Constants start from the solved
values and are snapped afterwards like any other.

Examples
--------
>>> import numpy as np
>>> from engines.sr.grammar import Library
>>> from engines.sr.evaluate import Evaluator
>>> lib = Library(["x"], ["add", "sub", "mul", "div", "sin", "cos", "exp", "log"])
>>> X = np.random.default_rng(0).uniform(0, 2, (1, 20))
>>> ev = Evaluator(lib, X, np.log(X[0] + 1) + np.log(X[0] ** 2 + 1))
>>> fit = linear_step(lib, ev, base_features(lib, ev))
>>> fit.nrmse < 1e-12, str(lib.to_sympy(fit.terms[0], [1.0]))
(True, 'log(x**3 + x**2 + x + 1.0)')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from engines.sr import kernels
from engines.sr.basis import monomial_prefix, monomials
from engines.sr.evaluate import Evaluator, Fit, snap_decimal, snap_value
from engines.sr.grammar import Library

Expr = tuple[int, ...]


def _values(lib: Library, evaluator: Evaluator, expression: Expr) -> np.ndarray | None:
    """The feature's values, or None when not finite, constant, or holding a ``C``."""
    if lib.count_constants(expression):
        return None
    code, arg = lib.lower(expression)
    with np.errstate(all="ignore"):
        values = kernels.evaluate_program(code, arg, np.zeros(0), evaluator.X)
    if not np.isfinite(values).all() or np.abs(values).max() > 1e8:
        return None
    if np.ptp(values) <= 1e-9 * max(1.0, float(np.abs(values).max())):
        return None
    return values


MAX_ROWS = 256
"""Rows the sparse search looks at (evenly spaced); a model it finds is refitted on all rows."""


class FeatureSet:
    """Distinct features (by their values on the data), shortest tree kept for each.

    A feature must be finite on every row; its values are kept on the
    screening rows only (:data:`MAX_ROWS`).
    """

    def __init__(self, lib: Library, evaluator: Evaluator, limit: int = 300) -> None:
        self.lib, self.evaluator, self.limit = lib, evaluator, limit
        n = len(evaluator.y)
        self.rows = np.unique(np.linspace(0, n - 1, min(n, MAX_ROWS)).round().astype(np.int64))
        self.exprs: list[Expr] = []
        self.columns: list[np.ndarray] = []
        self._seen: dict[bytes, int] = {}

    def add(self, expression: Expr) -> bool:
        if len(self.exprs) >= self.limit:
            return False
        values = self._values(expression)
        if values is None:
            return False
        values = values[self.rows]
        key = np.round(values / max(1e-300, float(np.abs(values).max())), 9).tobytes()
        index = self._seen.get(key)
        if index is not None:
            if len(expression) < len(self.exprs[index]):
                self.exprs[index] = expression
            return False
        self._seen[key] = len(self.exprs)
        self.exprs.append(expression)
        self.columns.append(values)
        return True

    def _values(self, expression: Expr) -> np.ndarray | None:
        return _values(self.lib, self.evaluator, expression)

    def extend(self, expressions: Iterable[Expr]) -> None:
        for e in expressions:
            self.add(e)

    def copy(self) -> FeatureSet:
        other = FeatureSet(self.lib, self.evaluator, self.limit)
        other.rows = self.rows
        other.exprs, other.columns = list(self.exprs), list(self.columns)
        other._seen = dict(self._seen)
        return other


def base_features(lib: Library, evaluator: Evaluator, max_degree: int = 3,
                  inner_degree: int = 2) -> FeatureSet:
    """FFX's basis: monomials, unary operators of low-degree monomials, and pairwise products.

    Univariate bases are the library's unary operators applied to every
    monomial of degree ``<= inner_degree`` (``sin x``, ``cos x**2``,
    ``log(x*y)`` ...); the bivariate ones are products of two of them or of one
    with a variable.  Shorter products come first.
    """
    features = FeatureSet(lib, evaluator, limit=600)
    mul = lib.token_of.get("mul")
    degree = max_degree if mul is not None else 1
    inner = [monomial_prefix(lib, m) for m in monomials(lib.n_variables, min(degree, inner_degree))]
    features.extend(monomial_prefix(lib, m) for m in monomials(lib.n_variables, degree))
    unary = [t for t in lib.functions if lib.arity[t] == 1]
    univariate = [u for u in ((op,) + m for m in inner for op in unary) if features.add(u)]
    if mul is not None:
        singles = inner + univariate
        products = [(mul,) + a + b for i, a in enumerate(singles) for b in singles[i:]
                    if len(a) + len(b) > 2 and (a in univariate or b in univariate)]
        features.extend(sorted(products, key=len))
    return features


def subtrees(lib: Library, expression: Expr) -> list[Expr]:
    """Every sub-tree of a prefix expression, the whole first."""
    return [tuple(expression[i:lib.subtree_end(expression, i)]) for i in range(len(expression))]


def mined_features(lib: Library, evaluator: Evaluator, expressions: Sequence[Expr],
                   base: FeatureSet, max_mined: int = 60, products: int = 8) -> FeatureSet:
    """``base`` plus the sub-trees of ``expressions`` (best first) and products of the first mined ones."""
    features = base.copy()
    features.limit = len(base.exprs) + max_mined + products * (lib.n_variables + products)
    mined: list[Expr] = []
    for e in expressions:
        for s in subtrees(lib, e):
            if len(mined) >= max_mined:
                break
            if len(s) > 1 and features.add(s):
                mined.append(s)
    mul = lib.token_of.get("mul")
    if mul is not None:
        partners = [(v,) for v in range(lib.n_variables)] + mined[:products]
        for i, a in enumerate(mined[:products]):
            for b in partners[:lib.n_variables] + mined[i:products]:
                features.add((mul,) + a + b)
    return features


def sparse_exact(A: np.ndarray, z: np.ndarray, max_terms: int = 5, beam: int = 30,
                 tolerance: float = 1e-9, exhaustive: int = 120) -> list[tuple[int, ...]]:
    """Column subsets (at most ``max_terms``, plus an intercept) that reproduce ``z`` exactly.

    Subsets of one to three of the first ``exhaustive`` columns are all
    tried; larger ones come from a beam search over forward selection: each state holds an orthonormal
    basis of its centred columns and its residual; adding column ``j`` lowers
    the squared residual by ``(p_j . r)^2 / |p_j|^2`` with ``p_j`` the part of
    the column orthogonal to the basis.  Returns the exact subsets of the
    smallest size that has any (best first), or ``[]``.

    >>> import numpy as np
    >>> t = np.linspace(-1, 1, 20)
    >>> A = np.column_stack([t, t**2, np.sin(t), np.cos(t), np.exp(t)])
    >>> sparse_exact(A, 2 * np.sin(t) - np.exp(t) + 3)
    [(2, 4)]
    """
    zc = z - z.mean()
    target = float(np.linalg.norm(zc))
    if target == 0.0:
        return []
    Ac = A - A.mean(axis=0)
    norms = np.linalg.norm(Ac, axis=0)
    usable = norms > 1e-12 * max(1.0, float(norms.max(initial=0.0)))
    An = np.where(usable, Ac / np.where(usable, norms, 1.0), 0.0)

    def confirmed(key: tuple[int, ...]) -> bool:
        M = np.column_stack([Ac[:, list(key)], np.ones(len(z))])
        coef = np.linalg.lstsq(M, zc, rcond=None)[0]
        return float(np.linalg.norm(M @ coef - zc)) <= tolerance * target

    # every subset of one to three of the first ``exhaustive`` columns, screened in numba
    m = min(exhaustive, A.shape[1])
    G = An[:, :m].T @ An[:, :m]
    b = An[:, :m].T @ zc
    for size in range(1, min(3, max_terms) + 1):
        hits = kernels.screen_subsets(G, b, target**2, m, size, 1e-8 * target**2, 64)
        exact = [key for key in (tuple(int(v) for v in row if v >= 0) for row in hits)
                 if confirmed(key)]
        if exact:
            return exact
    states: list[tuple[tuple[int, ...], np.ndarray, np.ndarray]] = [((), np.zeros((len(z), 0)), zc)]
    for _ in range(min(max_terms, len(z) - 2)):
        # rank every (state, column) child by its residual, then build only the kept ones
        children: dict[tuple[int, ...], tuple[float, int, int]] = {}
        projected = []
        for s, (chosen, Q, r) in enumerate(states):
            P = An - Q @ (Q.T @ An)
            pn = np.linalg.norm(P, axis=0)
            ok = usable & (pn > 1e-6)
            gain = np.where(ok, (P.T @ r) ** 2 / np.where(ok, pn, 1.0) ** 2, -1.0)
            gain[list(chosen)] = -1.0
            rest = float(r @ r)
            projected.append((P, pn))
            for j in np.argsort(-gain, kind="stable")[:beam]:
                if gain[j] < 0:
                    break
                key = tuple(sorted(chosen + (int(j),)))
                residual = max(rest - float(gain[j]), 0.0)
                if key not in children or residual < children[key][0]:
                    children[key] = (residual, s, int(j))
        if not children:
            break
        ranked = sorted(children.items(), key=lambda kv: (kv[1][0], kv[0]))[:beam]
        new_states = []
        exact = []
        for key, (_, s, j) in ranked:
            P, pn = projected[s]
            chosen, Q, r = states[s]
            q = P[:, j] / pn[j]
            q = q - Q @ (Q.T @ q)  # a second Gram-Schmidt pass keeps the basis orthonormal
            q /= np.linalg.norm(q)
            r2 = r - q * float(q @ r)
            if float(np.linalg.norm(r2)) <= 1e-6 * target and confirmed(key):
                exact.append(key)
            new_states.append((key, np.column_stack([Q, q]), r2))
        if exact:
            return exact
        states = new_states
    return []


def _solve(columns: list[np.ndarray], z: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coefficients (intercept last) and the relative residual."""
    A = np.column_stack(columns + [np.ones_like(z)])
    coef, *_ = np.linalg.lstsq(A, z, rcond=None)
    spread = float(np.linalg.norm(z - z.mean())) or 1.0
    return coef, float(np.linalg.norm(A @ coef - z)) / spread


def _tree(lib: Library, kind: str, parts: list[Expr], coef: np.ndarray,
          with_intercept: bool) -> tuple[Expr, list[float]] | None:
    """``log(sum c_i f_i + c_0)``, ``exp(sum c_i f_i)`` or (kind "direct") ``sum c_i f_i``.

    A prefix tree with a ``C`` token for every coefficient other than 1, and
    the values of those constants.
    """
    add, mul, C = lib.token_of.get("add"), lib.token_of.get("mul"), lib.const_token
    pieces: list[Expr] = []
    constants: list[float] = []
    for f, c in zip(parts, coef[:-1], strict=True):
        if abs(c - 1.0) <= 1e-9:
            pieces.append(f)
        elif C >= 0 and mul is not None:
            pieces.append((mul, C) + f)
            constants.append(float(c))
        else:
            return None
    if with_intercept and abs(coef[-1]) > 1e-9:
        if C < 0:
            return None
        pieces.append((C,))
        constants.append(float(coef[-1]))
    if len(pieces) > 1 and add is None:
        return None
    body: Expr = pieces[-1]
    for piece in reversed(pieces[:-1]):
        body = (add,) + piece + body
    if kind == "direct":
        return body, constants
    return (lib.token_of[kind],) + body, constants


def exact_model(lib: Library, evaluator: Evaluator, kind: str, parts: list[Expr],
                columns: list[np.ndarray], z: np.ndarray) -> Fit | None:
    """The evaluator's fit of ``z ~ sum c_i parts_i + c_0`` read as ``kind``, or None if inexact.

    ``columns`` are the parts' values on the rows where ``z`` is given.  Idle
    columns are dropped first.  A direct model tries the evaluator's
    simple-rational summands, then one tree with ``C`` tokens (see the
    module docstring); ``log``/``exp`` models are always that tree.
    """
    coef, residual = _solve(columns, z)
    # a beam may reach an exact subset only through a superset: drop idle columns
    scale = float(np.linalg.norm(z - z.mean())) or 1.0
    keep = [i for i, c in enumerate(coef[:-1])
            if abs(c) * float(np.linalg.norm(columns[i])) > 1e-9 * scale]
    if not keep:
        return None
    parts, columns = [parts[i] for i in keep], [columns[i] for i in keep]
    coef, residual = _solve(columns, z)
    if not residual <= 1e-8:
        return None
    if kind == "direct":
        # summands with simple-rational coefficients (the evaluator's own model) ...
        fit = evaluator.fit(tuple(sorted(parts)))
        if fit.nrmse <= max(evaluator.target_nrmse, 1e-12) or len(parts) == 1:
            return fit
        # ... else one tree with fitted constants: exactness is already established
        if not all(_simple(c) for c in coef[:-1]):
            return None
        first = int(np.argmax(np.abs(coef[:-1])))
        order = [first] + [i for i in range(len(parts)) if i != first]
        coef = np.append(coef[order] / coef[first], 0.0)
        parts = [parts[i] for i in order]
    elif not all(_simple(c) for c in (coef if kind == "log" else coef[:-1])):
        return None
    built = _tree(lib, kind, parts, coef, with_intercept=kind == "log")
    if built is None:
        return None
    tree, start = built
    return evaluator.fit((tree,), start=start)


def _simple(value: float) -> bool:
    """A fraction with denominator <= 12 or a decimal with <= 3 places, to 1e-8.

    Free coefficients make a few smooth terms imitate anything on a narrow
    range (``x - x**3/6 + x**5/120`` for ``sin x`` on ``[0, 0.1]``, exact to
    1e-11): an exact fit is believed only with simple numbers.
    """
    return snap_value(value, rtol=1e-8) is not None or snap_decimal(value, rtol=1e-8) is not None


def linear_step(lib: Library, evaluator: Evaluator, features: FeatureSet, max_terms: int = 5,
                beam: int = 30) -> Fit | None:
    """The best exact sparse model of the data over ``features`` (direct or inverse), or None."""
    if not features.exprs:
        return None
    A = np.column_stack(features.columns)
    y = evaluator.y[features.rows]
    targets: list[tuple[str, np.ndarray]] = [("direct", y)]
    with np.errstate(all="ignore"):
        if "log" in lib.token_of and float(y.max()) < 30:
            targets.append(("log", np.exp(y)))
        if "exp" in lib.token_of and (np.all(y > 0) or np.all(y < 0)):
            targets.append(("exp", np.log(np.abs(y))))
    best: Fit | None = None
    for kind, z in targets:
        if not np.isfinite(z).all():
            continue
        for subset in sparse_exact(A, z, max_terms, beam)[:3]:
            fit = exact_model(lib, evaluator, kind, [features.exprs[j] for j in subset],
                              [features.columns[j] for j in subset], z)
            if fit is None:
                continue
            if fit.valid and (best is None or (fit.nrmse, fit.size) < (best.nrmse, best.size)):
                best = fit
            if best is not None and best.nrmse <= max(evaluator.target_nrmse, 1e-12):
                return best
    return best if best is not None and math.isfinite(best.nrmse) else None
