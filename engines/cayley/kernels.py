"""numba kernels for breadth-first search over packed permutation states.

A state (a sequence of n symbols, each below 2^w) is packed into one uint64,
symbol i in bits [w*i, w*(i+1)).  A generator p (``new[i] = old[p[i]]``) is
compiled into groups of positions that move by the same distance, so applying
it costs one mask-and-shift per group (CayleyPy's bit-packing idea,
arXiv:2509.19162 Section 2 / reference Section 1.3), not one step per symbol.

For S_n with n <= 13 the visited set is a bitset over lexicographic
permutation ranks (exact, n!/8 bytes); frontier states carry the index of the
generator that produced them in bits 52..63, so the kernel never applies that
generator's inverse (the result is the parent, already visited).

Every kernel processes a caller-chosen slice, so one call stays well under a
second and the Python driver can report progress and honour cancellation.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "MAX_TAGGED_GENERATORS",
    "TAG_SHIFT",
    "collect_ranks",
    "compile_generators",
    "expand_all",
    "expand_bitset_frontier",
    "expand_bitset_frontier_parallel",
    "expand_bucketed",
    "expand_into_bitset",
    "pack_state",
    "rank_permutations",
    "sorted_unique_not_in",
    "unpack_states",
    "unrank_permutations",
]

TAG_SHIFT = 52  # bits above 4*13 hold the producing generator's index + 1
MAX_TAGGED_GENERATORS = (1 << (64 - TAG_SHIFT)) - 2


def compile_generators(generators: list[list[int]], width: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mask/shift groups for applying each generator to packed states.

    Returns ``(masks, left_shifts, right_shifts, offsets)``: generator g is
    ``sum over j in offsets[g]:offsets[g+1] of ((s & masks[j]) << left[j]) >> right[j]``.
    """
    symbol_mask = (1 << width) - 1
    masks, lefts, rights, offsets = [], [], [], [0]
    for p in generators:
        groups: dict[int, int] = {}
        for i, src in enumerate(p):
            shift = (i - src) * width
            groups[shift] = groups.get(shift, 0) | (symbol_mask << (width * src))
        for shift, mask in sorted(groups.items()):
            masks.append(mask)
            lefts.append(max(shift, 0))
            rights.append(max(-shift, 0))
        offsets.append(len(masks))
    return (np.array(masks, dtype=np.uint64), np.array(lefts, dtype=np.uint64),
            np.array(rights, dtype=np.uint64), np.array(offsets, dtype=np.int64))


def pack_state(state: list[int], width: int) -> int:
    """Pack a sequence of small non-negative ints into one int (symbol i at bit width*i)."""
    word = 0
    for i, v in enumerate(state):
        word |= int(v) << (width * i)
    return word


def unpack_states(words: np.ndarray, n: int, width: int) -> np.ndarray:
    """Rows of symbols for an array of packed states (tags ignored)."""
    shifts = (np.arange(n, dtype=np.uint64) * np.uint64(width))
    mask = np.uint64((1 << width) - 1)
    return ((words[:, None] >> shifts[None, :]) & mask).astype(np.int64)


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@njit(cache=True, inline="always")
def _rank(t, n):
    # Lehmer code with 4-bit symbols: digit i = symbol - (smaller symbols already used).
    one = np.uint64(1)
    used = np.uint64(0)
    r = np.uint64(0)
    for i in range(n - 1):
        v = (t >> np.uint64(4 * i)) & np.uint64(15)
        r = r * np.uint64(n - i) + (v - _popcount(used & ((one << v) - one)))
        used |= one << v
    return r


@njit(cache=True)
def rank_permutations(words, n):
    """Lexicographic ranks of packed permutations of 0..n-1 (4-bit symbols)."""
    out = np.empty(words.shape[0], dtype=np.uint64)
    for i in range(words.shape[0]):
        out[i] = _rank(words[i], n)
    return out


@njit(cache=True)
def expand_into_bitset(frontier, start, stop, masks, lefts, rights, offsets, inverse_of,
                       n, visited, out):
    """Neighbours of frontier[start:stop] not yet in ``visited``, appended to ``out``.

    Sets their visited bits, writes them tagged with their generator into
    ``out`` and returns how many were written (``out`` needs room for
    (stop - start) * k states).
    """
    k = offsets.shape[0] - 1
    tag_shift = np.uint64(TAG_SHIFT)
    count = 0
    for idx in range(start, stop):
        s = frontier[idx]
        skip = inverse_of[np.int64(s >> tag_shift)]
        for g in range(k):
            if g == skip:
                continue
            t = np.uint64(0)
            for j in range(offsets[g], offsets[g + 1]):
                t |= ((s & masks[j]) << lefts[j]) >> rights[j]
            r = _rank(t, n)
            word = r >> np.uint64(6)
            bit = np.uint64(1) << (r & np.uint64(63))
            # branch-free test-and-set: an unpredictable branch here would stall the
            # overlapping cache misses the random bitset accesses depend on
            seen = visited[word]
            visited[word] = seen | bit
            out[count] = t | (np.uint64(g + 1) << tag_shift)
            count += np.int64((seen & bit) == 0)
    return count


