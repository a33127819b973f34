"""The operator registry of the symbolic-regression engine.

Every operator a search may use is declared once here with its arity, its
vectorised numpy implementation, its sympy form and its LaTeX form, plus the
legality classes the grammar uses ("no trig inside trig", "no exp directly
under log and no log directly under exp", as in RSRM's token constraints).

Reference: Xu, Liu, Sun, "Reinforcement Symbolic Regression Machine", ICLR
2024, section 3 (token library) and the reference code's ``expr_utils``
constraints.  Implementations here are unprotected on purpose: a candidate that
divides by zero or takes the log of a negative number produces a non-finite
value and is discarded, so a recovered expression is valid on every sample.

Examples
--------
>>> import numpy as np
>>> OPERATORS["mul"].numpy(np.array([2.0]), np.array([3.0]))
array([6.])
>>> OPERATORS["sin"].latex("x")
'\\\\sin{\\\\left(x\\\\right)}'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy


@dataclass(frozen=True)
class Operator:
    """One operator: arity, numpy and sympy implementations, LaTeX template."""

    name: str
    arity: int
    numpy: Callable[..., np.ndarray]
    sympy: Callable[..., sympy.Expr]
    latex: Callable[..., str]
    trig: bool = False
    weight: int = 1
    """Its count in a model's complexity: that of its expansion in the Koza set when it has one
    (``sinh a = (exp(a) - exp(-a))/2``: 6 nodes beside ``a``), so a shortcut adds no parsimony."""


def _paren(s: str) -> str:
    return rf"\left({s}\right)"


def _sqrt_sympy(a: sympy.Expr) -> sympy.Expr:
    return sympy.sqrt(a)


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in [
        Operator("add", 2, np.add, lambda a, b: a + b, lambda a, b: f"{a} + {b}"),
        Operator("sub", 2, np.subtract, lambda a, b: a - b,
                 lambda a, b: f"{a} - {_paren(b)}"),
        Operator("mul", 2, np.multiply, lambda a, b: a * b,
                 lambda a, b: f"{_paren(a)} {_paren(b)}"),
        Operator("div", 2, np.divide, lambda a, b: a / b,
                 lambda a, b: rf"\frac{{{a}}}{{{b}}}"),
        Operator("sin", 1, np.sin, sympy.sin, lambda a: rf"\sin{{{_paren(a)}}}", trig=True),
        Operator("cos", 1, np.cos, sympy.cos, lambda a: rf"\cos{{{_paren(a)}}}", trig=True),
        Operator("tan", 1, np.tan, sympy.tan, lambda a: rf"\tan{{{_paren(a)}}}", trig=True),
        Operator("exp", 1, np.exp, sympy.exp, lambda a: f"e^{{{a}}}"),
        Operator("log", 1, np.log, sympy.log, lambda a: rf"\log{{{_paren(a)}}}"),
        Operator("sqrt", 1, np.sqrt, _sqrt_sympy, lambda a: rf"\sqrt{{{a}}}"),
        Operator("neg", 1, np.negative, lambda a: -a, lambda a: f"-{_paren(a)}"),
        Operator("square", 1, np.square, lambda a: a**2, lambda a: f"{_paren(a)}^{{2}}"),
        Operator("cube", 1, lambda a: a * a * a, lambda a: a**3,
                 lambda a: f"{_paren(a)}^{{3}}"),
        Operator("inv", 1, np.reciprocal, lambda a: 1 / a, lambda a: rf"\frac{{1}}{{{a}}}"),
        Operator("pow", 2, np.power, lambda a, b: a**b, lambda a, b: f"{_paren(a)}^{{{b}}}"),
        Operator("sinh", 1, np.sinh, sympy.sinh, lambda a: rf"\sinh{{{_paren(a)}}}", weight=6),
        Operator("cosh", 1, np.cosh, sympy.cosh, lambda a: rf"\cosh{{{_paren(a)}}}", weight=6),
        Operator("tanh", 1, np.tanh, sympy.tanh, lambda a: rf"\tanh{{{_paren(a)}}}", weight=8),
        Operator("abs", 1, np.abs, sympy.Abs, lambda a: rf"\left|{a}\right|", weight=2),
        Operator("asin", 1, np.arcsin, sympy.asin, lambda a: rf"\arcsin{{{_paren(a)}}}"),
        Operator("atan", 1, np.arctan, sympy.atan, lambda a: rf"\arctan{{{_paren(a)}}}"),
    ]
}

KOZA = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log")
"""The Koza function set used by the Nguyen benchmarks (and RSRM's shipped config)."""

EXTENDED = ("sqrt", "sinh", "cosh", "tanh", "abs", "atan", "asin")
"""Operators the default search adds to the Koza set on given data (:func:`default_operators`)."""


def default_operators(X: np.ndarray) -> tuple[str, ...]:
    """The default operator set for data ``X`` (variables x rows): Koza plus :data:`EXTENDED`,
    ``asin`` only when every input lies in its domain ``[-1, 1]``.

    Each addition is weighted in the complexity like its expansion (``Operator.weight``), so it
    shortens the search, not the description.

    >>> default_operators(np.array([[0.5, -0.2]]))[-1], default_operators(np.array([[2.0]]))[-1]
    ('asin', 'atan')
    """
    inside = bool(X.size) and bool(np.all(np.abs(X) <= 1.0))
    return KOZA + tuple(n for n in EXTENDED if n != "asin" or inside)



def validate_operator_names(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names, deduplicated in order; ValueError naming any unknown one.

    Examples
    --------
    >>> validate_operator_names(["add", "add", "sin"])
    ['add', 'sin']
    """
    unknown = [n for n in names if n not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown operators {unknown}; known: {sorted(OPERATORS)}")
    if not any(OPERATORS[n].arity == 2 for n in names):
        raise ValueError("the operator set needs at least one binary operator")
    return list(dict.fromkeys(names))
