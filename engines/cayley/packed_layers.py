"""BFS over states packed into as many 64-bit words as they need.

The multi-word form of :mod:`mathdisco.engines.cayley.sorted_layers` for states of up
to 256 positions (puzzles' sticker colourings, permutations of more than 16
points, Schreier coset graphs of long strings): a layer is a sorted set of
states (``keys`` and ``rows``, see :mod:`mathdisco.engines.cayley.packed_kernels`);
new states are the expanded frontier minus the last two layers
(inverse-closed sets) or minus every visited state (directed sets).  Every
comparison that finds equal keys compares the whole rows, so the visited set
is exact -- CayleyPy hashes multi-word states to 64 bits and accepts rare
false merges (Chervov et al., arXiv:2509.19162; reference ``cayley.md``
Sections 1.4-1.5); this engine uses the hash only to order states.

Examples
--------
>>> from mathdisco.engines.cayley.families import lrx
>>> from mathdisco.engines.cayley.graph import prepare_graph
>>> from mathdisco.engines.cayley.memory import MemoryLedger
>>> from mathdisco.engines.contract import no_progress
>>> g = prepare_graph(lrx(40), central_state="0" * 37 + "111")
>>> g.words, g.n
(1, 40)
>>> h = prepare_graph(lrx(70), central_state="0" * 68 + "11")
>>> h.words
2
>>> sizes = bfs_packed_layers(h, MemoryLedger(2**30), None, 0, 10, no_progress)[0]
>>> sum(sizes) == 70 * 69 // 2, len(sizes) - 1
(True, 85)
"""

from __future__ import annotations

import contextlib
import mmap

import numpy as np

from mathdisco.engines.cayley import packed_kernels as pk
from mathdisco.engines.cayley.graph import PermutationGraph, decode_states
from mathdisco.engines.cayley.memory import LayerProgress, MemoryLedger, chunk_states, depth_reached
from mathdisco.engines.contract import Progress

__all__ = ["bfs_packed_layers", "packed_row_bytes"]

#: sorted runs of a layer kept before they are merged into one
MAX_RUNS = 32


def packed_row_bytes(graph: PermutationGraph) -> int:
    """Bytes of one packed state (its words, and its key when it has more than one word)."""
    return 8 * graph.words + (8 if graph.words > 1 else 0)


