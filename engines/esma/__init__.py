"""ESMA: conjectures on constants from signed continued fractions and Berlekamp-Massey.

Razon et al., "Automated Search for Conjectures on Mathematical Constants using
Analysis of Integer Sequences", ICML 2023.  :mod:`engines.esma.search` holds the
algorithm, :mod:`engines.esma.job` the ``esma`` job type.
"""

from engines.contract import JobType, TimeLimits
from engines.esma.job import EsmaParams, discoveries, merge, run, shards

JOB_TYPES = [
    JobType("esma", EsmaParams, run,
            "Signed continued fractions + Berlekamp-Massey conjecture search (ESMA) for a constant.",
            discoveries=discoveries, shards=shards, merge=merge,
            limits=TimeLimits(1800, 1900)),
]
