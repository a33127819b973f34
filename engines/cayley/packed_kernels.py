"""numba kernels for states packed into several 64-bit words.

Position ``i`` of a state with ``w`` bits per symbol lives in word
``i // (64 // w)`` at bit ``w * (i % (64 // w))``: symbols never straddle two
words.  A generator (``new[i] = old[p[i]]``) is compiled into groups of
positions that move from one source word to one destination word by the same
bit distance; applying it costs one mask-and-shift per group (CayleyPy's
bit-packing idea, arXiv:2509.19162 Section 2; reference ``cayley.md``
Section 1.3), not one step per symbol.

A set of ``m`` states is a pair: ``rows``, an ``(m, W)`` array (one state a
row), and ``keys``, one 64-bit key per state.  With one word the key *is* the
state (``keys`` is a view of the only column); with more, the key is a hash
of the row (splitmix64 mixing, as CayleyPy's multi-word hash).  States are
ordered by key, then by their words -- so equal keys of different states
(hash collisions) are still told apart: every comparison that finds equal
keys goes on to compare whole rows, and de-duplication and set differences
are exact.  A hash only decides the *order*, which lets numpy's vectorised
sort do the work (:func:`sort_states`: one sort of 64-bit keys with the row
index in their low bits, then a gather).

Every kernel processes a caller-chosen slice or array, so one call stays well
under a second and the Python driver can report progress and honour
cancellation.

Examples
--------
>>> moves = compile_moves([[1, 2, 0]], width=2, per_word=2)
>>> state = pack_rows([[0, 1, 2]], width=2, per_word=2, words=2)
>>> out = np.empty((1, 2), dtype=np.uint64)
>>> expand_rows(state, 0, 1, *moves, out)
1
>>> unpack_rows(out, 3, width=2, per_word=2).tolist()
[[1, 2, 0]]
>>> rows = np.array([[3, 1], [2, 1], [9, 0], [2, 1]], dtype=np.uint64)
>>> keys, ordered = sort_states(rows, state_keys(rows))
>>> unique_rows(keys, ordered, 4), sorted(map(tuple, ordered[:3].tolist()))
(3, [(2, 1), (3, 1), (9, 0)])
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "compile_moves",
    "expand_rows",
    "hash_rows",
    "merge_runs",
    "merge_states",
    "pack_rows",
    "sort_states",
    "state_keys",
    "unique_not_in",
    "unique_rows",
    "unpack_rows",
]


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
    """Pack sequences of small non-negative ints into an (m, words) uint64 array."""
    out = np.zeros((len(states), words), dtype=np.uint64)
    for r, state in enumerate(states):
        values = [0] * words
        for i, v in enumerate(state):
            w, o = divmod(i, per_word)
            values[w] |= int(v) << (width * o)
        out[r] = values
    return out


def unpack_rows(rows: np.ndarray, n: int, width: int, per_word: int) -> np.ndarray:
    """The symbols of packed states (an (m, W) array), as an (m, n) int64 array."""
    mask = np.uint64((1 << width) - 1)
    out = np.empty((rows.shape[0], n), dtype=np.int64)
    for i in range(n):
        w, o = divmod(i, per_word)
        out[:, i] = (rows[:, w] >> np.uint64(width * o)) & mask
    return out


@njit(cache=True)
def expand_rows(states, start, stop, src, dst, mask, left, right, offsets, out):
    """All k neighbours of states[start:stop] into out (generator-major); returns k * m."""
    k = offsets.shape[0] - 1
    m = stop - start
    words = states.shape[1]
    if words == 1:  # one word: accumulate in a register
        for g in range(k):
            base = g * m - start
            for idx in range(start, stop):
                s = states[idx, 0]
                t = np.uint64(0)
                for j in range(offsets[g], offsets[g + 1]):
                    t |= ((s & mask[j]) << left[j]) >> right[j]
                out[base + idx, 0] = t
        return k * m
    for g in range(k):
        base = g * m - start
        for idx in range(start, stop):
            row = base + idx
            for w in range(words):
                out[row, w] = 0
            for j in range(offsets[g], offsets[g + 1]):
                out[row, dst[j]] |= ((states[idx, src[j]] & mask[j]) << left[j]) >> right[j]
    return k * m


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def hash_rows(rows, keys):
    """keys[i] = a 64-bit mix of every word of rows[i] (the order key of multi-word states)."""
    for i in range(rows.shape[0]):
        h = np.uint64(0x9E3779B97F4A7C15)
        for w in range(rows.shape[1]):
            h = _mix(h ^ rows[i, w])
        keys[i] = h
    return rows.shape[0]


def state_keys(rows: np.ndarray) -> np.ndarray:
    """The order keys of states: the word itself for one-word states (a view), else a hash."""
    if rows.shape[1] == 1:
        return rows[:, 0]
    keys = np.empty(rows.shape[0], dtype=np.uint64)
    hash_rows(rows, keys)
    return keys


@njit(cache=True)
def _less(ka, ra, i, kb, rb, j):
    # state i of (ka, ra) is ordered before state j of (kb, rb): by key, then by words
    x = ka[i]
    y = kb[j]
    if x != y:
        return x < y
    for w in range(ra.shape[1]):
        if ra[i, w] != rb[j, w]:
            return ra[i, w] < rb[j, w]
    return False


@njit(cache=True)
def _equal(ka, ra, i, kb, rb, j):
    if ka[i] != kb[j]:
        return False
    for w in range(ra.shape[1]):
        if ra[i, w] != rb[j, w]:
            return False
    return True


@njit(cache=True)
def _gather(composite, index_bits, keys, rows, out_keys, out_rows):
    # states in the order of the sorted composites (key prefix | index), then the rare runs
    # of equal key prefixes put in full (key, row) order by insertion sort
    mask = (np.uint64(1) << np.uint64(index_bits)) - np.uint64(1)
    m = composite.shape[0]
    words = rows.shape[1]
    for j in range(m):
        idx = np.int64(composite[j] & mask)
        out_keys[j] = keys[idx]
        for w in range(words):
            out_rows[j, w] = rows[idx, w]
    tmp = np.empty(words, dtype=np.uint64)
    start = 0
    while start < m:
        end = start + 1
        prefix = composite[start] >> np.uint64(index_bits)
        while end < m and (composite[end] >> np.uint64(index_bits)) == prefix:
            end += 1
        for a in range(start + 1, end):
            b = a
            while b > start and _less(out_keys, out_rows, b, out_keys, out_rows, b - 1):
                key = out_keys[b]
                out_keys[b] = out_keys[b - 1]
                out_keys[b - 1] = key
                for w in range(words):
                    tmp[w] = out_rows[b, w]
                    out_rows[b, w] = out_rows[b - 1, w]
                    out_rows[b - 1, w] = tmp[w]
                b -= 1
        start = end
    return m


@njit(cache=True)
def _composites(keys, index_bits, out):
    high = ~((np.uint64(1) << np.uint64(index_bits)) - np.uint64(1))
    for i in range(keys.shape[0]):
        out[i] = (keys[i] & high) | np.uint64(i)
    return keys.shape[0]


def sort_states(rows: np.ndarray, keys: np.ndarray, scratch: tuple | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(keys, rows) in state order.  One word: sorted in place.  More: into other arrays.

    The composite ``(key with its low bits replaced by the row index)`` is
    sorted by numpy's vectorised sort, the rows gathered in that order, and
    the runs whose keys agree above the index bits are finished by insertion
    sort on (key, row) -- duplicates of one state, or true collisions.
    ``scratch`` -- (composites, keys, rows) arrays of at least ``len(rows)``
    entries -- is used instead of fresh arrays when given (fresh memory costs
    a page fault per 4 KiB on first touch, a large share of the time here).
    """
    if rows.shape[1] == 1:
        keys.sort()  # keys is the rows' only column
        return keys, rows
    m = rows.shape[0]
    if scratch is None:
        scratch = (np.empty(m, dtype=np.uint64), np.empty(m, dtype=np.uint64),
                   np.empty_like(rows))
    composite, out_keys, out_rows = scratch[0][:m], scratch[1][:m], scratch[2][:m]
    index_bits = max(1, (m - 1).bit_length())
    _composites(keys, index_bits, composite)
    composite.sort()
    _gather(composite, index_bits, keys, rows, out_keys, out_rows)
    return out_keys, out_rows


