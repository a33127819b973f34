"""What ``sr_mcts`` and ``sr_benchmark`` return and show: result models and views.

The result models are the contract the runner validates every result against
(docs/design.md, "The engine contract"); the views list the selected model
once with a human label, the other Pareto models each once, the evidence in
words and numbers, and the Pareto front as a chart (integer complexity ticks,
log-scale error axis).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from mathdisco.engines.results import (
    Axis,
    Chart,
    EvidenceRow,
    Limited,
    ParetoPoint,
    ResultModel,
    ResultView,
    Series,
    ShownFormula,
)

__all__ = ["SRBenchmarkResult", "SRResult", "benchmark_view", "sr_view"]


# -- result models ------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SnappedValue(_Strict):
    where: str = Field(..., description="intercept, coefficient k or constant k")
    fitted: float
    snapped: str = Field(..., description="the simple number, sympy syntax")
    p_value: float = Field(..., description="cumulative partial F-test when it was fixed")
    interval: list[float] | None = Field(
        None, min_length=2, max_length=2,
        description="the fitted value's 3-standard-error confidence interval [lo, hi]")
    chance: float | None = Field(None, ge=0, le=1, description=(
        "the chance that a closed form this short lies inside the interval by accident "
        "(engines/numerics/measured.py); None: fixed to make the model identifiable"))


class ModelConstant(_Strict):
    where: str = Field(..., description="intercept, coefficient k or constant k")
    fitted: float = Field(..., description="the value fitted with every number free")
    interval: list[float] | None = Field(..., min_length=2, max_length=2, description=(
        "[lo, hi]: fitted +- 3 standard errors from the fit's Jacobian (None: not identifiable)"))
    recognised: str | None = Field(..., description=(
        "the closed form (engines/numerics/measured.py) that replaced it, sympy syntax; "
        "None: kept as fitted"))
    chance: float | None = Field(None, ge=0, le=1, description=(
        "the chance that a closed form this short lies inside the interval by accident "
        "(engines/numerics/measured.py): of the recognised form, or of consistent_with"))
    consistent_with: str | None = Field(None, description=(
        "kept as fitted: the shortest closed form inside the interval, refused because its "
        "chance of an accidental match is too high (None: no such form)"))


class SRParetoRow(ParetoPoint):
    description_length: float | None = Field(None, description="nats; least is selected")
    selected: bool = False


class SRBest(SRParetoRow):
    train_nrmse: float | None
    test_nrmse: float | None
    srepr: str
    snapped: list[SnappedValue] = Field(default_factory=list)
    free_parameters: int = Field(..., ge=0)
    found_by: str = Field(..., description="the search step that first proposed the model")
    dimensionally_consistent: bool | None = Field(
        None, description="with units: whether the model respects them (None: no units given)")
    constants: list[ModelConstant] = Field(default_factory=list, description=(
        "every number of the model: fitted value, confidence interval, what it was recognised as"))


class NoiseReport(_Strict):
    estimated_std: float | None = Field(..., description="sqrt(RSS / (n - p)) of the selected model")
    relative: float | None = Field(..., description="estimated_std / RMS(y)")
    method: str
    smoother_std: float | None = Field(..., description="model-free estimate (engines/sr/noise.py)")
    smoother_relative: float | None
    smoother_method: str
    added_relative: float = Field(..., description="noise added to benchmark/target samples")


class SelectionReport(_Strict):
    criterion: str
    test: str
    alpha: float
    floor_relative: float
    processed: int = Field(..., ge=0, description="candidate models refitted and judged")


class SRResult(ResultModel):
    best: SRBest
    pareto: list[SRParetoRow]
    units: dict[str, str] | None = Field(None, description="as given")
    recovered: bool | None
    target: str | None
    source: str
    variables: list[str]
    operators: list[str]
    n_train: int
    n_test: int
    seed: int
    epochs: int
    evaluations: int
    elapsed_s: float = Field(..., description="wall seconds of the whole job")
    time_limit_s: float
    stop_reason: str
    stopped_by_limit: bool
    limited: Limited | None = Field(None, description=(
        "set when the time limit stopped the job before it searched (compiling, or before the "
        "first tree-search epoch ended): the result is not a real search's"))
    forms: list[str]
    search_rows: int
    noise: NoiseReport
    selection: SelectionReport


class BenchmarkRun(_Strict):
    problem: str
    seed: int
    recovered: bool
    time_s: float
    nrmse: float | None
    test_nrmse: float | None
    expression: str
    latex: str
    evaluations: int
    stop_reason: str


class BenchmarkProblem(_Strict):
    problem: str
    target: str
    runs: int
    recovered: int
    recovery_rate: float
    median_time_s: float


class SRBenchmarkResult(ResultModel):
    recovery_rate: float
    problems: list[BenchmarkProblem]
    runs: list[BenchmarkRun]
    time_limit_s: float
    noise: float


# -- views --------------------------------------------------------------------------------

def _words(value: bool | None) -> str:
    return "not known (no ground truth)" if value is None else ("yes" if value else "no")


def _pareto_chart(result: SRResult) -> Chart:
    floor = 1e-16
    points = [(r.complexity, max(r.nrmse, floor)) for r in result.pareto if r.nrmse is not None]
    chosen = [(r.complexity, max(r.nrmse, floor)) for r in result.pareto if r.selected and r.nrmse is not None]
    series = [Series(label="Pareto front", x=[p[0] for p in points], y=[p[1] for p in points],
                     style="points")]
    if chosen:
        series.append(Series(label="selected (least description length)", x=[chosen[0][0]],
                             y=[chosen[0][1]], style="points", emphasis=True))
    zeros = sum(1 for r in result.pareto if r.nrmse is not None and r.nrmse < floor)
    note = f"{zeros} model(s) with NRMSE below 1e-16 drawn at 1e-16" if zeros else ""
    return Chart(id="pareto", title="Pareto front: training error against complexity", kind="scatter",
                 x=Axis(label="complexity (sympy nodes)", integer=True, min=0),
                 y=Axis(label="NRMSE (train)", scale="log"), series=series, note=note)


def sr_view(result: SRResult) -> ResultView:
    """The selected model, the other Pareto models, evidence and the Pareto chart."""
    best = result.best
    formulas = [ShownFormula(
        label="Selected model (least description length)", text=f"y = {best.expression}",
        latex=f"y = {best.latex}",
        facts={"train NRMSE": best.train_nrmse, "test NRMSE": best.test_nrmse,
               "complexity": best.complexity, "free parameters": best.free_parameters,
               "snapped values": len(best.snapped), "found by": best.found_by})]
    for row in result.pareto:
        if row.selected or row.expression == best.expression:
            continue
        formulas.append(ShownFormula(label=f"Pareto model, complexity {row.complexity}",
                                     text=f"y = {row.expression}", latex=f"y = {row.latex}",
                                     facts={"train NRMSE": row.nrmse,
                                            "description length (nats)": row.description_length}))
    noise = result.noise
    evidence = [
        EvidenceRow(label="recovered exactly", value=_words(result.recovered)),
        EvidenceRow(label="ground truth", value=result.target or "none (given data)"),
        EvidenceRow(label="stopped because", value=result.stop_reason),
        EvidenceRow(label="stopped by the time or evaluation limit",
                    value="yes" if result.stopped_by_limit else "no"),
        EvidenceRow(label="elapsed seconds (limit)",
                    value=f"{result.elapsed_s:.2f} of {result.time_limit_s:g}"),
        EvidenceRow(label="estimated noise (relative to RMS of y)",
                    value="not estimated" if noise.relative is None else f"{noise.relative:.3g}"),
        EvidenceRow(label="noise added to the samples (relative)", value=noise.added_relative),
        EvidenceRow(label="model selection",
                    value=f"{result.selection.criterion}; {result.selection.test} at alpha "
                          f"{result.selection.alpha:g}"),
        EvidenceRow(label="training rows (searched on)", value=f"{result.n_train} ({result.search_rows})"),
        EvidenceRow(label="test rows", value=result.n_test),
        EvidenceRow(label="candidate fits evaluated", value=result.evaluations),
    ]
    if result.units:
        evidence.append(EvidenceRow(label="dimensionally consistent with the units given",
                                    value=_words(best.dimensionally_consistent)))
    if result.limited is not None:
        evidence.insert(0, EvidenceRow(label="limited", value=result.limited.reason))
    listed = {c.where for c in best.constants}
    for c in best.constants:
        interval = ("no interval (not identifiable)" if c.interval is None
                    else f"[{c.interval[0]:.6g}, {c.interval[1]:.6g}]")
        verdict = f"recognised as {c.recognised}" if c.recognised is not None else "kept as fitted"
        if c.consistent_with is not None:
            verdict += f", consistent with {c.consistent_with}"
        if c.chance is not None:
            verdict += f" (chance of an accidental match {c.chance:.2g})"
        evidence.append(EvidenceRow(label=f"number: {c.where}",
                                    value=f"fitted {c.fitted:.6g}, 3-sigma interval {interval}: {verdict}"))
    for value in best.snapped:
        if value.where not in listed:  # a dropped intercept, a redundant constant fixed
            evidence.append(EvidenceRow(label=f"fixed {value.where}",
                                        value=f"{value.fitted:.6g} -> {value.snapped}"))
    return ResultView(formulas=formulas, evidence=evidence, charts=[_pareto_chart(result)])


def benchmark_view(result: SRBenchmarkResult) -> ResultView:
    """Recovery per problem (chart and one recovered expression each), suite totals as evidence."""
    formulas = []
    for entry in result.problems:
        found = next((r for r in result.runs if r.problem == entry.problem and r.recovered), None)
        if found is not None:
            formulas.append(ShownFormula(label=f"{entry.problem}, recovered (seed {found.seed})",
                                         text=f"y = {found.expression}", latex=f"y = {found.latex}",
                                         facts={"recovered runs": f"{entry.recovered} of {entry.runs}"}))
    names = [p.problem for p in result.problems]
    chart = Chart(id="recovery", title="Exact recovery per problem", kind="bar",
                  x=Axis(label="problem", categories=names),
                  y=Axis(label="recovery rate", min=0, max=1),
                  series=[Series(label="recovery rate", x=list(range(1, len(names) + 1)),
                                 y=[p.recovery_rate for p in result.problems], style="bars")])
    evidence = [EvidenceRow(label="recovery rate", value=f"{result.recovery_rate:.1%}"),
                EvidenceRow(label="runs", value=len(result.runs)),
                EvidenceRow(label="time limit per run (s)", value=result.time_limit_s),
                EvidenceRow(label="noise (relative to RMS of y)", value=result.noise)]
    evidence += [EvidenceRow(label=f"problem {i}: {p.problem}",
                             value=f"{p.recovered}/{p.runs} recovered, median {p.median_time_s:.2f} s")
                 for i, p in enumerate(result.problems, 1)]
    return ResultView(formulas=formulas, evidence=evidence, charts=[chart])
