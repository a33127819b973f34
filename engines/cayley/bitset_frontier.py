"""BFS over S_n with three bitsets (visited, current layer, next layer).

The memory-lean variant of :mod:`mathdisco.engines.cayley.rank_bitset` for graphs
whose frontier lists would not fit the budget: 3 bits per permutation in all
(n = 13: 2.3 GB), as in CayleyPy's ``bfs_bitmask`` (Chervov et al.,
arXiv:2509.19162; reference ``cayley.md`` Section 1.6).  Frontier states are
recovered from their lexicographic rank before expansion, so it is slower per
vertex than the list variant at small n; it is chosen when memory demands it.

Examples
--------
>>> from mathdisco.engines.cayley.families import lrx
>>> from mathdisco.engines.cayley.graph import prepare_graph
>>> from mathdisco.engines.cayley.memory import MemoryLedger
>>> from mathdisco.engines.contract import no_progress
>>> sizes, _, last, done = bfs_bitset_frontier(prepare_graph(lrx(5)), MemoryLedger(2**30), None,
...                                            0, 10, no_progress)
>>> sizes, done
([1, 3, 6, 10, 16, 24, 29, 21, 6, 3, 1], True)
"""

from __future__ import annotations

import math

import numpy as np

from mathdisco.engines.cayley import frontier_kernels, kernels
from mathdisco.engines.cayley.graph import PermutationGraph, decode_states
from mathdisco.engines.cayley.memory import (
    WORK_PER_CALL,
    LayerProgress,
    MemoryLedger,
    depth_reached,
)
from mathdisco.engines.contract import Progress

__all__ = ["bfs_bitset_frontier", "layer_states"]


def _factorial_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    fact = np.array([math.factorial(n - 1 - i) for i in range(n)], dtype=np.uint64)
    return fact, 1.0 / fact.astype(np.float64)


def layer_states(bits: np.ndarray, count: int, n: int) -> np.ndarray:
    """Packed states of the set bits (count of them) of a layer bitset."""
    fact, reciprocal = _factorial_tables(n)
    ranks = np.empty(count, dtype=np.uint64)
    found = kernels.collect_ranks(bits, 0, bits.shape[0], ranks)
    return kernels.unrank_permutations(ranks[:found], n, fact, reciprocal)


def bfs_bitset_frontier(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                        store_cap: int, last_cap: int, progress: Progress, threads: int = 1):
    """Layer sizes, stored small layers, last layer (packed, or None), completed flag.

    With ``threads > 1`` the words of a layer are expanded by that many numba
    threads, the shared bitsets updated with atomic ORs.
    """
    n = graph.n
    k = len(graph.generators)
    gens = kernels.compile_generators(graph.generators, 4, reflections=True)
    fact, reciprocal = _factorial_tables(n)
    words = (math.factorial(n) + 63) // 64
    ledger.take(3 * words * 8, "three bitsets over S_n")
    visited = np.zeros(words, dtype=np.uint64)
    current = np.zeros(words, dtype=np.uint64)
    following = np.zeros(words, dtype=np.uint64)
    start = np.array([kernels.pack_state(graph.central_state, 4)], dtype=np.uint64)
    r0 = int(kernels.rank_permutations(start, n)[0])
    for bits in (visited, current):
        bits[r0 >> 6] |= np.uint64(1) << np.uint64(r0 & 63)
    sizes = [1]
    stored = {0: decode_states(graph, start)} if store_cap >= 1 else {}
    report = LayerProgress(progress, graph.known_vertices or 0)
    done = 1
    completed = False
    report.start()
    while not depth_reached(max_diameter, len(sizes) - 1):
        # words per call so that ~WORK_PER_CALL neighbour evaluations happen
        # when the layer's bits are spread evenly
        density = max(sizes[-1] / (words * 64), 1e-9)
        step = int(min(words, max(1024, WORK_PER_CALL / max(k, 1) / (64 * density))))
        layer_size = 0
        for a in range(0, words, step * threads):
            b = min(words, a + step * threads)
            layer_size += frontier_kernels.expand_bitset_layer(
                current, a, b, gens, n, fact, reciprocal, visited, following,
                8 * threads if threads > 1 else 1)
            report.expanding(done + layer_size, len(sizes), int(sizes[-1] * b / words), sizes[-1])
        if layer_size == 0:
            completed = True
            break
        current, following = following, current
        following[:] = 0
        sizes.append(layer_size)
        done += layer_size
        if layer_size <= store_cap:
            stored[len(sizes) - 1] = decode_states(graph, layer_states(current, layer_size, n))
        report.layer_done(done, len(sizes) - 1, layer_size)
    report.finished(done, len(sizes) - 1, completed)
    last = layer_states(current, sizes[-1], n) if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
