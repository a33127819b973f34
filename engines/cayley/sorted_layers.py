"""BFS whose layers are sorted arrays of one-word packed states.

For anything that packs into one 64-bit word (Schreier coset graphs,
subgroups of S_16, small puzzles): new states are the expanded frontier minus
the last two layers (inverse-closed sets: every neighbour of L_i lies in
L_{i-1}, L_i or L_{i+1}) or minus every visited state (directed sets), as in
CayleyPy's BFS (Chervov et al., arXiv:2509.19162, Section 2; reference
``cayley.md`` Section 1.5).  The packed word is the key itself, so
de-duplication is exact.

Examples
--------
>>> from mathdisco.engines.cayley.families import lrx
>>> from mathdisco.engines.cayley.graph import prepare_graph
>>> from mathdisco.engines.cayley.memory import MemoryLedger
>>> from mathdisco.engines.contract import no_progress
>>> bfs_sorted_layers(prepare_graph(lrx(6), central_state="000111"), MemoryLedger(2**30), None,
...                   0, 10, no_progress)[0]
[1, 2, 3, 4, 4, 3, 2, 1]
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mathdisco.engines.cayley import kernels
from mathdisco.engines.cayley.graph import PermutationGraph, decode_states
from mathdisco.engines.cayley.memory import (
    LayerProgress,
    MemoryLedger,
    chunk_states,
    depth_reached,
    sorted_work,
)
from mathdisco.engines.contract import Progress

__all__ = ["MIN_THREAD_STATES", "bfs_sorted_layers"]

#: a layer is shared among threads only in slices of at least this many states
MIN_THREAD_STATES = 1 << 14


def _merge_pieces(pieces: list[np.ndarray], ledger: MemoryLedger, what: str) -> np.ndarray:
    # sorted duplicate-free pieces merged pairwise in linear time (a sort of their
    # concatenation cost more than the threads saved)
    while len(pieces) > 1:
        merged = []
        for i in range(0, len(pieces) - 1, 2):
            a, b = pieces[i], pieces[i + 1]
            total = (a.size + b.size) * 8
            ledger.take(total, what)
            out = np.empty(a.size + b.size, dtype=np.uint64)
            count = kernels.merge_unique(a, b, out)
            if count < out.size:
                ledger.take(count * 8, what)
                out = out[:count].copy()
                ledger.give(total)
            ledger.give(total)  # the two pieces
            merged.append(out)
        if len(pieces) % 2:
            merged.append(pieces[-1])
        pieces = merged
    return pieces[0]


def _new_states(current: np.ndarray, previous: np.ndarray, a: int, b: int, gens: tuple,
                k: int) -> np.ndarray:
    # neighbours of current[a:b] in neither layer, sorted and unique (runs on a worker
    # thread: the kernels and numpy's sort release the GIL)
    out = np.empty((b - a) * k, dtype=np.uint64)
    kernels.expand_all(current, a, b, gens, out)
    out.sort()
    count = kernels.sorted_unique_not_in(out, current, previous)
    return out[:count].copy()


def _next_layer(current: np.ndarray, previous: np.ndarray, gens: tuple, chunk: int,
                threads: int, pool: ThreadPoolExecutor | None, ledger: MemoryLedger,
                report: LayerProgress, done: int, depth: int) -> np.ndarray | None:
    # layer ``depth``, sorted (None when empty): slices of ``current`` expanded, sorted and
    # filtered ``threads`` at a time, then merged
    k = gens[3].shape[0] - 1
    what = f"layer {depth}"
    step = chunk if threads == 1 else \
        max(MIN_THREAD_STATES, min(chunk // threads, -(-len(current) // threads)))
    bounds = [(a, min(len(current), a + step)) for a in range(0, len(current), step)]
    pieces: list[np.ndarray] = []
    for first in range(0, len(bounds), threads):
        batch = bounds[first:first + threads]
        held = sum(2 * (b - a) * k * 8 for a, b in batch)
        ledger.take(held, "the expansion buffers")
        jobs = [(current, previous, a, b, gens, k) for a, b in batch]
        found = list(pool.map(lambda job: _new_states(*job), jobs)) if len(batch) > 1 \
            else [_new_states(*jobs[0])]
        for piece in found:
            if piece.size:
                ledger.take(piece.size * 8, f"{what} candidates")
                pieces.append(piece)
        ledger.give(held)
        if len(pieces) >= 16:
            pieces = [_merge_pieces(pieces, ledger, f"merging {what}")]
        report.expanding(done, depth, batch[-1][1], len(current))
    return _merge_pieces(pieces, ledger, f"merging {what}") if pieces else None


def bfs_sorted_layers(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                      store_cap: int, last_cap: int, progress: Progress, threads: int = 1):
    """Layer sizes, stored small layers, last layer (packed, or None), completed flag.

    With ``threads > 1`` a layer is cut into that many slices at a time (of at
    most one slice's states in all, so the memory held stays that of one
    thread), expanded, sorted and filtered on worker threads, and the pieces
    merged.
    """
    width = graph.width
    k = len(graph.generators)
    gens = kernels.compile_generators(graph.generators, width, reflections=width == 4)
    report = LayerProgress(progress, graph.known_vertices or 0)
    empty = np.empty(0, dtype=np.uint64)
    current = np.array([kernels.pack_state(graph.central_state, width)], dtype=np.uint64)
    previous = empty  # inverse-closed: L_{i-1}; directed: every state before L_i
    ledger.take(8, "layer 0")
    sizes = [1]
    stored = {0: decode_states(graph, current)} if store_cap >= 1 else {}
    chunk = chunk_states(k, sorted_work(ledger.budget))
    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    done = 1
    completed = False
    report.start()
    try:
        while not depth_reached(max_diameter, len(sizes) - 1):
            new = _next_layer(current, previous, gens, chunk, threads, pool, ledger, report,
                              done, len(sizes))
            if new is None:
                completed = True
                break
            if graph.inverse_closed:
                ledger.give(previous.size * 8)
                previous = current
            else:
                merged = np.concatenate([previous, current])
                merged.sort(kind="stable")
                previous = merged
            current = new
            sizes.append(len(new))
            done += len(new)
            if len(new) <= store_cap:
                stored[len(sizes) - 1] = decode_states(graph, current)
            report.layer_done(done, len(sizes) - 1, len(new))
    finally:
        if pool is not None:
            pool.shutdown()
    report.finished(done, len(sizes) - 1, completed)
    last = current if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
