"""A subset of the AI Feynman equations, generated from the equations and their sampling ranges.

Udrescu & Tegmark, "AI Feynman: a physics-inspired method for symbolic
regression", Science Advances 6 (2020), eaay2631, publish 100 equations from
the Feynman Lectures with a uniform sampling interval per variable (their
``FeynmanEquations.csv``); SRBench (La Cava et al., NeurIPS 2021 Datasets and
Benchmarks) uses them as its ground-truth suite.  The data files themselves
cannot be downloaded here, so the problems are generated from the equations:
``1000`` points uniform on the published intervals (another stream for the
test set), target noise as in SRBench (:meth:`Problem.sample`).

The subset is every third equation of the published table, in its order,
starting with the first (34 equations) -- a rule fixed before any run, not a
choice of easy ones.  Equations are written in the safe grammar
(:func:`mathdisco.engines.numerics.expressions.parse_expression`) with the table's
variable names (``ln`` spelled ``log``).  Function set: the Koza set plus
``sqrt``.

Examples
--------
>>> problem = feynman_problems()["Feynman-I.18.4"]
>>> problem.expression
(m1*r1 + m2*r2)/(m1 + m2)
>>> X, y = problem.sample(0)
>>> X.shape, problem.positive_domain
((4, 1000), True)
"""

from __future__ import annotations

from functools import cache

from mathdisco.engines.numerics.expressions import parse_expression
from mathdisco.engines.sr.benchmarks import Problem, Sampler

__all__ = ["FEYNMAN", "FEYNMAN_OPERATORS", "feynman_problems"]

FEYNMAN_OPERATORS = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt")
ROWS = 1000

