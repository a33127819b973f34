"""The neural job types: declarations, result models and views, cost models (``JOB_TYPES``).

* ``psi_exact`` -- :func:`mathdisco.engines.neural.psi_exact.run_psi_exact` (no torch);
* ``psi_intersections`` -- :func:`mathdisco.engines.neural.psi_regression.run_psi_intersections`;
* ``sr_neural`` -- :func:`mathdisco.engines.neural.dysymnet.run_sr_neural`;
* ``operator_learning`` -- :func:`mathdisco.engines.neural.deeponet.run_operator_learning`.

The three torch types are heavy, bounded by their ``time_limit_s`` (the whole
job, torch import included; :class:`mathdisco.engines.neural.training.TimeBudget`), and
declare an estimate: the smaller of the time limit and the work their params
ask for, at the per-step costs measured on the reference 2-core box
(docs/benchmarks.md, "neural"), and the peak memory of torch plus the data.

Example
-------
>>> from mathdisco.engines.neural.params import DySymNetParams
>>> estimate_sr_neural(DySymNetParams(benchmark="nguyen-1", time_limit_s=20)).seconds
20.0
"""

from __future__ import annotations

from functools import cache

from mathdisco.engines.contract import Estimate, JobType, TimeLimits
from mathdisco.engines.discoveries import Discovery, expression_statement, intersection_statement
from mathdisco.engines.neural.deeponet import FINE_PER_SENSOR, run_operator_learning
from mathdisco.engines.neural.dysymnet import run_sr_neural
from mathdisco.engines.neural.params import (
    DySymNetParams,
    OperatorLearningParams,
    PsiExactParams,
    PsiRegressionParams,
)
from mathdisco.engines.neural.psi_exact import all_entries, run_psi_exact
from mathdisco.engines.neural.psi_regression import run_psi_intersections
from mathdisco.engines.neural.results import (
    OperatorLearningResult,
    PsiExactResult,
    PsiIntersectionsResult,
    SrNeuralResult,
    operator_learning_view,
    psi_exact_view,
    psi_intersections_view,
    sr_neural_view,
)

__all__ = ["JOB_TYPES", "estimate_operator_learning", "estimate_psi_intersections", "estimate_sr_neural",
           "psi_discoveries", "sr_neural_discoveries"]

#: resident memory of a process with torch imported and one thread (measured: ~350 MB)
TORCH_BYTES = 400 * 2**20
#: seconds to start: import torch, build the model (measured 1-2 s warm, more when cold)
STARTUP_S = 3.0
#: psi_intersections: seconds per entry and epoch at d_model 32, 2 layers (40 epochs of 3,422 entries: ~40 s)
PSI_ENTRY_EPOCH_S = 3.0e-4
#: sr_neural: seconds per RMSprop step of a symbolic network on 20 points (~1.5 ms), and per clean-up
SR_STEP_S, SR_FINISH_S = 1.5e-3, 1.0
#: operator_learning: seconds per Adam step at the default sizes (8,000 steps: ~21 s)
DEEPONET_STEP_S = 2.6e-3


@cache
def entry_count(chi_max: int) -> int:
    """How many intersection numbers the psi_intersections data set has (χ ≤ chi_max)."""
    return sum(1 for _ in all_entries(chi_max))


def estimate_psi_intersections(params: PsiRegressionParams) -> Estimate:
    entries = entry_count(params.chi_max)
    scale = (params.d_model / 32) ** 2 * params.layers / 2
    work = STARTUP_S + params.epochs * entries * PSI_ENTRY_EPOCH_S * scale
    data = entries * (2_000 + 40 * params.d_model * params.layers)  # features, memo, activations
    return Estimate(seconds=round(min(params.time_limit_s, work), 1), memory_bytes=TORCH_BYTES + data)


def estimate_sr_neural(params: DySymNetParams) -> Estimate:
    rows = len(params.y) if params.y is not None else params.n_points
    step = SR_STEP_S * max(1.0, rows / 100)
    networks = params.controller_steps * params.controller_batch
    work = STARTUP_S + networks * ((params.iterations1 + params.iterations2) * step + SR_FINISH_S)
    return Estimate(seconds=round(min(params.time_limit_s, work), 1), memory_bytes=TORCH_BYTES + 50 * 2**20)


