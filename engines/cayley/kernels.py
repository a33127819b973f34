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
from numba import njit

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
