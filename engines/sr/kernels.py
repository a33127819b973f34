"""numba kernels: evaluate a prefix program on all samples, scale it, fit its constants.

A candidate is lowered to two integer arrays (``code``, ``arg``) in prefix
order; :func:`evaluate_program` runs them as a stack machine over the sample
columns, :func:`scaled_residual` adds Keijzer's closed-form linear scaling
(``y ~ a f + b``), and :func:`fit_constants` moves the ``C`` values by
Levenberg-Marquardt with a forward-difference Jacobian (variable projection:
``a`` and ``b`` are re-solved at every step).  One call handles one candidate
on a few hundred samples and returns in well under a millisecond, so a
cancellation signal is never held up for long.

The operators' numpy forms in :mod:`mathdisco.engines.sr.operators` are the reference;
the opcodes below must compute the same functions (a test checks this).

Compilation (or loading numba's on-disk cache) takes seconds on a fresh
process and cannot be interrupted once a call has started, so a job calls
:func:`warm_up` first: the kernels are compiled in a background thread while
the job waits at most its remaining time; a job whose time runs out first
reports that instead of overrunning its limit, and the next job in the same
process finds them ready.

Examples
--------
>>> import numpy as np
>>> code = np.array([ADD, VAR, MUL, CONST, VAR]); arg = np.array([0, 0, 0, 0, 0])
>>> X = np.array([[1.0, 2.0, 3.0]])
>>> evaluate_program(code, arg, np.array([2.0]), X).tolist()
[3.0, 6.0, 9.0]
"""

from __future__ import annotations

import threading

import numba
import numpy as np

(VAR, CONST, ADD, SUB, MUL, DIV, SIN, COS, TAN, EXP, LOG, SQRT, NEG, SQUARE, CUBE, INV, POW,
 SINH, COSH, TANH, ABS, ASIN, ATAN) = range(23)

MAX_CANCELLATION = 10.0
"""The most the summed spreads of a model's summands may exceed the target's (see ``_model``)."""

OPCODES = {"add": ADD, "sub": SUB, "mul": MUL, "div": DIV, "sin": SIN, "cos": COS, "tan": TAN,
           "exp": EXP, "log": LOG, "sqrt": SQRT, "neg": NEG, "square": SQUARE, "cube": CUBE,
           "inv": INV, "pow": POW, "sinh": SINH, "cosh": COSH, "tanh": TANH, "abs": ABS,
           "asin": ASIN, "atan": ATAN}


@numba.njit(cache=True, nogil=True)
def evaluate_program(code: np.ndarray, arg: np.ndarray, constants: np.ndarray,
                     X: np.ndarray) -> np.ndarray:
    n = X.shape[1]
    stack = np.empty((code.shape[0] + 1, n))
    top = 0
    for position in range(code.shape[0] - 1, -1, -1):
        op = code[position]
        if op == VAR:
            stack[top, :] = X[arg[position]]
            top += 1
        elif op == CONST:
            stack[top, :] = constants[arg[position]]
            top += 1
        elif op >= ADD and op <= DIV or op == POW:
            a = stack[top - 1]
            b = stack[top - 2]
            out = stack[top - 2]
            for i in range(n):
                if op == ADD:
                    out[i] = a[i] + b[i]
                elif op == SUB:
                    out[i] = a[i] - b[i]
                elif op == MUL:
                    out[i] = a[i] * b[i]
                elif op == DIV:
                    out[i] = a[i] / b[i] if b[i] != 0.0 else np.nan
                else:
                    out[i] = a[i] ** b[i] if a[i] > 0.0 or b[i] == np.floor(b[i]) else np.nan
            top -= 1
        else:
            a = stack[top - 1]
            for i in range(n):
                v = a[i]
                if op == SIN:
                    a[i] = np.sin(v)
                elif op == COS:
                    a[i] = np.cos(v)
                elif op == TAN:
                    a[i] = np.tan(v)
                elif op == EXP:
                    a[i] = np.exp(v)
                elif op == LOG:
                    a[i] = np.log(v) if v > 0.0 else (-np.inf if v == 0.0 else np.nan)
                elif op == SQRT:
                    a[i] = np.sqrt(v) if v >= 0.0 else np.nan
                elif op == NEG:
                    a[i] = -v
                elif op == SQUARE:
                    a[i] = v * v
                elif op == CUBE:
                    a[i] = v * v * v
                elif op == INV:
                    a[i] = 1.0 / v if v != 0.0 else np.nan
                elif op == SINH:
                    a[i] = np.sinh(v)
                elif op == COSH:
                    a[i] = np.cosh(v)
                elif op == TANH:
                    a[i] = np.tanh(v)
                elif op == ABS:
                    a[i] = abs(v)
                elif op == ASIN:
                    a[i] = np.arcsin(v) if -1.0 <= v <= 1.0 else np.nan
                else:
                    a[i] = np.arctan(v)
    return stack[0].copy()


