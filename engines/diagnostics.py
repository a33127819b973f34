"""Diagnostic job types for the service's own fault tests (not for users).

``sleep`` sleeps in small steps, reporting progress, so tests can watch a job
run, cancel it, or kill its worker mid-job; with ``limit_s`` below ``seconds``
it stops there and says a limit stopped it (``limited``), and its ``warm_up``
waits for the file ``MATHDISCO_TEST_WARM_UP_GATE``, standing in for kernel compilation.  ``sleep_shards`` does the same in
shards, each recording the pid that ran it, so tests can see which shards a
retry had to run again.  ``crash`` kills the process that
runs it, so tests can check that a job which always crashes its worker stops
after the attempts cap.  ``faulty`` raises from the engine code named by
``where`` (``run``, ``shards``, ``merge``) or returns a result its model
refuses (``result``), so tests can check that each fails the job at once.
Registered only with ``MATHDISCO_ENABLE_TEST_JOBS=1``.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Literal

from pydantic import Field

from mathdisco.engines.contract import EngineParams, Estimate, JobType, Progress, TimeLimits
from mathdisco.engines.results import EvidenceRow, ResultModel, ResultView


class SleepParams(EngineParams):
    seconds: float = Field(1.0, ge=0.0, le=120.0)
    steps: int = Field(10, ge=1, le=1000)


class KernelSleepParams(SleepParams):
    limit_s: float | None = Field(None, ge=0.0, le=120.0, description="stop here, limited")


class SleepResult(ResultModel):
    slept_s: float
    pid: int


def sleep_view(result: SleepResult) -> ResultView:
    return ResultView(evidence=[EvidenceRow(label="slept", value=f"{result.slept_s:g} s"),
                                EvidenceRow(label="process", value=result.pid)])


def sleep(params: SleepParams, progress: Progress) -> dict:
    limit_s = getattr(params, "limit_s", None)
    limited = limit_s is not None and limit_s < params.seconds
    seconds = limit_s if limited else params.seconds
    step = seconds / params.steps
    for i in range(params.steps):
        progress(i, params.steps, f"step {i}")
        time.sleep(step)
    progress(params.steps, params.steps, "done")
    result: dict = {"slept_s": seconds, "pid": os.getpid()}
    if limited:
        result["limited"] = {"reason": f"limit_s = {limit_s:g} s stopped it "
                                       f"before {params.seconds:g} s"}
    return result


def estimate_sleep(params: KernelSleepParams) -> Estimate:
    return Estimate(seconds=params.seconds, memory_bytes=0)


def warm_up_sleep() -> None:
    """Stands in for kernel compilation: waits until the file ``MATHDISCO_TEST_WARM_UP_GATE`` exists.

    Tests open the gate when they have seen the workers warming (at most 120 s).
    """
    gate = os.environ.get("MATHDISCO_TEST_WARM_UP_GATE")
    deadline = time.monotonic() + 120
    while gate and not os.path.exists(gate) and time.monotonic() < deadline:
        time.sleep(0.05)


class SleepShardsParams(EngineParams):
    shards: int = Field(4, ge=1, le=50)
    seconds_per_shard: float = Field(1.0, ge=0.0, le=60.0)
    first_index: int = Field(0, ge=0, le=49)


class ShardRun(EngineParams):
    index: int
    pid: int


class SleepShardsResult(ResultModel):
    shards: list[ShardRun]


def sleep_shards(params: SleepShardsParams, progress: Progress) -> dict:
    ran = []
    for i in range(params.shards):
        steps = max(1, int(params.seconds_per_shard * 10))
        for step in range(steps):
            progress(i * steps + step, params.shards * steps, f"shard {params.first_index + i}")
            time.sleep(params.seconds_per_shard / steps)
        ran.append({"index": params.first_index + i, "pid": os.getpid()})
    return {"shards": ran}


def split_sleep_shards(params: SleepShardsParams) -> list[dict]:
    return [{"shards": 1, "seconds_per_shard": params.seconds_per_shard, "first_index": params.first_index + i}
            for i in range(params.shards)]


def merge_sleep_shards(params: SleepShardsParams, results: list[dict]) -> dict:
    return {"shards": sorted((s for r in results for s in r["shards"]), key=lambda s: s["index"])}


class CrashParams(EngineParams):
    delay_s: float = Field(0.2, ge=0.0, le=30.0)


def crash(params: CrashParams, progress: Progress) -> dict:
    progress(0, 1, "about to crash")
    time.sleep(params.delay_s)
    os.kill(os.getpid(), signal.SIGKILL)
    return {}  # never reached


class FaultyParams(EngineParams):
    where: Literal["run", "shards", "merge", "result"] = "run"
    shards: int = Field(2, ge=1, le=8)


class FaultyResult(ResultModel):
    value: int


def faulty(params: FaultyParams, progress: Progress) -> dict:
    progress(0, 1, "about to misbehave")
    if params.where == "run":
        raise ArithmeticError("faulty engine: run raised")
    if params.where == "result":
        return {"value": "not an integer"}
    return {"value": 1}


def faulty_shards(params: FaultyParams) -> list[dict]:
    if params.where == "shards":
        raise LookupError("faulty engine: shards raised")
    return [params.model_dump() for _ in range(params.shards)]


def faulty_merge(params: FaultyParams, results: list[dict]) -> dict:
    if params.where == "merge":
        raise ValueError("faulty engine: merge raised")
    return {"value": sum(r["value"] for r in results)}


JOB_TYPES = [
    JobType("sleep", SleepParams, sleep, "Sleep with progress (diagnostic).",
            result_model=SleepResult, view=sleep_view, limits=TimeLimits(300, 330)),
    JobType("kernel_sleep", KernelSleepParams, sleep,
            "Sleep after a warm-up standing in for kernel compilation (diagnostic).",
            result_model=SleepResult, view=sleep_view, limits=TimeLimits(300, 330),
            estimate=estimate_sleep, warm_up=warm_up_sleep, compile_s=30.0,
            key_params=("seconds", "limit_s")),
    JobType("sleep_shards", SleepShardsParams, sleep_shards, "Sleep in shards (diagnostic).",
            result_model=SleepShardsResult, shards=split_sleep_shards, merge=merge_sleep_shards,
            limits=TimeLimits(300, 330)),
    JobType("crash", CrashParams, crash, "Kill the worker process (diagnostic).",
            result_model=FaultyResult, limits=TimeLimits(60, 90)),
    JobType("faulty", FaultyParams, faulty, "Misbehave in the named place (diagnostic).",
            result_model=FaultyResult, shards=faulty_shards, merge=faulty_merge,
            limits=TimeLimits(60, 90)),
]
