"""A client of a running mathdisco server, for notebooks and scripts.

Every answer is the API's JSON (docs: ``/docs`` on the server, README "HTTP
API"); every failure is a typed exception carrying the problem+json body, so
a script catches :class:`InvalidRequest` or :class:`NotFound` instead of
parsing status codes.

Example
-------
A notebook against ``mathdisco serve`` (not run here: it needs a server)::

    >>> from mathdisco import Client                              # doctest: +SKIP
    >>> with Client("http://127.0.0.1:8000") as client:           # doctest: +SKIP
    ...     job = client.submit("identify", {"value": "2.1639534137386528487700040102180231170937"})
    ...     done = client.wait(job["id"], progress=print)
    ...     client.result(job["id"])["expression"]
    '(1 + E)/(-1 + E)'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

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
]

FINAL = frozenset({"succeeded", "failed", "cancelled"})


class MathdiscoError(Exception):
    """A request the server refused or could not answer.

    ``status`` is the HTTP status (None when there was no answer); ``problem``
    the problem+json body (``title``, ``detail``, ``errors`` naming fields).
    """

    def __init__(self, message: str, status: int | None = None,
                 problem: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.problem = status, dict(problem or {})

    @property
    def errors(self) -> list[dict[str, Any]]:
        """``[{"field", "message"}]`` of a 422: which inputs were refused, and why."""
        return list(self.problem.get("errors") or [])


class ServerUnreachable(MathdiscoError):
    """No answer: the server is not running at that address, or did not answer in time."""


class InvalidRequest(MathdiscoError):
    """400/413/422: bad params, an unknown job type, a too large or too long job."""


class Forbidden(MathdiscoError):
    """401/403: no key, a wrong key, or another owner's job."""


class NotFound(MathdiscoError):
    """404: no such job, shard, list or page."""


class Conflict(MathdiscoError):
    """409: the job is not in a state that allows it (a result before it succeeded, a late cancel)."""


class RateLimited(MathdiscoError):
    """429: over the rate limit or the heavy-job quota."""


class ServerError(MathdiscoError):
    """5xx: the server failed, or is not ready (503)."""


class JobFailed(MathdiscoError):
    """:meth:`Client.wait` with ``check=True`` on a job that failed or was cancelled; ``job`` is its view."""

    def __init__(self, job: Mapping[str, Any]) -> None:
        reason = (job.get("error") or "").splitlines()[0] if job.get("error") else job["status"]
        super().__init__(f"job {job['id']} {job['status']}: {reason}")
        self.job = dict(job)


_BY_STATUS: dict[int, type[MathdiscoError]] = {
    400: InvalidRequest, 401: Forbidden, 403: Forbidden, 404: NotFound, 409: Conflict,
    413: InvalidRequest, 422: InvalidRequest, 429: RateLimited,
}


