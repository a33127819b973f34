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

On data of one sign in every variable the basis also holds ratios of
variables (``1/x``, ``x/y``, ``x/y**2``, their squares) when the library
divides.  The sparse model is found by :mod:`mathdisco.engines.sr.sparse` (exhaustive
screening of small subsets, then a beam search over forward selection); on
exact data it is accepted only when the residual vanishes, so the step either
reproduces the data exactly with a few features or reports nothing; on noisy
data (``noisy=True``) the best subset of every size is fitted too and left to
the final selection, which judges every model by description length
(:mod:`mathdisco.engines.sr.selection`).  The same search runs on the targets of the
inverses the library has: ``exp(y)`` for ``log(P)``, ``log|y|`` for ``exp(P)``,
``y**2`` for ``sqrt(P)`` and ``1/y`` for ``1/P``, each weighted so that its
residual stands for the residual in ``y``.  A direct model is fitted through
:meth:`Evaluator.fit` (which holds several summands' coefficients to simple
rationals and refuses cancelling summands) and, when that loses the exact
fit (coefficients such as ``1/5`` or ``3.39``), as the single tree
``sum c_i f_i`` with a ``C`` token for every coefficient ratio other than 1;
an inverse one is the single tree ``log(sum c_i f_i + c_0)``,
``exp(sum c_i f_i)``, ``sqrt(sum c_i f_i + c_0)`` or ``C/(sum c_i f_i + c_0)``
built the same way.  Constants start from the solved
values and are snapped afterwards like any other.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
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

from mathdisco.engines.sr import kernels
from mathdisco.engines.sr.basis import monomial_prefix, monomials
from mathdisco.engines.sr.evaluate import Evaluator, Fit, is_law
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.numbers import is_simple
from mathdisco.engines.sr.sparse import sparse_fit

__all__ = ["FeatureSet", "base_features", "exact_model", "linear_step", "mined_features",
           "ratios", "subtrees", "targets"]

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


