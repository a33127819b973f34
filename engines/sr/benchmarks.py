"""Benchmark problems for symbolic regression, generated from their definitions.

The definitions are the canonical ones of the DSO benchmark table (the Koza
function set, ``U[a, b, n]`` = ``n`` points uniform on ``[a, b]`` per
variable, ``E[a, b, s]`` = an even grid of step ``s``), as used by DSR, NGGP,
uDSR and compared against in RSRM (Xu et al., ICLR 2024, section 4.1).  The
test set is a fresh sample from the same distribution.  Data come from
``numpy.random.default_rng(seed)``; the target is evaluated by
:func:`sympy_to_numpy`, a walk over the sympy tree (no code generation).

Examples
--------
>>> problem = BENCHMARKS["Nguyen-1"]
>>> X, y = problem.sample(seed=0)
>>> X.shape, bool(abs(y[0] - (X[0, 0]**3 + X[0, 0]**2 + X[0, 0])) < 1e-12)
((1, 20), True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

x, y_ = sympy.symbols("x y")
X_POS, Y_POS = sympy.symbols("x y", positive=True)


@dataclass(frozen=True)
class Sampler:
    """``U[low, high, n]`` (uniform) or ``E[low, high, step]`` (grid)."""

    kind: str
    low: float
    high: float
    n_or_step: float

    def draw(self, n_vars: int, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "U":
            return rng.uniform(self.low, self.high, size=(n_vars, int(self.n_or_step)))
        grid = np.arange(self.low, self.high + self.n_or_step / 2, self.n_or_step)
        if n_vars == 1:
            return grid[None, :]
        mesh = np.meshgrid(*([grid] * n_vars), indexing="ij")
        return np.stack([m.ravel() for m in mesh])


@dataclass(frozen=True)
class Problem:
    """A named benchmark: target expression, variables, sampler, function set.

    ``ranges`` (optional) gives each variable its own uniform interval, with
    ``train.n_or_step`` points (the AI Feynman convention); otherwise every
    variable is drawn by ``train``.
    """

    name: str
    expression: sympy.Expr
    variables: tuple[str, ...]
    train: Sampler
    operators: tuple[str, ...] = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log")
    constants: bool = False  # whether the benchmark's function set includes constants
    ranges: tuple[tuple[float, float], ...] | None = None

    def sample(self, seed: int, test: bool = False, noise: float = 0.0,
               rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(X, y) with X of shape (variables, points); the test set uses another stream.

        ``noise`` adds Gaussian noise of standard deviation ``noise * RMS(y)``
        to the training targets (SRBench's convention; test targets stay
        exact).  ``rows`` overrides the number of uniform samples.
        """
        rng = np.random.default_rng([seed, 1 if test else 0])
        count = int(rows if rows is not None else self.train.n_or_step)
        if self.ranges is not None:
            X = np.stack([rng.uniform(low, high, count) for low, high in self.ranges])
        elif self.train.kind == "U" and rows is not None:
            X = rng.uniform(self.train.low, self.train.high, size=(len(self.variables), count))
        else:
            X = self.train.draw(len(self.variables), rng)
        y = sympy_to_numpy(self.expression, self.variables)(X)
        if noise > 0 and not test:
            scale = float(np.sqrt(np.mean(y**2)))
            y = y + np.random.default_rng([seed, 2]).normal(0.0, noise * scale, y.shape)
        return X, y

    @property
    def positive_domain(self) -> bool:
        if self.ranges is not None:
            return all(low >= 0 for low, _ in self.ranges)
        return self.train.low >= 0


def _u(low: float, high: float, n: int = 20) -> Sampler:
    return Sampler("U", low, high, n)


def _e(low: float, high: float, step: float) -> Sampler:
    return Sampler("E", low, high, step)


