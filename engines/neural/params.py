"""The params of the neural job types, each bounded (docs/design.md, "The engine contract").

``psi_exact`` (:class:`PsiExactParams`), ``psi_intersections``
(:class:`PsiRegressionParams`), ``sr_neural`` (:class:`DySymNetParams`) and
``operator_learning`` (:class:`OperatorLearningParams`); the three torch types
share :class:`NeuralCommonParams` (seed, time limit, threads, device).

Examples
--------
>>> PsiExactParams(genus=1, insertions=[1]).insertions
[1]
>>> DySymNetParams(benchmark="Nguyen-1").benchmark
'nguyen-1'
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mathdisco.engines.contract import EngineParams
from mathdisco.engines.neural.nguyen import NGUYEN
from mathdisco.engines.neural.symbolic_network import OPERATORS

__all__ = ["MAX_CHI", "MAX_GENUS", "MAX_INSERTIONS", "DeviceChoice", "DySymNetParams",
           "NeuralCommonParams", "OperatorLearningParams", "PsiExactParams", "PsiRegressionParams",
           "is_stable"]

DeviceChoice = Literal["auto", "cpu", "cuda"]


class NeuralCommonParams(EngineParams):
    """Fields every neural job shares."""

    seed: int = Field(0, ge=0, le=2**31 - 1, description="random seed (torch, numpy, data)")
    time_limit_s: float = Field(
        120.0, gt=0, le=1800,
        description="wall-clock bound on the whole job, torch import included; training stops early "
                    "to keep it, and the result says so (stopped_by_time_limit)",
    )
    max_threads: int = Field(1, ge=1, le=16, description="torch CPU threads")
    device: DeviceChoice = Field(
        "auto", description="'auto' uses a CUDA GPU when one is present, else the CPU",
    )


# -- psi_exact

MAX_CHI = 32
MAX_GENUS = 16
MAX_INSERTIONS = 20


def is_stable(genus: int, n: int) -> bool:
    """Whether M̄_{g,n} exists: 2g − 2 + n > 0 with g, n ≥ 0."""
    return genus >= 0 and n >= 0 and 2 * genus - 2 + n > 0


class PsiExactParams(EngineParams):
    """Parameters of the ``psi_exact`` job.

    A degree mismatch (Σ d_i ≠ 3g − 3 + n) is answered, not refused: the
    integral of a class of the wrong degree is 0, and the result says why.
    An unstable (g, n) -- no moduli space M̄_{g,n} -- is refused.
    """

    genus: int = Field(..., ge=0, le=MAX_GENUS, description="the genus g")
    insertions: list[int] = Field(
        ..., min_length=1, max_length=MAX_INSERTIONS,
        description="the exponents d_i of ψ_i (any order)",
    )

    @model_validator(mode="after")
    def _check(self) -> PsiExactParams:
        if any(d < 0 for d in self.insertions):
            raise ValueError("insertions (the exponents d_i) must be >= 0")
        n = len(self.insertions)
        if not is_stable(self.genus, n):
            raise ValueError(
                f"M̄_{{g,n}} does not exist for g={self.genus}, n={n}: need 2g - 2 + n > 0"
            )
        chi = 2 * self.genus - 2 + n
        if chi > MAX_CHI:
            raise ValueError(f"2g - 2 + n = {chi} exceeds the bound {MAX_CHI} of this service")
        return self


# -- psi_intersections

class PsiRegressionParams(NeuralCommonParams):
    chi_max: int = Field(14, ge=4, le=20, description="largest 2g - 2 + n in the data set")
    train_genus_max: int = Field(3, ge=1, le=8, description="train on genus <= this")
    test_genera: list[int] | None = Field(
        None, max_length=12,
        description="genera to test on (default: every genus above train_genus_max in the data)",
    )
    target: Literal["residual_asymptotic", "raw"] = Field(
        "residual_asymptotic", description="learn ln(value) - ln(asymptotic), or ln(value) itself",
    )
    activation: Literal["dra", "gelu"] = "dra"
    epochs: int = Field(40, ge=1, le=300)
    batch_size: int = Field(64, ge=8, le=1024)
    d_model: int = Field(32, ge=8, le=128)
    layers: int = Field(2, ge=1, le=4)
    heads: int = Field(4, ge=1, le=8)
    lr: float = Field(2e-3, gt=0, le=0.1)
    holdout_fraction: float = Field(
        0.2, ge=0.05, le=0.5,
        description="fraction of the training genera held out: half calibrates conformal, half is the ID test",
    )
    conformal_alpha: float = Field(0.1, ge=0.01, le=0.5, description="miscoverage level")
    conformal_window: int = Field(2, ge=0, le=10, description="half-width of the window over n")
    calibration: Literal["holdout", "top_genus"] = Field(
        "holdout",
        description="calibrate on a random holdout of all training genera, or on held-out "
                    "entries of the highest training genus only (closer to the unseen genera)",
    )
    n_examples: int = Field(10, ge=0, le=50, description="predictions and worst cases to report")
    time_limit_s: float = Field(120.0, gt=0, le=1800)

    @model_validator(mode="after")
    def _genera(self) -> PsiRegressionParams:
        top = self.chi_max // 2 + 1  # largest genus with n >= 1 at this chi_max
        if self.train_genus_max >= top:
            raise ValueError(f"train_genus_max must be below the largest genus {top} at chi_max={self.chi_max}")
        if self.test_genera is not None:
            bad = [g for g in self.test_genera if not self.train_genus_max < g <= top]
            if bad or not self.test_genera:
                raise ValueError(f"test_genera must be non-empty and in ({self.train_genus_max}, {top}]; got {bad}")
        if self.d_model % self.heads:
            raise ValueError("d_model must be divisible by heads")
        return self


# -- sr_neural

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_RESERVED = {"E", "I", "N", "O", "Q", "S", "pi", "oo", "sin", "cos", "exp", "log", "sqrt"}
MAX_VARIABLES = 5
MAX_ROWS = 1000


class DySymNetParams(NeuralCommonParams):
    benchmark: Literal[tuple(NGUYEN)] | None = Field(  # type: ignore[valid-type]
        None, description="a Nguyen problem (data generated, ground truth known); or give x and y")
    x: list[list[float]] | None = Field(None, max_length=MAX_ROWS, description="rows of input values")
    y: list[float] | None = Field(None, max_length=MAX_ROWS)
    variables: list[str] | None = Field(None, max_length=MAX_VARIABLES)
    n_points: int = Field(20, ge=5, le=MAX_ROWS, description="benchmark data points (Nguyen: 20)")
    operators: list[str] | None = Field(
        None, min_length=1, max_length=len(OPERATORS),
        description=f"operator library from {sorted(OPERATORS)}; default per benchmark, else id,sin,cos,square,mul")
    layer_choices: list[int] = Field([1, 2, 3], min_length=1, max_length=4)
    width_choices: list[int] = Field([2, 3, 4, 5, 6], min_length=1, max_length=8)
    iterations1: int = Field(400, ge=10, le=10_000, description="regularised training steps per network")
    iterations2: int = Field(200, ge=0, le=10_000, description="steps after pruning")
    controller_batch: int = Field(4, ge=1, le=16)
    controller_steps: int = Field(15, ge=1, le=100)
    controller_lr: float = Field(5e-3, gt=0, le=0.1)
    lr: float = Field(1e-2, gt=0, le=0.1, description="RMSprop learning rate of the networks")
    reg_weight: float = Field(5e-3, ge=0, le=1)
    threshold: float = Field(0.05, ge=0, le=1, description="prune weights below this")
    risk_factor: float = Field(0.5, ge=0, lt=1, description="quantile of rewards a sample must beat")
    entropy_weight: float = Field(0.005, ge=0, le=1)
    success_nrmse: float = Field(1e-8, ge=0, le=0.1, description="stop when a formula fits this well")
    time_limit_s: float = Field(60.0, gt=0, le=1800)

    @field_validator("benchmark", mode="before")
    @classmethod
    def _lower(cls, name: object) -> object:
        # sr_mcts spells them "Nguyen-1"; accept both spellings
        return name.lower() if isinstance(name, str) else name

    @field_validator("operators")
    @classmethod
    def _known_ops(cls, ops: list[str] | None) -> list[str] | None:
        if ops is None:
            return None
        unknown = [o for o in ops if o not in OPERATORS]
        if unknown:
            raise ValueError(f"unknown operators {unknown}; known: {sorted(OPERATORS)}")
        return list(dict.fromkeys(ops))

    @field_validator("layer_choices", "width_choices")
    @classmethod
    def _small(cls, values: list[int]) -> list[int]:
        if any(not 1 <= v <= 8 for v in values):
            raise ValueError("layer and width choices must be between 1 and 8")
        return sorted(set(values))

    @model_validator(mode="after")
    def _data(self) -> DySymNetParams:
        if self.benchmark is not None:
            if self.x is not None or self.y is not None:
                raise ValueError("give either benchmark or x and y, not both")
            return self
        if self.x is None or self.y is None:
            raise ValueError("give a benchmark, or data as x (rows) and y")
        if len(self.x) != len(self.y) or len(self.y) < 5:
            raise ValueError("x and y need the same number of rows, at least 5")
        width = len(self.x[0])
        if not 1 <= width <= MAX_VARIABLES or any(len(row) != width for row in self.x):
            raise ValueError(f"every row of x needs the same number (1..{MAX_VARIABLES}) of values")
        if not all(math.isfinite(v) for row in self.x for v in row) or not all(math.isfinite(v) for v in self.y):
            raise ValueError("x and y must be finite numbers")
        if self.variables is not None:
            if len(self.variables) != width:
                raise ValueError("variables must name every column of x")
            bad = [v for v in self.variables if not _NAME.match(v) or v in _RESERVED]
            if bad or len(set(self.variables)) != width:
                raise ValueError(f"variable names must be distinct plain identifiers; bad: {bad}")
        return self


# -- operator_learning

class OperatorLearningParams(NeuralCommonParams):
    operator: Literal["antiderivative", "nonlinear_ode"] = "antiderivative"
    length_scale: float = Field(0.2, ge=0.05, le=2.0, description="GRF kernel length scale")
    sensors: int = Field(100, ge=10, le=200, description="m, the points where u is read")
    n_train_functions: int = Field(1000, ge=10, le=10_000)
    n_test_functions: int = Field(200, ge=10, le=2_000)
    query_points: int = Field(50, ge=5, le=200, description="evaluation points y per function")
    width: int = Field(40, ge=8, le=256, description="hidden width of branch and trunk")
    depth: int = Field(2, ge=1, le=4, description="hidden layers of branch and trunk")
    iterations: int = Field(8000, ge=1, le=50_000)
    batch_size: int = Field(100, ge=8, le=2_000, description="functions per step")
    lr: float = Field(1e-3, gt=0, le=0.1)
    time_limit_s: float = Field(120.0, gt=0, le=1800)
