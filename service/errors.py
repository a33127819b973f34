"""What the service's rules refuse, as exceptions that speak no HTTP.

Submission, cancellation, quotas, callbacks and filters (service/submission.py,
limits.py, callbacks.py, views.py) and the store (an unreadable cursor) raise
these; service/problems.py maps each kind to its HTTP status and problem+json
body once, and the dashboard and the CLI catch the kinds they handle.

Each error carries a ``title`` (one per kind, overridable), a ``detail`` in
words and ``errors``: ``[{"field", "message"}]`` naming the inputs refused.

Example
-------
>>> error = InvalidParams("n: must be at most 10", [{"field": "params.n", "message": "at most 10"}])
>>> error.title, error.errors[0]["field"]
('Invalid params', 'params.n')
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError

from mathdisco.workers.store import IdempotencyConflict, JobFinished, JobNotFound
from mathdisco.workers.store_base import InvalidCursor

__all__ = [
    "BrokerUnavailable",
    "Conflict",
    "DomainError",
    "IdempotencyConflict",
    "InvalidCursor",
    "InvalidFilter",
    "InvalidParams",
    "JobFinished",
    "JobNotFound",
    "JobTypeUnavailable",
    "NotFound",
    "NotOwner",
    "QuotaExceeded",
    "UnknownJobType",
    "field_errors",
]


def field_errors(exc: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic's errors as ``[{"field", "message"}]`` with dotted field paths under ``prefix``."""
    out = []
    for error in exc.errors():
        loc = [str(p) for p in (*prefix, *error.get("loc", ())) if p != "body"]
        out.append({"field": ".".join(loc) or "body", "message": str(error.get("msg", "invalid"))})
    return out


class DomainError(Exception):
    """A request the service's rules refuse."""

    title: ClassVar[str] = "Refused"

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None, *,
                 title: str | None = None, retry_after_s: int | None = None) -> None:
        super().__init__(detail)
        self.detail, self.errors = detail, errors
        self.retry_after_s = retry_after_s
        if title is not None:
            self.title = title  # type: ignore[misc]


class UnknownJobType(DomainError):
    title = "Unknown job type"


class InvalidParams(DomainError):
    """Params (or a callback URL, or an estimate over the limits) that a job cannot start with."""

    title = "Invalid params"


class InvalidFilter(DomainError):
    title = "Invalid filter"


class JobTypeUnavailable(DomainError):
    """The job type needs an extra this installation lacks."""

    title = "Job type unavailable"


class BrokerUnavailable(DomainError):
    title = "Broker unavailable"


class QuotaExceeded(DomainError):
    title = "Too many heavy jobs"


class NotOwner(DomainError):
    title = "Not your job"


class NotFound(DomainError):
    title = "Not found"


class Conflict(DomainError):
    """The job is not in a state that allows the action (retry of a running job, late cancel)."""

    title = "Conflict"
