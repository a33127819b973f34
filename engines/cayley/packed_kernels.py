"""numba kernels for states packed into several 64-bit words (rows of a 2-D uint64 array).

Position ``i`` of a state with ``w`` bits per symbol lives in word
``i // (64 // w)`` at bit ``w * (i % (64 // w))``: symbols never straddle two
words.  A generator (``new[i] = old[p[i]]``) is compiled into groups of
positions that move from one source word to one destination word by the same
bit distance; applying it costs one mask-and-shift per group (CayleyPy's
bit-packing idea, arXiv:2509.19162 Section 2; reference ``cayley.md``
Section 1.3), not one step per symbol.

A set of ``m`` states is a ``(W, m)`` array -- word ``w`` of state ``i`` at
``[w, i]`` -- so that each word is one contiguous column.  States are ordered
lexicographically by word 0, then word 1, ... (:func:`radix_sort_rows` sorts
in that order; word 0 is the fullest, so comparisons rarely look further),
and every comparison looks at whole states, so de-duplication and set
differences are exact: a state is never confused with another because two
hashes collide.

Every kernel processes a caller-chosen slice or array, so one call stays well
under a second and the Python driver can report progress and honour
cancellation.

Examples
--------
>>> moves = compile_moves([[1, 2, 0]], width=2, per_word=2)
>>> state = pack_rows([[0, 1, 2]], width=2, per_word=2, words=2)
>>> out = np.empty((2, 1), dtype=np.uint64)
>>> expand_rows(state, 0, 1, *moves, out)
1
>>> unpack_rows(out, 3, width=2, per_word=2).tolist()
[[1, 2, 0]]
>>> rows = np.array([[3, 1], [2, 1], [9, 0], [2, 1]], dtype=np.uint64).T.copy()
>>> tmp = np.empty_like(rows)
>>> radix_sort_rows(rows, tmp, 4).T.tolist()
[[2, 1], [2, 1], [3, 1], [9, 0]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "compile_moves",
    "expand_rows",
    "merge_rows",
    "pack_rows",
    "radix_sort_rows",
    "sort_rows",
    "unique_not_in_rows",
    "unique_rows",
    "unpack_rows",
]

DIGIT_BITS = 11
BUCKETS = 1 << DIGIT_BITS
DIGITS_PER_WORD = -(-64 // DIGIT_BITS)


def compile_moves(generators: list[list[int]], width: int, per_word: int
                  ) -> tuple[np.ndarray, ...]:
    """Mask/shift groups for applying each generator to packed rows.

    Returns ``(src, dst, mask, left, right, offsets)``: generator g is, for
    ``j`` in ``offsets[g]:offsets[g+1]``,
    ``out[dst[j]] |= ((row[src[j]] & mask[j]) << left[j]) >> right[j]``.
    """
    symbol_mask = (1 << width) - 1
    src, dst, mask, left, right, offsets = [], [], [], [], [], [0]
    for p in generators:
        groups: dict[tuple[int, int, int], int] = {}
        for i, s in enumerate(p):
            ws, os_ = divmod(s, per_word)
            wd, od = divmod(i, per_word)
            key = (ws, wd, width * (od - os_))
            groups[key] = groups.get(key, 0) | (symbol_mask << (width * os_))
        for (ws, wd, shift), m in sorted(groups.items()):
            src.append(ws)
            dst.append(wd)
            mask.append(m)
            left.append(max(shift, 0))
            right.append(max(-shift, 0))
        offsets.append(len(src))
    return (np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64),
            np.array(mask, dtype=np.uint64), np.array(left, dtype=np.uint64),
            np.array(right, dtype=np.uint64), np.array(offsets, dtype=np.int64))


def pack_rows(states: list[list[int]], width: int, per_word: int, words: int) -> np.ndarray:
    """Pack sequences of small non-negative ints into a (words, m) uint64 array."""
    out = np.zeros((words, len(states)), dtype=np.uint64)
    for r, state in enumerate(states):
        values = [0] * words
        for i, v in enumerate(state):
            w, o = divmod(i, per_word)
            values[w] |= int(v) << (width * o)
        out[:, r] = values
    return out


def unpack_rows(rows: np.ndarray, n: int, width: int, per_word: int) -> np.ndarray:
    """The symbols of packed states (a (words, m) array), as an (m, n) int64 array."""
    mask = np.uint64((1 << width) - 1)
    out = np.empty((rows.shape[1], n), dtype=np.int64)
    for i in range(n):
        w, o = divmod(i, per_word)
        out[:, i] = (rows[w] >> np.uint64(width * o)) & mask
    return out


@njit(cache=True)
def expand_rows(states, start, stop, src, dst, mask, left, right, offsets, out):
    """All k neighbours of states[:, start:stop] into out (generator-major); returns k * m."""
    k = offsets.shape[0] - 1
    m = stop - start
    words = states.shape[0]
    if words == 1:  # one word: accumulate in a register
        s0 = states[0]
        o0 = out[0]
        for g in range(k):
            base = g * m - start
            for idx in range(start, stop):
                s = s0[idx]
                t = np.uint64(0)
                for j in range(offsets[g], offsets[g + 1]):
                    t |= ((s & mask[j]) << left[j]) >> right[j]
                o0[base + idx] = t
        return k * m
    t = np.zeros(words, dtype=np.uint64)
    for g in range(k):
        base = g * m - start
        for idx in range(start, stop):
            t[:] = 0
            for j in range(offsets[g], offsets[g + 1]):
                t[dst[j]] |= ((states[src[j], idx] & mask[j]) << left[j]) >> right[j]
            for w in range(words):
                out[w, base + idx] = t[w]
    return k * m


def sort_rows(rows: np.ndarray, tmp: np.ndarray, used_bits: int) -> np.ndarray:
    """Sorted states (word 0 first): numpy's vectorised sort for one word, else radix."""
    if rows.shape[0] == 1:
        rows[0].sort()
        return rows
    return radix_sort_rows(rows, tmp, used_bits)


