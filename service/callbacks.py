"""Completion callbacks (webhooks): a JSON POST of the job view when a job is final.

* At submission :func:`check_callback_url` accepts only ``http``/``https``
  URLs whose host is on the allow-list ``MATHDISCO_CALLBACK_HOSTS``
  (``name`` or ``*.suffix`` entries); with no list, only loopback hosts.  The
  service cannot be turned into a probe of internal addresses: any other
  target is refused (422) before the job is stored, and redirects are never
  followed.
* :func:`deliver_due` runs in the API process's maintenance loop: it leases
  each due callback (so one process sends it), POSTs the job view, and
  records every attempt on the job (``callback_attempts``).  A failure (no
  answer, or a status other than 2xx) is retried with exponential backoff,
  ``RETRY_DELAYS_S``, then given up (``callback_state = "failed"``).
* With ``MATHDISCO_CALLBACK_SECRET`` set, each POST carries
  ``X-Mathdisco-Timestamp: <unix seconds>`` and
  ``X-Mathdisco-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>``;
  the receiver recomputes it over the raw body and rejects stale timestamps.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from mathdisco.service.errors import InvalidParams
from mathdisco.workers.models import CallbackState, Job, utcnow
from mathdisco.workers.settings import Settings
from mathdisco.workers.store import JobStore

__all__ = ["RETRY_DELAYS_S", "check_callback_url", "deliver_due", "signature"]

log = logging.getLogger(__name__)

#: seconds before each retry; after the last one the callback is given up
RETRY_DELAYS_S = (1.0, 4.0, 15.0, 60.0, 300.0)
TIMEOUT_S = 10.0
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
MAX_URL_CHARS = 2000


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _allowed(host: str, allowed: tuple[str, ...]) -> bool:
    for entry in allowed:
        if entry.startswith("*.") and (host.endswith(entry[1:]) and host != entry[2:]):
            return True
        if host == entry:
            return True
    return False


def check_callback_url(url: str, settings: Settings) -> str:
    """The URL if callbacks may go there; :class:`InvalidParams` naming ``callback_url`` otherwise."""

    def refuse(message: str) -> InvalidParams:
        return InvalidParams(message, [{"field": "callback_url", "message": message}],
                             title="Invalid callback_url")

    if len(url) > MAX_URL_CHARS:
        raise refuse(f"at most {MAX_URL_CHARS} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise refuse("only http and https URLs are allowed")
    host = (parts.hostname or "").lower()
    if not host:
        raise refuse("the URL has no host")
    if parts.username or parts.password:
        raise refuse("credentials in the URL are not allowed")
    if settings.callback_hosts:
        if not _allowed(host, settings.callback_hosts):
            raise refuse(f"host {host!r} is not in MATHDISCO_CALLBACK_HOSTS")
    elif not _is_loopback(host):
        raise refuse("callbacks are disabled except to loopback hosts "
                     "(set MATHDISCO_CALLBACK_HOSTS to allow others)")
    return url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``"<timestamp>.<body>"`` under ``secret``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _post(client: httpx.Client, job: Job, body: bytes, settings: Settings) -> dict[str, Any]:
    headers = {"content-type": "application/json", "user-agent": "mathdisco-callback"}
    if settings.callback_secret:
        timestamp = str(int(time.time()))
        headers["X-Mathdisco-Timestamp"] = timestamp
        headers["X-Mathdisco-Signature"] = signature(settings.callback_secret, timestamp, body)
    attempt: dict[str, Any] = {"at": utcnow().isoformat()}
    started = time.monotonic()
    try:
        check_callback_url(job.callback_url or "", settings)  # the allow-list may have changed
        response = client.post(job.callback_url or "", content=body, headers=headers)
        attempt["status_code"] = response.status_code
        attempt["ok"] = 200 <= response.status_code < 300
    except InvalidParams as refused:
        attempt.update(ok=False, error=refused.detail, final=True)
    except httpx.HTTPError as exc:
        attempt.update(ok=False, error=f"{type(exc).__name__}: {exc}"[:300])
    attempt["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
    return attempt


def deliver_due(store: JobStore, settings: Settings, view: Callable[[Job], dict[str, Any]],
                client: httpx.Client | None = None) -> int:
    """Send every due callback once; returns how many attempts were made."""
    due = store.due_callbacks()
    if not due:
        return 0
    own = client is None
    client = client or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
    sent = 0
    try:
        for job in due:
            if not store.lease_callback(job.id, TIMEOUT_S * 3):
                continue  # another process has it
            job = store.get_job(job.id)
            body = json.dumps({"event": "job.finished", "job": view(job)}, separators=(",", ":")).encode()
            attempt = _post(client, job, body, settings)
            sent += 1
            previous = len(job.callback_attempts or [])
            if attempt["ok"]:
                state, next_at = CallbackState.DELIVERED, None
            elif attempt.get("final") or previous >= len(RETRY_DELAYS_S):
                state, next_at = CallbackState.FAILED, None
            else:
                state, next_at = CallbackState.PENDING, utcnow() + timedelta(seconds=RETRY_DELAYS_S[previous])
            attempt.pop("final", None)
            store.record_callback(job.id, attempt, state=state, next_at=next_at)
            if state == CallbackState.FAILED:
                log.warning("callback of job %s given up after %d attempts", job.id, previous + 1)
    finally:
        if own:
            client.close()
    return sent
