"""The FastAPI application: wiring of store, dispatcher, reconciler and (embedded) executor."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mathdisco.service.auth import AuthMiddleware
from mathdisco.service.dashboard import install_dashboard
from mathdisco.service.docs_ui import install_docs
from mathdisco.service.jobs_api import router
from mathdisco.service.openapi import install_openapi
from mathdisco.service.problems import install_problem_handlers, problem_response
from mathdisco.service.views import kernels_state
from mathdisco.workers.dispatch import make_dispatcher, reconcile
from mathdisco.workers.settings import Settings, load_settings
from mathdisco.workers.store import JobStore

log = logging.getLogger(__name__)

RECONCILE_INTERVAL_S = 5.0
CALLBACK_INTERVAL_S = 1.0


class BodySizeLimit:
    """Refuse bodies over the limit (413) before the app reads them.

    Pure ASGI, like :class:`mathdisco.service.auth.AuthMiddleware`: ``BaseHTTPMiddleware``
    costs a task group and two memory streams per request on the submit path.
    A declared ``content-length`` is checked at once; a chunked body is read
    up to the limit and handed on from a buffer.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        elif scope.get("method") in {"POST", "PUT", "PATCH"}:
            messages, size = [], 0
            while True:
                message = await receive()
                messages.append(message)
                size += len(message.get("body", b""))
                if size > self.max_bytes:
                    await self._refuse(scope, receive, send)
                    return
                if message["type"] != "http.request" or not message.get("more_body"):
                    break

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            await self.app(scope, replay, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, "Request body too large", f"the limit is {self.max_bytes} bytes")
        await response(scope, receive, send)


def _maintain_forever(app: FastAPI, stop: threading.Event) -> None:
    """Deliver due completion callbacks every second; repair lost deliveries every few seconds."""
    from mathdisco.service.callbacks import deliver_due
    from mathdisco.service.views import job_view

    last_reconcile = 0.0
    while not stop.wait(CALLBACK_INTERVAL_S):
        state = app.state
        try:
            deliver_due(state.store, state.settings, job_view)
        except Exception:
            log.exception("callback delivery failed")
        if time.monotonic() - last_reconcile < RECONCILE_INTERVAL_S:
            continue
        last_reconcile = time.monotonic()
        try:
            done = reconcile(state.store, state.dispatcher, state.settings)
            if any(done.values()):
                log.warning("reconciler: %s", done)
        except Exception:
            log.exception("reconciler failed")


def create_app(settings: Settings | None = None, *, local_workers: bool = True) -> FastAPI:
    """The app.  With no broker configured and ``local_workers``, it runs the embedded executor."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = JobStore(settings.database_url)
        app.state.settings, app.state.store = settings, store
        app.state.dispatcher = make_dispatcher(settings, store)
        executor = None
        if not settings.uses_celery and local_workers:
            from mathdisco.workers.local import LocalExecutor

            executor = LocalExecutor(store, settings)
            executor.start()
        app.state.executor = executor
        stop = threading.Event()
        reconciler = threading.Thread(target=_maintain_forever, args=(app, stop), daemon=True)
        reconciler.start()
        try:
            yield
        finally:
            stop.set()
            if executor is not None:
                executor.stop()
            store.dispose()

    app = FastAPI(title="mathdisco", version="0.1.0", lifespan=lifespan,
                  description="A mathematical discovery engine as a service.",
                  docs_url=None, redoc_url=None)  # vendored, offline: service/docs_ui.py
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(AuthMiddleware, settings=settings)  # added last = outermost: refuse before reading bodies
    install_problem_handlers(app)
    app.include_router(router)
    install_openapi(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        for name, check in (("database", request.app.state.store.ping),
                            ("broker", request.app.state.dispatcher.ping)):
            try:
                check()
                checks[name] = "ok"
            except Exception as exc:
                checks[name] = f"error: {type(exc).__name__}: {exc}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks,
                             "kernels": kernels_state(request.app.state.store)},
                            status_code=200 if ready else 503)

    install_dashboard(app)  # /, /jobs/{id}, /discoveries and /static (service/dashboard.py)
    install_docs(app)  # /docs and /redoc from the vendored Swagger UI and ReDoc

    return app