@njit(cache=True)
def expand_all(states, start, stop, masks, lefts, rights, offsets, out):
    """All k neighbours of states[start:stop] into out (generator-major)."""
    k = offsets.shape[0] - 1
    m = stop - start
    for g in range(k):
        base = g * m
        for idx in range(start, stop):
            s = states[idx]
            t = np.uint64(0)
            for j in range(offsets[g], offsets[g + 1]):
                t |= ((s & masks[j]) << lefts[j]) >> rights[j]
            out[base + idx - start] = t
    return k * m


@njit(cache=True)
def sorted_unique_not_in(candidates, seen_a, seen_b):
    """Compact sorted ``candidates`` in place to values absent from both sorted arrays.

    Duplicates are removed too; returns the new length.  Lookups walk forward
    through each seen array (the candidates are sorted), so the cost is
    linear-plus-logarithmic rather than a binary search per candidate.
    """
    count = 0
    ia = 0
    ib = 0
    na = seen_a.shape[0]
    nb = seen_b.shape[0]
    prev_set = False
    prev = np.uint64(0)
    for i in range(candidates.shape[0]):
        x = candidates[i]
        if prev_set and x == prev:
            continue
        prev = x
        prev_set = True
        if ia < na and seen_a[ia] < x:
            ia = _lower_bound(seen_a, x, ia)
        if ia < na and seen_a[ia] == x:
            continue
        if ib < nb and seen_b[ib] < x:
            ib = _lower_bound(seen_b, x, ib)
        if ib < nb and seen_b[ib] == x:
            continue
        candidates[count] = x
        count += 1
    return count


@njit(cache=True, inline="always")
def _lower_bound(a, x, lo):
    # galloping search from lo: first index with a[index] >= x
    step = 1
    hi = lo + 1
    n = a.shape[0]
    while hi < n and a[hi] < x:
        lo = hi
        step *= 2
        hi = lo + step
    if hi > n:
        hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _unrank(r, n, fact, reciprocal):
    # Lehmer digits by multiplying with a floating reciprocal of each factorial and
    # correcting by one (exact: ranks stay below 2^53); the unused symbols are
    # kept as a nibble list so taking the d-th one is O(1).
    available = np.uint64(0)
    for v in range(n):
        available |= np.uint64(v) << np.uint64(4 * v)
    word = np.uint64(0)
    for i in range(n):
        f = fact[i]
        d = np.uint64(np.float64(r) * reciprocal[i])
        if d * f > r:
            d -= np.uint64(1)
        elif (d + np.uint64(1)) * f <= r:
            d += np.uint64(1)
        r -= d * f
        shift = np.uint64(4) * d
        v = (available >> shift) & np.uint64(15)
        low = available & ((np.uint64(1) << shift) - np.uint64(1))
        high = (available >> shift) >> np.uint64(4)
        available = low | (high << shift)
        word |= v << np.uint64(4 * i)
    return word


@njit(cache=True)
def unrank_permutations(ranks, n, fact, reciprocal):
    """Packed permutations for lexicographic ranks (``fact[i] = (n-1-i)!``)."""
    out = np.empty(ranks.shape[0], dtype=np.uint64)
    for i in range(ranks.shape[0]):
        out[i] = _unrank(ranks[i], n, fact, reciprocal)
    return out


@njit(cache=True)
def collect_ranks(bits, word_start, word_stop, out):
    """Ranks of the set bits in bits[word_start:word_stop], appended to out; returns count."""
    count = 0
    for w in range(word_start, word_stop):
        x = bits[w]
        while x:
            low = x & (~x + np.uint64(1))
            out[count] = np.uint64(w) * np.uint64(64) + _popcount(low - np.uint64(1))
            count += 1
            x ^= low
    return count


@njit(cache=True)
def expand_bitset_frontier(current, word_start, word_stop, masks, lefts, rights, offsets,
                           n, fact, reciprocal, visited, following):
    """Expand the states whose bits are set in current[word_start:word_stop].

    New neighbours are marked in ``visited`` and ``following`` (the next
    layer); returns how many were new.  Three bits per vertex in all, so S_13
    fits in 2.3 GB (CayleyPy's ``bfs_bitmask`` idea, reference Section 1.6).
    """
    k = offsets.shape[0] - 1
    count = 0
    for w in range(word_start, word_stop):
        x = current[w]
        while x:
            low = x & (~x + np.uint64(1))
            x ^= low
            s = _unrank(np.uint64(w) * np.uint64(64) + _popcount(low - np.uint64(1)),
                        n, fact, reciprocal)
            for g in range(k):
                t = np.uint64(0)
                for j in range(offsets[g], offsets[g + 1]):
                    t |= ((s & masks[j]) << lefts[j]) >> rights[j]
                r = _rank(t, n)
                word = r >> np.uint64(6)
                bit = np.uint64(1) << (r & np.uint64(63))
                seen = visited[word]
                visited[word] = seen | bit
                fresh = (seen & bit) == 0
                following[word] |= bit if fresh else np.uint64(0)
                count += np.int64(fresh)
    return count


