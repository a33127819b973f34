"""The registry of job types: one explicit list of engine modules.

Each module listed here exposes ``JOB_TYPES: list[JobType]``.  A module is
imported when the registry is first used; engines keep heavy imports (torch,
large numba kernels) inside their ``run`` so listing job types stays cheap.

The diagnostic job types (``sleep``, ``crash``) exist for the service's own
fault tests and are registered only when ``MATHDISCO_ENABLE_TEST_JOBS=1``.
"""

from __future__ import annotations

import importlib
import os
from functools import cache

from engines.contract import JobType

ENGINE_MODULES: tuple[str, ...] = (
    "engines.identify",
    "engines.esma",
    "engines.neural",
    "engines.pcf",
    "engines.cayley",
    "engines.sr",
)

TEST_MODULES: tuple[str, ...] = ("engines.diagnostics",)


def _test_jobs_enabled() -> bool:
    return os.environ.get("MATHDISCO_ENABLE_TEST_JOBS", "") in {"1", "true", "yes"}


@cache
def _load(test_jobs: bool) -> dict[str, JobType]:
    modules = ENGINE_MODULES + (TEST_MODULES if test_jobs else ())
    types: dict[str, JobType] = {}
    for name in modules:
        for job_type in importlib.import_module(name).JOB_TYPES:
            if job_type.name in types:
                raise RuntimeError(f"job type {job_type.name!r} registered twice")
            types[job_type.name] = job_type
    return types


def job_types() -> dict[str, JobType]:
    """All registered job types by name."""
    return _load(_test_jobs_enabled())


def get_job_type(name: str) -> JobType:
    """The job type called ``name``; KeyError when there is none."""
    return job_types()[name]
