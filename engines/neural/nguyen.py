"""The Nguyen-1..12 symbolic-regression benchmarks (Uy et al., "Semantically-based
crossover in genetic programming", Genetic Programming and Evolvable Machines
12, 2011; the DSO/Koza data protocol: 20 points drawn uniformly on the domain).

A small local table for ``sr_neural``; the ``sr_mcts`` engine keeps its own,
to be unified later.  ``operators`` is the operator library the symbolic
network uses by default for that problem (DySymNet configures one per
benchmark too); a user can override it.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

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


def _poly(degree: int) -> sympy.Expr:
    return sum(x0**k for k in range(1, degree + 1))


NGUYEN: dict[str, Benchmark] = {b.name: b for b in [
    Benchmark("nguyen-1", _poly(3), 1, -1, 1, POLY_OPS),
    Benchmark("nguyen-2", _poly(4), 1, -1, 1, POLY_OPS),
    Benchmark("nguyen-3", _poly(5), 1, -1, 1, POLY_OPS),
    Benchmark("nguyen-4", _poly(6), 1, -1, 1, POLY_OPS),
    Benchmark("nguyen-5", sympy.sin(x0**2) * sympy.cos(x0) - 1, 1, -1, 1, TRIG_OPS),
    Benchmark("nguyen-6", sympy.sin(x0) + sympy.sin(x0 + x0**2), 1, -1, 1, TRIG_OPS),
    Benchmark("nguyen-7", sympy.log(x0 + 1) + sympy.log(x0**2 + 1), 1, 0, 2, ("id", "log", "square", "mul")),
    Benchmark("nguyen-8", sympy.sqrt(x0), 1, 0, 4, ("id", "sqrt", "square", "mul")),
    Benchmark("nguyen-9", sympy.sin(x0) + sympy.sin(x1**2), 2, 0, 1, TRIG_OPS),
    Benchmark("nguyen-10", 2 * sympy.sin(x0) * sympy.cos(x1), 2, 0, 1, TRIG_OPS),
    Benchmark("nguyen-11", x0**x1, 2, 0, 1, ("id", "exp", "log", "mul")),
    Benchmark("nguyen-12", x0**4 - x0**3 + x1**2 / 2 - x1, 2, 0, 1, POLY_OPS),
]}
