"""Convergence-dynamics features of polynomial continued fractions.

Implements the per-PCF metrics of Shalyt, Seligmann, Beit Halachmi, David,
Elimelech & Kaminer, "Unsupervised Discovery of Formulas for Mathematical
Constants" (NeurIPS 2024, arXiv 2412.16818), Sec. 3 and the released
Blind-Delta code, with reference depth ``N`` (``depth``, paper: 2000), sample
depth ``n* = N / 2`` and sample points ``{6, n*/8, n*/4, n*/2, n*}``.
``L̂ = p_N / q_N`` is the blind limit estimate, ``g_n = gcd(p_n, q_n)`` and
``q̃_n = q_n / g_n`` the reduced denominator.

Feature columns (:data:`FEATURE_COLUMNS`):

``limit``
    ``L̂`` as a double.
``digits``
    ``-log10|p_N/q_N - p_{N-1}/q_{N-1}|``: digits the depth-``N`` convergent
    carries (ramanujantools' ``Limit.precision``).
``digits_per_term``
    ``-log10|L̂ - p_{n*}/q_{n*}| / n*``.
``delta_naive``
    ``-ln|L̂ - p_{n*}/q_{n*}| / ln|q_{n*}| - 1``.
``delta``
    the irrationality-measure estimate with factorial reduction (paper Eq. 3):
    ``-ln|L̂ - p_{n*}/q_{n*}| / ln|q̃_{n*}| - 1``.
``gamma_prime``, ``eta_prime``
    least-squares fit ``ln q̃_n = γ′ n + η′ n ln n`` on the 5 sample points,
    refitted with ``η′ = 0`` when ``|η′| < 0.05`` (paper Sec. 3.2, Table 2).
``beta``, ``gamma``, ``eta``
    least-squares fit of the convergence law
    ``ln|L̂ - p_n/q_n| = β ln n + γ n + η n ln n`` on the same points.
``log_eigen_ratio``
    ``ln|λ_1/λ_2|`` of the companion matrix ``[[0, b(n)], [1, a(n)]]`` at
    ``n = 10^9`` (dominant over subdominant eigenvalue, so ``>= 0``).
``delta_pred``
    the δ-predictor (paper Eq. 5):
    ``n ln|λ_1/λ_2| / (γ′ n + η′ n ln n) - 1`` at ``n = 10^9``.

The fits are linear in their parameters, so the exact least-squares solution
replaces the original code's iterative ``curve_fit`` (same optimum).

Example
-------
>>> import numpy as np
>>> table = pcf_features(np.array([[1, 2]]), np.array([[0, 0, 1]]), depth=2000)
>>> round(float(table["delta"][0]), 4), round(float(table["delta_naive"][0]), 4)
(-0.2022, -0.7405)
"""

from __future__ import annotations

import math

import gmpy2
import numpy as np

from mathdisco.engines.pcf.recurrences import (
    STATUS_OK,
    STATUS_ZERO_DENOMINATOR,
    exact_convergents_batch,
    float_dynamics_batch,
)

FEATURE_COLUMNS = (
    "limit", "digits", "digits_per_term", "delta_naive", "delta",
    "gamma_prime", "eta_prime", "beta", "gamma", "eta",
    "log_eigen_ratio", "delta_pred",
)
#: one-line definitions, carried in every result so that it is self-describing.
FEATURE_DEFINITIONS = {
    "limit": "L^ = p_N/q_N, the blind limit estimate at the reference depth N",
    "digits": "-log10|p_N/q_N - p_{N-1}/q_{N-1}|",
    "digits_per_term": "-log10|L^ - p_n*/q_n*| / n*, n* = N/2",
    "delta_naive": "-ln|L^ - p_n*/q_n*| / ln|q_n*| - 1",
    "delta": "-ln|L^ - p_n*/q_n*| / ln(|q_n*|/gcd(p_n*, q_n*)) - 1 (paper Eq. 3)",
    "gamma_prime": "gamma' of the least-squares fit ln q~_n = gamma' n + eta' n ln n "
                   "on n in {6, n*/8, n*/4, n*/2, n*}; refit with eta' = 0 if |eta'| < 0.05",
    "eta_prime": "eta' of the same fit (0 after the refit)",
    "beta": "beta of the fit ln|L^ - p_n/q_n| = beta ln n + gamma n + eta n ln n (same points)",
    "gamma": "gamma of that convergence-law fit",
    "eta": "eta of that convergence-law fit",
    "log_eigen_ratio": "ln|lambda_1/lambda_2| of [[0, b(n)], [1, a(n)]] at n = 1e9",
    "delta_pred": "n ln|lambda_1/lambda_2| / (gamma' n + eta' n ln n) - 1 at n = 1e9 "
                  "(paper Eq. 5)",
}
STATUS_DIVERGENT = 2
STATUS_COMPLEX_EIGENVALUES = 3
STATUS_RATIONAL = 5
STATUS_NAMES = {
    STATUS_OK: "ok",
    1: "terminating",  # b(n) has a positive integer root: the value is rational
    STATUS_DIVERGENT: "divergent",
    STATUS_COMPLEX_EIGENVALUES: "complex_eigenvalues",
    STATUS_ZERO_DENOMINATOR: "zero_denominator",
    STATUS_RATIONAL: "rational",
}
#: "n -> infinity" stand-in for the eigenvalue ratio and the δ-predictor.
PREDICTOR_N = 1e9
#: |L̂| at or above this counts as divergent (as in the Blind-Delta code).
DIVERGENCE_BOUND = 1000.0
#: |η′| below this: refit ln q̃_n with η′ = 0.
ETA_PRIME_REFIT = 0.05


