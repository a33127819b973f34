"""The RSRM pipeline: MCTS + double Q, GP refinement and form discovery, epoch by epoch.

Per epoch (after Xu, Liu, Sun, "Reinforcement Symbolic Regression Machine",
ICLR 2024, section 3 and the reference code's ``pipeline.py``):

1. the form-free MCTS agents build one expression each (their trees and Q
   tables persist across epochs and are reset every ``reset_every`` epochs):
   one grows sums of products only (polynomial structure: powers, repeated
   factors), one the whole grammar without constants, one with constants;
2. a GP seeded with an agent's best expressions and its own hall of fame
   refines them;
3. MSDB mines a form ``A + f`` / ``A * f`` from the GP's hall of fame;
4. when there is a form, a second agent and GP search ``f`` under it (both are
   restarted when the form changes).

Before the first epoch, and after the GP of every epoch, linear steps
(:mod:`mathdisco.engines.sr.polynomial`, :mod:`mathdisco.engines.sr.linear`,
:mod:`mathdisco.engines.sr.rational`) look for a sparse model: a polynomial, a
combination of FFX basis functions and of sub-trees mined from the best
candidates (MRGP), directly or through an inverse (``exp``, ``log``, ``sqrt``,
``1/``), and a ratio of sparse polynomials.  ``polynomial=False`` leaves them
out (tree search only).  Every fit records the step that proposed it
(``Fit.origin``), so a result can say what found its model.

Stopping: a *law* reaching ``target_nrmse`` (exact data, every number simple:
:func:`mathdisco.engines.sr.evaluate.is_law`) ends the search at once -- an exact fit
with free-looking numbers does not, it competes in the selection as a fit; so
does the deadline (every ``tick``), the evaluation budget, and -- on noisy
data -- *convergence*: the candidate of least quick description length
(:func:`mathdisco.engines.sr.fitting.quick_length`) has not improved by a nat for
``patience`` epochs and fits to within ``noise_gate`` times the noise level,
taken as the smaller of the model-free estimate (:mod:`mathdisco.engines.sr.noise`,
only when its smoother levelled off) and the most accurate candidate's
residual corrected for its degrees of freedom -- and only when that level is
at least ``EXACT`` (``1e-6``): data fitted more closely are treated as exact;
and never on fewer than ``MIN_ROWS`` rows, where a smoother of a few degrees
levels off on approximation error as readily as on noise.  The model-free estimate also sets
the reward's error scale, so rewards still separate candidates when the
noise floor is high.  The reported model is chosen on all rows by
:func:`mathdisco.engines.sr.finalise.finalise` (noise-aware selection, snapping under a
test).

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

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.sr.evaluate import BudgetExhausted, Evaluator, Finished
from mathdisco.engines.sr.finalise import Chosen, finalise
from mathdisco.engines.sr.fitting import FLOOR, quick_length
from mathdisco.engines.sr.forms import Form, discover_form
from mathdisco.engines.sr.gp import GeneticProgramming
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.linear import base_features, linear_step, mined_features
from mathdisco.engines.sr.mcts import MCTSAgent
from mathdisco.engines.sr.noise import NoiseEstimate, estimate_noise
from mathdisco.engines.sr.operators import KOZA
from mathdisco.engines.sr.polynomial import sparse_polynomial
from mathdisco.engines.sr.rational import rational_step

__all__ = ["SearchConfig", "SearchOutcome", "search"]


@dataclass
class SearchConfig:
    """Search settings (the job's params map onto these)."""

    operators: tuple[str, ...] = KOZA
    constants: bool = True
    max_constants: int = 2
    policy: str = "double_q"
    simulations: int = 40
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
    patience: int = 3
    noise_gate: float = 1.5


@dataclass
class SearchOutcome:
    best: Chosen
    best_expression: sympy.Expr
    pareto: list[Chosen]
    evaluator: Evaluator
    lib: Library
    epochs: int
    evaluations: int
    elapsed_s: float
    stop_reason: str
    noise: NoiseEstimate
    forms: list[str] = field(default_factory=list)
    epochs_completed: int = 0  # tree-search epochs that ran to their end


POLYNOMIAL_OPERATORS = ("add", "sub", "mul")
"""The sub-grammar of the products pair: sums of products of the variables."""
EXACT = 1e-6
"""Data fitted better than this (relative) are treated as exact: no early stop, the search goes on."""
MIN_ROWS = 50
"""Below this many rows the smoother's levelling-off says too little: no early stop."""


class Converged(Exception):  # noqa: N818 - a control-flow signal
    """Raised when the shortest candidate fits to the noise and has stopped improving."""


class _Pipeline:
    """The state of one search: evaluator, agents, GPs, form, deadlines, convergence watch."""

    def __init__(self, X: np.ndarray, y: np.ndarray, variables: list[str], config: SearchConfig,
                 progress: Progress, deadline: float | None, noise: NoiseEstimate | None) -> None:
        self.config, self.progress = config, progress
        self.started = time.monotonic()
        self.end = deadline if deadline is not None else self.started + config.time_limit_s
        self.budget = max(0.0, self.end - self.started)
        self.reserve = min(max(0.15 * self.budget, 0.5), 6.0)
        self.search_end = self.end - self.reserve
        self.lib = Library(variables, config.operators, config.constants, config.max_constants)
        self.rng = random.Random(config.seed)
        self.noise = noise or estimate_noise(X, y, config.seed)
        self.last_report = self.started
        self.epoch = 0
        self.evaluator = Evaluator(self.lib, X, y, target_nrmse=config.target_nrmse)
        self.n_rows, alphabet = len(y), len(self.lib.names)
        self.evaluator.length = lambda f: quick_length(f, self.n_rows, FLOOR, alphabet, len(f.constants))
        self.relative_noise = self.noise.std / self.evaluator.scale
        self.error_scale = max(config.error_scale, self.relative_noise)
        self.evaluator.tick = self.tick
        self.evaluator.tick_every = 64
        # Agent/GP pairs without a form: over constant-free trees whose summands each
        # get a fitted coefficient, one growing sums of products only (polynomials:
        # over the whole grammar, 20 points of a quintic are fitted to 1e-4 by shorter
        # sin/exp trees, and the search settles there), one over every operator; then
        # one with the C token and root scaling only (constants inside functions).  The
        # libraries number their tokens alike, so they share the evaluator's cache.
        plain = Library(variables, config.operators, config.constants, max_constants=0)
        self.pairs = [(self.agent(plain, plain.additive_terms), self.gp(plain, plain.additive_terms))]
        others = {plain.names[t] for t in plain.growable} - set(POLYNOMIAL_OPERATORS)
        if "mul" in plain.token_of and others:  # a grammar of products only has it already
            products = Library(variables, config.operators, config.constants, max_constants=0,
                               grow_with=POLYNOMIAL_OPERATORS)
            self.pairs.insert(0, (self.agent(products, products.additive_terms),
                                  self.gp(products, products.additive_terms)))
        if config.constants and config.max_constants > 0:
            self.pairs.append((self.agent(self.lib, self.lib.additive_terms),
                               self.gp(self.lib, self.lib.additive_terms)))
        self.form: Form | None = None
        self.rl2: MCTSAgent | None = None
        self.gp2: GeneticProgramming | None = None
        self.forms_seen: list[str] = []
        self.base = None
        self.watch_length, self.stable = math.inf, 0
        self.completed = 0

    def agent(self, library: Library, terms_of=None) -> MCTSAgent:
        c = self.config
        return MCTSAgent(library, self.evaluator, self.rng, terms_of, c.policy, c.simulations,
                         c.min_visits, c.epsilon, c.alpha, c.gamma, max_depth=c.mcts_max_depth,
                         max_length=c.mcts_max_length, eta=c.eta, error_scale=self.error_scale)

    def gp(self, library: Library, terms_of=None) -> GeneticProgramming:
        c = self.config
        return GeneticProgramming(library, self.evaluator, self.rng, terms_of, c.gp_population,
                                  c.gp_generations, max_depth=c.gp_max_depth,
                                  max_length=c.gp_max_length, eta=c.eta)

    def tick(self) -> None:
        """The budget, progress and target check (also called every 64 fits)."""
        now = time.monotonic()
        if now >= self.search_end:
            raise BudgetExhausted("time limit")
        if self.evaluator.evaluations >= self.config.max_evaluations:
            raise BudgetExhausted("evaluation budget")
        if now - self.last_report >= 0.5:
            self.last_report = now
            _report(self.progress, now - self.started, self.budget, self.epoch, self.evaluator)
        if self.evaluator.law is not None:  # an exact fit with simple numbers; others go on
            raise Finished

    def linear_start(self) -> None:
        """The linear steps before the first epoch."""
        lib, evaluator = self.lib, self.evaluator
        evaluator.origin = "sparse polynomial"
        sparse_polynomial(lib, evaluator, noisy=True)
        self.tick()
        evaluator.origin = "linear basis (FFX)"
        self.base = base_features(lib, evaluator)
        self.tick()
        linear_step(lib, evaluator, self.base, noisy=True)
        self.tick()
        evaluator.origin = "rational P/Q"
        rational_step(lib, evaluator, noisy=True)
        self.tick()

    def run_epoch(self) -> None:
        """One RSRM epoch (module docstring), then the linear steps over what it found."""
        c, lib, evaluator = self.config, self.lib, self.evaluator
        seeds = c.gp_population // 2
        hall: list[tuple[int, ...]] = []
        for rl1, gp1 in self.pairs:
            if self.epoch and self.epoch % c.reset_every == 0:
                rl1.reset()
            evaluator.origin = "MCTS"
            rl1.run()
            evaluator.origin = "GP"
            hall += gp1.run(rl1.best_expressions(seeds) + list(gp1.hall_of_fame))
        if self.base is not None:
            evaluator.origin = "polynomial over GP summands"
            ranked = _polynomial_refinement(lib, evaluator, hall)
            self.tick()
            evaluator.origin = "linear over mined sub-trees (MRGP)"
            linear_step(lib, evaluator, mined_features(lib, evaluator, ranked, self.base), noisy=True)
            self.tick()
        if c.forms and ("add" in lib.token_of or "mul" in lib.token_of):
            new_form = discover_form(lib, evaluator, hall)
            if new_form is not None and new_form != self.form:
                self.form = new_form
                terms_of = new_form.terms_of(lib)
                self.rl2, self.gp2 = self.agent(lib, terms_of), self.gp(lib, terms_of)
                self.forms_seen.append(new_form.describe(lib))
        if self.rl2 is not None and self.gp2 is not None:
            evaluator.origin = "MCTS under a form"
            self.rl2.run()
            evaluator.origin = "GP under a form"
            self.gp2.run(self.rl2.best_expressions(seeds) + list(self.gp2.hall_of_fame))
        _report(self.progress, time.monotonic() - self.started, self.budget, self.epoch, evaluator)
        self.tick()

    def check_converged(self) -> None:
        """One epoch's check of the convergence rule (module docstring); raises Converged."""
        evaluator = self.evaluator
        if evaluator.shortest_length < self.watch_length - 1.0:
            self.watch_length, self.stable = evaluator.shortest_length, 0
            return
        self.stable += 1
        shortest, best = evaluator.shortest, evaluator.best
        if (shortest is None or best is None or not self.noise.resolved
                or self.stable < self.config.patience or self.n_rows < MIN_ROWS):
            return
        # the noise is at most the smoother's estimate and the most accurate fit's own residual
        p = len(best.constants) + len(best.terms) + 1
        n = self.n_rows
        floor = min(self.relative_noise, best.nrmse * math.sqrt(n / max(1, n - p)))
        if floor >= EXACT and shortest.nrmse <= self.config.noise_gate * floor:
            raise Converged

    def run(self) -> str:
        """Every step until a stop; returns the stop reason."""
        try:
            if self.config.polynomial:
                self.linear_start()
            for epoch in range(self.config.epochs):
                self.epoch = epoch
                self.run_epoch()
                self.completed += 1
                self.check_converged()
        except Finished:
            return "target reached"
        except Converged:
            return (f"converged: the shortest model fits to the noise and did not improve "
                    f"for {self.config.patience} epochs")
        except BudgetExhausted as spent:
            return str(spent) or "time limit"
        return "epochs done"


def search(X: np.ndarray, y: np.ndarray, variables: list[str], config: SearchConfig,
           progress: Progress = no_progress, positive: bool = False, *,
           deadline: float | None = None, select_on: tuple[np.ndarray, np.ndarray] | None = None,
           noise: NoiseEstimate | None = None, units: dict | None = None) -> SearchOutcome:
    """Run the pipeline on ``X`` (variables x points) and ``y``; see the module docstring.

    ``deadline`` (``time.monotonic()`` seconds) bounds everything including
    the final selection (default: now + ``time_limit_s``); the search itself
    stops a reserve (15 % of the budget, 0.5 to 6 s) earlier, and the
    selection ends when 30 % of that reserve is left, for the caller.  ``select_on``:
    the rows the final selection uses (default ``X, y``); ``noise``: the
    model-free estimate (computed here when not given); ``units``: dimensions
    of the variables and ``"y"`` (:mod:`mathdisco.engines.sr.units`), for the selection.
    """
    pipeline = _Pipeline(X, y, variables, config, progress, deadline, noise)
    stop_reason = pipeline.run()
    evaluator = pipeline.evaluator
    evaluator.tick = None
    X_select, y_select = select_on if select_on is not None else (X, y)
    # the selection gets most of the reserve; the rest is for the caller's rendering and checks
    chosen, rows = finalise(pipeline.lib, evaluator, X_select, y_select, positive=positive,
                            deadline=pipeline.end - 0.3 * pipeline.reserve, size=config.pareto_size,
                            noise=pipeline.noise.std, units=units)
    elapsed = time.monotonic() - pipeline.started
    return SearchOutcome(chosen, chosen.expression, rows, evaluator, pipeline.lib, pipeline.epoch + 1,
                         evaluator.evaluations, elapsed, stop_reason, pipeline.noise,
                         pipeline.forms_seen, pipeline.completed)


def _report(progress: Progress, elapsed: float, budget: float, epoch: int, evaluator: Evaluator) -> None:
    """Progress in seconds of the time budget; the message says what runs now."""
    best = evaluator.best.nrmse if evaluator.best else math.inf
    total = max(1, int(math.ceil(budget)))
    progress(min(int(elapsed), total), total, f"searching, epoch {epoch + 1}: best NRMSE {best:.3g}")


def _polynomial_refinement(lib: Library, evaluator: Evaluator, hall: list[tuple[int, ...]],
                           candidates: int = 4, max_degree: int = 4) -> list[tuple[int, ...]]:
    """Summand-wise refinement: each of the best candidates' summands plus a sparse polynomial.

    RSRM's ``A + f`` with ``A`` the summands of one good candidate and ``f``
    solved as a sparse polynomial (:func:`mathdisco.engines.sr.polynomial.sparse_polynomial`).
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
