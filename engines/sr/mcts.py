"""Monte Carlo tree search over prefix expressions with a double-Q tree policy.

One call of :meth:`MCTSAgent.run` builds one complete expression token by
token, as in RSRM (Xu, Liu, Sun, ICLR 2024, section 3.1 and the reference
code's ``rl/mcts.py``): before each token is committed, ``simulations``
playouts start at the current node; a node's children are all the legal
tokens; a child visited fewer than ``min_visits`` times is picked uniformly at
random, otherwise the tree policy picks -- the double-Q tables (softmax over
``Q_A + Q_B`` with probability ``epsilon``, uniform otherwise; section 3.3) or,
as an option, classical UCT ``V + c sqrt(ln N / n)``.  A playout ends when the
expression is complete; its reward ``eta**L / (1 + NRMSE)`` is backed up as a
running *maximum*, and the child with the highest maximum is committed.

The double-Q update is van Hasselt's with RSRM's targets: per step reward
``-0.1``, terminal reward ``R``, ``Q_A[a] += alpha (r + gamma max Q_B(s') - Q_A[a])``
with a fair coin choosing the table.

Examples
--------
>>> import numpy as np, random
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> lib = Library(["x"], ["add", "mul", "sin"], constants=False)
>>> X = np.linspace(-1, 1, 20)[None, :]
>>> ev = Evaluator(lib, X, np.sin(X[0]) * X[0])
>>> agent = MCTSAgent(lib, ev, random.Random(0), simulations=30)
>>> expression = agent.run()
>>> lib.is_legal(expression, 5, 20)
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from mathdisco.engines.sr.evaluate import Evaluator, reward
from mathdisco.engines.sr.grammar import ROOT_SLOT, Library, Slot

TermsOf = Callable[[tuple[int, ...]], tuple[tuple[int, ...], ...]]


def single_term(expression: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The model of a candidate with no form: the expression, linearly scaled."""
    return (expression,)


class _Node:
    __slots__ = ("actions", "children", "visits", "best", "qa", "qb")

    def __init__(self) -> None:
        self.actions: list[int] | None = None
        self.children: list[_Node | None] = []
        self.visits: list[int] = []
        self.best: list[float] = []
        self.qa: list[float] = []
        self.qb: list[float] = []

    def expand(self, actions: list[int]) -> None:
        n = len(actions)
        self.actions = actions
        self.children = [None] * n
        self.visits = [0] * n
        self.best = [-1.0] * n
        self.qa = [0.0] * n
        self.qb = [0.0] * n


class MCTSAgent:
    """RSRM's expression-building agent (one per form; reset by the pipeline).

    Parameters
    ----------
    lib, evaluator : the grammar and the fitter.
    rng : the random source (a seeded :class:`random.Random`: deterministic).
    terms_of : maps a candidate to the terms fitted (applies the current form).
    policy : "double_q" (RSRM) or "uct".
    simulations : playouts per committed token (RSRM: 100).
    min_visits : visits before the tree policy takes over (RSRM's n0 = 10).
    epsilon, alpha, gamma : double-Q softmax probability, learning rate, discount.
    uct_c : UCT exploration constant (sqrt 2).
    """

    def __init__(self, lib: Library, evaluator: Evaluator, rng: random.Random,
                 terms_of: TermsOf | None = None, policy: str = "double_q",
                 simulations: int = 100, min_visits: int = 10, epsilon: float = 0.6,
                 alpha: float = 0.1, gamma: float = 0.95, uct_c: float = math.sqrt(2),
                 max_depth: int = 5, max_length: int = 20, eta: float = 0.99,
                 error_scale: float = 1e-3) -> None:
        self.lib, self.evaluator, self.rng = lib, evaluator, rng
        self.terms_of = terms_of or single_term
        self.policy, self.simulations, self.min_visits = policy, simulations, min_visits
        self.epsilon, self.alpha, self.gamma, self.uct_c = epsilon, alpha, gamma, uct_c
        self.max_depth, self.max_length, self.eta = max_depth, max_length, eta
        self.error_scale = error_scale
        self.found: dict[tuple[int, ...], float] = {}
        self.reset()

    def reset(self) -> None:
        """Forget the search tree, the Q tables and the candidates found."""
        self.root = _Node()
        self.found = {}

    def score(self, expression: tuple[int, ...]) -> float:
        fit = self.evaluator.fit(self.terms_of(expression))
        value = reward(fit.nrmse, self.lib.size(expression), self.eta, self.error_scale)
        self.found[expression] = fit.nrmse
        return value

    def best_expressions(self, k: int) -> list[tuple[int, ...]]:
        """The ``k`` candidates with the lowest error found since the last reset."""
        ranked = sorted(self.found.items(), key=lambda item: (item[1], len(item[0])))
        return [e for e, err in ranked[:k] if math.isfinite(err)]

    def _choose(self, node: _Node) -> int:
        visits = node.visits
        fresh = [i for i, v in enumerate(visits) if v < self.min_visits]
        if fresh:
            return self.rng.choice(fresh)
        n = len(visits)
        if self.policy == "uct":
            log_total = math.log(sum(visits))
            return max(range(n), key=lambda i: node.best[i] + self.uct_c * math.sqrt(log_total / visits[i]))
        if self.rng.random() < self.epsilon:
            values = [a + b for a, b in zip(node.qa, node.qb, strict=True)]
            top = max(values)
            weights = [math.exp(v - top) for v in values]
            return self.rng.choices(range(n), weights=weights)[0]
        return self.rng.randrange(n)

    def _playout(self, node: _Node, prefix: list[int], slots: list[Slot], n_const: int) -> None:
        lib = self.lib
        prefix, slots = list(prefix), list(slots)
        path: list[tuple[_Node, int]] = []
        while slots:
            if node.actions is None:
                node.expand(lib.legal(len(prefix), slots, n_const, self.max_depth, self.max_length))
            i = self._choose(node)
            path.append((node, i))
            token = node.actions[i]
            prefix.append(token)
            n_const += token == lib.const_token
            lib.push(slots, token)
            child = node.children[i]
            if child is None:
                child = node.children[i] = _Node()
            node = child
        value = self.score(tuple(prefix))
        last = len(path) - 1
        for step, (nd, i) in enumerate(path):
            nd.visits[i] += 1
            if value > nd.best[i]:
                nd.best[i] = value
            if self.policy != "double_q":
                continue
            r = value if step == last else -0.1
            nxt = path[step + 1][0] if step < last else None
            if self.rng.random() < 0.5:
                future = max(nxt.qb) if nxt is not None else 0.0
                nd.qa[i] += self.alpha * (r + self.gamma * future - nd.qa[i])
            else:
                future = max(nxt.qa) if nxt is not None else 0.0
                nd.qb[i] += self.alpha * (r + self.gamma * future - nd.qb[i])

    def run(self) -> tuple[int, ...]:
        """Build one expression by committing the best-valued token at each step."""
        lib = self.lib
        node = self.root
        prefix: list[int] = []
        slots: list[Slot] = [ROOT_SLOT]
        n_const = 0
        while slots:
            for _ in range(self.simulations):
                self._playout(node, prefix, slots, n_const)
            i = max(range(len(node.best)), key=node.best.__getitem__)
            token = node.actions[i]
            prefix.append(token)
            n_const += token == lib.const_token
            lib.push(slots, token)
            node = node.children[i]
        return tuple(prefix)
