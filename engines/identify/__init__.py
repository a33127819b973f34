"""``identify``: recognise a decimal number as a closed form in registered constants (PSLQ).

:mod:`mathdisco.engines.identify.params` holds its params, :mod:`.results` its
result model and view, :mod:`.job` the search and the job type.
"""

from mathdisco.engines.identify.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
