"""Symbolic regression after RSRM (ICLR 2024): the ``sr_mcts`` and ``sr_benchmark`` job types.

Modules: :mod:`~engines.sr.operators` (operator registry),
:mod:`~engines.sr.grammar` (tokens, prefix trees, legality),
:mod:`~engines.sr.kernels` (numba evaluation and constant fitting),
:mod:`~engines.sr.evaluate` (fitting, caching, snapping, reward),
:mod:`~engines.sr.mcts` (MCTS + double Q), :mod:`~engines.sr.gp` (GP refinement),
:mod:`~engines.sr.forms` (modulated sub-tree discovery), :mod:`~engines.sr.search`
(the pipeline), :mod:`~engines.sr.benchmarks` (problem definitions),
:mod:`~engines.sr.job` (params, results, shards).
"""

from engines.sr.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
