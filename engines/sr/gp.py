"""Genetic-programming refinement seeded by the tree search.

RSRM (Xu et al., ICLR 2024, section 3.4; the reference code's ``ga/``) runs a
generational GP whose initial population is partly the best expressions the
MCTS found and partly random trees; variation is one-point subtree crossover
and one of four mutations (subtree replacement, node replacement, insertion
of a new parent, shrinking to a child); selection is by tournament on the
fitness ``error * eta**(-L)`` (minimised); illegal offspring are discarded.
Added here: with probability ``summand_rate`` a mutation works on the
expression's sum instead -- a new random summand, or (sometimes) dropping
one -- because the fitted model gives every top-level summand its own
coefficient (MRGP-style), so sums grow one useful term at a time (a
polynomial, ``exp(x) + exp(C x)``) instead of by a lucky subtree.
Here the error is the fitted NRMSE of :class:`mathdisco.engines.sr.evaluate.Evaluator`.

Examples
--------
>>> import numpy as np, random
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> lib = Library(["x"], ["add", "mul", "sin"], constants=False)
>>> X = np.linspace(-1, 1, 20)[None, :]
>>> ev = Evaluator(lib, X, np.sin(X[0] * X[0]))
>>> gp = GeneticProgramming(lib, ev, random.Random(1), population=60, generations=5)
>>> best = gp.run([])
>>> ev.best.nrmse < 1e-12
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from mathdisco.engines.sr.evaluate import Evaluator
from mathdisco.engines.sr.mcts import TermsOf, single_term

Expr = tuple[int, ...]


class GeneticProgramming:
    """A generational GP over prefix expressions (one instance per form)."""

    def __init__(self, lib, evaluator: Evaluator, rng: random.Random,
                 terms_of: TermsOf | None = None, population: int = 200, generations: int = 10,
                 tournament: int = 10, crossover_rate: float = 0.3, mutation_rate: float = 0.6,
                 max_depth: int = 8, max_length: int = 30, eta: float = 0.99,
                 hall_of_fame: int = 20, summand_rate: float = 0.1) -> None:
        self.lib, self.evaluator, self.rng = lib, evaluator, rng
        self.terms_of = terms_of or single_term
        self.population, self.generations = population, generations
        self.tournament = tournament
        self.crossover_rate, self.mutation_rate = crossover_rate, mutation_rate
        self.max_depth, self.max_length, self.eta = max_depth, max_length, eta
        self.hall_of_fame_size = hall_of_fame
        self.summand_rate = summand_rate
        self.hall_of_fame: dict[Expr, float] = {}
        self.produced: dict[Expr, float] = {}

    def error(self, expression: Expr) -> float:
        value = self.evaluator.fit(self.terms_of(expression)).nrmse
        self.produced[expression] = value
        return value

    def fitness(self, expression: Expr) -> float:
        err = self.error(expression)
        return err * self.eta ** (-self.lib.size(expression)) if math.isfinite(err) else math.inf

    def _legal(self, expression: Expr) -> bool:
        return self.lib.is_legal(expression, self.max_depth, self.max_length)

    def _random_subtree(self, depth: int = 3) -> Expr:
        return self.lib.random_expression(self.rng, depth, self.max_length)

    def _spans(self, e: Expr) -> tuple[int, int]:
        start = self.rng.randrange(len(e))
        return start, self.lib.subtree_end(e, start)

    def crossover(self, a: Expr, b: Expr) -> Expr:
        s0, s1 = self._spans(a)
        t0, t1 = self._spans(b)
        return a[:s0] + b[t0:t1] + a[s1:]

    def mutate(self, e: Expr) -> Expr:
        lib, rng = self.lib, self.rng
        add = lib.token_of.get("add")
        if add is not None and rng.random() < self.summand_rate:
            # summand-level moves: the fitted model gives every summand its own coefficient
            if lib.arity[e[0]] == 2 and e[0] in (add, lib.token_of.get("sub")) and rng.random() < 0.3:
                c0, c1 = rng.choice(lib.children(e, 0))  # drop a summand
                return e[c0:c1]
            return (add,) + e + self._random_subtree(rng.choice((1, 2, 2, 3)))  # a new summand
        s0, s1 = self._spans(e)
        kind = rng.randrange(4)
        if kind == 0:  # replace a subtree by a random one
            return e[:s0] + self._random_subtree() + e[s1:]
        if kind == 1:  # replace one node by another of the same arity
            same = [t for t in range(len(lib.names)) if lib.arity[t] == lib.arity[e[s0]]]
            return e[:s0] + (rng.choice(same),) + e[s0 + 1:]
        if kind == 2:  # insert a new parent above a subtree
            op = rng.choice(lib.growable)
            if lib.arity[op] == 1:
                new = (op,) + e[s0:s1]
            elif rng.random() < 0.5:
                new = (op,) + e[s0:s1] + self._random_subtree(2)
            else:
                new = (op,) + self._random_subtree(2) + e[s0:s1]
            return e[:s0] + new + e[s1:]
        children = lib.children(e, s0)  # shrink: replace a subtree by one of its arguments
        if not children:
            return e
        c0, c1 = rng.choice(children)
        return e[:s0] + e[c0:c1] + e[s1:]

    def _select(self, pool: list[Expr], scores: dict[Expr, float]) -> Expr:
        contenders = self.rng.choices(pool, k=self.tournament)
        return min(contenders, key=lambda e: (scores[e], len(e)))

    def run(self, seeds: Sequence[Expr]) -> list[Expr]:
        """Evolve from ``seeds`` (at most half the population) plus random trees.

        Returns the hall of fame (best first).
        """
        pool = [e for e in dict.fromkeys(seeds) if self._legal(e)][: self.population // 2]
        while len(pool) < self.population:
            pool.append(self.lib.random_expression(self.rng, 4, self.max_length))
        scores = {e: self.fitness(e) for e in pool}
        self._update_hall(scores)
        for _ in range(self.generations):
            offspring: list[Expr] = []
            while len(offspring) < self.population:
                child = self._select(pool, scores)
                if self.rng.random() < self.crossover_rate:
                    child = self.crossover(child, self._select(pool, scores))
                if self.rng.random() < self.mutation_rate:
                    child = self.mutate(child)
                if self._legal(child):
                    offspring.append(child)
                    if child not in scores:
                        scores[child] = self.fitness(child)
            elite = sorted(scores.items(), key=lambda kv: (kv[1], len(kv[0])))[:2]
            pool = offspring[: self.population - len(elite)] + [e for e, _ in elite]
            scores = {e: scores[e] for e in pool}
            self._update_hall(scores)
        return list(self.hall_of_fame)

    def _update_hall(self, scores: dict[Expr, float]) -> None:
        merged = dict(self.hall_of_fame)
        for e, s in scores.items():
            if math.isfinite(s):
                merged[e] = s
        ranked = sorted(merged.items(), key=lambda kv: (kv[1], len(kv[0])))
        self.hall_of_fame = dict(ranked[: self.hall_of_fame_size])
