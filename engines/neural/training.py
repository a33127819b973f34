"""Shared plumbing of the neural job types: torch set-up, progress, time budgets.

Importing this module does not import torch; :func:`setup_torch` does, and the
job functions call it right after starting their :class:`TimeBudget`.  Every neural job is deterministic under its seed
on one device: the seed fixes torch, numpy and Python's RNG, and the thread
count is fixed by the params.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from mathdisco.engines.contract import Progress


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


#: the clock of every time budget; a test replaces it to run a budget deterministically
CLOCK: Callable[[], float] = time.monotonic


class TimeBudget:
    """A job's wall-clock budget (``time_limit_s``), counted from the start of the job.

    The job creates it first, before torch is imported, so the import, the
    data generation and the warm-up are inside the limit (docs/design.md,
    "The engine contract": a time limit bounds the whole job).  Training stops
    at :meth:`training_over`, which keeps ``reserve_s`` of the budget for
    evaluating what was trained; the evaluation's own steps are bounded (a
    forward pass, the test metrics, a capped clean-up), so the job ends within
    the limit or, at worst, shortly after it.

    ``reserve_s`` is 5 % of the limit plus half a second, at most 10 s.

    Examples
    --------
    >>> now = [0.0]
    >>> budget = TimeBudget(10.0, clock=lambda: now[0])
    >>> budget.reserve_s
    1.0
    >>> now[0] = 8.5
    >>> budget.training_over(), budget.remaining()
    (False, 1.5)
    >>> now[0] = 9.0
    >>> budget.training_over(), budget.stopped_training
    (True, True)
    """

    def __init__(self, seconds: float, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or CLOCK
        self.start = self.clock()
        self.seconds = seconds
        self.reserve_s = min(10.0, 0.05 * seconds + 0.5)
        self.stopped_training = False

    def elapsed(self) -> float:
        return self.clock() - self.start

    def remaining(self) -> float:
        """Seconds left of the whole budget (may be negative)."""
        return self.seconds - self.elapsed()

    def training_left(self) -> float:
        """Seconds left for training (the budget less the reserve; may be negative)."""
        return self.remaining() - self.reserve_s

    def training_over(self) -> bool:
        """Whether training must stop now; records that it did."""
        if self.training_left() <= 0:
            self.stopped_training = True
        return self.stopped_training

    def limited(self, done: int, total: int, unit: str) -> dict[str, str] | None:
        """The result's ``limited`` (engines.results.Limited) when the limit cut training short.

        >>> budget = TimeBudget(10.0, clock=lambda: 0.0)
        >>> budget.limited(3, 3, "epochs") is None
        True
        >>> budget.stopped_training = True
        >>> budget.limited(1, 3, "epochs")["reason"]
        'time_limit_s = 10 s stopped training after 1 of 3 epochs'
        """
        if not self.stopped_training or done >= total:
            return None
        return {"reason": f"time_limit_s = {self.seconds:g} s stopped training after "
                          f"{done} of {total} {unit}"}


def optimiser_step(optimiser: Any, schedule: Any, loss: Any, parameters: Any = None,
                   clip_norm: float | None = None) -> float:
    """One gradient step (backward, optional gradient clipping, step, schedule); the loss as a float.

    The one update rule of the neural engines' training loops (psi_regression,
    deeponet): a change to it (clipping, a scheduler per step) is made here once.
    """
    import torch

    optimiser.zero_grad()
    loss.backward()
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(parameters, clip_norm)
    optimiser.step()
    schedule.step()
    return float(loss.detach())


def rounded(values, digits: int = 6) -> list[float]:
    """Plain Python floats, rounded for compact JSON."""
    return [float(f"{float(v):.{digits}g}") for v in values]
