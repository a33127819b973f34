"""The ``sr_neural`` job: DySymNet, neural-guided search over symbolic-network structures.

An LSTM controller samples an architecture (number of layers, then for each
layer its width and the operators drawn from a categorical over the library);
each sampled symbolic network is trained, pruned and read off as a formula
(:mod:`mathdisco.engines.neural.symbolic_network`); the fit is the controller's reward
R = 1/(1 + NRMSE), and the controller is updated by the risk-seeking policy
gradient (only samples above the ``risk_factor`` quantile contribute, with an
entropy bonus).

Reference: Li et al., "A Neural-Guided Dynamic Symbolic Network for Exploring
Mathematical Expressions from Data" (ICML 2024), §3.1 (controller), §3.4
(risk-seeking policy gradient, after Petersen et al., DSR, ICLR 2021).

Budgets are CPU-sized (the paper's defaults are days on a CPU), and the search
stops early when a formula fits the data to ``success_nrmse``.  The result has
the shape of ``sr_mcts``: ``best`` = {expression, latex, nrmse, complexity},
``pareto``, and ``recovered`` -- exact sympy equivalence with the ground truth
of a benchmark, never a fit threshold (None when there is no ground truth).
"""

from __future__ import annotations

import math
import re
from typing import Literal

import numpy as np
import sympy
from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.discoveries import Discovery, expression_statement
from mathdisco.engines.neural.nguyen import NGUYEN
from mathdisco.engines.neural.symbolic_network import (
    LOSS_EVERY,
    OPERATORS,
    Architecture,
    complexity,
    evaluate,
    finish_expression,
    nrmse,
    train_network,
)
from mathdisco.engines.neural.training import (
    NeuralCommonParams,
    Ticker,
    TimeBudget,
    rounded,
    setup_torch,
)
from pydantic import Field, field_validator, model_validator

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


# ---------------------------------------------------------------- controller

