"""The ``sr_mcts`` and ``sr_benchmark`` job types (RSRM-style symbolic regression).

``sr_mcts`` searches one data set -- rows given in the params, a named
benchmark generated from its definition and seed (optionally with SRBench's
target noise), or samples of a target expression given in the safe grammar --
with :func:`mathdisco.engines.sr.search.search`, and reports the model chosen by
noise-aware selection (:mod:`mathdisco.engines.sr.selection`: least description length,
idle terms dropped, constants snapped only under an F-test), its train/test
NRMSE, the estimated noise level, the values it snapped, the Pareto front and,
when the truth is known, whether it was recovered exactly (symbolic equality,
:func:`mathdisco.engines.sr.recovery.symbolically_equal`).

``time_limit_s`` bounds the whole job by the wall clock, compilation of the
numba kernels included (:func:`mathdisco.engines.sr.kernels.warm_up`; a worker calls
:func:`warm_up` at start); the result states its own ``elapsed_s``, whether
the limit stopped the search (``stopped_by_limit``) and, in ``limited``,
whether it stopped it before the search ran (``{"reason": ...}``, else None).
Every number of the selected model is listed in ``best.constants`` with its
fitted value, confidence interval and the closed form it was recognised as
(:mod:`mathdisco.engines.numerics.measured`, through the selection).

``sr_benchmark`` runs a suite of named problems over seeds, one shard per
(problem, seed), and reports the exact-recovery rate and the median time per
problem; each run is bounded by ``time_limit_s``.

Reference: Xu, Liu, Sun, "Reinforcement Symbolic Regression Machine", ICLR
2024 (benchmarks: section 4.1; recovery = symbolic equivalence).

Examples
--------
>>> params = SRParams(benchmark="Nguyen-5", seed=0, time_limit_s=20)
>>> result = run_sr_mcts(params)
>>> result["best"]["expression"], result["recovered"]
('sin(x**2)*cos(x) - 1', True)
"""

from __future__ import annotations

import math
import statistics
import time

import numpy as np
import sympy

from mathdisco.engines.contract import JobType, Progress, TimeLimits, no_progress
from mathdisco.engines.discoveries import Discovery, expression_statement
from mathdisco.engines.numerics.measured import plausible_reading
from mathdisco.engines.sr.operators import default_operators
from mathdisco.engines.sr.params import (
    SearchOptions,
    SRBenchmarkParams,
    SRParams,
    problem,
    target_samples,
)
from mathdisco.engines.sr.recovery import is_recovered
from mathdisco.engines.sr.results import SRBenchmarkResult, SRResult, benchmark_view, sr_view

__all__ = ["JOB_TYPES", "discoveries", "model_constants", "run_sr", "run_sr_benchmark",
           "run_sr_mcts", "warm_up"]


def _config(params: SearchOptions, seed: int, time_limit_s: float, operators: tuple[str, ...]):
    from mathdisco.engines.sr.search import SearchConfig

    return SearchConfig(
        operators=operators, constants=params.constants, max_constants=params.max_constants,
        policy=params.policy, simulations=params.simulations, mcts_max_length=params.max_length,
        mcts_max_depth=params.max_depth, gp_population=params.gp_population,
        gp_generations=params.gp_generations, epochs=params.epochs,
        max_evaluations=params.max_evaluations, target_nrmse=params.target_nrmse,
        forms=params.forms, polynomial=params.polynomial, seed=seed, time_limit_s=time_limit_s,
        pareto_size=getattr(params, "pareto_size", 12), patience=params.patience,
    )


