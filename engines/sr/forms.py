"""Modulated sub-tree discovery (MSDB): mining a common form from good candidates.

RSRM (Xu et al., ICLR 2024, section 3.5; the reference code's ``msdb/``)
looks at the best expressions of the GP and, when they share a sub-expression
``A``, continues the search for the rest only: ``A + f`` (additive form) or
``A * f`` (multiplicative form), tried in the order Mul, Add.  A summand joins
the additive form when it occurs in at least ``token_ratio`` of the
expressions whose error is within ``1 / expr_ratio`` of the best one (always
the best two); a factor makes a multiplicative form when it occurs in that
share of the single-product expressions.

Examples
--------
>>> import numpy as np
>>> from mathdisco.engines.sr.grammar import Library
>>> from mathdisco.engines.sr.evaluate import Evaluator
>>> lib = Library(["x"], ["add", "mul", "exp", "log"], constants=False)
>>> X = np.linspace(0.5, 2, 20)[None, :]
>>> ev = Evaluator(lib, X, np.exp(X[0]) + X[0] ** 3)
>>> exprs = [lib.encode(s) for s in (["add", "exp", "x", "x"], ["exp", "x"],
...                                  ["add", "exp", "x", "log", "x"])]
>>> form = discover_form(lib, ev, exprs)
>>> form.kind, [lib.decode(t) for t in form.parts]
('add', [['exp', 'x']])
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mathdisco.engines.sr.evaluate import Evaluator
from mathdisco.engines.sr.grammar import Library

Expr = tuple[int, ...]


@dataclass(frozen=True)
class Form:
    """``A + f`` (kind "add", ``parts`` = the summands of A) or ``A * f`` (kind "mul", one factor)."""

    kind: str
    parts: tuple[Expr, ...]

    def terms_of(self, lib: Library):
        """The function mapping a candidate ``f`` to the summands fitted for ``form(f)``."""
        if self.kind == "add":
            parts = self.parts
            return lambda f: (f,) + tuple(p for p in parts if p != f)
        prefix = (lib.token_of["mul"],) + self.parts[0]
        return lambda f: (prefix + f,)

    def describe(self, lib: Library) -> str:
        inner = " + ".join(str(lib.to_sympy(p)) for p in self.parts)
        return f"({inner}) + f" if self.kind == "add" else f"({inner}) * f"


def _mul_factors(lib: Library, expr: Expr) -> list[Expr]:
    mul = lib.token_of.get("mul", -2)
    factors, stack = [], [(0, len(expr))]
    while stack:
        start, end = stack.pop()
        if expr[start] == mul:
            stack.extend(lib.children(expr, start))
        else:
            factors.append(tuple(expr[start:end]))
    return factors


def discover_form(lib: Library, evaluator: Evaluator, expressions: Sequence[Expr],
                  max_expressions: int = 20, expr_ratio: float = 0.1,
                  token_ratio: float = 0.5, max_parts: int = 3) -> Form | None:
    """The form shared by the best of ``expressions`` (no form applied), or None."""
    scored = []
    for e in dict.fromkeys(expressions):
        fit = evaluator.fit((e,))
        if fit.valid:
            scored.append((fit.nrmse, len(e), e, fit))
    scored.sort(key=lambda s: (s[0], s[1]))
    scored = scored[:max_expressions]
    if len(scored) < 2:
        return None
    best = max(scored[0][0], 1e-300)
    kept = [s for i, s in enumerate(scored) if i < 2 or best / max(s[0], 1e-300) > expr_ratio]
    threshold = token_ratio * len(kept)

    if "mul" in lib.token_of:
        products = [s for s in kept if s[2][0] == lib.token_of["mul"]]
        counts = Counter(f for s in products for f in set(_mul_factors(lib, s[2])))
        common = [f for f, c in counts.most_common() if c >= threshold and c >= 2
                  and any(t < lib.n_variables for t in f)]
        if common:
            return Form("mul", (max(common, key=len),))

    counts = Counter(t for s in kept for t in lib.additive_terms(s[2]))
    common = tuple(sorted(t for t, c in counts.items() if c >= threshold and c >= 2))[:max_parts]
    if common and math.isfinite(scored[0][0]):
        return Form("add", common)
    return None
