"""Growth of matrix groups over Z/mZ (or Z) given by integer generator matrices.

Follows CayleyPy's matrix-group graphs (arXiv:2509.19162, Section 2; reference
Section 1.2): a state is an n x n integer matrix, the central state the
identity, and a generator G maps S to G @ S (mod m).  States are compared as
exact byte strings of their entries, so de-duplication is exact.  Over Z (no
modulus) the group is usually infinite, so ``max_diameter`` is required.

Examples
--------
>>> from mathdisco.engines.cayley.families import matrix_family
>>> matrix_growth(matrix_family("heisenberg", 3), modulus=5)["layer_sizes"]
[1, 4, 12, 32, 62, 12, 2]
"""

from __future__ import annotations

import time

import numpy as np

from mathdisco.engines.cayley.memory import MemoryLedger, peak_rss_bytes
from mathdisco.engines.contract import Progress, no_progress

__all__ = ["bytes_per_state", "matrix_growth", "validate_matrices"]

ENTRY_LIMIT = 1 << 40  # over Z: stop before products could overflow int64
# bytes per held state: entries, its key in the seen set, Python overhead
BYTES_PER_STATE_BASE = 120


def validate_matrices(generators: list[list[list[int]]], modulus: int | None) -> int:
    """Check shapes and modulus; returns the matrix size n."""
    if modulus is not None and modulus <= 0:
        raise ValueError(f"modulus must be a positive integer, got {modulus}")
    if not generators:
        raise ValueError("at least one generator matrix is needed")
    n = len(generators[0])
    for g in generators:
        if len(g) != n or any(len(row) != n for row in g):
            raise ValueError(f"every generator must be an {n} x {n} matrix")
    return n


def bytes_per_state(n: int) -> int:
    return BYTES_PER_STATE_BASE + 2 * 8 * n * n


def matrix_growth(generators: list[list[list[int]]], modulus: int | None = None, *,
                  max_diameter: int | None = None, memory_budget_bytes: int = 2 << 30,
                  vertex_bound: int | None = None, store_layers_max_size: int = 0,
                  last_layer_max_size: int = 1000,
                  progress: Progress = no_progress) -> dict:
    """Sphere sizes of the Cayley graph of the matrix group the generators generate.

    Parameters
    ----------
    generators : list of n x n integer matrices
        Used as given (add inverses yourself for an undirected graph).
    modulus : int, optional
        Work in Z/modulus Z; None means over the integers.
    max_diameter : int, optional
        Stop after this many layers (required over Z).
    memory_budget_bytes : int
        Refused up front if ``vertex_bound`` states would not fit; aborted
        cleanly if the states held grow beyond it.
    vertex_bound : int, optional
        Known group order, used for the up-front estimate.

    Returns
    -------
    dict
        ``layer_sizes``, ``diameter``, ``num_vertices``, ``bfs_completed``,
        ``last_layer``, ``layers``, memory figures.
    """
    n = validate_matrices(generators, modulus)
    if modulus is None and max_diameter is None:
        raise ValueError("a matrix group over Z needs max_diameter (it is usually infinite)")
    per_state = bytes_per_state(n)
    if vertex_bound is not None and vertex_bound * per_state > memory_budget_bytes:
        raise ValueError(f"the group has {vertex_bound:,} elements, about "
                         f"{vertex_bound * per_state / 2**30:.2f} GiB; the memory budget is "
                         f"{memory_budget_bytes / 2**30:.2f} GiB")
    gens = np.array(generators, dtype=np.int64)
    if modulus is not None:
        gens %= modulus
    ledger = MemoryLedger(memory_budget_bytes)
    started = time.perf_counter()
    current = np.eye(n, dtype=np.int64)[None, :, :]
    if modulus is not None:
        current %= modulus
    seen = {current[0].tobytes()}
    ledger.take(per_state, "layer 0")
    sizes = [1]
    stored = {0: current.tolist()} if store_layers_max_size >= 1 else {}
    completed = False
    while max_diameter is None or len(sizes) - 1 < max_diameter:
        products = np.matmul(gens[:, None, :, :], current[None, :, :, :]).reshape(-1, n, n)
        if modulus is not None:
            products %= modulus
        elif np.abs(products).max(initial=0) > ENTRY_LIMIT:
            raise ValueError("matrix entries grew beyond 2^40 over Z; give a modulus or a "
                             "smaller max_diameter")
        fresh = []
        for m in products:
            key = m.tobytes()
            if key not in seen:
                seen.add(key)
                fresh.append(m)
        if not fresh:
            completed = True
            break
        ledger.take(len(fresh) * per_state, f"layer {len(sizes)}")
        current = np.array(fresh)
        sizes.append(len(fresh))
        if len(fresh) <= store_layers_max_size:
            stored[len(sizes) - 1] = current.tolist()
        progress(sum(sizes), vertex_bound or 0, f"layer {len(sizes) - 1}: {len(fresh):,} states")
    return {
        "layer_sizes": sizes,
        "diameter": len(sizes) - 1,
        "num_vertices": sum(sizes),
        "bfs_completed": completed,
        "last_layer": current.tolist() if sizes[-1] <= last_layer_max_size else None,
        "layers": {str(d): s for d, s in stored.items()},
        "algorithm": "matrix_sets",
        "elapsed_s": round(time.perf_counter() - started, 4),
        "memory": {"budget_bytes": memory_budget_bytes,
                   "estimated_bytes": (vertex_bound or 0) * per_state,
                   "peak_tracked_bytes": ledger.peak, "peak_rss_bytes": peak_rss_bytes()},
    }
