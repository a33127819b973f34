"""A model of fitted terms: refit on all rows, standard errors, description length.

The model selection of :mod:`mathdisco.engines.sr.selection` (its module
docstring gives the steps and the description length's formula) works on
:class:`Model`: a linear combination of prefix-expression terms whose numbers
(constants inside the terms, linear coefficients, an intercept) are each
free or fixed to a simple number.  This module fits the free ones on a
:class:`Context`'s rows -- the linear coefficients by least squares and the
constants inside the terms by Levenberg-Marquardt (variable projection) --
and reads off their standard errors from the Jacobian and the model's
two-part description length in nats.

References: Golub & Pereyra, "The differentiation of pseudo-inverses and
nonlinear least squares problems whose variables separate", SIAM J. Numer.
Anal. 10 (1973) (variable projection); Marquardt, "An algorithm for
least-squares estimation of nonlinear parameters", J. SIAM 11 (1963).

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> lib = Library(["x"], ["add", "mul", "exp"], constants=True)
>>> X = np.linspace(0, 1, 50)[None, :]
>>> term = lib.encode(["exp", "mul", "C", "x"])
>>> model = Model((term,), [1.0], [None], [1.0], [None], 0.0, None)
>>> fitted = refit(model, Context(lib, X, 3 * np.exp(-2 * X[0]) + 1))
>>> [round(v, 6) for v in (fitted.constants[0], fitted.coefficients[0], fitted.intercept)]
[-2.0, 3.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from mathdisco.engines.sr import kernels
from mathdisco.engines.sr.evaluate import Fit
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.numbers import SimpleNumber, free_cost

__all__ = ["ALPHA", "FLOOR", "Context", "Model", "constant_spans", "description_length",
           "levenberg_marquardt", "quick_length", "refit"]

Expr = tuple[int, ...]
FLOOR = 1e-9
ALPHA = 0.01


@dataclass
class Context:
    """The data a model is judged on and the test settings."""

    lib: Library
    X: np.ndarray
    y: np.ndarray
    alpha: float = ALPHA
    floor_relative: float = FLOOR
    decimals: int = 3  # short decimals (3.39) are candidates only when the data are exact
    deadline: float = math.inf
    noise: float | None = None  # a model-free noise level (engines.sr.noise); None: unknown
    admissible: Callable[[Model], bool] | None = None  # e.g. dimensional consistency; None: all

    def __post_init__(self) -> None:
        spread = float(np.std(self.y))
        self.scale = spread if spread > 0 else max(1.0, float(np.abs(self.y).max(initial=0.0)))
        self.floor = self.floor_relative * self.scale
        self.alphabet = len(self.lib.names)


@dataclass
class Model:
    """A linear combination of terms with fitted or snapped numbers."""

    terms: tuple[Expr, ...]
    constants: list[float]
    constant_fixed: list[SimpleNumber | None]
    coefficients: list[float]
    coefficient_fixed: list[SimpleNumber | None]
    intercept: float
    intercept_fixed: SimpleNumber | None
    rss: float = math.inf
    n: int = 0
    errors: dict[str, list[float]] = field(default_factory=dict)  # standard errors of free values
    degenerate: bool = False
    redundant: int | None = None  # when degenerate: the free constant most in the Jacobian's null space
    length: float = math.inf  # description length
    snapped: list[dict] = field(default_factory=list)  # what snap() fixed, in order
    origin: str = ""  # the search step that proposed the model
    defined: bool = True  # finite on the box of the inputs (set by the caller)

    @property
    def free(self) -> int:
        return (sum(f is None for f in self.constant_fixed) + sum(f is None for f in self.coefficient_fixed)
                + (self.intercept_fixed is None))

    def tokens(self, lib: Library) -> int:
        """The model's complexity: its terms' weighted tokens (:meth:`Library.size`), the joining
        additions, every coefficient other than +-1 and a non-zero intercept."""
        size = sum(lib.size(t) for t in self.terms) + max(0, len(self.terms) - 1)
        size += sum(1 for c in self.coefficients if abs(abs(c) - 1.0) > 1e-12)
        return size + (self.intercept != 0.0) + (not self.terms)

    def nrmse(self, scale: float) -> float:
        return math.sqrt(self.rss / max(1, self.n)) / scale if math.isfinite(self.rss) else math.inf


# -- fitting -----------------------------------------------------------------------------------

def constant_spans(lib: Library, terms: tuple[Expr, ...]) -> list[tuple[int, int]]:
    """(start, end) of each term's constants in the model's flat constant list."""
    spans, start = [], 0
    for term in terms:
        k = lib.count_constants(term)
        spans.append((start, start + k))
        start += k
    return spans


def _columns(lib: Library, terms: tuple[Expr, ...], constants: np.ndarray,
             X: np.ndarray) -> np.ndarray | None:
    columns = []
    for term, (a, b) in zip(terms, constant_spans(lib, terms), strict=True):
        code, arg = lib.lower(term)
        columns.append(kernels.evaluate_program(code, arg, np.asarray(constants[a:b], dtype=float), X))
    T = np.column_stack(columns) if columns else np.zeros((X.shape[1], 0))
    return T if np.isfinite(T).all() else None


def _linear(model: Model, T: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Free coefficients and intercept by least squares; returns (coefficients, intercept, residual)."""
    target = y.astype(float).copy()
    coefficients = np.array(model.coefficients, dtype=float)
    for j, fixed in enumerate(model.coefficient_fixed):
        if fixed is not None:
            coefficients[j] = fixed.value
            target -= fixed.value * T[:, j]
    free = [j for j, fixed in enumerate(model.coefficient_fixed) if fixed is None]
    columns = [T[:, j] for j in free]
    if model.intercept_fixed is None:
        columns.append(np.ones_like(target))
    else:
        target -= model.intercept_fixed.value
    intercept = model.intercept_fixed.value if model.intercept_fixed is not None else 0.0
    if columns:
        A = np.column_stack(columns)
        solution, *_ = np.linalg.lstsq(A, target, rcond=None)
        residual = target - A @ solution
        for j, value in zip(free, solution, strict=False):
            coefficients[j] = value
        if model.intercept_fixed is None:
            intercept = float(solution[-1])
    else:
        residual = target
    return coefficients, intercept, residual


