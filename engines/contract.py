"""The engine contract: what every job type provides and what the service calls.

An engine is pure computation.  It knows nothing of HTTP, Celery or the job
store; the service adapts it.  A job type is described by a :class:`JobType`
(docs/design.md, "The engine contract"):

* ``params_model`` -- a pydantic model that validates *and bounds* every input
  (``extra="forbid"``; every size, depth, precision and time has an upper
  bound), so a bad request is refused with a 422 before anything is queued;
* ``result_model`` -- a :class:`mathdisco.engines.results.ResultModel` describing the
  result; the runner validates every result against it before storing, and
  ``GET /v1/job-types`` publishes its JSON Schema;
* ``run(params, progress)`` -- a plain function returning the result model,
  or the JSON-serialisable object it validates (the runner validates it once).  It calls
  ``progress(done, total, message)`` from time to time; the callback raises
  :class:`Cancelled` when the job was cancelled, so loops stop cooperatively
  (keep every uninterruptible numba call short: a signal cannot stop one);
* ``discoveries(params, result)`` -- reads the validated result *model* (never
  the raw dict) and returns the verified statements it contains (:class:`mathdisco.engines.discoveries.Discovery`), stored once each in the
  catalogue;
* ``view(result)`` -- what the dashboard shows of a (validated) result:
  formulas with labels, evidence, charts declared as data
  (:class:`mathdisco.engines.results.ResultView`);
* ``estimate(params)`` -- the engine's own cost model (seconds, bytes) for the
  heavy types, shown at submission and checked against the limits; the
  estimate is of a warm worker, and while no worker is warm the service adds
  ``compile_s``, the measured cost of compiling the type's kernels;
* optionally ``warm_up()`` -- compiles (or loads from numba's on-disk cache)
  every kernel the type's jobs use, so a job's time limit is spent searching;
  workers call it once per process before they take a job (workers/warmup.py);
* optionally ``shards(params) -> list[params]`` and
  ``merge(params, results) -> dict`` so one job fans out over many workers and
  merges exactly: ``merge(p, [run(s) for s in shards(p)])`` must equal
  ``run(p)`` up to timing fields.

Example
-------
>>> from pydantic import Field
>>> from mathdisco.engines.results import ResultModel
>>> class Params(EngineParams):
...     n: int = Field(3, ge=1, le=10)
>>> class Result(ResultModel):
...     square: int
>>> def run(params, progress=no_progress):
...     progress(1, 1, "done")
...     return {"square": params.n ** 2}
>>> jt = JobType(name="square", params_model=Params, run=run, summary="n squared",
...              result_model=Result)
>>> jt.run(jt.validate({"n": 4}), no_progress)
{'square': 16}
>>> jt.check_result({"square": "sixteen"})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
mathdisco.engines.contract.ResultContractError: square result does not match its model: square: ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mathdisco.engines.discoveries import Discovery
from mathdisco.engines.results import ResultModel, ResultView

__all__ = [
    "Cancelled",
    "EngineParams",
    "Estimate",
    "JobType",
    "Progress",
    "ResultContractError",
    "TimeLimits",
    "no_progress",
]


class Cancelled(Exception):
    """Raised by a progress callback when the job was asked to stop."""


class ResultContractError(ValueError):
    """An engine returned a result that does not match its declared result model."""


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def no_progress(done: int, total: int, message: str = "") -> None:
    """A progress callback that ignores progress and never cancels."""


class EngineParams(BaseModel):
    """Base class for job parameter models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class TimeLimits:
    """How long a job of a type may run: ``soft_s`` asks it to stop, ``hard_s`` kills it."""

    soft_s: int = 3600
    hard_s: int = 3900

    def __post_init__(self) -> None:
        if not 0 < self.soft_s < self.hard_s:
            raise ValueError("need 0 < soft_s < hard_s")


