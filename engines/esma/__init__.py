"""ESMA: conjectures on constants from signed continued fractions and Berlekamp-Massey.

Razon et al., "Automated Search for Conjectures on Mathematical Constants using
Analysis of Integer Sequences", ICML 2023.  :mod:`mathdisco.engines.esma.search` holds the
algorithm, :mod:`mathdisco.engines.esma.job` the ``esma`` job type.
"""

from mathdisco.engines.esma.job import JOB_TYPES

__all__ = ["JOB_TYPES"]
