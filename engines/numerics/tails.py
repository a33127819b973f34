"""Continued-fraction tails: integer Möbius relations by lookup (Serret's theorem).

Two irrationals ``x, y`` satisfy ``x = (p y + q)/(r y + s)`` with
``ps - qr = ±1`` exactly when their simple continued fractions have the same
tail (Serret, 1866; Hardy & Wright, *An Introduction to the Theory of
Numbers*, Thm. 175).  Any integer matrix ``M`` of determinant ``D != 0`` is
``U H`` with ``U`` unimodular and ``H = [[a, b], [0, d]]`` in Hermite normal
form (``ad = |D|``, ``0 <= b < d``; there are ``sigma(|D|)`` of them).  So
``x = M K`` for a constant ``K`` means that ``x`` and ``(a K + b)/d`` share a
tail, for one of finitely many ``H``.

:class:`TailIndex` expands the images ``(a K + b)/d`` of the basis constants,
for every primitive Hermite form with ``ad <= max_det``, and indexes windows of
``window`` consecutive partial quotients starting at positions
``0 .. positions - 1``.  A number's partial quotients are then looked up
window by window; a hit at position ``i`` of ``x`` and ``j`` of the image
gives ``x = P_i(t)``, ``(aK + b)/d = Q_j(t)`` with the same tail ``t``, hence
the exact integer matrix ``x = P_i Q_j^{-1} H (K)`` -- a candidate relation
in microseconds, to be judged by :func:`mathdisco.engines.numerics.identification.judge`
like any other.

Quadratic irrationals are the numbers with an eventually periodic expansion
(Lagrange); :func:`periodic_quadratic` reads the quadratic equation off a
detected period.

Example
-------
>>> import mpmath
>>> index = TailIndex.build(["pi", "e"], max_det=20, positions=8, window=8)
>>> with mpmath.workdps(60):
...     x = 6 / (3 * mpmath.pi - 8)          # reference case 20 of the PCF notes
>>> pqs = interval_partial_quotients(*rational_interval(x, 50), 40)
>>> sorted({(name, m) for name, m in index.relations(pqs)})[0]
('pi', ((0, 6), (3, -8)))
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import mpmath
import numba
import numpy as np

from mathdisco.engines.numerics.constants import constant_value

__all__ = [
    "TailIndex",
    "exact_interval",
    "hermite_forms",
    "interval_partial_quotients",
    "matrix_product",
    "periodic_quadratic",
    "prefix_matrix",
    "rational_interval",
    "simplest_rational",
]

Matrix = tuple[tuple[int, int], tuple[int, int]]

#: bits to which the basis constants are expanded (about 77 digits: beyond any window)
_BITS = 256


def hermite_forms(max_det: int) -> Iterator[tuple[int, int, int]]:
    """``(a, b, d)``: the primitive Hermite forms ``[[a, b], [0, d]]`` with ``a d <= max_det``.

    ``0 <= b < d`` and ``gcd(a, b, d) = 1`` (a common factor does not change
    the Möbius map); there are ``psi(D) = D prod_{p | D} (1 + 1/p)`` of
    determinant ``D``.

    >>> len(list(hermite_forms(4)))      # psi(1) + psi(2) + psi(3) + psi(4)
    14
    """
    for det in range(1, max_det + 1):
        for a in range(1, det + 1):
            if det % a == 0:
                d = det // a
                for b in range(d):
                    if math.gcd(a, b, d) == 1:
                        yield a, b, d


def rational_interval(x: mpmath.mpf, digits: int) -> tuple[int, int, int]:
    """``(lo, hi, den)``: integers with ``lo/den <= x - 10^-digits*(|x|+1)`` ... a safe bracket.

    The bracket ``[lo/den, hi/den]`` contains every number within
    ``10^-digits (|x| + 1)`` of ``x``.
    """
    bits = int(digits * 3.33) + 16
    den = 1 << bits
    with mpmath.workdps(digits + 20):
        centre = int(mpmath.floor(x * den))
        radius = int(mpmath.ceil((abs(x) + 1) * den * mpmath.mpf(10) ** (-digits))) + 1
    return centre - radius, centre + radius + 1, den


def exact_interval(p: int, q: int, digits: int) -> tuple[int, int, int]:
    """:func:`rational_interval` for the exact rational ``p/q``, in integer arithmetic only.

    >>> lo, hi, den = exact_interval(355, 113, 6)
    >>> lo / den < 355 / 113 < hi / den, (hi - lo) / den < 1e-5
    (True, True)
    """
    p, q = (int(p), int(q)) if q > 0 else (-int(p), -int(q))
    bits = int(digits * 3.33) + 16
    centre = (p << bits) // q
    radius = (((abs(p) // q + 1) << bits) // _power_of_ten(digits)) + 1
    return centre - radius, centre + radius + 1, 1 << bits


@functools.lru_cache(maxsize=64)
def _power_of_ten(digits: int) -> int:
    return 10**digits


def interval_partial_quotients(lo: int, hi: int, den: int, max_terms: int) -> list[int]:
    """The partial quotients shared by every real in ``[lo/den, hi/den]`` (at most ``max_terms``).

    Both ends are expanded by the Euclidean algorithm in step; a partial
    quotient is kept only when both ends agree on it, so none is ever wrong.

    >>> interval_partial_quotients(31415926, 31415927, 10**7, 10)
    [3, 7, 15, 1]
    """
    out: list[int] = []
    a, b, c, d = lo, den, hi, den
    while len(out) < max_terms and b and d:
        qa, ra = divmod(a, b)
        qc, rc = divmod(c, d)
        if qa != qc:
            break
        out.append(qa)
        if not ra or not rc:
            break
        a, b, c, d = b, ra, d, rc
    return out


def simplest_rational(lo: int, hi: int, den: int, max_denominator: int) -> tuple[int, int] | None:
    """The fraction ``p/q`` of least denominator in ``[lo/den, hi/den]``, if ``q <= max_denominator``.

    The Stern-Brocot descent, on the continued fractions of both ends.

    >>> simplest_rational(2999, 3001, 1000, 100), simplest_rational(31415, 31416, 10000, 1000)
    ((3, 1), (333, 106))
    """
    pqs: list[int] = []
    a, b, c, d = lo, den, hi, den          # the interval [a/b, c/d], b, d > 0
    m10, m11 = 0, 1                        # denominators of the convergents so far
    while True:
        q = a // b
        if q * b == a:                      # the lower end is an integer: it is the simplest
            pqs.append(q)
            break
        if (q + 1) * d <= c:                # an integer strictly inside
            pqs.append(q + 1)
            break
        pqs.append(q)
        m10, m11 = m10 * q + m11, m10
        if m10 > max_denominator:
            return None
        # [a/b, c/d] - q = [(a - qb)/b, (c - qd)/d]; invert (and swap the ends)
        a, b, c, d = d, c - q * d, b, a - q * b
    (p, _), (q, _) = prefix_matrix(pqs, len(pqs))
    if q < 0:
        p, q = -p, -q
    return (p, q) if 0 < q <= max_denominator else None


def prefix_matrix(pqs: Sequence[int], count: int) -> Matrix:
    """``P`` with ``x = P(t)`` for ``x = [pqs_0; ..., pqs_{count-1}, t]``.

    >>> prefix_matrix([1, 2, 2], 2)
    ((3, 1), (2, 1))
    """
    m00, m01, m10, m11 = 1, 0, 0, 1
    for q in pqs[:count]:
        m00, m01 = m00 * q + m01, m00
        m10, m11 = m10 * q + m11, m10
    return (m00, m01), (m10, m11)


def matrix_product(x: Matrix, y: Matrix) -> Matrix:
    (a, b), (c, d) = x
    (e, f), (g, h) = y
    return (a * e + b * g, a * f + b * h), (c * e + d * g, c * f + d * h)


def _adjugate(m: Matrix) -> Matrix:
    (a, b), (c, d) = m
    return (d, -b), (-c, a)


def _reduced(m: Matrix) -> Matrix:
    (a, b), (c, d) = ((int(x) for x in row) for row in m)
    g = math.gcd(a, b, c, d)
    if g > 1:
        a, b, c, d = a // g, b // g, c // g, d // g
    if c < 0 or (c == 0 and d < 0):
        a, b, c, d = -a, -b, -c, -d
    return (a, b), (c, d)


_MIX = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(cache=True)
def _hash_windows(pqs, length, window, positions, out):
    """Hashes of ``pqs[i:i + window]`` for ``i < min(positions, length - window + 1)``."""
    count = min(positions, length - window + 1)
    for i in range(max(count, 0)):
        h = np.uint64(window)
        for j in range(window):
            h = (h ^ np.uint64(pqs[i + j] & 0x7FFFFFFFFFFFFFFF)) * _MIX
            h ^= h >> np.uint64(29)
        out[i] = np.int64(h)
    return max(count, 0)


#: the index's keys are bucketed by their top bits, so a lookup is one or two memory reads
_BUCKET_BITS = 20


@numba.njit(cache=True)
def _bucket(key):
    return np.int64(np.uint64(key) >> np.uint64(64 - _BUCKET_BITS))


@numba.njit(cache=True)
def _bucket_starts(keys):
    """``starts[b]``: the first position of bucket ``b`` in ``keys`` (sorted as unsigned)."""
    starts = np.empty((1 << _BUCKET_BITS) + 1, dtype=np.int64)
    position = 0
    for b in range((1 << _BUCKET_BITS) + 1):
        while position < keys.shape[0] and _bucket(keys[position]) < b:
            position += 1
        starts[b] = position
    return starts


@numba.njit(cache=True)
def _lookup(keys, starts, rows, lengths, window, hits_row, hits_position, hits_key):
    """Look every window of every row up; returns the number of hits written."""
    scratch = np.empty(rows.shape[1], dtype=np.int64)
    found = 0
    for r in range(rows.shape[0]):
        count = _hash_windows(rows[r], lengths[r], window, rows.shape[1], scratch)
        for i in range(count):
            b = _bucket(scratch[i])
            k = starts[b]
            while k < starts[b + 1] and keys[k] != scratch[i]:
                k += 1
            while k < starts[b + 1] and keys[k] == scratch[i]:
                if found < hits_row.shape[0]:
                    hits_row[found] = r
                    hits_position[found] = i
                    hits_key[found] = k
                found += 1
                k += 1
    return found


def _as_rows(sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    width = max((len(q) for q in sequences), default=0)
    rows = np.zeros((len(sequences), max(width, 1)), dtype=np.int64)
    lengths = np.zeros(len(sequences), dtype=np.int64)
    for r, q in enumerate(sequences):
        try:
            rows[r, :len(q)] = q
        except OverflowError:  # a partial quotient beyond int64: rare, hashed capped
            rows[r, :len(q)] = [min(int(x), _PQ_CAP) for x in q]
        lengths[r] = len(q)
    return rows, lengths


#: partial quotients are hashed capped here (a window with a larger one is rare and still unique)
_PQ_CAP = 2**62


@dataclass(frozen=True)
class TailIndex:
    """Windows of the expansions of ``(a K + b)/d`` for the basis constants (module docstring)."""

    constants: tuple[str, ...]
    max_det: int
    positions: int
    window: int
    keys: np.ndarray        # window hashes, sorted as unsigned integers
    starts: np.ndarray      # where each bucket of keys begins
    entries: np.ndarray     # (image, position) per key
    images: tuple[tuple[str, int, int, int], ...]   # (constant, a, b, d)
    prefixes: tuple[tuple[int, ...], ...]           # partial quotients of each image

    @staticmethod
    def build(constants: Sequence[str], max_det: int = 100, positions: int = 20,
              window: int = 10) -> TailIndex:
        """The index of ``constants`` (built once per process and arguments)."""
        return _build(tuple(constants), max_det, positions, window)

    @property
    def size(self) -> int:
        return len(self.keys)

    def relations(self, pqs: Sequence[int], max_hits: int = 64) -> list[tuple[str, Matrix]]:
        """Candidate ``(constant, M)`` with ``x = M(K)`` for a number with partial quotients ``pqs``.

        ``M`` is reduced (coprime entries, ``M[1][0] >= 0``); duplicates
        (the same alignment seen at several positions) are dropped.
        """
        return self.relations_many([pqs], max_hits)[0]

    def relations_many(self, sequences: Sequence[Sequence[int]], max_hits: int = 64
                       ) -> list[list[tuple[str, Matrix]]]:
        """:meth:`relations` of several numbers with one batched lookup."""
        out: list[list[tuple[str, Matrix]]] = [[] for _ in sequences]
        if not sequences:
            return out
        rows, lengths = _as_rows(sequences)
        capacity = 64 * len(sequences) + 64
        hits_row = np.empty(capacity, dtype=np.int64)
        hits_position = np.empty(capacity, dtype=np.int64)
        hits_key = np.empty(capacity, dtype=np.int64)
        count = _lookup(self.keys, self.starts, rows, lengths, self.window, hits_row,
                        hits_position, hits_key)
        seen: set[tuple[int, int, int]] = set()
        for h in range(min(count, capacity)):
            r, i = int(hits_row[h]), int(hits_position[h])
            if len(out[r]) >= max_hits:
                continue
            image, j = self.entries[int(hits_key[h])].tolist()
            if (r, image, i - j) in seen:
                continue
            seen.add((r, image, i - j))
            # a true alignment shares the whole tail: it runs to the end of the shorter expansion
            sequence, prefix = sequences[r], self.prefixes[image]
            length = min(len(sequence) - i, len(prefix) - j)
            if list(sequence[i:i + length]) != list(prefix[j:j + length]):
                continue
            name, a, b, d = self.images[image]
            # x = P_i(t) and (aK + b)/d = Q_j(t): x = P_i Q_j^-1 H (K)
            p = prefix_matrix(sequences[r], i)
            q = prefix_matrix(self.prefixes[image], j)
            m = _reduced(matrix_product(matrix_product(p, _adjugate(q)), ((a, b), (0, d))))
            if (name, m) not in out[r]:
                out[r].append((name, m))
        return out

@functools.lru_cache(maxsize=4)
def _build(constants: tuple[str, ...], max_det: int, positions: int, window: int) -> TailIndex:
    depth = positions + window
    keys: list[int] = []
    entries: list[tuple[int, int]] = []
    images, prefixes = [], []
    den = 1 << _BITS
    for name in constants:
        with mpmath.workdps(_BITS // 3 + 20):
            numerator = int(mpmath.floor(constant_value(name, _BITS // 3 + 10) * den))
        for a, b, d in hermite_forms(max_det):
            lo, hi = a * numerator + b * den, a * (numerator + 1) + b * den
            pqs = interval_partial_quotients(lo, hi, d * den, depth)
            image = len(images)
            images.append((name, a, b, d))
            prefixes.append(tuple(pqs))
            row, length = _as_rows([pqs])
            scratch = np.empty(max(len(pqs), 1), dtype=np.int64)
            for j in range(_hash_windows(row[0], int(length[0]), window, positions, scratch)):
                keys.append(int(scratch[j]))
                entries.append((image, j))
    key_array = np.array(keys, dtype=np.int64)
    order = np.argsort(key_array.view(np.uint64), kind="stable")
    entry_array = np.array(entries, dtype=np.int32).reshape(-1, 2)[order]
    key_array = key_array[order]
    return TailIndex(constants, max_det, positions, window, key_array, _bucket_starts(key_array),
                     entry_array, tuple(images), tuple(prefixes))


def periodic_quadratic(pqs: Sequence[int], max_period: int = 30, min_confirming: int = 10,
                       max_preperiod: int = 12) -> tuple[int, int, int] | None:
    """``(c2, c1, c0)`` with ``c2 x^2 + c1 x + c0 = 0`` when ``pqs`` is visibly periodic.

    After a pre-period of at most ``max_preperiod`` terms, the expansion must
    repeat its period through its end, at least once in full and over at
    least ``min_confirming`` terms (about ``0.2^10`` for a chance repetition:
    partial quotients are small, so windows of them collide far more often
    than their number suggests).  The equation is exact for the periodic
    number; the caller judges it against ``x`` (:func:`judge`).

    >>> periodic_quadratic([1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2])      # sqrt 2
    (1, 0, -2)
    """
    n = len(pqs)
    for period in range(1, max_period + 1):
        # the longest periodic suffix: pqs[i] == pqs[i - period] for i >= start
        start = n
        while start - 1 - period >= 0 and pqs[start - 1] == pqs[start - 1 - period]:
            start -= 1
        pre = max(0, start - period)
        if pre <= max_preperiod and n - start >= max(period, min_confirming):
                # x = P(t), t = [period; t] = Q(t):  t = (Q00 t + Q01)/(Q10 t + Q11)
                p = prefix_matrix(pqs, pre)
                (q00, q01), (q10, q11) = prefix_matrix(pqs[pre:pre + period], period)
                # t solves q10 t^2 + (q11 - q00) t - q01 = 0; t = P^-1 x = (d x - b)/(-c x + a)
                (a, b), (c, d) = p
                # substitute: q10 (d x - b)^2 + (q11 - q00)(d x - b)(a - c x) - q01 (a - c x)^2
                k2 = q10 * d * d - (q11 - q00) * d * c - q01 * c * c
                k1 = -2 * q10 * d * b + (q11 - q00) * (d * a + b * c) + 2 * q01 * a * c
                k0 = q10 * b * b - (q11 - q00) * b * a - q01 * a * a
                g = math.gcd(k2, k1, k0) or 1
                sign = -1 if (k2 < 0 or (k2 == 0 and k1 < 0)) else 1
                return sign * k2 // g, sign * k1 // g, sign * k0 // g
    return None
