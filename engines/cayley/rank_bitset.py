"""BFS over S_n (n <= 13) with a visited bitset over lexicographic ranks and frontier lists.

The visited set is a bitset over the n! lexicographic ranks, exact and n!/8
bytes, as CayleyPy's ``bfs_bitmask`` (Chervov et al., arXiv:2509.19162;
reference ``cayley.md`` Section 1.6); the frontier is a list of packed
states, each tagged with the generator that produced it so its inverse is
never applied (the result would be the parent).  Works for directed
generating sets unchanged.  When the bitset outgrows the caches, probes are
grouped by region (:func:`mathdisco.engines.cayley.frontier_kernels.expand_frontier_bucketed`).

Examples
--------
>>> from mathdisco.engines.cayley.families import coxeter
>>> from mathdisco.engines.cayley.graph import prepare_graph
>>> from mathdisco.engines.cayley.memory import MemoryLedger
>>> from mathdisco.engines.contract import no_progress
>>> bfs_rank_bitset(prepare_graph(coxeter(4)), MemoryLedger(2**30), None, 0, 10, no_progress)[0]
[1, 3, 5, 6, 5, 3, 1]
"""

from __future__ import annotations

import math

import numba
import numpy as np

from mathdisco.engines.cayley import frontier_kernels, kernels
from mathdisco.engines.cayley.graph import PermutationGraph, decode_states, vertex_upper_bound
from mathdisco.engines.cayley.memory import LayerProgress, MemoryLedger, chunk_states, depth_reached
from mathdisco.engines.contract import Progress

__all__ = ["BUCKETED_ABOVE_BYTES", "MAX_RANK_BITSET_N", "bfs_rank_bitset"]

MAX_RANK_BITSET_N = 13
# visited bitsets larger than this are probed region by region (expand_frontier_bucketed);
# measured on the 2-core box: at n = 11 (5 MB, in L3) direct probes are 1.7x faster
# (pancake 3.7 s vs 6.6 s), at n = 12 (60 MB) bucketing is (LRX 28 s vs 33 s)
BUCKETED_ABOVE_BYTES = 16 << 20
# slices smaller than this stay on one thread: waking the others costs more than it saves
PARALLEL_MIN_STATES = 1 << 16


def bfs_rank_bitset(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                    store_cap: int, last_cap: int, progress: Progress, threads: int = 1):
    """Layer sizes, stored small layers, last layer (packed, or None), completed flag.

    With ``threads > 1`` each frontier slice is expanded by that many numba
    threads (:mod:`mathdisco.engines.cayley.frontier_kernels`, atomic test-and-set).
    """
    n = graph.n
    k = len(graph.generators)
    gens = kernels.compile_generators(graph.generators, 4, reflections=True)
    inverse_of = np.array([-1] + graph.inverse_of, dtype=np.int64)
    report = LayerProgress(progress, graph.known_vertices or 0)
    visited_words = (math.factorial(n) + 63) // 64
    ledger.take(visited_words * 8, "the visited bitset")
    visited = np.zeros(visited_words, dtype=np.uint64)
    start = np.array([kernels.pack_state(graph.central_state, 4)], dtype=np.uint64)
    r0 = int(kernels.rank_permutations(start, n)[0])
    visited[r0 >> 6] |= np.uint64(1) << np.uint64(r0 & 63)
    current = [start]
    ledger.take(8, "layer 0")
    sizes = [1]
    stored = {0: decode_states(graph, start)} if store_cap >= 1 else {}
    chunk = min(chunk_states(k), vertex_upper_bound(graph))  # no slice exceeds |V|
    blocks = 4 * threads if threads > 1 else 1
    team = numba.get_num_threads()
    block_counts = np.zeros(blocks, dtype=np.int64)
    scratch = None
    if visited_words * 8 > BUCKETED_ABOVE_BYTES:
        # bitset beyond the caches: group probes by region (see expand_frontier_bucketed)
        ledger.take(4 * (chunk + blocks) * k * 8, "the bucketing buffers")
        scratch = tuple(np.empty((chunk + blocks) * k, dtype=np.uint64) for _ in range(4))
        bucket_shift = max(19, (math.factorial(n) - 1).bit_length() - 10)
        buckets = (math.factorial(n) >> bucket_shift) + 1
        bucket_counts = np.zeros((blocks, buckets), dtype=np.int64)
    done = 1
    completed = False
    report.start()
    while not depth_reached(max_diameter, len(sizes) - 1):
        next_layer: list[np.ndarray] = []
        layer_size = 0
        expanded = 0
        for part in current:
            for a in range(0, len(part), chunk):
                b = min(len(part), a + chunk)
                pieces = blocks if b - a >= PARALLEL_MIN_STATES else 1
                # one piece runs on a team of one (a larger team would still wait for
                # all its threads to join)
                numba.set_num_threads(team if pieces > 1 else 1)
                if scratch is not None:
                    count = frontier_kernels.expand_frontier_bucketed(
                        part, a, b, gens, inverse_of, n, visited, bucket_shift,
                        bucket_counts[:pieces], *scratch, scratch[1], block_counts, pieces)
                    out = scratch[1]
                else:
                    room = (b - a + pieces) * k
                    ledger.take(room * 8, "the expansion buffer")
                    out = np.empty(room, dtype=np.uint64)
                    count = frontier_kernels.expand_frontier(
                        part, a, b, gens, inverse_of, n, visited, out, block_counts, pieces)
                    ledger.give(room * 8)
                if count:
                    ledger.take(count * 8, f"layer {len(sizes)}")
                    next_layer.append(out[:count].copy())
                    layer_size += count
                del out
                expanded += b - a
                report.expanding(done + layer_size, len(sizes), expanded, sizes[-1])
        if layer_size == 0:
            completed = True
            break
        for part in current:
            ledger.give(part.size * 8)
        current = next_layer
        sizes.append(layer_size)
        done += layer_size
        if layer_size <= store_cap:
            stored[len(sizes) - 1] = decode_states(graph, np.concatenate(current))
        report.layer_done(done, len(sizes) - 1, layer_size)
    numba.set_num_threads(team)
    report.finished(done, len(sizes) - 1, completed)
    last = np.concatenate(current) if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
