"""Schemathesis against our own OpenAPI document: no request it generates gets a 500."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")  # in the dev extra

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from mathdisco.service.app import create_app  # noqa: E402
from mathdisco.workers.settings import load_settings  # noqa: E402


def _app():
    # a private, empty store and open access, without touching this process's environment;
    # no workers, so accepted jobs simply stay queued
    data = Path(tempfile.mkdtemp(prefix="mathdisco-schemathesis-"))
    settings_ = replace(load_settings(), data_dir=data, database_url=f"sqlite:///{data / 'fuzz.db'}",
                        broker_url=None, api_keys=None, rate_limit_per_min=0, max_heavy_jobs=0)
    return create_app(settings_, local_workers=False)


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _lifespan():
    from fastapi.testclient import TestClient

    with TestClient(APP):  # runs the lifespan: store, dispatcher
        yield


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
