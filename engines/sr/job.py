"""The ``sr_mcts`` and ``sr_benchmark`` job types (RSRM-style symbolic regression).

``sr_mcts`` searches one data set -- rows given in the params, a named
benchmark generated from its definition and seed (optionally with SRBench's
target noise), or samples of a target expression given in the safe grammar --
with :func:`mathdisco.engines.sr.search.search`, and reports the model chosen by
noise-aware selection (:mod:`mathdisco.engines.sr.selection`: least description length,
idle terms dropped, constants snapped only under an F-test), its train/test
NRMSE, the estimated noise level, the values it snapped, the Pareto front and,
when the truth is known, whether it was recovered exactly (symbolic equality,
:func:`symbolically_equal`).

``time_limit_s`` bounds the whole job by the wall clock, compilation of the
numba kernels included (:func:`mathdisco.engines.sr.kernels.warm_up`; a worker calls
:func:`warm_up` at start); the result states its own ``elapsed_s``, whether
the limit stopped the search (``stopped_by_limit``) and, in ``limited``,
whether it stopped it before the search ran (``{"reason": ...}``, else None).
Every number of the selected model is listed in ``best.constants`` with its
fitted value, confidence interval and the closed form it was recognised as
(:mod:`mathdisco.engines.numerics.identification`, through the selection).

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
import re
import statistics
import time
from typing import Literal

import numpy as np
import sympy
from mathdisco.engines.contract import (
    EngineParams,
    JobType,
    Progress,
    TimeLimits,
    no_progress,
)
from mathdisco.engines.sr.benchmarks import BENCHMARKS, NGUYEN, Problem, sympy_to_numpy
from mathdisco.engines.sr.feynman import FEYNMAN, feynman_problems
from mathdisco.engines.sr.operators import default_operators, validate_operator_names
from mathdisco.engines.sr.report import (
    SRBenchmarkResult,
    SRResult,
    benchmark_view,
    sr_discoveries,
    sr_view,
    symbolically_equal,
)
from pydantic import Field, field_validator, model_validator

__all__ = ["JOB_TYPES", "SRBenchmarkParams", "SRParams", "model_constants", "problem", "run_sr",
           "run_sr_benchmark", "run_sr_mcts", "symbolically_equal", "warm_up"]

MAX_ROWS = 10_000
MAX_VARIABLES = 10
MAX_MAGNITUDE = 1e50
"""The largest |x| or |y| accepted: the search's cubes (its basis's degree) and their squares,
summed over MAX_ROWS rows, stay finite in double precision (1e50**6 * 1e4 < 1.8e308)."""
POSITIVE_DOMAIN = {"log": "positive", "sqrt": "non-negative"}
OPENERS = {"positive": {"mul", "square", "abs", "exp", "cosh", "pow"},
           "[-1, 1]": {"sin", "cos", "tanh"}}
"""Operators that map any real into a restricted domain (x*x >= 0, tanh x in [-1, 1]) ..."""
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
PROBLEM_NAMES = tuple(BENCHMARKS) + FEYNMAN


def problem(name: str) -> Problem:
    """A named benchmark problem (DSO tables or the AI Feynman subset)."""
    if name in BENCHMARKS:
        return BENCHMARKS[name]
    return feynman_problems()[name]


class SearchOptions(EngineParams):
    """Search settings shared by both job types (each bounded)."""

    operators: list[str] | None = Field(
        None, max_length=21,
        description=("operator names; default: the benchmark's function set, else the Koza set "
                     "plus sqrt, sinh, cosh, tanh, abs, atan (and asin when every input lies in "
                     "[-1, 1]), each counted in the complexity like its expansion"))
    constants: bool = Field(True, description="allow fitted constants (the C token)")
    max_constants: int = Field(2, ge=0, le=4)
    policy: Literal["double_q", "uct"] = "double_q"
    simulations: int = Field(40, ge=1, le=1000, description=(
        "MCTS playouts per committed token (RSRM: 100; 40 builds more expressions per second)"))
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
    search_rows: int = Field(500, ge=20, le=MAX_ROWS, description=(
        "rows the search fits on (a random subsample of larger data); the final selection "
        "refits on all rows"))
    patience: int = Field(3, ge=1, le=1000, description=(
        "epochs without a shorter model, on noisy data fitted to the noise, before stopping"))

    @field_validator("operators")
    @classmethod
    def _operators(cls, names: list[str] | None) -> list[str] | None:
        return None if names is None else validate_operator_names(names)


class SRParams(SearchOptions):
    x: list[list[float]] | None = Field(None, max_length=MAX_ROWS, description="rows of inputs")
    y: list[float] | None = Field(None, max_length=MAX_ROWS, description="outputs, one per row")
    variables: list[str] | None = Field(None, max_length=MAX_VARIABLES)
    benchmark: str | None = Field(None, description=f"a named problem: {', '.join(PROBLEM_NAMES)}")
    target: str | None = Field(None, max_length=500,
                               description="an expression to sample (safe grammar)")
    domain: tuple[float, float] = Field((-1.0, 1.0), description="sampling interval for `target`")
    n_points: int | None = Field(None, ge=5, le=MAX_ROWS, description=(
        "samples of `target` (default 20) or of a benchmark (default: its definition's)"))
    noise: float = Field(0.0, ge=0.0, le=1.0, description=(
        "benchmark/target only: Gaussian noise added to the training targets, standard "
        "deviation noise x RMS(y) (SRBench's convention); test targets stay exact"))
    test_fraction: float = Field(0.0, ge=0.0, le=0.5,
                                 description="share of given rows held out as a test set")
    seed: int = Field(0, ge=0, le=2**31 - 1)
    time_limit_s: float = Field(30.0, gt=0, le=3600, description=(
        "wall-clock bound on the whole job, compilation included"))
    pareto_size: int = Field(12, ge=1, le=50)
    units: dict[str, str] | None = Field(None, max_length=MAX_VARIABLES + 1, description=(
        "physical units of the variables and of the target ('y'), e.g. {'m': 'kg', 'v': 'm/s', "
        "'y': 'J'}: dimensionally inconsistent models are refused (engines/sr/units.py)"))

    @field_validator("units")
    @classmethod
    def _units(cls, units: dict[str, str] | None) -> dict[str, str] | None:
        if units is None:
            return None
        from mathdisco.engines.sr.units import parse_unit

        for name, text in units.items():
            if len(text) > 60:
                raise ValueError(f"unit of {name!r} is too long")
            try:
                parse_unit(text)
            except ValueError as error:
                raise ValueError(f"units[{name!r}]: {error}") from None
        return units

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
        if self.benchmark is not None and self.benchmark not in PROBLEM_NAMES:
            raise ValueError(f"unknown benchmark {self.benchmark!r}; known: {sorted(PROBLEM_NAMES)}")
        if self.x is not None or self.y is not None:
            self._check_data()
        if self.target is not None:
            self._check_target()
        if self.units is not None:
            names = (list(problem(self.benchmark).variables) if self.benchmark is not None
                     else self.variables or ([f"x{i}" for i in range(len(self.x[0]))] if self.x else ["x"]))
            unknown = set(self.units) - set(names) - {"y"}
            if unknown:
                raise ValueError(f"units for unknown variables {sorted(unknown)}; variables: {names}")
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
        for name, values in (("x", [v for row in self.x for v in row]), ("y", self.y)):
            if not all(math.isfinite(v) for v in values):
                raise ValueError(f"{name} must be finite numbers (no NaN or infinity)")
            if max(abs(v) for v in values) > MAX_MAGNITUDE:
                raise ValueError(f"{name} has values beyond {MAX_MAGNITUDE:g} in magnitude, where "
                                 "the search's powers overflow; rescale the data")
        if self.operators is not None:
            self._check_domains()
        if self.variables is not None and len(self.variables) != width:
            raise ValueError(f"{len(self.variables)} variable names for rows of {width} values")
        if self.noise:
            raise ValueError("noise is added to benchmark or target samples only, not to given data")

    def _check_domains(self) -> None:
        """Each requested operator with a restricted domain must be usable on the data."""
        names = self.variables or [f"x{i}" for i in range(len(self.x[0]))]
        columns = list(zip(*self.x, strict=True))
        for op in self.operators:
            kind = POSITIVE_DOMAIN.get(op) or ("[-1, 1]" if op == "asin" else None)
            if kind is None:
                continue
            inside = {"positive": lambda v: v > 0, "non-negative": lambda v: v >= 0,
                      "[-1, 1]": lambda v: -1 <= v <= 1}[kind]
            if any(all(inside(v) for v in column) for column in columns):
                continue
            shift = {"add", "sub"} if kind != "[-1, 1]" else {"mul", "div"}
            if self.constants and self.max_constants > 0 and shift & set(self.operators):
                continue  # log(x + C), asin(C*x) reach the domain
            openers = OPENERS["positive" if kind != "[-1, 1]" else kind]
            if openers & set(self.operators):
                continue
            raise ValueError(
                f"operators: {op} needs {kind} arguments, but no variable ({', '.join(names)}) is "
                f"{kind} on every row and no other requested operator can make one")

    def _check_target(self) -> None:
        from mathdisco.engines.numerics.expressions import ExpressionError, parse_expression

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
        X, _, Xt, _, _ = _target_samples(self, expression, names)
        for values in (X, Xt):
            y = sympy_to_numpy(expression, names)(values)
            if not np.isfinite(y).all():
                raise ValueError(f"target is not finite everywhere on the domain {list(self.domain)} "
                                 "(outside the domain of one of its functions?)")
            if float(np.abs(y).max()) > MAX_MAGNITUDE:
                raise ValueError(f"target exceeds {MAX_MAGNITUDE:g} in magnitude on the domain")


def _target_samples(params: SRParams, truth: sympy.Expr, names: list[str]):
    """(X, y, X_test, y_test) of a target on its domain, as the job samples them (seeded)."""
    f = sympy_to_numpy(truth, names)
    rng = np.random.default_rng(params.seed)
    low, high = params.domain
    count = params.n_points or 20
    X = rng.uniform(low, high, (len(names), count))
    Xt = rng.uniform(low, high, (len(names), count))
    return X, np.broadcast_to(f(X), (count,)), Xt, np.broadcast_to(f(Xt), (count,)), rng


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
        X, y, Xt, yt, rng = _target_samples(params, truth, names)
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


def _recovered(expression: sympy.Expr, truth: sympy.Expr, variables: list[str], positive: bool,
               Xt: np.ndarray, yt: np.ndarray) -> bool:
    """Exact recovery: equal to the truth on the (noise-free) test rows, then symbolically."""
    try:
        values = np.broadcast_to(sympy_to_numpy(expression, variables)(Xt), yt.shape)
    except (ValueError, TypeError):
        return False
    if not np.allclose(values, yt, rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(yt).max()))):
        return False
    return symbolically_equal(expression, truth, positive)


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
        recovered = bool(_recovered(outcome.best_expression, truth, names, positive, Xt, yt))
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

    The recognised forms come from :mod:`mathdisco.engines.numerics.identification` through the
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
                            "interval": entry.get("interval"), "recognised": f.text})
            else:
                error = errors[i] if i < len(errors) else math.inf
                out.append({"where": where, "fitted": float(value),
                            "interval": interval_of(value, error), "recognised": None})
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

class SRBenchmarkParams(SearchOptions):
    benchmarks: list[str] = Field(default_factory=lambda: list(NGUYEN), min_length=1, max_length=60)
    seeds: int = Field(10, ge=1, le=100, description="runs per problem (seeds first_seed ...)")
    first_seed: int = Field(0, ge=0, le=2**31 - 200)
    noise: float = Field(0.0, ge=0.0, le=1.0, description="SRBench target noise for every run")
    time_limit_s: float = Field(60.0, gt=0, le=600, description=(
        "per run, compilation included; the job takes at most runs x time_limit_s"))

    @field_validator("benchmarks")
    @classmethod
    def _known(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in PROBLEM_NAMES]
        if unknown:
            raise ValueError(f"unknown benchmarks {unknown}; known: {sorted(PROBLEM_NAMES)}")
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

            result = run_sr_mcts(single, inner)
            runs.append({"problem": name, "seed": seed, "recovered": bool(result["recovered"]),
                         "time_s": round(time.monotonic() - started, 3),
                         "nrmse": result["best"]["train_nrmse"],
                         "test_nrmse": result["best"]["test_nrmse"],
                         "expression": result["best"]["expression"],
                         "latex": result["best"]["latex"],
                         "evaluations": result["evaluations"],
                         "stop_reason": result["stop_reason"]})
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

JOB_TYPES = [
    JobType("sr_mcts", SRParams, run_sr_mcts,
            "Symbolic regression by MCTS + double Q-learning, GP and form discovery (RSRM), "
            "with noise-aware model selection.",
            result_model=SRResult, view=sr_view, discoveries=sr_discoveries,
            limits=TimeLimits(3700, 3800), warm_up=warm_up, compile_s=COMPILE_S),
    JobType("sr_benchmark", SRBenchmarkParams, run_sr_benchmark,
            "Symbolic-regression benchmark suite over seeds: recovery rate and time per problem.",
            result_model=SRBenchmarkResult, view=benchmark_view,
            shards=benchmark_shards, merge=benchmark_merge,
            limits=TimeLimits(36_000, 36_300), warm_up=warm_up, compile_s=COMPILE_S),
]
