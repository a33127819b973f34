"""numba kernels of the rank-bitset BFS over S_n (:mod:`mathdisco.engines.cayley.rank_bitset`,
:mod:`mathdisco.engines.cayley.bitset_frontier`).

The frontier (a list of packed states, or the set bits of a layer bitset) is
expanded in blocks of :data:`mathdisco.engines.cayley.kernels.BLOCK` states, in
two passes per block:

1. *neighbours and ranks* -- every generator applied to every state of the
   block, then the lexicographic rank of every neighbour.  Both loops run
   over the states innermost (generator-major, position-major), so LLVM
   turns them into SIMD code: the ranking loop, the dominant cost, runs
   ~3.5x faster than one state at a time (AVX2/AVX-512 variable shifts and
   ``vpopcntq``);
2. *probes* -- each neighbour's bit in the visited bitset is tested and set;
   new states are appended to the output list (a list frontier skips the
   generator inverse to the one that produced the state: its result is the
   parent) or set in the next layer's bitset.

One kernel serves one thread and several: the slice is cut into ``blocks``
pieces expanded by numba threads (``prange``; one piece, with numba's team
set to one thread, costs nothing measurable over a serial kernel).  With
``blocks == 1`` the test-and-set is a plain branch-free read-or-write; with
more, threads share the visited bitset: plain reads first drop a block's
neighbours already seen, then each test-and-set is an atomic OR
(:func:`mathdisco.engines.cayley.kernels._atomic_or`), so a state is new for exactly
one of the threads that reach it.  Each piece writes into its own region of
``out``; the regions are packed together in piece order.

The bucketed variant groups a piece's probes by bitset region first (a
counting sort on ``rank >> bucket_shift``), so the test-and-set pass walks a
bitset larger than the caches one region at a time instead of at random.

Examples
--------
>>> import math
>>> from mathdisco.engines.cayley import kernels
>>> from mathdisco.engines.cayley.families import pancake
>>> gens = kernels.compile_generators(pancake(5), 4, reflections=True)
>>> inverse_of = np.array([-1, 0, 1, 2, 3], dtype=np.int64)
>>> start = np.array([kernels.pack_state(list(range(5)), 4)], dtype=np.uint64)
>>> visited = np.zeros((math.factorial(5) + 63) // 64, dtype=np.uint64)
>>> visited[0] = 1  # the identity has rank 0
>>> out, counts = np.empty(2 * 4, dtype=np.uint64), np.zeros(1, dtype=np.int64)
>>> expand_frontier(start, 0, 1, gens, inverse_of, 5, visited, out, counts, 1)
4
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from mathdisco.engines.cayley.kernels import (
    BLOCK,
    TAG_SHIFT,
    _atomic_or,
    _popcount,
    _prefetch,
    _unrank,
    neighbours_into,
    rank_into,
)

__all__ = ["expand_bitset_layer", "expand_frontier", "expand_frontier_bucketed"]


@njit(cache=True, inline="always")
def _block_ranks(states, a, m, gens, inverse_of, n, scratch, visited, prefetch):
    # The neighbours of states[a:a + m] tagged with their generator into scratch row 0,
    # their ranks into row 1; returns how many.  The neighbour by the generator inverse
    # to a state's tag (its parent) is left out before ranking, branch-free: a branch on
    # it mispredicts, and ranking it is 1/k of the work (a third for LRX).  With
    # ``prefetch`` every probe's bitset word is then requested at once, so the cache
    # misses of a bitset beyond L2 overlap (the probes ran ~20% faster at n = 11).
    k = gens[3].shape[0] - 1
    tag_shift = np.uint64(TAG_SHIFT)
    neighbours_into(states, a, m, gens, scratch[2], scratch[4], m, 0)
    count = 0
    for i in range(m):
        skip = inverse_of[np.int64(states[a + i] >> tag_shift)]
        for g in range(k):
            scratch[0, count] = scratch[4, g * m + i] | (np.uint64(g + 1) << tag_shift)
            count += np.int64(g != skip)
    rank_into(scratch[0], count, n, scratch[3], scratch[1])
    if prefetch:
        for i in range(count):
            _prefetch(visited, np.int64(scratch[1, i] >> np.uint64(6)))
    return count


@njit(cache=True, inline="always")
def _test_and_set(bits, r, atomic):
    # whether rank r was new; one thread: branch-free (an unpredictable branch would
    # stall the overlapping cache misses), several: a cheap pre-check, the atomic OR decides
    word = np.int64(r >> np.uint64(6))
    bit = np.uint64(1) << (r & np.uint64(63))
    if atomic:
        if bits[word] & bit:
            return False
        return (_atomic_or(bits, word, bit) & bit) == 0
    seen = bits[word]
    bits[word] = seen | bit
    return (seen & bit) == 0


@njit(cache=True, inline="always")
def _unseen(visited, scratch, found):
    # keep the block's neighbours whose bit is still clear, by plain reads first: an atomic
    # OR is a full fence on x86, so issued while other probes' cache misses are pending it
    # serialises them; after this pass the atomics find their lines in cache
    count = 0
    for i in range(found):
        r = scratch[1, i]
        seen = visited[np.int64(r >> np.uint64(6))] & (np.uint64(1) << (r & np.uint64(63)))
        scratch[0, count] = scratch[0, i]
        scratch[1, count] = r
        count += np.int64(seen == 0)
    return count


@njit(cache=True, inline="always")
def _scratch(gens):
    # tagged neighbours, ranks, reversed states, the ranking's used masks, neighbours
    # of one block (of up to BLOCK + 63 states: a layer bitset's word adds up to 64)
    return np.empty((5, (BLOCK + 64) * (gens[3].shape[0] - 1)), dtype=np.uint64)


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
def expand_frontier(frontier, start, stop, gens, inverse_of, n, visited, out, counts, blocks):
    """Neighbours of frontier[start:stop] not yet in ``visited``, set there and written to ``out``.

    ``gens`` is :func:`mathdisco.engines.cayley.kernels.compile_generators`' tuple.
    New states are tagged with their generator's index + 1 above bit
    :data:`mathdisco.engines.cayley.kernels.TAG_SHIFT`.  ``blocks`` pieces run on
    numba threads (1: one thread, plain test-and-set).  ``out`` needs room for
    (stop - start + blocks) * k states, ``counts`` for ``blocks`` integers.
    Returns how many new states ``out`` holds (packed at its start).
    """
    k = gens[3].shape[0] - 1
    size = (stop - start + blocks - 1) // blocks
    atomic = blocks > 1
    for block in prange(blocks):
        lo = start + block * size
        hi = min(stop, lo + size)
        scratch = _scratch(gens)
        base = block * size * k
        count = 0
        for a in range(lo, hi, BLOCK):
            found = _block_ranks(frontier, a, min(BLOCK, hi - a), gens, inverse_of, n, scratch,
                                 visited, True)
            if atomic:
                found = _unseen(visited, scratch, found)
            for i in range(found):
                new = _test_and_set(visited, scratch[1, i], atomic)
                out[base + count] = scratch[0, i]
                count += np.int64(new)
        counts[block] = count
    return _pack(out, counts, blocks, size * k)


@njit(cache=True, parallel=True)
def expand_frontier_bucketed(frontier, start, stop, gens, inverse_of, n, visited, bucket_shift,
                             bucket_counts, ranks, words, sorted_ranks, sorted_words, out,
                             counts, blocks):
    """:func:`expand_frontier` with each piece's probes grouped by bitset region.

    ``bucket_counts`` is (blocks, buckets); ``ranks``, ``words``, ``sorted_*``
    and ``out`` need room for (stop - start + blocks) * k entries (``out`` may
    be ``words``).  New states come out in rank-bucket order.
    """
    k = gens[3].shape[0] - 1
    shift = np.uint64(bucket_shift)
    size = (stop - start + blocks - 1) // blocks
    atomic = blocks > 1
    for block in prange(blocks):
        lo = start + block * size
        hi = min(stop, lo + size)
        scratch = _scratch(gens)
        base = block * size * k
        local = bucket_counts[block]
        local[:] = 0
        m = 0
        for a in range(lo, hi, BLOCK):
            found = _block_ranks(frontier, a, min(BLOCK, hi - a), gens, inverse_of, n, scratch,
                                 visited, False)  # the probes come later, bucket by bucket
            for i in range(found):
                r = scratch[1, i]
                ranks[base + m] = r
                words[base + m] = scratch[0, i]
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
            new = _test_and_set(visited, sorted_ranks[base + i], atomic)
            out[base + count] = sorted_words[base + i]
            count += np.int64(new)
        counts[block] = count
    return _pack(out, counts, blocks, size * k)


@njit(cache=True, parallel=True)
def expand_bitset_layer(current, word_start, word_stop, gens, n, fact, reciprocal, visited,
                        following, blocks):
    """Expand the states whose bits are set in current[word_start:word_stop].

    New neighbours are marked in ``visited`` and ``following`` (the next
    layer); returns how many were new.  Three bits per vertex in all, so S_13
    fits in 2.3 GB (CayleyPy's ``bfs_bitmask`` idea, reference Section 1.6).
    States are recovered from their ranks (``fact[i] = (n-1-i)!``) a block
    at a time.  ``blocks`` slices of the words run on numba threads, sharing
    both bitsets through atomic ORs.
    """
    untagged = np.full(1, -1, dtype=np.int64)  # states from ranks carry no generator
    span = word_stop - word_start
    size = (span + blocks - 1) // blocks
    atomic = blocks > 1
    total = 0
    for block in prange(blocks):
        lo = word_start + block * size
        hi = min(word_stop, lo + size)
        scratch = _scratch(gens)
        states = np.empty(BLOCK + 64, dtype=np.uint64)
        count = 0
        w = lo
        while w < hi:
            m = 0
            while w < hi and m < BLOCK:  # one word adds at most 64 states
                x = current[w]
                while x:
                    low = x & (~x + np.uint64(1))
                    x ^= low
                    states[m] = _unrank(np.uint64(w) * np.uint64(64) + _popcount(low - np.uint64(1)),
                                        n, fact, reciprocal)
                    m += 1
                w += 1
            found = _block_ranks(states, 0, m, gens, untagged, n, scratch, visited, True)
            if atomic:
                found = _unseen(visited, scratch, found)
            for i in range(found):
                r = scratch[1, i]
                new = _test_and_set(visited, r, atomic)
                word = np.int64(r >> np.uint64(6))
                bit = np.uint64(1) << (r & np.uint64(63))
                if atomic:
                    if new:
                        _atomic_or(following, word, bit)
                else:  # branch-free, as _test_and_set
                    following[word] |= bit * np.uint64(new)
                count += np.int64(new)
        total += count
    return total