def refit(model: Model, context: Context) -> Model | None:
    """``model`` with every free value refitted on the context's rows, or None if not finite."""
    lib, X, y = context.lib, context.X, context.y
    constants = np.array([f.value if f is not None else c
                          for c, f in zip(model.constants, model.constant_fixed, strict=True)], dtype=float)
    free = [i for i, f in enumerate(model.constant_fixed) if f is None]

    def residual(values: np.ndarray) -> np.ndarray:
        trial = constants.copy()
        trial[free] = values
        T = _columns(lib, model.terms, trial, X)
        if T is None:
            return np.full(y.shape, 1e150)
        return _linear(model, T, y)[2]

    with np.errstate(all="ignore"):
        if free:
            start = constants[free]
            if not np.all(residual(start) < 1e150):
                return None
            constants[free] = levenberg_marquardt(residual, start)
        T = _columns(lib, model.terms, constants, X)
        if T is None:
            return None
        coefficients, intercept, r = _linear(model, T, y)
    rss = float(r @ r)
    if not math.isfinite(rss):
        return None
    out = replace(model, constants=[float(c) for c in constants],
                  coefficients=[float(c) for c in coefficients], intercept=float(intercept),
                  rss=rss, n=len(y))
    _standard_errors(out, T, context)
    out.length = description_length(out, context)
    return out