MAX_ROWS = 160
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
    ``log(x*y)`` ...) and ``exp(-v)`` of each variable (:func:`_decaying`); the bivariate ones are products of two of them or of one
    with a variable.  Shorter products come first.
    """
    features = FeatureSet(lib, evaluator, limit=600)
    mul = lib.token_of.get("mul")
    degree = max_degree if mul is not None else 1
    inner = [monomial_prefix(lib, m) for m in monomials(lib.n_variables, min(degree, inner_degree))]
    features.extend(monomial_prefix(lib, m) for m in monomials(lib.n_variables, degree))
    if np.all((evaluator.X > 0).all(axis=1) | (evaluator.X < 0).all(axis=1)):
        features.extend(ratios(lib))
    unary = [t for t in lib.functions if lib.arity[t] == 1]
    univariate = [u for u in ((op,) + m for m in inner for op in unary) if features.add(u)]
    # exp(-v) of each variable, not in the products: more would crowd the 600 features
    features.extend(_decaying(lib, [m for m in inner if len(m) == 1]))
    if mul is not None:
        singles = inner + univariate
        products = [(mul,) + a + b for i, a in enumerate(singles) for b in singles[i:]
                    if len(a) + len(b) > 2 and (a in univariate or b in univariate)]
        features.extend(sorted(products, key=len))
    return features


def _decaying(lib: Library, inner: list[Expr]) -> list[Expr]:
    """``exp(-m)`` for each inner monomial ``m``, written ``exp(m - (m + m))`` (no literal minus
    one in the grammar): with ``exp(m)`` it spans ``cosh``, ``sinh`` and Gaussians in the Koza set.

    >>> lib = Library(["x"], ["add", "sub", "mul", "exp"], constants=False)
    >>> [str(lib.to_sympy(t)) for t in _decaying(lib, [(0,)])]
    ['exp(-x)']
    """
    exp, sub, add = (lib.token_of.get(name) for name in ("exp", "sub", "add"))
    if exp is None or sub is None or add is None:
        return []
    return [(exp, sub) + m + (add,) + m + m for m in inner]


def ratios(lib: Library) -> list[Expr]:
    """``1/x``, ``1/x**2``, ``x/y``, ``x/y**2`` and ``(x/y)**2`` as constant-free trees (needs div, mul).

    ``1/x`` is written ``x/(x*x)``: the grammar has no literal one.

    >>> lib = Library(["x", "y"], ["mul", "div"], constants=False)
    >>> [str(lib.to_sympy(t)) for t in ratios(lib)][:4]
    ['1/x', 'x**(-2)', '1/y', 'y**(-2)']
    """
    div, mul = lib.token_of.get("div"), lib.token_of.get("mul")
    if div is None or mul is None:
        return []
    out: list[Expr] = []
    n = lib.n_variables
    for j in range(n):
        out += [(div, j, mul, j, j), (div, j, mul, j, mul, j, j)]
    for i in range(n):
        for j in range(n):
            if i != j:
                out += [(div, i, j), (div, i, mul, j, j), (div, mul, i, i, mul, j, j)]
    return out


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


def _solve(columns: list[np.ndarray], z: np.ndarray, w: np.ndarray | None = None
           ) -> tuple[np.ndarray, float]:
    """Weighted least-squares coefficients (intercept last) and the relative residual."""
    w = np.ones_like(z) if w is None else w
    A = np.column_stack(columns + [np.ones_like(z)]) * w[:, None]
    coef, *_ = np.linalg.lstsq(A, z * w, rcond=None)
    centred = z * w - w * (float(w @ (z * w)) / float(w @ w))
    spread = float(np.linalg.norm(centred)) or 1.0
    return coef, float(np.linalg.norm(A @ coef - z * w)) / spread


INVERSE_KINDS = ("log", "exp", "sqrt", "inv")
"""Targets read through an inverse: ``exp(y)`` for ``log(P)``, ``log|y|`` for ``exp(P)``,
``y**2`` for ``sqrt(P)`` and ``1/y`` for ``1/P``."""


def _tree(lib: Library, kind: str, parts: list[Expr], coef: np.ndarray,
          with_intercept: bool) -> tuple[Expr, list[float]] | None:
    """``sum c_i f_i`` (kind "direct") or ``log``/``exp``/``sqrt``/``1/`` of it (intercept optional).

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
    if kind == "inv":  # C / P: the C is the linear scale's twin, fixed to 1 by the selection
        if C < 0 or "div" not in lib.token_of:
            return None
        return (lib.token_of["div"], C) + body, [1.0] + constants
    return (lib.token_of[kind],) + body, constants


def exact_model(lib: Library, evaluator: Evaluator, kind: str, parts: list[Expr],
                columns: list[np.ndarray], z: np.ndarray, weights: np.ndarray | None = None,
                exact: bool = True) -> Fit | None:
    """The evaluator's fit of ``z ~ sum c_i parts_i + c_0`` read as ``kind``, or None.

    ``columns`` are the parts' values on the rows where ``z`` is given.  Idle
    columns are dropped first.  With ``exact`` the model must reproduce ``z``
    (to 1e-8) with simple coefficients, else None; without, it is always
    built and fitted, and the caller's selection judges it.  A direct model
    tries the evaluator's simple-rational summands, then (or also, when not
    ``exact``) one tree with ``C`` tokens; inverse models are always that tree.
    """
    coef, residual = _solve(columns, z, weights)
    # a beam may reach an exact subset only through a superset: drop idle columns
    scale = float(np.linalg.norm(z - z.mean())) or 1.0
    keep = [i for i, c in enumerate(coef[:-1])
            if abs(c) * float(np.linalg.norm(columns[i])) > 1e-9 * scale]
    if not keep:
        return None
    parts, columns = [parts[i] for i in keep], [columns[i] for i in keep]
    coef, residual = _solve(columns, z, weights)
    if exact and not residual <= 1e-8:
        return None
    simple = all(_simple(c) for c in (coef if kind in ("log", "sqrt", "inv") else coef[:-1]))
    if kind == "direct":
        # summands with simple-rational coefficients (the evaluator's own model) ...
        fit = evaluator.fit(tuple(sorted(parts)))
        if len(parts) == 1 or (exact and fit.nrmse <= max(evaluator.target_nrmse, 1e-12)):
            return fit
        # ... else one tree with fitted constants
        if exact and not simple:
            return None
        first = int(np.argmax(np.abs(coef[:-1])))
        order = [first] + [i for i in range(len(parts)) if i != first]
        coef = np.append(coef[order] / coef[first], 0.0)
        parts = [parts[i] for i in order]
    elif exact and not simple:
        return None
    built = _tree(lib, kind, parts, coef, with_intercept=kind in ("log", "sqrt", "inv"))
    if built is None:
        return None
    tree, start = built
    fit = evaluator.fit((tree,), start=start)
    if exact and simple and evaluator.law is None and fit.nrmse <= max(evaluator.target_nrmse, 1e-12):
        # its constants are ratios of simple coefficients (2.12/3.39): a law, though they are not
        evaluator.law = fit
    return fit


