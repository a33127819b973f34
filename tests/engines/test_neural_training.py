"""Short training runs of each neural job on tiny CPU budgets (needs the `neural` extra)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy

torch = pytest.importorskip("torch")

from mathdisco.engines.contract import Cancelled  # noqa: E402
from mathdisco.engines.neural.deeponet import run_operator_learning  # noqa: E402
from mathdisco.engines.neural.dysymnet import run_sr_neural  # noqa: E402
from mathdisco.engines.neural.params import (  # noqa: E402
    DySymNetParams,
    OperatorLearningParams,
    PsiRegressionParams,
)
from mathdisco.engines.neural.psi_exact import intersection_number, log_asymptotic  # noqa: E402
from mathdisco.engines.neural.psi_regression import run_psi_intersections  # noqa: E402
from mathdisco.engines.neural.symbolic_network import (  # noqa: E402
    Architecture,
    build_network,
    evaluate,
    read_off,
)

pytestmark = pytest.mark.neural

TINY_PSI = {"chi_max": 9, "train_genus_max": 2, "epochs": 6, "d_model": 16, "layers": 1, "heads": 2,
            "batch_size": 32, "n_examples": 3}


def test_psi_regression_learns_and_reports_baseline():
    params = PsiRegressionParams(**TINY_PSI)
    result = run_psi_intersections(params)
    json.dumps(result, allow_nan=False)  # the service stores strict JSON
    history = result["loss_history"]
    assert len(history) == 6 and history[-1] < history[0]
    # the baseline figures are the asymptotic formula's, recomputed here independently
    ood = [(e["genus"], tuple(e["insertions"])) for e in result["predictions"]]
    for example, (g, ds) in zip(result["predictions"], ood, strict=True):
        exact = intersection_number(g, ds)
        assert example["exact"] == str(exact)
        assert math.isclose(example["asymptotic"], math.exp(log_asymptotic(g, ds)), rel_tol=1e-12)
        assert g > 2
    assert result["data"]["test_genera"] == [3, 4, 5]
    for split in ("id_test", "ood_test"):
        assert 0 <= result["conformal"][split]["coverage"] <= 1
    base = result["baseline"]["metrics"]["ood_test"]["mae_log10"]
    model = result["metrics"]["ood_test"]["mae_log10"]
    assert result["beats_baseline"] == (model < base)
    assert ("lower" in result["verdict"]) == result["beats_baseline"]


def test_psi_regression_is_deterministic():
    a = run_psi_intersections(PsiRegressionParams(**{**TINY_PSI, "epochs": 2}))
    b = run_psi_intersections(PsiRegressionParams(**{**TINY_PSI, "epochs": 2}))
    assert a["loss_history"] == b["loss_history"]
    assert a["metrics"] == b["metrics"]


def test_cancellation_between_steps():
    calls = []

    def progress(done, total, message=""):
        calls.append(done)
        if len(calls) > 3:
            raise Cancelled()

    with pytest.raises(Cancelled):
        run_psi_intersections(PsiRegressionParams(**{**TINY_PSI, "epochs": 50}), progress)


def test_deeponet_antiderivative_improves():
    params = OperatorLearningParams(n_train_functions=200, n_test_functions=50, iterations=400,
                                    batch_size=50, width=32)
    result = run_operator_learning(params)
    json.dumps(result, allow_nan=False)
    tests = result["test_history"]
    assert tests[-1] < tests[0] / 5
    assert result["metrics"]["test_mse"] < 0.01
    names = [c["input"] for c in result["canonical"]]
    assert names == ["x", "sin(pi x)", "sin(2 pi x)", "x sin(2 pi x)"]
    # the reference for x is x^2/2
    ref = result["canonical"][0]
    assert all(math.isclose(r, x * x / 2, abs_tol=1e-6) for x, r in zip(ref["x"], ref["reference"], strict=True))


def test_deeponet_ode_runs():
    params = OperatorLearningParams(operator="nonlinear_ode", n_train_functions=100, n_test_functions=20,
                                    iterations=200, batch_size=50, width=16)
    result = run_operator_learning(params)
    assert result["test_history"][-1] < result["test_history"][0]
    assert all(math.isfinite(c["max_abs_error"]) for c in result["canonical"])


def test_symbolic_network_read_off_matches_forward():
    torch.manual_seed(3)
    arch = Architecture.of([["sin", "mul", "id"], ["square", "cos", "add"]])
    net = build_network(torch, arch, 2)
    net.masks = [torch.ones_like(p) for p in net.parameters_to_prune()]
    x = torch.rand(16, 2) * 2 - 1
    with torch.no_grad():
        forward = net(x).numpy().astype(np.float64)
    expression = read_off(net, arch, 2)
    values = evaluate(expression, {sympy.Symbol("x0"): x[:, 0].double().numpy(),
                                   sympy.Symbol("x1"): x[:, 1].double().numpy()})
    assert np.allclose(values, forward, rtol=1e-4, atol=1e-5)


def test_sr_neural_shape_and_training():
    params = DySymNetParams(benchmark="nguyen-8", iterations1=150, iterations2=50, controller_batch=2,
                            controller_steps=2, time_limit_s=25)
    result = run_sr_neural(params)
    json.dumps(result, allow_nan=False)
    best = result["best"]
    assert set(best) >= {"expression", "latex", "nrmse", "complexity"}
    assert result["ground_truth"] == "sqrt(x)"
    assert isinstance(result["recovered"], bool)
    assert result["loss_history"][-1] < result["loss_history"][0]
    errors = [p["nrmse"] for p in result["pareto"]]
    sizes = [p["complexity"] for p in result["pareto"]]
    assert errors == sorted(errors, reverse=True) and sizes == sorted(sizes)
    assert best["nrmse"] == min(errors)


def test_sr_neural_on_user_data():
    xs = np.linspace(0.1, 2, 20)
    params = DySymNetParams(x=[[float(v)] for v in xs], y=[float(2 * v * v) for v in xs], variables=["t"],
                            operators=["id", "square"], layer_choices=[1], width_choices=[2],
                            iterations1=300, iterations2=100, controller_batch=2, controller_steps=2,
                            time_limit_s=20)
    result = run_sr_neural(params)
    assert result["recovered"] is None and result["ground_truth"] is None
    assert "t" in result["best"]["expression"]
    assert result["best"]["nrmse"] < 0.05


@pytest.mark.slow
def test_psi_default_budget_beats_asymptotic_on_unseen_genus():
    """The acceptance figure (default params, train g <= 3, test g = 4..7): clearly below
    the asymptotic baseline and >= 95% of unseen-genus predictions within 10%."""
    result = run_psi_intersections(PsiRegressionParams())
    assert result["data"]["test_genera"] == [4, 5, 6, 7]
    model = result["metrics"]["ood_test"]
    base = result["baseline"]["metrics"]["ood_test"]
    assert model["mae_log10"] * 3 < base["mae_log10"]
    assert model["within_10pct"] >= 0.95