def _data(params: SRParams):
    """(X, y, X_test, y_test, variables, truth sympy or None, positive domain, label, operators)."""
    if params.benchmark is not None:
        bench = problem(params.benchmark)
        X, y = bench.sample(params.seed, noise=params.noise, rows=params.n_points)
        Xt, yt = bench.sample(params.seed, test=True, rows=params.n_points)
        return (X, y, Xt, yt, list(bench.variables), bench.expression,
                bench.positive_domain, bench.name, bench.operators)
    if params.target is not None:
        from mathdisco.engines.numerics.expressions import parse_expression

        names = params.variables or ["x"]
        truth = parse_expression(params.target, variables=names)
        low, high = params.domain
        X, y, Xt, yt, rng = target_samples(params, truth, names)
        y, yt = np.array(y, dtype=float), np.array(yt, dtype=float)
        if not (np.isfinite(y).all() and np.isfinite(yt).all()):  # the params model refuses these
            raise ValueError("target is not finite everywhere on the domain")
        if params.noise > 0:
            y = y + rng.normal(0.0, params.noise * float(np.sqrt(np.mean(y**2))), y.shape)
        operators = tuple(params.operators or default_operators(np.hstack([X, Xt])))
        return X, y, Xt, yt, names, truth, low >= 0, params.target, operators
    X = np.ascontiguousarray(np.asarray(params.x, dtype=float).T)
    y = np.asarray(params.y, dtype=float)
    operators = tuple(params.operators or default_operators(X))
    names = params.variables or [f"x{i}" for i in range(X.shape[0])]
    Xt = yt = None
    if params.test_fraction > 0:
        order = np.random.default_rng(params.seed).permutation(len(y))
        n_test = max(1, int(round(params.test_fraction * len(y))))
        test, train = order[:n_test], order[n_test:]
        X, Xt, y, yt = X[:, train], X[:, test], y[train], y[test]
    return X, y, Xt, yt, names, None, bool((X >= 0).all()), "data", operators


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _row(expression: sympy.Expr, nrmse: float, length: float | None = None,
         selected: bool = False) -> dict:
    return {"expression": sympy.sstr(expression), "latex": sympy.latex(expression),
            "nrmse": _finite(nrmse), "complexity": sum(1 for _ in sympy.preorder_traversal(expression)),
            "description_length": _finite(length), "selected": selected}


#: seconds :func:`warm_up` takes on an empty numba cache (bench/time_limits.py --estimates)
COMPILE_S = 12.0
# No estimate: a search runs until its time limit or until it reaches its target, which may
# be at once (Nguyen-1 in 0.2 s of a 10 s limit); ``time_limit_s`` is the bound users set.


def warm_up() -> None:
    """Compile every numba kernel the search uses, on tiny data (fast when numba's cache is warm).

    A worker calls this at start, so that its first ``sr_mcts`` job searches instead of
    spending its time limit compiling (:func:`mathdisco.engines.sr.kernels.warm_up`).
    """
    from mathdisco.engines.sr import kernels

    kernels.warm_up(None)


