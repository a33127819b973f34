"""The ESMA search: Extract signed CFs, screen with Massey, Approve at high precision.

Razon, Harris, Gottlieb, Carmon, David, Kaminer, "Automated Search for Conjectures
on Mathematical Constants using Analysis of Integer Sequences", ICML 2023
(arXiv:2212.09470), Sec. 3 and Fig. 2; semantics as in the authors' code
(``ESMA/enumerate_over_signed_rcf.py``), summarised in the project's notes:

1. **Enumerate** left-hand sides ``P(c)/Q(c)`` (integer polynomials of degree
   <= d, coefficients in [-L, L]) of the constant ``c``, deduplicated by value,
   rational values dropped, stored as ``|P(c)/Q(c)|``; and primitive sign
   periods ``s`` in {+1,-1}^k (not repetitions of shorter ones).
2. **Extract** ``N`` partial quotients of the greedy signed CF of each LHS with
   each sign period (guaranteed by interval arithmetic,
   :func:`mathdisco.engines.numerics.continued_fractions.signed_continued_fraction`).
3. **Massey**: linear complexity over GF(p) (numba batch) below ``threshold``
   (default N/4) marks a hit; exact Berlekamp-Massey over Q confirms, and the
   connection polynomial must be a product of cyclotomic polynomials (an
   interlaced polynomial sequence).  In *strict* mode (the original code's
   behaviour, the default) a pre-period is refused.
4. **Approve**: regenerate ``approve_depth`` terms from the fitted
   quasi-polynomial over the integers, evaluate exactly, and count the digits
   that agree with the LHS computed independently at ``approve_digits``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mpmath
import sympy

from mathdisco.engines.numerics.berlekamp_massey import (
    berlekamp_massey,
    linear_complexity_mod,
    quasi_polynomial_shape,
)
from mathdisco.engines.numerics.continued_fractions import (
    correct_digits,
    gcf_convergent,
    gcf_convergents,
    signed_continued_fraction,
)
from mathdisco.engines.numerics.formula import QuasiPolynomial

#: digits of the value used to group results and LHS values
GROUP_DIGITS = 50


@dataclass(frozen=True)
class LeftHandSide:
    """``|P(c)/Q(c)|`` with ``P``, ``Q`` given lowest degree first; ``sign`` is -1 when negated."""

    numerator: tuple[int, ...]
    denominator: tuple[int, ...]
    value: mpmath.mpf
    value_of_constant: mpmath.mpf

    def expression(self, constant: sympy.Expr) -> sympy.Expr:
        sign = 1 if _polyval(self.denominator, self.value_of_constant) > 0 else -1
        p = sum((sign * c * constant**i for i, c in enumerate(self.numerator)), sympy.Integer(0))
        q = sum((sign * c * constant**i for i, c in enumerate(self.denominator)), sympy.Integer(0))
        return p / q

    def to_json(self) -> dict:
        return {"numerator": list(self.numerator), "denominator": list(self.denominator)}

    @property
    def simplicity(self) -> tuple:
        coefficients = self.numerator + self.denominator
        degree = max(_degree(self.numerator), _degree(self.denominator))
        return (degree, sum(abs(c) for c in coefficients), coefficients)


def _degree(poly: Sequence[int]) -> int:
    return max((i for i, c in enumerate(poly) if c), default=-1)


def _polyval(coefficients: Sequence[int], x: mpmath.mpf) -> mpmath.mpf:
    value = mpmath.mpf(0)
    for c in reversed(coefficients):
        value = value * x + c
    return value


def value_key(value: mpmath.mpf) -> str:
    """Grouping key: the value to GROUP_DIGITS significant digits."""
    return mpmath.nstr(value, GROUP_DIGITS, strip_zeros=False)


def raw_lhs_count(degree: int, bound: int) -> int:
    return (2 * bound + 1) ** (2 * (degree + 1))


def enumerate_lhs(x: mpmath.mpf, degree: int, bound: int) -> list[LeftHandSide]:
    """Distinct irrational values ``|P(x)/Q(x)|``, each with its simplest (P, Q).

    ``x`` must carry the working precision of the later steps.  Pairs with
    proportional coefficient vectors (a rational value) are dropped.
    """
    coefficient_range = range(-bound, bound + 1)
    polynomials = [p for p in itertools.product(coefficient_range, repeat=degree + 1) if any(p)]
    values = {p: _polyval(p, x) for p in polynomials}
    best: dict[str, LeftHandSide] = {}
    for p in polynomials:
        for q in polynomials:
            if _proportional(p, q):
                continue
            value = abs(values[p] / values[q])
            key = value_key(value)
            candidate = LeftHandSide(p if values[p] / values[q] > 0 else tuple(-c for c in p), q,
                                     value, x)
            current = best.get(key)
            if current is None or candidate.simplicity < current.simplicity:
                best[key] = candidate
    return sorted(best.values(), key=lambda lhs: lhs.simplicity)


def _proportional(p: Sequence[int], q: Sequence[int]) -> bool:
    return all(p[i] * q[j] == p[j] * q[i] for i in range(len(p)) for j in range(i + 1, len(p)))


def primitive_sign_periods(min_length: int, max_length: int) -> list[tuple[int, ...]]:
    """Sign tuples of each length, skipping repetitions of a shorter tuple (rotations kept).

    >>> [len(primitive_sign_periods(1, k)) for k in range(1, 7)]
    [2, 4, 10, 22, 52, 106]
    >>> primitive_sign_periods(2, 2)   # the authors' test: (1, 1) counts when length 1 is not tried
    [(1, 1), (1, -1), (-1, 1), (-1, -1)]
    """
    periods = []
    for length in range(min_length, max_length + 1):
        for signs in itertools.product((1, -1), repeat=length):
            # a repetition of a shorter tuple is skipped only when that tuple was tried
            if not any(length % d == 0 and signs == signs[:d] * (length // d)
                       for d in range(min_length, length)):
                periods.append(signs)
    return periods


@dataclass
class Candidate:
    lhs: LeftHandSide
    signs: tuple[int, ...]
    a: QuasiPolynomial
    connection: list[int]
    recurrence_length: int
    confirmations: int
    verified_digits: int = 0

    @property
    def complexity(self) -> tuple:
        polys = self.a.polynomials
        return (len(self.signs), self.a.period, self.a.degree, self.a.preperiod,
                sum(abs(c) for p in polys for c in p) + sum(abs(t) for t in self.a.initial),
                self.lhs.simplicity, self.signs)


@dataclass
class ScreenCounts:
    pairs: int = 0
    extraction_incomplete: int = 0
    zero_term_skipped: int = 0
    bm_hits: int = 0
    not_quasi_polynomial: int = 0
    preperiod_refused: int = 0


def screen(lhs_list: Sequence[LeftHandSide], sign_periods: Sequence[tuple[int, ...]], *,
           n_terms: int, extraction_digits: int, threshold: int, prime: int, strict: bool,
           counts: ScreenCounts, progress: Callable[[int, str], None]) -> list[Candidate]:
    """Extract and screen every (LHS, sign period) pair; return the confirmed candidates."""
    candidates = []
    with mpmath.workdps(extraction_digits + 10):
        for index, lhs in enumerate(lhs_list):
            progress(index, "extract + Berlekamp-Massey")
            rows, pattern_of_row = [], []
            for signs in sign_periods:
                counts.pairs += 1
                expansion = signed_continued_fraction(lhs.value, signs, n_terms,
                                                      correct_digits=extraction_digits)
                if not expansion.complete:
                    counts.extraction_incomplete += 1
                    continue
                if 0 in expansion.terms:
                    # the original code skips expansions with a zero term (an LHS in (0, 1))
                    counts.zero_term_skipped += 1
                    continue
                rows.append(expansion.terms)
                pattern_of_row.append(signs)
            lengths = linear_complexity_mod(rows, prime) if rows else []
            for terms, signs, length in zip(rows, pattern_of_row, lengths, strict=True):
                if length >= threshold:
                    continue
                counts.bm_hits += 1
                candidate = _confirm(lhs, signs, terms, strict, counts)
                if candidate is not None:
                    candidates.append(candidate)
    return candidates


def _confirm(lhs: LeftHandSide, signs: tuple[int, ...], terms: list[int], strict: bool,
             counts: ScreenCounts) -> Candidate | None:
    recurrence = berlekamp_massey(terms)
    shape = quasi_polynomial_shape(recurrence.connection) if recurrence.is_integral else None
    if shape is None or shape[2] < 0:
        counts.not_quasi_polynomial += 1
        return None
    preperiod, period, degree = shape
    if strict and preperiod:
        counts.preperiod_refused += 1
        return None
    fitted = QuasiPolynomial.from_terms(terms, period=period, degree=degree, preperiod=preperiod)
    if fitted is None:
        counts.not_quasi_polynomial += 1
        return None
    return Candidate(lhs, signs, fitted.canonical(), [int(c) for c in recurrence.connection],
                     recurrence.length, recurrence.confirmations)


def approve(candidate: Candidate, depth: int, digits: int) -> int:
    """Digits to which the regenerated CF at ``depth`` matches the LHS (at most ``digits``)."""
    a_terms = candidate.a.terms(depth + 1)
    b_terms = QuasiPolynomial.signs(candidate.signs).terms(depth + 1)
    p, q, _, _ = gcf_convergent(a_terms, b_terms)
    if q == 0:
        return 0
    with mpmath.workdps(digits + 20):
        value = mpmath.mpf(p) / mpmath.mpf(q)
        return correct_digits(value, candidate.lhs.value, digits)


def digits_at(a_terms: Sequence[int], b_terms: Sequence[int], reference: mpmath.mpf,
              depths: Sequence[int], cap: int) -> dict[int, int]:
    """Correct digits of the convergents at the given depths."""
    wanted, found = set(depths), {}
    for n, (p, q) in enumerate(gcf_convergents(a_terms, b_terms)):
        if n in wanted:
            found[n] = correct_digits(mpmath.mpf(p) / q, reference, cap) if q else 0
    return found
