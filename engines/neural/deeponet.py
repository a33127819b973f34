"""The ``operator_learning`` job: DeepONet learns a solution operator from random functions.

DeepONet (Lu, Jin, Pang, Zhang, Karniadakis, "Learning nonlinear operators via
DeepONet based on the universal approximation theorem of operators", Nature
Machine Intelligence 3:218, 2021, §2 and the antiderivative example of §3):
a branch net reads the input function u at m fixed sensors, a trunk net reads
the query point y, and G(u)(y) ≈ Σ_k b_k(u) t_k(y) + b_0.

Operators on [0, 1]:

* ``antiderivative``: s(x) = ∫_0^x u(t) dt;
* ``nonlinear_ode``: s'(x) = −s(x)² + u(x), s(0) = 0.

Inputs are samples of a Gaussian random field (squared-exponential kernel,
``length_scale``) drawn on a fine grid that contains the sensors.  Training
and test labels come from that fine grid (cumulative trapezoid for the
integral, classical RK4 for the ODE, both far below the model's error).  The
model is then checked on canonical inputs (x, sin πx, sin 2πx, x·sin 2πx)
against closed-form antiderivatives, and against a tight-tolerance
``scipy.integrate.solve_ivp`` (RK45) for the ODE.
"""

from __future__ import annotations

import math

import numpy as np

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.neural.params import OperatorLearningParams
from mathdisco.engines.neural.training import (
    Ticker,
    TimeBudget,
    optimiser_step,
    rounded,
    setup_torch,
)

FINE_PER_SENSOR = 10  # fine-grid points per sensor interval
MAX_ODE_SOLUTION = 5.0  # inputs whose ODE solution leaves [-5, 5] are redrawn


# ---------------------------------------------------------------- data

def sample_grf(n_functions: int, grid: np.ndarray, length_scale: float,
               rng: np.random.Generator) -> np.ndarray:
    """Samples of a zero-mean GRF with kernel exp(−(x−x')²/(2ℓ²)) on ``grid``, shape [n, len(grid)].

    Drawn on a coarse grid (the kernel is smooth, so its spectrum decays fast)
    and interpolated with cubic splines to the fine grid.
    """
    from scipy.interpolate import CubicSpline

    coarse = np.linspace(grid[0], grid[-1], min(len(grid), max(40, int(8 / length_scale))))
    kernel = np.exp(-((coarse[:, None] - coarse[None, :]) ** 2) / (2 * length_scale**2))
    chol = np.linalg.cholesky(kernel + 1e-10 * np.eye(len(coarse)) * len(coarse))
    values = rng.standard_normal((n_functions, len(coarse))) @ chol.T
    return CubicSpline(coarse, values, axis=1)(grid)


