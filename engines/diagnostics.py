"""Diagnostic job types for the service's own fault tests (not for users).

``sleep`` sleeps in small steps, reporting progress, so tests can watch a job
run, cancel it, or kill its worker mid-job.  ``crash`` kills the process that
runs it, so tests can check that a job which always crashes its worker stops
after the attempts cap.  Registered only with ``MATHDISCO_ENABLE_TEST_JOBS=1``.
"""

from __future__ import annotations

import os
import signal
import time

from pydantic import Field

from engines.contract import EngineParams, JobType, Progress


class SleepParams(EngineParams):
    seconds: float = Field(1.0, ge=0.0, le=120.0)
    steps: int = Field(10, ge=1, le=1000)


def sleep(params: SleepParams, progress: Progress) -> dict:
    step = params.seconds / params.steps
    for i in range(params.steps):
        progress(i, params.steps, f"step {i}")
        time.sleep(step)
    progress(params.steps, params.steps, "done")
    return {"slept_s": params.seconds, "pid": os.getpid()}


class CrashParams(EngineParams):
    delay_s: float = Field(0.2, ge=0.0, le=30.0)


def crash(params: CrashParams, progress: Progress) -> dict:
    progress(0, 1, "about to crash")
    time.sleep(params.delay_s)
    os.kill(os.getpid(), signal.SIGKILL)
    return {}  # never reached


JOB_TYPES = [
    JobType("sleep", SleepParams, sleep, "Sleep with progress (diagnostic).",
            soft_time_limit_s=300, time_limit_s=330),
    JobType("crash", CrashParams, crash, "Kill the worker process (diagnostic).",
            soft_time_limit_s=60, time_limit_s=90),
]
