"""Noise-aware model selection: refit, drop idle terms, snap constants, choose by description length.

The search proposes models (its Pareto front and the best few by a quick
score); each is processed here on all training rows:

1. **refit** (:mod:`mathdisco.engines.sr.fitting`): the linear coefficients by
   least squares and the constants inside the terms by Levenberg-Marquardt
   (variable projection), every value free;
2. **drop terms** (backward elimination, down to the constant model): the
   term, or summand inside a term, whose removal is least significant is dropped while the partial
   F-test of the removal has a p-value above ``alpha`` (Seber & Lee 2003, section 4.3:
   ``F = ((RSS_r - RSS) / q) / s**2``, ``s**2 = RSS / (n - p)``, with ``q`` the
   parameters removed);
3. **recognise constants**: every free value is offered to the identification
   module (:func:`mathdisco.engines.numerics.measured.interval_candidates`, through
   :mod:`mathdisco.engines.sr.numbers`) and replaced by a closed form when (a) the form
   lies inside the value's confidence interval, ``z = 3`` standard errors from
   the Jacobian, (b) it is a shorter description than the free value, and a
   form that short lies in an interval that wide by accident with chance at
   most ``CHANCE_LEVEL`` (0.1; the look-elsewhere effect, counted) -- (a) and
   (b) are :func:`~mathdisco.engines.numerics.measured.interval_accepts`; zero,
   the value's absence, is offered without them -- and (c) the
   model refitted with it (the other values free) passes the partial F-test
   against the unsnapped one (``q`` = the number of values fixed so far) at
   level ``SNAP_ALPHA`` = 0.0027, the level at which one value's test and its
   ``z = 3`` interval agree.  Each replacement records the fitted value, its
   interval and the chance of an accidental match.
   A model whose residual exceeds twice the model-free noise level (when one
   is given) is an approximation and keeps its fitted numbers;
4. **choose** the model of least description length (a two-part MDL code,
   in nats)::

       DL = n/2 ln(max(RSS/n, floor**2)) + sum_free [ln 2 + ln(1 + |theta|/SE)]
            + sum_snapped cost(number) + L ln(A)

   with ``L`` the model's tokens, ``A`` the size of the token library, and
   ``SE`` the standard error of a free value from the Jacobian
   (``cov = s**2 (J^T J)^-1``).  ``floor`` (relative ``1e-9`` of the data's
   spread) stands for floating-point evaluation and fitting error: exact data
   are taken to carry at least that much noise, so all exact models tie on fit
   and the shortest wins.

The selected model's residual gives the reported noise level
(``sqrt(RSS / (n - p))``).

References: Rissanen, "Modeling by shortest data description", Automatica 14
(1978); Bartlett, Desmond, Ferreira, "Exhaustive Symbolic Regression", IEEE
TEVC 2023 (MDL for symbolic regression, codelength ``k ln(n_ops)`` of a tree
and of its constants); Seber & Lee, *Linear Regression Analysis* (2003).

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Fit
>>> from mathdisco.engines.sr.fitting import Context
>>> lib = Library(["x"], ["add", "mul", "exp"], constants=True)
>>> rng = np.random.default_rng(1)
>>> X = rng.uniform(1, 3, (1, 400))
>>> y = np.exp(-X[0] ** 2 / 2) / np.sqrt(2 * np.pi)
>>> y = y + rng.normal(0, 0.01 * np.sqrt(np.mean(y ** 2)), 400)
>>> term = lib.encode(["exp", "mul", "C", "mul", "x", "x"])
>>> context = Context(lib, X, y)
>>> model = process(Fit((term,), [0.4], 0.001, [-0.49], 0.01, 7), context)
>>> import sympy
>>> from mathdisco.engines.sr.finalise import to_sympy
>>> sympy.sstr(to_sympy(model, lib))
'sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))'
>>> [s["snapped"] for s in model.snapped]
['0', '-1/2', 'sqrt(2)/(2*sqrt(pi))']
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from fractions import Fraction

import scipy.special

from mathdisco.engines.numerics.measured import (
    INTERVAL_Z,
    coincidence_chance,
    interval_accepts,
)
from mathdisco.engines.sr.evaluate import Fit
from mathdisco.engines.sr.fitting import Context, Model, constant_spans, refit
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.numbers import SimpleNumber, candidates, free_cost

__all__ = ["from_fit", "interval_of", "process", "prune", "repair", "snap"]

Expr = tuple[int, ...]
ZERO = SimpleNumber(0.0, Fraction(0), 0, 0.0)
Z_WINDOW = INTERVAL_Z
SNAP_ALPHA = float(scipy.special.erfc(Z_WINDOW / math.sqrt(2)))
"""The snap test's level: one value passes it exactly when its number lies inside the
``Z_WINDOW`` interval (two-sided normal tail, 0.0027), so interval and test agree."""


# -- the tests --------------------------------------------------------------------------------

def _p_value(restricted: Model, full: Model, q: int, context: Context) -> float:
    """The p-value of the partial F-test of ``restricted`` (``q`` fewer free values) against ``full``."""
    n = len(context.y)
    if q <= 0:  # as many free values: no worse fit, up to a hundredth of the floor
        return 1.0 if restricted.rss <= full.rss * (1 + 1e-6) + 0.01 * n * context.floor**2 else 0.0
    df = n - full.free
    if df <= 0:
        return 0.0
    s2 = max(full.rss / df, context.floor**2)
    statistic = max(0.0, restricted.rss - full.rss) / q / s2
    return float(scipy.special.fdtrc(q, df, statistic))


def _passes(restricted: Model, full: Model, q: int, context: Context) -> bool:
    return _p_value(restricted, full, q, context) > context.alpha


def _without(model: Model, j: int, lib: Library) -> Model:
    spans = constant_spans(lib, model.terms)
    a, b = spans[j]
    keep = [i for i in range(len(model.terms)) if i != j]
    return replace(model, terms=tuple(model.terms[i] for i in keep),
                   constants=model.constants[:a] + model.constants[b:],
                   constant_fixed=model.constant_fixed[:a] + model.constant_fixed[b:],
                   coefficients=[model.coefficients[i] for i in keep],
                   coefficient_fixed=[model.coefficient_fixed[i] for i in keep])


def _with_term(model: Model, j: int, term: Expr, first: int, stop: int, lib: Library) -> Model:
    """``model`` with term ``j`` replaced by ``term``, which lacks the term's constants ``first:stop``."""
    a = constant_spans(lib, model.terms)[j][0]
    cut = slice(a + first, a + stop)

    def drop(values: list) -> list:
        return values[:cut.start] + values[cut.stop:]

    return replace(model, terms=model.terms[:j] + (term,) + model.terms[j + 1:],
                   constants=drop(model.constants), constant_fixed=drop(model.constant_fixed))


