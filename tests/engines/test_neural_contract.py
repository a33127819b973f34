"""The neural job types' contracts: real results validate against their result models, views
are well formed, and ``time_limit_s`` bounds the whole job (tested with a fake clock, no timing).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from mathdisco.engines.contract import ResultContractError, no_progress
from mathdisco.engines.registry import job_types
from mathdisco.engines.results import ResultView
from mathdisco.workers.runner import final_result

torch = pytest.importorskip("torch")

from mathdisco.engines.neural import deeponet, dysymnet, psi_regression, training  # noqa: E402
from mathdisco.engines.neural.symbolic_network import Architecture, train_network  # noqa: E402

pytestmark = pytest.mark.neural

TINY = {
    "psi_intersections": {"chi_max": 9, "train_genus_max": 2, "epochs": 4, "d_model": 16, "layers": 1,
                          "heads": 2, "batch_size": 32, "n_examples": 3},
    "sr_neural": {"benchmark": "nguyen-8", "iterations1": 150, "iterations2": 50, "controller_batch": 2,
                  "controller_steps": 2, "time_limit_s": 60},
    "operator_learning": {"n_train_functions": 60, "n_test_functions": 20, "iterations": 60,
                          "batch_size": 20, "width": 16, "sensors": 20, "query_points": 10},
    "psi_exact": {"genus": 2, "insertions": [2, 3]},
}


def run_job(name: str, progress=no_progress, **overrides) -> dict:
    """Run a job type as the runner does: validate, run, finish (provenance, result-model check)."""
    job_type = job_types()[name]
    params = job_type.validate({**TINY[name], **overrides})
    return final_result(job_type, params, job_type.run(params, progress), started=datetime.now(UTC))


class Calls(list):
    def __call__(self, done: int, total: int, message: str = "") -> None:
        self.append((done, total, message))


def assert_reads_finished(calls: Calls, done: int) -> None:
    """The last progress call reads as finished, and its counts are what was done."""
    last_done, last_total, message = calls[-1]
    assert last_done == last_total == done and message.startswith("done")


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {name: run_job(name) for name in TINY}


def _check_view(view: ResultView) -> None:
    for formula in view.formulas:
        assert formula.label and formula.text and formula.latex
        assert "result." not in formula.label and "[" not in formula.label  # a human label, not a JSON path
    for row in view.evidence:
        assert not isinstance(row.value, bool), row  # words ("yes"/"no"), never True/False
    ids = [chart.id for chart in view.charts]
    assert len(ids) == len(set(ids))
    for chart in view.charts:
        for series in chart.series:
            assert len(series.x) == len(series.y), (chart.id, series.label)


@pytest.mark.parametrize("name", list(TINY))
def test_real_results_match_their_models_and_views(results: dict[str, dict], name: str) -> None:
    job_type = job_types()[name]
    result = results[name]
    model = job_type.check_result(result)  # final_result checked it too; this names the model
    assert type(model) is job_type.result_model
    assert result["provenance"]["job_type"] == name
    view = job_type.view(model)
    _check_view(view)
    assert view.formulas and view.evidence
    if name != "psi_exact":
        assert any(chart.y.scale == "log" for chart in view.charts)  # losses and errors span decades
    if job_type.estimate is not None:
        estimate = job_type.estimate(job_type.validate(TINY[name]))
        assert 0 < estimate.seconds <= job_type.validate(TINY[name]).time_limit_s
        assert estimate.memory_bytes > 100 * 2**20


@pytest.mark.parametrize("name", ["psi_intersections", "sr_neural", "operator_learning"])
def test_a_result_off_its_model_fails(results: dict[str, dict], name: str) -> None:
    job_type = job_types()[name]
    broken = {**results[name], "unexpected": 1}
    with pytest.raises(ResultContractError):
        job_type.check_result(broken)
    missing = {k: v for k, v in results[name].items() if k != "stopped_by_time_limit"}
    with pytest.raises(ResultContractError):
        job_type.check_result(missing)


def test_results_say_the_limit_did_not_stop_a_short_job(results: dict[str, dict]) -> None:
    assert results["psi_intersections"]["stopped_by_time_limit"] is False
    assert results["psi_intersections"]["epochs_run"] == 4
    assert results["operator_learning"]["stopped_by_time_limit"] is False
    assert results["operator_learning"]["iterations_run"] == 60
    assert results["psi_intersections"]["limited"] is None and results["operator_learning"]["limited"] is None
    assert results["operator_learning"]["history_iterations"][-1] == 60


# -- time_limit_s, with a fake clock: one second passes at every reading -----------------------

@pytest.fixture
def ticking_clock(monkeypatch: pytest.MonkeyPatch):
    seconds = itertools.count(0.0, 1.0)
    monkeypatch.setattr(training, "CLOCK", lambda: next(seconds))
    return seconds


def test_psi_training_stops_at_the_limit_between_batches(ticking_clock) -> None:
    calls = Calls()
    result = run_job("psi_intersections", calls, epochs=50, time_limit_s=20)
    assert_reads_finished(calls, result["epochs_run"])
    assert "time limit" in calls[-1][2]
    assert result["stopped_by_time_limit"] is True and result["stopped_early"] is True
    assert 0 < result["epochs_run"] < 50
    assert f"after {result['epochs_run']} of 50 epochs" in result["limited"]["reason"]
    assert len(result["loss_history"]) == len(result["val_history"]) == result["epochs_run"]
    # the model was still evaluated against the baseline after the stop
    assert result["metrics"]["ood_test"]["count"] > 0 and result["verdict"]
    # no more than the budget (less its reserve) passed on the clock before training stopped
    assert result["elapsed_s"] <= 20 + 5


def test_operator_training_stops_at_the_limit(ticking_clock) -> None:
    calls = Calls()
    result = run_job("operator_learning", calls, iterations=400, time_limit_s=20)
    assert_reads_finished(calls, result["iterations_run"])
    assert result["stopped_by_time_limit"] is True
    assert 0 < result["iterations_run"] < 400
    assert result["limited"]["reason"].endswith(f"{result['iterations_run']} of 400 iterations")
    assert result["history_iterations"][-1] == result["iterations_run"]
    assert len(result["loss_history"]) == len(result["test_history"]) == len(result["history_iterations"])


def test_sr_search_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    tenths = itertools.count(0.0, 0.1)  # a network's training reads the clock every 10 steps
    monkeypatch.setattr(training, "CLOCK", lambda: next(tenths))
    calls = Calls()
    result = run_job("sr_neural", calls, benchmark="nguyen-5", controller_steps=20, time_limit_s=30,
                     success_nrmse=0)
    assert_reads_finished(calls, result["networks_trained"])
    assert result["stopped_by_time_limit"] is True
    assert 0 < result["networks_trained"] < 40
    assert result["controller_steps_run"] <= 20 and result["pareto"]


def _slow_import(monkeypatch: pytest.MonkeyPatch, module, limit: float) -> None:
    """torch's import (and the warm-up with it) takes the whole limit on the fake clock."""
    real = module.setup_torch
    state = {"now": 0.0}
    monkeypatch.setattr(training, "CLOCK", lambda: state["now"])

    def setup(*args):
        state["now"] += limit
        return real(*args)

    monkeypatch.setattr(module, "setup_torch", setup)


