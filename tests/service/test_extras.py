"""Optional extras are detected when a job type is asked for, not only at start-up (issue 16).

An extra installed while the server runs (``pip install 'mathdisco[neural]'``)
must be seen by the next request: ``JobType.missing_requirements`` asks the
import system afresh, and nothing above it (the ``/v1/job-types`` catalogue,
the dashboard's type list) may keep an old answer.
"""

from __future__ import annotations

import importlib.util
import sys
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mathdisco.engines.contract import EngineParams, JobType
from mathdisco.engines.results import ResultModel
from mathdisco.service.app import create_app
from mathdisco.workers.settings import load_settings


def test_a_module_that_appears_on_sys_path_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"mathdisco_fake_extra_{uuid.uuid4().hex[:8]}"
    monkeypatch.syspath_prepend(str(tmp_path))
    job_type = JobType(name="needs_fake", params_model=EngineParams, run=lambda p, progress: {},
                       summary="needs a module installed later", result_model=ResultModel,
                       requires=(name,), extra="fake")
    assert job_type.missing_requirements() == [name]  # the directory is listed (and cached) now
    (tmp_path / f"{name}.py").write_text("VALUE = 1\n")  # "pip install" while the process runs
    assert job_type.missing_requirements() == []
    sys.modules.pop(name, None)


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MATHDISCO_DATA_DIR", str(tmp_path))
    for variable in ("MATHDISCO_DATABASE_URL", "MATHDISCO_BROKER_URL", "MATHDISCO_API_KEYS"):
        monkeypatch.delenv(variable, raising=False)
    with TestClient(create_app(load_settings(), local_workers=False)) as c:
        yield c


def _entry(client: TestClient, name: str) -> dict:
    return next(e for e in client.get("/v1/job-types").json() if e["name"] == name)


def test_catalogue_submission_and_dashboard_see_an_extra_installed_later(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    body = {"type": "sr_neural", "params": {"benchmark": "nguyen-1", "time_limit_s": 1}}
    # first as if torch were absent; the catalogue has been built (and would be cached) by then
    with monkeypatch.context() as patch:
        patch.setattr(importlib.util, "find_spec",
                      lambda name, *a: None if name == "torch" else real_find_spec(name, *a))
        entry = _entry(client, "sr_neural")
        assert entry["available"] is False and "neural" in entry["unavailable_reason"]
        assert client.post("/v1/jobs", json=body).status_code == 503
        form = client.get("/fragments/form", params={"type": "sr_neural"})
        assert form.status_code == 200 and "install mathdisco[neural]" in form.text
    # then torch "installed": the next requests see it, no restart
    if real_find_spec("torch") is None:
        pytest.skip("torch is not installed here (the neural extra)")
    entry = _entry(client, "sr_neural")
    assert entry["available"] is True and entry["unavailable_reason"] is None
    assert client.post("/v1/jobs", json=body).status_code == 202
    assert "install mathdisco[neural]" not in client.get("/fragments/form", params={"type": "sr_neural"}).text