def _reductions(model: Model, lib: Library):
    """(reduced model, free values removed) for every term and every inner summand of a term."""
    spans = constant_spans(lib, model.terms)
    for j, term in enumerate(model.terms):
        a, b = spans[j]
        yield _without(model, j, lib), (model.coefficient_fixed[j] is None) + sum(
            f is None for f in model.constant_fixed[a:b])
        for reduced, first, stop in lib.inner_summand_removals(term):
            q = sum(f is None for f in model.constant_fixed[a + first:a + stop])
            yield _with_term(model, j, reduced, first, stop, lib), q


def prune(model: Model, context: Context) -> Model:
    """Backward elimination of terms and of summands inside terms by the partial F-test
    (module docstring, step 2).

    A summand inside a term (``(x + 1)(x**4 + x**2 + 1 + exp(C - x))``'s
    ``exp(C - x)``) is as idle as a top-level one when the data cannot see it;
    the constant it distorts is then refitted without it.
    """
    while model.terms and time.monotonic() < context.deadline:
        best = None
        for reduced, q in _reductions(model, context.lib):
            trial = refit(reduced, context)
            if trial is None or (trial.degenerate and not model.degenerate):
                continue  # dropping must not leave a value the data cannot pin down
            if _passes(trial, model, q, context) and (best is None or trial.rss < best.rss):
                best = trial
        if best is None:
            break
        model = best
    return model


def _options(model: Model, context: Context) -> list[tuple[float, str, int, SimpleNumber]]:
    """(gain in nats, kind, index, number) for every free value with an admissible simple number.

    Admissible: the identification module's rule for measured values
    (:func:`mathdisco.engines.numerics.measured.interval_accepts`: inside the
    ``Z_WINDOW`` standard-error interval, shorter than the free value, and unlikely
    to lie there by accident); zero, the value's absence, is offered without them.
    """
    out = []
    exact = context.decimals if model.rss <= len(context.y) * (10 * context.floor) ** 2 else 0
    for kind, numbers, fixed in (("intercept", [model.intercept], [model.intercept_fixed]),
                                 ("coefficients", model.coefficients, model.coefficient_fixed),
                                 ("constants", model.constants, model.constant_fixed)):
        for i, (value, f) in enumerate(zip(numbers, fixed, strict=True)):
            if f is not None:
                continue
            error = model.errors[kind][i]
            width = Z_WINDOW * error if math.isfinite(error) else 0.0
            keep = free_cost(value, error)
            options = [c for c in candidates(value, width, decimals=exact)[:2]
                       if interval_accepts(c, value, error, Z_WINDOW)]
            if kind != "coefficients" and abs(value) <= width and keep > ZERO.cost:
                options = [ZERO] + options  # a zero coefficient is prune's
            for number in options:
                out.append((keep - number.cost, kind, i, number))
    return sorted(out, key=lambda o: -o[0])


