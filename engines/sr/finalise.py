"""From the search's candidates to the reported models: selection on all rows, rendering, Pareto front.

The search (:mod:`mathdisco.engines.sr.search`) fits candidates on its rows (a subsample
of large data); here the most promising of them -- the error/size Pareto
front and the best few by a quick description length -- are processed on
*all* training rows by :func:`mathdisco.engines.sr.selection.process` (refit, drop idle
terms, snap numbers under a statistical test), and the one of least
description length is the result.  Each processed model is rendered as a sympy
expression (snapped numbers exact, free ones to the digits their standard
errors justify), with its NRMSE, its size and its description length.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> lib = Library(["x"], ["add", "mul", "sin"], constants=False)
>>> X = np.linspace(-1, 1, 30)[None, :]
>>> ev = Evaluator(lib, X, np.sin(X[0]) + 2)
>>> _ = ev.fit((lib.encode(["sin", "x"]),)), ev.fit((lib.encode(["x"]),))
>>> chosen, rows = finalise(lib, ev, X, ev.y, noise=1e-12)
>>> str(chosen.expression), [str(r.expression) for r in rows]  # doctest: +ELLIPSIS
('sin(x) + 2', ['sin(x) + 2', '0.89...*x + 2.0'])
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import sympy

from mathdisco.engines.sr import kernels
from mathdisco.engines.sr.evaluate import Evaluator, Fit, snap_decimal, snap_pi_multiple, snap_value
from mathdisco.engines.sr.fitting import Context, Model, constant_spans, quick_length, refit
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.numbers import SimpleNumber
from mathdisco.engines.sr.selection import from_fit, process

__all__ = ["Chosen", "finalise", "fit_to_sympy", "fold_numbers", "pareto_front", "predict", "tidy",
           "to_sympy"]


@dataclass
class Chosen:
    """A processed model, its expression and figures on the selection rows."""

    model: Model
    expression: sympy.Expr
    nrmse: float
    complexity: int
    length: float
    selected: bool = False
    consistent: bool | None = None  # dimensional consistency (None: no units given)


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
    """``intercept + sum coefficient * term`` of a search-stage fit (numbers exact when rational)."""
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
    within ``1e-10`` of zero are dropped.  The caller checks the folded
    expression against the data.

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


def predict(model: Model, lib: Library, X: np.ndarray) -> np.ndarray:
    """The model's values on the columns of ``X`` (NaN where a term is undefined)."""
    out = np.full(X.shape[1], model.intercept, dtype=float)
    offset = 0
    with np.errstate(all="ignore"):
        for term, coefficient in zip(model.terms, model.coefficients, strict=True):
            k = lib.count_constants(term)
            code, arg = lib.lower(term)
            values = np.asarray(model.constants[offset:offset + k], dtype=float)
            out = out + coefficient * kernels.evaluate_program(code, arg, values, X)
            offset += k
    return out


def _model_number(value: float, fixed: SimpleNumber | None, error: float) -> sympy.Expr:
    if fixed is not None:
        return fixed.expr
    digits = 12
    if math.isfinite(error) and error > 0 and value != 0:
        digits = int(min(12, max(4, math.ceil(math.log10(abs(value) / error)) + 2)))
    return sympy.Float(float(f"{value:.{digits}g}"), digits)


def to_sympy(model: Model, lib: Library, symbols: list[sympy.Symbol] | None = None) -> sympy.Expr:
    """The model as a sympy expression: snapped numbers exact, free ones to their precision."""
    errors = model.errors or {"constants": [math.inf] * len(model.constants),
                              "coefficients": [math.inf] * len(model.coefficients),
                              "intercept": [math.inf]}
    constants = [_model_number(c, f, e) for c, f, e in
                 zip(model.constants, model.constant_fixed, errors["constants"], strict=True)]
    expression = _model_number(model.intercept, model.intercept_fixed, errors["intercept"][0])
    for j, (term, (a, b)) in enumerate(zip(model.terms, constant_spans(lib, model.terms), strict=True)):
        coefficient = _model_number(model.coefficients[j], model.coefficient_fixed[j], errors["coefficients"][j])
        expression += coefficient * lib.to_sympy(term, constants[a:b], symbols)
    return expression


def _complexity(expression: sympy.Expr) -> int:
    return sum(1 for _ in sympy.preorder_traversal(expression))


def _matches(expression: sympy.Expr, variables: list[str], X: np.ndarray, y: np.ndarray,
             scale: float, nrmse: float) -> bool:
    """Whether ``expression`` fits the data as well as the model it renders."""
    from mathdisco.engines.sr.benchmarks import sympy_to_numpy

    try:
        values = sympy_to_numpy(expression, variables)(X)
    except (ValueError, TypeError):
        return False
    values = np.broadcast_to(values, y.shape)
    error = float(np.sqrt(np.mean((values - y) ** 2))) / scale
    return math.isfinite(error) and error <= max(1e-12, 1.000001 * nrmse)


