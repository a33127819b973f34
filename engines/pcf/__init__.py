"""Polynomial continued fraction clustering: the ``pcf_cluster`` job type.

Shalyt, Seligmann, Beit Halachmi, David, Elimelech & Kaminer, "Unsupervised
Discovery of Formulas for Mathematical Constants", NeurIPS 2024 (arXiv
2412.16818).  Modules: :mod:`~mathdisco.engines.pcf.enumeration` (the coefficient box),
:mod:`~mathdisco.engines.pcf.recurrences` (numba kernels), :mod:`~mathdisco.engines.pcf.dynamics`
(the features), :mod:`~mathdisco.engines.pcf.evaluation` (limits of fast and slow PCFs),
:mod:`~mathdisco.engines.pcf.members` (identifying one member), :mod:`~mathdisco.engines.pcf.table`
(the per-PCF table), :mod:`~mathdisco.engines.pcf.clustering`, :mod:`~mathdisco.engines.pcf.analysis`
(clusters and their labels), :mod:`~mathdisco.engines.pcf.families`, :mod:`~mathdisco.engines.pcf.catalogue`,
:mod:`~mathdisco.engines.pcf.results` (result model and view) and :mod:`~mathdisco.engines.pcf.job`
(params, run, shards, merge, estimate).
"""

from mathdisco.engines.pcf.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
