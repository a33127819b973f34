"""numba kernels for breadth-first search over packed permutation states.

A state (a sequence of n symbols, each below 2^w) is packed into one uint64,
symbol i in bits [w*i, w*(i+1)).  A generator p (``new[i] = old[p[i]]``) is
compiled into groups of positions that move by the same distance, so applying
it costs one mask-and-shift per group (CayleyPy's bit-packing idea,
arXiv:2509.19162 Section 2 / reference Section 1.3), not one step per symbol;
with 4-bit symbols a group may also be a reflected run (taken from the word
with its nibbles reversed), so a prefix reversal costs one group.  Generators
are applied and permutations ranked a block of states at a time, with the
states in the innermost loop, so that LLVM vectorises both.

For S_n with n <= 13 the visited set is a bitset over lexicographic
permutation ranks (exact, n!/8 bytes); frontier states carry the index of the
generator that produced them in bits 52..63, so the kernel never applies that
generator's inverse (the result is the parent, already visited).

Every kernel processes a caller-chosen slice, so one call stays well under a
second and the Python driver can report progress and honour cancellation.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = [
    "BLOCK",
    "MAX_TAGGED_GENERATORS",
    "TAG_SHIFT",
    "collect_ranks",
    "compile_generators",
    "expand_all",
    "merge_unique",
    "neighbours_into",
    "pack_state",
    "rank_into",
    "rank_permutations",
    "sorted_unique_not_in",
    "unpack_states",
    "unrank_permutations",
]

TAG_SHIFT = 52  # bits above 4*13 hold the producing generator's index + 1
#: states per vectorised block: the k neighbours of a block (and their ranks) stay in L1/L2
BLOCK = 256
MAX_TAGGED_GENERATORS = (1 << (64 - TAG_SHIFT)) - 2


def compile_generators(generators: list[list[int]], width: int, reflections: bool = False
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mask/shift groups for applying each generator to packed states.

    Returns ``(masks, left_shifts, right_shifts, offsets, reflected)``:
    generator g is ``sum over j in offsets[g]:offsets[g+1] of
    ((x_j & masks[j]) << left[j]) >> right[j]`` where ``x_j`` is the state, or
    where ``reflected[j]`` the state with its 16 nibbles in reverse order.
    Positions moving by the same distance (``i - p[i]``) form a group; with
    ``reflections`` (4-bit symbols only) so do the positions with the same
    ``i + p[i]``, which one shift of the reversed word puts in place at once:
    a prefix reversal of m symbols (pancake) then costs one group, not m.
    Groups are taken largest first (ties: unreflected, which needs no reversal).
    """
    if reflections and width != 4:
        raise ValueError("reflected groups need 4-bit symbols (16 per word)")
    symbol_mask = (1 << width) - 1
    masks, lefts, rights, offsets, reflected = [], [], [], [0], []
    for p in generators:
        left = set(range(len(p)))
        while left:
            candidates: dict[tuple[int, int], list[int]] = {}
            for i in left:
                candidates.setdefault((0, i - p[i]), []).append(i)
                if reflections:
                    candidates.setdefault((1, i + p[i]), []).append(i)
            (kind, key), members = max(candidates.items(), key=lambda kv: (len(kv[1]), -kv[0][0]))
            mask = 0
            for i in members:
                source = p[i] if kind == 0 else 15 - p[i]  # the nibble of x_j holding it
                mask |= symbol_mask << (width * source)
            shift = key * width if kind == 0 else (key - 15) * width
            masks.append(mask)
            lefts.append(max(shift, 0))
            rights.append(max(-shift, 0))
            reflected.append(kind == 1)
            left -= set(members)
        offsets.append(len(masks))
    return (np.array(masks, dtype=np.uint64), np.array(lefts, dtype=np.uint64),
            np.array(rights, dtype=np.uint64), np.array(offsets, dtype=np.int64),
            np.array(reflected, dtype=np.bool_))


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
def rank_into(words, count, n, used, ranks):
    """Lexicographic ranks of packed permutations words[:count] into ranks[:count].

    Lehmer code with 4-bit symbols: digit i is the symbol less the smaller
    symbols already used (a popcount of the ``used`` mask).  The position
    loop is outermost and the state loop innermost, so LLVM vectorises over
    the states (~3.5x faster than one state at a time); ``used`` is scratch
    of the same length.
    """
    one = np.uint64(1)
    for i in range(count):
        used[i] = 0
        ranks[i] = 0
    for p in range(n - 1):
        shift = np.uint64(4 * p)
        radix = np.uint64(n - p)
        for i in range(count):
            v = (words[i] >> shift) & np.uint64(15)
            u = used[i]
            ranks[i] = ranks[i] * radix + (v - _popcount(u & ((one << v) - one)))
            used[i] = u | (one << v)


@njit(cache=True)
def rank_permutations(words, n):
    """Lexicographic ranks of packed permutations of 0..n-1 (4-bit symbols)."""
    out = np.empty(words.shape[0], dtype=np.uint64)
    rank_into(words, words.shape[0], n, np.empty(words.shape[0], dtype=np.uint64), out)
    return out


