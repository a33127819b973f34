"""Named generating sets: permutation families of S_n and small matrix groups.

Every permutation is a list of images ``p`` acting on *positions*: applying
``p`` to a state ``s`` gives ``s[p]`` (``new[i] = old[p[i]]``), all indices
0-based.  The families and their exact definitions are those of CayleyPy's
``PermutationGroups`` / ``MatrixGroups`` (Chervov et al., "CayleyPy Growth",
arXiv:2509.19162, Section 2; definitions restated in the project reference
``cayley.md`` Section 2.1).  Growth sequences do not depend on left/right action
or on inverting the whole generating set, so the conventions only matter for
Schreier coset graphs (central states with repeated symbols).

Examples
--------
>>> permutation_family("lrx", 4)
[[1, 2, 3, 0], [3, 0, 1, 2], [1, 0, 2, 3]]
>>> len(permutation_family("block_interchange", 9))
330
"""

from __future__ import annotations

import math
from collections.abc import Callable

# Largest n per family: a state must pack into one 64-bit word at 4 bits per
# position, so at most 16 positions (signed families use 2n positions).
MAX_POSITIONS = 16


def _identity(n: int) -> list[int]:
    return list(range(n))


def _transposition(n: int, i: int, j: int) -> list[int]:
    p = _identity(n)
    p[i], p[j] = p[j], p[i]
    return p


def _product_of_transpositions(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    p = _identity(n)
    for i, j in pairs:
        p[i], p[j] = p[j], p[i]
    return p


def left_shift(n: int) -> list[int]:
    """L = [1, 2, ..., n-1, 0]."""
    return list(range(1, n)) + [0]


def right_shift(n: int) -> list[int]:
    """R = L^-1 = [n-1, 0, ..., n-2]."""
    return [n - 1] + list(range(n - 1))


def all_transpositions(n: int) -> list[list[int]]:
    return [_transposition(n, i, j) for i in range(n) for j in range(i + 1, n)]


def coxeter(n: int) -> list[list[int]]:
    return [_transposition(n, i, i + 1) for i in range(n - 1)]


def cyclic_coxeter(n: int) -> list[list[int]]:
    return coxeter(n) + [_transposition(n, 0, n - 1)]


def lrx(n: int, k: int = 1) -> list[list[int]]:
    return [left_shift(n), right_shift(n), _transposition(n, 0, k)]


def lx(n: int) -> list[list[int]]:
    return [left_shift(n), _transposition(n, 0, 1)]


def larx(n: int) -> list[list[int]]:
    return [_transposition(n, 0, 1), [0] + list(range(2, n)) + [1]]


def top_spin(n: int, k: int = 4) -> list[list[int]]:
    return [left_shift(n), right_shift(n), list(range(k - 1, -1, -1)) + list(range(k, n))]


def pancake(n: int) -> list[list[int]]:
    return [list(range(i, -1, -1)) + list(range(i + 1, n)) for i in range(1, n)]


def _signed_reversal(n: int, i: int, j: int) -> list[int]:
    """Reverse-and-flip elements i..j of a signed sequence on 2n positions.

    Position t holds the "bottom" side of element t, position n + t its "top".
    """
    p = _identity(2 * n)
    for t in range(i, j + 1):
        p[t] = n + (i + j - t)
        p[n + t] = i + j - t
    return p


def burnt_pancake(n: int) -> list[list[int]]:
    return [_signed_reversal(n, 0, j) for j in range(n)]


def full_reversals(n: int) -> list[list[int]]:
    return [list(range(i)) + list(range(j, i - 1, -1)) + list(range(j + 1, n))
            for i in range(n) for j in range(i + 1, n)]


def signed_reversals(n: int) -> list[list[int]]:
    return [_signed_reversal(n, i, j) for i in range(n) for j in range(i, n)]


def stars(n: int) -> list[list[int]]:
    return [_transposition(n, 0, i) for i in range(1, n)]


def transposons(n: int) -> list[list[int]]:
    """Block transpositions: swap adjacent blocks [i..j-1] and [j..k-1]."""
    gens = []
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n + 1):
                gens.append(list(range(i)) + list(range(j, k)) + list(range(i, j))
                            + list(range(k, n)))
    return gens


