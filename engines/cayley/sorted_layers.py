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

__all__ = ["bfs_sorted_layers"]


def _merge_pieces(pieces: list[np.ndarray], ledger: MemoryLedger, what: str) -> np.ndarray:
    if len(pieces) == 1:
        return pieces[0]
    held = sum(p.size for p in pieces) * 8
    ledger.take(held, what)
    new = np.concatenate(pieces)
    new.sort()
    keep = np.empty(len(new), dtype=bool)
    keep[0] = True
    np.not_equal(new[1:], new[:-1], out=keep[1:])
    new = new[keep]
    ledger.give(2 * held - new.size * 8)
    return new


def bfs_sorted_layers(graph: PermutationGraph, ledger: MemoryLedger, max_diameter: int | None,
                      store_cap: int, last_cap: int, progress: Progress):
    """Layer sizes, stored small layers, last layer (packed, or None), completed flag."""
    width = graph.width
    k = len(graph.generators)
    masks, lefts, rights, offsets = kernels.compile_generators(graph.generators, width)
    report = LayerProgress(progress, graph.known_vertices or 0)
    empty = np.empty(0, dtype=np.uint64)
    current = np.array([kernels.pack_state(graph.central_state, width)], dtype=np.uint64)
    previous = empty  # inverse-closed: L_{i-1}; directed: every state before L_i
    ledger.take(8, "layer 0")
    sizes = [1]
    stored = {0: decode_states(graph, current)} if store_cap >= 1 else {}
    chunk = chunk_states(k, sorted_work(ledger.budget))
    done = 1
    completed = False
    report.start()
    while not depth_reached(max_diameter, len(sizes) - 1):
        pieces: list[np.ndarray] = []
        for a in range(0, len(current), chunk):
            b = min(len(current), a + chunk)
            ledger.take(2 * (b - a) * k * 8, "the expansion buffer")
            out = np.empty((b - a) * k, dtype=np.uint64)
            kernels.expand_all(current, a, b, masks, lefts, rights, offsets, out)
            out.sort()
            count = kernels.sorted_unique_not_in(out, current, previous)
            if count:
                ledger.take(count * 8, f"layer {len(sizes)} candidates")
                pieces.append(out[:count].copy())
            del out
            ledger.give(2 * (b - a) * k * 8)
            if len(pieces) >= 16:
                pieces = [_merge_pieces(pieces, ledger, f"merging layer {len(sizes)}")]
            report.expanding(done, len(sizes), b, len(current))
        if not pieces:
            completed = True
            break
        new = _merge_pieces(pieces, ledger, f"merging layer {len(sizes)}")
        del pieces
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
    report.finished(done, len(sizes) - 1, completed)
    last = current if sizes[-1] <= last_cap else None
    return sizes, stored, last, completed
