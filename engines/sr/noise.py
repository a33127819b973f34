"""A model-free estimate of the noise level of ``y = f(x) + noise``, from flexible linear smoothers.

The estimate is the smallest residual standard deviation, corrected for the
degrees of freedom (``sqrt(RSS / (n - p))``), of dense least-squares fits over
two families of bases:

* all monomials of the standardised inputs up to degree ``d`` (``d = 1, 2, ...``
  while the basis has at most ``n / 3`` columns) -- the classical
  polynomial-regression estimate of the error variance;
* when every input and the target keep one sign, the same in ``log |x|`` for
  ``log |y|``, whose residuals are carried back to the scale of ``y``
  (``r_y ~ |y| r_log``): power laws and their products, the bulk of the
  physics laws in the AI Feynman set, are exact at degree 1 there.

When ``f`` lies in a family's span the estimate is unbiased for the noise; when
it does not, the approximation error adds to it, so the estimate is an *upper*
bound in expectation.  The search uses it only as a gate (a model whose error
is no larger cannot be told from the noise by a smoother either) and to scale
its reward; the reported noise level of a result comes from the selected model
(:mod:`mathdisco.engines.sr.selection`).

Reference: Seber & Lee, *Linear Regression Analysis*, 2nd ed. (2003), section
3.3 (``s**2 = RSS / (n - p)`` is unbiased for the error variance of a correct
linear model).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(1, 5, (3, 500))
>>> y = X[0] * X[1] * X[2]
>>> noisy = y + rng.normal(0, 0.01 * np.sqrt(np.mean(y**2)), 500)
>>> estimate = estimate_noise(X, noisy)
>>> 0.008 < estimate.relative < 0.012, estimate_noise(X, y).relative < 1e-9
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mathdisco.engines.sr.basis import monomials

__all__ = ["NoiseEstimate", "estimate_noise"]

MAX_ROWS = 600
MAX_COLUMNS = 150
PLAUSIBLE = 0.25
"""A levelled-off residual above this share of ``std(y)`` is not taken for noise."""


@dataclass(frozen=True)
class NoiseEstimate:
    """``std``: estimated noise standard deviation; ``relative``: ``std / RMS(y)``.

    ``resolved``: whether the smoother's residual levelled off with the degree
    (the mark of noise) at a plausible level (below ``PLAUSIBLE`` times the
    spread of ``y``); a residual still falling fast at the largest degree the
    data allow is approximation error, and the estimate is only an upper
    bound.
    """

    std: float
    relative: float
    method: str
    resolved: bool = True


def _design(Z: np.ndarray, degree: int) -> np.ndarray:
    """Columns: 1 and every monomial of the rows of ``Z`` (variables x points) up to ``degree``."""
    columns = [np.ones(Z.shape[1])]
    for exponents in monomials(Z.shape[0], degree):
        column = np.ones(Z.shape[1])
        for v, e in enumerate(exponents):
            if e:
                column = column * Z[v] ** e
        columns.append(column)
    return np.column_stack(columns)


def _standardise(X: np.ndarray) -> np.ndarray:
    spread = X.std(axis=1, keepdims=True)
    return (X - X.mean(axis=1, keepdims=True)) / np.where(spread > 0, spread, 1.0)


def _levelled(values: list[float]) -> bool:
    """Whether the residuals by degree levelled off at their least (within 1.5x per degree, 2.25x per two)."""
    if not values:
        return False
    m = int(np.argmin(values))
    low = values[m]
    if m + 1 < len(values) and values[m + 1] <= 1.5 * low:
        return True
    return m >= 2 and values[m - 1] <= 1.5 * low and values[m - 2] <= 2.25 * low


def _smallest_residual(Z: np.ndarray, target: np.ndarray, weight: np.ndarray | None
                       ) -> tuple[float, bool]:
    n = target.shape[0]
    values: list[float] = []
    previous = 0
    for degree in range(1, 13):
        width = math.comb(Z.shape[0] + degree, degree)
        if width == previous or width > min(n / 3, MAX_COLUMNS):
            break
        previous = width
        A = _design(Z, degree)
        coef, *_ = np.linalg.lstsq(A, target, rcond=None)
        residual = A @ coef - target
        if weight is not None:
            residual = residual * weight
        value = math.sqrt(float(residual @ residual) / (n - A.shape[1]))
        values.append(value if math.isfinite(value) else math.inf)
    if not values or not math.isfinite(min(values)):
        return math.inf, False
    return min(values), _levelled(values) or min(values) <= 1e-12 * (float(np.std(target)) or 1.0)


def estimate_noise(X: np.ndarray, y: np.ndarray, seed: int = 0) -> NoiseEstimate:
    """The estimate described in the module docstring (at most ``MAX_ROWS`` rows are used).

    ``X`` has shape (variables, points).
    """
    n = y.shape[0]
    rms = float(np.sqrt(np.mean(y**2))) or 1.0
    if n > MAX_ROWS:
        rows = np.random.default_rng(seed).choice(n, MAX_ROWS, replace=False)
        X, y = X[:, rows], y[rows]
    with np.errstate(all="ignore"):
        best, resolved = _smallest_residual(_standardise(X), y, None)
        method = "polynomial smoother"
        if (X > 0).all() and (np.all(y > 0) or np.all(y < 0)):
            logged, levelled = _smallest_residual(_standardise(np.log(X)), np.log(np.abs(y)), np.abs(y))
            if logged < best:
                best, resolved, method = logged, levelled, "polynomial smoother in log-log"
    if not math.isfinite(best):
        best, resolved, method = float(np.std(y)), False, "spread of y (no smoother fits)"
    if best > PLAUSIBLE * float(np.std(y)):
        resolved = False  # a level that high is the smoother failing, not noise
    return NoiseEstimate(best, best / rms, method, resolved)