def block_interchange(n: int) -> list[list[int]]:
    """Swap blocks [i..j-1] and [k..l-1] for all i < j <= k < l <= n."""
    gens = []
    for i in range(n):
        for j in range(i + 1, n + 1):
            for k in range(j, n):
                for m in range(k + 1, n + 1):
                    gens.append(list(range(i)) + list(range(k, m)) + list(range(j, k))
                                + list(range(i, j)) + list(range(m, n)))
    return gens


def rapaport_m1(n: int) -> list[list[int]]:
    """Prefix products (0 1), (0 1)(2 3), ... and (1 2), (1 2)(3 4), ..."""
    gens = []
    for first in (0, 1):
        pairs = [(i, i + 1) for i in range(first, n - 1, 2)]
        gens += [_product_of_transpositions(n, pairs[:t]) for t in range(1, len(pairs) + 1)]
    return gens


def rapaport_m2(n: int) -> list[list[int]]:
    """(0 1); (0 1)(2 3)...; (1 2)(3 4)..."""
    return [_transposition(n, 0, 1),
            _product_of_transpositions(n, [(i, i + 1) for i in range(0, n - 1, 2)]),
            _product_of_transpositions(n, [(i, i + 1) for i in range(1, n - 1, 2)])]


def three_cycles(n: int) -> list[list[int]]:
    """All 3-cycles, both orientations: 2 * C(n, 3) generators (they generate A_n)."""
    gens = []
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                for a, b, c in ((i, j, k), (i, k, j)):
                    p = _identity(n)
                    p[a], p[b], p[c] = b, c, a
                    gens.append(p)
    return gens


# name -> (builder, smallest n, largest n, positions used for n, takes k,
#          group order for n (None: unknown in closed form))
FamilySpec = tuple[Callable[..., list[list[int]]], int, int, Callable[[int], int], bool,
                   Callable[..., int | None]]


def _symmetric(n: int, k: int | None = None) -> int:
    return math.factorial(n)


def _hyperoctahedral(n: int, k: int | None = None) -> int:
    return 2 ** n * math.factorial(n)


def _alternating(n: int, k: int | None = None) -> int:
    return math.factorial(n) // 2 if n >= 3 else 1


def _top_spin_order(n: int, k: int | None = None) -> int | None:
    if (k or 4) == 4 and n >= 6:
        return math.factorial(n) if n % 2 == 0 else math.factorial(n) // 2
    return None


def _same(n: int) -> int:
    return n


def _double(n: int) -> int:
    return 2 * n


PERMUTATION_FAMILIES: dict[str, FamilySpec] = {
    "all_transpositions": (all_transpositions, 2, 16, _same, False, _symmetric),
    "coxeter": (coxeter, 2, 16, _same, False, _symmetric),
    "cyclic_coxeter": (cyclic_coxeter, 2, 16, _same, False, _symmetric),
    "lrx": (lrx, 3, 16, _same, True, lambda n, k=None: _symmetric(n) if (k or 1) == 1 else None),
    "lx": (lx, 3, 16, _same, False, _symmetric),
    "larx": (larx, 3, 16, _same, False, _symmetric),
    "top_spin": (top_spin, 4, 16, _same, True, _top_spin_order),
    "pancake": (pancake, 2, 16, _same, False, _symmetric),
    "burnt_pancake": (burnt_pancake, 1, 8, _double, False, _hyperoctahedral),
    "full_reversals": (full_reversals, 2, 16, _same, False, _symmetric),
    "signed_reversals": (signed_reversals, 1, 8, _double, False, _hyperoctahedral),
    "stars": (stars, 2, 16, _same, False, _symmetric),
    "transposons": (transposons, 2, 16, _same, False, _symmetric),
    "block_interchange": (block_interchange, 2, 16, _same, False, _symmetric),
    "rapaport_m1": (rapaport_m1, 3, 16, _same, False, _symmetric),
    "rapaport_m2": (rapaport_m2, 3, 16, _same, False, _symmetric),
    "three_cycles": (three_cycles, 3, 16, _same, False, _alternating),
}

