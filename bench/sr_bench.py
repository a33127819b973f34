"""Benchmark: sr_mcts (engines/sr) against gplearn and pyoperon, SRBench-style.

Suites (``--suite``):

* ``groundtruth`` -- the AI Feynman subset of engines/sr/feynman.py (34
  equations, 1000 rows on the published intervals) and Livermore-1..22 (DSO's
  data), at target noise 0, 0.001, 0.01 and 0.1 (SRBench: Gaussian noise of
  standard deviation ``noise * RMS(y)`` on the training targets; the test
  targets stay exact), ``--seeds`` seeds each, every tool on the same data in
  the same run;
* ``blackbox`` -- scikit-learn's diabetes data and generated Friedman-1
  (``make_friedman1``, 1000 rows, noise 1), a random 75/25 split per seed:
  test R**2 only;
* ``nguyen`` -- Nguyen-1..12, noise 0 (the earlier suite);
* ``laws`` -- issue 28's laws on data not in any test: ``sinh(x)`` and
  ``cosh(x)`` (20 points of ``U[-1, 1]``, exact) and ``3*x0*x1/2`` (200 points
  of ``U[1, 5]**2``, SRBench noise 0.01), seeds from ``--first-seed``; ours
  runs with its default operators, the peers with the Koza set;
* ``strogatz`` -- SRBench's ODE-Strogatz set: the 7 two-state systems of
  Strogatz's *Nonlinear Dynamics and Chaos* collected by La Cava et al. (bacterial
  respiration, bar magnets, glider, Lotka-Volterra, predator-prey, shear flow,
  van der Pol), one problem per state equation (14).  Data are generated here
  from the ODE definitions (:data:`STROGATZ`): trajectories integrated with
  ``scipy.integrate.solve_ivp`` from 4 initial states drawn in the system's box
  (``numpy.random.default_rng([seed, 5])``), 100 times each on ``[0, 10]``; the
  target is the right-hand side at the visited states (SRBench's noise added as
  above); the test rows come from 4 other initial states.

Per fit: **exact** recovery (the model, its numbers within 1e-6 of a p/q with
q <= 12 snapped, equals the truth symbolically), SRBench's **solution**
criterion (La Cava et al. 2021: test R**2 > 0.5 and ``truth - model`` or
``model / truth`` simplifies to a constant, floats rounded to 6 places, the
model not itself constant), **test R**2** (noise-free test rows) and whether it
exceeds 0.999, the model's **size** (sympy nodes of the returned expression)
and the wall **time** of the fit.  Symbolic checks run in a forked child
bounded to CHECK_SECONDS and CHECK_BYTES.

Tools, every one with the same wall-clock budget per fit (``--time-limit``,
default and minimum recommended 30 s; at 4 s the peers barely start):
``ours`` (sr_mcts with its defaults), ``ours-search`` (the ablation:
``polynomial=False``, MCTS + double Q + GP + forms only), ``pyoperon`` (its
documented settings: the ``SymbolicRegressor`` defaults -- population 1000,
max length 50, BTC initialisation, MDL model selection -- with the README's
``optimizer_iterations=10`` and ``objectives=["r2"]``, the problem's operators,
``max_time`` = the budget, 1 thread), ``gplearn`` (its defaults -- population
1000, tournament 20, parsimony 1e-3, mean absolute error, constants in [-1, 1]
-- with the problem's operators, grown one generation at a time with
``warm_start`` until the budget is spent).  A tool that is not installed is
skipped (``.venv/bin/pip install pyoperon gplearn``; not project dependencies).

Run (peers in a separate virtualenv that sees the system packages)::

    .venv/bin/pip install gplearn pyoperon
    .venv/bin/python bench/sr_bench.py --suite strogatz --seeds 3 --time-limit 30 \\
        --noise 0,0.01 --out /tmp/sr-strogatz.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import re
import resource
import select
import signal
import statistics
import time
from fractions import Fraction

import numpy as np
import sympy

from mathdisco.engines.numerics.expressions import ExpressionError, parse_expression
from mathdisco.engines.sr.benchmarks import LIVERMORE, NGUYEN, sympy_to_numpy
from mathdisco.engines.sr.feynman import FEYNMAN, FEYNMAN_OPERATORS
from mathdisco.engines.sr.job import run_sr_mcts
from mathdisco.engines.sr.operators import KOZA
from mathdisco.engines.sr.params import SRParams, problem
from mathdisco.engines.sr.recovery import symbolically_equal

NOISE_LEVELS = (0.0, 0.001, 0.01, 0.1)
FAIR_BUDGET_S = 30.0

# ODE-Strogatz (La Cava et al., SRBench 2021; Strogatz, Nonlinear Dynamics and Chaos): per system
# the two right-hand sides in the safe grammar and the box the initial states are drawn from.
STROGATZ = {
    "bacres": (("20 - x - x*y/(1 + x**2/2)", "10 - x*y/(1 + x**2/2)"), ((0.5, 15), (0.5, 15))),
    "barmag": (("sin(x - y)/2 - sin(x)", "sin(y - x)/2 - sin(y)"), ((-3, 3), (-3, 3))),
    "glider": (("-x**2/20 - sin(y)", "x - cos(y)/x"), ((1, 4), (-2, 2))),
    "lv": (("3*x - 2*x*y - x**2", "2*y - x*y - y**2"), ((0.5, 4), (0.5, 4))),
    "predprey": (("x*(4 - x - y/(1 + x))", "y*(x/(1 + x) - 3*y/40)"), ((0.5, 5), (0.5, 5))),
    "shearflow": (("cos(x)*cos(y)/sin(y)", "(cos(y)**2 + sin(y)**2/10)*sin(x)"),
                  ((-3, 3), (0.3, 2.8))),
    "vdp": (("10*(y - (x**3 - x)/3)", "-x/10"), ((-2, 2), (-2, 2))),
}
STROGATZ_OPERATORS = ("add", "sub", "mul", "div", "sin", "cos", "exp", "log", "sqrt")
LAWS = {"sinh": ("sinh(x)", ["x"], (-1.0, 1.0), 20, 0.0), "cosh": ("cosh(x)", ["x"], (-1.0, 1.0), 20, 0.0),
        "three_halves": ("3*x0*x1/2", ["x0", "x1"], (1.0, 5.0), 200, 0.01)}
CHECK_SECONDS = 30
CHECK_BYTES = 4 << 30


# -- judging a model ------------------------------------------------------------------------

def snap_numbers(expression: sympy.Expr) -> sympy.Expr:
    """Replace numbers within 1e-6 (relative) of a p/q, q <= 12, by p/q."""
    replacements = {}
    for number in expression.atoms(sympy.Number):
        value = float(number)
        if not math.isfinite(value):
            continue
        r = Fraction(value).limit_denominator(12)
        if abs(float(r) - value) <= 1e-6 * max(1.0, abs(value)):
            replacements[number] = sympy.Rational(r.numerator, r.denominator)
    return expression.xreplace(replacements)


def round_floats(expression: sympy.Expr, places: int = 6) -> sympy.Expr:
    return expression.xreplace({f: sympy.Float(round(float(f), places))
                                for f in expression.atoms(sympy.Float)})


def _check(kind: str, model: sympy.Expr, truth: sympy.Expr, positive: bool) -> bool:
    if kind == "exact":
        return symbolically_equal(snap_numbers(model), truth, positive)
    table = {s: sympy.Symbol(s.name, positive=True) if positive else sympy.Symbol(s.name, real=True)
             for s in model.free_symbols | truth.free_symbols}
    m, t = round_floats(model).xreplace(table), truth.xreplace(table)
    for candidate in (t - m, m / t):
        simplified = sympy.simplify(candidate, ratio=1)
        if not simplified.free_symbols or simplified.is_constant():
            return True
    return False


def _bounded(kind: str, model: sympy.Expr, truth: sympy.Expr, positive: bool) -> bool:
    """:func:`_check` in a forked child bounded to CHECK_SECONDS and CHECK_BYTES.

    sympy.simplify on a near-miss such as Operon's ``x**(cos(0.352) - 0.4387)``
    (numerically sqrt(x)) grew past 20 GB here once.  A plain ``os.fork`` (not
    multiprocessing) works inside the pool's daemonic workers too.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer one byte and leave at once
        os.close(read)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (CHECK_BYTES, CHECK_BYTES))
            answer = _check(kind, model, truth, positive)
        except BaseException:  # noqa: BLE001 - MemoryError, RecursionError ...: not recovered
            answer = False
        os.write(write, b"1" if answer else b"0")
        os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], CHECK_SECONDS)
    answer = os.read(read, 1) if ready else b""
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(read)
    return answer == b"1"


