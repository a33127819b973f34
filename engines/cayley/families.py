"""Named generating sets: permutation families of S_n and small matrix groups.

Every permutation is a list of images ``p`` acting on *positions*: applying
``p`` to a state ``s`` gives ``s[p]`` (``new[i] = old[p[i]]``), all indices
0-based.  The families and their exact definitions are those of CayleyPy's
``PermutationGroups`` / ``MatrixGroups`` (Chervov et al., "CayleyPy Growth",
arXiv:2509.19162, Section 2; definitions restated in the project reference
``cayley.md`` Section 2.1).  Growth sequences do not depend on left/right action
or on inverting the whole generating set, so the conventions only matter for
Schreier coset graphs (central states with repeated symbols).

The cycle and conjugacy-class families (wrapped, consecutive and increasing
k-cycles, down, prefix and LSL cycles, ...) are built in
:mod:`mathdisco.engines.cayley.cycle_families` and registered here.  Families of S_n
accept n up to 32 (more than 16 points go through the multi-word packed
states) unless they have too many generators for that.

Examples
--------
>>> family_label("wrapped_k_cycles", 3), family_label("lrx", 1)
('wrapped_k_cycles(k=3)', 'lrx')
>>> permutation_family("lrx", 4)
[[1, 2, 3, 0], [3, 0, 1, 2], [1, 0, 2, 3]]
>>> len(permutation_family("block_interchange", 9))
330
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mathdisco.engines.cayley import cycle_families as cf

__all__ = [
    "FAMILY_NAMES",
    "MATRIX_FAMILIES",
    "PERMUTATION_FAMILIES",
    "Family",
    "family_bounds",
    "family_k",
    "family_label",
    "family_order",
    "family_positions",
    "matrix_family",
    "matrix_family_order",
    "permutation_family",
]


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


def _symmetric(n: int, k: int | None = None) -> int:
    return math.factorial(n)


def _hyperoctahedral(n: int, k: int | None = None) -> int:
    return 2 ** n * math.factorial(n)


def _alternating(n: int, k: int | None = None) -> int:
    return math.factorial(n) // 2 if n >= 3 else 1


def _top_spin_order(n: int, k: int | None = None) -> int | None:
    if k == 4 and n >= 6:
        return math.factorial(n) if n % 2 == 0 else math.factorial(n) // 2
    return None


def _lrx_order(n: int, k: int | None = None) -> int | None:
    return math.factorial(n) if k == 1 else None


def _unknown(n: int, k: int | None = None) -> None:
    return None  # computed with Schreier-Sims when needed


@dataclass(frozen=True)
class Family:
    """A named generator family: how to build it, for which n (and k), its group order."""

    builder: Callable[..., list[list[int]]]
    lo: int
    hi: int
    order: Callable[..., int | None] = _symmetric
    signed: bool = False  # acts on 2n positions
    k_default: int | None = None  # the family takes a parameter k (this default)
    k_range: Callable[[int], tuple[int, int]] | None = None  # allowed k for n
    even_n: bool = False
    reference: str = ""

    @property
    def takes_k(self) -> bool:
        return self.k_default is not None


def _k_cycle_range(n: int) -> tuple[int, int]:
    return 2, n


PERMUTATION_FAMILIES: dict[str, Family] = {
    "all_transpositions": Family(all_transpositions, 2, 32),
    "coxeter": Family(coxeter, 2, 32),
    "cyclic_coxeter": Family(cyclic_coxeter, 2, 32),
    "lrx": Family(lrx, 3, 32, _lrx_order, k_default=1, k_range=lambda n: (1, n - 1)),
    "lx": Family(lx, 3, 32),
    "larx": Family(larx, 3, 32),
    "top_spin": Family(top_spin, 4, 32, _top_spin_order, k_default=4, k_range=lambda n: (2, n)),
    "pancake": Family(pancake, 2, 32),
    "burnt_pancake": Family(burnt_pancake, 1, 16, _hyperoctahedral, signed=True),
    "full_reversals": Family(full_reversals, 2, 32),
    "signed_reversals": Family(signed_reversals, 1, 16, _hyperoctahedral, signed=True),
    "stars": Family(stars, 2, 32),
    "transposons": Family(transposons, 2, 24),
    "block_interchange": Family(block_interchange, 2, 20),
    "rapaport_m1": Family(rapaport_m1, 3, 32),
    "rapaport_m2": Family(rapaport_m2, 3, 32),
    "three_cycles": Family(three_cycles, 3, 20, _alternating),
    # CayleyPy's cycle and conjugacy-class families (engines.cayley.cycle_families)
    "wrapped_k_cycles": Family(cf.wrapped_k_cycles, 3, 32, _unknown, k_default=3,
                               k_range=_k_cycle_range),
    "consecutive_k_cycles": Family(cf.consecutive_k_cycles, 3, 32, _unknown, k_default=3,
                                   k_range=_k_cycle_range),
    "increasing_k_cycles": Family(cf.increasing_k_cycles, 3, 12, _unknown, k_default=3,
                                  k_range=_k_cycle_range),
    "down_cycles": Family(cf.down_cycles, 2, 32),
    "prefix_cycles": Family(cf.prefix_cycles, 2, 32),
    "lsl_cycles": Family(cf.lsl_cycles, 3, 32, _unknown),
    "all_cycles": Family(cf.all_cycles, 2, 7),
    "derangements": Family(cf.derangements, 2, 7, _unknown),
    "involutive_derangements": Family(cf.involutive_derangements, 2, 10, _unknown, even_n=True),
    "three_cycles_0ij": Family(cf.three_cycles_0ij, 3, 20, _alternating),
    "three_cycles_01i": Family(cf.three_cycles_01i, 3, 32, _alternating),
    "generalized_stars": Family(cf.generalized_stars, 3, 32, k_default=2,
                                k_range=lambda n: (1, n - 1)),
    "cubic_pancake": Family(cf.cubic_pancake, 4, 32, _unknown, k_default=1,
                            k_range=lambda n: (1, 7)),
    "koltsov3": Family(cf.koltsov3, 5, 32, _unknown, k_default=1,
                       k_range=lambda n: (0, n - 4)),
}

MATRIX_FAMILIES = ("heisenberg", "unitriangular")
FAMILY_NAMES = tuple(PERMUTATION_FAMILIES) + MATRIX_FAMILIES


def family_bounds(name: str) -> tuple[int, int]:
    """Smallest and largest n the family accepts (matrix families: matrix size)."""
    if name in MATRIX_FAMILIES:
        return (3, 8) if name == "heisenberg" else (2, 8)
    spec = PERMUTATION_FAMILIES[name]
    return spec.lo, spec.hi


def family_k(name: str, n: int, k: int | None = None) -> int | None:
    """The family parameter used for n: ``k`` checked, or the family's default; None if none."""
    spec = PERMUTATION_FAMILIES[name]
    if not spec.takes_k:
        if k is not None:
            raise ValueError(f"family {name!r} takes no parameter k")
        return None
    k = spec.k_default if k is None else k
    lo, hi = spec.k_range(n)
    if not lo <= k <= hi:
        raise ValueError(f"{name} with n={n} needs {lo} <= k <= {hi}, got k={k}")
    return k


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
        The family parameter (lrx: the transposition (0 k), default 1;
        top_spin: reversed prefix length, default 4; k-cycle families: the
        cycle length, default 3; generalized_stars: the star's centre count,
        default 2; cubic_pancake: the subset 1..7, default 1; koltsov3: the
        square's position, default 1).

    Returns
    -------
    list of list of int
        Permutations in image form.
    """
    spec = PERMUTATION_FAMILIES[name]
    if not spec.lo <= n <= spec.hi:
        raise ValueError(f"family {name!r} needs {spec.lo} <= n <= {spec.hi}, got n={n}")
    if spec.even_n and n % 2:
        raise ValueError(f"family {name!r} needs an even n, got n={n}")
    k = family_k(name, n, k)
    return spec.builder(n) if k is None else spec.builder(n, k)


def family_label(name: str, k: int | None) -> str:
    """How results and discoveries name the family with parameter ``k`` (the one used).

    lrx and top_spin keep their plain names at their default k (as CayleyPy's
    datasets do); every other family that takes k shows it.
    """
    spec = PERMUTATION_FAMILIES.get(name)
    if spec is None or not spec.takes_k or k is None:
        return name
    if name in ("lrx", "top_spin") and k == spec.k_default:
        return name
    return f"{name}(k={k})"


def family_positions(name: str, n: int) -> int:
    """How many positions the family's permutations act on."""
    return 2 * n if PERMUTATION_FAMILIES[name].signed else n


def family_order(name: str, n: int, k: int | None = None) -> int | None:
    """The order of the group the family generates where known in closed form, else None."""
    if name == "three_cycles" and n < 3:
        return 1
    return PERMUTATION_FAMILIES[name].order(n, family_k(name, n, k))


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
