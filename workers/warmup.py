"""Kernels compiled before the first job needs them (docs/design.md, "Honest first jobs").

numba compiles a kernel on its first call, and on an empty cache that takes
tens of seconds: a job whose time limit includes it searches for a fraction
of its limit, or not at all.  So every worker process calls
:func:`warm_up_kernels` once, before it takes a job: each job type's
``warm_up`` compiles its kernels (or loads them from numba's on-disk cache,
which takes a moment), and the store records the worker as ``warming`` and
then ``warm``.  ``/readyz`` reports it, the dashboard shows it, and while no
worker is warm the submission estimate adds each type's ``compile_s``.

A warm-up that fails is logged and does not stop the worker: the job that
needs the kernel compiles it itself, as before, and says so if its limit
stopped it.
"""

from __future__ import annotations

import logging
import time

from mathdisco.engines.registry import job_types
from mathdisco.workers.store import JobStore

__all__ = ["warm_up_kernels"]

log = logging.getLogger(__name__)


def warm_up_kernels(store: JobStore | None, worker: str) -> float:
    """Compile every job type's kernels in this process; returns the seconds it took.

    ``store`` (None for ``mathdisco run``, which has none) records the worker's
    state as it goes.
    """
    started = time.monotonic()
    if store is not None:
        _report(store, worker, "warming", None)
    for job_type in job_types().values():
        if job_type.warm_up is None or job_type.missing_requirements():
            continue
        begun = time.monotonic()
        try:
            job_type.warm_up()
        except Exception:  # the job compiles for itself then; the worker must still serve
            log.exception("warm-up of %s failed", job_type.name)
            continue
        log.info("kernels of %s ready in %.1f s", job_type.name, time.monotonic() - begun)
    seconds = time.monotonic() - started
    if store is not None:
        _report(store, worker, "warm", seconds)
    return seconds


def _report(store: JobStore, worker: str, state: str, seconds: float | None) -> None:
    try:
        store.report_warmth(worker, state, seconds)  # type: ignore[arg-type]
    except Exception:  # readiness reporting must not stop a worker
        log.warning("could not record %s as %s", worker, state, exc_info=True)