def interval_of(value: float, error: float) -> list[float] | None:
    """The ``Z_WINDOW`` standard-error confidence interval of a free value (None: unknown error)."""
    if not math.isfinite(error):
        return None
    return [float(value - Z_WINDOW * error), float(value + Z_WINDOW * error)]


def _prospect(model: Model, context: Context) -> float:
    """The summed best admissible gain of the model's free values (no refits)."""
    gains: dict[tuple[str, int], float] = {}
    for gain, kind, index, _ in _options(model, context):
        gains[kind, index] = max(gain, gains.get((kind, index), 0.0))
    return sum(gains.values())


def _fix(model: Model, kind: str, index: int, number: SimpleNumber) -> Model:
    if kind == "intercept":
        return replace(model, intercept=number.value, intercept_fixed=number)
    values = list(getattr(model, kind))
    fixed = list(getattr(model, f"{kind[:-1]}_fixed"))
    values[index], fixed[index] = number.value, number
    return replace(model, **{kind: values, f"{kind[:-1]}_fixed": fixed})


def snap(model: Model, context: Context, attempts: int = 6) -> Model:
    """Greedy snapping of free values (module docstring, step 3).

    Each round refits the ``attempts`` most promising replacements and, among
    those that pass the test, takes the one whose description length *after*
    the best remaining snaps (each value's best admissible gain, read off the
    refitted model without further fits) is least: correlated values such as a
    scale and an exponent's constant would otherwise trade a simple number for
    a less simple one.  Rounds go on while some replacement passes; of the
    models on that path (the unsnapped one first) the shortest description is
    returned.  ``model.snapped`` lists each fixed value: where, the fitted
    value, the number, and the p-value of the cumulative F-test when it was
    accepted.
    """
    full, fixed = model, 0
    path = [model]
    if context.noise is not None:
        spread = math.sqrt(model.rss / max(1, len(context.y) - model.free))
        if spread > 2.0 * max(context.noise, context.floor):
            return model  # misfit beyond the noise: an approximation keeps its fitted numbers
    while time.monotonic() < context.deadline:
        best, best_key = None, math.inf
        for _, kind, index, number in _options(model, context)[:attempts]:
            trial = refit(_fix(model, kind, index, number), context)
            if trial is None or trial.degenerate:
                continue
            if context.admissible is not None and not context.admissible(trial):
                continue  # a snapped number is dimensionless: its term must carry the unit itself
            p_value = _p_value(trial, full, fixed + 1, context)
            key = trial.length - _prospect(trial, context)
            if p_value <= SNAP_ALPHA or key >= best_key:
                continue
            fitted = model.intercept if kind == "intercept" else getattr(model, kind)[index]
            error = model.errors[kind][index if kind != "intercept" else 0]
            where = "intercept" if kind == "intercept" else f"{kind[:-1]} {index + 1}"
            trial.snapped = model.snapped + [{"where": where, "fitted": float(fitted),
                                              "snapped": number.text, "p_value": p_value,
                                              "interval": interval_of(fitted, error),
                                              "chance": None if number.value == 0 else
                                              coincidence_chance(number, fitted, error, Z_WINDOW)}]
            best, best_key = trial, key
        if best is None:
            break
        model, fixed = best, fixed + 1
        path.append(model)
    return min(path, key=lambda m: m.length)


def from_fit(fit: Fit) -> Model:
    return Model(terms=tuple(fit.terms), constants=list(fit.constants),
                 constant_fixed=[None] * len(fit.constants), coefficients=list(fit.coefficients),
                 coefficient_fixed=[None] * len(fit.coefficients), intercept=fit.intercept,
                 intercept_fixed=None, origin=fit.origin)


def repair(model: Model, context: Context) -> Model:
    """Fix redundant constants (``C * f`` beside a linear coefficient, ``x**C / x**C`` ...).

    A constant in the null space of the Jacobian can take any value without
    changing the fit; it is fixed to the simplest number near its value (1 or
    -1 first) for which the model is identifiable and fits as well.
    """
    for _ in range(len(model.constants)):
        if not model.degenerate or model.redundant is None:
            break
        index = model.redundant
        value = model.constants[index]
        options = [SimpleNumber(1.0, Fraction(1), 0, 0.0), SimpleNumber(-1.0, Fraction(-1), 0, 0.7)]
        options += candidates(value, 0.5 * abs(value))[:3]
        for number in options:
            trial = refit(_fix(model, "constants", index, number), context)
            if trial is not None and _passes(trial, model, 0, context):
                trial.snapped = model.snapped + [{"where": f"constant {index + 1}", "fitted": value,
                                                  "snapped": number.text, "p_value": 1.0,
                                                  "interval": None, "chance": None}]
                model = trial
                break
        else:
            break
    return model


def process(fit: Fit, context: Context) -> Model | None:
    """Refit, repair, prune and snap one search-stage fit on the context's rows (steps 1-3)."""
    model = refit(from_fit(fit), context)
    if model is None:
        return None
    model = repair(model, context)
    model = prune(model, context)
    return snap(model, context)
