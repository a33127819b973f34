"""Berlekamp-Massey: the shortest linear recurrence of a sequence.

For a sequence ``s_0..s_{N-1}`` Berlekamp-Massey (Massey, IEEE Trans. Inf.
Theory 15 (1969)) finds the connection polynomial ``C(x) = 1 + c_1 x + ... + c_L x^L``
of least length ``L`` with

    s_i + c_1 s_{i-1} + ... + c_L s_{i-L} = 0   for L <= i < N.

Two versions: :func:`berlekamp_massey` exact over the rationals (gmpy2 ``mpq``),
and :func:`linear_complexity_mod` / :func:`berlekamp_massey_mod`, a numba
kernel over the prime field GF(p) that screens many sequences at once.  Working
mod p can only lower ``L`` (it fails when p divides a leading coefficient), so
the screen is a filter and the exact version confirms.  A recurrence found from
``N`` terms is determined uniquely when ``N >= 2L``; the ``N - 2L`` further terms
it predicted correctly are its *confirmations*.

Interlaced polynomial sequences (period K, degree d, pre-period t) are exactly
those whose ``C(x)`` is ``x^t``-shifted and divides ``(1 - x^K)^(d+1)`` — the
observation the ESMA algorithm rests on (Razon et al., ICML 2023, Sec. 3,
"Massey" step); :func:`quasi_polynomial_shape` reads (t, K, d) off ``C``.

Examples
--------
>>> from mathdisco.engines.numerics.berlekamp_massey import berlekamp_massey, quasi_polynomial_shape
>>> r = berlekamp_massey([1, 2, 3, 2, 5, 2, 7, 2, 9, 2, 11, 2])   # e/(e-1), signs (+,-)
>>> r.connection, r.length, r.confirmations
([1, 0, -2, 0, 1], 4, 4)
>>> quasi_polynomial_shape(r.connection)
(0, 2, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import gcd

import numpy as np
import sympy
from gmpy2 import mpq
from numba import njit

#: the default prime of the modular screen: 2^31 - 1, so products fit in int64.
DEFAULT_PRIME = 2_147_483_647


@dataclass(frozen=True)
class Recurrence:
    """The shortest recurrence of the first ``terms_used`` terms of a sequence.

    ``connection`` is ``[1, c_1, ..., c_L]`` (ints where integral, else Fractions),
    trailing zeros kept (they encode a pre-period).
    """

    connection: list[int | Fraction]
    length: int
    terms_used: int

    @property
    def confirmations(self) -> int:
        """Terms beyond the ``2L`` that determine the recurrence, all predicted correctly."""
        return self.terms_used - 2 * self.length

    @property
    def is_integral(self) -> bool:
        return all(isinstance(c, int) for c in self.connection)


def _as_number(value: mpq) -> int | Fraction:
    if value.denominator == 1:
        return int(value.numerator)
    return Fraction(int(value.numerator), int(value.denominator))


def berlekamp_massey(sequence: Sequence[int | Fraction]) -> Recurrence:
    """Exact Berlekamp-Massey over Q.

    Parameters
    ----------
    sequence : integers or rationals ``s_0..s_{N-1}``.

    Returns
    -------
    Recurrence with the minimal connection polynomial (length ``L + 1``).

    Examples
    --------
    >>> berlekamp_massey([1, 1, 2, 3, 5, 8, 13, 21]).connection   # Fibonacci
    [1, -1, -1]
    >>> berlekamp_massey([2, 1, 2, 1, 1, 4, 1, 1, 6, 1, 1, 8, 1, 1, 10, 1, 1, 12]).connection
    [1, 0, 0, -2, 0, 0, 1, 0]
    """
    s = [mpq(v.numerator, v.denominator) if isinstance(v, Fraction) else mpq(v) for v in sequence]
    c: list[mpq] = [mpq(1)]
    b: list[mpq] = [mpq(1)]
    length, shift, last_discrepancy = 0, 1, mpq(1)
    for n in range(len(s)):
        discrepancy = s[n]
        for i in range(1, length + 1):
            if c[i]:
                discrepancy += c[i] * s[n - i]
        if discrepancy == 0:
            shift += 1
            continue
        factor = discrepancy / last_discrepancy
        previous = list(c)
        needed = len(b) + shift
        if len(c) < needed:
            c.extend([mpq(0)] * (needed - len(c)))
        for i, coefficient in enumerate(b):
            if coefficient:
                c[i + shift] -= factor * coefficient
        if 2 * length <= n:
            length = n + 1 - length
            b, last_discrepancy, shift = previous, discrepancy, 1
        else:
            shift += 1
    c = (c + [mpq(0)] * (length + 1))[: length + 1]
    return Recurrence([_as_number(v) for v in c], length, len(s))


@njit(cache=True)
def _inverse_mod(value: np.int64, prime: np.int64) -> np.int64:
    result = np.int64(1)
    base = value % prime
    exponent = prime - 2
    while exponent > 0:
        if exponent & 1:
            result = (result * base) % prime
        base = (base * base) % prime
        exponent >>= 1
    return result


@njit(cache=True)
def _bm_mod_kernel(rows: np.ndarray, prime: np.int64, lengths: np.ndarray,
                   connections: np.ndarray) -> None:
    count, n_terms = rows.shape
    for r in range(count):
        s = rows[r]
        c = np.zeros(n_terms + 1, dtype=np.int64)
        b = np.zeros(n_terms + 1, dtype=np.int64)
        previous = np.zeros(n_terms + 1, dtype=np.int64)
        c[0] = 1
        b[0] = 1
        length = 0
        shift = 1
        last = np.int64(1)
        for n in range(n_terms):
            d = s[n]
            for i in range(1, length + 1):
                d = (d + c[i] * s[n - i]) % prime
            if d == 0:
                shift += 1
                continue
            factor = (d * _inverse_mod(last, prime)) % prime
            for i in range(n_terms + 1):
                previous[i] = c[i]
            for i in range(n_terms + 1 - shift):
                if b[i] != 0:
                    c[i + shift] = (c[i + shift] - factor * b[i]) % prime
            if 2 * length <= n:
                length = n + 1 - length
                for i in range(n_terms + 1):
                    b[i] = previous[i]
                last = d
                shift = 1
            else:
                shift += 1
        lengths[r] = length
        for i in range(n_terms + 1):
            connections[r, i] = c[i]


def _reduce(sequences: Sequence[Sequence[int]], prime: int) -> np.ndarray:
    if not 2 < prime < 2**31:
        raise ValueError("the prime must be in (2, 2^31) so products fit in int64")
    return np.array([[int(v) % prime for v in seq] for seq in sequences], dtype=np.int64)


def linear_complexity_mod(sequences: Sequence[Sequence[int]], prime: int = DEFAULT_PRIME,
                          *, chunk: int = 256) -> list[int]:
    """Linear complexity ``L`` over GF(prime) of each (equal-length) integer sequence.

    A screen: the true ``L`` over Q is at least this.  Calls the numba kernel on
    ``chunk`` sequences at a time, so each uninterruptible call stays short.

    Examples
    --------
    >>> linear_complexity_mod([[1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 5, 8], [3, 1, 4, 1, 5, 9]])
    [2, 2, 3]
    """
    return [length for length, _ in _bm_mod(sequences, prime, chunk)]


def berlekamp_massey_mod(sequence: Sequence[int], prime: int = DEFAULT_PRIME) -> Recurrence:
    """Berlekamp-Massey over GF(prime), coefficients lifted to (-prime/2, prime/2].

    >>> berlekamp_massey_mod([1, 2, 3, 2, 5, 2, 7, 2, 9, 2], prime=199).connection
    [1, 0, -2, 0, 1]
    """
    (length, connection), = _bm_mod([sequence], prime, 1)
    lifted = [int(c) - prime if c > prime // 2 else int(c) for c in connection[: length + 1]]
    return Recurrence(lifted, length, len(sequence))


def _bm_mod(sequences: Sequence[Sequence[int]], prime: int, chunk: int):
    if not sequences:
        return []
    rows = _reduce(sequences, prime)
    n_terms = rows.shape[1]
    results = []
    for start in range(0, len(rows), chunk):
        block = np.ascontiguousarray(rows[start:start + chunk])
        lengths = np.zeros(len(block), dtype=np.int64)
        connections = np.zeros((len(block), n_terms + 1), dtype=np.int64)
        _bm_mod_kernel(block, np.int64(prime), lengths, connections)
        results.extend((int(lengths[i]), connections[i].tolist()) for i in range(len(block)))
    return results


# ---------------------------------------------------------------------------
# reading the interlaced-polynomial shape off a connection polynomial
# ---------------------------------------------------------------------------

def quasi_polynomial_shape(connection: Sequence[int | Fraction], *, max_period: int = 64
                           ) -> tuple[int, int, int] | None:
    """``(preperiod, period, degree)`` when ``C`` describes an interlaced polynomial sequence.

    ``C(x) = C'(x) x^t``-style trailing zeros give the pre-period ``t``; then the
    smallest ``K`` and ``e`` with ``C'(x) | (1 - x^K)^e`` give period ``K`` and degree
    ``e - 1``.  Returns None when ``C'`` has a non-cyclotomic factor (a genuine
    linear recurrence, not a quasi-polynomial).

    Examples
    --------
    >>> quasi_polynomial_shape([1, 0, 0, -2, 0, 0, 1, 0])   # e's simple CF
    (1, 3, 1)
    >>> quasi_polynomial_shape([1, -1, -1]) is None          # Fibonacci
    True
    """
    coefficients = [Fraction(c) for c in connection]
    if any(c.denominator != 1 for c in coefficients):
        return None  # a product of cyclotomic polynomials is integral
    return _integral_shape(tuple(int(c) for c in coefficients), max_period)


@lru_cache(maxsize=8192)  # a search meets the same few connection polynomials again and again
def _integral_shape(connection: tuple[int, ...], max_period: int) -> tuple[int, int, int] | None:
    coefficients = list(connection)
    preperiod = 0
    while len(coefficients) > 1 and coefficients[-1] == 0:
        coefficients.pop()
        preperiod += 1
    if len(coefficients) == 1:
        return (preperiod, 1, -1)  # the zero sequence after the pre-period
    if abs(coefficients[-1]) != 1:
        return None  # a product of cyclotomic polynomials has leading coefficient +-1
    x = sympy.Symbol("x")
    polynomial = sympy.Poly(list(reversed(coefficients)), x)
    period, multiplicity = 1, 0
    for factor, power in polynomial.factor_list()[1]:
        order = _cyclotomic_order(factor, x)
        if order is None:
            return None
        period = period * order // gcd(period, order)
        multiplicity = max(multiplicity, power)
    if period > max_period:
        return None
    return (preperiod, period, multiplicity - 1)


def _cyclotomic_order(factor: sympy.Poly, x: sympy.Symbol) -> int | None:
    """m when the irreducible ``factor`` is +-Phi_m, else None (phi(m) >= sqrt(m/2))."""
    degree = factor.degree()
    for m in range(1, 2 * degree * degree + 3):
        if sympy.totient(m) == degree:
            cyclotomic = sympy.Poly(sympy.cyclotomic_poly(m, x), x)
            if factor == cyclotomic or factor == -cyclotomic:
                return m
    return None
