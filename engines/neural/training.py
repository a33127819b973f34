"""Shared plumbing of the neural job types: torch set-up, progress, time budgets.

Importing this module does not import torch; :func:`setup_torch` does, and the
job functions call it first.  Every neural job is deterministic under its seed
on one device: the seed fixes torch, numpy and Python's RNG, and the thread
count is fixed by the params.
"""

from __future__ import annotations

import random
import time
from typing import Any, Literal

from pydantic import Field

from engines.contract import EngineParams, Progress

DeviceChoice = Literal["auto", "cpu", "cuda"]


class NeuralCommonParams(EngineParams):
    """Fields every neural job shares."""

    seed: int = Field(0, ge=0, le=2**31 - 1, description="random seed (torch, numpy, data)")
    time_limit_s: float = Field(
        120.0, gt=0, le=1800,
        description="wall-clock budget for training; training stops early when it is spent",
    )
    max_threads: int = Field(1, ge=1, le=16, description="torch CPU threads")
    device: DeviceChoice = Field(
        "auto", description="'auto' uses a CUDA GPU when one is present, else the CPU",
    )


def setup_torch(seed: int, max_threads: int, device: str = "auto") -> tuple[Any, Any]:
    """Import torch, fix threads and seeds, pick the device.

    Returns
    -------
    (torch module, torch.device)
    """
    import numpy as np
    import torch

    torch.set_num_threads(max_threads)
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was asked for but no CUDA GPU is available")
    use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
    return torch, torch.device("cuda" if use_cuda else "cpu")


class Ticker:
    """Forwards progress at most every ``interval_s`` (and always when forced).

    Calling it between optimisation steps gives cancellation between steps
    without flooding the job store with updates.
    """

    def __init__(self, progress: Progress, total: int, interval_s: float = 0.25):
        self.progress = progress
        self.total = total
        self.interval_s = interval_s
        self._last = 0.0

    def __call__(self, done: int, message: str = "", force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= self.interval_s:
            self._last = now
            self.progress(done, self.total, message)


class Deadline:
    """A wall-clock budget measured from construction."""

    def __init__(self, seconds: float):
        self.start = time.monotonic()
        self.seconds = seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def expired(self) -> bool:
        return self.elapsed() >= self.seconds


def rounded(values, digits: int = 6) -> list[float]:
    """Plain Python floats, rounded for compact JSON."""
    return [float(f"{float(v):.{digits}g}") for v in values]