_B5 = (1, 5)
_B3 = (1, 3)
# (table id, equation, [(variable, low, high), ...]) from FeynmanEquations.csv, rows 1, 4, 7, ...
_TABLE: list[tuple[str, str, list[tuple[str, float, float]]]] = [
    ("I.6.2a", "exp(-theta**2/2)/sqrt(2*pi)", [("theta", 1, 3)]),
    ("I.8.14", "sqrt((x2-x1)**2+(y2-y1)**2)", [("x1", *_B5), ("x2", *_B5), ("y1", *_B5), ("y2", *_B5)]),
    ("I.11.19", "x1*y1+x2*y2+x3*y3", [(v, *_B5) for v in ("x1", "x2", "x3", "y1", "y2", "y3")]),
    ("I.12.4", "q1*r/(4*pi*epsilon*r**3)", [("q1", *_B5), ("epsilon", *_B5), ("r", *_B5)]),
    ("I.13.4", "1/2*m*(v**2+u**2+w**2)", [(v, *_B5) for v in ("m", "v", "u", "w")]),
    ("I.14.4", "1/2*k_spring*x**2", [("k_spring", *_B5), ("x", *_B5)]),
    ("I.15.3t", "(t-u*x/c**2)/sqrt(1-u**2/c**2)", [("x", 1, 5), ("c", 3, 10), ("u", 1, 2), ("t", 1, 5)]),
    ("I.18.4", "(m1*r1+m2*r2)/(m1+m2)", [(v, *_B5) for v in ("m1", "m2", "r1", "r2")]),
    ("I.24.6", "1/2*m*(omega**2+omega_0**2)*1/2*x**2", [(v, *_B3) for v in ("m", "omega", "omega_0", "x")]),
    ("I.27.6", "1/(1/d1+n/d2)", [(v, *_B5) for v in ("d1", "d2", "n")]),
    ("I.30.3", "Int_0*sin(n*theta/2)**2/sin(theta/2)**2", [(v, *_B5) for v in ("Int_0", "theta", "n")]),
    ("I.32.17", "(1/2*epsilon*c*Ef**2)*(8*pi*r**2/3)*(omega**4/(omega**2-omega_0**2)**2)",
     [("epsilon", 1, 2), ("c", 1, 2), ("Ef", 1, 2), ("r", 1, 2), ("omega", 1, 2), ("omega_0", 3, 5)]),
    ("I.34.14", "(1+v/c)/sqrt(1-v**2/c**2)*omega_0", [("c", 3, 10), ("v", 1, 2), ("omega_0", 1, 5)]),
    ("I.38.12", "4*pi*epsilon*(h/(2*pi))**2/(m*q**2)", [(v, *_B5) for v in ("m", "q", "h", "epsilon")]),
    ("I.39.22", "n*kb*T/V", [(v, *_B5) for v in ("n", "T", "V", "kb")]),
    ("I.43.16", "mu_drift*q*Volt/d", [(v, *_B5) for v in ("mu_drift", "q", "Volt", "d")]),
    ("I.44.4", "n*kb*T*log(V2/V1)", [(v, *_B5) for v in ("n", "kb", "T", "V1", "V2")]),
    ("I.50.26", "x1*(cos(omega*t)+alpha*cos(omega*t)**2)", [(v, *_B3) for v in ("x1", "omega", "t", "alpha")]),
    ("II.4.23", "q/(4*pi*epsilon*r)", [(v, *_B5) for v in ("q", "epsilon", "r")]),
    ("II.6.15b", "p_d/(4*pi*epsilon)*3*cos(theta)*sin(theta)/r**3",
     [(v, *_B3) for v in ("epsilon", "p_d", "theta", "r")]),
    ("II.10.9", "sigma_den/epsilon*1/(1+chi)", [(v, *_B5) for v in ("sigma_den", "epsilon", "chi")]),
    ("II.11.20", "n_rho*p_d**2*Ef/(3*kb*T)", [(v, *_B5) for v in ("n_rho", "p_d", "Ef", "kb", "T")]),
    ("II.13.17", "1/(4*pi*epsilon*c**2)*2*I/r", [(v, *_B5) for v in ("epsilon", "c", "I", "r")]),
    ("II.15.4", "-mom*B*cos(theta)", [(v, *_B5) for v in ("mom", "B", "theta")]),
    ("II.24.17", "sqrt(omega**2/c**2-pi**2/d**2)", [("omega", 4, 6), ("c", 1, 2), ("d", 2, 4)]),
    ("II.34.2", "q*v*r/2", [(v, *_B5) for v in ("q", "v", "r")]),
    ("II.34.29b", "g_*mom*B*Jz/(h/(2*pi))", [(v, *_B5) for v in ("g_", "h", "Jz", "mom", "B")]),
    ("II.36.38", "mom*H/(kb*T)+(mom*alpha)/(epsilon*c**2*kb*T)*M",
     [(v, *_B3) for v in ("mom", "H", "kb", "T", "alpha", "epsilon", "c", "M")]),
    ("III.4.32", "1/(exp((h/(2*pi))*omega/(kb*T))-1)", [(v, *_B5) for v in ("h", "omega", "kb", "T")]),
    ("III.8.54", "sin(E_n*t/(h/(2*pi)))**2", [("E_n", 1, 2), ("t", 1, 2), ("h", 1, 4)]),
    ("III.12.43", "n*(h/(2*pi))", [("n", *_B5), ("h", *_B5)]),
    ("III.15.12", "2*U*(1-cos(k*d))", [(v, *_B5) for v in ("U", "k", "d")]),
    ("III.17.37", "beta*(1+alpha*cos(theta))", [(v, *_B5) for v in ("beta", "alpha", "theta")]),
    ("III.21.20", "-rho_c_0*q*A_vec/m", [(v, *_B5) for v in ("rho_c_0", "q", "A_vec", "m")]),
]


def _problem(table_id: str, text: str, ranges: list[tuple[str, float, float]]) -> Problem:
    names = tuple(v for v, _, _ in ranges)
    return Problem(f"Feynman-{table_id}", parse_expression(text, variables=names), names,
                   Sampler("U", min(lo for _, lo, _ in ranges), max(hi for _, _, hi in ranges), ROWS),
                   operators=FEYNMAN_OPERATORS, constants=True,
                   ranges=tuple((float(lo), float(hi)) for _, lo, hi in ranges))


FEYNMAN: tuple[str, ...] = tuple(f"Feynman-{row[0]}" for row in _TABLE)
"""The problem names, in table order (the problems are parsed on first use)."""


@cache
def feynman_problems() -> dict[str, Problem]:
    """Every problem of the subset by name (parsed once)."""
    return {p.name: p for p in (_problem(*row) for row in _TABLE)}
