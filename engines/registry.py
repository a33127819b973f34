"""The registry of job types: one explicit list of engine modules.

Each module listed here exposes ``JOB_TYPES: list[JobType]``.  A module is
imported when the registry is first used; engines keep heavy imports (torch,
large numba kernels) inside their ``run`` so listing job types stays cheap.

The diagnostic job types (``sleep``, ``crash``) exist for the service's own
fault tests and are registered only when ``MATHDISCO_ENABLE_TEST_JOBS=1``.
"""

from __future__ import annotations

import difflib
import importlib
import os
from collections.abc import Iterable
from functools import cache

from mathdisco.engines.contract import JobType

ENGINE_MODULES: tuple[str, ...] = (
    "mathdisco.engines.identify",
    "mathdisco.engines.esma",
    "mathdisco.engines.neural",
    "mathdisco.engines.pcf",
    "mathdisco.engines.cayley",
    "mathdisco.engines.sr",
)

TEST_MODULES: tuple[str, ...] = ("mathdisco.engines.diagnostics",)


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


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string.

    The one suggestion rule, for job types, params and fields alike.

    >>> did_you_mean("esmaa", ["esma", "identify"])
    " (did you mean 'esma'?)"
    >>> did_you_mean("zzz", ["esma"])
    ''
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_type_message(name: str, known: Iterable[str] | None = None) -> str:
    """One line naming an unknown job type, the closest known one and the list.

    >>> unknown_type_message("esmaa", ["identify", "esma"])
    "unknown job type 'esmaa' (did you mean 'esma'?); known: esma, identify"
    """
    names = sorted(job_types() if known is None else known)
    return f"unknown job type {name!r}{did_you_mean(name, names)}; known: {', '.join(names)}"
