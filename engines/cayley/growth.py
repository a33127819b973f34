"""Exact growth functions (BFS sphere sizes) of Cayley and Schreier graphs.

Implements the growth computation of Chervov et al., "CayleyPy Growth:
Efficient growth computations and hundreds of new conjectures on Cayley
graphs" (arXiv:2509.19162, Section 2; algorithm as described in the project
reference Section 1.5-1.6): layer-by-layer BFS from a central state, with
exact de-duplication.  Two strategies, chosen per graph:

* ``rank_bitset`` -- the central state is a permutation of n <= 13 symbols:
  the visited set is a bitset over the n! lexicographic ranks (as CayleyPy's
  ``bfs_bitmask``), the frontier a list of packed states.  Works for directed
  (non inverse-closed) generating sets unchanged.
* ``rank_bitset_frontier`` -- the same when the frontier lists would not fit
  the memory budget: the frontier is two more bitsets (3 bits per vertex,
  2.3 GB for S_13) and states are unranked before expansion.
* ``sorted_layers`` -- anything else that packs into 64 bits (Schreier coset
  graphs, subgroups of S_16): layers are sorted uint64 arrays; new states are
  the expanded frontier minus the last two layers (inverse-closed sets) or
  minus every visited state (directed sets).

Examples
--------
>>> from engines.cayley.families import coxeter
>>> graph = prepare_graph(coxeter(4))
>>> growth(graph)["layer_sizes"]
[1, 3, 5, 6, 5, 3, 1]
"""

from __future__ import annotations

import math
import resource
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from engines.cayley import kernels
from engines.contract import Progress, no_progress

MAX_RANK_BITSET_N = 13
# neighbour evaluations per kernel call: ~0.1-0.5 s on this hardware
WORK_PER_CALL = 3_000_000
# visited bitsets larger than this are probed region by region (expand_bucketed)
BUCKETED_ABOVE_BYTES = 1 << 20
# The largest pair of consecutive layers seen in the reference data is ~61% of |V|
# (pancake, all transpositions); the estimate uses 65%.
PEAK_TWO_LAYER_FRACTION = 0.65


class MemoryBudgetExceeded(RuntimeError):
    """The search needed more memory than its budget allowed."""


@dataclass
class PermutationGraph:
    """A generating set acting on positions of a central state, ready for BFS."""

    generators: list[list[int]]  # distinct, non-identity
    central_state: list[int]  # symbols relabelled to 0..s-1
    symbols: list  # original symbol of each relabelled value
    inverse_closed: bool
    inverse_of: list[int]  # index of each generator's inverse, -1 when absent
    width: int  # bits per packed symbol
    group_order: int | None = None
    known_vertices: int | None = None  # |V| when known exactly
    depth_limit: int | None = None  # BFS stops after this many layers (bounds the ball)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.central_state)

    @property
    def is_cayley(self) -> bool:
        return len(set(self.central_state)) == self.n


def _is_permutation(p: list[int], n: int) -> bool:
    return len(p) == n and sorted(p) == list(range(n))