def estimate_operator_learning(params: OperatorLearningParams) -> Estimate:
    functions = params.n_train_functions + params.n_test_functions
    fine = (params.sensors - 1) * FINE_PER_SENSOR * 2 + 1
    size = (params.sensors + params.query_points) * params.width + params.depth * params.width**2
    step = DEEPONET_STEP_S * (params.batch_size / 100) * size / ((100 + 50) * 40 + 2 * 40**2)
    work = STARTUP_S + functions * fine * 2e-7 + params.iterations * step
    data = functions * fine * 8 * 3 + functions * (params.sensors + params.query_points) * 4 * 2
    return Estimate(seconds=round(min(params.time_limit_s, work), 1), memory_bytes=TORCH_BYTES + data)


def warm_up() -> None:
    """Import torch once per worker, not inside the first job's time limit."""
    import torch  # noqa: F401


#: seconds torch's import takes on a cold disk (bench/time_limits.py --estimates)
TORCH_IMPORT_S = 5.0

def psi_discoveries(params: PsiExactParams, result: PsiExactResult) -> list[Discovery]:
    """An intersection number of the right degree (exact, by the DVV recursion)."""
    if not result.dimension_matches:
        return []
    return [Discovery(
        target=f"M_{{{result.genus},{len(result.insertions)}}}",
        text=f"{result.bracket} = {result.value}",
        latex=result.latex,
        statement=intersection_statement(result.genus, result.insertions, result.value),
        evidence={"method": result.method},
    )]


def sr_neural_discoveries(params: DySymNetParams, result: SrNeuralResult) -> list[Discovery]:
    """A formula recovered exactly (sympy equivalence with the benchmark's ground truth)."""
    if not result.recovered or result.best is None:
        return []
    best = result.best
    return [Discovery(
        target=result.benchmark or "data",
        text=f"{result.benchmark}: y = {best.expression}", latex=best.latex,
        statement=expression_statement(result.benchmark or "data", best.expression, result.variables),
        evidence={"recovered": "exact sympy equivalence with the ground truth", "nrmse": best.nrmse},
    )]


PSI_EXACT = JobType(
    "psi_exact", PsiExactParams, run_psi_exact,
    "Exact psi-class intersection number <tau_d1...tau_dn>_g on M_{g,n} (DVV recursion).",
    result_model=PsiExactResult, view=psi_exact_view, discoveries=psi_discoveries,
    limits=TimeLimits(120, 150), key_params=("genus", "insertions"),
)

PSI_INTERSECTIONS = JobType(
    "psi_intersections", PsiRegressionParams, run_psi_intersections,
    "DRA transformer regressing log psi-class intersection numbers; tested on unseen genus "
    "against the large-genus asymptotic, with conformal intervals.",
    result_model=PsiIntersectionsResult, view=psi_intersections_view, estimate=estimate_psi_intersections,
    queue="heavy", limits=TimeLimits(1900, 2000), requires=("torch",), extra="neural",
    key_params=("chi_max", "train_genus_max", "epochs", "time_limit_s"),
    warm_up=warm_up, compile_s=TORCH_IMPORT_S,
)

SR_NEURAL = JobType(
    "sr_neural", DySymNetParams, run_sr_neural,
    "DySymNet symbolic regression: an RNN controller samples symbolic networks, trained, pruned, read off.",
    result_model=SrNeuralResult, view=sr_neural_view, discoveries=sr_neural_discoveries,
    estimate=estimate_sr_neural, queue="heavy", limits=TimeLimits(1900, 2000),
    requires=("torch",), extra="neural", key_params=("benchmark", "x", "y", "variables", "time_limit_s"),
    warm_up=warm_up, compile_s=TORCH_IMPORT_S,
)

OPERATOR_LEARNING = JobType(
    "operator_learning", OperatorLearningParams, run_operator_learning,
    "DeepONet learning the antiderivative or an ODE solution operator from random functions.",
    result_model=OperatorLearningResult, view=operator_learning_view, estimate=estimate_operator_learning,
    queue="heavy", limits=TimeLimits(1900, 2000), requires=("torch",), extra="neural",
    key_params=("operator", "iterations", "time_limit_s"),
    warm_up=warm_up, compile_s=TORCH_IMPORT_S,
)

JOB_TYPES = [PSI_EXACT, PSI_INTERSECTIONS, SR_NEURAL, OPERATOR_LEARNING]
