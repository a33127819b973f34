"""Threaded numba kernels of the rank-bitset BFS (frontier lists, :mod:`mathdisco.engines.cayley.rank_bitset`).

The frontier slice is cut into ``blocks`` pieces expanded by numba threads
(``prange``).  Threads share the visited bitset, so every test-and-set is an
atomic OR (:func:`mathdisco.engines.cayley.kernels._atomic_or`): a state is new for
exactly one of the threads that reach it, and de-duplication stays exact.
Each block writes its new states into its own region of ``out``; the regions
are then packed together in block order, so for a given slice the layer
holds the same states as the one-thread kernels (in another order).

The bucketed variant groups each block's probes by bitset region first (a
counting sort per block, as :func:`mathdisco.engines.cayley.kernels.expand_bucketed`),
for bitsets beyond the caches.

Examples
--------
>>> import math
>>> from mathdisco.engines.cayley import kernels
>>> from mathdisco.engines.cayley.families import pancake
>>> masks, lefts, rights, offsets = kernels.compile_generators(pancake(5), 4)
>>> inverse_of = np.array([-1, 0, 1, 2, 3], dtype=np.int64)
>>> start = np.array([kernels.pack_state(list(range(5)), 4)], dtype=np.uint64)
>>> visited = np.zeros((math.factorial(5) + 63) // 64, dtype=np.uint64)
>>> visited[0] = 1  # the identity has rank 0
>>> out, counts = np.empty(4 * 4, dtype=np.uint64), np.zeros(4, dtype=np.int64)
>>> expand_into_bitset_parallel(start, 0, 1, masks, lefts, rights, offsets, inverse_of, 5,
...                             visited, out, counts, 4)
4
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from mathdisco.engines.cayley.kernels import TAG_SHIFT, _atomic_or, _rank

__all__ = ["expand_bucketed_parallel", "expand_into_bitset_parallel"]


@njit(cache=True)
def _pack(out, counts, blocks, stride):
    total = 0
    for block in range(blocks):
        c = counts[block]
        base = block * stride
        if base != total:
            for i in range(c):
                out[total + i] = out[base + i]
        total += c
    return total


@njit(cache=True, parallel=True)
def expand_into_bitset_parallel(frontier, start, stop, masks, lefts, rights, offsets,
                                inverse_of, n, visited, out, counts, blocks):
    """:func:`mathdisco.engines.cayley.kernels.expand_into_bitset` on ``blocks`` threads' pieces.

    ``out`` needs room for (stop - start) * k states (rounded up to whole
    blocks), ``counts`` for ``blocks`` integers.  Returns how many new states
    ``out`` holds (packed at its start).
    """
    k = offsets.shape[0] - 1
    tag_shift = np.uint64(TAG_SHIFT)
    size = (stop - start + blocks - 1) // blocks
    for block in prange(blocks):
        a = start + block * size
        b = min(stop, a + size)
        base = block * size * k
        count = 0
        for idx in range(a, b):
            s = frontier[idx]
            skip = inverse_of[np.int64(s >> tag_shift)]
            for g in range(k):
                if g == skip:
                    continue
                t = np.uint64(0)
                for j in range(offsets[g], offsets[g + 1]):
                    t |= ((s & masks[j]) << lefts[j]) >> rights[j]
                r = _rank(t, n)
                word = np.int64(r >> np.uint64(6))
                bit = np.uint64(1) << (r & np.uint64(63))
                if (visited[word] & bit) == 0:  # cheap pre-check; the atomic OR decides
                    old = _atomic_or(visited, word, bit)
                    if (old & bit) == 0:
                        out[base + count] = t | (np.uint64(g + 1) << tag_shift)
                        count += 1
        counts[block] = count
    return _pack(out, counts, blocks, size * k)


@njit(cache=True, parallel=True)
def expand_bucketed_parallel(frontier, start, stop, masks, lefts, rights, offsets, inverse_of,
                             n, visited, bucket_shift, bucket_counts, ranks, words, sorted_ranks,
                             sorted_words, out, counts, blocks):
    """:func:`mathdisco.engines.cayley.kernels.expand_bucketed` on ``blocks`` threads' pieces.

    ``bucket_counts`` is (blocks, buckets); the scratch arrays and ``out``
    need room for (stop - start) * k entries rounded up to whole blocks.
    """
    k = offsets.shape[0] - 1
    tag_shift = np.uint64(TAG_SHIFT)
    shift = np.uint64(bucket_shift)
    size = (stop - start + blocks - 1) // blocks
    for block in prange(blocks):
        a = start + block * size
        b = min(stop, a + size)
        base = block * size * k
        local = bucket_counts[block]
        local[:] = 0
        m = 0
        for idx in range(a, b):
            s = frontier[idx]
            skip = inverse_of[np.int64(s >> tag_shift)]
            for g in range(k):
                if g == skip:
                    continue
                t = np.uint64(0)
                for j in range(offsets[g], offsets[g + 1]):
                    t |= ((s & masks[j]) << lefts[j]) >> rights[j]
                r = _rank(t, n)
                ranks[base + m] = r
                words[base + m] = t | (np.uint64(g + 1) << tag_shift)
                local[np.int64(r >> shift)] += 1
                m += 1
        position = 0
        for bucket in range(local.shape[0]):
            c = local[bucket]
            local[bucket] = position
            position += c
        for i in range(m):
            bucket = np.int64(ranks[base + i] >> shift)
            p = local[bucket]
            sorted_ranks[base + p] = ranks[base + i]
            sorted_words[base + p] = words[base + i]
            local[bucket] = p + 1
        count = 0
        for i in range(m):
            r = sorted_ranks[base + i]
            word = np.int64(r >> np.uint64(6))
            bit = np.uint64(1) << (r & np.uint64(63))
            if (visited[word] & bit) == 0:
                old = _atomic_or(visited, word, bit)
                if (old & bit) == 0:
                    out[base + count] = sorted_words[base + i]
                    count += 1
        counts[block] = count
    return _pack(out, counts, blocks, size * k)
