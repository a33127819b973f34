"""The typed contract: an engine returns its declared result model (or the JSON it validates)."""

from __future__ import annotations

import pytest
from mathdisco.engines.contract import EngineParams, JobType, ResultContractError, no_progress
from mathdisco.engines.results import ResultModel
from mathdisco.workers.runner import final_result
from pydantic import Field


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
