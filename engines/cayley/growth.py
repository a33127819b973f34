"""Exact growth functions (BFS sphere sizes) of Cayley and Schreier graphs.

Implements the growth computation of Chervov et al., "CayleyPy Growth:
Efficient growth computations and hundreds of new conjectures on Cayley
graphs" (arXiv:2509.19162, Section 2; algorithm as described in the project
reference ``cayley.md`` Sections 1.5-1.6): layer-by-layer BFS from a central
state, with exact de-duplication.  Four strategies, chosen per graph by
:func:`choose_algorithm` from the memory cost model of :func:`estimate_memory`:

* ``rank_bitset`` (:mod:`mathdisco.engines.cayley.rank_bitset`) -- permutations of
  n <= 13 points: a visited bitset over the n! ranks, frontier lists;
* ``rank_bitset_frontier`` (:mod:`mathdisco.engines.cayley.bitset_frontier`) -- the
  same with the frontier as two more bitsets, when lists would not fit;
* ``sorted_layers`` (:mod:`mathdisco.engines.cayley.sorted_layers`) -- anything whose
  packed state fits one 64-bit word: layers are sorted uint64 arrays;
* ``packed_layers`` (:mod:`mathdisco.engines.cayley.packed_layers`) -- states of up to
  256 positions in several words: layers are sorted arrays of rows.

:func:`estimate_seconds` is the matching time model (neighbour evaluations
times a measured cost per evaluation), used to refuse jobs that could not
finish within their time limit.

Examples
--------
>>> from mathdisco.engines.cayley.families import coxeter
>>> from mathdisco.engines.cayley.graph import prepare_graph
>>> result = growth(prepare_graph(coxeter(4)))
>>> result["layer_sizes"], result["algorithm"]
([1, 3, 5, 6, 5, 3, 1], 'rank_bitset')
>>> growth(prepare_graph(coxeter(4)), algorithm="packed_layers")["layer_sizes"]
[1, 3, 5, 6, 5, 3, 1]
"""

from __future__ import annotations

import math
import time

from mathdisco.engines.cayley import kernels
from mathdisco.engines.cayley.bitset_frontier import bfs_bitset_frontier
from mathdisco.engines.cayley.graph import PermutationGraph, decode_states, vertex_upper_bound
from mathdisco.engines.cayley.memory import WORK_PER_CALL, MemoryLedger, peak_rss_bytes, sorted_work
from mathdisco.engines.cayley.packed_layers import bfs_packed_layers, packed_row_bytes
from mathdisco.engines.cayley.rank_bitset import (
    BUCKETED_ABOVE_BYTES,
    MAX_RANK_BITSET_N,
    bfs_rank_bitset,
)
from mathdisco.engines.cayley.sorted_layers import bfs_sorted_layers
from mathdisco.engines.contract import Progress, no_progress

__all__ = [
    "ALGORITHMS",
    "MAX_RANK_BITSET_N",
    "PEAK_TWO_LAYER_FRACTION",
    "check_budget",
    "choose_algorithm",
    "estimate_memory",
    "estimate_seconds",
    "growth",
]

ALGORITHMS = ("rank_bitset", "rank_bitset_frontier", "sorted_layers", "packed_layers")
# The largest pair of consecutive layers seen in the reference data is ~61% of |V|
# (pancake, all transpositions); the estimate uses 65%.
PEAK_TWO_LAYER_FRACTION = 0.65
# Seconds per neighbour evaluation, measured warm on an idle core of this 2-core box
# (bench/cayley_bench.py --estimates; docs/benchmarks.md, "Estimates").  Rank kernels: a fixed
# part (ranking, the bitset probe) plus a part per mask-and-shift group of the generator
# (kernels.compile_generators with reflected groups, as the kernels run them: a cyclic shift,
# a transposition and a prefix reversal are 2 groups each), plus the bucketing pass (bitsets
# over rank_bitset.BUCKETED_ABOVE_BYTES) and a DRAM premium when the bitset outgrows the
# caches.  Refitted after the vectorised kernels (2026-12-07) to LRX and pancake n = 10, 11
# (0.06, 0.76, 0.20, 3.07 s: estimate / measured 0.94-1.6); the bucketed and DRAM parts are
# the earlier fit's.  Sorted one-word layers: the 2x2x2 cube (0.39 s); packed rows per word of
# state.  An estimate, used to refuse jobs that could not finish in their time limit, not a
# promise.
SECONDS_PER_EVALUATION = {"rank_base": 4e-9, "rank_per_group": 1.6e-9, "rank_bucketed": 6e-9,
                          "rank_dram": 4e-9, "sorted": 18e-9, "packed_per_word": 24e-9}
