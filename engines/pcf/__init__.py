"""Polynomial continued fraction clustering: the ``pcf_cluster`` job type.

Shalyt, Seligmann, Beit Halachmi, David, Elimelech & Kaminer, "Unsupervised
Discovery of Formulas for Mathematical Constants", NeurIPS 2024 (arXiv
2412.16818).  Modules: :mod:`~engines.pcf.enumeration` (the coefficient box),
:mod:`~engines.pcf.recurrences` (numba kernels), :mod:`~engines.pcf.dynamics`
(the features), :mod:`~engines.pcf.evaluation` (limits of fast and slow PCFs),
:mod:`~engines.pcf.members` (identifying one member), :mod:`~engines.pcf.table`
(the per-PCF table), :mod:`~engines.pcf.clustering`, :mod:`~engines.pcf.analysis`
(clusters and their labels), :mod:`~engines.pcf.families`, :mod:`~engines.pcf.catalogue`,
:mod:`~engines.pcf.presentation` (result model and view) and :mod:`~engines.pcf.job`
(params, run, shards, merge, estimate).
"""

from engines.pcf.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
