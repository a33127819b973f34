"""The result models and views of the neural job types (docs/design.md, "The engine contract").

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

from pydantic import BaseModel, ConfigDict, Field

from mathdisco.engines.results import (
    Axis,
    Chart,
    EvidenceRow,
    ParetoPoint,
    ResultModel,
    ResultView,
    Series,
    ShownFormula,
)

__all__ = [
    "Example",
    "operator_learning_view",
    "psi_exact_view",
    "psi_intersections_view",
    "sr_neural_view",
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


# -- views (what the dashboard and ``mathdisco run`` show; nothing here recomputes a result)

ASYMPTOTIC_TEXT = "(6g-5+2n)!! / (24^g g! prod_i (2d_i+1)!!)"
ASYMPTOTIC_LATEX = r"\frac{(6g-5+2n)!!}{24^g\, g!\, \prod_i (2d_i+1)!!}"


def _yes(value: bool | None) -> str:
    return "not applicable" if value is None else ("yes" if value else "no")


def _stopped(stopped: bool, done: int, unit: str) -> EvidenceRow:
    if stopped:
        return EvidenceRow(label="training", value=f"stopped by the time limit after {done} {unit}")
    return EvidenceRow(label="training", value=f"completed ({done} {unit})")


# ---------------------------------------------------------------- psi_exact

def psi_exact_view(result: PsiExactResult) -> ResultView:
    n = len(result.insertions)
    facts: dict[str, str | int | float | bool | None] = {"as a decimal": result.float}
    if result.asymptotic is not None:
        facts["large-genus asymptotic"] = result.asymptotic
    evidence = [EvidenceRow(label="dimension 3g - 3 + n", value=result.dimension),
                EvidenceRow(label="degree (sum of d_i)", value=result.degree),
                EvidenceRow(label="degree matches the dimension", value=_yes(result.dimension_matches)),
                EvidenceRow(label="method", value=result.method)]
    return ResultView(
        formulas=[ShownFormula(label=f"Intersection number on M({result.genus},{n})",
                               text=f"{result.bracket} = {result.value}", latex=result.latex, facts=facts)],
        evidence=evidence, notes=[result.note] if result.note else [])


# ---------------------------------------------------------------- psi_intersections

def psi_intersections_view(result: PsiIntersectionsResult) -> ResultView:
    ood, base = result.metrics.ood_test, result.baseline.metrics.ood_test
    genera = ", ".join(map(str, result.data.test_genera))
    evidence = [
        EvidenceRow(label="verdict", value=result.verdict),
        EvidenceRow(label=f"model MAE of log10 on unseen genera ({genera})", value=ood.mae_log10),
        EvidenceRow(label="asymptotic formula MAE of log10, same entries", value=base.mae_log10),
        EvidenceRow(label="model within 10 % / within 1 %",
                    value=_pair(ood.within_10pct, ood.within_1pct)),
        EvidenceRow(label="asymptotic within 10 % / within 1 %",
                    value=_pair(base.within_10pct, base.within_1pct)),
        EvidenceRow(label=f"conformal coverage in / out of distribution (target {1 - result.conformal.alpha:g})",
                    value=_pair(result.conformal.id_test.coverage, result.conformal.ood_test.coverage)),
        EvidenceRow(label="entries (train / calibration / test / unseen genera)",
                    value=" / ".join(str(v) for v in (result.data.sizes.train, result.data.sizes.calibration,
                                                      result.data.sizes.id_test, result.data.sizes.ood_test))),
        EvidenceRow(label="labels", value=result.data.labels),
        EvidenceRow(label="model", value=f"{result.model.architecture}, {result.model.parameters} parameters"),
        _stopped(result.stopped_by_time_limit, result.epochs_run, "epochs"),
        EvidenceRow(label="training seconds / whole job", value=f"{result.train_seconds} / {result.elapsed_s}"),
    ]
    epochs = list(range(1, len(result.loss_history) + 1))
    charts = [
        Chart(id="training", title="Training curve", kind="line",
              x=Axis(label="epoch", integer=True), y=Axis(label=result.loss, scale="log", log_toggle=True),
              series=[Series(label="train L1", x=epochs, y=result.loss_history, style="line"),
                      Series(label="in-distribution test L1", x=epochs, y=result.val_history, style="line")]),
    ]
    if result.per_genus:
        genus = [int(g) for g in result.per_genus]
        charts.append(Chart(
            id="per-genus", title="Error on each unseen genus", kind="bar",
            x=Axis(label="genus", integer=True), y=Axis(label="MAE of log10", scale="log", log_toggle=True),
            series=[Series(label="model", x=genus, y=[m.model.mae_log10 for m in result.per_genus.values()]),
                    Series(label="asymptotic formula", x=genus, muted=True,
                           y=[m.asymptotic.mae_log10 for m in result.per_genus.values()])]))
    coverage = [(split, result.conformal.id_test if split == "in distribution" else result.conformal.ood_test)
                for split in ("in distribution", "unseen genera")]
    if any(c.coverage_by_n for _, c in coverage):
        charts.append(Chart(
            id="coverage", title="Conformal coverage by number of insertions", kind="line",
            x=Axis(label="n", integer=True), y=Axis(label="coverage", min=0, max=1),
            series=[Series(label=label, x=[int(n) for n in c.coverage_by_n], y=list(c.coverage_by_n.values()),
                           style="points") for label, c in coverage if c.coverage_by_n],
            note=f"target {1 - result.conformal.alpha:g}: the guarantee holds in distribution only"))
    return ResultView(
        formulas=[ShownFormula(label="Baseline: Aggarwal's large-genus asymptotic of <tau_d>_g",
                               text=ASYMPTOTIC_TEXT, latex=ASYMPTOTIC_LATEX,
                               facts={"MAE of log10 on unseen genera": base.mae_log10})],
        evidence=evidence, charts=charts)


def _pair(a: float | None, b: float | None) -> str:
    return " / ".join("n/a" if v is None else f"{v:.3g}" for v in (a, b))


# ---------------------------------------------------------------- sr_neural

def _formula(label: str, formula: SrNeuralFormula) -> ShownFormula:
    facts: dict[str, str | int | float | bool | None] = {"nrmse": formula.nrmse, "complexity": formula.complexity,
                                                          "network": formula.architecture}
    if formula.test_nrmse is not None:
        facts["nrmse on fresh data"] = formula.test_nrmse
    return ShownFormula(label=label, text=formula.expression, latex=formula.latex, facts=facts)


def sr_neural_view(result: SrNeuralResult) -> ResultView:
    formulas = []
    if result.best is not None:
        formulas.append(_formula("Best formula", result.best))
    others = [p for p in result.pareto if result.best is None or p.expression != result.best.expression]
    formulas += [_formula(f"Pareto front: complexity {p.complexity}", p) for p in others]
    if result.ground_truth is not None:
        formulas.append(ShownFormula(label=f"Ground truth of {result.benchmark}", text=result.ground_truth,
                                     latex=result.ground_truth_latex or result.ground_truth))
    evidence = [
        EvidenceRow(label="recovered (exact symbolic equivalence)", value=_yes(result.recovered)),
        _stopped(result.stopped_by_time_limit, result.networks_trained, "networks"),
        EvidenceRow(label="controller steps", value=result.controller_steps_run),
        EvidenceRow(label="operators", value=", ".join(result.operators)),
        EvidenceRow(label="data points", value=result.n_points),
        EvidenceRow(label="seconds (limit)", value=f"{result.time_s} ({result.time_limit_s:g})"),
    ]
    if result.recovery_check:
        evidence.insert(1, EvidenceRow(label="equivalence check", value=result.recovery_check))
    charts = []
    if result.pareto:
        charts.append(Chart(
            id="pareto", title="Pareto front", kind="scatter",
            x=Axis(label="complexity (nodes)", integer=True), y=Axis(label="nrmse", scale="log", log_toggle=True),
            series=[Series(label="formulas", x=[p.complexity for p in result.pareto],
                           y=[p.nrmse for p in result.pareto], style="points")]))
    if result.loss_history:
        steps = [i * result.loss_every for i in range(len(result.loss_history))]
        charts.append(Chart(
            id="loss", title="Training loss of the best network", kind="line",
            x=Axis(label="training step", integer=True), y=Axis(label="MSE", scale="log", log_toggle=True),
            series=[Series(label="MSE", x=steps, y=result.loss_history, style="line")]))
    if result.reward_history:
        steps = [r.step for r in result.reward_history]
        charts.append(Chart(
            id="reward", title="Controller reward 1/(1 + nrmse)", kind="line",
            x=Axis(label="controller step", integer=True), y=Axis(label="reward", min=0, max=1),
            series=[Series(label="best in batch", x=steps, y=[r.max for r in result.reward_history]),
                    Series(label="batch mean", x=steps, y=[r.mean for r in result.reward_history], muted=True)]))
    return ResultView(formulas=formulas, evidence=evidence, charts=charts)


# ---------------------------------------------------------------- operator_learning

OPERATOR_TEXT = {
    "antiderivative": ("s(x) = integral_0^x u(t) dt", r"s(x) = \int_0^x u(t)\,dt"),
    "nonlinear_ode": ("s'(x) = -s(x)^2 + u(x), s(0) = 0", r"s'(x) = -s(x)^2 + u(x),\quad s(0) = 0"),
}


def operator_learning_view(result: OperatorLearningResult) -> ResultView:
    text, latex = OPERATOR_TEXT.get(result.operator, (result.operator, result.operator))
    m = result.metrics
    evidence = [
        EvidenceRow(label="test MSE", value=m.test_mse),
        EvidenceRow(label="test max abs error", value=m.test_max_abs_error),
        EvidenceRow(label="test mean relative L2 error", value=m.test_mean_relative_l2),
        EvidenceRow(label="train MSE", value=m.train_mse),
        EvidenceRow(label="reference solutions", value=result.reference),
        EvidenceRow(label="model", value=f"DeepONet, branch {result.model.branch}, trunk {result.model.trunk}, "
                                         f"{result.model.parameters} parameters"),
        _stopped(result.stopped_by_time_limit, result.iterations_run, "iterations"),
        EvidenceRow(label="training seconds / whole job", value=f"{result.train_seconds} / {result.elapsed_s}"),
    ]
    evidence += [EvidenceRow(label=f"max abs error on u(x) = {c.input}", value=c.max_abs_error)
                 for c in result.canonical]
    charts = [Chart(
        id="training", title="Training curve", kind="line",
        x=Axis(label="iteration", integer=True), y=Axis(label="MSE", scale="log", log_toggle=True),
        series=[Series(label="train MSE", x=result.history_iterations, y=result.loss_history, style="line"),
                Series(label="test MSE", x=result.history_iterations, y=result.test_history, style="line")])]
    for i, case in enumerate(result.canonical):
        charts.append(Chart(
            id=f"canonical-{i}", title=f"u(x) = {case.input}", kind="line",
            x=Axis(label="x", min=0, max=1), y=Axis(label="s(x)"),
            series=[Series(label="reference", x=case.x, y=case.reference, style="line", muted=True),
                    Series(label="DeepONet", x=case.x, y=case.predicted, style="points")]))
    return ResultView(formulas=[ShownFormula(label="Operator learned", text=text, latex=latex)],
                      evidence=evidence, charts=charts)
