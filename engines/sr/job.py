"""The ``sr_mcts`` and ``sr_benchmark`` job types (RSRM-style symbolic regression).

``sr_mcts`` searches one data set -- rows given in the params, a named
benchmark generated from its definition and seed, or samples of a target
expression given in the safe grammar -- with :func:`engines.sr.search.search`
and reports the best expression (sympy text, LaTeX, NRMSE, complexity), its
train/test NRMSE, the Pareto front and, when the truth is known, whether it
was recovered exactly (symbolic equality, :func:`symbolically_equal`).

``sr_benchmark`` runs a suite of named problems over seeds, one shard per
(problem, seed), and reports the exact-recovery rate and the median time per
problem.

Reference: Xu, Liu, Sun, "Reinforcement Symbolic Regression Machine", ICLR
2024 (benchmarks: section 4.1; recovery = symbolic equivalence).

Examples
--------
>>> params = SRParams(benchmark="Nguyen-5", seed=0, time_limit_s=20)
>>> result = run_sr(params)
>>> result["best"]["expression"], result["recovered"]
('sin(x**2)*cos(x) - 1', True)
"""

from __future__ import annotations

import math
import re
import statistics
import time
from typing import Literal

import numpy as np
import sympy
from pydantic import Field, field_validator, model_validator

from engines.contract import EngineParams, JobType, Progress, TimeLimits, no_progress
from engines.discoveries import Discovery, expression_statement
from engines.sr.benchmarks import BENCHMARKS, NGUYEN, sympy_to_numpy
from engines.sr.operators import KOZA, validate_operator_names

MAX_ROWS = 10_000
MAX_VARIABLES = 10
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")


class SearchOptions(EngineParams):
    """Search settings shared by both job types (each bounded)."""

    operators: list[str] | None = Field(
        None, max_length=15,
        description="operator names; default: the benchmark's function set, else the Koza set")
    constants: bool = Field(True, description="allow fitted constants (the C token)")
    max_constants: int = Field(2, ge=0, le=4)
    policy: Literal["double_q", "uct"] = "double_q"
    simulations: int = Field(100, ge=1, le=1000, description="MCTS playouts per committed token")
    max_length: int = Field(20, ge=3, le=40, description="tokens in an MCTS expression")
    max_depth: int = Field(5, ge=2, le=8, description="depth of an MCTS expression")
    gp_population: int = Field(200, ge=10, le=2000)
    gp_generations: int = Field(10, ge=1, le=100)
    epochs: int = Field(10_000, ge=1, le=100_000)
    max_evaluations: int = Field(5_000_000, ge=100, le=50_000_000)
    target_nrmse: float = Field(1e-10, ge=0, le=1, description="stop when the train NRMSE is this small")
    forms: bool = Field(True, description="modulated sub-tree (form) discovery")
    polynomial: bool = Field(True, description=(
        "linear steps: sparse polynomial, FFX basis and mined sub-trees, directly and through "
        "exp/log; off: MCTS + GP + forms only"))

    @field_validator("operators")
    @classmethod
    def _operators(cls, names: list[str] | None) -> list[str] | None:
        return None if names is None else validate_operator_names(names)


