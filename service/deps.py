"""What a route needs, as typed FastAPI dependencies.

service/app.py puts the store, the dispatcher and the settings on the app's
state at start-up; routes declare what they use (``store: StoreDep``) instead of
reading ``request.app.state``, so each route's signature says what it touches
and a test can override one dependency (``app.dependency_overrides``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from mathdisco.service.submission import Caller
from mathdisco.workers.dispatch import Dispatcher
from mathdisco.workers.settings import Settings
from mathdisco.workers.store import JobStore

__all__ = ["CallerDep", "DispatcherDep", "SettingsDep", "StoreDep", "get_caller", "get_dispatcher",
           "get_settings", "get_store"]


def get_store(request: Request) -> JobStore:
    return request.app.state.store


def get_dispatcher(request: Request) -> Dispatcher:
    return request.app.state.dispatcher


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_caller(request: Request) -> Caller:
    """Who is asking: the owner the auth middleware resolved (service/auth.py)."""
    return Caller.of(request)


StoreDep = Annotated[JobStore, Depends(get_store)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CallerDep = Annotated[Caller, Depends(get_caller)]
