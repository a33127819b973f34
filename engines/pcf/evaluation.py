"""PCF limits at high precision, for fast and slow (polynomially converging) PCFs.

A PCF ``a(0) + b(1)/(a(1) + b(2)/(...))`` with convergents ``p_n/q_n``
(docs/design.md, "Formula JSON") is evaluated exactly: the convergents are
products of 2x2 integer matrices (binary splitting,
:func:`mathdisco.engines.numerics.continued_fractions.gcf_convergent`), so no rounding
enters before the final division.  Two estimates of the limit ``L``:

``convergent``
    ``p_N/q_N``.  Exponentially or factorially converging PCFs carry hundreds
    of digits at the paper's depths.
``tail``
    the *modified approximant* (Thron & Waadeland, "Accelerating convergence of
    limit periodic continued fractions", Numer. Math. 34 (1980); Lorentzen &
    Waadeland, *Continued Fractions*, Vol. 1, Sec. 5): the tail
    ``t_N = b(N+1)/(a(N+1) + b(N+2)/(...))`` of the fraction is replaced by its
    asymptotic expansion ``w_N`` and ``L ~ (p_N + w_N p_{N-1})/(q_N + w_N q_{N-1})``.
    When ``deg b >= 2 deg a`` the tail solves ``t_n (a(n+1) + t_{n+1}) = b(n+1)``
    with ``t_n = n^(e/2) T(n^(-1/2))``, ``e = deg b``, and ``T`` is a power series
    found order by order (:func:`tail_series`).  This is what makes the paper's
    slow slice -- ``a`` constant, ``b`` quadratic, error ``~ n^(-a/sqrt(B_2))`` --
    give 60-100 digits at depth 1000 instead of 3-6.

Digits are never guessed from one evaluation: :func:`evaluate` runs a depth
ladder ``N, 2N, 4N, ...`` and counts the digits of an estimate as
``-log10 |E(2N) - E(N)|`` (the error of the *shallower* one, so a lower bound
for the deeper one while the estimates converge).  It returns the value the
search sees (``found``) and a deeper, more precise one for the check
(``check``), as the acceptance rule of :mod:`mathdisco.engines.numerics.identification`
needs.

Example
-------
>>> found, check = evaluate([1], [0, 0, 1], target_digits=40, check_digits=60)   # 1/ln 2
>>> found.method, found.digits >= 40, check.depth > found.depth, check.digits > found.digits
('tail', True, True, True)
>>> import mpmath
>>> with mpmath.workdps(80):
...     abs(check.value - 1 / mpmath.log(2)) < mpmath.mpf(10) ** -check.digits
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import mpmath
import numpy as np

from mathdisco.engines.numerics.continued_fractions import gcf_convergent

__all__ = ["PCFValue", "convergent_value", "convergents", "evaluate", "tail_series", "tail_value",
           "terms"]

#: terms of the tail expansion (truncated earlier where its terms stop shrinking)
TAIL_TERMS = 40
#: first depth of the ladder for the tail method
TAIL_START_DEPTH = 256
#: the ladder gives up when it cannot reach this many digits by ``max_depth``
USEFUL_DIGITS = 16


@dataclass(frozen=True)
class PCFValue:
    """An estimate of a PCF limit: ``value`` to ``digits`` digits, how it was computed."""

    value: mpmath.mpf
    digits: int
    depth: int
    method: str  # "convergent" | "tail"
    exact: tuple[int, int] | None = None  # (p, q) when value is the convergent p/q

    def describe(self) -> str:
        what = "tail-corrected convergent" if self.method == "tail" else "convergent"
        return f"{what} at depth {self.depth}, {self.digits} digits"


def _poly(coefficients: Sequence[int], n: int) -> int:
    value = 0
    for c in reversed(coefficients):
        value = value * n + int(c)
    return value


def _degree(coefficients: Sequence[int]) -> int:
    degree = -1
    for i, c in enumerate(coefficients):
        if c:
            degree = i
    return degree


def terms(coefficients: Sequence[int], count: int) -> list[int]:
    """``P(0), ..., P(count - 1)`` as Python integers (int64 arithmetic where it cannot overflow).

    >>> terms([1, 0, 2], 4)
    [1, 3, 9, 19]
    """
    bound = sum(abs(int(c)) for c in coefficients) * max(count, 1) ** max(len(coefficients) - 1, 0)
    if bound < 2**62:
        n = np.arange(count, dtype=np.int64)
        value = np.zeros(count, dtype=np.int64)
        for c in reversed(coefficients):
            value = value * n + int(c)
        return value.tolist()
    return [_poly(coefficients, n) for n in range(count)]


def convergents(a: Sequence[int], b: Sequence[int], depth: int):
    """``(p_N, q_N, p_{N-1}, q_{N-1})`` at ``N = depth``, exactly."""
    return gcf_convergent(terms(a, depth + 1), terms(b, depth + 1))


def convergent_value(a: Sequence[int], b: Sequence[int], depth: int, dps: int) -> PCFValue:
    """``p_N/q_N`` with ``digits = -log10|p_N/q_N - p_{N-1}/q_{N-1}|`` (at most ``dps``).

    >>> v = convergent_value([1, 2], [0, 0, 1], 400, 60)       # 4/pi
    >>> v.digits, v.method
    (60, 'convergent')
    """
    p, q, p_prev, q_prev = convergents(a, b, depth)
    with mpmath.workdps(dps + 10):
        if q == 0 or q_prev == 0:
            return PCFValue(mpmath.nan, 0, depth, "convergent")
        value = mpmath.mpf(p) / q
        step = abs(mpmath.mpf(p * q_prev - p_prev * q) / (mpmath.mpf(q) * q_prev))
        digits = dps if step == 0 else int(min(dps, max(0, -mpmath.log10(step) - 1)))
    return PCFValue(value, digits, depth, "convergent")


def tail_series(a: Sequence[int], b: Sequence[int], count: int = TAIL_TERMS,
                dps: int = 60) -> tuple[int, list[mpmath.mpf]] | None:
    """``(e, tau)`` with ``t_n ~ n^(e/2) sum_k tau_k n^(-k/2)``, or None when it does not apply.

    It applies when ``deg b >= 2 deg a`` and the leading equation
    ``tau_0^2 + alpha tau_0 - beta = 0`` (``alpha`` the lead of ``a`` when
    ``deg b = 2 deg a``, else 0; ``beta`` the lead of ``b``) has two distinct
    real roots; the root taken makes ``a + t`` large (the tail of a convergent
    fraction), and every further order is a linear equation in one unknown.

    >>> e, tau = tail_series([1], [0, 0, 1], count=4)     # a = 1, b = n^2: t_n ~ n + 1/(2n)
    >>> e, [float(t) for t in tau]
    (2, [1.0, 0.0, 0.0, 0.0, 0.5])
    """
    da, db = _degree(a), _degree(b)
    if da < 0 or db < 0 or db < 2 * da or db == 0:
        return None
    e = db
    with mpmath.workdps(dps + 10):
        alpha = mpmath.mpf(a[da]) if db == 2 * da else mpmath.mpf(0)
        beta = mpmath.mpf(b[db])
        disc = alpha * alpha + 4 * beta
        if disc <= 0:
            return None  # complex roots (oscillation) or a double root (degenerate)
        sign = 1 if (alpha > 0 or (alpha == 0 and a[da] > 0)) else -1
        tau0 = (-alpha + sign * mpmath.sqrt(disc)) / 2
        # y^e a(n+1) and y^(2e) b(n+1) as power series in y = n^(-1/2)
        a_series = _shifted_poly_series(a, e, count)
        b_series = _shifted_poly_series(b, 2 * e, count)
        # binom((e - k)/2, j): u_m = sum_k tau_k binom((e - k)/2, (m - k)/2)
        tau = [tau0] + [mpmath.mpf(0)] * count
        u = [mpmath.mpf(0)] * (count + 1)
        for m, binomial in zip(range(0, count + 1, 2), _binomials(e, count // 2 + 1), strict=False):
            u[m] += tau0 * binomial
        jacobian = (a_series[0] + u[0]) + tau0
        for k in range(1, count + 1):
            residual = sum(tau[i] * (a_series[k - i] + u[k - i]) for i in range(k + 1)) - b_series[k]
            tau[k] = -residual / jacobian
            for m, binomial in zip(range(k, count + 1, 2), _binomials(e - k, (count - k) // 2 + 1),
                                   strict=False):
                u[m] += tau[k] * binomial
    return e, tau


def _binomials(twice_s: int, count: int) -> list[mpmath.mpf]:
    """``binom(s, j)`` for ``j = 0 .. count - 1``, ``s = twice_s / 2`` (current precision)."""
    s = mpmath.mpf(twice_s) / 2
    out, value = [], mpmath.mpf(1)
    for j in range(count):
        out.append(value)
        value = value * (s - j) / (j + 1)
    return out


def _shifted_poly_series(coefficients: Sequence[int], power: int, terms: int) -> list[mpmath.mpf]:
    """``y^power * P(n + 1)`` with ``n = y^-2``, as coefficients of ``y^0 .. y^terms``."""
    out = [mpmath.mpf(0)] * (terms + 1)
    for i, c in enumerate(coefficients):
        if not c:
            continue
        # c (1 + y^2)^i y^(power - 2i)
        for j in range(i + 1):
            m = power - 2 * i + 2 * j
            if 0 <= m <= terms:
                out[m] += c * mpmath.binomial(i, j)
    return out


def _tail_at(e: int, tau: Sequence[mpmath.mpf], n: int) -> mpmath.mpf:
    """The truncated expansion at ``n``, cut where its terms stop decreasing."""
    y = 1 / mpmath.sqrt(n)
    total, smallest, power = mpmath.mpf(0), mpmath.inf, mpmath.mpf(1)
    for t in tau:
        term = t * power
        if t != 0:
            size = abs(term)
            if size > smallest and size > 0:
                break
            smallest = size
        total += term
        power *= y
    return total * mpmath.sqrt(n) ** e


def tail_value(a: Sequence[int], b: Sequence[int], depth: int, dps: int,
               series: tuple[int, list[mpmath.mpf]] | None = None) -> mpmath.mpf | None:
    """The modified approximant ``(p_N + w p_{N-1})/(q_N + w q_{N-1})`` (None if it does not apply)."""
    series = series or tail_series(a, b, dps=dps)
    if series is None:
        return None
    p, q, p_prev, q_prev = convergents(a, b, depth)
    with mpmath.workdps(dps + 10):
        w = _tail_at(series[0], series[1], depth)
        denominator = q + w * q_prev
        if denominator == 0:
            return None
        return (p + w * p_prev) / denominator


def _digits(x: mpmath.mpf, y: mpmath.mpf, cap: int) -> int:
    difference = abs(x - y)
    if difference == 0:
        return cap
    scale = max(abs(x), mpmath.mpf(1))
    return int(min(cap, max(0, -mpmath.log10(difference / scale) - 1)))


def evaluate(a: Sequence[int], b: Sequence[int], *, target_digits: int, check_digits: int,
             start_depth: int | None = None, max_depth: int = 65_536,
             ) -> tuple[PCFValue, PCFValue]:
    """``(found, check)`` estimates of the limit from a depth ladder (module docstring).

    ``found`` is the first ladder estimate with ``target_digits`` (capped
    there), ``check`` the next, deeper one with up to ``check_digits``; the
    ladder stops at ``max_depth`` with whatever digits it reached.  The tail
    method is used where it applies, plain convergents elsewhere.
    """
    dps = check_digits + 20
    series = tail_series(a, b, dps=dps)
    method = "tail" if series is not None else "convergent"
    depth = start_depth or (TAIL_START_DEPTH if series is not None else 1024)

    def estimate(n: int) -> mpmath.mpf | None:
        if series is not None:
            return tail_value(a, b, n, dps, series)
        p, q, _, _ = convergents(a, b, n)
        if q == 0:
            return None
        with mpmath.workdps(dps + 10):
            return mpmath.mpf(p) / q

    previous = estimate(depth)
    history: list[tuple[int, mpmath.mpf, int]] = []  # (depth, estimate, digits)
    while depth < max_depth:
        depth *= 2
        current = estimate(depth)
        if current is None or previous is None or not mpmath.isfinite(current):
            previous = current
            continue
        with mpmath.workdps(dps + 10):
            history.append((depth, current, _digits(current, previous, check_digits)))
        previous = current
        if len(history) >= 2 and history[-2][2] >= target_digits and history[-1][2] > history[-2][2]:
            break
        if len(history) >= 2:  # stop spending when max_depth cannot bring useful digits
            gain = history[-1][2] - history[-2][2]
            doublings = math.log2(max_depth / depth)
            if history[-1][2] + max(gain, 0) * doublings < USEFUL_DIGITS:
                break
    if not history:
        nan = mpmath.mpf("nan")
        return PCFValue(nan, 0, depth, method), PCFValue(nan, 0, depth, method)
    if len(history) == 1:
        depth_f, value_f, digits_f = history[0]
        found = PCFValue(value_f, min(digits_f, target_digits), depth_f, method)
        return found, PCFValue(value_f, min(digits_f, target_digits), depth_f, method)
    # the first estimate with target digits, or the last-but-one
    k = next((i for i, h in enumerate(history[:-1]) if h[2] >= target_digits), len(history) - 2)
    depth_f, value_f, digits_f = history[k]
    depth_c, value_c, digits_c = history[k + 1]
    return (PCFValue(value_f, min(digits_f, target_digits), depth_f, method),
            PCFValue(value_c, min(digits_c, check_digits), depth_c, method))