def _simple(value: float) -> bool:
    """:func:`mathdisco.engines.sr.numbers.is_simple`: an exact fit is believed only with simple numbers."""
    return is_simple(value)


def targets(lib: Library, y: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(kind, transformed target, row weights) for the direct fit and each usable inverse.

    The weights are ``1/|g'(y)|`` for ``z = g(y)`` (normalised to mean 1), so a
    residual in ``z`` counts as the residual in ``y`` it stands for.
    """
    out = [("direct", y, np.ones_like(y))]
    one_sign = bool(np.all(y > 0) or np.all(y < 0))
    smallest = float(np.abs(y).min()) if y.size else 0.0
    with np.errstate(all="ignore"):
        if "log" in lib.token_of and float(y.max()) < 30:
            out.append(("log", np.exp(y), np.exp(-y)))
        if "exp" in lib.token_of and one_sign:
            out.append(("exp", np.log(np.abs(y)), np.abs(y)))
        if "sqrt" in lib.token_of and one_sign and smallest > 0:
            out.append(("sqrt", y**2, 1.0 / (2.0 * np.abs(y))))
        if "div" in lib.token_of and one_sign and smallest > 1e-6 * float(np.abs(y).max()):
            out.append(("inv", 1.0 / y, y**2))
    kept = []
    for kind, z, w in out:
        if np.isfinite(z).all() and np.isfinite(w).all() and float(w.mean()) > 0:
            kept.append((kind, z, w / float(w.mean())))
    return kept


def linear_step(lib: Library, evaluator: Evaluator, features: FeatureSet, max_terms: int = 6,
                beam: int = 20, noisy: bool = False) -> Fit | None:
    """The best sparse model of the data over ``features``, directly or through an inverse.

    Exact subsets are tried first; an exact model (NRMSE at the target) is
    returned at once.  With ``noisy`` the best subset of every size of every
    target is also fitted, so that the final selection can choose among
    them by description length; the return value is then the fit of least
    quick length (:attr:`Evaluator.shortest` decides which that is).
    """
    if not features.exprs:
        return None
    A = np.column_stack(features.columns)
    y = evaluator.y[features.rows]
    best: Fit | None = None
    found: list[Fit] = []
    for kind, z, w in targets(lib, y):
        search = sparse_fit(A, z, max_terms, beam, weights=None if kind == "direct" else w)
        for subset in search.exact[:8]:  # a law may follow exact subsets with other numbers
            fit = exact_model(lib, evaluator, kind, [features.exprs[j] for j in subset],
                              [features.columns[j] for j in subset], z, w)
            if fit is None:
                continue
            if fit.valid and (best is None or (fit.nrmse, fit.size) < (best.nrmse, best.size)):
                best = fit
            if best is not None and best.nrmse <= max(evaluator.target_nrmse, 1e-12) and is_law(best, evaluator.scale):
                return best  # a law; an exact fit with free-looking numbers lets the others compete
        if noisy and not search.exact:
            for subset, _ in search.best:
                fit = exact_model(lib, evaluator, kind, [features.exprs[j] for j in subset],
                                  [features.columns[j] for j in subset], z, w, exact=False)
                if fit is not None and fit.valid:
                    found.append(fit)
    if best is not None and math.isfinite(best.nrmse):
        return best
    if found and evaluator.length is not None:
        return min(found, key=evaluator.length)
    return min(found, key=lambda f: f.nrmse) if found else None