MATRIX_FAMILIES = ("heisenberg", "unitriangular")
FAMILY_NAMES = tuple(PERMUTATION_FAMILIES) + MATRIX_FAMILIES


def family_bounds(name: str) -> tuple[int, int]:
    """Smallest and largest n the family accepts (matrix families: matrix size)."""
    if name in MATRIX_FAMILIES:
        return (3, 8) if name == "heisenberg" else (2, 8)
    spec = PERMUTATION_FAMILIES[name]
    return spec[1], spec[2]


def permutation_family(name: str, n: int, k: int | None = None) -> list[list[int]]:
    """The generators of the named family for n (and the family parameter k).

    Parameters
    ----------
    name : str
        A key of :data:`PERMUTATION_FAMILIES`.
    n : int
        Number of elements (for burnt_pancake / signed_reversals: signed
        elements; the permutations then act on 2n positions).
    k : int, optional
        lrx: the transposition (0 k), default 1; top_spin: reversed prefix
        length, default 4.

    Returns
    -------
    list of list of int
        Permutations in image form.
    """
    builder, lo, hi, _, takes_k, _ = PERMUTATION_FAMILIES[name]
    if not lo <= n <= hi:
        raise ValueError(f"family {name!r} needs {lo} <= n <= {hi}, got n={n}")
    if k is None or not takes_k:
        if k is not None:
            raise ValueError(f"family {name!r} takes no parameter k")
        return builder(n)
    if name == "lrx" and not 1 <= k < n:
        raise ValueError(f"lrx needs 1 <= k < n, got k={k}")
    if name == "top_spin" and not 2 <= k <= n:
        raise ValueError(f"top_spin needs 2 <= k <= n, got k={k}")
    return builder(n, k)


def family_positions(name: str, n: int) -> int:
    """How many positions the family's permutations act on."""
    return PERMUTATION_FAMILIES[name][3](n)


def family_order(name: str, n: int, k: int | None = None) -> int | None:
    """The order of the group the family generates, where known in closed form."""
    if name in ("lrx", "top_spin"):
        return PERMUTATION_FAMILIES[name][5](n, k)
    if name == "three_cycles" and n < 3:
        return 1
    return PERMUTATION_FAMILIES[name][5](n)


def _unit_matrix(n: int, i: int, j: int, value: int) -> list[list[int]]:
    m = [[int(r == c) for c in range(n)] for r in range(n)]
    m[i][j] = value
    return m


def matrix_family(name: str, n: int) -> list[list[list[int]]]:
    """Generators (with inverses) of a unitriangular matrix group.

    ``heisenberg``: n = 3 gives UT_3 generated by I + E_01, I + E_12; n >= 4
    the higher Heisenberg group H_{2n-3} generated by I + E_0j and I + E_i,n-1
    (0 < i, j < n-1), as in CayleyPy's ``MatrixGroups.heisenberg`` (reference
    Sections 2.1 and 3.6).  ``unitriangular``: the full UT_n generated by
    I + E_i,i+1.  Each generator is followed by its inverse (I - E).
    """
    if name == "heisenberg":
        if n == 3:
            positions = [(0, 1), (1, 2)]
        else:
            positions = [(0, j) for j in range(1, n - 1)] + [(i, n - 1) for i in range(1, n - 1)]
    elif name == "unitriangular":
        positions = [(i, i + 1) for i in range(n - 1)]
    else:
        raise ValueError(f"unknown matrix family {name!r}")
    return [_unit_matrix(n, i, j, v) for i, j in positions for v in (1, -1)]


def matrix_family_order(name: str, n: int, modulus: int | None) -> int | None:
    """|group| for the matrix families over Z/mZ (None over Z: infinite)."""
    if modulus is None:
        return None
    if name == "heisenberg":
        return modulus ** 3 if n == 3 else modulus ** (2 * n - 3)
    return modulus ** (n * (n - 1) // 2)
