"""The command line's HTTP client: every failure becomes one line (:class:`CliError`).

``submit``, ``jobs`` and ``batch`` talk to a running ``mathdisco serve``.  A
server that cannot be reached, a timeout, or a 4xx/5xx answer is reported as
one line naming what happened -- the problem+json ``detail`` of a refusal, not
a traceback -- and the command exits non-zero.

Example
-------
>>> problem_line(422, {"title": "Invalid request", "detail": "status: Input should be 'queued'"},
...              "GET /v1/jobs")
"GET /v1/jobs: HTTP 422 Invalid request: status: Input should be 'queued'"
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from mathdisco.service.cli_params import EXIT_BAD_INPUT, EXIT_FAILED, CliError

__all__ = ["Api", "FINAL", "problem_line"]

FINAL = frozenset({"succeeded", "failed", "cancelled"})


def problem_line(status: int, body: Any, what: str, keyed: bool = True) -> str:
    """One line for an error answer: its problem+json title and detail when it has them.

    ``keyed``: whether the request carried an API key (a 401/403 without one says how to send it).
    """
    if isinstance(body, Mapping):
        title = str(body.get("title") or "")
        detail = str(body.get("detail") or "")
        text = ": ".join(part for part in (title, detail) if part)
    else:
        text = str(body or "").strip().splitlines()[0][:300] if body else ""
    line = f"{what}: HTTP {status}" + (f" {text}" if text else "")
    if status in (401, 403) and not keyed:
        line += " (set MATHDISCO_API_KEY to the key the server's MATHDISCO_API_KEYS accepts)"
    return line


class Api:
    """A small client of the /v1 API that raises :class:`CliError` on every failure."""

    def __init__(self, url: str, api_key: str | None = None, timeout_s: float = 30.0) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.keyed = bool(api_key)  # sent when the server has MATHDISCO_API_KEYS set
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s,
                                    headers={"X-API-Key": api_key} if api_key else None)
        self._catalogue: list[dict[str, Any]] | None = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON answer of a request; :class:`CliError` when there is none."""
        import httpx

        what = f"{method} {path}"
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.ConnectError as exc:
            raise CliError(f"cannot reach the mathdisco server at {self.url} ({_reason(exc)}); "
                           "start one with `mathdisco serve` or set MATHDISCO_URL") from None
        except httpx.TimeoutException:
            raise CliError(f"{what}: the server at {self.url} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise CliError(f"{what}: request to {self.url} failed: {_reason(exc)}") from None
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            code = EXIT_FAILED if response.status_code >= 500 and response.status_code != 503 else EXIT_BAD_INPUT
            raise CliError(problem_line(response.status_code, body, what, self.keyed), code)
        return body

    def job_types(self) -> list[dict[str, Any]]:
        """The server's ``GET /v1/job-types`` catalogue (fetched once)."""
        if self._catalogue is None:
            self._catalogue = self.request("GET", "/v1/job-types")
        return self._catalogue

    def job_type(self, name: str) -> dict[str, Any]:
        """The catalogue entry of ``name``; :class:`CliError` with a did-you-mean when unknown."""
        from mathdisco.service.cli_params import unknown_type_message

        for entry in self.job_types():
            if entry["name"] == name:
                return entry
        raise CliError(unknown_type_message(name, (e["name"] for e in self.job_types())))

    def wait(self, job_id: str, timeout_s: float) -> dict[str, Any]:
        """Poll a job until it is final or ``timeout_s`` has passed; its last state."""
        deadline, delay = time.monotonic() + timeout_s, 0.2
        while True:
            job = self.request("GET", f"/v1/jobs/{job_id}")
            if job["status"] in FINAL or time.monotonic() > deadline:
                return job
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
