"""The result models of the neural job types (docs/design.md, "The engine contract").

Each model states exactly what its run function returns; the runner
validates every result against it and ``GET /v1/job-types`` publishes it as
``result_schema``.  Nested objects are strict too (``extra="forbid"``), except
the shared :class:`mathdisco.engines.results.ParetoPoint`, which allows engine fields and
is extended here with the ones ``sr_neural`` adds.

Example
-------
>>> PsiExactResult.model_validate({
...     "genus": 1, "insertions": [1], "value": "1/24", "numerator": "1", "denominator": "24",
...     "float": 1 / 24, "dimension": 1, "degree": 1, "dimension_matches": True,
...     "bracket": "<tau_1>_1", "latex": r"\\langle \\tau_{1} \\rangle_{1} = \\frac{1}{24}",
...     "method": "DVV", "asymptotic": 1 / 24}).value
'1/24'
"""

from __future__ import annotations

from mathdisco.engines.results import ParetoPoint, ResultModel
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Example",
    "OperatorLearningResult",
    "PsiExactResult",
    "PsiIntersectionsResult",
    "RegressionMetrics",
    "SrNeuralFormula",
    "SrNeuralResult",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- psi_exact

class PsiExactResult(ResultModel):
    genus: int
    insertions: list[int] = Field(..., description="the d_i, sorted")
    value: str = Field(..., description="the intersection number, exact: 'p/q' or an integer")
    numerator: str
    denominator: str
    float: float
    dimension: int = Field(..., description="3g - 3 + n")
    degree: int = Field(..., description="sum of the d_i")
    dimension_matches: bool
    bracket: str = Field(..., description="<tau_d1 ... tau_dn>_g")
    latex: str
    method: str
    note: str | None = Field(None, description="why the value is 0 when the degree does not match")
    asymptotic: float | None = Field(None, description="Aggarwal's large-genus approximation")


# ---------------------------------------------------------------- psi_intersections

class RegressionMetrics(_Strict):
    """Errors of ln-value predictions on one split (only ``count`` when the split is empty)."""

    count: int
    mae_log10: float | None = None
    max_abs_log10: float | None = None
    within_1pct: float | None = None
    within_10pct: float | None = None
    r2_log10: float | None = None


class _Sizes(_Strict):
    train: int
    calibration: int
    id_test: int
    ood_test: int


class _Data(_Strict):
    chi_max: int
    entries: int
    train_genus_max: int
    test_genera: list[int]
    sizes: _Sizes
    labels: str


class _Model(_Strict):
    architecture: str
    activation: str
    target: str
    d_model: int
    layers: int
    heads: int
    parameters: int


class _Splits(_Strict):
    train: RegressionMetrics
    id_test: RegressionMetrics
    ood_test: RegressionMetrics


class _Baseline(_Strict):
    name: str
    metrics: _Splits


class _GenusMetrics(_Strict):
    model: RegressionMetrics
    asymptotic: RegressionMetrics


class _Coverage(_Strict):
    coverage: float | None
    mean_width_log10: float | None
    coverage_by_n: dict[str, float]


class _Conformal(_Strict):
    alpha: float
    calibration: str
    calibration_size: int
    window: int
    id_test: _Coverage
    ood_test: _Coverage


class Example(_Strict):
    """One intersection number with the model's and the asymptotic formula's values."""

    genus: int
    insertions: list[int]
    exact: str
    value: float
    predicted: float
    asymptotic: float
    relative_error: float


class _TrainingRun(ResultModel):
    """What every time-limited training job reports about its run."""

    stopped_early: bool = Field(..., description="training ended before its epochs / iterations")
    stopped_by_time_limit: bool
    time_limit_s: float
    train_seconds: float
    elapsed_s: float = Field(..., description="the whole job, torch import included")
    device: str


class PsiIntersectionsResult(_TrainingRun):
    data: _Data
    model: _Model
    metrics: _Splits
    baseline: _Baseline
    per_genus: dict[str, _GenusMetrics] = Field(..., description="per unseen genus")
    beats_baseline: bool
    verdict: str
    conformal: _Conformal
    loss_history: list[float] = Field(..., description="train L1 per epoch")
    val_history: list[float] = Field(..., description="in-distribution test L1 per epoch")
    loss: str
    epochs_run: int
    predictions: list[Example]
    worst_ood: list[Example]


# ---------------------------------------------------------------- sr_neural

class SrNeuralFormula(ParetoPoint):
    architecture: str = Field(..., description="operators per layer, e.g. 'id,sin | mul'")
    test_nrmse: float | None = Field(None, description="on fresh benchmark data (benchmarks only)")


class _Reward(_Strict):
    step: int
    mean: float
    max: float


class SrNeuralResult(ResultModel):
    benchmark: str | None
    variables: list[str]
    operators: list[str]
    best: SrNeuralFormula | None
    pareto: list[SrNeuralFormula]
    recovered: bool | None = Field(..., description="exact sympy equivalence with the ground truth")
    recovery_check: str | None
    ground_truth: str | None
    ground_truth_latex: str | None
    networks_trained: int
    controller_steps_run: int
    reward_history: list[_Reward]
    loss_history: list[float] = Field(..., description="MSE of the best network, every loss_every steps")
    loss_every: int
    time_s: float = Field(..., description="the whole job, torch import included")
    time_limit_s: float
    stopped_by_time_limit: bool
    n_points: int


# ---------------------------------------------------------------- operator_learning

class _OperatorMetrics(_Strict):
    train_mse: float
    test_mse: float
    test_max_abs_error: float
    test_mean_relative_l2: float


class _Canonical(_Strict):
    input: str
    max_abs_error: float
    mse: float
    x: list[float]
    predicted: list[float]
    reference: list[float]


class _DeepONet(_Strict):
    branch: list[int]
    trunk: list[int]
    parameters: int


class OperatorLearningResult(_TrainingRun):
    operator: str
    metrics: _OperatorMetrics
    canonical: list[_Canonical]
    reference: str
    loss_history: list[float]
    test_history: list[float]
    history_every: int
    history_iterations: list[int] = Field(..., description="the iteration of each history entry")
    iterations_run: int
    model: _DeepONet
