"""BFS over states packed into as many 64-bit words as they need.

The multi-word form of :mod:`engines.cayley.sorted_layers` for states of up
to 256 positions (puzzles' sticker colourings, permutations of more than 16
points, Schreier coset graphs of long strings): a layer is an array of rows
(a ``(W, m)`` array: word ``w`` of state ``i`` at ``[w, i]``) sorted by
:func:`engines.cayley.packed_kernels.sort_rows`; new
states are the expanded frontier minus the last two layers (inverse-closed
sets) or minus every visited state (directed sets).  Every comparison looks
at the whole row, so the visited set is exact -- CayleyPy hashes multi-word
states to 64 bits and accepts rare false merges (Chervov et al.,
arXiv:2509.19162; reference ``cayley.md`` Sections 1.4-1.5); this engine does
not.

Examples
--------
>>> from engines.cayley.families import lrx
>>> from engines.cayley.graph import prepare_graph
>>> from engines.cayley.memory import MemoryLedger
>>> from engines.contract import no_progress
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

import numpy as np

from engines.cayley import packed_kernels as pk
from engines.cayley.graph import PermutationGraph, decode_states
from engines.cayley.memory import LayerProgress, MemoryLedger, chunk_states, depth_reached
from engines.contract import Progress

__all__ = ["bfs_packed_layers", "packed_row_bytes"]

#: pieces of a layer kept before they are merged into one
MAX_PIECES = 16


def packed_row_bytes(graph: PermutationGraph) -> int:
    """Bytes of one packed state."""
    return 8 * graph.words


def _merge(pieces: list[np.ndarray], ledger: MemoryLedger, row_bytes: int, what: str
           ) -> np.ndarray:
    """One sorted, duplicate-free array from sorted, duplicate-free pieces (pairwise merges)."""
    def size(p: np.ndarray) -> int:
        return p.shape[1]

    pieces = sorted(pieces, key=size, reverse=True)
    while len(pieces) > 1:
        a = pieces.pop()
        b = pieces.pop()
        total = size(a) + size(b)
        ledger.take(total * row_bytes, what)
        out = np.empty((a.shape[0], total), dtype=np.uint64)
        count = pk.merge_rows(a, b, out)
        if count < total:
            out = out[:, :count].copy()
        ledger.give(total * row_bytes + (total - count) * row_bytes)
        del a, b
        pieces.append(out)
        pieces.sort(key=size, reverse=True)
    return pieces[0]


def bfs_packed_layers(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                      store_cap: int, last_cap: int, progress: Progress):
    """Layer sizes, stored small layers, last layer (rows, or None), completed flag."""
    words = graph.words
    row_bytes = packed_row_bytes(graph)
    used_bits = min(64, graph.per_word * graph.width)
    k = len(graph.generators)
    moves = pk.compile_moves(graph.generators, graph.width, graph.per_word)
    report = LayerProgress(progress, graph.known_vertices or 0)
    current = pk.pack_rows([graph.central_state], graph.width, graph.per_word, words)
    previous = np.empty((words, 0), dtype=np.uint64)  # inverse-closed: L_{i-1}; else all before
    ledger.take(row_bytes, "layer 0")
    sizes = [1]
    stored = {0: decode_states(graph, current)} if store_cap >= 1 else {}
    chunk = chunk_states(k)
    done = 1
    completed = False
    report.start()
    while not depth_reached(max_diameter, len(sizes) - 1):
        what = f"layer {len(sizes)}"
        pieces: list[np.ndarray] = []
        frontier = current.shape[1]
        for a in range(0, frontier, chunk):
            b = min(frontier, a + chunk)
            m = (b - a) * k
            ledger.take(2 * m * row_bytes, "the expansion buffers")
            out = np.empty((words, m), dtype=np.uint64)
            tmp = np.empty((words, m), dtype=np.uint64)
            pk.expand_rows(current, a, b, *moves, out)
            ordered = pk.sort_rows(out, tmp, used_bits)
            count = pk.unique_not_in_rows(ordered, m, current, previous)
            if count:
                ledger.take(count * row_bytes, what)
                pieces.append(ordered[:, :count].copy())
            del out, tmp, ordered
            ledger.give(2 * m * row_bytes)
            if len(pieces) >= MAX_PIECES:
                pieces = [_merge(pieces, ledger, row_bytes, f"merging {what}")]
            report.expanding(done, len(sizes), b, frontier)
        if not pieces:
            completed = True
            break
        new = _merge(pieces, ledger, row_bytes, f"merging {what}")
        del pieces
        if graph.inverse_closed:
            ledger.give(previous.shape[1] * row_bytes)
            previous = current
        else:
            visited = previous.shape[1] + frontier
            ledger.take(visited * row_bytes, "the visited states")
            merged = np.empty((words, visited), dtype=np.uint64)
            pk.merge_rows(previous, current, merged)
            ledger.give(visited * row_bytes)
            previous = merged
        current = new
        size = new.shape[1]
        sizes.append(size)
        done += size
        if size <= store_cap:
            stored[len(sizes) - 1] = decode_states(graph, current)
        report.layer_done(done, len(sizes) - 1, size)
    report.finished(done, len(sizes) - 1, completed)
    last = current if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