def judge(model: sympy.Expr | None, truth: sympy.Expr | None, variables: list[str], positive: bool,
          X_test: np.ndarray, y_test: np.ndarray) -> dict:
    """exact, solution, r2, size of one returned model (see the module docstring)."""
    out = {"exact": False, "solution": False, "r2": None, "size": None}
    if model is None:
        return out
    out["size"] = sum(1 for _ in sympy.preorder_traversal(model))
    try:
        values = np.broadcast_to(sympy_to_numpy(model, variables)(X_test), y_test.shape).astype(float)
    except Exception:  # noqa: BLE001 - a peer's odd model is judged unusable
        return out
    if not np.isfinite(values).all():
        return out
    spread = float(np.sum((y_test - y_test.mean()) ** 2)) or 1.0
    out["r2"] = 1.0 - float(np.sum((values - y_test) ** 2)) / spread
    if truth is None or not model.free_symbols or out["r2"] <= 0.5:
        return out
    scale = max(1.0, float(np.abs(y_test).max()))
    if np.allclose(values, y_test, rtol=1e-6, atol=1e-9 * scale):
        out["exact"] = _bounded("exact", model, truth, positive)
    with np.errstate(all="ignore"):
        difference, ratio = y_test - values, values / y_test
    constant_difference = float(np.std(difference)) <= 1e-6 * (float(np.std(y_test)) or 1.0)
    constant_ratio = np.isfinite(ratio).all() and float(np.std(ratio)) <= 1e-6 * abs(float(np.mean(ratio)))
    if out["exact"]:
        out["solution"] = True
    elif constant_difference or constant_ratio:
        out["solution"] = _bounded("solution", model, truth, positive)
    return out