#: fixed cost of one search (set-up, the first layers)
SECONDS_PER_SEARCH = 0.02
CACHED_BITSET_BYTES = 32 << 20


def _rank_bitset_applies(graph: PermutationGraph) -> bool:
    return graph.rankable and graph.n <= MAX_RANK_BITSET_N


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
    return "sorted_layers" if graph.words == 1 else "packed_layers"


def _check_applies(graph: PermutationGraph, algorithm: str) -> None:
    if algorithm.startswith("rank_bitset") and not _rank_bitset_applies(graph):
        raise ValueError(f"{algorithm} needs a permutation central state of at most "
                         f"{MAX_RANK_BITSET_N} symbols")
    if algorithm == "sorted_layers" and graph.words != 1:
        raise ValueError(f"sorted_layers needs a state that packs into one 64-bit word; this "
                         f"one needs {graph.words} (use packed_layers)")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; one of {', '.join(ALGORITHMS)}")


def estimate_memory(graph: PermutationGraph, algorithm: str = "auto",
                    budget_bytes: int | None = None) -> dict:
    """Up-front estimate of the states held and the bytes needed.

    rank_bitset: n!/8 bytes of visited bits plus two frontier layers of 8-byte
    states (estimated at 65% of |V|); rank_bitset_frontier: three bitsets,
    3 n!/8 bytes; sorted_layers / packed_layers: ``8 W`` bytes per held state
    (``W`` words; three layers, or every state for directed sets, plus the
    pieces of the layer being built) plus the expansion buffers.
    """
    if algorithm == "auto":
        algorithm = choose_algorithm(graph, budget_bytes)
    _check_applies(graph, algorithm)
    vertices = vertex_upper_bound(graph)
    k = len(graph.generators)
    work = sorted_work(budget_bytes) if algorithm == "sorted_layers" else WORK_PER_CALL
    buffer = min(work // max(k, 1) + 1, vertices) * k * 8  # one expansion slice
    fact = math.factorial(graph.n)
    if algorithm == "rank_bitset":
        held = int(PEAK_TWO_LAYER_FRACTION * vertices) + 1
        estimate = fact // 8 + 8 * held + 4 * buffer
    elif algorithm == "rank_bitset_frontier":
        held = vertices
        estimate = 3 * ((fact + 63) // 64) * 8 + buffer
    else:
        row = 8 if algorithm == "sorted_layers" else packed_row_bytes(graph)
        # directed: every visited state stays; inverse-closed: three layers
        held = vertices if not graph.inverse_closed else int(PEAK_TWO_LAYER_FRACTION * vertices) + 1
        estimate = 2 * row * held + 3 * buffer * (row // 8)
    return {"algorithm": algorithm, "vertex_bound": vertices, "states_held_estimate": held,
            "estimated_bytes": int(estimate)}


def _mean_groups(graph: PermutationGraph) -> float:
    offsets = kernels.compile_generators(graph.generators, graph.width,
                                         reflections=graph.width == 4)[3]
    return float(offsets[-1]) / max(len(graph.generators), 1)


def estimate_seconds(graph: PermutationGraph, algorithm: str) -> float:
    """Expected warm wall-clock seconds: neighbour evaluations times a measured cost each."""
    evaluations = vertex_upper_bound(graph) * len(graph.generators)
    if algorithm.startswith("rank_bitset"):
        rates = SECONDS_PER_EVALUATION
        cost = rates["rank_base"] + rates["rank_per_group"] * _mean_groups(graph)
        bitset = math.factorial(graph.n) // 8
        if bitset > BUCKETED_ABOVE_BYTES:
            cost += rates["rank_bucketed"]
        if bitset > CACHED_BITSET_BYTES:
            cost += rates["rank_dram"]
    elif algorithm == "sorted_layers":
        cost = SECONDS_PER_EVALUATION["sorted"]
    else:
        cost = SECONDS_PER_EVALUATION["packed_per_word"] * graph.words
    return SECONDS_PER_SEARCH + evaluations * cost


def check_budget(graph: PermutationGraph, budget_bytes: int, algorithm: str = "auto") -> dict:
    """The memory estimate; ValueError stating it when it exceeds the budget."""
    estimate = estimate_memory(graph, algorithm, budget_bytes)
    if estimate["estimated_bytes"] > budget_bytes:
        raise ValueError(
            f"estimated memory {estimate['estimated_bytes'] / 2**30:.2f} GiB "
            f"({estimate['estimated_bytes']:,} bytes for up to {estimate['vertex_bound']:,} "
            f"states, {estimate['algorithm']}) exceeds the memory budget of "
            f"{budget_bytes / 2**30:.2f} GiB")
    return estimate


_DRIVERS = {"rank_bitset": bfs_rank_bitset, "rank_bitset_frontier": bfs_bitset_frontier,
            "sorted_layers": bfs_sorted_layers, "packed_layers": bfs_packed_layers}


def growth(graph: PermutationGraph, *, memory_budget_bytes: int = 8 << 30,
           max_diameter: int | None = None, store_layers_max_size: int = 0,
           last_layer_max_size: int = 1000, progress: Progress = no_progress,
           algorithm: str = "auto", threads: int = 1) -> dict:
    """Sphere sizes of the graph around its central state.

    Parameters
    ----------
    graph : PermutationGraph
        From :func:`mathdisco.engines.cayley.graph.prepare_graph`.
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
        "auto" (the cheapest that fits the budget) or one of :data:`ALGORITHMS`.
    threads : int
        Threads for the rank-bitset searches over S_n (frontier lists or three
        bitsets) and the sorted one-word layers; multi-word layers run on one.

    Returns
    -------
    dict
        ``layer_sizes``, ``diameter``, ``num_vertices``, ``bfs_completed``,
        ``last_layer``, ``layers``, ``algorithm``, ``state_words`` and memory figures.
    """
    graph.depth_limit = max_diameter
    estimate = check_budget(graph, memory_budget_bytes, algorithm)
    ledger = MemoryLedger(memory_budget_bytes)
    started = time.perf_counter()
    driver = _DRIVERS[estimate["algorithm"]]
    arguments = (graph, ledger, max_diameter, store_layers_max_size, last_layer_max_size, progress)
    if estimate["algorithm"] in ("rank_bitset", "rank_bitset_frontier"):
        import numba

        # numba's team is set even for one thread: a parallel region of the default team
        # waits for every thread of it to join, which on a busy machine costs a time slice
        # per kernel call (LRX n = 10 at load 2: 0.32 s instead of 0.06 s)
        previous = numba.get_num_threads()
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        try:
            sizes, stored, last, completed = driver(*arguments, threads=threads)
        finally:
            numba.set_num_threads(previous)
    else:
        sizes, stored, last, completed = driver(*arguments, **(
            {"threads": threads} if estimate["algorithm"] == "sorted_layers" else {}))
    elapsed = time.perf_counter() - started
    last_layer = decode_states(graph, last) if last is not None else None
    return {
        "layer_sizes": sizes,
        "diameter": len(sizes) - 1,
        "num_vertices": sum(sizes),
        "bfs_completed": completed,
        "last_layer": last_layer,
        "layers": {str(d): states for d, states in stored.items()},
        "algorithm": estimate["algorithm"],
        "state_words": 1 if estimate["algorithm"] != "packed_layers" else graph.words,
        "elapsed_s": round(elapsed, 4),
        "memory": {"budget_bytes": memory_budget_bytes,
                   "estimated_bytes": estimate["estimated_bytes"],
                   "peak_tracked_bytes": ledger.peak,
                   "peak_rss_bytes": peak_rss_bytes()},
    }
