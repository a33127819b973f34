"""Symbolic networks (EQL-style), their training, pruning and read-off as formulas.

A symbolic layer maps h ↦ z = h W + b, then applies one operator per output
unit: the first u columns of z go through unary operators (identity, sin, cos,
square, ...), each binary operator (product, sum) takes the next two
columns.  The layers are stacked and a final linear map gives ŷ.  Trained with
a smoothed L0.5 penalty, small weights are pruned, the rest retrained, and the
network is printed as a sympy expression whose constants are then refined by
BFGS and snapped to simple rationals when that does not hurt the fit.

Reference: Li et al., "A Neural-Guided Dynamic Symbolic Network for Exploring
Mathematical Expressions from Data" (DySymNet, ICML 2024), §3.2 (symbolic
network), §3.3 (training with L0.5 regularisation, pruning, constant
refinement); Sahoo, Lampert, Martius, "Learning Equations for Extrapolation
and Control" (EQL, ICML 2018) for the layer form.

Formulas are evaluated by :func:`evaluate`, a walk over the sympy tree with
numpy; nothing here parses text.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

# name -> (arity, sympy builder); torch implementations live in _torch_op
OPERATORS: dict[str, tuple[int, Callable[..., sympy.Expr]]] = {
    "id": (1, lambda a: a),
    "square": (1, lambda a: a**2),
    "cube": (1, lambda a: a**3),
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "exp": (1, sympy.exp),
    "log": (1, lambda a: sympy.log(sympy.Abs(a))),
    "sqrt": (1, lambda a: sympy.sqrt(sympy.Abs(a))),
    "mul": (2, lambda a, b: a * b),
    "add": (2, lambda a, b: a + b),
}
UNARY = [k for k, (arity, _) in OPERATORS.items() if arity == 1]
LOSS_EVERY = 50  # training steps between two entries of a network's loss history
BINARY = [k for k, (arity, _) in OPERATORS.items() if arity == 2]


def _torch_op(torch, name: str):
    return {
        "id": lambda a: a,
        "square": lambda a: a**2,
        "cube": lambda a: a**3,
        "sin": torch.sin,
        "cos": torch.cos,
        "exp": lambda a: torch.exp(torch.clamp(a, max=20.0)),
        "log": lambda a: torch.log(torch.abs(a) + 1e-6),
        "sqrt": lambda a: torch.sqrt(torch.abs(a) + 1e-8),
        "mul": lambda a, b: a * b,
        "add": lambda a, b: a + b,
    }[name]


@dataclass(frozen=True)
class Architecture:
    """Operators per layer, unary ones first (the order the network uses)."""

    layers: tuple[tuple[str, ...], ...]

    @staticmethod
    def of(layers: Sequence[Sequence[str]]) -> Architecture:
        return Architecture(tuple(tuple(sorted(layer, key=lambda o: (OPERATORS[o][0], o)))
                                  for layer in layers))

    def describe(self) -> str:
        return " | ".join(",".join(layer) for layer in self.layers)


@dataclass
class TrainedNetwork:
    architecture: Architecture
    expression: sympy.Expr | None
    loss_history: list[float] = field(default_factory=list)
    train_mse: float = math.inf
    stopped: bool = False  # ``stop`` ended the training before it was done


def build_network(torch, architecture: Architecture, n_inputs: int):
    """The torch module of a symbolic network with per-layer biases."""
    from torch import nn

    class SymbolicNetwork(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = nn.ParameterList()
            self.biases = nn.ParameterList()
            width_in = n_inputs
            for depth, layer in enumerate(architecture.layers):
                columns = sum(OPERATORS[o][0] for o in layer)
                sigma = 0.1 if depth == 0 else 0.5  # DySymNet's init scales
                self.weights.append(nn.Parameter(torch.fmod(torch.randn(width_in, columns), 2) * sigma))
                self.biases.append(nn.Parameter(torch.zeros(columns)))
                width_in = len(layer)
            self.out_weight = nn.Parameter(torch.fmod(torch.randn(width_in, 1), 2))
            self.out_bias = nn.Parameter(torch.zeros(1))
            self.ops = [[_torch_op(torch, o) for o in layer] for layer in architecture.layers]
            self.masks: list[Any] | None = None

        def parameters_to_prune(self):
            return [*self.weights, *self.biases, self.out_weight, self.out_bias]

        def forward(self, x):
            h = x
            params = self.parameters_to_prune()
            if self.masks is not None:
                params = [p * m for p, m in zip(params, self.masks, strict=True)]
            n_layers = len(self.ops)
            for depth, ops in enumerate(self.ops):
                z = h @ params[depth] + params[n_layers + depth]
                outputs, column = [], 0
                for op, name in zip(ops, architecture.layers[depth], strict=True):
                    if OPERATORS[name][0] == 1:
                        outputs.append(op(z[:, column]))
                        column += 1
                    else:
                        outputs.append(op(z[:, column], z[:, column + 1]))
                        column += 2
                h = torch.stack(outputs, dim=1)
            return (h @ params[-2] + params[-1]).squeeze(-1)

    return SymbolicNetwork()


def smoothed_l05(torch, tensors, a: float = 0.01):
    """Σ |w|^{1/2}, with a quartic below |w| = a so the gradient stays finite (DySymNet eq. 5)."""
    w = torch.cat([t.reshape(-1) for t in tensors])
    # each branch is evaluated on its own range only: where() still back-propagates
    # through the unused one, and a NaN or inf there poisons the gradient
    ws = torch.clamp(w, -a, a)
    small = -(ws**4) / (8 * a**3) + 3 * ws**2 / (4 * a) + 3 * a / 8
    return torch.sum(torch.where(torch.abs(w) < a, torch.sqrt(small), torch.sqrt(torch.abs(w).clamp(min=a))))


def train_network(torch, architecture: Architecture, x, y, *, iterations1: int, iterations2: int,
                  reg_weight: float, threshold: float, lr: float, tick: Callable[[], None],
                  stop: Callable[[], bool] = lambda: False) -> TrainedNetwork:
    """Train (L0.5-regularised), prune below ``threshold``, retrain the survivors.

    ``tick`` is called between steps (progress and cancellation); ``stop``
    too, and when it says so the training ends at once with no expression
    (``stopped`` set): the job's time limit.
    """
    net = build_network(torch, architecture, x.shape[1])
    history: list[float] = []
    stopped = False

    def stage(iterations: int, stage_lr: float, regularise: bool) -> bool:
        nonlocal stopped
        optimiser = torch.optim.RMSprop(net.parameters(), lr=stage_lr, alpha=0.9, eps=1e-10)
        recent: list[float] = []
        for i in range(iterations):
            mse = torch.mean((net(x) - y) ** 2)
            loss = mse + reg_weight * smoothed_l05(torch, net.parameters_to_prune()) if regularise else mse
            if i % 25 == 0 and not float(mse.detach()) < 1e8:  # diverged (or NaN)
                return False
            optimiser.zero_grad()
            loss.backward()
            # adaptive clipping: 0.1 x the mean of the last 50 gradient norms (DySymNet §3.3)
            limit = 0.1 * (sum(recent) / len(recent)) if len(recent) == 50 else 1.0
            norm = float(torch.nn.utils.clip_grad_norm_(net.parameters(), max(limit, 1e-3)))
            recent = (recent + [norm])[-50:]
            optimiser.step()
            if i % LOSS_EVERY == 0:
                history.append(float(mse.detach()))
            if i % 10 == 0:  # a step is ~2-5 ms; the ticker itself throttles what it forwards
                tick()
                if stop():
                    stopped = True
                    return False
        return bool(torch.all(torch.isfinite(torch.cat([p.detach().reshape(-1) for p in net.parameters()]))))

    if not stage(iterations1, lr, True):
        return TrainedNetwork(architecture, None, history, stopped=stopped)
    with torch.no_grad():
        net.masks = [(torch.abs(p) >= threshold).to(p.dtype) for p in net.parameters_to_prune()]
    if not stage(iterations2, lr / 10, False):
        return TrainedNetwork(architecture, None, history, stopped=stopped)
    with torch.no_grad():
        final_mse = float(torch.mean((net(x) - y) ** 2))
        expression = read_off(net, architecture, x.shape[1])
    return TrainedNetwork(architecture, expression, history, final_mse)


def read_off(net, architecture: Architecture, n_inputs: int) -> sympy.Expr:
    """The pruned network as a sympy expression in symbols x0, x1, ..."""
    symbols = [sympy.Symbol(f"x{i}") for i in range(n_inputs)]
    params = [p.detach().cpu().numpy().astype(np.float64) * m.cpu().numpy()
              for p, m in zip(net.parameters_to_prune(), net.masks, strict=True)]
    n_layers = len(architecture.layers)
    h: list[sympy.Expr] = list(symbols)
    for depth, layer in enumerate(architecture.layers):
        weight, bias = params[depth], params[n_layers + depth]
        z = [_linear(h, weight[:, k], bias[k]) for k in range(weight.shape[1])]
        outputs, column = [], 0
        for name in layer:
            arity, build = OPERATORS[name]
            outputs.append(build(*z[column:column + arity]))
            column += arity
        h = outputs
    return _linear(h, params[-2][:, 0], params[-1][0])


def _linear(terms: Sequence[sympy.Expr], weights: np.ndarray, bias: float) -> sympy.Expr:
    total = sympy.Float(float(bias)) if bias else sympy.Integer(0)
    for term, w in zip(terms, weights, strict=True):
        if w:
            total += sympy.Float(float(w)) * term
    return total


# ---------------------------------------------------------------- evaluation

def evaluate(expr: sympy.Expr, env: dict[sympy.Symbol, np.ndarray]) -> np.ndarray:
    """Evaluate a sympy expression built from the operator library, elementwise with numpy."""
    with np.errstate(all="ignore"):
        return np.asarray(_eval(expr, env), dtype=np.float64)


def _eval(e: sympy.Expr, env):
    if e.is_Symbol:
        return env[e]
    if e in (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return math.nan
    if e.is_Number:
        return float(e)
    if e is sympy.pi:
        return math.pi
    if e is sympy.E:
        return math.e
    args = [_eval(a, env) for a in e.args]
    if e.is_Add:
        return sum(args[1:], args[0])
    if e.is_Mul:
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if e.is_Pow:
        return np.power(np.asarray(args[0], dtype=np.float64), args[1])
    functions = {sympy.sin: np.sin, sympy.cos: np.cos, sympy.exp: np.exp, sympy.log: np.log,
                 sympy.Abs: np.abs, sympy.tan: np.tan}
    if e.func in functions:
        return functions[e.func](args[0])
    raise ValueError(f"cannot evaluate {e.func}")


def nrmse(prediction: np.ndarray, y: np.ndarray) -> float:
    """Root-mean-square error divided by the standard deviation of y (inf for non-finite output)."""
    prediction = np.broadcast_to(prediction, y.shape)
    if not np.all(np.isfinite(prediction)):
        return math.inf
    scale = float(np.std(y)) or 1.0
    return float(np.sqrt(np.mean((prediction - y) ** 2)) / scale)


def complexity(expr: sympy.Expr) -> int:
    """Number of nodes of the expression tree."""
    return sum(1 for _ in sympy.preorder_traversal(expr))


# ---------------------------------------------------------------- clean-up

def drop_abs_on_positive(expr: sympy.Expr, env) -> sympy.Expr:
    """Replace |a| by a where a > 0 on all data points (the protected log/sqrt on their domain)."""
    replacements = {}
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Abs):
            values = evaluate(node.args[0], env)
            if np.all(values > 0):
                replacements[node] = node.args[0]
            elif np.all(values < 0):
                replacements[node] = -node.args[0]
    return expr.xreplace(replacements) if replacements else expr


def refine_constants(expr: sympy.Expr, env, y: np.ndarray, max_iterations: int = 200) -> sympy.Expr:
    """BFGS on every Float constant of ``expr`` (MSE on the data)."""
    from scipy.optimize import minimize

    floats = sorted({a for a in expr.atoms(sympy.Float)}, key=float)
    if not floats or len(floats) > 40:
        return expr
    dummies = [sympy.Dummy(f"c{i}") for i in range(len(floats))]
    template = expr.xreplace(dict(zip(floats, dummies, strict=True)))

    def objective(c):
        local = dict(env)
        local.update({d: float(v) for d, v in zip(dummies, c, strict=True)})
        value = evaluate(template, local)
        err = np.mean((np.broadcast_to(value, y.shape) - y) ** 2)
        return float(err) if np.isfinite(err) else 1e30

    start = np.array([float(f) for f in floats])
    result = minimize(objective, start, method="BFGS", options={"maxiter": max_iterations, "gtol": 1e-12})
    best = result.x if result.fun <= objective(start) else start
    return template.xreplace({d: sympy.Float(float(v)) for d, v in zip(dummies, best, strict=True)})


def snap_constants(expr: sympy.Expr, env, y: np.ndarray, tolerance: float = 1e-6,
                   refit_limit: int = 12, until: float = math.inf,
                   tick: Callable[[], None] = lambda: None) -> sympy.Expr:
    """Snap Float constants to 0, integers or small-denominator rationals when the fit allows.

    Constants are tried one at a time, smallest first (so spurious terms go
    first); after each trial snap the remaining constants are re-fitted by BFGS
    (when there are at most ``refit_limit`` and the clock is before ``until``,
    a ``time.monotonic()`` value), and the snap is kept when nrmse stays
    ≤ max(tolerance, 1.001 × the current nrmse).  ``tick`` runs between trials.
    """
    current = expr
    base = nrmse(evaluate(current, env), y)
    tried: set[sympy.Float] = set()
    while True:
        # re-read the constants each time: a re-fit replaces the ones not yet tried
        untried = sorted(current.atoms(sympy.Float) - tried, key=lambda a: abs(float(a)))
        if not untried:
            break
        f = untried[0]
        tried.add(f)
        value = float(f)
        rational = Fraction(value).limit_denominator(12)
        candidates = dict.fromkeys([sympy.Integer(0), sympy.Integer(round(value)),
                                    sympy.Rational(rational.numerator, rational.denominator)])
        for candidate in candidates:
            tick()
            trial = current.xreplace({f: candidate})
            error = nrmse(evaluate(trial, env), y)
            if (error > max(tolerance, base * 1.001) and 0 < len(trial.atoms(sympy.Float)) <= refit_limit
                    and time.monotonic() < until):
                trial = refine_constants(trial, env, y)
                error = nrmse(evaluate(trial, env), y)
            if error <= max(tolerance, base * 1.001):
                current, base = trial, error
                break
    return current


def finish_expression(expr: sympy.Expr, env, y: np.ndarray, budget_s: float = 4.0,
                      tick: Callable[[], None] = lambda: None) -> sympy.Expr:
    """Read-off → positive-domain |·| removal → BFGS → snapping → expansion (when it helps).

    The re-fitting snaps stop after ``budget_s`` seconds (plain snaps go on).
    """
    until = time.monotonic() + budget_s
    expr = drop_abs_on_positive(expr, env)
    expr = refine_constants(expr, env, y)
    # the re-fitting snap costs a BFGS per trial: only for formulas that already fit well
    refit_limit = 12 if nrmse(evaluate(expr, env), y) < 1e-2 else 0
    expr = snap_constants(expr, env, y, refit_limit=refit_limit, until=until, tick=tick)
    expanded = sympy.expand(expr)
    if complexity(expanded) < complexity(expr):
        expr = snap_constants(expanded, env, y, refit_limit=refit_limit, until=until, tick=tick)
    return expr
