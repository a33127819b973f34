"""Every registered job type keeps the engine contract (docs/design.md, "The engine contract")."""

from __future__ import annotations

import inspect

import pytest
from mathdisco.engines import contract
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import ResultModel

TYPES = sorted(job_types())


@pytest.mark.parametrize("name", TYPES)
def test_each_type_declares_its_result_model_view_and_key_params(name: str) -> None:
    job_type = job_types()[name]
    assert job_type.result_model is not None and issubclass(job_type.result_model, ResultModel)
    assert job_type.result_model.model_config.get("extra") == "forbid"
    assert job_type.result_model.model_json_schema()["properties"]
    assert job_type.view is not contract._plain_view, f"{name} declares no view"
    fields = job_type.params_model.model_fields
    assert set(job_type.key_params) <= set(fields), "key params must be params"
    assert job_type.limits.hard_s > job_type.limits.soft_s


@pytest.mark.parametrize("name", TYPES)
def test_job_types_live_in_a_job_module(name: str) -> None:
    module = inspect.getmodule(job_types()[name].params_model).__name__
    package = module.rsplit(".", 1)[0]
    declared_in = inspect.getmodule(job_types()[name].run).__name__
    assert declared_in.startswith(package), (name, module, declared_in)