def antiderivative_on_grid(u: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """∫_0^x u by cumulative trapezoid along the last axis."""
    h = np.diff(grid)
    steps = 0.5 * (u[..., 1:] + u[..., :-1]) * h
    return np.concatenate([np.zeros(u.shape[:-1] + (1,)), np.cumsum(steps, axis=-1)], axis=-1)


def ode_on_grid(u: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """s' = −s² + u, s(0) = 0, by RK4 with step 2h using the fine grid's midpoints.

    Returns s on every other fine-grid point (the grid must have an odd length).
    """
    s = np.zeros(u.shape[0])
    out = [s]
    for i in range(0, len(grid) - 2, 2):
        step = grid[i + 2] - grid[i]
        u0, um, u1 = u[:, i], u[:, i + 1], u[:, i + 2]
        k1 = -s**2 + u0
        k2 = -(s + step / 2 * k1) ** 2 + um
        k3 = -(s + step / 2 * k2) ** 2 + um
        k4 = -(s + step * k3) ** 2 + u1
        s = s + step / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(s)
    return np.stack(out, axis=1)


def make_data(params: OperatorLearningParams, n_functions: int, rng: np.random.Generator) -> dict:
    """Sensor values, query grid and exact-to-grid-accuracy labels."""
    fine_n = (params.sensors - 1) * FINE_PER_SENSOR * 2 + 1
    fine = np.linspace(0.0, 1.0, fine_n)
    if params.operator == "antiderivative":
        u = sample_grf(n_functions, fine, params.length_scale, rng)
        s, s_grid = antiderivative_on_grid(u, fine), fine
    else:
        # s' = -s^2 + u blows up in finite time once s is driven far below 0;
        # such inputs leave the operator's domain and are redrawn
        kept_u, kept_s = [], []
        while sum(len(a) for a in kept_u) < n_functions:
            u = sample_grf(n_functions, fine, params.length_scale, rng)
            with np.errstate(over="ignore", invalid="ignore"):
                s = ode_on_grid(u, fine)
            ok = np.all(np.isfinite(s), axis=1) & (np.max(np.abs(s), axis=1) <= MAX_ODE_SOLUTION)
            kept_u.append(u[ok])
            kept_s.append(s[ok])
        u = np.concatenate(kept_u)[:n_functions]
        s = np.concatenate(kept_s)[:n_functions]
        s_grid = fine[::2]
    sensor_u = u[:, :: FINE_PER_SENSOR * 2]
    query = np.linspace(0.0, 1.0, params.query_points)
    labels = np.stack([np.interp(query, s_grid, row) for row in s])
    return {"sensor_u": sensor_u, "query": query, "labels": labels}


def canonical_cases(params: OperatorLearningParams) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(name, u at sensors, query points, reference solution) for the canonical inputs."""
    sensors = np.linspace(0.0, 1.0, params.sensors)
    query = np.linspace(0.0, 1.0, params.query_points)
    pi = math.pi
    inputs = {
        "x": (lambda x: x, lambda x: x**2 / 2),
        "sin(pi x)": (lambda x: np.sin(pi * x), lambda x: (1 - np.cos(pi * x)) / pi),
        "sin(2 pi x)": (lambda x: np.sin(2 * pi * x), lambda x: (1 - np.cos(2 * pi * x)) / (2 * pi)),
        "x sin(2 pi x)": (lambda x: x * np.sin(2 * pi * x),
                          lambda x: -x * np.cos(2 * pi * x) / (2 * pi) + np.sin(2 * pi * x) / (4 * pi**2)),
    }
    cases = []
    for name, (u, integral) in inputs.items():
        if params.operator == "antiderivative":
            reference = integral(query)
        else:
            from scipy.integrate import solve_ivp

            solution = solve_ivp(lambda x, s, u=u: -s**2 + u(x), (0.0, 1.0), [0.0], method="RK45",
                                 t_eval=query, rtol=1e-11, atol=1e-13)
            reference = solution.y[0]
        cases.append((name, u(sensors), query, reference))
    return cases


# ---------------------------------------------------------------- model

def build_model(torch, params: OperatorLearningParams):
    from torch import nn

    def mlp(inputs: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        size = inputs
        for _ in range(params.depth):
            layers += [nn.Linear(size, params.width), nn.Tanh()]
            size = params.width
        layers.append(nn.Linear(size, params.width))
        return nn.Sequential(*layers)

    class DeepONet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.branch = mlp(params.sensors)
            self.trunk = mlp(1)
            self.bias = nn.Parameter(torch.zeros(()))

        def forward(self, sensor_u, query):
            # [F, p] x [Q, p] -> [F, Q]: every function at every query point
            return self.branch(sensor_u) @ torch.tanh(self.trunk(query[:, None])).T + self.bias

    return DeepONet()


def run_operator_learning(params: OperatorLearningParams, progress: Progress = no_progress) -> dict:
    """Generate data, train DeepONet, report test error and canonical predictions."""
    budget = TimeBudget(params.time_limit_s)
    progress(0, params.iterations, "starting torch")
    torch, device = setup_torch(params.seed, params.max_threads, params.device)
    progress(0, params.iterations, "generating random input functions")
    rng = np.random.default_rng(params.seed)
    train = make_data(params, params.n_train_functions, rng)
    test = make_data(params, params.n_test_functions, rng)

    def as_tensor(a):
        return torch.tensor(a, dtype=torch.float32, device=device)

    train_u, train_s = as_tensor(train["sensor_u"]), as_tensor(train["labels"])
    test_u, test_s = as_tensor(test["sensor_u"]), as_tensor(test["labels"])
    query = as_tensor(train["query"])
    model = build_model(torch, params).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=params.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, params.iterations, eta_min=params.lr / 20)
    generator = torch.Generator().manual_seed(params.seed)
    ticker = Ticker(progress, params.iterations)
    loss_history, test_history, recorded_at = [], [], []
    record_every = max(1, params.iterations // 50)
    running, counted = 0.0, 0
    iteration = 0
    train_start = budget.elapsed()
    for step in range(1, params.iterations + 1):
        if budget.training_over():
            break
        iteration = step
        batch = torch.randint(0, params.n_train_functions, (params.batch_size,), generator=generator).to(device)
        loss = torch.mean((model(train_u[batch], query) - train_s[batch]) ** 2)
        running += optimiser_step(optimiser, schedule, loss)
        counted += 1
        if iteration % record_every == 0 or iteration == params.iterations:
            with torch.no_grad():
                test_mse = float(torch.mean((model(test_u, query) - test_s) ** 2))
            loss_history.append(running / counted)
            test_history.append(test_mse)
            recorded_at.append(iteration)
            running, counted = 0.0, 0
            ticker(iteration, f"iteration {iteration}: train MSE {loss_history[-1]:.3g}, "
                              f"test MSE {test_mse:.3g}", force=True)
        else:
            ticker(iteration, f"iteration {iteration}")
    train_seconds = budget.elapsed() - train_start
    if counted:  # the steps since the last record, when the time limit ended the training
        with torch.no_grad():
            test_history.append(float(torch.mean((model(test_u, query) - test_s) ** 2)))
        loss_history.append(running / counted)
        recorded_at.append(iteration)

    with torch.no_grad():
        test_pred = model(test_u, query).cpu().numpy()
        train_mse = float(torch.mean((model(train_u, query) - train_s) ** 2))
    test_err = test_pred - test["labels"]
    scale = np.sqrt(np.mean(test["labels"] ** 2, axis=1))
    canonical = []
    for name, sensor_u, q, reference in canonical_cases(params):
        with torch.no_grad():
            predicted = model(as_tensor(sensor_u[None, :]), as_tensor(q))[0].cpu().numpy()
        canonical.append({"input": name, "max_abs_error": float(np.max(np.abs(predicted - reference))),
                          "mse": float(np.mean((predicted - reference) ** 2)),
                          "x": rounded(q[::5]), "predicted": rounded(predicted[::5]),
                          "reference": rounded(reference[::5])})
    # the last call counts what was done, so "finished" and the counts agree
    progress(iteration, iteration,
             f"done: the time limit stopped training after {iteration} iterations (of {params.iterations})"
             if iteration < params.iterations else f"done: {params.iterations} iterations")
    reference_method = ("cumulative trapezoid on a grid 20x finer than the sensors; closed forms for canonical inputs"
                        if params.operator == "antiderivative" else
                        "RK4 on a grid 10x finer than the sensors; scipy RK45 (rtol 1e-11) for canonical inputs")
    return {
        "operator": params.operator,
        "metrics": {
            "train_mse": train_mse,
            "test_mse": float(np.mean(test_err**2)),
            "test_max_abs_error": float(np.max(np.abs(test_err))),
            "test_mean_relative_l2": float(np.mean(np.sqrt(np.mean(test_err**2, axis=1)) / np.maximum(scale, 1e-12))),
        },
        "canonical": canonical,
        "reference": reference_method,
        "loss_history": rounded(loss_history),
        "test_history": rounded(test_history),
        "history_every": record_every,
        "history_iterations": recorded_at,
        "iterations_run": iteration,
        "stopped_early": iteration < params.iterations,
        "stopped_by_time_limit": budget.stopped_training,
        "limited": budget.limited(iteration, params.iterations, "iterations"),
        "time_limit_s": params.time_limit_s,
        "train_seconds": round(train_seconds, 2),
        "elapsed_s": round(budget.elapsed(), 2),
        "device": str(device),
        "model": {"branch": [params.sensors] + [params.width] * (params.depth + 1),
                  "trunk": [1] + [params.width] * (params.depth + 1),
                  "parameters": int(sum(p.numel() for p in model.parameters()))},
    }
