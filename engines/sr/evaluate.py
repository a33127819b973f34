"""Vectorised evaluation, model fitting and the reward of candidate expressions.

A model is a short list of terms ``t_1 .. t_k`` -- the candidate expression
itself, plus the summands of a form when one applies -- each run as a
compiled stack program over all samples (:mod:`mathdisco.engines.sr.kernels`; no
strings, no sympy) and combined linearly, ``y ~ b + sum_i a_i t_i``, with the
coefficients solved by least squares (for one term this is Keijzer's linear
scaling, in closed form).  Constants inside terms (the ``C`` token) are
fitted by variable projection: Levenberg-Marquardt moves them while the
linear coefficients are re-solved at every step.  Fitted numbers are snapped
to simple rationals when that keeps the error (:meth:`Evaluator.refit_snapped`).
:func:`evaluate_prefix` and :func:`compile_prefix` are the plain-numpy forms
of the same programs.

The reward is RSRM's ``eta**L / (1 + error)`` (Xu et al., ICLR 2024, section
3.2, ``eta = 0.99``) with ``error`` the normalised RMSE, as the reference
notes recommend instead of the reference code's squared L1 norm.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> lib = Library(["x"], ["add", "mul", "sin"], constants=False)
>>> X = np.linspace(-1, 1, 20)[None, :]
>>> y = 3 * X[0] ** 2 + 1
>>> ev = Evaluator(lib, X, y)
>>> fit = ev.fit((lib.encode(["mul", "x", "x"]),))
>>> round(fit.coefficients[0], 9), round(fit.intercept, 9), fit.nrmse < 1e-12
(3.0, 1.0, True)
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from mathdisco.engines.sr import kernels
from mathdisco.engines.sr.grammar import Library

Terms = tuple[tuple[int, ...], ...]


class Finished(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a search when a law (:func:`is_law`) reaches the target error."""


class BudgetExhausted(Exception):  # noqa: N818
    """Raised inside a search when the wall-time or evaluation budget is spent."""


@dataclass
class Fit:
    """A fitted linear combination of summands."""

    terms: Terms
    coefficients: list[float]
    intercept: float
    constants: list[float]
    nrmse: float
    size: int  # tokens of the summands plus the joining additions
    origin: str = ""  # which step of the search proposed it first

    @property
    def valid(self) -> bool:
        return math.isfinite(self.nrmse)


INVALID_NRMSE = math.inf


def evaluate_prefix(lib: Library, prefix: Sequence[int], X: np.ndarray,
                    constants: Sequence[float] = ()) -> np.ndarray:
    """Values of a prefix expression on the columns of ``X`` (shape variables x points).

    ``C`` tokens take ``constants`` in prefix order.  Non-finite values are
    returned as they are; callers silence numpy's warnings (``np.errstate``)
    once around many calls, because entering it per call costs more than a
    short expression.
    """
    stack: list = []
    ops, arity, n_var, const_token = lib.ops, lib.arity, lib.n_variables, lib.const_token
    const_index = len(constants) - 1
    for token in reversed(prefix):
        if token < n_var:
            stack.append(X[token])
        elif token == const_token:
            stack.append(constants[const_index])
            const_index -= 1
        elif arity[token] == 1:
            stack[-1] = ops[token].numpy(stack[-1])
        else:
            first = stack.pop()
            stack[-1] = ops[token].numpy(first, stack[-1])
    out = stack[0]
    if not isinstance(out, np.ndarray) or out.shape != X.shape[1:]:
        out = np.broadcast_to(np.asarray(out, dtype=float), X.shape[1:])
    return out


def compile_prefix(lib: Library, prefix: Sequence[int]) -> Callable[..., np.ndarray]:
    """A closure ``f(X, constants=())`` computing the expression with numpy.

    Built once from the tree (nested closures over numpy ufuncs), then called
    any number of times.

    >>> import numpy as np
    >>> lib = Library(["x"], ["add", "mul"], constants=True)
    >>> f = compile_prefix(lib, lib.encode(["add", "x", "mul", "C", "x"]))
    >>> f(np.array([[1.0, 2.0]]), [10.0]).tolist()
    [11.0, 22.0]
    """
    position = 0
    const_index = 0

    def build():
        nonlocal position, const_index
        token = prefix[position]
        position += 1
        if token < lib.n_variables:
            return lambda X, c, v=token: X[v]
        if token == lib.const_token:
            const_index += 1
            return lambda X, c, k=const_index - 1: c[k]
        fn = lib.ops[token].numpy
        if lib.arity[token] == 1:
            a = build()
            return lambda X, c: fn(a(X, c))
        a, b = build(), build()
        return lambda X, c: fn(a(X, c), b(X, c))

    body = build()

    def f(X: np.ndarray, constants: Sequence[float] = ()) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(body(X, constants), dtype=float), X.shape[1:])

    return f