def _linear_fallback(X: np.ndarray, y: np.ndarray, names: list[str]) -> tuple[sympy.Expr, float]:
    """``b + sum a_i x_i`` by least squares (numpy only), for a job whose time ran out compiling."""
    A = np.column_stack([X.T, np.ones(len(y))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    expression = sympy.Float(float(f"{coef[-1]:.6g}")) + sum(
        sympy.Float(float(f"{c:.6g}")) * sympy.Symbol(v) for c, v in zip(coef[:-1], names, strict=True))
    spread = float(np.std(y)) or 1.0
    return expression, float(np.sqrt(np.mean((A @ coef - y) ** 2))) / spread


def _subsample(X: np.ndarray, y: np.ndarray, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if len(y) <= rows:
        return X, y
    keep = np.sort(np.random.default_rng([seed, 3]).choice(len(y), rows, replace=False))
    return np.ascontiguousarray(X[:, keep]), y[keep]


def run_sr_mcts(params: SRParams, progress: Progress | None = None) -> dict:
    """Run one symbolic-regression search; see the module docstring."""
    from threadpoolctl import threadpool_limits

    started = time.monotonic()
    deadline = started + params.time_limit_s
    progress = progress or no_progress
    with threadpool_limits(1):  # small dense solves: one BLAS thread is faster and fair to others
        result = _run(params, progress, started, deadline)
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    progress(1, 1, f"finished: y = {result['best']['expression']}")
    return result


def _run(params: SRParams, progress: Progress, started: float, deadline: float) -> dict:
    from mathdisco.engines.sr import kernels
    from mathdisco.engines.sr.finalise import predict
    from mathdisco.engines.sr.noise import estimate_noise
    from mathdisco.engines.sr.search import search

    X, y, Xt, yt, names, truth, positive, label, default_ops = _data(params)
    operators = tuple(params.operators or default_ops)
    common = {"target": sympy.sstr(truth) if truth is not None else None, "source": label,
              "variables": names, "operators": list(operators), "n_train": int(len(y)),
              "n_test": int(len(yt)) if yt is not None else 0, "seed": params.seed,
              "time_limit_s": params.time_limit_s}
    progress(0, max(1, int(math.ceil(params.time_limit_s))), "compiling the numba kernels")
    if not kernels.warm_up(deadline - time.monotonic() - 0.2):
        return _unready(X, y, names, common, params.noise)
    X_search, y_search = _subsample(X, y, params.search_rows, params.seed)
    noise = estimate_noise(X_search, y_search, params.seed)
    units = None
    if params.units:
        from mathdisco.engines.sr.units import parse_unit

        units = {name: parse_unit(text) for name, text in params.units.items()}
    outcome = search(X_search, y_search, names,
                     _config(params, params.seed, params.time_limit_s, operators), progress,
                     positive=positive, deadline=deadline, select_on=(X, y), noise=noise, units=units)
    chosen, model = outcome.best, outcome.best.model
    test_nrmse = None
    if Xt is not None:
        prediction = predict(model, outcome.lib, Xt)
        spread = float(np.std(yt)) or 1.0
        test_nrmse = float(np.sqrt(np.mean((prediction - yt) ** 2))) / spread
    recovered = None
    if truth is not None:
        recovered = bool(is_recovered(outcome.best_expression, truth, names, positive, Xt, yt))
    rms = float(np.sqrt(np.mean(y**2))) or 1.0
    residual_std = math.sqrt(model.rss / max(1, len(y) - model.free))
    best = _row(outcome.best_expression, chosen.nrmse, chosen.length, True)
    best.update(train_nrmse=_finite(chosen.nrmse), test_nrmse=_finite(test_nrmse),
                srepr=sympy.srepr(outcome.best_expression), snapped=model.snapped,
                free_parameters=model.free, found_by=model.origin or "search",
                dimensionally_consistent=chosen.consistent,
                constants=model_constants(model, outcome.lib))
    limited = outcome.stop_reason in ("time limit", "evaluation budget")
    before = None
    if limited and outcome.epochs_completed == 0:
        before = {"reason": (f"the {outcome.stop_reason} stopped the search before its first "
                             "tree-search epoch ended: only the linear steps and a partial "
                             "epoch ran")}
    return {
        **common,
        "best": best,
        "pareto": [_row(r.expression, r.nrmse, r.length, r.selected) for r in outcome.pareto],
        "units": params.units,
        "recovered": recovered,
        "epochs": outcome.epochs,
        "evaluations": outcome.evaluations,
        "elapsed_s": 0.0,
        "stop_reason": outcome.stop_reason,
        "stopped_by_limit": limited,
        "limited": before,
        "forms": outcome.forms,
        "search_rows": int(len(y_search)),
        "noise": {"estimated_std": _finite(residual_std), "relative": _finite(residual_std / rms),
                  "method": "residual of the selected model, sqrt(RSS / (n - p))",
                  "smoother_std": _finite(noise.std), "smoother_relative": _finite(noise.relative),
                  "smoother_method": noise.method, "added_relative": params.noise},
        "selection": {"criterion": "least description length (two-part code, nats)",
                      "test": "partial F-test", "alpha": 0.01, "floor_relative": 1e-9,
                      "processed": len(outcome.pareto)},
    }


def model_constants(model, lib) -> list[dict]:
    """Every number of the selected model: where, the fitted value, its confidence interval
    (``Z_WINDOW`` standard errors) and the closed form it was recognised as (None: kept free).

    The recognised forms come from :mod:`mathdisco.engines.numerics.measured` through the
    selection's snapping (:func:`mathdisco.engines.sr.selection.snap`).
    """
    from mathdisco.engines.sr.selection import interval_of

    snapped = {entry["where"]: entry for entry in model.snapped}
    out = []
    groups = (("intercept", [model.intercept], [model.intercept_fixed]),
              ("coefficient", model.coefficients, model.coefficient_fixed),
              ("constant", model.constants, model.constant_fixed))
    for kind, values, fixed in groups:
        errors = model.errors.get("intercept" if kind == "intercept" else kind + "s", [])
        for i, (value, f) in enumerate(zip(values, fixed, strict=True)):
            where = kind if kind == "intercept" else f"{kind} {i + 1}"
            if f is not None:
                entry = snapped.get(where)
                if entry is None or (kind == "intercept" and f.value == 0.0):
                    continue  # a dropped intercept is no number of the law
                out.append({"where": where, "fitted": float(entry["fitted"]),
                            "interval": entry.get("interval"), "recognised": f.text,
                            "chance": entry.get("chance"), "consistent_with": None})
            else:
                error = errors[i] if i < len(errors) else math.inf
                reading = plausible_reading(value, error)
                out.append({"where": where, "fitted": float(value),
                            "interval": interval_of(value, error), "recognised": None,
                            "chance": None if reading is None else reading[1],
                            "consistent_with": None if reading is None else reading[0].text})
    return out


def _unready(X: np.ndarray, y: np.ndarray, names: list[str], common: dict, noise: float) -> dict:
    """The result of a job whose time limit ran out while the kernels compiled."""
    expression, nrmse = _linear_fallback(X, y, names)
    row = _row(expression, nrmse, None, True)
    row.update(train_nrmse=_finite(nrmse), test_nrmse=None, srepr=sympy.srepr(expression),
               snapped=[], free_parameters=len(names) + 1, found_by="least squares (no search)",
               dimensionally_consistent=None, constants=[])
    return {**common, "best": row, "pareto": [row], "units": None,
            "recovered": None if common["target"] is None else False,
            "epochs": 0, "evaluations": 0, "elapsed_s": 0.0,
            "stop_reason": "time limit reached while compiling the numba kernels (a linear fit only)",
            "stopped_by_limit": True,
            "limited": {"reason": ("the time limit ran out while the numba kernels compiled: no "
                                   "search ran, the model is a least-squares line")},
            "forms": [], "search_rows": 0,
            "noise": {"estimated_std": None, "relative": None, "method": "not estimated",
                      "smoother_std": None, "smoother_relative": None, "smoother_method": "not estimated",
                      "added_relative": noise},
            "selection": {"criterion": "least squares (no search ran)", "test": "none", "alpha": 0.01,
                          "floor_relative": 1e-9, "processed": 0}}


run_sr = run_sr_mcts  # the name used before the one-convention rename


# -- the benchmark suite -------------------------------------------------------

def _benchmark_runs(params: SRBenchmarkParams, progress: Progress) -> list[dict]:
    runs = []
    total = len(params.benchmarks) * params.seeds
    for i, name in enumerate(params.benchmarks):
        for j in range(params.seeds):
            seed = params.first_seed + j
            done = i * params.seeds + j
            label = f"run {done + 1} of {total}, {name} seed {seed}"
            progress(done, total, label)
            single = SRParams(benchmark=name, seed=seed, time_limit_s=params.time_limit_s,
                              noise=params.noise,
                              **params.model_dump(exclude={"benchmarks", "seeds", "first_seed",
                                                           "time_limit_s", "noise"}))
            started = time.monotonic()

            def inner(_d: int, _t: int, message: str = "", done: int = done, label: str = label) -> None:
                # the run's own progress calls carry cancellation; the counts stay per run
                if not message.startswith("finished"):
                    progress(done, total, f"{label}: {message}")

            result = SRResult.model_validate(run_sr_mcts(single, inner))
            runs.append({"problem": name, "seed": seed, "recovered": bool(result.recovered),
                         "time_s": round(time.monotonic() - started, 3),
                         "nrmse": result.best.train_nrmse, "test_nrmse": result.best.test_nrmse,
                         "expression": result.best.expression, "latex": result.best.latex,
                         "evaluations": result.evaluations, "stop_reason": result.stop_reason})
    recovered = sum(r["recovered"] for r in runs)
    progress(total, total, f"finished {total} runs: {recovered} recovered exactly")
    return runs


def _summary(params: SRBenchmarkParams, runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: (params.benchmarks.index(r["problem"]), r["seed"]))
    problems = []
    for name in params.benchmarks:
        mine = [r for r in runs if r["problem"] == name]
        if not mine:
            continue
        problems.append({
            "problem": name, "target": sympy.sstr(problem(name).expression), "runs": len(mine),
            "recovered": sum(r["recovered"] for r in mine),
            "recovery_rate": sum(r["recovered"] for r in mine) / len(mine),
            "median_time_s": statistics.median(r["time_s"] for r in mine),
        })
    return {
        "recovery_rate": sum(r["recovered"] for r in runs) / len(runs) if runs else 0.0,
        "problems": problems,
        "runs": runs,
        "time_limit_s": params.time_limit_s,
        "noise": params.noise,
    }


def run_sr_benchmark(params: SRBenchmarkParams, progress: Progress | None = None) -> dict:
    """Run every (problem, seed) here; the same as merging the shards."""
    return _summary(params, _benchmark_runs(params, progress or no_progress))


def benchmark_shards(params: SRBenchmarkParams) -> list[dict]:
    """One shard per (problem, seed)."""
    base = params.model_dump()
    return [{**base, "benchmarks": [name], "seeds": 1, "first_seed": params.first_seed + j}
            for name in params.benchmarks for j in range(params.seeds)]


def benchmark_merge(params: SRBenchmarkParams, results: list[dict]) -> dict:
    """The suite's summary from the shards' results."""
    return _summary(params, [run for result in results for run in result["runs"]])


run_benchmark = run_sr_benchmark


def discoveries(params: SRParams, result: SRResult) -> list[Discovery]:
    """An exactly recovered expression, or an exact fit of given data on train and test."""
    best = result.best
    exact_fit = (result.recovered is None and best.train_nrmse is not None
                 and best.train_nrmse <= 1e-9 and best.test_nrmse is not None
                 and best.test_nrmse <= 1e-9)
    if not (result.recovered or exact_fit):
        return []
    target = params.benchmark or params.target or "data"
    return [Discovery(
        target=target[:80],
        text=f"y = {best.expression}", latex=f"y = {best.latex}",
        statement=expression_statement(target[:80], best.expression, result.variables),
        evidence={"train_nrmse": best.train_nrmse, "test_nrmse": best.test_nrmse,
                  "recovered": result.recovered, "n_train": result.n_train,
                  "noise_added": result.noise.added_relative,
                  "snapped": [s.snapped for s in best.snapped]},
    )]


JOB_TYPES = [
    JobType("sr_mcts", SRParams, run_sr_mcts,
            "Symbolic regression by MCTS + double Q-learning, GP and form discovery (RSRM), "
            "with noise-aware model selection.",
            result_model=SRResult, view=sr_view, discoveries=discoveries,
            limits=TimeLimits(3700, 3800), warm_up=warm_up, compile_s=COMPILE_S),
    JobType("sr_benchmark", SRBenchmarkParams, run_sr_benchmark,
            "Symbolic-regression benchmark suite over seeds: recovery rate and time per problem.",
            result_model=SRBenchmarkResult, view=benchmark_view,
            shards=benchmark_shards, merge=benchmark_merge,
            limits=TimeLimits(36_000, 36_300), warm_up=warm_up, compile_s=COMPILE_S),
]