@pytest.mark.parametrize(("name", "module"), [("psi_intersections", psi_regression),
                                              ("operator_learning", deeponet), ("sr_neural", dysymnet)])
def test_the_limit_counts_the_torch_import(monkeypatch: pytest.MonkeyPatch, name: str, module) -> None:
    _slow_import(monkeypatch, module, 15.0)
    result = run_job(name, time_limit_s=15)
    assert result["stopped_by_time_limit"] is True
    assert "time_limit_s = 15 s" in result["limited"]["reason"]  # shown as limited, not succeeded
    if name == "psi_intersections":
        assert result["epochs_run"] == 0 and result["loss_history"] == []
    elif name == "operator_learning":
        assert result["iterations_run"] == 0
    else:
        assert result["networks_trained"] == 0 and result["best"] is None
    _check_view(job_types()[name].view(job_types()[name].check_result(result)))


def test_a_network_in_training_is_abandoned_when_told_to_stop() -> None:
    torch.manual_seed(0)
    x = torch.rand(20, 1)
    calls = itertools.count()
    network = train_network(torch, Architecture.of([["id", "square"]]), x, x[:, 0] ** 2, iterations1=400,
                            iterations2=100, reg_weight=5e-3, threshold=0.05, lr=1e-2, tick=lambda: None,
                            stop=lambda: next(calls) >= 3)
    assert network.stopped is True and network.expression is None
    assert len(network.loss_history) <= 1  # stopped within the first 40 steps
