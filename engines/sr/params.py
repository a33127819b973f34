"""The params of ``sr_mcts`` and ``sr_benchmark``: one data source, bounded search settings.

Every bound is checked here, before a job is queued: rows and variables
(``MAX_ROWS``, ``MAX_VARIABLES``), magnitudes the search's powers can square
(``MAX_MAGNITUDE``), operators whose domain no variable reaches, a target
that is not finite on its domain, units that do not parse, and the suite's
total budget.

Examples
--------
>>> SRParams(benchmark="Nguyen-1").time_limit_s
30.0
>>> sorted(SRBenchmarkParams(benchmarks=["Nguyen-2", "Nguyen-2"]).benchmarks)
['Nguyen-2']
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np
import sympy
from pydantic import Field, field_validator, model_validator

from mathdisco.engines.contract import EngineParams
from mathdisco.engines.sr.benchmarks import BENCHMARKS, NGUYEN, Problem, sympy_to_numpy
from mathdisco.engines.sr.feynman import FEYNMAN, feynman_problems
from mathdisco.engines.sr.operators import validate_operator_names

__all__ = ["MAX_ROWS", "MAX_VARIABLES", "PROBLEM_NAMES", "SRBenchmarkParams", "SRParams",
           "SearchOptions", "problem", "target_samples"]

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
        X, _, Xt, _, _ = target_samples(self, expression, names)
        for values in (X, Xt):
            y = sympy_to_numpy(expression, names)(values)
            if not np.isfinite(y).all():
                raise ValueError(f"target is not finite everywhere on the domain {list(self.domain)} "
                                 "(outside the domain of one of its functions?)")
            if float(np.abs(y).max()) > MAX_MAGNITUDE:
                raise ValueError(f"target exceeds {MAX_MAGNITUDE:g} in magnitude on the domain")


def target_samples(params: SRParams, truth: sympy.Expr, names: list[str]):
    """(X, y, X_test, y_test) of a target on its domain, as the job samples them (seeded)."""
    f = sympy_to_numpy(truth, names)
    rng = np.random.default_rng(params.seed)
    low, high = params.domain
    count = params.n_points or 20
    X = rng.uniform(low, high, (len(names), count))
    Xt = rng.uniform(low, high, (len(names), count))
    return X, np.broadcast_to(f(X), (count,)), Xt, np.broadcast_to(f(Xt), (count,)), rng


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
