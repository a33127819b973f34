"""Every registered job type keeps the engine contract (docs/design.md, "The engine contract")."""

from __future__ import annotations

import importlib
import inspect
import typing

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


@pytest.mark.parametrize("name", TYPES)
def test_each_engine_package_keeps_the_one_layout(name: str) -> None:
    """params.py (params models), results.py (result model and view), job.py (JOB_TYPES)."""
    job_type = job_types()[name]
    package = inspect.getmodule(job_type.run).__name__.rsplit(".", 1)[0]
    if package == "mathdisco.engines":
        pytest.skip("the diagnostic types (engines/diagnostics.py) are one module, not an engine")
    assert inspect.getmodule(job_type.params_model).__name__ == f"{package}.params"
    assert inspect.getmodule(job_type.result_model).__name__ == f"{package}.results"
    assert inspect.getmodule(job_type.view).__name__ == f"{package}.results"
    registered = importlib.import_module(f"{package}.job").JOB_TYPES
    assert job_type in registered


@pytest.mark.parametrize("name", [n for n in TYPES if job_types()[n].discoveries
                                  is not contract._no_discoveries])
def test_discoveries_read_the_result_model(name: str) -> None:
    """``discoveries(params, result)`` is declared on the validated model, not on a raw dict."""
    job_type = job_types()[name]
    hints = typing.get_type_hints(job_type.discoveries)
    assert hints["result"] is job_type.result_model, (name, hints.get("result"))
    assert hints["params"] is job_type.params_model, (name, hints.get("params"))