def sample_points(depth: int) -> np.ndarray:
    """The five sample indices ``{6, n*/8, n*/4, n*/2, n*}``, ``n* = depth // 2``."""
    n_star = depth // 2
    return np.array([6, n_star // 8, n_star // 4, n_star // 2, n_star], dtype=np.int64)


def _log_gcds(blob: np.ndarray, offsets: np.ndarray, signs: np.ndarray,
              last: list | None = None) -> np.ndarray:
    """``ln gcd(p_n, q_n)`` per PCF and sample point (``nan`` where ``q_n = 0``).

    With ``last``, ``(p_n*, q_n*)`` of every PCF is appended to it (signed
    gmpy2 integers; None where ``q_n* = 0``).
    """
    batch, n_samples = signs.shape[:2]
    out = np.full((batch, n_samples), np.nan)
    raw = blob.tobytes()
    from_bytes = int.from_bytes
    mpz, gcd, log = gmpy2.mpz, gmpy2.gcd, math.log
    for r in range(batch):
        for s in range(n_samples):
            if signs[r, s, 1] == 0:
                continue
            (ps, pe), (qs, qe) = offsets[r, s]
            p_n, q_n = mpz(from_bytes(raw[ps:pe], "little")), mpz(from_bytes(raw[qs:qe], "little"))
            if last is not None and s == n_samples - 1:
                last[r] = (p_n if signs[r, s, 0] >= 0 else -p_n,
                           q_n if signs[r, s, 1] >= 0 else -q_n)
            g = gcd(p_n, q_n)
            # ln g from its leading 53 bits and its bit length
            bits = g.bit_length()
            if bits <= 1000:
                out[r, s] = log(int(g))
            else:
                shift = bits - 64
                out[r, s] = log(int(g >> shift)) + shift * math.log(2)
    return out


def _poly_at(coeffs: np.ndarray, x: float) -> np.ndarray:
    value = np.zeros(coeffs.shape[0])
    for i in range(coeffs.shape[1] - 1, -1, -1):
        value = value * x + coeffs[:, i]
    return value


def eigenvalue_log_ratio(a_coeffs: np.ndarray, b_coeffs: np.ndarray,
                         n: float = PREDICTOR_N) -> tuple[np.ndarray, np.ndarray]:
    """``ln|λ_1/λ_2|`` of ``[[0, b(n)], [1, a(n)]]`` and a complex-eigenvalue mask.

    With ``A = a(n)``, ``B = b(n)``: ``λ = (A ± sqrt(A^2 + 4B)) / 2``, and
    ``|λ_1 λ_2| = |B|``, so ``ln|λ_1/λ_2| = 2 ln|λ_1| - ln|B|`` without the
    cancellation of ``A - sqrt(D)``.
    """
    big_a = _poly_at(np.asarray(a_coeffs, dtype=float), n)
    big_b = _poly_at(np.asarray(b_coeffs, dtype=float), n)
    disc = big_a * big_a + 4.0 * big_b
    complex_mask = disc < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lam1 = (np.abs(big_a) + np.sqrt(np.where(complex_mask, 0.0, disc))) / 2.0
        ratio = 2.0 * np.log(lam1) - np.log(np.abs(big_b))
    ratio = np.where(complex_mask, np.nan, np.maximum(ratio, 0.0))
    return ratio, complex_mask


def _fit(design: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Row-wise least squares: design (k, m) shared, y (batch, k) -> (batch, m)."""
    solution, *_ = np.linalg.lstsq(design, y.T, rcond=None)
    return solution.T


def pcf_features(a_coeffs, b_coeffs, depth: int = 2000,
                 with_exact: bool = False) -> dict[str, np.ndarray]:
    """The feature table of a batch of PCFs (see the module docstring).

    Parameters
    ----------
    a_coeffs, b_coeffs : integer arrays (batch, degree + 1), lowest degree first,
        with ``|a(n)|, |b(n)| < 2^62`` for ``n <= depth``.
    depth : reference depth N (sample depth N // 2); at least 100.
    with_exact : also return ``exact``: ``(p_n*, q_n*)`` per row, the exact
        convergent at the sample depth (None where ``q_n* = 0``).

    Returns
    -------
    dict with one float array per :data:`FEATURE_COLUMNS` entry and an int
    array ``status`` (codes in :data:`STATUS_NAMES`).  A row whose status is
    not ``ok`` may hold ``nan`` in some columns.
    """
    a = np.ascontiguousarray(a_coeffs, dtype=np.int64)
    b = np.ascontiguousarray(b_coeffs, dtype=np.int64)
    samples = sample_points(depth)
    n_star = samples[-1]
    log_q, log_err, limit, log_last_step, status = float_dynamics_batch(a, b, depth, samples)
    blob, offsets, signs = exact_convergents_batch(a, b, samples)
    exact: list | None = [None] * len(a) if with_exact else None
    log_g = _log_gcds(blob, offsets, signs, exact)
    status = status.copy()
    status[(signs[:, :, 1] == 0).any(axis=1)] = STATUS_ZERO_DENOMINATOR
    log_q_reduced = log_q - log_g

    ln10 = math.log(10.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        err_star = log_err[:, -1]
        delta_naive = -err_star / log_q[:, -1] - 1.0
        delta = -err_star / log_q_reduced[:, -1] - 1.0
        digits = -log_last_step / ln10
        digits_per_term = -err_star / ln10 / n_star

    n = samples.astype(float)
    n_log_n = n * np.log(n)
    growth_ok = np.isfinite(log_q_reduced).all(axis=1)
    gamma_prime = np.full(len(a), np.nan)
    eta_prime = np.full(len(a), np.nan)
    if growth_ok.any():
        two = _fit(np.column_stack([n, n_log_n]), log_q_reduced[growth_ok])
        one = _fit(n[:, None], log_q_reduced[growth_ok])[:, 0]
        refit = np.abs(two[:, 1]) < ETA_PRIME_REFIT
        gamma_prime[growth_ok] = np.where(refit, one, two[:, 0])
        eta_prime[growth_ok] = np.where(refit, 0.0, two[:, 1])

    err_ok = np.isfinite(log_err).all(axis=1)
    beta = np.full(len(a), np.nan)
    gamma = np.full(len(a), np.nan)
    eta = np.full(len(a), np.nan)
    if err_ok.any():
        law = _fit(np.column_stack([np.log(n), n, n_log_n]), log_err[err_ok])
        beta[err_ok], gamma[err_ok], eta[err_ok] = law.T

    log_eigen_ratio, complex_mask = eigenvalue_log_ratio(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        big_n = PREDICTOR_N
        delta_pred = (big_n * log_eigen_ratio
                      / (gamma_prime * big_n + eta_prime * big_n * math.log(big_n)) - 1.0)

    ok = status == STATUS_OK
    status[ok & ~(np.isfinite(limit) & (np.abs(limit) < DIVERGENCE_BOUND))] = STATUS_DIVERGENT
    # an exactly-reached limit (zero error) or a reduced denominator of 1 is rational
    ok = status == STATUS_OK
    status[ok & ((err_star == -np.inf) | (log_q_reduced[:, -1] <= 0.0))] = STATUS_RATIONAL
    ok = status == STATUS_OK
    status[ok & complex_mask] = STATUS_COMPLEX_EIGENVALUES
    return {
        "limit": limit, "digits": digits, "digits_per_term": digits_per_term,
        "delta_naive": delta_naive, "delta": delta,
        "gamma_prime": gamma_prime, "eta_prime": eta_prime,
        "beta": beta, "gamma": gamma, "eta": eta,
        "log_eigen_ratio": log_eigen_ratio, "delta_pred": delta_pred,
        "status": status,
    } | ({"exact": exact} if with_exact else {})
