"""Physical units: parse them, and check a model's dimensional consistency.

Variables and the target may carry units (``{"m": "kg", "v": "m/s", "y": "J"}``);
a unit is a product of powers of the SI base units (``kg m s A K mol cd``) or
of the derived ones listed in :data:`DERIVED` (``N J W Pa C V Hz``), written
``kg*m/s**2``, ``kg m s^-2`` or ``1`` (dimensionless).  A dimension is the
vector of base-unit exponents (rationals: ``sqrt`` halves them).

Checking a prefix tree bottom-up, as PySR's ``X_units``/``y_units`` do
(Cranmer, "Interpretable machine learning for science with PySR and
SymbolicRegression.jl", 2023, section "dimensional constraints"): sums need
equal dimensions, products add them, ``exp``/``log``/``sin``/``cos``/``tan``
need dimensionless arguments and are dimensionless, ``sqrt`` halves.  A fitted
constant (``C``) or a free coefficient is a *wildcard*: it takes whatever
dimension makes the expression consistent; a snapped number (``1/2``,
``4 pi``) is dimensionless.  The selection (:mod:`mathdisco.engines.sr.finalise`)
refuses models that are inconsistent with the target's unit.

Examples
--------
>>> parse_unit("kg*m/s**2") == parse_unit("N")
True
>>> from mathdisco.engines.sr.grammar import Library
>>> lib = Library(["m", "v"], ["add", "mul", "exp"], constants=True)
>>> units = {"m": parse_unit("kg"), "v": parse_unit("m/s")}
>>> term_dimension(lib, lib.encode(["mul", "m", "mul", "v", "v"]), units)
(Fraction(1, 1), Fraction(2, 1), Fraction(-2, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1), Fraction(0, 1))
>>> term_dimension(lib, lib.encode(["exp", "m"]), units) is INCONSISTENT
True
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction

from mathdisco.engines.sr.grammar import Library

__all__ = ["BASE", "DERIVED", "INCONSISTENT", "WILD", "consistent", "parse_unit", "term_dimension"]

BASE = ("kg", "m", "s", "A", "K", "mol", "cd")
Dimension = tuple[Fraction, ...]
DIMENSIONLESS: Dimension = tuple(Fraction(0) for _ in BASE)
WILD = "wild"  # a fitted constant: any dimension
INCONSISTENT = "inconsistent"

_SI = {name: tuple(Fraction(int(i == k)) for k in range(len(BASE))) for i, name in enumerate(BASE)}


def _vector(**powers: int) -> Dimension:
    return tuple(Fraction(powers.get(name, 0)) for name in BASE)


DERIVED: dict[str, Dimension] = {
    "N": _vector(kg=1, m=1, s=-2), "J": _vector(kg=1, m=2, s=-2), "W": _vector(kg=1, m=2, s=-3),
    "Pa": _vector(kg=1, m=-1, s=-2), "C": _vector(s=1, A=1), "V": _vector(kg=1, m=2, s=-3, A=-1),
    "Hz": _vector(s=-1), "g": _vector(kg=1),
}
_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z]+)(?:\s*(?:\*\*|\^)\s*(?P<power>-?\d+(?:/\d+)?))?|(?P<op>[*/])|(?P<one>1))")


def parse_unit(text: str) -> Dimension:
    """The dimension of a unit such as ``"kg*m/s**2"`` or ``"kg m s^-2"``; ValueError when unknown."""
    text = text.strip()
    if text in ("", "1"):
        return DIMENSIONLESS
    total = list(DIMENSIONLESS)
    sign = 1
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read the unit {text!r} at position {position}")
        position = match.end()
        if match.group("op"):
            sign = -1 if match.group("op") == "/" else 1
            continue
        if match.group("one"):
            continue
        name = match.group("name")
        unit = _SI.get(name) or DERIVED.get(name)
        if unit is None:
            raise ValueError(f"unknown unit {name!r} in {text!r}; known: {', '.join(BASE + tuple(DERIVED))}")
        power = Fraction(match.group("power") or 1) * sign
        total = [t + power * u for t, u in zip(total, unit, strict=True)]
        sign = 1
    return tuple(total)


def _combine(kind: str, a, b):
    if a is INCONSISTENT or b is INCONSISTENT:
        return INCONSISTENT
    if kind == "sum":
        if a is WILD:
            return b
        if b is WILD:
            return a
        return a if a == b else INCONSISTENT
    if a is WILD or b is WILD:
        return WILD
    sign = 1 if kind == "mul" else -1
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def _unary(name: str, a):
    if a is INCONSISTENT:
        return INCONSISTENT
    if name in ("exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "atan"):
        return DIMENSIONLESS if a is WILD or a == DIMENSIONLESS else INCONSISTENT
    if a is WILD or name in ("neg", "abs"):
        return a
    factor = {"sqrt": Fraction(1, 2), "square": Fraction(2), "cube": Fraction(3), "inv": Fraction(-1)}[name]
    return tuple(factor * x for x in a)


def term_dimension(lib: Library, prefix: Sequence[int], units: Mapping[str, Dimension],
                   fixed: Sequence[bool] = ()):
    """The dimension of a prefix tree: a vector, ``WILD`` or ``INCONSISTENT``.

    ``fixed[k]`` says the ``k``-th ``C`` was snapped to a number (dimensionless).
    Variables without a unit are dimensionless.
    """
    stack: list = []
    constants = [i for i, t in enumerate(prefix) if t == lib.const_token]
    position_of = {i: k for k, i in enumerate(constants)}
    for i in range(len(prefix) - 1, -1, -1):
        token = prefix[i]
        if token < lib.n_variables:
            stack.append(units.get(lib.variables[token], DIMENSIONLESS))
        elif token == lib.const_token:
            k = position_of[i]
            stack.append(DIMENSIONLESS if k < len(fixed) and fixed[k] else WILD)
        elif lib.arity[token] == 1:
            stack.append(_unary(lib.names[token], stack.pop()))
        else:
            a, b = stack.pop(), stack.pop()
            name = lib.names[token]
            if name in ("add", "sub"):
                stack.append(_combine("sum", a, b))
            elif name == "mul":
                stack.append(_combine("mul", a, b))
            elif name == "div":
                stack.append(_combine("div", a, b))
            else:  # pow: a dimensionless base and exponent only
                ok = all(v is WILD or v == DIMENSIONLESS for v in (a, b))
                stack.append(DIMENSIONLESS if ok else INCONSISTENT)
    return stack[0]


def consistent(lib: Library, terms: Sequence[Sequence[int]], coefficient_free: Sequence[bool],
               constant_fixed: Sequence[bool], intercept: bool, intercept_free: bool,
               units: Mapping[str, Dimension], target: Dimension) -> bool:
    """Whether ``intercept + sum coefficient_k * term_k`` can have the target's dimension.

    A free coefficient (or intercept) is a wildcard; a snapped one is dimensionless,
    so its term must have the target's dimension itself.
    """
    offset = 0
    for term, free in zip(terms, coefficient_free, strict=True):
        k = sum(1 for t in term if t == lib.const_token)
        dimension = term_dimension(lib, term, units, constant_fixed[offset:offset + k])
        offset += k
        if dimension is INCONSISTENT:
            return False
        if not free and dimension is not WILD and dimension != target:
            return False
    return not (intercept and not intercept_free and target != DIMENSIONLESS)
