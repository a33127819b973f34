"""Errors as RFC 9457 problem+json bodies: every 4xx names what was wrong."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def validation_errors(exc: ValidationError | RequestValidationError,
                      prefix: tuple[str | int, ...] = ()) -> list[dict[str, Any]]:
    """Pydantic errors as [{field, message}] with dotted field paths."""
    out = []
    for error in exc.errors():
        loc = [str(p) for p in (*prefix, *error.get("loc", ())) if p != "body"]
        message = str(error.get("msg", "invalid"))
        out.append({"field": ".".join(loc) or "body", "message": message})
    return out


async def _on_problem(_request: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc.status, exc.title, exc.detail, exc.errors, exc.headers)


async def _on_validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = validation_errors(exc)
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem_response(422, "Invalid request", detail, errors)


async def _on_http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))


def install_problem_handlers(app: Any) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