S = sympy.Rational
_DEFS: list[tuple[str, Callable[[], sympy.Expr], int, Sampler, bool]] = [
    ("Nguyen-1", lambda: x**3 + x**2 + x, 1, _u(-1, 1), False),
    ("Nguyen-2", lambda: x**4 + x**3 + x**2 + x, 1, _u(-1, 1), False),
    ("Nguyen-3", lambda: x**5 + x**4 + x**3 + x**2 + x, 1, _u(-1, 1), False),
    ("Nguyen-4", lambda: x**6 + x**5 + x**4 + x**3 + x**2 + x, 1, _u(-1, 1), False),
    ("Nguyen-5", lambda: sympy.sin(x**2) * sympy.cos(x) - 1, 1, _u(-1, 1), False),
    ("Nguyen-6", lambda: sympy.sin(x) + sympy.sin(x + x**2), 1, _u(-1, 1), False),
    ("Nguyen-7", lambda: sympy.log(x + 1) + sympy.log(x**2 + 1), 1, _u(0, 2), False),
    ("Nguyen-8", lambda: sympy.sqrt(x), 1, _u(0, 4), False),
    ("Nguyen-9", lambda: sympy.sin(x) + sympy.sin(y_**2), 2, _u(0, 1), False),
    ("Nguyen-10", lambda: 2 * sympy.sin(x) * sympy.cos(y_), 2, _u(0, 1), False),
    ("Nguyen-11", lambda: x**y_, 2, _u(0, 1), False),
    ("Nguyen-12", lambda: x**4 - x**3 + y_**2 / 2 - y_, 2, _u(0, 1), False),
    ("Constant-1", lambda: S(339, 100) * x**3 + S(212, 100) * x**2 + S(178, 100) * x, 1, _u(-1, 1), True),
    ("Constant-2", lambda: sympy.sin(x**2) * sympy.cos(x) - S(3, 4), 1, _u(-1, 1), True),
    ("Constant-3", lambda: sympy.sin(S(3, 2) * x) * sympy.cos(S(1, 2) * y_), 2, _u(0, 1), True),
    ("Constant-4", lambda: S(27, 10) * x**y_, 2, _u(0, 1), True),
    ("Constant-5", lambda: sympy.sqrt(S(123, 100) * x), 1, _u(0, 4), True),
    ("Constant-6", lambda: x ** S(426, 1000), 1, _u(0, 4), True),
    ("Constant-7", lambda: 2 * sympy.sin(S(13, 10) * x) * sympy.cos(y_), 2, _u(0, 1), True),
    ("Constant-8", lambda: sympy.log(x + S(14, 10)) + sympy.log(x**2 + S(13, 10)), 1, _u(0, 2), True),
    ("Keijzer-6", lambda: x * (x + 1) / 2, 1, _e(1, 50, 1), True),
    ("Keijzer-7", lambda: sympy.log(x), 1, _e(1, 100, 1), True),
    ("Keijzer-8", lambda: sympy.sqrt(x), 1, _e(0, 100, 1), True),
    ("Keijzer-12", lambda: x**4 - x**3 + y_**2 / 2 - y_, 2, _u(-3, 3), True),
    ("Keijzer-13", lambda: 6 * sympy.sin(x) * sympy.cos(y_), 2, _u(-3, 3), True),
    ("Keijzer-14", lambda: 8 / (2 + x**2 + y_**2), 2, _u(-3, 3), True),
    ("Keijzer-15", lambda: x**3 / 5 + y_**3 / 2 - y_ - x, 2, _u(-3, 3), True),
    # Livermore-1..22 (DSO's table; the Koza set, no constants)
    ("Livermore-1", lambda: S(1, 3) + x + sympy.sin(x**2), 1, _u(-10, 10, 1000), False),
    ("Livermore-2", lambda: sympy.sin(x**2) * sympy.cos(x) - 2, 1, _u(-1, 1), False),
    ("Livermore-3", lambda: sympy.sin(x**3) * sympy.cos(x**2) - 1, 1, _u(-1, 1), False),
    ("Livermore-4", lambda: sympy.log(x + 1) + sympy.log(x**2 + 1) + sympy.log(x), 1, _u(0, 2), False),
    ("Livermore-5", lambda: x**4 - x**3 + y_**2 - y_, 2, _u(0, 1), False),
    ("Livermore-6", lambda: 4 * x**4 + 3 * x**3 + 2 * x**2 + x, 1, _u(-1, 1), False),
    ("Livermore-7", lambda: (sympy.exp(x) - sympy.exp(-x)) / 2, 1, _u(-1, 1), False),
    ("Livermore-8", lambda: (sympy.exp(x) + sympy.exp(-x)) / 2, 1, _u(-1, 1), False),
    ("Livermore-9", lambda: sum(x**k for k in range(1, 10)), 1, _u(-1, 1), False),
    ("Livermore-10", lambda: 6 * sympy.sin(x) * sympy.cos(y_), 2, _u(0, 1), False),
    ("Livermore-11", lambda: x**2 * y_**2 / (x + y_), 2, _u(-1, 1, 50), False),
    ("Livermore-12", lambda: x**5 / y_**3, 2, _u(-1, 1, 50), False),
    ("Livermore-13", lambda: x ** S(1, 3), 1, _u(0, 4), False),
    ("Livermore-14", lambda: x**3 + x**2 + x + sympy.sin(x) + sympy.sin(y_**2), 2, _u(-1, 1), False),
    ("Livermore-15", lambda: x ** S(1, 5), 1, _u(0, 4), False),
    ("Livermore-16", lambda: x ** S(2, 3), 1, _u(0, 4), False),
    ("Livermore-17", lambda: 4 * sympy.sin(x) * sympy.cos(y_), 2, _u(0, 1), False),
    ("Livermore-18", lambda: sympy.sin(x**2) * sympy.cos(x) - 5, 1, _u(-1, 1), False),
    ("Livermore-19", lambda: sympy.log(x**2 + x) + sympy.log(x**3 + x), 1, _u(0, 2), False),
    ("Livermore-20", lambda: x**5 + x**4 + x**2 + x, 1, _u(-1, 1), False),
    ("Livermore-21", lambda: sympy.exp(-x**2), 1, _u(-1, 1), False),
    ("Livermore-22", lambda: sum(x**k for k in range(1, 9)), 1, _u(-1, 1), False),
]

