"""A generating set acting on the positions of a central state, ready for BFS.

:func:`prepare_graph` validates the generators (permutations of one set of
positions, image form ``new[i] = old[p[i]]``), relabels the symbols of the
central state to ``0..s-1``, finds each generator's inverse and decides how a
state is packed into 64-bit words (Chervov et al., "CayleyPy Growth",
arXiv:2509.19162, Section 2; the packing follows the reference
``cayley.md`` Section 1.3):

* a permutation of at most 16 points keeps every position and 4 bits per
  symbol, so the ranking kernels of :mod:`mathdisco.engines.cayley.kernels` apply;
* anything else (Schreier coset graphs, puzzles' sticker colourings, more
  than 16 points) drops the positions no generator moves -- they never change
  -- and packs ``w = ceil(log2 s)`` bits per symbol, ``64 // w`` symbols per
  word, in as many words as needed (at most :data:`MAX_WORDS`), in the
  order :func:`mathdisco.engines.cayley.layout.layout` finds cheapest.

Examples
--------
>>> g = prepare_graph([[1, 0, 2, 3], [0, 1, 3, 2]], central_state="aabb")
>>> g.n, g.positions, g.width, g.words, g.kind
(4, 4, 1, 1, 'schreier')
>>> h = prepare_graph([[1, 0, 2, 3, 4]], central_state=[0, 1, 2, 2, 2])
>>> h.n, h.kept, h.central_state, h.kind
(2, [0, 1], [0, 1], 'cayley')
>>> decode_states(h, np.array([1], dtype=np.uint64))
[[1, 0, 2, 2, 2]]
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from mathdisco.engines.cayley import kernels
from mathdisco.engines.cayley.layout import layout

__all__ = [
    "MAX_POSITIONS",
    "MAX_RANK_POINTS",
    "MAX_WORDS",
    "PermutationGraph",
    "decode_states",
    "inverse_permutation",
    "is_permutation",
    "multinomial",
    "prepare_graph",
    "vertex_upper_bound",
]

#: the most positions a state may have
MAX_POSITIONS = 256
#: the most 64-bit words a packed state may take
MAX_WORDS = 16
#: permutation states up to this many points are packed as nibbles (rank kernels)
MAX_RANK_POINTS = 16


@dataclass
class PermutationGraph:
    """Generators acting on the kept positions of a central state (see the module docstring)."""

    generators: list[list[int]]  # on the kept positions; distinct, non-identity
    central_state: list[int]  # symbols relabelled to 0..s-1, kept positions only
    symbols: list  # original symbol of each relabelled value
    inverse_closed: bool
    inverse_of: list[int]  # index of each generator's inverse, -1 when absent
    width: int  # bits per packed symbol
    positions: int  # positions of the full state
    kept: list[int]  # the full-state index of each kept position
    fixed: dict[int, object] = field(default_factory=dict)  # dropped position -> its symbol
    group_order: int | None = None
    known_vertices: int | None = None  # |V| when known exactly
    depth_limit: int | None = None  # BFS stops after this many layers (bounds the ball)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Positions of the packed state."""
        return len(self.central_state)

    @property
    def per_word(self) -> int:
        """Symbols per 64-bit word."""
        return 64 // self.width

    @property
    def words(self) -> int:
        """64-bit words per packed state."""
        return -(-self.n // self.per_word)

    @property
    def is_cayley(self) -> bool:
        """Whether the central state's symbols are distinct (else a Schreier coset graph)."""
        return len(set(self.central_state)) == self.n

    @property
    def kind(self) -> str:
        """'cayley' or 'schreier'."""
        return "cayley" if self.is_cayley else "schreier"

    @property
    def rankable(self) -> bool:
        """A permutation of at most 16 points in nibbles: the rank-bitset kernels apply."""
        return (self.is_cayley and self.n <= MAX_RANK_POINTS and self.width == 4
                and self.positions == self.n)


def is_permutation(p: list[int], n: int) -> bool:
    """Whether ``p`` lists each of 0..n-1 once."""
    return len(p) == n and sorted(p) == list(range(n))


def inverse_permutation(p: list[int]) -> list[int]:
    """``q`` with ``q[p[i]] = i``."""
    inv = [0] * len(p)
    for i, x in enumerate(p):
        inv[x] = i
    return inv


def multinomial(counts: list[int]) -> int:
    """(sum counts)! / prod(c!)."""
    total, result = 0, 1
    for c in counts:
        total += c
        result *= math.comb(total, c)
    return result


def _validated(generators: list[list[int]], central_state) -> tuple[int, list]:
    if not generators:
        raise ValueError("at least one generator is needed")
    n = len(generators[0])
    if n > MAX_POSITIONS:
        raise ValueError(f"states of {n} positions are more than the {MAX_POSITIONS} supported")
    for g in generators:
        if not is_permutation(list(g), n):
            raise ValueError(f"generator {list(g)[:20]} is not a permutation of 0..{n - 1} "
                             f"(all generators must permute the same n = {n} positions)")
    central = list(range(n)) if central_state is None else list(central_state)
    if len(central) != n:
        raise ValueError(f"central_state has length {len(central)} but the generators act on "
                         f"{n} positions")
    return n, central


def _distinct(generators: list[list[int]], add_inverses: bool) -> list[list[int]]:
    n = len(generators[0])
    identity = tuple(range(n))
    seen: set[tuple[int, ...]] = set()
    gens: list[list[int]] = []
    for g in generators:
        t = tuple(int(x) for x in g)
        if t != identity and t not in seen:
            seen.add(t)
            gens.append(list(t))
    if add_inverses:
        for g in list(gens):
            inv = tuple(inverse_permutation(g))
            if inv not in seen:
                seen.add(inv)
                gens.append(list(inv))
    if not gens:
        raise ValueError("all generators are the identity")
    return gens


def prepare_graph(generators: list[list[int]], central_state: list | str | None = None,
                  add_inverses: bool = False, group_order: int | None = None,
                  known_vertices: int | None = None) -> PermutationGraph:
    """Validate generators and central state; relabel symbols; choose the packing.

    Parameters
    ----------
    generators : list of list of int
        Permutations of range(n) in image form (``new[i] = old[p[i]]``).
    central_state : list or str, optional
        The start vertex; default the identity 0..n-1 (Cayley graph).  Repeated
        symbols give the Schreier coset graph (e.g. "000111").
    add_inverses : bool
        Append the missing inverses (make the graph undirected).
    group_order : int, optional
        The order of the generated group when known; otherwise computed with
        sympy's Schreier-Sims.
    known_vertices : int, optional
        The size of the orbit when known (puzzles); otherwise derived from the
        group order where that is possible.

    Returns
    -------
    PermutationGraph

    Raises
    ------
    ValueError
        Generators that are not permutations of one n, a central state of the
        wrong length, states over :data:`MAX_POSITIONS` positions or
        :data:`MAX_WORDS` words.
    """
    n, central = _validated(generators, central_state)
    gens = _distinct(generators, add_inverses)
    full_symbols = len(set(central))
    if full_symbols == n and n <= MAX_RANK_POINTS:
        kept = list(range(n))
    else:  # positions that no generator moves never change: leave them out of the state
        kept = [i for i in range(n) if any(g[i] != i for g in gens)]
    fixed = {i: central[i] for i in range(n) if i not in set(kept)}
    index = {p: j for j, p in enumerate(kept)}
    gens = [[index[g[p]] for p in kept] for g in gens]
    reduced = [central[p] for p in kept]
    symbols = sorted(set(reduced), key=lambda s: (str(type(s)), s))
    code = {s: i for i, s in enumerate(symbols)}
    relabelled = [code[s] for s in reduced]
    if full_symbols == n and n <= MAX_RANK_POINTS:
        width = 4  # permutations use nibbles (the ranking kernels expect them)
    else:
        width = max(1, (len(symbols) - 1).bit_length())
    words = -(-len(kept) // (64 // width))
    if words > MAX_WORDS:
        raise ValueError(f"a state of {len(kept)} moving positions with {len(symbols)} distinct "
                         f"symbols needs {words} 64-bit words; at most {MAX_WORDS} are supported")
    if len(kept) > 2:
        # pack positions in an order that makes the generators cheap to apply (any fixed
        # order is a bijection on states; ranks are taken of the packed state)
        order = _packing_order(tuple(tuple(g) for g in gens), width, words)
        slot_of = {p: j for j, p in enumerate(order)}
        gens = [[slot_of[g[p]] for p in order] for g in gens]
        relabelled = [relabelled[p] for p in order]
        kept = [kept[p] for p in order]
    lookup = {tuple(g): i for i, g in enumerate(gens)}
    inverse_of = [lookup.get(tuple(inverse_permutation(g)), -1) for g in gens]
    graph = PermutationGraph(gens, relabelled, symbols, all(i >= 0 for i in inverse_of),
                             inverse_of, width, n, kept, fixed)
    graph.group_order = group_order if group_order is not None else _group_order(gens)
    graph.known_vertices = known_vertices if known_vertices is not None else \
        _known_vertex_count(graph)
    return graph


@functools.lru_cache(maxsize=64)
def _packing_order(gens: tuple[tuple[int, ...], ...], width: int, words: int
                   ) -> tuple[int, ...]:
    """The slot order of the positions (cached: validating the params and the run both prepare
    the graph, and the layout search costs ~5 ms)."""
    if width == 4 and words == 1:
        # the one-word kernels also move reflected runs at once (a prefix reversal is one
        # group in the given order); the layout search knows only shifts
        identity = tuple(range(len(gens[0])))
        groups = _reflected_groups(gens, identity)
        if groups <= 2 * len(gens):  # a shift or a reflection plus the fixed points each
            return identity
        order = tuple(layout([list(g) for g in gens], width, 64 // width))
        return identity if groups <= _reflected_groups(gens, order) else order
    return tuple(layout([list(g) for g in gens], width, 64 // width))


def _reflected_groups(gens, order) -> int:
    """Mask-and-shift groups of one-word nibble states, reflections allowed, in this order."""
    slot_of = {p: j for j, p in enumerate(order)}
    placed = [[slot_of[g[p]] for p in order] for g in gens]
    return len(kernels.compile_generators(placed, 4, reflections=True)[0])


def _parity(p: list[int]) -> int:
    seen, transpositions = set(), 0
    for start in range(len(p)):
        length, x = 0, start
        while x not in seen:
            seen.add(x)
            x = p[x]
            length += 1
        transpositions += max(length - 1, 0)
    return transpositions % 2


def _group_order(gens: list[list[int]]) -> int:
    """|<gens>|: Alt/Sym recognised first (cheap, certain when it says yes), else Schreier-Sims."""
    from sympy.combinatorics import Permutation, PermutationGroup

    group = PermutationGroup([Permutation(g) for g in gens])
    n = len(gens[0])
    # sympy's test is one-sided: True is a theorem (Jordan: a transitive group with a
    # p-cycle, n/2 < p < n-2, contains A_n); False may be wrong, and then the full
    # Schreier-Sims order below decides
    if n >= 8 and group.is_alt_sym():
        return math.factorial(n) // (1 if any(_parity(g) for g in gens) else 2)
    return int(group.order())


def _known_vertex_count(graph: PermutationGraph) -> int | None:
    """|V| when it follows from the group order; None when only a bound is known."""
    order = graph.group_order
    if graph.is_cayley:
        return order
    fact = math.factorial(graph.n)
    counts = list(Counter(graph.central_state).values())
    if order == fact or (order == fact // 2 and any(c > 1 for c in counts)):
        # S_n (or A_n, which gains an odd permutation's freedom once a symbol
        # repeats) is transitive on the arrangements of the multiset.
        return multinomial(counts)
    return None


def vertex_upper_bound(graph: PermutationGraph) -> int:
    """An upper bound on the number of states the search can reach."""
    if graph.known_vertices is not None:
        bound = graph.known_vertices
    else:
        bound = min(graph.group_order or math.factorial(graph.n),
                    multinomial(list(Counter(graph.central_state).values())))
    if graph.depth_limit is not None:
        k, ball, sphere = len(graph.generators), 1, 1
        for _ in range(graph.depth_limit):
            sphere *= k
            ball += sphere
            if ball >= bound:
                break
        bound = min(bound, ball)
    return bound


def decode_states(graph: PermutationGraph, words: np.ndarray) -> list:
    """Packed states (a 1-D one-word array, or (m, W) rows) as full states in original symbols.

    Generator tags above bit 52 (rank-bitset frontiers) are dropped; states
    are returned sorted by their packed value.
    """
    if words.ndim == 1:
        if graph.n * graph.width <= kernels.TAG_SHIFT:
            words = words & np.uint64((1 << kernels.TAG_SHIFT) - 1)
        words = np.sort(words)[None, :]
    else:  # (m, W) rows: sorted by word 0, then word 1, ...
        words = words[np.lexsort(words.T[::-1])].T
    per_word = graph.per_word
    mask = np.uint64((1 << graph.width) - 1)
    columns = []
    for i in range(graph.n):
        shift = np.uint64(graph.width * (i % per_word))
        columns.append((words[i // per_word] >> shift) & mask)
    rows = np.stack(columns, axis=1).astype(np.int64) if columns else np.zeros((0, 0), np.int64)
    symbols = graph.symbols
    out = []
    for row in rows.tolist():
        full: list = [None] * graph.positions
        for p, v in zip(graph.kept, row, strict=True):
            full[p] = symbols[v]
        for p, s in graph.fixed.items():
            full[p] = s
        out.append(full)
    if all(isinstance(s, str) for s in symbols) and all(
            isinstance(s, str) for s in graph.fixed.values()):
        return ["".join(state) for state in out]
    return out