def _scale(y: np.ndarray) -> float:
    s = float(np.std(y))
    return s if s > 0 else max(1.0, float(np.abs(y).max(initial=0.0)))


def snap_value(value: float, max_denominator: int = 12, rtol: float = 1e-5) -> Fraction | None:
    """The simple rational near ``value`` (within ``rtol``), or None.

    >>> snap_value(0.4999999), snap_value(0.123456789)
    (Fraction(1, 2), None)
    """
    if not math.isfinite(value) or abs(value) > 1e6:
        return None
    r = Fraction(value).limit_denominator(max_denominator)
    if abs(float(r) - value) <= rtol * max(1.0, abs(value)):
        return r
    return None


def snap_decimal(value: float, places: int = 3, rtol: float = 1e-9) -> Fraction | None:
    """The decimal with at most ``places`` places that ``value`` equals to ``rtol``, or None.

    For exact fits only (the tolerance is tight): benchmark constants such as
    ``0.426`` or ``1.82`` are short decimals, not small-denominator fractions.

    >>> snap_decimal(0.42600000000001), snap_decimal(0.4261234)
    (Fraction(213, 500), None)
    """
    if not math.isfinite(value) or abs(value) > 1e6:
        return None
    r = Fraction(round(value * 10**places), 10**places)
    if abs(float(r) - value) <= rtol * max(1.0, abs(value)):
        return r
    return None


def _snap_any(value: float) -> Fraction | None:
    """A simple fraction within 1e-5, else a short decimal within 1e-9."""
    r = snap_value(value)
    return r if r is not None else snap_decimal(value)


def snap_pi_multiple(value: float, rtol: float = 1e-5) -> Fraction | None:
    """``r`` when ``value`` is near ``r * pi`` with ``r = p/q``, ``q <= 4`` (phases such as pi/2).

    >>> snap_pi_multiple(1.5707963), snap_pi_multiple(1.0)
    (Fraction(1, 2), None)
    """
    if not math.isfinite(value) or value == 0:
        return None
    r = snap_value(value / math.pi, max_denominator=4, rtol=rtol)
    return r if r is not None and r != 0 and abs(r.numerator) <= 8 else None


