"""The typed contract: an engine returns its declared result model (or the JSON it validates)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import Field

from mathdisco.engines.contract import EngineParams, JobType, ResultContractError, no_progress
from mathdisco.engines.discoveries import Discovery, identity_statement
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import ResultModel
from mathdisco.workers.runner import execute_job, final_result
from mathdisco.workers.settings import load_settings
from mathdisco.workers.store import JobStore


class Params(EngineParams):
    n: int = Field(3, ge=0, le=10)


class Square(ResultModel):
    square: int


class Other(ResultModel):
    square: int


def _job_type(run) -> JobType[Params, Square]:
    return JobType("square", Params, run, "n squared", result_model=Square)


def test_a_model_result_is_stored_as_its_json_with_provenance() -> None:
    job_type = _job_type(lambda params, progress: Square(square=params.n ** 2))
    params = job_type.validate({"n": 4})
    stored = final_result(job_type, params, job_type.run(params, no_progress))
    assert stored["square"] == 16 and stored["provenance"]["job_type"] == "square"
    assert isinstance(job_type.check_result(stored), Square)


@pytest.mark.parametrize("returned", [Other(square=16), {"square": "sixteen"}, {"cube": 64}])
def test_a_result_that_is_not_the_declared_model_fails(returned) -> None:
    job_type = _job_type(lambda params, progress: returned)
    params = job_type.validate({"n": 4})
    with pytest.raises(ResultContractError):
        final_result(job_type, params, job_type.run(params, no_progress))


def test_the_runner_hands_discoveries_the_validated_model(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job run by a worker: its discoveries read the result model, never the stored dict."""
    seen: list[object] = []

    def found(params: Params, result: Square) -> list[Discovery]:
        seen.append(result)
        return [Discovery(target="n", text=f"{params.n}^2 = {result.square}", latex="n^2",
                          statement=identity_statement(str(params.n ** 2), f"{params.n}**2"))]

    job_type = JobType("square", Params, lambda params, progress: {"square": params.n ** 2},
                       "n squared", result_model=Square, discoveries=found)
    monkeypatch.setitem(job_types(), "square", job_type)
    settings = replace(load_settings(), data_dir=tmp_path, warm_up_types=())
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.db'}")
    job, _ = store.create_job("square", {"n": 5})
    assert execute_job(store, job.id, "test:host:1", settings) == "succeeded"
    (model,) = seen
    assert isinstance(model, Square) and model.square == 25
    assert store.get_job(job.id).result["square"] == 25
    assert [d.text for d in store.job_discoveries(job.id)] == ["5^2 = 25"]