# -- the tools ------------------------------------------------------------------------------

def run_ours(task: dict, limit: float, linear: bool = True) -> tuple[str, float]:
    started = time.monotonic()
    if task["kind"] == "problem":
        params = SRParams(benchmark=task["name"], seed=task["seed"], noise=task["noise"],
                          time_limit_s=limit, polynomial=linear)
    else:
        params = SRParams(x=task["X"].T.tolist(), y=task["y"].tolist(), variables=task["variables"],
                          operators=list(task["operators"]), seed=task["seed"], time_limit_s=limit,
                          polynomial=linear)
    if task.get("default_operators"):
        params = params.model_copy(update={"operators": None})
    result = run_sr_mcts(params)
    return result["best"]["expression"], time.monotonic() - started


def run_ours_search(task: dict, limit: float) -> tuple[str, float]:
    return run_ours(task, limit, linear=False)


# gplearn's protected sqrt and log act on |x| (gplearn.functions); a plain sqrt would make its
# programs NaN wherever the argument is negative, and its test R^2 undefined
_GPLEARN = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "sin": sympy.sin, "cos": sympy.cos,
            "log": lambda a: sympy.log(sympy.Abs(a)), "exp": sympy.exp,
            "sqrt": lambda a: sympy.sqrt(sympy.Abs(a))}