@njit(cache=True)
def expand_bucketed(frontier, start, stop, masks, lefts, rights, offsets, inverse_of, n,
                    visited, bucket_shift, counts, ranks, words, sorted_ranks, sorted_words, out):
    """:func:`expand_into_bitset` with the bitset probes grouped by region.

    Neighbour ranks are first bucketed by ``rank >> bucket_shift`` (a counting
    sort into ``counts.shape[0]`` buckets), so the test-and-set pass walks the
    visited bitset one cache-sized region at a time instead of at random: on a
    bitset larger than the cache this trades DRAM misses for streaming passes.
    ``ranks``, ``words``, ``sorted_*`` need room for (stop - start) * k entries.
    Returns the number of new states written to ``out`` (in rank-bucket order).
    """
    k = offsets.shape[0] - 1
    tag_shift = np.uint64(TAG_SHIFT)
    shift = np.uint64(bucket_shift)
    counts[:] = 0
    m = 0
    for idx in range(start, stop):
        s = frontier[idx]
        skip = inverse_of[np.int64(s >> tag_shift)]
        for g in range(k):
            if g == skip:
                continue
            t = np.uint64(0)
            for j in range(offsets[g], offsets[g + 1]):
                t |= ((s & masks[j]) << lefts[j]) >> rights[j]
            r = _rank(t, n)
            ranks[m] = r
            words[m] = t | (np.uint64(g + 1) << tag_shift)
            counts[np.int64(r >> shift)] += 1
            m += 1
    position = 0
    for b in range(counts.shape[0]):
        c = counts[b]
        counts[b] = position
        position += c
    for i in range(m):
        b = np.int64(ranks[i] >> shift)
        p = counts[b]
        sorted_ranks[p] = ranks[i]
        sorted_words[p] = words[i]
        counts[b] = p + 1
    count = 0
    for i in range(m):
        r = sorted_ranks[i]
        word = r >> np.uint64(6)
        bit = np.uint64(1) << (r & np.uint64(63))
        seen = visited[word]
        visited[word] = seen | bit
        out[count] = sorted_words[i]
        count += np.int64((seen & bit) == 0)
    return count


@intrinsic
def _atomic_or(typingctx, array, index, value):
    """``old = array[index]; array[index] |= value`` as one atomic operation; returns old."""
    signature = array.dtype(array, index, value)

    def codegen(context, builder, sig, args):
        array_type = sig.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, ary, [args[1]])
        return builder.atomic_rmw("or", pointer, args[2], "monotonic")

    return signature, codegen


@njit(cache=True, parallel=True)
def expand_bitset_frontier_parallel(current, word_start, word_stop, masks, lefts, rights,
                                    offsets, n, fact, reciprocal, visited, following, blocks):
    """:func:`expand_bitset_frontier` on several threads (``blocks`` slices of the words).

    Threads share the visited and next-layer bitsets, so every test-and-set
    is an atomic OR (two threads setting bits of one word would otherwise lose
    one): a state is new for exactly one of the threads that reach it.
    """
    k = offsets.shape[0] - 1
    span = word_stop - word_start
    size = (span + blocks - 1) // blocks
    total = 0
    for block in prange(blocks):
        a = word_start + block * size
        b = min(word_stop, a + size)
        count = 0
        for w in range(a, b):
            x = current[w]
            while x:
                low = x & (~x + np.uint64(1))
                x ^= low
                s = _unrank(np.uint64(w) * np.uint64(64) + _popcount(low - np.uint64(1)),
                            n, fact, reciprocal)
                for g in range(k):
                    t = np.uint64(0)
                    for j in range(offsets[g], offsets[g + 1]):
                        t |= ((s & masks[j]) << lefts[j]) >> rights[j]
                    r = _rank(t, n)
                    word = np.int64(r >> np.uint64(6))
                    bit = np.uint64(1) << (r & np.uint64(63))
                    if (visited[word] & bit) == 0:  # cheap pre-check; the atomic OR decides
                        old = _atomic_or(visited, word, bit)
                        if (old & bit) == 0:
                            _atomic_or(following, word, bit)
                            count += 1
        total += count
    return total
