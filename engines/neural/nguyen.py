"""The Nguyen-1..12 benchmarks as ``sr_neural`` uses them.

The definitions (target, variables, domain) come from the one table in
:mod:`mathdisco.engines.sr.benchmarks`; this module adds only what the symbolic network
needs on top: the targets in its variable names ``x0, x1`` and the operator
library it uses by default for each problem (DySymNet configures one per
benchmark too; a user can override it).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from mathdisco.engines.sr.benchmarks import BENCHMARKS

x0, x1 = sympy.symbols("x0 x1")
POLY_OPS = ("id", "square", "mul", "add")
TRIG_OPS = ("id", "sin", "cos", "square", "mul")


@dataclass(frozen=True)
class Benchmark:
    name: str
    expression: sympy.Expr  # in x0 (and x1)
    n_variables: int
    low: float
    high: float
    operators: tuple[str, ...]


_OPERATORS = {1: POLY_OPS, 2: POLY_OPS, 3: POLY_OPS, 4: POLY_OPS, 5: TRIG_OPS, 6: TRIG_OPS,
              7: ("id", "log", "square", "mul"), 8: ("id", "sqrt", "square", "mul"), 9: TRIG_OPS,
              10: TRIG_OPS, 11: ("id", "exp", "log", "mul"), 12: POLY_OPS}


def _from_shared(k: int) -> Benchmark:
    problem = BENCHMARKS[f"Nguyen-{k}"]
    renamed = problem.expression.subs(
        {sympy.Symbol(v): s for v, s in zip(problem.variables, (x0, x1), strict=False)})
    return Benchmark(f"nguyen-{k}", renamed, len(problem.variables), problem.train.low,
                     problem.train.high, _OPERATORS[k])


NGUYEN: dict[str, Benchmark] = {b.name: b for b in (_from_shared(k) for k in range(1, 13))}