def _ranked_candidates(evaluator: Evaluator, context: Context, size: int, extra: int) -> list[Fit]:
    fits = [f for f in evaluator.cache.values() if f.valid]
    n = len(evaluator.y)

    def score(f: Fit) -> float:
        return quick_length(f, n, context.floor_relative, context.alphabet, len(f.constants))

    front = pareto_front(fits, size)
    shortest = sorted(fits, key=score)[:extra]
    return sorted({id(f): f for f in front + shortest}.values(), key=score)


def _probe(X: np.ndarray, rows: int = 512) -> np.ndarray:
    """Points uniform on the box the training inputs span (seeded): where a model must be defined.

    A model that is finite on every training row can still take the log of a
    negative number between them (and so on test rows); such models are
    refused when another one is defined on the whole box.
    """
    rng = np.random.default_rng(12345)
    low, high = X.min(axis=1, keepdims=True), X.max(axis=1, keepdims=True)
    return low + (high - low) * rng.random((X.shape[0], rows))


def _dimension_check(lib: Library, units: dict | None):
    """A predicate ``Model -> bool`` for dimensional consistency, or None without units."""
    if not units:
        return None
    from mathdisco.engines.sr.units import DIMENSIONLESS, consistent

    variables = {k: v for k, v in units.items() if k != "y"}
    target = units.get("y", DIMENSIONLESS)

    def check(model: Model) -> bool:
        return consistent(lib, model.terms, [f is None for f in model.coefficient_fixed],
                          [f is not None for f in model.constant_fixed], model.intercept != 0.0,
                          model.intercept_fixed is None, variables, target)

    return check


def finalise(lib: Library, evaluator: Evaluator, X: np.ndarray, y: np.ndarray, *,
             positive: bool = False, deadline: float = math.inf, size: int = 12, extra: int = 6,
             noise: float | None = None, units: dict | None = None) -> tuple[Chosen, list[Chosen]]:
    """The selected model and the processed front (by increasing complexity); see the module docstring.

    Candidates are processed best first by the quick length while time remains
    before ``deadline`` (at least one always is).  ``noise``: the model-free
    noise level (absolute), which tells approximations from plausible laws.
    ``units``: variable name (and ``"y"``) -> dimension
    (:func:`mathdisco.engines.sr.units.parse_unit`); dimensionally inconsistent models
    are refused (kept only when no candidate is consistent, and marked so).
    Models undefined somewhere on the box of the inputs are refused the same
    way (:func:`_probe`).
    """
    check = _dimension_check(lib, units)
    context = Context(lib, X, y, deadline=deadline, noise=noise, admissible=check)
    probe = _probe(X)
    symbols = [sympy.Symbol(v, positive=True) if positive else sympy.Symbol(v) for v in lib.variables]
    plain = {s: sympy.Symbol(s.name) for s in symbols}
    processed: list[Model] = []
    for fit in _ranked_candidates(evaluator, context, size, extra):
        if processed and time.monotonic() >= deadline:
            break
        model = process(fit, context)
        if model is None:
            model = refit(from_fit(fit), context)
        if model is not None and math.isfinite(model.rss):
            model.defined = bool(np.isfinite(predict(model, lib, probe)).all())
            processed.append(model)
    if not processed:
        raise ValueError("no candidate could be evaluated on this data (all non-finite)")
    # one row per distinct model; the least description length is the result
    unique: dict[tuple, Model] = {}
    for model in processed:
        key = (model.terms, tuple(round(v, 9) for v in model.constants + model.coefficients))
        if key not in unique or model.length < unique[key].length:
            unique[key] = model
    if any(m.defined for m in unique.values()):  # defined on the whole box of the inputs
        unique = {key: m for key, m in unique.items() if m.defined}
    verdict = {key: (check(m) if check is not None else None) for key, m in unique.items()}
    if check is not None and any(verdict.values()):
        unique = {key: m for key, m in unique.items() if verdict[key]}
    rows = []
    best = min(unique.values(), key=lambda m: m.length)
    for key, model in unique.items():
        expression = to_sympy(model, lib, symbols)
        nrmse = model.nrmse(context.scale)
        if expression.has(sympy.Float):
            folded = fold_numbers(expression)
            if folded != expression and _matches(folded, lib.variables, X, y, context.scale, nrmse):
                expression = folded
        if model is best and time.monotonic() < deadline:
            expression = tidy(expression)
        expression = expression.xreplace(plain)
        rows.append(Chosen(model, expression, nrmse, _complexity(expression), model.length,
                           selected=model is best, consistent=verdict[key]))
    rows.sort(key=lambda r: (r.complexity, r.nrmse))
    chosen = next(r for r in rows if r.selected)
    return chosen, rows
