"""What the dashboard (and ``mathdisco run``) shows of each neural result (``JobType.view``).

Formulas carry a human label and their own text and LaTeX; evidence rows are
words and numbers; charts are declared as data (:class:`mathdisco.engines.results.Chart`)
with log scales where values span decades (losses, errors), integer ticks for
steps, genera and complexities.  Nothing here recomputes a result.

Example
-------
>>> from mathdisco.engines.neural.results import PsiExactResult
>>> view = psi_exact_view(PsiExactResult(
...     genus=2, insertions=[2, 3], value="29/5760", numerator="29", denominator="5760",
...     float=29 / 5760, dimension=5, degree=5, dimension_matches=True, bracket="<tau_2 tau_3>_2",
...     latex=r"\\langle \\tau_{2} \\tau_{3} \\rangle_{2} = \\frac{29}{5760}", method="DVV"))
>>> view.formulas[0].label, view.formulas[0].text
('Intersection number on M(2,2)', '<tau_2 tau_3>_2 = 29/5760')
"""

from __future__ import annotations

from mathdisco.engines.neural.results import (
    OperatorLearningResult,
    PsiExactResult,
    PsiIntersectionsResult,
    SrNeuralFormula,
    SrNeuralResult,
)
from mathdisco.engines.results import Axis, Chart, EvidenceRow, ResultView, Series, ShownFormula

__all__ = ["operator_learning_view", "psi_exact_view", "psi_intersections_view", "sr_neural_view"]

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
