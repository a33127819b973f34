"""Cayley and Schreier graph growth (Chervov et al., "CayleyPy Growth",
arXiv:2509.19162): the ``cayley_growth`` and ``cayley_sweep`` job types.

Modules
-------
families         named generating sets (17 permutation families, Heisenberg /
                 unitriangular matrix groups) and their known group orders
kernels          numba kernels: packed-state generator application, permutation
                 ranking, bitset test-and-set, sorted-set difference
growth           BFS drivers (rank_bitset, sorted_layers), memory estimate and ledger
bitset_frontier  the three-bitset BFS used when frontier lists would not fit
matrix_growth    BFS over matrix groups mod m (or over Z, depth-limited)
quasipolynomial  exact quasi-polynomial diameter fits with mandatory check points
jobs             parameter models, run/discoveries/shards/merge, JOB_TYPES

Decisions: de-duplication is always exact (lexicographic permutation ranks or
whole packed 64-bit states, never a hash); states must pack into 64 bits (at
most 16 positions for permutations); the memory estimate is checked when the
parameters are validated (HTTP 422) and the arrays held are checked against the
budget while the search runs.
"""

from engines.cayley.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