@numba.njit(cache=True, nogil=True)
def _scaled(f: np.ndarray, y: np.ndarray, residual: np.ndarray) -> tuple[float, float, float]:
    """Linear scaling in place: fills ``residual`` = a f + b - y; returns (a, b, SSE); SSE = inf if f is not finite."""
    n = f.shape[0]
    mean_f = 0.0
    mean_y = 0.0
    for i in range(n):
        if not np.isfinite(f[i]):
            return 0.0, 0.0, np.inf
        mean_f += f[i]
        mean_y += y[i]
    mean_f /= n
    mean_y /= n
    var = 0.0
    cov = 0.0
    for i in range(n):
        d = f[i] - mean_f
        var += d * d
        cov += d * (y[i] - mean_y)
    a = cov / var if var > 1e-300 * n else 0.0
    b = mean_y - a * mean_f
    sse = 0.0
    for i in range(n):
        r = a * f[i] + b - y[i]
        residual[i] = r
        sse += r * r
    return a, b, sse


@numba.njit(cache=True, nogil=True)
def _model(code: np.ndarray, arg: np.ndarray, starts: np.ndarray, constants: np.ndarray,
           X: np.ndarray, y: np.ndarray, residual: np.ndarray) -> tuple[np.ndarray, float]:
    """Fit ``y ~ b + sum_t a_t term_t``; fills ``residual``; returns (coefficients, SSE).

    The terms are the slices ``starts[t]:starts[t+1]`` of the program; the
    intercept is the last coefficient; SSE is inf when a term is not finite.
    One term gets free linear scaling; with several, each ``a_t`` is the
    least-squares value rounded to the nearest ``p/q`` with ``q <= 4``, and
    SSE is inf when the summands mostly cancel each other (their spreads add
    up to more than ``MAX_CANCELLATION`` times the target's).
    """
    k = starts.shape[0] - 1
    n = y.shape[0]
    coef = np.zeros(k + 1)
    if k == 1:
        f = evaluate_program(code, arg, constants, X)
        a, b, sse = _scaled(f, y, residual)
        coef[0] = a
        coef[1] = b
        return coef, sse
    A = np.ones((n, k + 1))
    for t in range(k):
        column = evaluate_program(code[starts[t]:starts[t + 1]], arg[starts[t]:starts[t + 1]],
                                  constants, X)
        low = np.inf
        high = -np.inf
        for i in range(n):
            if not np.isfinite(column[i]):
                return coef, np.inf
            A[i, t] = column[i]
            low = min(low, column[i])
            high = max(high, column[i])
        if high - low <= 1e-12 * max(1.0, abs(high)):
            return coef, np.inf  # a constant summand only duplicates the intercept
    coef = np.linalg.lstsq(A, y, 1e-12)[0]
    # Several summands with free coefficients imitate anything (Taylor-like
    # cancellations between sin x / x, cos x, exp ...), so their coefficients
    # are held to simple rationals p/q, q <= 4; only the intercept stays free.
    intercept = 0.0
    for t in range(k):
        best = np.round(coef[t])
        for q in range(2, 5):
            candidate = np.round(coef[t] * q) / q
            if abs(candidate - coef[t]) < abs(best - coef[t]):
                best = candidate
        coef[t] = best
    # Imitations also show as cancellation: summands far larger than the target
    # that nearly cancel (-473 x + 164 e^x + 158 sin x - 2237 cos(x)/3 ...).
    # The summands' spread may exceed the target's by MAX_CANCELLATION at most.
    mean_y = 0.0
    for i in range(n):
        mean_y += y[i]
    mean_y /= n
    spread_y = 0.0
    for i in range(n):
        spread_y += (y[i] - mean_y) ** 2
    spread_y = np.sqrt(spread_y / n)
    total = 0.0
    for t in range(k):
        mean_t = 0.0
        for i in range(n):
            mean_t += A[i, t]
        mean_t /= n
        var_t = 0.0
        for i in range(n):
            var_t += (A[i, t] - mean_t) ** 2
        total += abs(coef[t]) * np.sqrt(var_t / n)
    if spread_y > 0.0 and total > MAX_CANCELLATION * spread_y:
        return coef, np.inf
    for i in range(n):
        r = y[i]
        for t in range(k):
            r -= A[i, t] * coef[t]
        intercept += r
    coef[k] = intercept / n
    sse = 0.0
    for i in range(n):
        r = -y[i]
        for t in range(k + 1):
            r += A[i, t] * coef[t]
        residual[i] = r
        sse += r * r
    return coef, sse


