"""Exact ψ-class intersection numbers on M̄_{g,n} by the DVV/Virasoro recursion.

⟨τ_{d_1}…τ_{d_n}⟩_g = ∫_{M̄_{g,n}} ψ_1^{d_1}…ψ_n^{d_n} is a rational number,
nonzero only when the moduli space exists (2g − 2 + n > 0) and the degree
matches its dimension, Σ d_i = 3g − 3 + n.  It is symmetric in the d_i, so
entries are keyed by (g, sorted d).

The recursion (Dijkgraaf–Verlinde–Verlinde 1991, equivalent to
Witten–Kontsevich), with (−1)!! = 1 and S = {2..n}::

    (2d_1+1)!! ⟨τ_{d_1} τ_S⟩_g
      = Σ_{j∈S} (2d_1+2d_j−1)!!/(2d_j−1)!! ⟨τ_{d_1+d_j−1} τ_{S∖j}⟩_g
      + ½ Σ_{a+b=d_1−2} (2a+1)!!(2b+1)!! [⟨τ_a τ_b τ_S⟩_{g−1}
                                          + Σ_{g_1+g_2=g, I⊔J=S} ⟨τ_a τ_I⟩_{g_1}⟨τ_b τ_J⟩_{g_2}]

seeded with ⟨τ_0^3⟩_0 = 1 and ⟨τ_1⟩_1 = 1/24.  A τ_0 is removed with the
string equation and a τ_1 with the dilaton equation (both special cases of
the recursion, and much cheaper); otherwise the recursion runs on the largest
d_i.  Splits I⊔J run over sub-multisets with binomial multiplicities, and the
genus g_1 of a split is fixed by the degree condition, so no g_1 loop is
needed.  Arithmetic is exact (``gmpy2.mpq``).

Also here: the large-genus asymptotic (Aggarwal 2021, "Large genus asymptotics
for intersection numbers and principal strata volumes of quadratic
differentials", Thm 1.5)
⟨τ_d⟩_g ≈ (6g−5+2n)!! / (24^g g! ∏(2d_i+1)!!), exact for n = 1; and the
enumeration of every nonzero entry up to a given χ = 2g − 2 + n, which is the
training data of the ``psi_intersections`` job.

Reference: Hashemi, Corominas, Giacchetto, "Can Transformers Do Enumerative
Geometry?" (ICLR 2025), §2 (the data); Witten (1991), Kontsevich (1992).

Example
-------
>>> str(intersection_number(2, (2, 3)))
'29/5760'
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import cache
from itertools import product

import gmpy2
from gmpy2 import mpq

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.neural.params import (
    PsiExactParams,
    is_stable,
)

# χ = 2g − 2 + n bounds the recursion depth and the memo size.  Measured cold on
# this 2-core box: ⟨τ_46⟩_16 (χ = 31) 4 s, ⟨τ_7^5 τ_10⟩_14 (χ = 32) 3.5 s,
# ⟨τ_58⟩_20 (χ = 39) 52 s -- hence these caps.
ZERO = mpq(0)


@cache
def double_factorial(k: int) -> int:
    """k!! for k ≥ −1 with (−1)!! = 1."""
    if k <= 0:
        return 1
    return int(gmpy2.double_fac(k))





def dimension_matches(genus: int, insertions: Sequence[int]) -> bool:
    """Whether Σ d_i = 3g − 3 + n (the only degree with a nonzero integral)."""
    return sum(insertions) == 3 * genus - 3 + len(insertions)


def intersection_number(genus: int, insertions: Sequence[int]) -> mpq:
    """⟨τ_{d_1}…τ_{d_n}⟩_g as an exact rational.

    Parameters
    ----------
    genus : int
        g ≥ 0.
    insertions : sequence of int
        the exponents d_i (any order).

    Returns
    -------
    gmpy2.mpq
        the intersection number; 0 when M̄_{g,n} is unstable, an exponent is
        negative, or Σ d_i ≠ 3g − 3 + n.

    Examples
    --------
    >>> intersection_number(0, (0, 0, 0)), intersection_number(1, (1,))
    (mpq(1,1), mpq(1,24))
    >>> intersection_number(3, (7,))
    mpq(1,82944)
    """
    key = tuple(sorted(int(d) for d in insertions))
    if genus < 0 or (key and key[0] < 0):
        return ZERO
    if not is_stable(genus, len(key)) or not dimension_matches(genus, key):
        return ZERO
    chi = 2 * genus - 2 + len(key)
    # the string equation peels one τ_0 per frame; leave headroom for that
    needed = 200 + 12 * chi + 4 * len(key)
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)
    return _value(genus, key)


@cache
def _value(genus: int, ds: tuple[int, ...]) -> mpq:
    """Memoised core; ``ds`` sorted, stable and degree-matching."""
    n = len(ds)
    if genus == 0 and ds == (0, 0, 0):
        return mpq(1)
    if genus == 1 and ds == (1,):
        return mpq(1, 24)
    if ds[0] == 0:  # string equation
        rest = ds[1:]
        total = ZERO
        for value, count in Counter(rest).items():
            if value == 0:
                continue
            lowered = list(rest)
            lowered.remove(value)
            lowered.append(value - 1)
            total += count * _checked(genus, lowered)
        return total
    if ds[0] == 1:  # dilaton equation
        return (2 * genus - 3 + n) * _checked(genus, ds[1:])
    return _dvv(genus, ds)


def _checked(genus: int, insertions: Sequence[int]) -> mpq:
    key = tuple(sorted(insertions))
    if genus < 0 or (key and key[0] < 0):
        return ZERO
    if not is_stable(genus, len(key)) or not dimension_matches(genus, key):
        return ZERO
    return _value(genus, key)


def _dvv(genus: int, ds: tuple[int, ...]) -> mpq:
    d1 = ds[-1]
    rest = ds[:-1]
    total = ZERO
    for value, count in Counter(rest).items():
        others = list(rest)
        others.remove(value)
        coefficient = mpq(double_factorial(2 * d1 + 2 * value - 1), double_factorial(2 * value - 1))
        total += count * coefficient * _checked(genus, [d1 + value - 1, *others])
    rest_counts = sorted(Counter(rest).items())
    splits = list(_sub_multisets(rest_counts))
    half = ZERO
    for a in range(d1 - 1):
        b = d1 - 2 - a
        weight = double_factorial(2 * a + 1) * double_factorial(2 * b + 1)
        inner = _checked(genus - 1, [a, b, *rest]) if genus >= 1 else ZERO
        for part, multiplicity, part_size, part_sum in splits:
            # the degree condition of ⟨τ_a τ_I⟩_{g_1} fixes g_1
            numerator = a + part_sum + 2 - part_size
            if numerator % 3:
                continue
            g1 = numerator // 3
            g2 = genus - g1
            if g1 < 0 or g2 < 0:
                continue
            left = _checked(g1, [a, *part])
            if not left:
                continue
            complement = _complement(rest, part)
            right = _checked(g2, [b, *complement])
            if right:
                inner += multiplicity * left * right
        half += weight * inner
    total += half / 2
    return total / double_factorial(2 * d1 + 1)


def _sub_multisets(counts: list[tuple[int, int]]) -> Iterator[tuple[tuple[int, ...], int, int, int]]:
    """Every sub-multiset I of a multiset with its multiplicity ∏ C(c_v, k_v), |I| and Σ I."""
    ranges = [range(c + 1) for _, c in counts]
    for picks in product(*ranges):
        part: list[int] = []
        multiplicity = 1
        for (value, count), k in zip(counts, picks, strict=True):
            part.extend([value] * k)
            multiplicity *= math.comb(count, k)
        yield tuple(part), multiplicity, len(part), sum(part)


def _complement(whole: Sequence[int], part: Sequence[int]) -> list[int]:
    remaining = Counter(whole)
    remaining.subtract(part)
    return [v for v, c in remaining.items() for _ in range(c)]


def log_asymptotic(genus: int, insertions: Sequence[int]) -> float:
    """Natural log of Aggarwal's large-genus approximation of ⟨τ_d⟩_g.

    ⟨τ_d⟩_g ≈ (6g−5+2n)!! / (24^g · g! · ∏(2d_i+1)!!)  (Aggarwal 2021, n fixed,
    g → ∞); exact for n = 1.

    Examples
    --------
    >>> round(math.exp(log_asymptotic(2, (4,))) * 1152, 12)
    1.0
    """
    n = len(insertions)
    value = _log_double_factorial(6 * genus - 5 + 2 * n)
    value -= genus * math.log(24) + math.lgamma(genus + 1)
    value -= sum(_log_double_factorial(2 * d + 1) for d in insertions)
    return value


def _log_double_factorial(k: int) -> float:
    """ln k!! for odd k ≥ −1 (k!! = k! / (2^{(k−1)/2} ((k−1)/2)!))."""
    if k <= 0:
        return 0.0
    if k % 2 == 0:
        half = k // 2
        return half * math.log(2) + math.lgamma(half + 1)
    half = (k - 1) // 2
    return math.lgamma(k + 1) - half * math.log(2) - math.lgamma(half + 1)


def multisets(total: int, parts: int, largest: int | None = None) -> Iterator[tuple[int, ...]]:
    """Non-increasing tuples of ``parts`` non-negative ints summing to ``total``."""
    if largest is None:
        largest = total
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(min(total, largest), -1, -1):
        if first * parts < total:
            break
        for tail in multisets(total - first, parts - 1, first):
            yield (first, *tail)


def all_entries(chi_max: int) -> Iterator[tuple[int, tuple[int, ...]]]:
    """Every (g, sorted d) with 2 ≤ ... stable, Σd = 3g−3+n and 2g−2+n ≤ chi_max.

    Ordered by χ, so the memoised recursion is filled bottom-up.
    """
    for chi in range(1, chi_max + 1):
        for genus in range(0, chi // 2 + 2):
            n = chi + 2 - 2 * genus
            if n < 1 or not is_stable(genus, n):
                continue
            degree = 3 * genus - 3 + n
            for ds in multisets(degree, n):
                yield genus, tuple(reversed(ds))


def clear_cache() -> None:
    """Drop the memo (tests use it to time a cold computation)."""
    _value.cache_clear()


def run_psi_exact(params: PsiExactParams, progress: Progress = no_progress) -> dict:
    """The ``psi_exact`` job: one intersection number, exactly."""
    progress(0, 1, "recursion")
    g, ds = params.genus, sorted(params.insertions)
    n = len(ds)
    degree = 3 * g - 3 + n
    value = intersection_number(g, ds)
    progress(1, 1, "done")
    result = {
        "genus": g,
        "insertions": ds,
        "value": str(value),
        "numerator": str(value.numerator),
        "denominator": str(value.denominator),
        "float": float(value),
        "dimension": degree,
        "degree": sum(ds),
        "dimension_matches": sum(ds) == degree,
        "bracket": "<" + " ".join(f"tau_{d}" for d in ds) + f">_{g}",
        "latex": _latex_bracket(g, ds) + " = " + _latex_rational(value),
        "method": "DVV/Virasoro recursion with string and dilaton equations, exact rationals (gmpy2.mpq)",
    }
    if sum(ds) != degree:
        result["note"] = (f"sum of d_i is {sum(ds)} but dim M_{{{g},{n}}} = 3g-3+n = {degree}; "
                          "the integral of a class of the wrong degree is 0")
    else:
        result["asymptotic"] = math.exp(log_asymptotic(g, ds))
    return result


def _latex_bracket(genus: int, ds: Sequence[int]) -> str:
    return r"\langle " + " ".join(f"\\tau_{{{d}}}" for d in ds) + rf" \rangle_{{{genus}}}"


def _latex_rational(value: mpq) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return rf"\frac{{{value.numerator}}}{{{value.denominator}}}"