def prepare_graph(generators: list[list[int]], central_state: list | str | None = None,
                  add_inverses: bool = False, group_order: int | None = None) -> PermutationGraph:
    """Validate generators and central state; relabel symbols; find inverses.

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
        The order of the generated group when known in closed form; otherwise
        it is computed with sympy's Schreier-Sims.

    Returns
    -------
    PermutationGraph

    Raises
    ------
    ValueError
        Generators that are not permutations of one n, a central state of the
        wrong length, states that do not fit 64 bits.
    """
    if not generators:
        raise ValueError("at least one generator is needed")
    n = len(generators[0])
    for g in generators:
        if not _is_permutation(list(g), n):
            raise ValueError(f"generator {list(g)[:20]} is not a permutation of 0..{n - 1} "
                             f"(all generators must permute the same n = {n} positions)")
    if central_state is None:
        central = list(range(n))
    else:
        central = list(central_state)
    if len(central) != n:
        raise ValueError(f"central_state has length {len(central)} but the generators act on "
                         f"{n} positions")
    symbols = sorted(set(central), key=lambda s: (str(type(s)), s))
    code = {s: i for i, s in enumerate(symbols)}
    relabelled = [code[s] for s in central]
    if len(symbols) == n:
        width = 4  # permutations always use nibbles (the ranking kernel expects them)
    else:
        width = max(1, (len(symbols) - 1).bit_length())
    if n * width > 64 or n > 16:
        raise ValueError(f"a state of {n} positions with {len(symbols)} distinct symbols needs "
                         f"{n * width} bits; at most 64 are supported")
    identity = list(range(n))
    seen: set[tuple[int, ...]] = set()
    gens: list[list[int]] = []
    for g in generators:
        t = tuple(int(x) for x in g)
        if list(t) != identity and t not in seen:
            seen.add(t)
            gens.append(list(t))
    if add_inverses:
        for g in list(gens):
            inv = [0] * n
            for i, x in enumerate(g):
                inv[x] = i
            if tuple(inv) not in seen:
                seen.add(tuple(inv))
                gens.append(inv)
    if not gens:
        raise ValueError("all generators are the identity")
    index = {tuple(g): i for i, g in enumerate(gens)}
    inverse_of = []
    for g in gens:
        inv = [0] * n
        for i, x in enumerate(g):
            inv[x] = i
        inverse_of.append(index.get(tuple(inv), -1))
    graph = PermutationGraph(gens, relabelled, symbols, all(i >= 0 for i in inverse_of),
                             inverse_of, width)
    graph.group_order = group_order if group_order is not None else _group_order(gens, n)
    graph.known_vertices = _known_vertex_count(graph)
    return graph


def _group_order(gens: list[list[int]], n: int) -> int:
    from sympy.combinatorics import Permutation, PermutationGroup

    return int(PermutationGroup([Permutation(g) for g in gens]).order())


def _multinomial(counts: list[int]) -> int:
    total, result = 0, 1
    for c in counts:
        total += c
        result *= math.comb(total, c)
    return result


