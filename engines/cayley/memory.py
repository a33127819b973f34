"""What every BFS driver of the engine shares: the memory ledger, work slicing, progress.

A search counts the bytes of the large arrays it holds in a
:class:`MemoryLedger` and aborts cleanly (:class:`MemoryBudgetExceeded`)
before exceeding its budget; kernels process slices of about
:data:`WORK_PER_CALL` neighbour evaluations so that one call stays well under
a second and the driver can report progress and honour cancellation
(docs/design.md, "The engine contract").

:class:`LayerProgress` phrases progress so that the message never contradicts
the counts: ``done`` is the number of states found so far, ``total`` the
number the search will find when that is known in advance (else 0, "unknown"),
and the message says what is being done now.

Examples
--------
>>> ledger = MemoryLedger(100)
>>> ledger.take(60, "a layer")
>>> ledger.take(60, "the next layer")
Traceback (most recent call last):
...
mathdisco.engines.cayley.memory.MemoryBudgetExceeded: the next layer needs 0.00 GiB more while 0.00 GiB are held; the memory budget is 0.00 GiB
>>> chunk_states(3)
1000000
>>> depth_reached(None, 10), depth_reached(4, 4)
(False, True)
"""

from __future__ import annotations

import resource
import time

from mathdisco.engines.contract import Progress

__all__ = [
    "WORK_PER_CALL",
    "LayerProgress",
    "MemoryBudgetExceeded",
    "MemoryLedger",
    "chunk_states",
    "depth_reached",
    "sorted_work",
    "peak_rss_bytes",
]

#: neighbour evaluations per kernel call: ~0.1-0.5 s on this hardware
WORK_PER_CALL = 3_000_000


class MemoryBudgetExceeded(RuntimeError):
    """The search needed more memory than its budget allowed."""


class MemoryLedger:
    """Counts the bytes of the large arrays a search holds, against a budget."""

    def __init__(self, budget_bytes: int):
        self.budget = budget_bytes
        self.current = 0
        self.peak = 0

    def take(self, nbytes: int, what: str) -> None:
        """Account for ``nbytes`` more; :class:`MemoryBudgetExceeded` when over budget."""
        if self.current + nbytes > self.budget:
            raise MemoryBudgetExceeded(
                f"{what} needs {nbytes / 2**30:.2f} GiB more while {self.current / 2**30:.2f} GiB "
                f"are held; the memory budget is {self.budget / 2**30:.2f} GiB")
        self.current += nbytes
        self.peak = max(self.peak, self.current)

    def give(self, nbytes: int) -> None:
        """Release ``nbytes``."""
        self.current -= nbytes


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def chunk_states(k: int, work: int = WORK_PER_CALL) -> int:
    """Frontier states per kernel call for ``k`` generators (``work`` evaluations a call)."""
    return max(256, work // max(k, 1))


def sorted_work(budget_bytes: int | None) -> int:
    """Evaluations per slice of a sorted-layers search: larger slices sort faster per state
    (fewer pieces to merge) and are used when the budget leaves room for their buffers."""
    return 4 * WORK_PER_CALL if budget_bytes is None or budget_bytes >= 2 << 30 else WORK_PER_CALL


def depth_reached(max_diameter: int | None, depth: int) -> bool:
    """Whether a depth-limited search has built all the layers it may."""
    return max_diameter is not None and depth >= max_diameter


def _states(count: int) -> str:
    return f"{count:,} state" + ("" if count == 1 else "s")


class LayerProgress:
    """Progress of a layer-by-layer search, phrased consistently with its counts.

    Parameters
    ----------
    progress : Progress
        The job's callback (raises ``Cancelled``).
    total : int
        The number of states the search will find when known (0: unknown).
    interval_s : float
        Least time between reports inside a layer.
    """

    def __init__(self, progress: Progress, total: int, interval_s: float = 0.4):
        self.progress = progress
        self.total = int(total or 0)
        self.interval_s = interval_s
        self._last = time.monotonic()

    def _total(self, done: int) -> int:
        return max(self.total, done) if self.total else 0

    def start(self) -> None:
        """The central state is layer 0."""
        self.progress(1, self._total(1), "layer 0 (the central state) done")

    def expanding(self, done: int, depth: int, expanded: int, frontier: int) -> None:
        """Inside a layer: ``expanded`` of the ``frontier`` states of layer ``depth - 1``."""
        now = time.monotonic()
        if now - self._last < self.interval_s:
            return
        self._last = now
        share = f"{100 * expanded / frontier:.0f}% of" if frontier else "the"
        self.progress(done, self._total(done),
                      f"building layer {depth} from {share} layer {depth - 1}")

    def layer_done(self, done: int, depth: int, size: int) -> None:
        """Layer ``depth`` is complete with ``size`` states."""
        self._last = time.monotonic()
        self.progress(done, self._total(done), f"layer {depth} done ({_states(size)})")

    def finished(self, done: int, diameter: int, completed: bool) -> None:
        """The last report: the search ended."""
        what = "finished" if completed else "stopped at the depth limit"
        self.progress(done, done if self.total else 0,
                      f"{what}: {_states(done)}, {diameter} layers after the central state")