@njit(cache=True)
def _lower_bound(ka, ra, kx, rx, i, lo):
    # galloping search from lo: first index r with state r of (ka, ra) >= state i of (kx, rx)
    n = ka.shape[0]
    step = 1
    hi = lo + 1
    while hi < n and _less(ka, ra, hi, kx, rx, i):
        lo = hi
        step *= 2
        hi = lo + step
    if hi > n:
        hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if _less(ka, ra, mid, kx, rx, i):
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def unique_not_in(keys, rows, count, a_keys, a_rows, b_keys, b_rows):
    """Compact sorted states [:count] in place to those absent from both sorted sets a, b.

    Duplicates are removed too; returns the new length.  Lookups gallop
    forward through each set (the candidates are sorted).  ``keys`` may be a
    view of ``rows`` (one-word states).
    """
    out = 0
    ia = 0
    ib = 0
    na = a_keys.shape[0]
    nb = b_keys.shape[0]
    words = rows.shape[1]
    for i in range(count):
        if out > 0 and _equal(keys, rows, i, keys, rows, out - 1):
            continue
        if ia < na and _less(a_keys, a_rows, ia, keys, rows, i):
            ia = _lower_bound(a_keys, a_rows, keys, rows, i, ia)
        if ia < na and _equal(a_keys, a_rows, ia, keys, rows, i):
            continue
        if ib < nb and _less(b_keys, b_rows, ib, keys, rows, i):
            ib = _lower_bound(b_keys, b_rows, keys, rows, i, ib)
        if ib < nb and _equal(b_keys, b_rows, ib, keys, rows, i):
            continue
        if out != i:
            keys[out] = keys[i]
            for w in range(words):
                rows[out, w] = rows[i, w]
        out += 1
    return out