class SRParams(SearchOptions):
    x: list[list[float]] | None = Field(None, max_length=MAX_ROWS, description="rows of inputs")
    y: list[float] | None = Field(None, max_length=MAX_ROWS, description="outputs, one per row")
    variables: list[str] | None = Field(None, max_length=MAX_VARIABLES)
    benchmark: str | None = Field(None, description=f"a named problem: {', '.join(BENCHMARKS)}")
    target: str | None = Field(None, max_length=500,
                               description="an expression to sample (safe grammar)")
    domain: tuple[float, float] = Field((-1.0, 1.0), description="sampling interval for `target`")
    n_points: int = Field(20, ge=5, le=MAX_ROWS, description="samples of `target`")
    test_fraction: float = Field(0.0, ge=0.0, le=0.5,
                                 description="share of given rows held out as a test set")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    time_limit_s: float = Field(30.0, gt=0, le=3600)
    pareto_size: int = Field(12, ge=1, le=50)

    @field_validator("variables")
    @classmethod
    def _names(cls, names: list[str] | None) -> list[str] | None:
        if names is None:
            return None
        for name in names:
            if not _IDENTIFIER.match(name):
                raise ValueError(f"variable name {name!r} must be a letter then letters, digits or _")
        if len(set(names)) != len(names):
            raise ValueError("variable names must be distinct")
        return names

    @model_validator(mode="after")
    def _source(self) -> SRParams:
        given = [self.x is not None or self.y is not None, self.benchmark is not None,
                 self.target is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of: data (x and y), benchmark, target")
        if self.benchmark is not None and self.benchmark not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {self.benchmark!r}; known: {sorted(BENCHMARKS)}")
        if self.x is not None or self.y is not None:
            self._check_data()
        if self.target is not None:
            self._check_target()
        return self

    def _check_data(self) -> None:
        if self.x is None or self.y is None:
            raise ValueError("data needs both x (rows) and y")
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)} values")
        if len(self.y) < 5:
            raise ValueError("need at least 5 rows")
        width = len(self.x[0])
        if not 1 <= width <= MAX_VARIABLES:
            raise ValueError(f"each row needs 1 to {MAX_VARIABLES} values")
        if any(len(row) != width for row in self.x):
            raise ValueError("all rows of x must have the same length")
        if not all(math.isfinite(v) for row in self.x for v in row) or \
                not all(math.isfinite(v) for v in self.y):
            raise ValueError("x and y must be finite numbers (no NaN or infinity)")
        if self.variables is not None and len(self.variables) != width:
            raise ValueError(f"{len(self.variables)} variable names for rows of {width} values")

    def _check_target(self) -> None:
        from engines.numerics.expressions import ExpressionError, parse_expression

        names = self.variables or ["x"]
        try:
            expression = parse_expression(self.target, variables=names)
        except ExpressionError as error:
            raise ValueError(f"target: {error}") from None
        unknown = {s.name for s in expression.free_symbols} - set(names)
        if unknown:
            raise ValueError(f"target uses unknown variables {sorted(unknown)}")
        try:
            sympy_to_numpy(expression, names)
        except ValueError as error:
            raise ValueError(f"target cannot be evaluated numerically: {error}") from None
        low, high = self.domain
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError("domain must be two finite numbers, low < high")


def _config(params: SearchOptions, seed: int, time_limit_s: float, operators: tuple[str, ...]):
    from engines.sr.search import SearchConfig

    return SearchConfig(
        operators=operators, constants=params.constants, max_constants=params.max_constants,
        policy=params.policy, simulations=params.simulations, mcts_max_length=params.max_length,
        mcts_max_depth=params.max_depth, gp_population=params.gp_population,
        gp_generations=params.gp_generations, epochs=params.epochs,
        max_evaluations=params.max_evaluations, target_nrmse=params.target_nrmse,
        forms=params.forms, polynomial=params.polynomial, seed=seed, time_limit_s=time_limit_s,
        pareto_size=getattr(params, "pareto_size", 12),
    )


def _data(params: SRParams):
    """(X, y, X_test, y_test, variables, truth sympy or None, positive domain, label)."""
    if params.benchmark is not None:
        problem = BENCHMARKS[params.benchmark]
        X, y = problem.sample(params.seed)
        Xt, yt = problem.sample(params.seed, test=True)
        return (X, y, Xt, yt, list(problem.variables), problem.expression,
                problem.positive_domain, problem.name, problem.operators)
    operators = tuple(params.operators or KOZA)
    if params.target is not None:
        from engines.numerics.expressions import parse_expression

        names = params.variables or ["x"]
        truth = parse_expression(params.target, variables=names)
        f = sympy_to_numpy(truth, names)
        rng = np.random.default_rng(params.seed)
        low, high = params.domain
        X = rng.uniform(low, high, (len(names), params.n_points))
        Xt = rng.uniform(low, high, (len(names), params.n_points))
        y, yt = f(X), f(Xt)
        if not (np.isfinite(y).all() and np.isfinite(yt).all()):
            raise ValueError("target is not finite everywhere on the domain")
        return X, y, Xt, yt, names, truth, low >= 0, params.target, operators
    X = np.ascontiguousarray(np.asarray(params.x, dtype=float).T)
    y = np.asarray(params.y, dtype=float)
    names = params.variables or [f"x{i}" for i in range(X.shape[0])]
    Xt = yt = None
    if params.test_fraction > 0:
        order = np.random.default_rng(params.seed).permutation(len(y))
        n_test = max(1, int(round(params.test_fraction * len(y))))
        test, train = order[:n_test], order[n_test:]
        X, Xt, y, yt = X[:, train], X[:, test], y[train], y[test]
    return X, y, Xt, yt, names, None, bool((X >= 0).all()), "data", operators


