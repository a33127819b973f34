"""Symbolic regression after RSRM (ICLR 2024): the ``sr_mcts`` and ``sr_benchmark`` job types.

Modules: :mod:`~mathdisco.engines.sr.operators` (operator registry),
:mod:`~mathdisco.engines.sr.grammar` (tokens, prefix trees, legality),
:mod:`~mathdisco.engines.sr.kernels` (numba evaluation and constant fitting),
:mod:`~mathdisco.engines.sr.evaluate` (fitting, caching, snapping, reward),
:mod:`~mathdisco.engines.sr.mcts` (MCTS + double Q), :mod:`~mathdisco.engines.sr.gp` (GP refinement),
:mod:`~mathdisco.engines.sr.forms` (modulated sub-tree discovery), :mod:`~mathdisco.engines.sr.search`
(the pipeline), :mod:`~mathdisco.engines.sr.benchmarks` (problem definitions),
:mod:`~mathdisco.engines.sr.recovery` (exact recovery),
:mod:`~mathdisco.engines.sr.params` (the params models), :mod:`~mathdisco.engines.sr.results`
(result models and views), :mod:`~mathdisco.engines.sr.job` (run functions, discoveries, shards,
``JOB_TYPES``).
"""

from mathdisco.engines.sr.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
