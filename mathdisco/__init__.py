"""mathdisco: a mathematical discovery engine, as a Python API.

Two ways in:

* :func:`run` runs one job in this process and returns its typed result (the
  job type's result model, checked and with its provenance), exactly as a
  worker would store it;
* :class:`Client` talks to a running server (``mathdisco serve``): submit,
  wait with progress, result, paged items, log, rerun, discoveries, with
  failures as typed exceptions (:mod:`mathdisco.client`).

The engines, workers and service install under this one name
(``mathdisco.engines``, ``mathdisco.workers``, ``mathdisco.service``).

Example
-------
>>> import mathdisco
>>> result = mathdisco.run("identify", value="2.1639534137386528487700040102180231170937")
>>> result.expression
'(1 + E)/(-1 + E)'
>>> result.verified_digits >= 35
True
"""

from __future__ import annotations

from typing import Any

from mathdisco.client import (
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    JobFailed,
    MathdiscoError,
    NotFound,
    RateLimited,
    ServerError,
    ServerUnreachable,
)

__all__ = [
    "Client",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "JobFailed",
    "MathdiscoError",
    "NotFound",
    "RateLimited",
    "ServerError",
    "ServerUnreachable",
    "job_types",
    "run",
]


def job_types() -> list[str]:
    """The names of the job types this installation can run."""
    from mathdisco.engines.registry import job_types as registered

    return sorted(registered())


def run(job_type: str, progress: Any = None, /, **params: Any) -> Any:
    """Run one job of ``job_type`` with ``params`` here; its typed result.

    Parameters
    ----------
    job_type : str
        A registered job type (:func:`job_types`).
    progress : callable, optional
        ``progress(done, total, message)``, called as the engine works.
    **params
        The job type's params (``mathdisco types TYPE`` lists them).

    Returns
    -------
    pydantic.BaseModel
        The job type's result model, validated, with ``provenance``; its
        ``model_dump(mode="json")`` is what the service stores.

    Raises
    ------
    KeyError
        ``job_type`` is not registered (the message suggests the nearest name).
    pydantic.ValidationError
        The params are refused, each error naming its field.
    RuntimeError
        The job type needs an extra that is not installed.
    """
    from mathdisco.engines.contract import no_progress
    from mathdisco.engines.registry import job_types as registered
    from mathdisco.engines.registry import unknown_type_message
    from mathdisco.workers.runner import final_result
    from mathdisco.workers.warmup import ensure_warm

    types = registered()
    if job_type not in types:
        raise KeyError(unknown_type_message(job_type, types))
    spec = types[job_type]
    if missing := spec.missing_extra():
        raise RuntimeError(missing)
    model = spec.validate(params)
    ensure_warm(spec)  # compile first, as a worker does, so a time limit is spent searching
    result = final_result(spec, model, spec.run(model, progress or no_progress))
    return spec.result_model.model_validate(result)
