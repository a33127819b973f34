"""Polynomial continued fraction clustering: the ``pcf_cluster`` job type.

Shalyt, Seligmann, Beit Halachmi, David, Elimelech & Kaminer, "Unsupervised
Discovery of Formulas for Mathematical Constants", NeurIPS 2024 (arXiv
2412.16818).  Modules: :mod:`~engines.pcf.enumeration` (the coefficient box),
:mod:`~engines.pcf.recurrences` (numba kernels), :mod:`~engines.pcf.dynamics`
(the features), :mod:`~engines.pcf.clustering`, :mod:`~engines.pcf.identification`
and :mod:`~engines.pcf.job` (params, run, shards, merge).
"""

from engines.pcf.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