def symbolically_equal(found: sympy.Expr, truth: sympy.Expr, positive: bool = False) -> bool:
    """Whether two expressions are identical as functions (sympy simplification of the difference).

    With ``positive`` the variables are taken as positive reals (the benchmark's
    domain), so ``exp(log(x)/2)`` equals ``sqrt(x)``.

    >>> x = sympy.Symbol("x")
    >>> symbolically_equal(x * (x + 1), x**2 + x), symbolically_equal(x**2, x)
    (True, False)
    """
    names = {s.name for s in found.free_symbols | truth.free_symbols}
    table = {n: sympy.Symbol(n, positive=True) if positive else sympy.Symbol(n, real=True) for n in names}
    a = found.xreplace({s: table[s.name] for s in found.free_symbols})
    b = truth.xreplace({s: table[s.name] for s in truth.free_symbols})
    difference = a - b
    if difference == 0 or sympy.expand(difference) == 0:
        return True
    for simplifier in (sympy.simplify, lambda e: sympy.simplify(sympy.expand_log(e, force=positive)),
                       sympy.trigsimp):
        try:
            if simplifier(difference) == 0:
                return True
        except (TypeError, ValueError, RecursionError):
            continue
    return False


def _complexity(expression: sympy.Expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expression))


def _row(expression: sympy.Expr, nrmse: float) -> dict:
    return {"expression": sympy.sstr(expression), "latex": sympy.latex(expression),
            "nrmse": _finite(nrmse), "complexity": _complexity(expression)}


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def run_sr(params: SRParams, progress: Progress | None = None) -> dict:
    """Run one symbolic-regression search; see the module docstring."""
    from engines.sr.search import search

    progress = progress or no_progress
    X, y, Xt, yt, names, truth, positive, label, default_ops = _data(params)
    operators = tuple(params.operators or default_ops)
    outcome = search(X, y, names, _config(params, params.seed, params.time_limit_s, operators),
                     progress, positive=positive)
    best = outcome.best
    test_nrmse = outcome.evaluator.nrmse_on(best, Xt, yt) if Xt is not None else None
    recovered = None
    if truth is not None:
        recovered = bool(best.nrmse <= 1e-6 and symbolically_equal(outcome.best_expression, truth, positive))
    best_row = _row(outcome.best_expression, best.nrmse)
    best_row.update(train_nrmse=_finite(best.nrmse), test_nrmse=_finite(test_nrmse),
                    srepr=sympy.srepr(outcome.best_expression))
    progress(1, 1, f"done: {best_row['expression']}")
    return {
        "best": best_row,
        "pareto": [_row(e, f.nrmse) for f, e in outcome.pareto],
        "recovered": recovered,
        "target": sympy.sstr(truth) if truth is not None else None,
        "source": label,
        "variables": names,
        "operators": list(operators),
        "n_train": int(len(y)),
        "n_test": int(len(yt)) if yt is not None else 0,
        "seed": params.seed,
        "epochs": outcome.epochs,
        "evaluations": outcome.evaluations,
        "elapsed_s": round(outcome.elapsed_s, 3),
        "stop_reason": outcome.stop_reason,
        "forms": outcome.forms,
    }


