"""CayleyPy's cycle and conjugacy-class generator families of S_n.

Each builder returns permutations in image form on 0..n-1.  A cycle
``(c_0 c_1 ... c_{k-1})`` is the permutation ``p`` with ``p[c_i] =
c_{i+1}`` (indices mod k), CayleyPy's ``permutation_from_cycles``
convention; growth sequences of Cayley graphs do not depend on it (inverting
every generator, or acting on the other side, leaves every sphere size
unchanged).  The definitions are those of CayleyPy's ``PermutationGroups``
(Chervov et al., "CayleyPy Growth", arXiv:2509.19162, Section 2; restated in
the project reference ``cayley.md`` Section 2.1):

=========================  ==================================================
wrapped_k_cycles(n, k)     (s, s+1, ..., s+k-1) mod n for every start s
consecutive_k_cycles(n, k) (i, i+1, ..., i+k-1) for i = 0..n-k
increasing_k_cycles(n, k)  (c_1 ... c_k) for every c_1 < ... < c_k
down_cycles(n)             (i, i+1, ..., j) for every i < j
prefix_cycles(n)           (0 1 ... j-1) for j = 2..n
lsl_cycles(n)              the long cycle (0 ... n-1), the sub-long cycle
                           (1 ... n-1), and their inverses
all_cycles(n)              every cycle of length 2..n
derangements(n)            every permutation without fixed points
involutive_derangements(n) every fixed-point-free involution (n even)
three_cycles_0ij(n)        (0 i j) for distinct i, j > 0
three_cycles_01i(n)        (0 1 i) for i = 2..n-1, and their inverses
generalized_stars(n, k)    (i j) for i < k <= j
cubic_pancake(n, k)        three prefix reversals, subset k = 1..7
koltsov3(n, k)             (0 1)(2 3)..., (1 2)(3 4)..., (k k+3)(k+1 k+2)
=========================  ==================================================

Directed families (no inverses among the generators) give directed Cayley
graphs; the engine's BFS handles both.

Examples
--------
>>> wrapped_k_cycles(4, 3)[:2]
[[1, 2, 0, 3], [0, 2, 3, 1]]
>>> prefix_cycles(3)
[[1, 0, 2], [1, 2, 0]]
>>> len(involutive_derangements(6)), len(all_cycles(4))
(15, 20)
"""

from __future__ import annotations

from itertools import combinations, permutations

__all__ = [
    "all_cycles",
    "consecutive_k_cycles",
    "cubic_pancake",
    "cycle",
    "derangements",
    "down_cycles",
    "generalized_stars",
    "increasing_k_cycles",
    "involutive_derangements",
    "koltsov3",
    "lsl_cycles",
    "prefix_cycles",
    "three_cycles_01i",
    "three_cycles_0ij",
    "wrapped_k_cycles",
]


def cycle(n: int, *cycles: list[int] | tuple[int, ...]) -> list[int]:
    """The permutation of 0..n-1 with the given disjoint cycles (``p[c_i] = c_{i+1}``).

    >>> cycle(4, [0, 1, 2])
    [1, 2, 0, 3]
    """
    p = list(range(n))
    for c in cycles:
        for a, b in zip(c, list(c[1:]) + [c[0]], strict=True):
            p[a] = b
    return p


def _inverse(p: list[int]) -> list[int]:
    q = [0] * len(p)
    for i, x in enumerate(p):
        q[x] = i
    return q


def wrapped_k_cycles(n: int, k: int) -> list[list[int]]:
    return [cycle(n, [(s + j) % n for j in range(k)]) for s in range(n)]


def consecutive_k_cycles(n: int, k: int) -> list[list[int]]:
    return [cycle(n, list(range(i, i + k))) for i in range(n - k + 1)]


def increasing_k_cycles(n: int, k: int) -> list[list[int]]:
    return [cycle(n, list(c)) for c in combinations(range(n), k)]


def down_cycles(n: int) -> list[list[int]]:
    return [cycle(n, list(range(i, j + 1))) for i in range(n) for j in range(i + 1, n)]


def prefix_cycles(n: int) -> list[list[int]]:
    return [cycle(n, list(range(j))) for j in range(2, n + 1)]


def lsl_cycles(n: int) -> list[list[int]]:
    long, sub = cycle(n, list(range(n))), cycle(n, list(range(1, n)))
    return [long, sub, _inverse(long), _inverse(sub)]


def all_cycles(n: int) -> list[list[int]]:
    """Every cycle of length 2..n, each once (its least point first)."""
    gens = []
    for length in range(2, n + 1):
        for subset in combinations(range(n), length):
            for rest in permutations(subset[1:]):
                gens.append(cycle(n, [subset[0], *rest]))
    return gens


def derangements(n: int) -> list[list[int]]:
    return [list(p) for p in permutations(range(n)) if all(p[i] != i for i in range(n))]


def _matchings(points: list[int]) -> list[list[tuple[int, int]]]:
    if not points:
        return [[]]
    first, rest = points[0], points[1:]
    out = []
    for i, partner in enumerate(rest):
        for m in _matchings(rest[:i] + rest[i + 1:]):
            out.append([(first, partner), *m])
    return out


def involutive_derangements(n: int) -> list[list[int]]:
    """The (n-1)!! fixed-point-free involutions of 0..n-1 (n even)."""
    return [cycle(n, *pairs) for pairs in _matchings(list(range(n)))]


def three_cycles_0ij(n: int) -> list[list[int]]:
    return [cycle(n, [0, i, j]) for i, j in permutations(range(1, n), 2)]


def three_cycles_01i(n: int) -> list[list[int]]:
    gens = []
    for i in range(2, n):
        g = cycle(n, [0, 1, i])
        gens += [g, _inverse(g)]
    return gens


def generalized_stars(n: int, k: int) -> list[list[int]]:
    return [cycle(n, [i, j]) for i in range(k) for j in range(k, n)]


def _prefix_reversal(n: int, length: int) -> list[int]:
    return list(range(length - 1, -1, -1)) + list(range(length, n))


# subset -> the lengths of the three reversed prefixes, as functions of n
CUBIC_PANCAKE_SUBSETS = {
    1: lambda n: (n, n - 1, 2), 2: lambda n: (n, n - 1, 3), 3: lambda n: (n, n - 1, n - 2),
    4: lambda n: (n, n - 1, n - 3), 5: lambda n: (n, n - 2, 2), 6: lambda n: (n, n - 2, 3),
    7: lambda n: (n, n - 2, n - 3),
}


def cubic_pancake(n: int, k: int) -> list[list[int]]:
    """Reversals of the prefixes of the lengths of subset ``k`` (1..7)."""
    return [_prefix_reversal(n, length) for length in CUBIC_PANCAKE_SUBSETS[k](n)]


def koltsov3(n: int, k: int) -> list[list[int]]:
    """Koltsov's three involutions, type 2 ("square with whiskers", reference Section 3.3)."""
    return [cycle(n, *[(i, i + 1) for i in range(0, n - 1, 2)]),
            cycle(n, *[(i, i + 1) for i in range(1, n - 1, 2)]),
            cycle(n, (k, k + 3), (k + 1, k + 2))]
