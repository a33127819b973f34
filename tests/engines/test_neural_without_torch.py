"""The neural package without torch: everything imports, psi_exact runs, the
torch job types say which extra they need, and the data generators are right.

These tests need no torch (CI without the `neural` extra runs them)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import sympy

from mathdisco.engines.neural.deeponet import (
    antiderivative_on_grid,
    ode_on_grid,
)
from mathdisco.engines.neural.dysymnet import is_recovered
from mathdisco.engines.neural.nguyen import NGUYEN
from mathdisco.engines.neural.params import (
    DySymNetParams,
    OperatorLearningParams,
    PsiRegressionParams,
)
from mathdisco.engines.neural.psi_regression import (
    regression_metrics,
    windowed_quantiles,
)
from mathdisco.engines.neural.symbolic_network import evaluate, finish_expression, nrmse


def test_import_and_registry_without_torch():
    """Block torch in a fresh interpreter: the registry loads, psi_exact runs, the
    neural job types report torch missing and name the extra."""
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ImportError("torch blocked for this test")
                return None
        sys.meta_path.insert(0, Block())
        import importlib.util
        importlib.util.find_spec = (lambda f: (lambda name, *a: None if name.split(".")[0] == "torch"
                                               else f(name, *a)))(importlib.util.find_spec)
        from mathdisco.engines.registry import job_types
        types = job_types()
        from mathdisco.engines.neural.params import PsiExactParams
        from mathdisco.engines.neural.psi_exact import run_psi_exact
        assert run_psi_exact(PsiExactParams(genus=2, insertions=[2, 3]))["value"] == "29/5760"
        assert types["psi_exact"].missing_requirements() == []
        for name in ("psi_intersections", "sr_neural", "operator_learning"):
            jt = types[name]
            assert jt.missing_requirements() == ["torch"], name
            assert jt.extra == "neural", name
            jt.validate({})  if name != "sr_neural" else jt.validate({"benchmark": "nguyen-1"})
        assert "torch" not in sys.modules
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("ok")


def test_params_are_bounded_and_validated():
    with pytest.raises(ValueError):
        PsiRegressionParams(chi_max=14, train_genus_max=8)
    with pytest.raises(ValueError):
        PsiRegressionParams(epochs=10_000)
    with pytest.raises(ValueError):
        DySymNetParams()  # no data
    with pytest.raises(ValueError):
        DySymNetParams(x=[[1.0], [2.0]], y=[1.0])
    with pytest.raises(ValueError):
        DySymNetParams(x=[[float(i)] for i in range(6)], y=[0.0] * 6, variables=["__import__"])
    with pytest.raises(ValueError):
        DySymNetParams(benchmark="nguyen-1", operators=["tan"])
    with pytest.raises(ValueError):
        OperatorLearningParams(iterations=10**6)


def test_antiderivative_reference_matches_closed_form():
    grid = np.linspace(0.0, 1.0, (100 - 1) * 20 + 1)
    u = np.stack([np.sin(np.pi * grid), grid * np.sin(2 * np.pi * grid)])
    exact = np.stack([(1 - np.cos(np.pi * grid)) / np.pi,
                      -grid * np.cos(2 * np.pi * grid) / (2 * np.pi) + np.sin(2 * np.pi * grid) / (4 * np.pi**2)])
    assert np.max(np.abs(antiderivative_on_grid(u, grid) - exact)) < 1e-6


def test_ode_reference_matches_tight_rk45():
    from scipy.integrate import solve_ivp

    grid = np.linspace(0.0, 1.0, (100 - 1) * 20 + 1)
    u = np.stack([np.cos(3 * grid), 1 + grid])
    ours = ode_on_grid(u, grid)
    for row, f in zip(ours, [lambda x: np.cos(3 * x), lambda x: 1 + x], strict=True):
        ref = solve_ivp(lambda x, s, f=f: -s**2 + f(x), (0, 1), [0.0], t_eval=grid[::2], rtol=1e-12, atol=1e-14)
        assert np.max(np.abs(row - ref.y[0])) < 1e-9


def test_nguyen_table_matches_definitions():
    x = sympy.Symbol("x0")
    assert sympy.expand(NGUYEN["nguyen-4"].expression - sum(x**k for k in range(1, 7))) == 0
    values = {sympy.Symbol("x0"): np.array([0.5]), sympy.Symbol("x1"): np.array([0.25])}
    assert math.isclose(float(evaluate(NGUYEN["nguyen-11"].expression, values)[0]), 0.5**0.25)
    assert math.isclose(float(evaluate(NGUYEN["nguyen-12"].expression, values)[0]),
                        0.5**4 - 0.5**3 + 0.25**2 / 2 - 0.25)
    assert (NGUYEN["nguyen-7"].low, NGUYEN["nguyen-7"].high) == (0, 2)


def test_recovery_is_exact_equivalence_only():
    x = sympy.Symbol("x0")
    assert is_recovered(x * (x + 1), x**2 + x, [x], nonnegative=False)
    assert is_recovered(sympy.sin(x) * 2 * sympy.cos(x), sympy.sin(2 * x), [x], nonnegative=False)
    assert is_recovered(sympy.log((x + 1) * (x**2 + 1)),
                        sympy.log(x + 1) + sympy.log(x**2 + 1), [x], nonnegative=True)
    assert not is_recovered(sympy.Float(1.0000001) * x, x, [x], nonnegative=False)  # a fit, not a recovery
    assert not is_recovered(x**2, x**2 + x, [x], nonnegative=False)


def test_finish_expression_snaps_and_refits_constants():
    x = sympy.Symbol("x0")
    xs = np.linspace(-1, 1, 20)
    y = xs**3 + xs**2 + xs
    env = {x: xs}
    noisy = (sympy.Float(1.003) * x**3 + sympy.Float(0.9991) * x**2 + sympy.Float(1.0002) * x
             + sympy.Float(0.0004) * x**4)
    found = finish_expression(noisy, env, y)
    assert sympy.expand(found - (x**3 + x**2 + x)) == 0
    assert nrmse(evaluate(found, env), y) < 1e-12


def test_conformal_quantile_is_the_finite_sample_rank():
    cal_n = np.full(19, 3)
    scores = np.arange(1.0, 20.0)
    # ceil((19+1)*0.9) = 18 -> the 18th smallest score
    assert windowed_quantiles(cal_n, scores, np.array([3]), 0.1, 0, min_points=5)[0] == 18.0
    metrics = regression_metrics(np.log(np.array([1.05, 2.0])), np.log(np.array([1.0, 1.0])))
    assert metrics["within_10pct"] == 0.5 and metrics["within_1pct"] == 0.0
    assert math.isclose(metrics["mae_log10"], (math.log10(1.05) + math.log10(2.0)) / 2)
