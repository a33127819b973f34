"""Known theorems that a fitted growth conjecture may restate.

A conjecture found by a sweep (:mod:`mathdisco.engines.cayley.conjectures`) is compared
with each theorem registered here for its family and quantity by evaluating
both at every n from the conjecture's ``valid_from`` on (40 values, or up to
the largest n the theorem covers); when all agree the conjecture is marked
as restating the theorem, otherwise it is open.  The sweep never consults
this table while fitting: the formulas are found from BFS data alone.

References (numbered as in docs/design.md, "Cayley conjectures"):

1. Cayley (1849): the transposition distance of a permutation is n minus
   its number of cycles, so the sphere of radius k in Cay(S_n, all
   transpositions) has c(n, n - k) elements (unsigned Stirling numbers of
   the first kind, OEIS A008275/A094638) and the diameter is n - 1.
2. Inversions: the Coxeter length is the number of inversions, so the
   spheres are the Mahonian numbers I(n, k) (OEIS A008302), the diameter
   is n(n - 1)/2 and the longest element is the unique farthest one.
3. Konstantinova and Medvedev, "Small cycles in the Pancake graph", Ars
   Math. Contemp. 7 (2014): the pancake graph has girth 6 and every vertex
   lies on exactly one 6-cycle, so |S_1| = n - 1, |S_2| = (n - 1)(n - 2),
   |S_3| = (n - 1)(n - 2)^2 - 1; the ball of radius 3 is OEIS A228398,
   (n - 1)(n^2 - 3n + 3) (Homberger and Vatter, arXiv:1308.4946).
4. Akers and Krishnamurthy (1989): the star graph has diameter
   floor(3(n - 1)/2).
5. Christie (1996): sorting by block interchanges, diameter floor(n/2).
6. Reversal distance: every permutation sorts with n - 1 reversals and
   some need n - 1 (Bafna-Pevzner); signed reversals n + 1 (Meidanis et al.).
7. Cyclic adjacent transpositions: diameter floor(n^2/4) (Jerrum 1985).

Examples
--------
>>> stirling_first(5, 3), mahonian(4, 2)
(35, 5)
>>> known_theorem("all_transpositions", "sphere", 2,
...               lambda n: (n * (n - 1) * (n - 2) * (3 * n - 1)) // 24, 2)
'Stirling numbers of the first kind: |S_k| = c(n, n - k) (Cayley 1849) [1]'
>>> known_theorem("pancake", "sphere", 3, lambda n: n ** 3, 3) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

__all__ = ["KNOWN", "Theorem", "known_theorem", "mahonian", "stirling_first"]


@cache
def _stirling_rows(n_max: int) -> list[list[int]]:
    rows = [[1]]
    for n in range(n_max):
        prev = rows[-1] + [0]
        rows.append([(n * prev[m] if m < len(prev) else 0) + (prev[m - 1] if m else 0)
                     for m in range(n + 2)])
    return rows


def stirling_first(n: int, m: int) -> int:
    """The unsigned Stirling number of the first kind c(n, m) (permutations with m cycles)."""
    if m < 0 or m > n:
        return 0
    return _stirling_rows(max(n, 64))[n][m]


def mahonian(n: int, k: int) -> int:
    """I(n, k): permutations of n with k inversions (coefficients of prod (1 + ... + q^(i-1)))."""
    coefficients = [1]
    for i in range(1, n + 1):
        nxt = [0] * min(len(coefficients) + i - 1, k + 1)
        for a, c in enumerate(coefficients):
            for b in range(i):
                if a + b <= k:
                    nxt[a + b] += c
        coefficients = nxt
    return coefficients[k] if k < len(coefficients) else 0


@dataclass(frozen=True)
class Theorem:
    """``value(n, k)`` is the quantity for every n >= ``valid_from``."""

    family: str
    quantity: str  # "sphere", "diameter", "antipodes"
    name: str
    value: Callable[[int, int | None], int]
    k_values: tuple[int, ...] | None = None  # spheres: the radii it covers (None: all)
    valid_from: int = 1
    n_max: int | None = None


KNOWN: list[Theorem] = [
    Theorem("all_transpositions", "sphere",
            "Stirling numbers of the first kind: |S_k| = c(n, n - k) (Cayley 1849) [1]",
            lambda n, k: stirling_first(n, n - k)),
    Theorem("all_transpositions", "diameter", "n - 1 (Cayley 1849) [1]", lambda n, k: n - 1, None,
            1),
    Theorem("coxeter", "sphere", "Mahonian numbers: |S_k| = I(n, k), permutations with k "
            "inversions (OEIS A008302) [2]", lambda n, k: mahonian(n, k), n_max=40),
    Theorem("coxeter", "diameter", "n(n - 1)/2, the longest element's length [2]",
            lambda n, k: n * (n - 1) // 2),
    Theorem("coxeter", "antipodes", "1: the longest element is the unique farthest one [2]",
            lambda n, k: 1, None, 1),
    Theorem("pancake", "sphere", "|S_1| = n - 1 (the n - 1 prefix reversals)",
            lambda n, k: n - 1, (1,), 2),
    Theorem("pancake", "sphere", "|S_2| = (n - 1)(n - 2): girth 6 (Konstantinova-Medvedev "
            "2014) [3]", lambda n, k: (n - 1) * (n - 2), (2,), 2),
    Theorem("pancake", "sphere", "|S_3| = (n - 1)(n - 2)^2 - 1: one 6-cycle per vertex "
            "(Konstantinova-Medvedev 2014; ball A228398) [3]",
            lambda n, k: (n - 1) * (n - 2) ** 2 - 1, (3,), 3),
    Theorem("stars", "diameter", "floor(3(n - 1)/2) (Akers-Krishnamurthy 1989) [4]",
            lambda n, k: 3 * (n - 1) // 2, None, 2),
    Theorem("block_interchange", "diameter", "floor(n/2) (Christie 1996) [5]",
            lambda n, k: n // 2, None, 2),
    Theorem("full_reversals", "diameter", "n - 1 (reversal diameter) [6]",
            lambda n, k: n - 1, None, 2),
    Theorem("signed_reversals", "diameter", "n + 1 (signed reversal diameter) [6]",
            lambda n, k: n + 1, None, 3),
    Theorem("cyclic_coxeter", "diameter", "floor(n^2/4) (Jerrum 1985) [7]",
            lambda n, k: n * n // 4, None, 3),
]


def known_theorem(family: str, quantity: str, k: int | None,
                  formula: Callable[[int], object], valid_from: int,
                  checks: int = 40) -> str | None:
    """The name of a registered theorem the formula agrees with, or None (an open conjecture).

    ``formula(n)`` is the conjecture's value; it must equal the theorem's on
    ``checks`` consecutive n from ``max(valid_from, theorem.valid_from)``.
    """
    for theorem in KNOWN:
        if theorem.family != family or theorem.quantity != quantity:
            continue
        if theorem.k_values is not None and k not in theorem.k_values:
            continue
        start = max(valid_from, theorem.valid_from)
        stop = start + checks if theorem.n_max is None else min(start + checks, theorem.n_max)
        if stop <= start:
            continue
        if all(formula(n) == theorem.value(n, k) for n in range(start, stop)):
            return theorem.name
    return None