@njit(cache=True)
def unique_rows(keys, rows, count):
    """Compact sorted states [:count] in place to distinct ones; returns the new length."""
    out = 0
    words = rows.shape[1]
    for i in range(count):
        if out > 0 and _equal(keys, rows, i, keys, rows, out - 1):
            continue
        if out != i:
            keys[out] = keys[i]
            for w in range(words):
                rows[out, w] = rows[i, w]
        out += 1
    return out


@njit(cache=True)
def merge_states(a_keys, a_rows, b_keys, b_rows, out_keys, out_rows):
    """Merge two sorted state sets into out, keeping one copy of states in both; returns the count.

    ``out_*`` need room for all states of a and b (``out_keys`` may be a view
    of ``out_rows``).
    """
    i = 0
    j = 0
    r = 0
    words = a_rows.shape[1]
    na = a_keys.shape[0]
    nb = b_keys.shape[0]
    while i < na or j < nb:
        take_b = i >= na or (j < nb and _less(b_keys, b_rows, j, a_keys, a_rows, i))
        if take_b:
            out_keys[r] = b_keys[j]
            for w in range(words):
                out_rows[r, w] = b_rows[j, w]
            j += 1
        else:
            if j < nb and _equal(a_keys, a_rows, i, b_keys, b_rows, j):
                j += 1
            out_keys[r] = a_keys[i]
            for w in range(words):
                out_rows[r, w] = a_rows[i, w]
            i += 1
        r += 1
    return r


@njit(cache=True)
def _heap_less(keys, rows, heads, a, b):
    return _less(keys, rows, heads[a], keys, rows, heads[b])


@njit(cache=True)
def merge_runs(keys, rows, starts, ends, out_keys, out_rows):
    """k-way merge of sorted runs [starts[r], ends[r]) of (keys, rows) into out, dropping
    duplicates; returns the count.  A binary heap of run heads: log2(runs) comparisons a state.
    """
    runs = starts.shape[0]
    heads = starts.copy()
    heap = np.empty(runs, dtype=np.int64)
    size = 0
    for r in range(runs):  # push every non-empty run, sifting up
        if heads[r] < ends[r]:
            heap[size] = r
            c = size
            size += 1
            while c > 0:
                parent = (c - 1) // 2
                if _heap_less(keys, rows, heads, heap[c], heap[parent]):
                    heap[c], heap[parent] = heap[parent], heap[c]
                    c = parent
                else:
                    break
    words = rows.shape[1]
    count = 0
    while size > 0:
        r = heap[0]
        i = heads[r]
        if count == 0 or not _equal(keys, rows, i, out_keys, out_rows, count - 1):
            out_keys[count] = keys[i]
            for w in range(words):
                out_rows[count, w] = rows[i, w]
            count += 1
        heads[r] = i + 1
        if heads[r] >= ends[r]:
            size -= 1
            heap[0] = heap[size]
        c = 0
        while True:  # sift down
            left = 2 * c + 1
            if left >= size:
                break
            child = left
            if left + 1 < size and _heap_less(keys, rows, heads, heap[left + 1], heap[left]):
                child = left + 1
            if _heap_less(keys, rows, heads, heap[child], heap[c]):
                heap[c], heap[child] = heap[child], heap[c]
                c = child
            else:
                break
    return count