def sr_discoveries(params: SRParams, result: dict) -> list[Discovery]:
    """An exactly recovered expression, or an exact fit of given data on train and test."""
    best = result["best"]
    exact_fit = (result["recovered"] is None and best["train_nrmse"] is not None
                 and best["train_nrmse"] <= 1e-9 and best["test_nrmse"] is not None
                 and best["test_nrmse"] <= 1e-9)
    if not (result["recovered"] or exact_fit):
        return []
    target = params.benchmark or params.target or "data"
    return [Discovery(
        target=target[:80],
        text=f"y = {best['expression']}", latex=f"y = {best['latex']}",
        statement=expression_statement(target[:80], best["expression"], result["variables"]),
        evidence={"train_nrmse": best["train_nrmse"], "test_nrmse": best["test_nrmse"],
                  "recovered": result["recovered"], "n_train": result["n_train"]},
    )]


# -- the benchmark suite -------------------------------------------------------

class SRBenchmarkParams(SearchOptions):
    benchmarks: list[str] = Field(default_factory=lambda: list(NGUYEN), min_length=1, max_length=40)
    seeds: int = Field(10, ge=1, le=100, description="runs per problem (seeds first_seed ...)")
    first_seed: int = Field(0, ge=0, le=2**31 - 200)
    time_limit_s: float = Field(60.0, gt=0, le=600, description="per run")

    @field_validator("benchmarks")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in BENCHMARKS]
        if unknown:
            raise ValueError(f"unknown benchmarks {unknown}; known: {sorted(BENCHMARKS)}")
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _budget(self) -> SRBenchmarkParams:
        if len(self.benchmarks) * self.seeds * self.time_limit_s > 100_000:
            raise ValueError("benchmarks x seeds x time_limit_s must not exceed 100000 s")
        return self


def _benchmark_runs(params: SRBenchmarkParams, progress: Progress) -> list[dict]:
    runs = []
    total = len(params.benchmarks) * params.seeds
    for i, name in enumerate(params.benchmarks):
        for j in range(params.seeds):
            seed = params.first_seed + j
            done, label = i * params.seeds + j, f"{name} seed {seed}"
            progress(done, total, label)
            single = SRParams(benchmark=name, seed=seed, time_limit_s=params.time_limit_s,
                              **params.model_dump(exclude={"benchmarks", "seeds", "first_seed",
                                                           "time_limit_s"}))
            started = time.monotonic()
            # the run's own progress calls carry cancellation; the counts stay per run
            result = run_sr(single, lambda _d, _t, message="", done=done, label=label:
                            progress(done, total, f"{label}: {message}"))
            runs.append({"problem": name, "seed": seed, "recovered": bool(result["recovered"]),
                         "time_s": round(time.monotonic() - started, 3),
                         "nrmse": result["best"]["train_nrmse"],
                         "expression": result["best"]["expression"],
                         "evaluations": result["evaluations"]})
    progress(total, total, "done")
    return runs


def _summary(params: SRBenchmarkParams, runs: list[dict]) -> dict:
    runs = sorted(runs, key=lambda r: (params.benchmarks.index(r["problem"]), r["seed"]))
    problems = []
    for name in params.benchmarks:
        mine = [r for r in runs if r["problem"] == name]
        if not mine:
            continue
        problems.append({
            "problem": name, "target": sympy.sstr(BENCHMARKS[name].expression), "runs": len(mine),
            "recovered": sum(r["recovered"] for r in mine),
            "recovery_rate": sum(r["recovered"] for r in mine) / len(mine),
            "median_time_s": statistics.median(r["time_s"] for r in mine),
        })
    return {
        "recovery_rate": sum(r["recovered"] for r in runs) / len(runs) if runs else 0.0,
        "problems": problems,
        "runs": runs,
        "time_limit_s": params.time_limit_s,
    }


def run_benchmark(params: SRBenchmarkParams, progress: Progress | None = None) -> dict:
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


JOB_TYPES = [
    JobType("sr_mcts", SRParams, run_sr,
            "Symbolic regression by MCTS + double Q-learning, GP and form discovery (RSRM).",
            discoveries=sr_discoveries, limits=TimeLimits(3700, 3800)),
    JobType("sr_benchmark", SRBenchmarkParams, run_benchmark,
            "Symbolic-regression benchmark suite over seeds: recovery rate and time per problem.",
            shards=benchmark_shards, merge=benchmark_merge,
            limits=TimeLimits(36_000, 36_300)),
]