class Client:
    """A mathdisco server at ``url`` (default ``MATHDISCO_URL``, else ``http://127.0.0.1:8000``).

    Parameters
    ----------
    url : str, optional
        The server's base address.
    api_key : str, optional
        Sent as ``X-API-Key`` (default ``MATHDISCO_API_KEY``); needed when the
        server sets ``MATHDISCO_API_KEYS``.
    timeout_s : float
        Seconds one request may take.
    """

    def __init__(self, url: str | None = None, api_key: str | None = None,
                 timeout_s: float = 30.0) -> None:
        self.url = (url or os.environ.get("MATHDISCO_URL") or "http://127.0.0.1:8000").rstrip("/")
        api_key = api_key or os.environ.get("MATHDISCO_API_KEY") or None
        self.keyed = api_key is not None
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s,
                                  headers={"X-API-Key": api_key} if api_key else None)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the requests -------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded answer (JSON, or text for a text answer); a :class:`MathdiscoError` on failure."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ServerUnreachable(f"{method} {path}: {self.url} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"cannot reach the mathdisco server at {self.url}: "
                                    f"{str(exc).strip() or type(exc).__name__}") from exc
        if response.headers.get("content-type", "").startswith(("application/json",
                                                                "application/problem+json")):
            body: Any = response.json()
        else:
            body = response.text
        if response.status_code >= 400:
            problem = body if isinstance(body, Mapping) else {"detail": str(body)[:300]}
            kind = _BY_STATUS.get(response.status_code,
                                  ServerError if response.status_code >= 500 else MathdiscoError)
            text = ": ".join(str(p) for p in (problem.get("title"), problem.get("detail")) if p)
            raise kind(f"{method} {path}: HTTP {response.status_code} {text}".rstrip(),
                       response.status_code, problem)
        return body

    def job_types(self) -> list[dict[str, Any]]:
        """Each job type the server offers: params ``schema``, ``result_schema``, defaults."""
        return self.request("GET", "/v1/job-types")

    def submit(self, job_type: str, params: Mapping[str, Any] | None = None, *,
               idempotency_key: str | None = None, callback_url: str | None = None) -> dict[str, Any]:
        """Queue a job; its view (``id``, ``status``, ``estimate``, ...)."""
        body: dict[str, Any] = {"type": job_type, "params": dict(params or {})}
        if callback_url is not None:
            body["callback_url"] = callback_url
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/v1/jobs", json=body, headers=headers)

    def job(self, job_id: str) -> dict[str, Any]:
        """The job's view: status, progress, attempts, error, ``limited``, ..."""
        return self.request("GET", f"/v1/jobs/{job_id}")

    def jobs(self, *, job_type: str | None = None, status: str | None = None,
             page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every job, newest first, read page by page."""
        query = {k: v for k, v in (("type", job_type), ("status", status)) if v}
        yield from self._cursor_pages("/v1/jobs", {**query, "limit": page_size})

    def wait(self, job_id: str, timeout_s: float = 3600.0, *,
             progress: Callable[[dict[str, Any]], object] | None = None,
             check: bool = True) -> dict[str, Any]:
        """Poll the job until it is final; its last view.

        ``progress`` is called with the view whenever its progress changed.
        With ``check``, a job that failed or was cancelled raises
        :class:`JobFailed`; a job still running at ``timeout_s`` raises
        :class:`TimeoutError`.
        """
        deadline, delay, seen = time.monotonic() + timeout_s, 0.2, None
        while True:
            job = self.job(job_id)
            shown = (job["status"], job["progress"]["done"], job["progress"]["message"])
            if progress is not None and shown != seen:
                progress(job)
                seen = shown
            if job["status"] in FINAL:
                if check and job["status"] != "succeeded":
                    raise JobFailed(job)
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['status']} after {timeout_s:g} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def result(self, job_id: str) -> dict[str, Any]:
        """The result object of a succeeded job (409 :class:`Conflict` before that)."""
        return self.request("GET", f"/v1/jobs/{job_id}/result")

    def items(self, job_id: str, path: str, page_size: int = 100) -> Iterator[Any]:
        """Every item of the list at ``path`` in the job's result (e.g. ``identified``), page by page."""
        offset: int | None = 0
        while offset is not None:
            page = self.request("GET", f"/v1/jobs/{job_id}/items/{path}",
                                params={"offset": offset, "limit": page_size})
            yield from page["items"]
            offset = page["next_offset"]

    def log(self, job_id: str) -> str:
        """The job's log as text."""
        return self.request("GET", f"/v1/jobs/{job_id}/log")

    def rerun(self, job_id: str, **overrides: Any) -> dict[str, Any]:
        """A new job with this job's params updated by ``overrides``; its view has ``rerun_of``."""
        return self.request("POST", f"/v1/jobs/{job_id}/rerun", json={"params": overrides})

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Ask the job to stop (409 :class:`Conflict` when it already finished)."""
        return self.request("POST", f"/v1/jobs/{job_id}/cancel")

    def discoveries(self, *, kind: str | None = None, target: str | None = None,
                    q: str | None = None, job_type: str | None = None,
                    page_size: int = 100) -> Iterator[dict[str, Any]]:
        """Every verified statement in the catalogue matching the filters, page by page."""
        query = {k: v for k, v in (("kind", kind), ("target", target), ("q", q),
                                   ("job_type", job_type)) if v}
        yield from self._cursor_pages("/v1/discoveries", {**query, "limit": page_size})

    def _cursor_pages(self, path: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        cursor = None
        while True:
            page = self.request("GET", path, params={**query, **({"cursor": cursor} if cursor else {})})
            yield from page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return
