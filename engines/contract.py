"""The engine contract: what every job type provides and what the service calls.

An engine is pure computation.  It knows nothing of HTTP, Celery or the job
store; the service adapts it.  A job type is described by a :class:`JobType`:

* ``params_model`` -- a pydantic model that validates *and bounds* every input
  (``extra="forbid"``; every size, depth, precision and time has an upper
  bound), so a bad request is refused with a 422 before anything is queued;
* ``run(params, progress) -> dict`` -- a plain function returning a
  JSON-serialisable, self-describing result.  It calls
  ``progress(done, total, message)`` from time to time; the callback raises
  :class:`Cancelled` when the job was cancelled, so loops stop cooperatively
  (keep every uninterruptible numba call short: a signal cannot stop one);
* ``discoveries(params, result)`` -- the verified statements the result
  contains, stored once each in the catalogue (deduplicated by fingerprint);
* optionally ``shards(params) -> list[params]`` and
  ``merge(params, results) -> dict`` so one job fans out over many workers and
  merges exactly: ``merge(p, [run(s) for s in shards(p)])`` must equal
  ``run(p)`` up to timing fields.

Example
-------
>>> from pydantic import Field
>>> class Params(EngineParams):
...     n: int = Field(3, ge=1, le=10)
>>> def run(params, progress=no_progress):
...     progress(1, 1, "done")
...     return {"square": params.n ** 2}
>>> jt = JobType(name="square", params_model=Params, run=run, summary="n squared")
>>> jt.run(jt.validate({"n": 4}), no_progress)
{'square': 16}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class Cancelled(Exception):
    """Raised by a progress callback when the job was asked to stop."""


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def no_progress(done: int, total: int, message: str = "") -> None:
    """A progress callback that ignores progress and never cancels."""


class EngineParams(BaseModel):
    """Base class for job parameter models: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Discovery:
    """One verified statement found by a job.

    ``canonical`` is the normalised, JSON-serialisable form of the statement
    (for a continued fraction: the constant and the exact coefficients); two
    jobs that find the same statement produce the same ``canonical`` and so
    the same :meth:`fingerprint`, and the catalogue stores it once.
    """

    kind: str  # "formula", "relation", "diameter_formula", "expression", ...
    target: str  # what it is about: a constant name, a group family, a dataset
    text: str  # plain text, e.g. "e = 2 + 1/(1 + 1/(2 + ...))"
    latex: str
    canonical: Any
    evidence: dict[str, Any] = field(default_factory=dict)

    def fingerprint(self) -> str:
        payload = json.dumps(
            {"kind": self.kind, "target": self.target, "canonical": self.canonical},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()


RunFn = Callable[[Any, Progress], dict]
DiscoveriesFn = Callable[[Any, dict], Sequence[Discovery]]
ShardsFn = Callable[[Any], list[dict]]
MergeFn = Callable[[Any, list[dict]], dict]


def _no_discoveries(params: Any, result: dict) -> Sequence[Discovery]:
    return ()


@dataclass(frozen=True)
class JobType:
    """Everything the service needs to know about one job type."""

    name: str
    params_model: type[EngineParams]
    run: RunFn
    summary: str
    discoveries: DiscoveriesFn = _no_discoveries
    shards: ShardsFn | None = None
    merge: MergeFn | None = None
    queue: str = "default"  # "heavy" routes to dedicated workers
    soft_time_limit_s: int = 3600
    time_limit_s: int = 3900
    requires: tuple[str, ...] = ()  # importable modules needed at run time, e.g. ("torch",)
    extra: str | None = None  # the pip extra that provides ``requires``

    def validate(self, params: dict[str, Any]) -> EngineParams:
        """Validate raw params; raises pydantic.ValidationError on bad input."""
        return self.params_model.model_validate(params)

    def missing_requirements(self) -> list[str]:
        """The modules in ``requires`` that cannot be imported here."""
        import importlib.util

        return [m for m in self.requires if importlib.util.find_spec(m) is None]