@dataclass
class Evaluator:
    """Fits and caches candidates on one data set; counts evaluations and time.

    ``tick`` (optional) is called every ``tick_every`` fits; the search uses it
    for progress reports, cancellation and the budget.  ``law`` is the first
    fit at the target error whose every number is simple (:func:`is_law`): only
    such a fit ends a search early; an exact fit with free-looking numbers (a
    Taylor polynomial of ``sinh``) is a fit, and the search goes on.  ``length`` (optional)
    scores a fit by a description length; the evaluator keeps the fit of least
    length seen (``shortest``) beside the most accurate one (``best``).
    """

    lib: Library
    X: np.ndarray
    y: np.ndarray
    target_nrmse: float = 1e-10
    max_nfev: int = 12
    tick: Callable[[], None] | None = None
    tick_every: int = 256
    cache: dict[Terms, Fit] = field(default_factory=dict)
    evaluations: int = 0
    length: Callable[[Fit], float] | None = None
    origin: str = ""  # the step now proposing candidates (recorded on each new fit)

    def __post_init__(self) -> None:
        self.scale = _scale(self.y)
        self.ones = np.ones_like(self.y)
        self.mean_y = float(self.y.mean())
        self._no_constants = np.zeros(0)
        self.best: Fit | None = None
        self.law: Fit | None = None
        self.shortest: Fit | None = None
        self.shortest_length = math.inf
        self.started = time.monotonic()

    # -- fitting ---------------------------------------------------------
    def _columns(self, terms: Terms, constants: Sequence[float]) -> np.ndarray | None:
        cols = []
        offset = 0
        for term in terms:
            k = self.lib.count_constants(term)
            code, arg = self.lib.lower(term)
            values = np.asarray(constants[offset:offset + k], dtype=float)
            cols.append(kernels.evaluate_program(code, arg, values, self.X))
            offset += k
        A = np.column_stack(cols + [self.ones])
        if not np.isfinite(A).all():
            return None
        return A

    def fit(self, terms: Terms, start: Sequence[float] | None = None) -> Fit:
        """The least-squares fit of ``terms`` (cached by their tokens).

        ``start``: initial values of the ``C`` constants (default all 1).
        """
        cached = self.cache.get(terms)
        if cached is not None:
            return cached
        self.evaluations += 1
        if self.tick is not None and self.evaluations % self.tick_every == 0:
            self.tick()
        n_const = sum(self.lib.count_constants(t) for t in terms)
        size = sum(self.lib.size(t) for t in terms) + len(terms) - 1
        fit = self._fit_model(terms, n_const, size, start)
        fit.origin = self.origin
        self.cache[terms] = fit
        if fit.valid and (self.best is None or fit.nrmse < self.best.nrmse):
            self.best = fit
        if (self.law is None and fit.valid and fit.nrmse <= self.target_nrmse
                and is_law(fit, self.scale)):
            self.law = fit
        if fit.valid and self.length is not None:
            length = self.length(fit)
            if length < self.shortest_length:
                self.shortest, self.shortest_length = fit, length
        return fit

    def _program(self, terms: Terms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        code, arg = self.lib.lower(sum(terms, ()))
        starts = np.cumsum([0] + [len(t) for t in terms]).astype(np.int64)
        return code, arg, starts

    def _fit_model(self, terms: Terms, n_const: int, size: int,
                   start: Sequence[float] | None = None) -> Fit:
        """Everything in the numba kernels: linear coefficients, and constants by LM."""
        code, arg, starts = self._program(terms)
        with np.errstate(all="ignore"):
            if n_const == 0:
                c = self._no_constants
                coef, sse = kernels.solve_model(code, arg, starts, c, self.X, self.y)
            else:
                # a short fit for every candidate, a long one only for the promising
                initial = (np.ones(n_const) if start is None or len(start) != n_const
                           else np.asarray(start, dtype=float))
                c, coef, sse = kernels.fit_constants(code, arg, starts, initial, self.X,
                                                     self.y, self.max_nfev * n_const)
                if 1e-28 * len(self.y) < sse / self.scale**2 < 1e-4 * len(self.y):
                    c2, coef2, sse2 = kernels.fit_constants(code, arg, starts, c, self.X, self.y,
                                                            10 * self.max_nfev * n_const)
                    if sse2 < sse:
                        c, coef, sse = c2, coef2, sse2
        nrmse = math.sqrt(sse / len(self.y)) / self.scale if math.isfinite(sse) else INVALID_NRMSE
        if not self._sane(coef[:-1], c):
            nrmse = INVALID_NRMSE
        return Fit(terms, [float(v) for v in coef[:-1]], float(coef[-1]), [float(v) for v in c],
                   nrmse, size)

    def _sane(self, coefficients: np.ndarray, constants: np.ndarray) -> bool:
        """Refuse fits that hide a term behind an extreme scale.

        A vanishing constant under a division paired with a vanishing
        coefficient (``1e-18 * f / 1e-18``) reproduces ``f`` exactly but says
        nothing; nor does a term whose coefficient is zero.
        """
        for c in constants:
            if not 1e-6 <= abs(c) <= 1e6:
                return False
        for a in coefficients:
            if not 1e-9 * self.scale <= abs(a) <= 1e9 * self.scale:
                return False
        return True

    def _solve_terms(self, terms: Terms, constants: Sequence[float]
                     ) -> tuple[np.ndarray, np.ndarray] | None:
        """(coefficients with the intercept last, residual), or None when non-finite."""
        A = self._columns(terms, constants)
        if A is None:
            return None
        coef, *_ = np.linalg.lstsq(A, self.y, rcond=None)
        return coef, A @ coef - self.y

    def _make(self, terms: Terms, coef: np.ndarray, constants: list[float], residual: np.ndarray,
              size: int) -> Fit:
        nrmse = math.sqrt(float(residual @ residual) / len(residual)) / self.scale
        if not math.isfinite(nrmse):
            nrmse = INVALID_NRMSE
        return Fit(terms, [float(c) for c in coef[:-1]], float(coef[-1]), constants, nrmse, size)

    def refit_snapped(self, fit: Fit) -> Fit:
        """``fit`` with constants and coefficients snapped to simple rationals.

        Constants snap first (coefficients re-solved), then the coefficients
        and intercept, each to a fraction with denominator <= 12 (within 1e-5)
        or else a decimal with three places (within 1e-9, so only exact fits
        get one); a snapped value is kept only when the error stays within
        ``max(1e-12, 1.000001 * error)`` of the unsnapped fit.  Snapped values
        are stored as floats equal to the rationals; :func:`mathdisco.engines.sr.search`
        renders them exactly.
        """
        with np.errstate(all="ignore"):
            return self._snap(fit)

    def _snap(self, fit: Fit) -> Fit:
        tolerance = max(self.target_nrmse * 10, fit.nrmse * 1.000001, 1e-12)
        constants = list(fit.constants)
        snapped_c = []
        for c in constants:
            rational = _snap_any(c)
            pi_multiple = snap_pi_multiple(c) if rational is None else None
            snapped_c.append(float(rational) if rational is not None else
                             float(pi_multiple) * math.pi if pi_multiple is not None else None)
        if any(s is not None for s in snapped_c):
            trial = [s if s is not None else c for s, c in zip(snapped_c, constants, strict=True)]
            solved = self._solve_terms(fit.terms, trial)
            if solved is not None:
                candidate = self._make(fit.terms, solved[0], trial, solved[1], fit.size)
                if candidate.nrmse <= tolerance:
                    fit = candidate
        values = list(fit.coefficients) + [fit.intercept]
        snapped = [_snap_any(v) for v in values]
        if any(s is not None for s in snapped):
            trial_coef = np.array([float(s) if s is not None else v for s, v in zip(snapped, values, strict=True)])
            A = self._columns(fit.terms, fit.constants)
            if A is not None:
                res = A @ trial_coef - self.y
                candidate = self._make(fit.terms, trial_coef, fit.constants, res, fit.size)
                if candidate.nrmse <= tolerance:
                    fit = candidate
        return fit

    def nrmse_on(self, fit: Fit, X: np.ndarray, y: np.ndarray) -> float:
        """The error of a fitted model on other data (the test set)."""
        with np.errstate(all="ignore"):
            pred = np.full(X.shape[1], fit.intercept)
            offset = 0
            for term, a in zip(fit.terms, fit.coefficients, strict=True):
                k = self.lib.count_constants(term)
                pred = pred + a * evaluate_prefix(self.lib, term, X, fit.constants[offset:offset + k])
                offset += k
            value = float(np.sqrt(np.mean((pred - y) ** 2)) / _scale(y))
        return value if math.isfinite(value) else INVALID_NRMSE


def is_law(fit: Fit, scale: float = 1.0) -> bool:
    """Whether every number of ``fit`` (coefficients, intercept, constants) is simple to 1e-8.

    An intercept within ``1e-8 * scale`` (the data's spread) of zero is zero.

    Simple: a fraction with denominator <= 12, a decimal with <= 3 places, or a
    closed form of :func:`mathdisco.engines.sr.numbers.candidates` (``pi**2``, ``sqrt(2)/3``).
    Free coefficients make a few smooth terms imitate anything on a narrow
    range (``x + x**3/6 + 0.0083333*x**5 + ...`` for ``sinh x`` on ``[-1, 1]``,
    exact to 1e-11): such a fit is not a law, however exact.

    >>> is_law(Fit(((0,),), [0.5], 0.0, [], 0.0, 1)), is_law(Fit(((0,),), [0.0083333391], 0.0, [], 0.0, 1))
    (True, False)
    """
    from mathdisco.engines.sr.numbers import is_simple

    intercept = 0.0 if abs(fit.intercept) <= 1e-8 * scale else fit.intercept
    return all(is_simple(v) for v in [*fit.coefficients, intercept, *fit.constants])


def reward(nrmse: float, length: int, eta: float = 0.99, error_scale: float = 1e-3) -> float:
    """RSRM's reward ``eta**length / (1 + error)`` with ``error = nrmse / error_scale``.

    0 for an invalid candidate.  The scale matters: with the raw NRMSE an
    approximation within 5 % (``x`` for Nguyen-7, say) out-scores the exact
    10-token answer, and the tree search commits to it; RSRM's own error (a
    squared L1 norm on wide-range data) is large in absolute terms, which the
    scale reproduces on normalised errors.

    >>> reward(0.0, 10) == 0.99 ** 10
    True
    >>> reward(0.05, 1) < reward(0.0, 15)
    True
    """
    if not math.isfinite(nrmse):
        return 0.0
    return eta**length / (1.0 + nrmse / error_scale)
