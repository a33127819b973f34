"""API keys: who is calling, and may they.

``MATHDISCO_API_KEYS`` lists ``name:sha256hex`` entries, comma-separated, or
names a file with one entry per line (``@/path`` or a plain path; ``#``
comments allowed).  Only SHA-256 hashes are stored: keys are long random
tokens (``mathdisco hash-key --new``), so a fast unsalted hash is enough — the
same choice GitHub makes for tokens — and a leaked config file reveals no key.
A presented key is hashed and compared against every entry with
``hmac.compare_digest``, so the time taken does not tell which entry (or how
much of it) matched.

With no keys configured the service is open (a loopback or trusted-network
deployment), every caller is ``anonymous``.  With keys configured, writes need
a key (401 otherwise), reads need one only when ``MATHDISCO_PUBLIC_READ=0``.
The key's name becomes the job's ``owner``.  Writes are rate limited per key
(per client address for anonymous callers).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from mathdisco.service.limits import RateLimiter
from mathdisco.service.problems import problem_response
from mathdisco.workers.settings import Settings

ANONYMOUS = "anonymous"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: always public, so probes and API docs work without a key
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/docs", "/docs/swagger-init.js", "/redoc",
                          "/openapi.json"})
#: the vendored files the API docs load (public with the pages themselves, or /docs is blank)
PUBLIC_PREFIXES = ("/static/vendor/swagger-ui/", "/static/vendor/redoc/")
MAX_KEY_CHARS = 512  # longer headers are refused before hashing


class KeyConfigError(ValueError):
    """MATHDISCO_API_KEYS is malformed (fail at start-up, not per request)."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return "md_" + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KeyRing:
    entries: tuple[tuple[str, bytes], ...]  # (name, sha256 hex as bytes)

    @classmethod
    def parse(cls, spec: str | None) -> KeyRing:
        if not spec or not spec.strip():
            return cls(())
        spec = spec.strip()
        path = Path(spec[1:] if spec.startswith("@") else spec)
        if spec.startswith("@") or path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
        else:
            lines = spec.split(",")
        entries = []
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            name, sep, digest = line.partition(":")
            name, digest = name.strip(), digest.strip().lower()
            if not sep or not name or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise KeyConfigError(f"MATHDISCO_API_KEYS: expected name:sha256hex, got {line[:40]!r}")
            entries.append((name, digest.encode("ascii")))
        return cls(tuple(entries))

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def lookup(self, key: str) -> str | None:
        """The name of the entry whose hash matches ``key``, else None; constant time in the entries."""
        presented = hash_key(key).encode("ascii")
        found = None
        for name, digest in self.entries:  # no early exit: every entry is compared
            if hmac.compare_digest(presented, digest):
                found = name
        return found


def presented_key(headers: dict[bytes, bytes]) -> str | None:
    """The key from ``X-API-Key`` or ``Authorization: Bearer``."""
    raw = headers.get(b"x-api-key")
    if raw is None:
        auth = headers.get(b"authorization", b"")
        if auth[:7].lower() == b"bearer ":
            raw = auth[7:]
    if raw is None:
        return None
    return raw.decode("latin-1").strip()


class AuthMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the submit hot path)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.keys = KeyRing.parse(settings.api_keys)
        self.public_read = settings.public_read
        self.limiter = RateLimiter(settings.rate_limit_per_min)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        method, path = scope.get("method", "GET"), scope.get("path", "")
        key = presented_key(headers)
        owner, authenticated = ANONYMOUS, False
        if key is not None and self.keys.enabled:
            name = self.keys.lookup(key) if 0 < len(key) <= MAX_KEY_CHARS else None
            if name is None:
                await _deny(scope, receive, send, "invalid API key")
                return
            owner, authenticated = name, True
        elif self.keys.enabled and path not in PUBLIC_PATHS and not path.startswith(PUBLIC_PREFIXES):
            if method not in READ_METHODS or not self.public_read:
                await _deny(scope, receive, send, "this request needs an API key (X-API-Key header)")
                return
        if method not in READ_METHODS and self.limiter.enabled:
            client = scope.get("client") or ("?", 0)
            wait = self.limiter.take(f"key:{owner}" if authenticated else f"ip:{client[0]}")
            if wait > 0:
                retry = max(1, int(wait + 0.999))
                response = problem_response(429, "Too many requests",
                                            f"rate limit exceeded; retry in {retry} s",
                                            headers={"Retry-After": str(retry)})
                await response(scope, receive, send)
                return
        state = scope.setdefault("state", {})
        state["owner"], state["authenticated"] = owner, authenticated
        await self.app(scope, receive, send)


async def _deny(scope: Scope, receive: Receive, send: Send, detail: str) -> None:
    response = problem_response(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
    await response(scope, receive, send)