@njit(cache=True)
def radix_sort_rows(rows, tmp, used_bits):
    """Sort states (lexicographically, word 0 first) by LSD radix; returns the sorted array.

    ``tmp`` has the shape of ``rows``; the result is one of the two (their
    contents are exchanged pass by pass).  ``used_bits`` is the number of
    low bits that can be non-zero in any word; digits that are equal across
    all rows are skipped.
    """
    words = rows.shape[0]
    m = rows.shape[1]
    digits = (used_bits + DIGIT_BITS - 1) // DIGIT_BITS
    counts = np.zeros((words, digits, BUCKETS), dtype=np.int64)
    digit_mask = np.uint64(BUCKETS - 1)
    for w in range(words):
        for i in range(m):
            x = rows[w, i]
            for d in range(digits):
                counts[w, d, np.int64((x >> np.uint64(DIGIT_BITS * d)) & digit_mask)] += 1
    source = rows
    target = tmp
    for w in range(words - 1, -1, -1):
        for d in range(digits):
            c = counts[w, d]
            distinct = 0
            for b in range(BUCKETS):
                if c[b] > 0:
                    distinct += 1
            if distinct <= 1:
                continue
            position = 0
            for b in range(BUCKETS):
                here = c[b]
                c[b] = position
                position += here
            shift = np.uint64(DIGIT_BITS * d)
            for i in range(m):
                b = np.int64((source[w, i] >> shift) & digit_mask)
                p = c[b]
                c[b] = p + 1
                for x in range(words):
                    target[x, p] = source[x, i]
            source, target = target, source
    return source


@njit(cache=True)
def _compare_rest(a, i, b, j):
    # -1, 0, 1 comparing words 1.. of states a[:, i] and b[:, j]
    for w in range(1, a.shape[0]):
        x = a[w, i]
        y = b[w, j]
        if x != y:
            return -1 if x < y else 1
    return 0


# (numba's IR-level inline="always" made these loops several times slower;
# LLVM inlines the plain functions by itself)
@njit(cache=True)
def _less(a, a0, i, b, b0, j):
    # state a[:, i] below state b[:, j]; a0, b0 are the word-0 columns
    x = a0[i]
    y = b0[j]
    if x != y:
        return x < y
    return _compare_rest(a, i, b, j) < 0


@njit(cache=True)
def _equal(a, a0, i, b, b0, j):
    if a0[i] != b0[j]:
        return False
    return _compare_rest(a, i, b, j) == 0


@njit(cache=True)
def _lower_bound(a, a0, x, x0, i, lo):
    # galloping search from lo: first index r with a[:, r] >= x[:, i]
    n = a0.shape[0]
    step = 1
    hi = lo + 1
    while hi < n and _less(a, a0, hi, x, x0, i):
        lo = hi
        step *= 2
        hi = lo + step
    if hi > n:
        hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if _less(a, a0, mid, x, x0, i):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def unique_not_in_rows(candidates, count, seen_a, seen_b):
    """Compact sorted candidates[:, :count] in place to states absent from both sorted arrays.

    Duplicates are removed too; returns the new length.  Lookups gallop
    forward through each seen array (the candidates are sorted).
    """
    c0 = candidates[0]
    a0 = seen_a[0]
    b0 = seen_b[0]
    out = 0
    ia = 0
    ib = 0
    na = a0.shape[0]
    nb = b0.shape[0]
    words = candidates.shape[0]
    for i in range(count):
        if out > 0 and _equal(candidates, c0, i, candidates, c0, out - 1):
            continue
        if ia < na and _less(seen_a, a0, ia, candidates, c0, i):
            ia = _lower_bound(seen_a, a0, candidates, c0, i, ia)
        if ia < na and _equal(seen_a, a0, ia, candidates, c0, i):
            continue
        if ib < nb and _less(seen_b, b0, ib, candidates, c0, i):
            ib = _lower_bound(seen_b, b0, candidates, c0, i, ib)
        if ib < nb and _equal(seen_b, b0, ib, candidates, c0, i):
            continue
        if out != i:
            for w in range(words):
                candidates[w, out] = candidates[w, i]
        out += 1
    return out


@njit(cache=True)
def unique_rows(rows, count):
    """Compact sorted rows[:, :count] in place to distinct states; returns the new length."""
    out = 0
    words = rows.shape[0]
    r0 = rows[0]
    for i in range(count):
        if out > 0 and _equal(rows, r0, i, rows, r0, out - 1):
            continue
        if out != i:
            for w in range(words):
                rows[w, out] = rows[w, i]
        out += 1
    return out


@njit(cache=True)
def merge_rows(a, b, out):
    """Merge two sorted state arrays into out, keeping one copy of states in both; returns the count.

    ``out`` needs room for all states of a and b.
    """
    i = 0
    j = 0
    r = 0
    words = a.shape[0]
    na = a.shape[1]
    nb = b.shape[1]
    a0 = a[0]
    b0 = b[0]
    while i < na and j < nb:
        if _less(b, b0, j, a, a0, i):
            for w in range(words):
                out[w, r] = b[w, j]
            j += 1
        else:
            if _equal(a, a0, i, b, b0, j):
                j += 1
            for w in range(words):
                out[w, r] = a[w, i]
            i += 1
        r += 1
    while i < na:
        for w in range(words):
            out[w, r] = a[w, i]
        i += 1
        r += 1
    while j < nb:
        for w in range(words):
            out[w, r] = b[w, j]
        j += 1
        r += 1
    return r
