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

import numpy as np
import sympy

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.neural.nguyen import NGUYEN
from mathdisco.engines.neural.params import DySymNetParams
from mathdisco.engines.neural.symbolic_network import (
    LOSS_EVERY,
    Architecture,
    complexity,
    evaluate,
    finish_expression,
    nrmse,
    train_network,
)
from mathdisco.engines.neural.training import (
    Ticker,
    TimeBudget,
    rounded,
    setup_torch,
)

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