def _small_pages(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised uint64 array in memory that is not backed by huge pages.

    numpy asks for transparent huge pages on large arrays; on this kind of VM
    the first touch of each one then stalls for compaction (measured: 2.5 s of
    system time for a 4.6-million-state search, against 0.7 s on 4 KiB pages).
    """
    size = int(np.prod(shape)) * 8
    if size < 1 << 22:
        return np.empty(shape, dtype=np.uint64)
    memory = mmap.mmap(-1, size)
    with contextlib.suppress(AttributeError, OSError):
        memory.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(memory, dtype=np.uint64).reshape(shape)


class _Buffer:
    """Rows and keys with room for ``capacity`` states (keys a view of the rows for one word)."""

    def __init__(self, capacity: int, words: int):
        self.rows = _small_pages((capacity, words))
        self.keys = self.rows[:, 0] if words == 1 else _small_pages((capacity,))

    @property
    def capacity(self) -> int:
        return len(self.rows)


class _States:
    """A sorted set of states: the first ``size`` entries of a buffer."""

    def __init__(self, buffer: _Buffer, size: int):
        self.buffer, self.size = buffer, size
        self.keys, self.rows = buffer.keys[:size], buffer.rows[:size]

    def __len__(self) -> int:
        return self.size


class _Pool:
    """Buffers handed back and out again: memory here page-faults on first touch, so a
    search reuses what it allocated instead of asking for fresh memory layer after layer."""

    def __init__(self, words: int, row_bytes: int, ledger: MemoryLedger, keep: int = 3):
        self.words, self.row_bytes, self.ledger, self.keep = words, row_bytes, ledger, keep
        self.free: list[_Buffer] = []

    def get(self, size: int, what: str) -> _Buffer:
        fits = [b for b in self.free if b.capacity >= size]
        if fits:
            best = min(fits, key=lambda b: b.capacity)
            self.free.remove(best)
            return best
        capacity = max(size + size // 4, 1024)
        self.ledger.take(capacity * self.row_bytes, what)
        return _Buffer(capacity, self.words)

    def put(self, buffer: _Buffer) -> None:
        self.free.append(buffer)
        self.free.sort(key=lambda b: b.capacity)
        while len(self.free) > self.keep:
            dropped = self.free.pop(0)
            self.ledger.give(dropped.capacity * self.row_bytes)


class _Layer:
    """The sorted runs of the layer being built, in one growing buffer."""

    def __init__(self, pool: _Pool, what: str):
        self.pool, self.what = pool, what
        self.buffer = pool.get(1024, what)
        self.fill = 0
        self.starts: list[int] = []

    def append(self, keys: np.ndarray, rows: np.ndarray, count: int) -> None:
        if self.fill + count > self.buffer.capacity:
            bigger = self.pool.get(2 * (self.fill + count), self.what)
            bigger.rows[:self.fill] = self.buffer.rows[:self.fill]
            if self.pool.words > 1:
                bigger.keys[:self.fill] = self.buffer.keys[:self.fill]
            self.pool.put(self.buffer)
            self.buffer = bigger
        self.buffer.rows[self.fill:self.fill + count] = rows[:count]
        if self.pool.words > 1:
            self.buffer.keys[self.fill:self.fill + count] = keys[:count]
        self.starts.append(self.fill)
        self.fill += count
        if len(self.starts) >= MAX_RUNS:
            merged = self.merged()
            self.buffer, self.fill, self.starts = merged.buffer, merged.size, [0]

    def merged(self) -> _States:
        """One sorted, duplicate-free set (the buffer goes back to the pool)."""
        out = self.pool.get(self.fill, self.what)
        starts = np.array(self.starts, dtype=np.int64)
        ends = np.append(starts[1:], self.fill).astype(np.int64)
        count = pk.merge_runs(self.buffer.keys, self.buffer.rows, starts, ends, out.keys, out.rows)
        self.pool.put(self.buffer)
        self.buffer, self.fill, self.starts = None, 0, []
        return _States(out, count)


def _union(pool: _Pool, a: _States, b: _States) -> _States:
    out = pool.get(len(a) + len(b), "the visited states")
    count = pk.merge_states(a.keys, a.rows, b.keys, b.rows, out.keys, out.rows)
    return _States(out, count)


def bfs_packed_layers(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                      store_cap: int, last_cap: int, progress: Progress):
    """Layer sizes, stored small layers, last layer (rows, or None), completed flag."""
    words = graph.words
    row_bytes = packed_row_bytes(graph)
    k = len(graph.generators)
    moves = pk.compile_moves(graph.generators, graph.width, graph.per_word)
    report = LayerProgress(progress, graph.known_vertices or 0)
    pool = _Pool(words, row_bytes, ledger)
    start = pool.get(1, "layer 0")
    start.rows[0] = pk.pack_rows([graph.central_state], graph.width, graph.per_word, words)[0]
    if words > 1:
        pk.hash_rows(start.rows[:1], start.keys[:1])
    current = _States(start, 1)
    previous = _States(pool.get(1, "layer 0"), 0)  # inverse-closed: L_{i-1}; else all before
    sizes = [1]
    stored = {0: decode_states(graph, current.rows)} if store_cap >= 1 else {}
    # one set of expansion buffers, reused by every slice: candidates, their keys and, for
    # several words, composites and sorted copies
    chunk = max(1, chunk_states(k) // max(1, words - 1))
    capacity = chunk * k
    buffer_bytes = capacity * (8 * words if words == 1 else 16 * words + 24)
    ledger.take(buffer_bytes, "the expansion buffers")
    candidates = _small_pages((capacity, words))
    candidate_keys = candidates[:, 0] if words == 1 else _small_pages((capacity,))
    scratch = None if words == 1 else (_small_pages((capacity,)), _small_pages((capacity,)),
                                       _small_pages((capacity, words)))
    done = 1
    completed = False
    report.start()
    while not depth_reached(max_diameter, len(sizes) - 1):
        layer = _Layer(pool, f"layer {len(sizes)}")
        frontier = len(current)
        for a in range(0, frontier, chunk):
            b = min(frontier, a + chunk)
            m = (b - a) * k
            out = candidates[:m]
            pk.expand_rows(current.rows, a, b, *moves, out)
            keys = candidate_keys[:m]
            if words > 1:
                pk.hash_rows(out, keys)
            keys, ordered = pk.sort_states(out, keys, scratch)
            count = pk.unique_not_in(keys, ordered, m, current.keys, current.rows,
                                     previous.keys, previous.rows)
            if count:
                layer.append(keys, ordered, count)
            report.expanding(done, len(sizes), b, frontier)
        if not layer.fill:
            pool.put(layer.buffer)
            completed = True
            break
        new = layer.merged()
        if graph.inverse_closed:
            pool.put(previous.buffer)
            previous = current
        else:
            visited = _union(pool, previous, current)
            pool.put(previous.buffer)
            pool.put(current.buffer)
            previous = visited
        current = new
        size = len(new)
        sizes.append(size)
        done += size
        if size <= store_cap:
            stored[len(sizes) - 1] = decode_states(graph, current.rows)
        report.layer_done(done, len(sizes) - 1, size)
    del candidates, candidate_keys, scratch
    ledger.give(buffer_bytes)
    report.finished(done, len(sizes) - 1, completed)
    last = current.rows.copy() if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