def levenberg_marquardt(residual, start: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Minimise ``|residual(x)|**2`` from ``start`` (forward-difference Jacobian, Marquardt damping).

    Never returns a point worse than ``start``.

    >>> levenberg_marquardt(lambda x: np.array([x[0] - 3.0, 2 * (x[0] - 3.0)]), np.array([0.0]))
    array([3.])
    """
    x = np.asarray(start, dtype=float).copy()
    r = residual(x)
    cost = float(r @ r)
    damping = 1e-3
    J = np.empty((r.shape[0], x.shape[0]))
    for _ in range(iterations):
        if cost <= 1e-300:
            break
        for j in range(x.shape[0]):
            h = 1e-7 * max(1.0, abs(x[j]))
            shifted = x.copy()
            shifted[j] += h
            J[:, j] = (residual(shifted) - r) / h
        if not np.isfinite(J).all():
            break
        g, H = J.T @ r, J.T @ J
        moved = False
        while damping < 1e12:
            try:
                step = np.linalg.solve(H + damping * np.diag(np.diag(H) + 1e-12), -g)
            except np.linalg.LinAlgError:
                damping *= 10.0
                continue
            trial = x + step
            r_trial = residual(trial)
            cost_trial = float(r_trial @ r_trial)
            if cost_trial < cost:
                small = float(np.abs(step).max()) <= 1e-13 * (1.0 + float(np.abs(x).max()))
                relative = (cost - cost_trial) <= 1e-15 * cost
                x, r, cost, moved = trial, r_trial, cost_trial, True
                damping = max(damping * 0.3, 1e-12)
                if small or relative:
                    return x
                break
            damping *= 10.0
        if not moved:
            break
    return x


def _prediction(model: Model, constants: np.ndarray, context: Context) -> np.ndarray | None:
    T = _columns(context.lib, model.terms, constants, context.X)
    if T is None:
        return None
    return T @ np.array(model.coefficients) + model.intercept


def _standard_errors(model: Model, T: np.ndarray, context: Context) -> None:
    """Standard errors of the free values from the Jacobian of the prediction (in place)."""
    n = len(context.y)
    constants = np.array(model.constants)
    columns, labels = [], []
    with np.errstate(all="ignore"):
        for i, fixed in enumerate(model.constant_fixed):
            if fixed is None:  # central differences: redundancies show as near-zero singular values
                h = 1e-5 * max(1.0, abs(constants[i]))
                up, down = constants.copy(), constants.copy()
                up[i] += h
                down[i] -= h
                ahead, behind = _prediction(model, up, context), _prediction(model, down, context)
                ok = ahead is not None and behind is not None
                columns.append((ahead - behind) / (2 * h) if ok else np.zeros(n))
                labels.append(("constants", i))
    for j, fixed in enumerate(model.coefficient_fixed):
        if fixed is None:
            columns.append(T[:, j])
            labels.append(("coefficients", j))
    if model.intercept_fixed is None:
        columns.append(np.ones(n))
        labels.append(("intercept", 0))
    errors = {"constants": [math.inf] * len(model.constants),
              "coefficients": [math.inf] * len(model.coefficients), "intercept": [math.inf]}
    model.degenerate = False
    if columns:
        J = np.column_stack(columns)
        p = J.shape[1]
        s2 = max(model.rss / max(1, n - p), context.floor**2)
        try:
            _, singular, Vt = np.linalg.svd(J, full_matrices=False)
        except np.linalg.LinAlgError:
            singular, Vt = np.zeros(1), None
        if Vt is None or not np.isfinite(singular).all() or singular[-1] <= 1e-8 * singular[0]:
            model.degenerate = True
            model.redundant = None
            if Vt is not None:
                null = np.abs(Vt[-1])
                constants_in = [(null[k], index) for k, (kind, index) in enumerate(labels)
                                if kind == "constants"]
                if constants_in:
                    model.redundant = max(constants_in)[1]
        else:
            variances = s2 * np.sum((Vt / singular[:, None]) ** 2, axis=0)  # diag of V S^-2 V^T
            for (kind, index), variance in zip(labels, variances, strict=True):
                errors[kind][index] = math.sqrt(max(float(variance), 0.0))
    model.errors = errors


def description_length(model: Model, context: Context) -> float:
    """The model's two-part description length in nats (module docstring)."""
    n = max(1, model.n)
    fit = 0.5 * n * math.log(max(model.rss / n, context.floor**2))
    values = 0.0
    for kind, numbers, fixed in (("constants", model.constants, model.constant_fixed),
                                 ("coefficients", model.coefficients, model.coefficient_fixed),
                                 ("intercept", [model.intercept], [model.intercept_fixed])):
        for i, (value, f) in enumerate(zip(numbers, fixed, strict=True)):
            values += f.cost if f is not None else free_cost(value, model.errors[kind][i])
    length = fit + values + model.tokens(context.lib) * math.log(context.alphabet)
    return length + (1e6 if model.degenerate else 0.0)


def quick_length(fit: Fit, n: int, floor_relative: float, alphabet: int, constants: int) -> float:
    """A cheap stand-in for :func:`description_length` from a search-stage fit (BIC cost per value)."""
    mse = max(fit.nrmse**2, floor_relative**2)
    values = constants + len(fit.terms) + 1
    return 0.5 * n * math.log(mse) + values * (0.5 * math.log(n) + math.log(2)) + fit.size * math.log(alphabet)