class Estimate(BaseModel):
    """An engine's cost model of a job, before it runs."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(..., ge=0, description="expected wall-clock seconds on one worker")
    memory_bytes: int = Field(..., ge=0, description="expected peak memory")
    compile_s: float | None = Field(None, ge=0, description=(
        "seconds of kernel compilation before the job starts, while no worker is warm; "
        "``seconds`` is the job's own run"))

    @property
    def total_s(self) -> float:
        """What the user waits: compilation (when cold) and the run."""
        return self.seconds + (self.compile_s or 0.0)


P = TypeVar("P", bound=EngineParams)
R = TypeVar("R", bound=ResultModel)

#: an engine returns its result model, or the plain JSON object the model validates
RunFn = Callable[[Any, Progress], Any]
#: ``discoveries(params, result)``: the params model and the validated result model
DiscoveriesFn = Callable[[Any, Any], Sequence[Discovery]]
ShardsFn = Callable[[Any], list[dict]]
MergeFn = Callable[[Any, list[dict]], dict]
ViewFn = Callable[[Any], ResultView]
EstimateFn = Callable[[Any], Estimate | None]


def _no_discoveries(params: Any, result: Any) -> Sequence[Discovery]:
    return ()


def _plain_view(result: Any) -> ResultView:
    return ResultView()


@dataclass(frozen=True)
class JobType(Generic[P, R]):
    """Everything the service needs to know about one job type: params ``P``, result ``R``.

    ``result_model`` is required: the runner checks every result against it
    once (:meth:`check_result`) before anything is stored or shown.
    """

    name: str
    params_model: type[P]
    run: RunFn
    summary: str
    result_model: type[R]
    discoveries: DiscoveriesFn = _no_discoveries
    view: ViewFn = _plain_view
    estimate: EstimateFn | None = None
    shards: ShardsFn | None = None
    merge: MergeFn | None = None
    queue: Literal["default", "heavy"] = "default"  # "heavy" routes to dedicated workers
    limits: TimeLimits = field(default_factory=TimeLimits)
    requires: tuple[str, ...] = ()  # importable modules needed at run time, e.g. ("torch",)
    extra: str | None = None  # the pip extra that provides ``requires``
    #: params fields that set how results are verified (precision, depth), named in provenance
    verification_fields: tuple[str, ...] = ()
    #: the params a user sets first (shown first on forms and in ``mathdisco types``)
    key_params: tuple[str, ...] = ()
    #: compiles the type's numba kernels before a job needs them (None: nothing to compile)
    warm_up: Callable[[], None] | None = None
    #: seconds ``warm_up`` takes on an empty numba cache (measured, bench/time_limits.py);
    #: added to the estimate while no worker is warm
    compile_s: float = 0.0

    def validate(self, params: dict[str, Any]) -> P:
        """Validate raw params; raises pydantic.ValidationError on bad input."""
        return self.params_model.model_validate(params)

    def check_result(self, result: dict[str, Any] | R) -> R:
        """The result parsed by ``result_model``; :class:`ResultContractError` when it does not match."""
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        try:
            return self.result_model.model_validate(result)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'result'}: {e['msg']}"
                for e in exc.errors()[:5])
            raise ResultContractError(
                f"{self.name} result does not match its model: {problems}") from None

    def missing_extra(self) -> str | None:
        """Why this installation cannot run the type, with the install command; None when it can.

        The one wording of that message, for the API, the dashboard, the CLI and workers.
        """
        missing = self.missing_requirements()
        if not missing:
            return None
        return (f"{self.name} needs {', '.join(missing)}: install mathdisco[{self.extra}] "
                f"(pip install 'mathdisco[{self.extra}]')")

    def missing_requirements(self) -> list[str]:
        """The modules in ``requires`` that cannot be imported here (asked afresh each time)."""
        import importlib
        import importlib.util

        importlib.invalidate_caches()  # an extra installed while the server runs is seen
        return [m for m in self.requires if importlib.util.find_spec(m) is None]
