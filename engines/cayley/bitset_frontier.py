"""BFS over S_n with three bitsets (visited, current layer, next layer).

The memory-lean variant of the rank-bitset search in :mod:`engines.cayley.growth`
for graphs whose frontier lists would not fit the budget: 3 bits per
permutation in all (n = 13: 2.3 GB), as in CayleyPy's ``bfs_bitmask``
(Chervov et al., arXiv:2509.19162; reference Section 1.6).  Frontier states
are recovered from their lexicographic rank before expansion, so it is slower
per vertex than the list variant; it is chosen only when memory demands it.
"""

from __future__ import annotations

import math
import time

import numpy as np

from engines.cayley import kernels
from engines.cayley.growth import MemoryLedger, PermutationGraph, _decode, _stop
from engines.contract import Progress


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
                        store_cap: int, last_cap: int, progress: Progress):
    """Layer sizes, stored small layers, last layer words (or None), completed flag."""
    n = graph.n
    k = len(graph.generators)
    masks, lefts, rights, offsets = kernels.compile_generators(graph.generators, 4)
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
    stored = {0: _decode(graph, start)} if store_cap >= 1 else {}
    total = graph.known_vertices or 0
    done = 1
    completed = False
    progress(done, total, "layer 0: 1 state")
    while not _stop(max_diameter, len(sizes) - 1):
        # words per call so that ~WORK_PER_CALL neighbour evaluations happen
        # when the layer's bits are spread evenly
        density = max(sizes[-1] / (words * 64), 1e-9)
        step = int(min(words, max(1024, kernels_per_call(k) / (64 * density))))
        layer_size = 0
        last_report = time.monotonic()
        for a in range(0, words, step):
            b = min(words, a + step)
            layer_size += kernels.expand_bitset_frontier(current, a, b, masks, lefts, rights,
                                                         offsets, n, fact, reciprocal, visited,
                                                         following)
            now = time.monotonic()
            if now - last_report > 0.4:
                last_report = now
                progress(done + layer_size, total,
                         f"layer {len(sizes)}: {layer_size:,} states so far")
        if layer_size == 0:
            completed = True
            break
        current, following = following, current
        following[:] = 0
        sizes.append(layer_size)
        done += layer_size
        if layer_size <= store_cap:
            stored[len(sizes) - 1] = _decode(graph, layer_states(current, layer_size, n))
        progress(done, total, f"layer {len(sizes) - 1}: {layer_size:,} states")
    last = layer_states(current, sizes[-1], n) if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed


def kernels_per_call(k: int) -> float:
    from engines.cayley.growth import WORK_PER_CALL

    return WORK_PER_CALL / max(k, 1)
