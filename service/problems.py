"""Errors as RFC 9457 problem+json bodies: every 4xx names what was wrong.

The one place where the service's refusals (:mod:`mathdisco.service.errors`, raised by
code that speaks no HTTP) become statuses: :data:`STATUS_OF`.  ``Problem``
stays for what only the HTTP layer decides (a path, a missing result).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from mathdisco.service import errors
from mathdisco.service.errors import DomainError, InvalidCursor, field_errors

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise anywhere in a route to answer with a problem+json body."""

    def __init__(self, status: int, title: str, detail: str = "",
                 errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.errors, self.headers = errors, headers


def problem_response(status: int, title: str, detail: str = "",
                     errors: list[dict[str, Any]] | None = None,
                     headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


#: the HTTP status of each kind of refusal (a subclass answers as its nearest listed base)
STATUS_OF: dict[type[DomainError], int] = {
    errors.UnknownJobType: 422,
    errors.InvalidParams: 422,
    errors.InvalidFilter: 422,
    errors.NotFound: 404,
    errors.NotOwner: 403,
    errors.Conflict: 409,
    errors.QuotaExceeded: 429,
    errors.JobTypeUnavailable: 503,
    errors.BrokerUnavailable: 503,
}


def status_of(error: DomainError) -> int:
    """The HTTP status :data:`STATUS_OF` gives ``error``'s kind."""
    for kind in type(error).__mro__:
        if kind in STATUS_OF:
            return STATUS_OF[kind]
    return 400


def validation_errors(exc: ValidationError | RequestValidationError,
                      prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic errors as [{field, message}] with dotted field paths."""
    return field_errors(exc, prefix)  # type: ignore[arg-type]


async def _on_problem(_request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


async def _on_domain(_request: Request, exc: DomainError) -> JSONResponse:
    headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
    return problem_response(status_of(exc), exc.title, exc.detail, exc.errors, headers)


async def _on_invalid_cursor(_request: Request, exc: InvalidCursor) -> JSONResponse:
    return problem_response(422, "Invalid cursor", str(exc), [{"field": "cursor", "message": str(exc)}])


async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = validation_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, "Invalid request", detail, errors)


async def _on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


def install_problem_handlers(app: Any) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(DomainError, _on_domain)
    app.add_exception_handler(InvalidCursor, _on_invalid_cursor)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
