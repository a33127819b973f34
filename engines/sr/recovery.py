"""Exact recovery: whether a found expression is the ground truth (RSRM, section 4.1).

Recovery is symbolic equivalence, checked after agreement on the noise-free
test rows; the benchmark tables and ``sr_mcts``'s ``recovered`` use this one test.

Examples
--------
>>> x = sympy.Symbol("x")
>>> symbolically_equal(x * (x + 1), x**2 + x), symbolically_equal(x**2, x)
(True, False)
"""

from __future__ import annotations

import numpy as np
import sympy

from mathdisco.engines.sr.benchmarks import sympy_to_numpy

__all__ = ["is_recovered", "symbolically_equal"]


def symbolically_equal(found: sympy.Expr, truth: sympy.Expr, positive: bool = False) -> bool:
    """Whether two expressions are identical as functions (sympy simplification of the difference).

    With ``positive`` the variables are taken as positive reals (the benchmark's
    domain), so ``exp(log(x)/2)`` equals ``sqrt(x)``.
    """
    names = {s.name for s in found.free_symbols | truth.free_symbols}
    table = {n: sympy.Symbol(n, positive=True) if positive else sympy.Symbol(n, real=True) for n in names}
    a = found.xreplace({s: table[s.name] for s in found.free_symbols})
    b = truth.xreplace({s: table[s.name] for s in truth.free_symbols})
    difference = a - b
    if difference == 0 or sympy.expand(difference) == 0:
        return True
    for simplifier in (sympy.simplify, lambda e: sympy.simplify(sympy.expand_log(e, force=positive)),
                       sympy.trigsimp):
        try:
            if simplifier(difference) == 0:
                return True
        except (TypeError, ValueError, RecursionError):
            continue
    return False


def is_recovered(expression: sympy.Expr, truth: sympy.Expr, variables: list[str], positive: bool,
                 Xt: np.ndarray, yt: np.ndarray) -> bool:
    """Exact recovery: equal to the truth on the (noise-free) test rows, then symbolically."""
    try:
        values = np.broadcast_to(sympy_to_numpy(expression, variables)(Xt), yt.shape)
    except (ValueError, TypeError):
        return False
    if not np.allclose(values, yt, rtol=1e-6, atol=1e-9 * max(1.0, float(np.abs(yt).max()))):
        return False
    return symbolically_equal(expression, truth, positive)