def build_controller(torch, n_layer_choices: int, n_width_choices: int, n_ops: int, hidden: int = 32):
    """LSTM controller sampling (layers, then per layer: width, operators)."""
    from torch import nn

    class Controller(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cell = nn.LSTMCell(hidden, hidden)
            self.start = nn.Parameter(torch.zeros(1, hidden))
            self.heads = nn.ModuleDict({"layers": nn.Linear(hidden, n_layer_choices),
                                        "width": nn.Linear(hidden, n_width_choices),
                                        "ops": nn.Linear(hidden, n_ops)})
            self.embed = nn.ModuleDict({"layers": nn.Embedding(n_layer_choices, hidden),
                                        "width": nn.Embedding(n_width_choices, hidden),
                                        "ops": nn.Linear(n_ops, hidden)})

        def sample(self, layer_choices, width_choices, ops, generator):
            state = None
            inputs = self.start
            log_prob = torch.zeros(())
            entropy = torch.zeros(())

            def decide(kind, count=1):
                nonlocal state, inputs, log_prob, entropy
                state = self.cell(inputs, state)
                dist = torch.distributions.Categorical(logits=self.heads[kind](state[0])[0])
                picks = torch.multinomial(dist.probs.detach(), count, replacement=True, generator=generator)
                log_prob = log_prob + dist.log_prob(picks).sum()
                entropy = entropy + dist.entropy()
                if kind == "ops":
                    counts = torch.bincount(picks, minlength=len(ops)).float()
                    inputs = self.embed[kind](counts[None, :] / count)
                else:
                    inputs = self.embed[kind](picks[:1])
                return picks.tolist()

            n_layers = layer_choices[decide("layers")[0]]
            layers = []
            for _ in range(n_layers):
                width = width_choices[decide("width")[0]]
                layers.append([ops[i] for i in decide("ops", width)])
            return Architecture.of(layers), log_prob, entropy

    return Controller()


# ---------------------------------------------------------------- data

def make_data(params: DySymNetParams, rng: np.random.Generator) -> dict:
    """Training (and, for benchmarks, fresh test) data with symbols x0, x1, ..."""
    if params.benchmark is not None:
        bench = NGUYEN[params.benchmark]
        symbols = [sympy.Symbol(f"x{i}") for i in range(bench.n_variables)]
        names = ["x", "y"][: bench.n_variables]
        train_x = rng.uniform(bench.low, bench.high, (params.n_points, bench.n_variables))
        test_x = rng.uniform(bench.low, bench.high, (100, bench.n_variables))
        truth = bench.expression
        train_y = evaluate(truth, {s: train_x[:, i] for i, s in enumerate(symbols)})
        test_y = evaluate(truth, {s: test_x[:, i] for i, s in enumerate(symbols)})
        operators = params.operators or list(bench.operators)
        return {"x": train_x, "y": np.broadcast_to(train_y, (len(train_x),)).copy(), "test_x": test_x,
                "test_y": np.broadcast_to(test_y, (len(test_x),)).copy(), "symbols": symbols,
                "names": names, "truth": truth, "operators": operators, "nonnegative": bench.low >= 0}
    train_x = np.array(params.x, dtype=np.float64)
    width = train_x.shape[1]
    return {"x": train_x, "y": np.array(params.y, dtype=np.float64), "test_x": None, "test_y": None,
            "symbols": [sympy.Symbol(f"x{i}") for i in range(width)],
            "names": params.variables or [f"x{i}" for i in range(width)], "truth": None,
            "operators": params.operators or ["id", "sin", "cos", "square", "mul"],
            "nonnegative": bool(np.all(train_x >= 0))}


def is_recovered(found: sympy.Expr, truth: sympy.Expr, symbols, nonnegative: bool,
                 simplify: bool = True) -> bool:
    """Exact symbolic equivalence, with the variables declared positive on a non-negative domain.

    The difference is expanded; when that is not 0 and ``simplify``, it is
    simplified too (at most 80 nodes: simplify on large trees can take minutes).
    """
    if found.atoms(sympy.Float):
        return False
    if nonnegative:
        positive = {s: sympy.Symbol(s.name, positive=True) for s in symbols}
        found, truth = found.xreplace(positive), truth.xreplace(positive)
    difference = found - truth
    if sympy.expand(difference) == 0:
        return True
    if not simplify or complexity(difference) > 80:
        return False
    return sympy.simplify(sympy.expand_log(difference, force=False)) == 0


# ---------------------------------------------------------------- job

#: seconds of clean-up (BFGS, snapping) a read-off formula gets at most
FINISH_BUDGET_S = 4.0


def run_sr_neural(params: DySymNetParams, progress: Progress = no_progress) -> dict:
    """Search architectures with the controller; see the module docstring.

    ``time_limit_s`` bounds the whole job (:class:`TimeBudget`, started before
    torch is imported): a network in training is abandoned when the training
    time is spent, a formula's clean-up gets at most what is left, and the
    result says whether the limit stopped the search (``stopped_by_time_limit``).
    """
    budget = TimeBudget(params.time_limit_s)
    total = params.controller_steps * params.controller_batch
    progress(0, total, "starting torch")  # importing torch can take seconds: cancellable before it
    torch, device = setup_torch(params.seed, params.max_threads, "cpu" if params.device == "auto" else params.device)
    rng = np.random.default_rng(params.seed)
    data = make_data(params, rng)
    symbols, operators = data["symbols"], data["operators"]
    env = {s: data["x"][:, i] for i, s in enumerate(symbols)}
    x = torch.tensor(data["x"], dtype=torch.float32, device=device)
    y = torch.tensor(data["y"], dtype=torch.float32, device=device)
    controller = build_controller(torch, len(params.layer_choices), len(params.width_choices), len(operators))
    optimiser = torch.optim.Adam(controller.parameters(), lr=params.controller_lr)
    generator = torch.Generator().manual_seed(params.seed)
    progress(0, total, "training the first network")
    ticker = Ticker(progress, total)
    candidates: dict[str, dict] = {}
    reward_history: list[dict] = []
    best_losses: list[float] = []
    trained = 0
    stop = solved = False
    for step in range(params.controller_steps):
        log_probs, entropies, rewards = [], [], []
        for _ in range(params.controller_batch):
            if budget.training_over():
                stop = True
                break
            architecture, log_prob, entropy = controller.sample(params.layer_choices, params.width_choices,
                                                                operators, generator)
            network = train_network(
                torch, architecture, x, y, iterations1=params.iterations1, iterations2=params.iterations2,
                reg_weight=params.reg_weight, threshold=params.threshold, lr=params.lr,
                tick=lambda label=f"step {step + 1}: training {architecture.describe()}", done=trained:
                ticker(done, label), stop=budget.training_over)
            if network.stopped:  # the time limit: an unfinished network is no sample
                stop = True
                break
            trained += 1
            error = _score(network, env, data, candidates, ticker, trained, step, budget)
            if math.isfinite(error) and (not best_losses or error <= min(c["nrmse"] for c in candidates.values())):
                best_losses = network.loss_history
            log_probs.append(log_prob)
            entropies.append(entropy)
            rewards.append(1.0 / (1.0 + error) if math.isfinite(error) else 0.0)
            ticker(trained, f"step {step + 1}: {architecture.describe()} nrmse {error:.3g}", force=True)
            if error <= params.success_nrmse:
                stop = solved = True
                break
        if rewards:
            reward_history.append({"step": step + 1, "mean": float(np.mean(rewards)),
                                   "max": float(np.max(rewards))})
            _update_controller(optimiser, params, rewards, log_probs, entropies)
        if stop:
            break
    result = _result(params, data, candidates, reward_history, best_losses, trained, budget)
    if data["truth"] is not None:
        ranked = sorted(candidates.values(), key=lambda c: (c["nrmse"], c["complexity"]))
        simplify = budget.remaining() > 0
        result["recovered"] = bool(ranked) and is_recovered(ranked[0]["expr"], data["truth"], symbols,
                                                            data["nonnegative"], simplify=simplify)
        result["recovery_check"] = ("sympy expand, then simplify" if simplify
                                    else "sympy expand only (no time left to simplify)")
    result["time_s"] = round(budget.elapsed(), 2)
    # the counts of the last call are what was done, so "finished" and the counts agree
    if solved:
        progress(trained, trained, f"done: a formula fits to nrmse <= {params.success_nrmse:g} "
                                   f"after {trained} networks (of {total} allowed)")
    elif budget.stopped_training:
        progress(trained, trained, f"done: the time limit stopped the search after {trained} networks "
                                   f"(of {total} allowed)")
    else:
        progress(total, total, f"done: {trained} networks trained")
    return result


def _score(network, env: dict, data: dict, candidates: dict[str, dict], ticker: Ticker, trained: int,
           step: int, budget: TimeBudget) -> float:
    """Clean up the network's formula (within the budget), record it as a candidate; its nrmse."""
    if network.expression is None:
        return math.inf
    try:
        expression = finish_expression(
            network.expression, env, data["y"], budget_s=min(FINISH_BUDGET_S, max(0.0, budget.training_left())),
            tick=lambda label=f"step {step + 1}: simplifying", done=trained: ticker(done, label))
        error = nrmse(evaluate(expression, env), data["y"])
    except ValueError:  # sympy rewrote it outside the evaluator's vocabulary (re, im, ...)
        return math.inf
    if math.isfinite(error):
        key = sympy.srepr(expression)
        if key not in candidates or candidates[key]["nrmse"] > error:
            candidates[key] = {"expr": expression, "nrmse": error, "complexity": complexity(expression),
                               "architecture": network.architecture.describe()}
    return error


def _update_controller(optimiser, params: DySymNetParams, rewards: list[float], log_probs: list,
                       entropies: list) -> None:
    """The risk-seeking policy gradient step (DySymNet §3.4): samples above the quantile count."""
    cutoff = float(np.quantile(np.array(rewards), params.risk_factor))
    keep = [i for i, r in enumerate(rewards) if r >= cutoff]
    loss = -sum((rewards[i] - cutoff) * log_probs[i] + params.entropy_weight * entropies[i]
                for i in keep) / len(keep)
    optimiser.zero_grad()
    loss.backward()
    optimiser.step()


def _result(params: DySymNetParams, data: dict, candidates: dict[str, dict], reward_history: list[dict],
            best_losses: list[float], trained: int, budget: TimeBudget) -> dict:
    rename = {s: sympy.Symbol(n) for s, n in zip(data["symbols"], data["names"], strict=True)}
    ranked = sorted(candidates.values(), key=lambda c: (c["nrmse"], c["complexity"]))
    pareto, best_error = [], math.inf
    for c in sorted(candidates.values(), key=lambda c: (c["complexity"], c["nrmse"])):
        if c["nrmse"] < best_error:
            pareto.append(c)
            best_error = c["nrmse"]
    return {
        "benchmark": params.benchmark,
        "variables": data["names"],
        "operators": data["operators"],
        "best": _formula(ranked[0], rename, data) if ranked else None,
        "pareto": [_formula(c, rename, data) for c in pareto],
        "recovered": None,
        "recovery_check": None,
        "ground_truth": sympy.sstr(data["truth"].xreplace(rename)) if data["truth"] is not None else None,
        "ground_truth_latex": sympy.latex(data["truth"].xreplace(rename)) if data["truth"] is not None else None,
        "networks_trained": trained,
        "controller_steps_run": len(reward_history),
        "reward_history": reward_history,
        "loss_history": rounded(best_losses),
        "loss_every": LOSS_EVERY,
        "time_s": round(budget.elapsed(), 2),
        "time_limit_s": params.time_limit_s,
        "stopped_by_time_limit": budget.stopped_training,
        "limited": (budget.limited(len(reward_history), params.controller_steps, "controller steps")
                    if ranked or not budget.stopped_training
                    else {"reason": f"time_limit_s = {params.time_limit_s:g} s ran out "
                                    "before any network was trained to a formula"}),
        "n_points": int(len(data["y"])),
    }


def _formula(candidate: dict, rename: dict, data: dict) -> dict:
    expression = candidate["expr"].xreplace(rename)
    out = {"expression": sympy.sstr(expression), "latex": sympy.latex(expression),
           "nrmse": float(candidate["nrmse"]), "complexity": int(candidate["complexity"]),
           "architecture": candidate["architecture"]}
    if data["test_x"] is not None:
        env = {s: data["test_x"][:, i] for i, s in enumerate(data["symbols"])}
        try:
            test_error = nrmse(evaluate(candidate["expr"], env), data["test_y"])
        except ValueError:
            test_error = math.inf
        out["test_nrmse"] = test_error if math.isfinite(test_error) else None  # strict JSON has no inf
    return out


def sr_discoveries(params: DySymNetParams, result: dict) -> list[Discovery]:
    if not result.get("recovered"):
        return []
    best = result["best"]
    return [Discovery(
        target=result["benchmark"] or "data",
        text=f"{result['benchmark']}: y = {best['expression']}", latex=best["latex"],
        statement=expression_statement(result["benchmark"] or "data", best["expression"],
                                       result["variables"]),
        evidence={"recovered": "exact sympy equivalence with the ground truth", "nrmse": best["nrmse"]},
    )]