def _known_vertex_count(graph: PermutationGraph) -> int | None:
    """|V| when it follows from the group order; None when only a bound is known."""
    order = graph.group_order
    if graph.is_cayley:
        return order
    fact = math.factorial(graph.n)
    repeated = any(c > 1 for c in Counter(graph.central_state).values())
    if order == fact or (order == fact // 2 and repeated):
        # S_n (or A_n, which contains a transposition's worth of freedom once a
        # symbol repeats) is transitive on arrangements of the multiset.
        return _multinomial(list(Counter(graph.central_state).values()))
    return None


def vertex_upper_bound(graph: PermutationGraph) -> int:
    """An upper bound on the number of states the search can reach."""
    if graph.known_vertices is not None:
        bound = graph.known_vertices
    else:
        bound = min(graph.group_order or math.factorial(graph.n),
                    _multinomial(list(Counter(graph.central_state).values())))
    if graph.depth_limit is not None:
        k, ball, sphere = len(graph.generators), 1, 1
        for _ in range(graph.depth_limit):
            sphere *= k
            ball += sphere
            if ball >= bound:
                break
        bound = min(bound, ball)
    return bound


ALGORITHMS = ("rank_bitset", "rank_bitset_frontier", "sorted_layers")


def _rank_bitset_applies(graph: PermutationGraph) -> bool:
    return graph.is_cayley and graph.n <= MAX_RANK_BITSET_N


def choose_algorithm(graph: PermutationGraph, budget_bytes: int | None = None) -> str:
    """The cheapest strategy whose memory estimate fits the budget."""
    if _rank_bitset_applies(graph) and len(graph.generators) <= kernels.MAX_TAGGED_GENERATORS:
        fact = math.factorial(graph.n)
        # a bitset over all of S_n only pays when the group is a sizeable part of it
        if fact // 8 <= 64 << 20 or vertex_upper_bound(graph) * 64 >= fact:
            if budget_bytes is None or \
                    estimate_memory(graph, "rank_bitset")["estimated_bytes"] <= budget_bytes:
                return "rank_bitset"
            return "rank_bitset_frontier"
    return "sorted_layers"


def _chunk(k: int) -> int:
    return max(256, WORK_PER_CALL // max(k, 1))


def estimate_memory(graph: PermutationGraph, algorithm: str = "auto",
                    budget_bytes: int | None = None) -> dict:
    """Up-front estimate of the states held and the bytes needed.

    rank_bitset: n!/8 bytes of visited bits plus two frontier layers of 8-byte
    states (estimated at 65% of |V|); rank_bitset_frontier: three bitsets,
    3 n!/8 bytes; sorted_layers: 16 bytes per held state (three layers, or every
    state for directed sets) plus the expansion buffers.
    """
    if algorithm == "auto":
        algorithm = choose_algorithm(graph, budget_bytes)
    elif algorithm.startswith("rank_bitset") and not _rank_bitset_applies(graph):
        raise ValueError(f"{algorithm} needs a permutation central state of at most "
                         f"{MAX_RANK_BITSET_N} symbols")
    vertices = vertex_upper_bound(graph)
    k = len(graph.generators)
    buffer = _chunk(k) * k * 8
    fact = math.factorial(graph.n)
    if algorithm == "rank_bitset":
        held = int(PEAK_TWO_LAYER_FRACTION * vertices) + 1
        estimate = fact // 8 + 8 * held + 4 * buffer
    elif algorithm == "rank_bitset_frontier":
        held = vertices
        estimate = 3 * ((fact + 63) // 64) * 8 + buffer
    else:
        # directed: every visited state stays; inverse-closed: three layers
        held = vertices if not graph.inverse_closed else int(PEAK_TWO_LAYER_FRACTION * vertices) + 1
        estimate = 16 * held + 3 * buffer
    return {"algorithm": algorithm, "vertex_bound": vertices, "states_held_estimate": held,
            "estimated_bytes": int(estimate)}


def check_budget(graph: PermutationGraph, budget_bytes: int, algorithm: str = "auto") -> dict:
    """The memory estimate; ValueError when it exceeds the budget."""
    estimate = estimate_memory(graph, algorithm, budget_bytes)
    if estimate["estimated_bytes"] > budget_bytes:
        raise ValueError(
            f"estimated memory {estimate['estimated_bytes'] / 2**30:.2f} GiB "
            f"(up to {estimate['vertex_bound']:,} states, {estimate['algorithm']}) exceeds the "
            f"memory budget of {budget_bytes / 2**30:.2f} GiB")
    return estimate


class MemoryLedger:
    """Counts the bytes of the large arrays a search holds, against a budget."""

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.current = 0
        self.peak = 0

    def take(self, nbytes: int, what: str) -> None:
        if self.current + nbytes > self.budget:
            raise MemoryBudgetExceeded(
                f"{what} needs {nbytes / 2**30:.2f} GiB more while {self.current / 2**30:.2f} GiB "
                f"are held; the memory budget is {self.budget / 2**30:.2f} GiB")
        self.current += nbytes
        self.peak = max(self.peak, self.current)

    def give(self, nbytes: int) -> None:
        self.current -= nbytes


def peak_rss_bytes() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _decode(graph: PermutationGraph, words: np.ndarray) -> list:
    if graph.n * graph.width <= kernels.TAG_SHIFT:
        words = words & np.uint64((1 << kernels.TAG_SHIFT) - 1)  # drop generator tags
    rows = kernels.unpack_states(np.sort(words), graph.n, graph.width)
    symbols = graph.symbols
    if all(isinstance(s, str) for s in symbols):
        return ["".join(symbols[v] for v in row) for row in rows.tolist()]
    return [[symbols[v] for v in row] for row in rows.tolist()]


def growth(graph: PermutationGraph, *, memory_budget_bytes: int = 8 << 30,
           max_diameter: int | None = None, store_layers_max_size: int = 0,
           last_layer_max_size: int = 1000, progress: Progress = no_progress,
           algorithm: str = "auto") -> dict:
    """Sphere sizes of the graph around its central state.

    Parameters
    ----------
    graph : PermutationGraph
        From :func:`prepare_graph`.
    memory_budget_bytes : int
        Refuse up front when the estimate exceeds it; abort cleanly when the
        arrays held would exceed it.
    max_diameter : int, optional
        Stop after this many layers (``bfs_completed`` is then False unless
        the graph was exhausted).
    store_layers_max_size : int
        Return the states of every layer with at most this many states.
    last_layer_max_size : int
        Return the last layer (the antipodes) when it has at most this many states.
    progress : Progress
        Called per layer and between kernel calls (~0.1-0.5 s apart).
    algorithm : str
        "auto" (the cheapest that fits the budget), or force "rank_bitset",
        "rank_bitset_frontier" (Cayley graphs of S_n, n <= 13) or "sorted_layers".

    Returns
    -------
    dict
        ``layer_sizes``, ``diameter``, ``num_vertices``, ``bfs_completed``,
        ``last_layer``, ``layers``, ``algorithm`` and memory figures.
    """
    graph.depth_limit = max_diameter
    estimate = check_budget(graph, memory_budget_bytes, algorithm)
    ledger = MemoryLedger(memory_budget_bytes)
    started = time.perf_counter()
    if estimate["algorithm"] == "rank_bitset":
        sizes, stored, last, completed = _bfs_rank_bitset(
            graph, ledger, max_diameter, store_layers_max_size, last_layer_max_size, progress)
    elif estimate["algorithm"] == "rank_bitset_frontier":
        from engines.cayley.bitset_frontier import bfs_bitset_frontier

        sizes, stored, last, completed = bfs_bitset_frontier(
            graph, ledger, max_diameter, store_layers_max_size, last_layer_max_size, progress)
    else:
        sizes, stored, last, completed = _bfs_sorted_layers(
            graph, ledger, max_diameter, store_layers_max_size, last_layer_max_size, progress)
    elapsed = time.perf_counter() - started
    last_layer = _decode(graph, last) if last is not None else None
    return {
        "layer_sizes": sizes,
        "diameter": len(sizes) - 1,
        "num_vertices": sum(sizes),
        "bfs_completed": completed,
        "last_layer": last_layer,
        "layers": {str(d): states for d, states in stored.items()},
        "algorithm": estimate["algorithm"],
        "elapsed_s": round(elapsed, 4),
        "memory": {"budget_bytes": memory_budget_bytes,
                   "estimated_bytes": estimate["estimated_bytes"],
                   "peak_tracked_bytes": ledger.peak,
                   "peak_rss_bytes": peak_rss_bytes()},
    }


def _stop(max_diameter: int | None, depth: int) -> bool:
    return max_diameter is not None and depth >= max_diameter


def _bfs_rank_bitset(graph, ledger, max_diameter, store_cap, last_cap, progress):
    n = graph.n
    k = len(graph.generators)
    masks, lefts, rights, offsets = kernels.compile_generators(graph.generators, 4)
    inverse_of = np.array([-1] + graph.inverse_of, dtype=np.int64)
    total = graph.known_vertices or 0
    visited_words = (math.factorial(n) + 63) // 64
    ledger.take(visited_words * 8, "the visited bitset")
    visited = np.zeros(visited_words, dtype=np.uint64)
    start = np.array([kernels.pack_state(graph.central_state, 4)], dtype=np.uint64)
    r0 = int(kernels.rank_permutations(start, n)[0])
    visited[r0 >> 6] |= np.uint64(1) << np.uint64(r0 & 63)
    current = [start]
    ledger.take(8, "layer 0")
    sizes = [1]
    stored = {0: _decode(graph, start)} if store_cap >= 1 else {}
    chunk = _chunk(k)
    scratch = None
    if visited_words * 8 > BUCKETED_ABOVE_BYTES:
        # bitset beyond the caches: group probes by region (see expand_bucketed)
        ledger.take(4 * chunk * k * 8, "the bucketing buffers")
        scratch = tuple(np.empty(chunk * k, dtype=np.uint64) for _ in range(4))
        bucket_shift = max(19, (math.factorial(n) - 1).bit_length() - 10)
        bucket_counts = np.zeros((math.factorial(n) >> bucket_shift) + 1, dtype=np.int64)
    done = 1
    completed = False
    progress(done, total, "layer 0: 1 state")
    while not _stop(max_diameter, len(sizes) - 1):
        next_layer: list[np.ndarray] = []
        layer_size = 0
        last_report = time.monotonic()
        for part in current:
            for a in range(0, len(part), chunk):
                b = min(len(part), a + chunk)
                if scratch is not None:
                    count = kernels.expand_bucketed(part, a, b, masks, lefts, rights, offsets,
                                                    inverse_of, n, visited, bucket_shift,
                                                    bucket_counts, *scratch, scratch[1])
                    out = scratch[1]
                else:
                    ledger.take((b - a) * k * 8, "the expansion buffer")
                    out = np.empty((b - a) * k, dtype=np.uint64)
                    count = kernels.expand_into_bitset(part, a, b, masks, lefts, rights,
                                                       offsets, inverse_of, n, visited, out)
                    ledger.give((b - a) * k * 8)
                if count:
                    ledger.take(count * 8, f"layer {len(sizes)}")
                    next_layer.append(out[:count].copy())
                    layer_size += count
                del out
                now = time.monotonic()
                if now - last_report > 0.4:
                    last_report = now
                    progress(done + layer_size, total,
                             f"layer {len(sizes)}: {layer_size:,} states so far")
        if layer_size == 0:
            completed = True
            break
        for part in current:
            ledger.give(part.size * 8)
        current = next_layer
        sizes.append(layer_size)
        done += layer_size
        if layer_size <= store_cap:
            stored[len(sizes) - 1] = _decode(graph, np.concatenate(current))
        progress(done, total, f"layer {len(sizes) - 1}: {layer_size:,} states")
    last = np.concatenate(current) if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed


def _bfs_sorted_layers(graph, ledger, max_diameter, store_cap, last_cap, progress):
    width = graph.width
    k = len(graph.generators)
    masks, lefts, rights, offsets = kernels.compile_generators(graph.generators, width)
    total = graph.known_vertices or 0
    empty = np.empty(0, dtype=np.uint64)
    current = np.array([kernels.pack_state(graph.central_state, width)], dtype=np.uint64)
    previous = empty  # inverse-closed: L_{i-1}; directed: every state before L_i
    ledger.take(8, "layer 0")
    sizes = [1]
    stored = {0: _decode(graph, current)} if store_cap >= 1 else {}
    chunk = _chunk(k)
    done = 1
    completed = False
    progress(done, total, "layer 0: 1 state")
    while not _stop(max_diameter, len(sizes) - 1):
        pieces: list[np.ndarray] = []
        held = 0
        last_report = time.monotonic()
        for a in range(0, len(current), chunk):
            b = min(len(current), a + chunk)
            ledger.take(2 * (b - a) * k * 8, "the expansion buffer")
            out = np.empty((b - a) * k, dtype=np.uint64)
            kernels.expand_all(current, a, b, masks, lefts, rights, offsets, out)
            out.sort()
            count = kernels.sorted_unique_not_in(out, current, previous)
            if count:
                ledger.take(count * 8, f"layer {len(sizes)} candidates")
                pieces.append(out[:count].copy())
                held += count * 8
            del out
            ledger.give(2 * (b - a) * k * 8)
            now = time.monotonic()
            if now - last_report > 0.4:
                last_report = now
                progress(done, total, f"layer {len(sizes)}: expanding")
        if not pieces:
            completed = True
            break
        if len(pieces) == 1:
            new = pieces[0]
        else:
            ledger.take(held, f"merging layer {len(sizes)}")
            new = np.concatenate(pieces)
            new.sort()
            keep = np.empty(len(new), dtype=bool)
            keep[0] = True
            np.not_equal(new[1:], new[:-1], out=keep[1:])
            new = new[keep]
            ledger.give(held)
        ledger.give(held - new.size * 8)
        del pieces
        if graph.inverse_closed:
            ledger.give(previous.size * 8)
            previous = current
        else:
            merged = np.concatenate([previous, current])
            merged.sort(kind="stable")
            previous = merged
        current = new
        sizes.append(len(new))
        done += len(new)
        if len(new) <= store_cap:
            stored[len(sizes) - 1] = _decode(graph, current)
        progress(done, total, f"layer {len(sizes) - 1}: {len(new):,} states")
    last = current if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
