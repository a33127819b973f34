"""Enumeration of the polynomial continued fractions in a coefficient box.

The search space of Shalyt et al., "Unsupervised Discovery of Formulas for
Mathematical Constants" (NeurIPS 2024), Sec. 4.1: every pair of integer
polynomials ``a(n) = A_d n^d + ... + A_0`` and ``b(n) = B_e n^e + ... + B_0`` with
all coefficients in ``[coefficient_min, coefficient_max]``, without the zero
polynomial for ``a`` or ``b`` (deg 2 / deg 2 with coefficients in [-5, 5]:
``(11^3 - 1)^2 = 1,768,900`` PCFs).

The space is numbered ``0 .. count - 1`` in mixed radix, most significant
first over the key ``[A_d, ..., A_0, B_e, ..., B_0]`` (the key order of the
paper's tables), with the zero polynomials skipped, so a contiguous index range
is a shard and any index maps back to its PCF in O(1).

Example
-------
>>> box = CoefficientBox(a_degree=2, b_degree=2, coefficient_min=-5, coefficient_max=5)
>>> box.count
1768900
>>> a, b = box.coefficients(0, 2)
>>> a.tolist(), b.tolist()      # lowest degree first
([[-5, -5, -5], [-5, -5, -5]], [[-5, -5, -5], [-4, -5, -5]])
>>> box.index_of([1, 2], [0, 0, 1]) is None     # a has degree 1 < 2: still in the box
False
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np


@dataclass(frozen=True)
class CoefficientBox:
    """All (a, b) with deg a <= a_degree, deg b <= b_degree, coefficients in a box."""

    a_degree: int
    b_degree: int
    coefficient_min: int
    coefficient_max: int

    @property
    def radix(self) -> int:
        return self.coefficient_max - self.coefficient_min + 1

    @property
    def _zero_skipped(self) -> int:
        return 1 if self.coefficient_min <= 0 <= self.coefficient_max else 0

    def _polys(self, degree: int) -> int:
        return self.radix ** (degree + 1) - self._zero_skipped

    @property
    def count(self) -> int:
        """Number of PCFs in the box (zero polynomials excluded)."""
        return self._polys(self.a_degree) * self._polys(self.b_degree)

    def _zero_raw(self, degree: int) -> int:
        digit = -self.coefficient_min
        return sum(digit * self.radix**i for i in range(degree + 1))

    def _digits(self, raw: np.ndarray, degree: int) -> np.ndarray:
        """Raw mixed-radix numbers to coefficient rows, lowest degree first."""
        out = np.empty((raw.shape[0], degree + 1), dtype=np.int64)
        rest = raw.copy()
        for i in range(degree + 1):  # least significant digit = constant term
            out[:, i] = rest % self.radix + self.coefficient_min
            rest //= self.radix
        return out

    def coefficients(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Coefficient rows (lowest degree first) of the PCFs with index in [start, stop)."""
        if not 0 <= start <= stop <= self.count:
            raise ValueError(f"index range [{start}, {stop}) outside 0..{self.count}")
        index = np.arange(start, stop, dtype=np.int64)
        nb = self._polys(self.b_degree)
        ia, ib = np.divmod(index, nb)
        if self._zero_skipped:
            ia = ia + (ia >= self._zero_raw(self.a_degree))
            ib = ib + (ib >= self._zero_raw(self.b_degree))
        return self._digits(ia, self.a_degree), self._digits(ib, self.b_degree)

    def index_of(self, a: list[int], b: list[int]) -> int | None:
        """The index of the PCF with coefficient lists ``a``, ``b`` (lowest first), or None."""
        def raw(coeffs: list[int], degree: int) -> int | None:
            coeffs = list(coeffs) + [0] * (degree + 1 - len(coeffs))
            if len(coeffs) > degree + 1 and any(coeffs[degree + 1:]):
                return None
            if any(not self.coefficient_min <= c <= self.coefficient_max
                   for c in coeffs[: degree + 1]):
                return None
            value = sum((c - self.coefficient_min) * self.radix**i
                        for i, c in enumerate(coeffs[: degree + 1]))
            zero = self._zero_raw(degree)
            if self._zero_skipped:
                if value == zero:
                    return None
                value -= value > zero
            return value

        ra, rb = raw(a, self.a_degree), raw(b, self.b_degree)
        if ra is None or rb is None:
            return None
        return ra * self._polys(self.b_degree) + rb


def index_ranges(count: int, shard_size: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) ranges of at most ``shard_size`` covering 0..count."""
    return [(s, min(s + shard_size, count)) for s in range(0, count, shard_size)]


def first_positive_root(b_coeffs: np.ndarray) -> np.ndarray:
    """The least integer ``n >= 1`` with ``b(n) = 0`` per row, or 0 when there is none.

    An integer root of ``b`` is bounded by Cauchy's bound
    ``1 + max|B_i| / |B_lead|``, so only finitely many ``n`` are tried.  Such a
    PCF terminates at that ``n``: its value is the rational ``p_{n-1}/q_{n-1}``.
    """
    b = np.asarray(b_coeffs, dtype=np.int64)
    bound = int(np.abs(b).max(initial=0)) + 1
    roots = np.zeros(b.shape[0], dtype=np.int64)
    for n in range(bound, 0, -1):
        value = np.zeros(b.shape[0], dtype=np.int64)
        for i in range(b.shape[1] - 1, -1, -1):
            value = value * n + b[:, i]
        roots[value == 0] = n
    nonzero = (b != 0).any(axis=1)
    return np.where(nonzero, roots, 0)


def terminating_value(a: list[int], b: list[int], root: int) -> Fraction | None:
    """``p_{root-1} / q_{root-1}`` exactly, the value of a PCF cut off by ``b(root) = 0``.

    Returns None when that convergent has a zero denominator.
    """
    def poly(c: list[int], n: int) -> int:
        return sum(int(ci) * n**i for i, ci in enumerate(c))

    p_prev, p, q_prev, q = 1, poly(a, 0), 0, 1
    for n in range(1, root):
        an, bn = poly(a, n), poly(b, n)
        p_prev, p = p, an * p + bn * p_prev
        q_prev, q = q, an * q + bn * q_prev
    return None if q == 0 else Fraction(p, q)