@numba.njit(cache=True, nogil=True)
def solve_model(code: np.ndarray, arg: np.ndarray, starts: np.ndarray, constants: np.ndarray,
                X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """(coefficients with the intercept last, SSE) of the terms at fixed constants."""
    residual = np.empty_like(y)
    return _model(code, arg, starts, constants, X, y, residual)


@numba.njit(cache=True, nogil=True)
def fit_constants(code: np.ndarray, arg: np.ndarray, starts: np.ndarray, start: np.ndarray,
                  X: np.ndarray, y: np.ndarray, max_evaluations: int
                  ) -> tuple[np.ndarray, np.ndarray, float]:
    """Levenberg-Marquardt on the constants; returns (constants, coefficients, SSE)."""
    k = start.shape[0]
    n = y.shape[0]
    c = start.copy()
    r = np.empty(n)
    coef, cost = _model(code, arg, starts, c, X, y, r)
    if not np.isfinite(cost):
        return c, coef, cost
    used = 1
    damping = 1e-3
    J = np.empty((n, k))
    r_shift = np.empty(n)
    r_new = np.empty(n)
    while used + k + 1 <= max_evaluations and cost > 1e-30:
        finite = True
        for j in range(k):
            h = 1e-7 * max(1.0, abs(c[j]))
            shifted = c.copy()
            shifted[j] += h
            _, s = _model(code, arg, starts, shifted, X, y, r_shift)
            if not np.isfinite(s):
                finite = False
                break
            for i in range(n):
                J[i, j] = (r_shift[i] - r[i]) / h
        used += k
        if not finite:
            break
        g = J.T @ r
        H = J.T @ J
        improved = False
        small = False
        while used < max_evaluations:
            M = H.copy()
            for j in range(k):
                M[j, j] += damping * (H[j, j] + 1e-12)
            step = np.linalg.solve(M, -g)
            trial = c + step
            coef2, cost2 = _model(code, arg, starts, trial, X, y, r_new)
            used += 1
            if cost2 < cost:
                small = np.abs(step).max() <= 1e-12 * (1.0 + np.abs(trial).max())
                c = trial
                r[:] = r_new
                coef, cost = coef2, cost2
                damping = max(damping * 0.3, 1e-12)
                improved = True
                break
            damping *= 10.0
            if damping > 1e10:
                break
        if not improved or small:
            break
    return c, coef, cost


@numba.njit(cache=True, nogil=True)
def screen_subsets(G: np.ndarray, b: np.ndarray, zz: float, m: int, size: int, tol2: float,
                  capacity: int) -> np.ndarray:
    """Subsets of ``size`` (1..3) of the first ``m`` columns whose residual looks exact.

    Normal equations on the Gram matrix ``G`` of the centred, normalised
    columns (``b`` = their products with the target, ``zz`` = its squared
    norm): a screen only, confirmed by a direct solve by the caller.
    """
    out = np.full((capacity, 3), -1, dtype=np.int64)
    found = 0
    for i in range(m):
        if size == 1:
            if G[i, i] > 0.5 and zz - b[i] * b[i] / G[i, i] <= tol2:
                out[found, 0] = i
                found += 1
                if found == capacity:
                    return out
            continue
        for j in range(i + 1, m):
            a11, a12, a22 = G[i, i], G[i, j], G[j, j]
            det2 = a11 * a22 - a12 * a12
            if det2 <= 1e-10:
                continue
            if size == 2:
                x1 = (b[i] * a22 - b[j] * a12) / det2
                x2 = (b[j] * a11 - b[i] * a12) / det2
                if zz - (x1 * b[i] + x2 * b[j]) <= tol2:
                    out[found, 0] = i
                    out[found, 1] = j
                    found += 1
                    if found == capacity:
                        return out
                continue
            for k in range(j + 1, m):
                a13, a23, a33 = G[i, k], G[j, k], G[k, k]
                det = (a11 * (a22 * a33 - a23 * a23) - a12 * (a12 * a33 - a23 * a13)
                       + a13 * (a12 * a23 - a22 * a13))
                if det <= 1e-12:
                    continue
                bi, bj, bk = b[i], b[j], b[k]
                x1 = (bi * (a22 * a33 - a23 * a23) - a12 * (bj * a33 - a23 * bk)
                      + a13 * (bj * a23 - a22 * bk)) / det
                x2 = (a11 * (bj * a33 - a23 * bk) - bi * (a12 * a33 - a23 * a13)
                      + a13 * (a12 * bk - bj * a13)) / det
                x3 = (a11 * (a22 * bk - a23 * bj) - a12 * (a12 * bk - bj * a13)
                      + bi * (a12 * a23 - a22 * a13)) / det
                if zz - (x1 * bi + x2 * bj + x3 * bk) <= tol2:
                    out[found, 0] = i
                    out[found, 1] = j
                    out[found, 2] = k
                    found += 1
                    if found == capacity:
                        return out
    return out[:found]


_ready = threading.Event()
_done = threading.Event()
_start_lock = threading.Lock()
_thread: threading.Thread | None = None


def _compile_all() -> None:
    try:
        _compile_each()
        _ready.set()
    finally:
        _done.set()  # a failed compilation must not leave a waiter blocked for ever


def _compile_each() -> None:
    X = np.array([[1.0, 2.0, 3.0]])
    y = np.array([1.0, 2.0, 4.0])
    code = np.array([ADD, VAR, MUL, CONST, VAR], dtype=np.int64)
    arg = np.zeros(5, dtype=np.int64)
    constants = np.array([2.0])
    evaluate_program(code, arg, constants, X)
    solve_model(code, arg, np.array([0, 5], dtype=np.int64), constants, X, y)
    fit_constants(code, arg, np.array([0, 5], dtype=np.int64), constants, X, y, 20)
    two = np.array([0, 2, 5], dtype=np.int64)
    solve_model(np.array([VAR, VAR, MUL, CONST, VAR], dtype=np.int64), arg, two, constants, X, y)
    G = np.eye(3)
    screen_subsets(G, np.ones(3), 3.0, 3, 2, 1e-8, 4)


def warm_up(timeout: float | None) -> bool:
    """Whether every kernel is compiled, waiting at most ``timeout`` seconds for it (None: until
    it is).

    The first call starts the compilation in a daemon thread; it goes on after
    a timeout, so a later call (the next job) finds it done or further along.
    """
    global _thread
    if _ready.is_set():
        return True
    with _start_lock:
        if _thread is None:
            _thread = threading.Thread(target=_compile_all, name="sr-numba-warm-up", daemon=True)
            _thread.start()
    _done.wait(None if timeout is None else max(0.0, min(timeout, 1e6)))
    return _ready.is_set()

