"""Cayley and Schreier graph growth (arXiv:2509.19162): the ``cayley_growth`` and
``cayley_sweep`` job types."""

from engines.cayley.jobs import JOB_TYPES

__all__ = ["JOB_TYPES"]