BENCHMARKS: dict[str, Problem] = {
    name: Problem(name, build(), ("x", "y")[:n], sampler, constants=const)
    for name, build, n, sampler, const in _DEFS
}
NGUYEN = tuple(f"Nguyen-{i}" for i in range(1, 13))
LIVERMORE = tuple(f"Livermore-{i}" for i in range(1, 23))


_UNARY_NUMPY: dict[type, Callable[[np.ndarray], np.ndarray]] = {
    sympy.sin: np.sin, sympy.cos: np.cos, sympy.tan: np.tan, sympy.exp: np.exp,
    sympy.log: np.log, sympy.asin: np.arcsin, sympy.acos: np.arccos, sympy.atan: np.arctan,
    sympy.sinh: np.sinh, sympy.cosh: np.cosh, sympy.tanh: np.tanh, sympy.asinh: np.arcsinh,
    sympy.Abs: np.abs,
}


def sympy_to_numpy(expression: sympy.Expr, variables: tuple[str, ...] | list[str]
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy function ``f(X)`` (X: variables x points) for a sympy expression.

    Walks the expression tree once and composes numpy calls; it never
    generates or executes code, so it is safe on expressions parsed from user
    text.  ValueError for a node it does not know.

    >>> f = sympy_to_numpy(sympy.sin(x) * 2 + sympy.sqrt(y_), ["x", "y"])
    >>> [round(float(v), 6) for v in f(np.array([[0.0, 1.0], [4.0, 9.0]]))]
    [2.0, 4.682942]
    """
    index = {name: i for i, name in enumerate(variables)}

    def build(e: sympy.Expr) -> Callable[[np.ndarray], np.ndarray]:
        if e.is_Symbol:
            if e.name not in index:
                raise ValueError(f"unknown variable {e.name!r}")
            i = index[e.name]
            return lambda X: X[i]
        if e.is_Number or e.is_NumberSymbol:
            value = float(e)
            return lambda X: np.full(X.shape[1], value)
        if e.is_Add or e.is_Mul:
            parts = [build(a) for a in e.args]
            combine = np.add if e.is_Add else np.multiply

            def assoc(X: np.ndarray) -> np.ndarray:
                out = parts[0](X)
                for p in parts[1:]:
                    out = combine(out, p(X))
                return out
            return assoc
        if e.is_Pow:
            base, power = build(e.args[0]), build(e.args[1])
            return lambda X: np.power(base(X), power(X))
        fn = _UNARY_NUMPY.get(type(e)) or _UNARY_NUMPY.get(e.func)
        if fn is not None and len(e.args) == 1:
            arg = build(e.args[0])
            return lambda X: fn(arg(X))
        raise ValueError(f"cannot evaluate {type(e).__name__} numerically")

    body = build(expression)

    def f(X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.asarray(body(np.asarray(X, dtype=float)), dtype=float)

    return f