@njit(cache=True, inline="always")
def _reverse_nibbles(x):
    x = ((x >> np.uint64(4)) & np.uint64(0x0F0F0F0F0F0F0F0F)) | \
        ((x & np.uint64(0x0F0F0F0F0F0F0F0F)) << np.uint64(4))
    x = ((x >> np.uint64(8)) & np.uint64(0x00FF00FF00FF00FF)) | \
        ((x & np.uint64(0x00FF00FF00FF00FF)) << np.uint64(8))
    x = ((x >> np.uint64(16)) & np.uint64(0x0000FFFF0000FFFF)) | \
        ((x & np.uint64(0x0000FFFF0000FFFF)) << np.uint64(16))
    return (x >> np.uint64(32)) | (x << np.uint64(32))


@njit(cache=True, inline="always")
def neighbours_into(states, start, m, gens, reversed_, out, stride, at):
    """Neighbour g of states[start + i] (i < m) into ``out[g * stride + at + i]``.

    ``gens`` is :func:`compile_generators`' tuple; ``reversed_`` is scratch for
    m words (used when a group is reflected).  Generator-major, one loop over
    the states per group, so LLVM vectorises it; tag bits of the states are
    outside every mask, so they never reach a neighbour.
    """
    masks, lefts, rights, offsets, reflected = gens
    k = offsets.shape[0] - 1
    # slices indexed from 0 by the loop counter: numba then emits no negative-index
    # wraparound, which would turn the vector loads and stores into gathers and scatters
    source = states[start:start + m]
    if np.any(reflected):
        for i in range(m):
            reversed_[i] = _reverse_nibbles(source[i])
    for g in range(k):
        target = out[g * stride + at:g * stride + at + m]
        for i in range(m):
            target[i] = 0
        for j in range(offsets[g], offsets[g + 1]):
            mask = masks[j]
            left = lefts[j]
            right = rights[j]
            if reflected[j]:
                for i in range(m):
                    target[i] |= ((reversed_[i] & mask) << left) >> right
            else:
                for i in range(m):
                    target[i] |= ((source[i] & mask) << left) >> right


@njit(cache=True, nogil=True)
def expand_all(states, start, stop, gens, out):
    """All k neighbours of states[start:stop] into out (generator-major); returns k * m.

    Blocks of :data:`BLOCK` states keep each group's pass over the states in L1.
    """
    k = gens[3].shape[0] - 1
    m = stop - start
    reversed_ = np.empty(BLOCK, dtype=np.uint64)
    for a in range(start, stop, BLOCK):
        neighbours_into(states, a, min(BLOCK, stop - a), gens, reversed_, out, m, a - start)
    return k * m


@njit(cache=True, nogil=True)
def sorted_unique_not_in(candidates, seen_a, seen_b):
    """Compact sorted ``candidates`` in place to values absent from both sorted arrays.

    Duplicates are removed too; returns the new length.  Duplicates go first
    (branch-free); then each seen array is subtracted by a branch-free merge
    when it is not much longer than what is left, else by galloping through
    it (a directed search's every-state-so-far array against one slice).
    """
    count = 0
    prev = ~candidates[0] if candidates.shape[0] else np.uint64(0)
    for i in range(candidates.shape[0]):
        x = candidates[i]
        candidates[count] = x
        count += np.int64(x != prev)
        prev = x
    count = _difference(candidates, count, seen_a)
    return _difference(candidates, count, seen_b)


@njit(cache=True, inline="always")
def _difference(values, count, seen):
    # values[:count] (sorted, unique) less the sorted ``seen``, compacted in place
    if seen.shape[0] == 0 or count == 0:
        return count
    kept = 0
    j = 0
    ns = seen.shape[0]
    if ns <= 4 * count:
        # branch-free merge: the outcome of each comparison is data, not a jump
        i = 0
        while i < count and j < ns:
            x = values[i]
            y = seen[j]
            values[kept] = x
            kept += np.int64(x < y)
            i += np.int64(x <= y)
            j += np.int64(y <= x)
        while i < count:
            values[kept] = values[i]
            kept += 1
            i += 1
        return kept
    for i in range(count):
        x = values[i]
        if j < ns and seen[j] < x:
            j = _lower_bound(seen, x, j)
        if j < ns and seen[j] == x:
            continue
        values[kept] = x
        kept += 1
    return kept


@njit(cache=True, nogil=True)
def merge_unique(a, b, out):
    """Merge sorted duplicate-free ``a`` and ``b`` into ``out`` without duplicates; returns the count."""
    i = 0
    j = 0
    count = 0
    while i < a.shape[0] and j < b.shape[0]:
        x = a[i]
        y = b[j]
        out[count] = min(x, y)
        count += 1
        i += np.int64(x <= y)
        j += np.int64(y <= x)
    while i < a.shape[0]:
        out[count] = a[i]
        count += 1
        i += 1
    while j < b.shape[0]:
        out[count] = b[j]
        count += 1
        j += 1
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


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask for the cache line of ``array[index]`` ahead of a write (``llvm.prefetch``)."""
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):
        array_type = sig.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, ary, [args[1]])
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8")
        # write, highest locality, data cache
        builder.call(function, [builder.bitcast(pointer, byte_pointer), ir.Constant(i32, 1),
                                ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return signature, codegen