def gplearn_to_sympy(text: str, names: list[str]) -> sympy.Expr:
    """Parse gplearn's ``add(mul(X0, X0), X0)`` program text (no eval)."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|-?\d+\.?\d*(?:e-?\d+)?|[(),]", text)
    position = 0

    def parse() -> sympy.Expr:
        nonlocal position
        token = tokens[position]
        position += 1
        if token in _GPLEARN:
            position += 1  # "("
            args = [parse()]
            while tokens[position] == ",":
                position += 1
                args.append(parse())
            position += 1  # ")"
            return _GPLEARN[token](*args)
        if re.fullmatch(r"X\d+", token):
            return sympy.Symbol(names[int(token[1:])])
        return sympy.Float(float(token))

    return parse()


def run_gplearn(task: dict, limit: float) -> tuple[str, float]:
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    exp = make_function(function=lambda a: np.exp(np.clip(a, -50, 50)), name="exp", arity=1, wrap=False)
    functions = [f for f in ("add", "sub", "mul", "div", "sin", "cos", "log", "sqrt")
                 if f in task["operators"]] + ([exp] if "exp" in task["operators"] else [])
    model = SymbolicRegressor(generations=1, function_set=functions, random_state=task["seed"],
                              n_jobs=1, warm_start=True)
    started = time.monotonic()
    generation = 1
    while True:  # one generation at a time, until the wall-clock limit (or its own stop)
        model.set_params(generations=generation)
        model.fit(task["X"].T, task["y"])
        per = (time.monotonic() - started) / generation
        if time.monotonic() - started + per > limit or model.run_details_["best_fitness"][-1] <= 0.0:
            break
        generation += 1
    return str(gplearn_to_sympy(str(model._program), task["variables"])), time.monotonic() - started


def run_operon(task: dict, limit: float) -> tuple[str, float]:
    from pyoperon.sklearn import SymbolicRegressor

    symbols = ",".join(task["operators"]) + ",constant,variable"
    model = SymbolicRegressor(allowed_symbols=symbols, optimizer_iterations=10, objectives=["r2"],
                              max_time=int(max(1, limit)), n_threads=1, random_state=task["seed"])
    started = time.monotonic()
    model.fit(task["X"].T, task["y"])
    elapsed = time.monotonic() - started
    return model.get_model_string(model.model_, 12, task["variables"]), elapsed


TOOLS = {"ours": run_ours, "ours-search": run_ours_search, "gplearn": run_gplearn,
         "pyoperon": run_operon}


def _plain_decimals(text: str) -> str:
    """Operon may print 1.5e-05; the safe grammar takes plain decimals only."""
    return re.sub(r"(\d+\.?\d*)[eE]([+-]?\d+)",
                  lambda m: format(float(m.group(0)), ".20f").rstrip("0").rstrip("."), text)


def to_sympy(text: str, variables: list[str]) -> sympy.Expr | None:
    try:
        return parse_expression(_plain_decimals(text), variables=variables)
    except (ExpressionError, RecursionError):
        return None


# -- tasks ----------------------------------------------------------------------------------

def groundtruth_tasks(seeds: int, names: list[str], noises: tuple[float, ...]) -> list[dict]:
    return [{"kind": "problem", "suite": "feynman" if name.startswith("Feynman") else "livermore",
             "name": name, "noise": noise, "seed": seed}
            for noise in noises for name in names for seed in range(seeds)]


def law_tasks(seeds: int, first_seed: int) -> list[dict]:
    return [{"kind": "law", "suite": "laws", "name": name, "noise": LAWS[name][4], "seed": seed}
            for name in LAWS for seed in range(first_seed, first_seed + seeds)]


def strogatz_tasks(seeds: int, names: list[str], noises: tuple[float, ...]) -> list[dict]:
    return [{"kind": "strogatz", "suite": "strogatz", "name": name, "noise": noise, "seed": seed}
            for noise in noises for name in names for seed in range(seeds)]


def strogatz_names() -> list[str]:
    """``bacres_x``, ``bacres_y``, ...: one problem per state equation."""
    return [f"{system}_{state}" for system in STROGATZ for state in ("x", "y")]


def strogatz_data(name: str, seed: int, test: bool = False, noise: float = 0.0,
                  starts: int = 4, points: int = 100) -> tuple[np.ndarray, np.ndarray, sympy.Expr]:
    """(X (2 x rows), y, truth) of one Strogatz equation: states along integrated trajectories."""
    from scipy.integrate import solve_ivp

    system, state = name.rsplit("_", 1)
    (fx, fy), box = STROGATZ[system]
    rhs = [parse_expression(text, variables=["x", "y"]) for text in (fx, fy)]
    f = [sympy_to_numpy(e, ["x", "y"]) for e in rhs]

    def derivative(_t: float, z: np.ndarray) -> list[float]:
        column = np.asarray(z, dtype=float)[:, None]
        return [float(f[0](column)[0]), float(f[1](column)[0])]

    rng = np.random.default_rng([seed, 5, 1 if test else 0])
    times = np.linspace(0.0, 10.0, points)
    pieces = []
    for _ in range(starts):
        start = [rng.uniform(low, high) for low, high in box]
        solution = solve_ivp(derivative, (0.0, 10.0), start, t_eval=times, rtol=1e-8, atol=1e-10)
        states = solution.y[:, np.isfinite(solution.y).all(axis=0)]
        pieces.append(states[:, np.abs(states).max(axis=0) < 1e3])
    X = np.ascontiguousarray(np.hstack(pieces))
    y = f[0 if state == "x" else 1](X)
    keep = np.isfinite(y)
    X, y = np.ascontiguousarray(X[:, keep]), y[keep]
    if noise > 0 and not test:
        y = y + np.random.default_rng([seed, 2]).normal(0.0, noise * float(np.sqrt(np.mean(y**2))), y.shape)
    return X, y, rhs[0 if state == "x" else 1]


def blackbox_tasks(seeds: int) -> list[dict]:
    return [{"kind": "data", "suite": "blackbox", "name": name, "noise": None, "seed": seed}
            for name in ("diabetes", "friedman1") for seed in range(seeds)]


def _materialise(task: dict) -> dict:
    """Add the training and test data (and the truth) to a task."""
    task = dict(task)
    if task["kind"] == "problem":
        bench = problem(task["name"])
        task["X"], task["y"] = bench.sample(task["seed"], noise=task["noise"])
        task["X_test"], task["y_test"] = bench.sample(task["seed"], test=True)
        task.update(variables=list(bench.variables), operators=list(bench.operators),
                    truth=bench.expression, positive=bench.positive_domain)
        return task
    if task["kind"] == "law":
        text, names, (low, high), count, noise = LAWS[task["name"]]
        truth = parse_expression(text, variables=names)
        f = sympy_to_numpy(truth, names)
        rng = np.random.default_rng([task["seed"], 28])
        X, X_test = (rng.uniform(low, high, (len(names), count)) for _ in range(2))
        y = f(X)
        if noise:
            y = y + rng.normal(0.0, noise * float(np.sqrt(np.mean(y**2))), y.shape)
        task.update(X=X, y=y, X_test=X_test, y_test=f(X_test), variables=names, truth=truth,
                    operators=list(KOZA), positive=low >= 0, default_operators=True)
        return task
    if task["kind"] == "strogatz":
        task["X"], task["y"], truth = strogatz_data(task["name"], task["seed"], noise=task["noise"])
        task["X_test"], task["y_test"], _ = strogatz_data(task["name"], task["seed"], test=True)
        task.update(variables=["x", "y"], operators=list(STROGATZ_OPERATORS), truth=truth,
                    positive=bool((task["X"] > 0).all() and (task["X_test"] > 0).all()))
        return task
    from sklearn.datasets import load_diabetes, make_friedman1

    if task["name"] == "diabetes":
        X, y = load_diabetes(return_X_y=True)
    else:
        X, y = make_friedman1(n_samples=1000, noise=1.0, random_state=task["seed"])
    order = np.random.default_rng([task["seed"], 7]).permutation(len(y))
    cut = int(0.75 * len(y))
    train, test = order[:cut], order[cut:]
    task.update(X=np.ascontiguousarray(X[train].T), y=y[train], X_test=np.ascontiguousarray(X[test].T),
                y_test=y[test], variables=[f"x{i}" for i in range(X.shape[1])],
                operators=list(FEYNMAN_OPERATORS), truth=None, positive=False)
    return task


def warm(tools: list[str]) -> None:
    """Load every tool's code and compiled kernels once per process, outside the timed fits.

    (A job in a fresh worker pays this inside its own time limit, and the
    result says so; here every fit is timed as in a warm worker, like the
    peers, whose imports are outside their fits too.)
    """
    if "ours" in tools or "ours-search" in tools:
        from mathdisco.engines.sr import kernels

        kernels.warm_up(600)  # compile (or load numba's cache) fully before any timed fit
        run_sr_mcts(SRParams(target="x**2 + 1", n_points=20, time_limit_s=5))
    for tool, module in (("pyoperon", "pyoperon.sklearn"), ("gplearn", "gplearn.genetic")):
        if tool in tools:
            __import__(module)


def run_task(args: tuple[dict, list[str], float]) -> list[dict]:
    """Every tool on one task's data (the same data for all), one result row per tool."""
    task, tools, limit = args
    task = _materialise(task)
    rows = []
    for tool in tools:
        try:
            text, elapsed = TOOLS[tool](task, limit)
        except Exception as error:  # noqa: BLE001 - a crashing peer is recorded, not fatal
            text, elapsed = f"error: {type(error).__name__}: {error}"[:200], float("nan")
        model = to_sympy(text, task["variables"]) if not text.startswith("error") else None
        verdict = judge(model, task["truth"], task["variables"], task["positive"], task["X_test"],
                        task["y_test"])
        rows.append({"suite": task["suite"], "problem": task["name"], "noise": task["noise"],
                     "seed": task["seed"], "tool": tool, "limit_s": limit, "time_s": round(elapsed, 3),
                     "expression": text[:400], **verdict})
    return rows


