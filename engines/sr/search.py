"""The RSRM pipeline: MCTS + double Q, GP refinement and form discovery, epoch by epoch.

Per epoch (after Xu, Liu, Sun, "Reinforcement Symbolic Regression Machine",
ICLR 2024, section 3 and the reference code's ``pipeline.py``):

1. the form-free MCTS agent builds one expression (its tree and Q tables
   persist across epochs and are reset every ``reset_every`` epochs);
2. a GP seeded with the agent's best expressions and its own hall of fame
   refines them;
3. MSDB mines a form ``A + f`` / ``A * f`` from the GP's hall of fame;
4. when there is a form, a second agent and GP search ``f`` under it (both are
   restarted when the form changes).

Before the first epoch, and after the GP of every epoch, linear steps
(:mod:`engines.sr.polynomial`, :mod:`engines.sr.linear`) look for an exact
sparse model: a polynomial, a combination of FFX basis functions and of
sub-trees mined from the best candidates (MRGP), directly or through
``exp``/``log``.  ``polynomial=False`` leaves them out (tree search only).

Every fitted candidate updates the global best; reaching ``target_nrmse``
ends the search at once.  The wall time and the number of fits are bounded.
The final model is chosen from the error/complexity Pareto front after
snapping its numbers to simple rationals; :func:`fit_to_sympy` renders it.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).uniform(-1, 1, (1, 20))
>>> out = search(X, X[0] ** 2 + X[0], ["x"], SearchConfig(seed=0, time_limit_s=20))
>>> str(out.best_expression), out.stop_reason
('x*(x + 1)', 'target reached')
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field

import numpy as np
import sympy

from engines.contract import Progress, no_progress
from engines.sr.evaluate import (
    BudgetExhausted,
    Evaluator,
    Finished,
    Fit,
    snap_decimal,
    snap_pi_multiple,
    snap_value,
)
from engines.sr.forms import Form, discover_form
from engines.sr.gp import GeneticProgramming
from engines.sr.grammar import Library
from engines.sr.linear import base_features, linear_step, mined_features
from engines.sr.mcts import MCTSAgent
from engines.sr.operators import KOZA
from engines.sr.polynomial import sparse_polynomial


@dataclass
class SearchConfig:
    """Search settings (the job's params map onto these)."""

    operators: tuple[str, ...] = KOZA
    constants: bool = True
    max_constants: int = 2
    policy: str = "double_q"
    simulations: int = 100
    min_visits: int = 10
    epsilon: float = 0.6
    alpha: float = 0.1
    gamma: float = 0.95
    mcts_max_depth: int = 5
    mcts_max_length: int = 20
    gp_population: int = 200
    gp_generations: int = 10
    gp_max_depth: int = 8
    gp_max_length: int = 30
    eta: float = 0.99
    error_scale: float = 1e-3
    target_nrmse: float = 1e-10
    time_limit_s: float = 60.0
    max_evaluations: int = 2_000_000
    epochs: int = 100
    reset_every: int = 25
    forms: bool = True
    polynomial: bool = True
    seed: int = 0
    pareto_size: int = 15


@dataclass
class SearchOutcome:
    best: Fit
    best_expression: sympy.Expr
    pareto: list[tuple[Fit, sympy.Expr]]
    evaluator: Evaluator
    lib: Library
    epochs: int
    evaluations: int
    elapsed_s: float
    stop_reason: str
    forms: list[str] = field(default_factory=list)


def _number(value: float) -> sympy.Expr:
    snapped = snap_value(value, rtol=1e-12)
    if snapped is None:
        snapped = snap_decimal(value, rtol=1e-12)
    if snapped is not None:
        return sympy.Rational(snapped.numerator, snapped.denominator)
    phase = snap_pi_multiple(value, rtol=1e-12)
    if phase is not None:
        return sympy.Rational(phase.numerator, phase.denominator) * sympy.pi
    return sympy.Float(float(f"{value:.12g}"))


def fit_to_sympy(lib: Library, fit: Fit, symbols: list[sympy.Symbol] | None = None) -> sympy.Expr:
    """``intercept + sum coefficient * term`` as a sympy expression (numbers exact when rational)."""
    expression = _number(fit.intercept) if fit.intercept != 0 else sympy.Integer(0)
    offset = 0
    for term, coefficient in zip(fit.terms, fit.coefficients, strict=True):
        k = lib.count_constants(term)
        constants = [_number(c) for c in fit.constants[offset:offset + k]]
        offset += k
        if coefficient == 0:
            continue
        expression += _number(coefficient) * lib.to_sympy(term, constants, symbols)
    return expression


def fold_numbers(expression: sympy.Expr) -> sympy.Expr:
    """Products of numbers such as ``1.8508157 * cos(1)`` replaced by the simple rational they equal.

    Linear scaling pays for a constant-valued sub-tree (``cos(x/x)``) with a
    float coefficient; their product is the number that matters.  Floats
    within ``1e-10`` (relative to the expression's numbers) of zero are dropped.
    The caller checks the folded expression against the data.

    >>> x = sympy.Symbol("x")
    >>> fold_numbers(sympy.Float(1 / math.cos(1)) * sympy.cos(1) * sympy.sin(x) + sympy.Float(1e-13) * x)
    sin(x)
    """
    def walk(e: sympy.Expr) -> sympy.Expr:
        if not e.args:
            if isinstance(e, sympy.Float) and abs(float(e)) < 1e-10:
                return sympy.Integer(0)
            return e
        args = [walk(a) for a in e.args]
        if e.is_Mul:
            numeric = [a for a in args if not a.free_symbols]
            if numeric and any(a.has(sympy.Float) for a in numeric):
                value = float(sympy.Mul(*numeric))
                snapped = snap_value(value, rtol=1e-9)
                if snapped is None:
                    snapped = snap_decimal(value, rtol=1e-9)
                if snapped is not None:
                    rest = [a for a in args if a.free_symbols]
                    return sympy.Rational(snapped.numerator, snapped.denominator) * sympy.Mul(*rest)
        return e.func(*args)

    return walk(expression)


def tidy(expression: sympy.Expr, max_ops: int = 60) -> sympy.Expr:
    """A simplified form.

    ``sympy.simplify`` only runs on small expressions with exact numbers: on
    long or float-laden ones it takes seconds and gains nothing.
    """
    if sympy.count_ops(expression) > max_ops or expression.has(sympy.Float):
        return expression
    simplified = sympy.simplify(expression)
    return simplified if sympy.count_ops(simplified) <= sympy.count_ops(expression) else expression


def pareto_front(fits: list[Fit], size: int) -> list[Fit]:
    """Fits not beaten in both size and error, by increasing size (at most ``size`` rows)."""
    ranked = sorted((f for f in fits if f.valid), key=lambda f: (f.size, f.nrmse))
    front: list[Fit] = []
    for f in ranked:
        if not front or f.nrmse < front[-1].nrmse * (1 - 1e-9):
            front.append(f)
    if len(front) > size:
        keep = {0, len(front) - 1}
        keep.update(int(round(i)) for i in np.linspace(0, len(front) - 1, size))
        front = [front[i] for i in sorted(keep)][:size]
    return front


def search(X: np.ndarray, y: np.ndarray, variables: list[str], config: SearchConfig,
           progress: Progress = no_progress, positive: bool = False) -> SearchOutcome:
    """Run the pipeline on ``X`` (variables x points) and ``y``; see the module docstring."""
    lib = Library(variables, config.operators, config.constants, config.max_constants)
    rng = random.Random(config.seed)
    started = time.monotonic()
    deadline = started + config.time_limit_s
    last_report = [started]
    state = {"epoch": 0}
    evaluator = Evaluator(lib, X, y, target_nrmse=config.target_nrmse)

    def tick() -> None:
        now = time.monotonic()
        if now >= deadline or evaluator.evaluations >= config.max_evaluations:
            raise BudgetExhausted
        if now - last_report[0] >= 0.5:
            last_report[0] = now
            best = evaluator.best.nrmse if evaluator.best else math.inf
            progress(int(now - started), int(config.time_limit_s),
                     f"epoch {state['epoch']}: best NRMSE {best:.3g}")
        if evaluator.best is not None and evaluator.best.nrmse <= config.target_nrmse:
            raise Finished

    evaluator.tick = tick
    evaluator.tick_every = 64

    def agent(library: Library, terms_of=None) -> MCTSAgent:
        return MCTSAgent(library, evaluator, rng, terms_of, config.policy, config.simulations,
                         config.min_visits, config.epsilon, config.alpha, config.gamma,
                         max_depth=config.mcts_max_depth, max_length=config.mcts_max_length,
                         eta=config.eta, error_scale=config.error_scale)

    def gp(library: Library, terms_of=None) -> GeneticProgramming:
        return GeneticProgramming(library, evaluator, rng, terms_of, config.gp_population,
                                  config.gp_generations, max_depth=config.gp_max_depth,
                                  max_length=config.gp_max_length, eta=config.eta)

    # Two agent/GP pairs without a form: one over constant-free trees whose
    # summands each get a fitted coefficient (polynomial-like targets), one with
    # the C token and root scaling only (constants inside functions).  Both
    # libraries number their tokens alike, so they share the evaluator's cache.
    plain = Library(variables, config.operators, config.constants, max_constants=0)
    pairs = [(agent(plain, plain.additive_terms), gp(plain, plain.additive_terms))]
    if config.constants and config.max_constants > 0:
        pairs.append((agent(lib, lib.additive_terms), gp(lib, lib.additive_terms)))
    form: Form | None = None
    rl2 = gp2 = None
    forms_seen: list[str] = []
    stop_reason = "epochs done"
    epoch = 0
    seeds = config.gp_population // 2
    def reached() -> None:
        if evaluator.best is not None and evaluator.best.nrmse <= config.target_nrmse:
            raise Finished

    try:
        base = None
        if config.polynomial:
            sparse_polynomial(lib, evaluator)
            reached()
            base = base_features(lib, evaluator)
            linear_step(lib, evaluator, base)
            reached()
        for epoch in range(config.epochs):
            state["epoch"] = epoch
            hall: list[tuple[int, ...]] = []
            for rl1, gp1 in pairs:
                if epoch and epoch % config.reset_every == 0:
                    rl1.reset()
                rl1.run()
                hall += gp1.run(rl1.best_expressions(seeds) + list(gp1.hall_of_fame))
            if config.polynomial and base is not None:
                ranked = _polynomial_refinement(lib, evaluator, hall)
                reached()
                linear_step(lib, evaluator, mined_features(lib, evaluator, ranked, base))
                reached()
            if config.forms and ("add" in lib.token_of or "mul" in lib.token_of):
                new_form = discover_form(lib, evaluator, hall)
                if new_form is not None and new_form != form:
                    form = new_form
                    terms_of = form.terms_of(lib)
                    rl2, gp2 = agent(lib, terms_of), gp(lib, terms_of)
                    forms_seen.append(form.describe(lib))
            if rl2 is not None and gp2 is not None:
                rl2.run()
                gp2.run(rl2.best_expressions(seeds) + list(gp2.hall_of_fame))
            best = evaluator.best.nrmse if evaluator.best else math.inf
            progress(int(time.monotonic() - started), int(config.time_limit_s),
                     f"epoch {epoch}: best NRMSE {best:.3g}")
            tick()
    except Finished:
        stop_reason = "target reached"
    except BudgetExhausted:
        stop_reason = "budget spent"
    elapsed = time.monotonic() - started
    evaluator.tick = None
    return _finalise(lib, evaluator, config, epoch + 1, elapsed, stop_reason, forms_seen, positive)


def _polynomial_refinement(lib: Library, evaluator: Evaluator, hall: list[tuple[int, ...]],
                           candidates: int = 4, max_degree: int = 4) -> list[tuple[int, ...]]:
    """Summand-wise refinement: each of the best candidates' summands plus a sparse polynomial.

    RSRM's ``A + f`` with ``A`` the summands of one good candidate and ``f``
    solved as a sparse polynomial (:func:`engines.sr.polynomial.sparse_polynomial`).
    Returns the candidates of ``hall`` best first (the feature miner's input).
    """
    scored = []
    for e in dict.fromkeys(hall):
        fit = evaluator.fit((e,))
        if fit.valid:
            scored.append((fit.nrmse, len(e), e))
    scored.sort()
    tried: set[tuple[tuple[int, ...], ...]] = set()
    for _, _, e in scored[:candidates]:
        summands = lib.additive_terms(e)
        if summands in tried:
            continue
        tried.add(summands)
        sparse_polynomial(lib, evaluator, extra=summands, max_degree=max_degree)
    return [e for _, _, e in scored]


def _matches(expression: sympy.Expr, variables: list[str], evaluator: Evaluator,
             nrmse: float) -> bool:
    """Whether ``expression`` fits the training data as well as the model it renders."""
    from engines.sr.benchmarks import sympy_to_numpy

    try:
        values = sympy_to_numpy(expression, variables)(evaluator.X)
    except (ValueError, TypeError):
        return False
    values = np.broadcast_to(values, evaluator.y.shape)
    error = float(np.sqrt(np.mean((values - evaluator.y) ** 2))) / evaluator.scale
    return math.isfinite(error) and error <= max(1e-12, 10 * evaluator.target_nrmse, 1.000001 * nrmse)


def _finalise(lib: Library, evaluator: Evaluator, config: SearchConfig, epochs: int,
              elapsed: float, stop_reason: str, forms: list[str], positive: bool) -> SearchOutcome:
    symbols = [sympy.Symbol(v, positive=True) if positive else sympy.Symbol(v) for v in lib.variables]
    plain = {s: sympy.Symbol(s.name) for s in symbols}
    front = pareto_front(list(evaluator.cache.values()), config.pareto_size)
    rows: list[tuple[Fit, sympy.Expr]] = []
    for fit in front:
        snapped = evaluator.refit_snapped(fit)
        expression = fit_to_sympy(lib, snapped, symbols)
        if expression.has(sympy.Float):
            folded = fold_numbers(expression)
            if folded != expression and _matches(folded, lib.variables, evaluator, snapped.nrmse):
                expression = folded
        rows.append((snapped, expression))
    if not rows:
        raise ValueError("no candidate could be evaluated on this data (all non-finite)")
    exact = [r for r in rows if r[0].nrmse <= max(config.target_nrmse, 1e-12)]
    if exact:
        best = exact[0]
    else:
        best = min(rows, key=lambda r: r[0].nrmse * config.eta ** (-r[0].size))
    # simplify() is slow on long float-laden expressions: only the chosen model gets it
    rows = [(f, tidy(e).xreplace(plain) if f is best[0] else e.xreplace(plain)) for f, e in rows]
    best = next(r for r in rows if r[0] is best[0])
    return SearchOutcome(best[0], best[1], rows, evaluator, lib, epochs, evaluator.evaluations,
                         elapsed, stop_reason, forms)

