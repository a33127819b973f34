"""Cayley and Schreier graph growth (Chervov et al., "CayleyPy Growth",
arXiv:2509.19162): the ``cayley_growth``, ``cayley_sweep``, ``cayley_catalogue``
and ``cayley_extremal`` job types.

Modules
-------
families         named generating sets (31 permutation families, Heisenberg /
                 unitriangular matrix groups) and their known group orders
cycle_families   CayleyPy's cycle and conjugacy-class families
puzzles          twisty puzzles (2x2x2 and 3x3x3 cubes, pyraminx, skewb) from geometry
gap_format       puzzles given as GAP-style cycle notation, parsed and bounded
graph            a generating set on a central state: validation, packing, |V|
kernels          numba kernels on one-word states: generator application (vectorised),
                 ranking, sorted-set difference and merge
packed_kernels   numba kernels on multi-word states: expansion, keys, sort, set ops
frontier_kernels the rank-bitset BFS's kernels, on one or several numba threads
rank_bitset      BFS over S_n (n <= 13) with a visited bitset and frontier lists
bitset_frontier  the three-bitset BFS used when frontier lists would not fit
sorted_layers    BFS over sorted one-word layers
packed_layers    BFS over sorted multi-word layers
growth           the strategy choice, memory and time cost models, ``growth()``
memory           memory ledger, work slicing, progress wording
matrix_growth    BFS over matrix groups mod m (or over Z, depth-limited)
quasipolynomial  exact quasi-polynomial diameter fits with mandatory check points
sweep            sweeps that extend themselves until a formula is supported
conjectures      sphere-size, antipode and diameter conjectures; the n^2/2 + 4n bound check
known            the theorems a conjecture may restate (Stirling, Mahonian, pancake, ...)
catalogue        the catalogue job: every family's conjectures, matrix groups in p
extremal         exhaustive search for the generating sets of a shape with the largest diameter
params           parameter models, validation, estimates
models           result models and views
job              run functions, discoveries, shards/merge, JOB_TYPES

Decisions: de-duplication is always exact (lexicographic permutation ranks, or
whole packed states; a hash only orders multi-word states, equal keys compare
whole rows); the memory and time estimates are checked when the parameters are
validated (HTTP 422) and the arrays held are checked against the budget while
the search runs.
"""

from mathdisco.engines.cayley.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