# -- reporting ------------------------------------------------------------------------------

def _rate(rows: list[dict], key: str) -> str:
    hits = sum(bool(r[key]) for r in rows)
    return f"{hits}/{len(rows)} ({100 * hits / max(1, len(rows)):.0f}%)"


def _median(values: list[float]) -> str:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return f"{statistics.median(values):.2f}" if values else "-"


def report(rows: list[dict], tools: list[str]) -> str:
    lines = []
    truthful = [r for r in rows if r["suite"] != "blackbox"]
    if rows:
        budgets = sorted({r.get("limit_s") for r in rows if r.get("limit_s") is not None})
        lines += [f"budget per fit: {', '.join(f'{b:g} s' for b in budgets) or 'not recorded'}; "
                  f"seeds: {sorted({r['seed'] for r in rows})}; noise levels: "
                  f"{sorted({r['noise'] for r in rows if r['noise'] is not None})}; "
                  f"problems: {len({r['problem'] for r in rows})}", ""]
    if truthful:
        lines += ["| suite | noise | tool | budget s | seeds | exact | solution (SRBench) | R2 > 0.999 | "
                  "median size | median s |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for suite in ("feynman", "livermore", "nguyen", "strogatz", "laws"):
            for noise in sorted({r["noise"] for r in truthful if r["suite"] == suite}):
                for tool in tools:
                    mine = [r for r in truthful if r["suite"] == suite and r["noise"] == noise
                            and r["tool"] == tool]
                    if mine:
                        budget = "/".join(sorted({f"{r.get('limit_s', float('nan')):g}" for r in mine}))
                        lines.append(
                            f"| {suite} | {noise:g} | {tool} | {budget} | {len({r['seed'] for r in mine})} | "
                            f"{_rate(mine, 'exact')} | "
                            f"{_rate(mine, 'solution')} | "
                            f"{_rate([{'x': (r['r2'] or 0) > 0.999} for r in mine], 'x')} | "
                            f"{_median([r['size'] for r in mine])} | {_median([r['time_s'] for r in mine])} |")
    box = [r for r in rows if r["suite"] == "blackbox"]
    if box:
        lines += ["", "| data | tool | median test R2 | min | max | median size | median s |",
                  "|---|---|---|---|---|---|---|"]
        for name in ("diabetes", "friedman1"):
            for tool in tools:
                mine = [r for r in box if r["problem"] == name and r["tool"] == tool]
                if mine:
                    r2 = [r["r2"] if r["r2"] is not None else float("-inf") for r in mine]
                    lines.append(f"| {name} | {tool} | {statistics.median(r2):.3f} | {min(r2):.3f} | "
                                 f"{max(r2):.3f} | {_median([r['size'] for r in mine])} | "
                                 f"{_median([r['time_s'] for r in mine])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=["groundtruth", "blackbox", "nguyen", "strogatz", "laws"],
                        default="groundtruth")
    parser.add_argument("--problems", default="", help="comma-separated subset (default: the suite's)")
    parser.add_argument("--noise", default=",".join(str(n) for n in NOISE_LEVELS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0, help="laws suite: the first seed")
    parser.add_argument("--time-limit", type=float, default=FAIR_BUDGET_S,
                        help=f"per fit, every tool (the fair budget: at least {FAIR_BUDGET_S:g} s)")
    parser.add_argument("--tools", default="ours,pyoperon,gplearn")
    parser.add_argument("--jobs", type=int, default=1, help="tasks in parallel (one core each)")
    parser.add_argument("--out", default="", help="append one JSON line per fit here")
    parser.add_argument("--report", default="", help="only print the tables of an earlier --out file")
    args = parser.parse_args()
    tools = []
    for tool in args.tools.split(","):
        try:
            if tool == "gplearn":
                import gplearn  # noqa: F401
            if tool == "pyoperon":
                import pyoperon  # noqa: F401
            tools.append(tool)
        except ImportError:
            print(f"# {tool} not installed: skipped")
    if args.report:
        with open(args.report) as handle:
            print(report([json.loads(line) for line in handle], tools))
        return
    noises = tuple(float(n) for n in args.noise.split(","))
    if args.time_limit < FAIR_BUDGET_S:
        print(f"# warning: {args.time_limit:g} s per fit is below the fair budget of {FAIR_BUDGET_S:g} s; "
              "the peers use their whole budget and barely start in a few seconds")
    if args.suite == "blackbox":
        tasks = blackbox_tasks(args.seeds)
    elif args.suite == "laws":
        tasks = law_tasks(args.seeds, args.first_seed)
    elif args.suite == "strogatz":
        names = args.problems.split(",") if args.problems else strogatz_names()
        tasks = strogatz_tasks(args.seeds, names, noises)
    else:
        default = list(FEYNMAN) + list(LIVERMORE) if args.suite == "groundtruth" else list(NGUYEN)
        names = args.problems.split(",") if args.problems else default
        tasks = groundtruth_tasks(args.seeds, names, noises if args.suite == "groundtruth" else (0.0,))
        if args.suite == "nguyen":
            for task in tasks:
                task["suite"] = "nguyen"
    print(f"# {len(tasks)} tasks x {len(tools)} tools, limit {args.time_limit:g} s, "
          f"{args.jobs} job(s); load average at start: {os.getloadavg()}", flush=True)
    rows: list[dict] = []
    out = open(args.out, "a") if args.out else None  # noqa: SIM115 - appended to as results land
    work = [(task, tools, args.time_limit) for task in tasks]
    pool = None
    if args.jobs > 1:
        pool = multiprocessing.get_context("fork").Pool(args.jobs, initializer=warm, initargs=(tools,))
    else:
        warm(tools)
    results = pool.imap(run_task, work) if pool else map(run_task, work)
    for batch in results:
        for row in batch:
            rows.append(row)
            mark = "EXACT" if row["exact"] else ("sol" if row["solution"] else "---")
            r2 = "-" if row["r2"] is None else f"{row['r2']:.4f}"
            print(f"{row['problem']:18s} n={row['noise']} s={row['seed']} {row['tool']:11s} {mark:5s} "
                  f"R2={r2:8s} {row['time_s']:6.2f}s {row['expression'][:70]}", flush=True)
            if out:
                out.write(json.dumps(row) + "\n")
                out.flush()
    if pool:
        pool.close()
    print(f"# load average at end: {os.getloadavg()}")
    print(report(rows, tools))


if __name__ == "__main__":
    main()
