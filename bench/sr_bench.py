"""Benchmark: sr_mcts (engines/sr) against gplearn and pyoperon on Nguyen-1..12.

Canonical DSO data (20 points, see engines/sr/benchmarks.py), the same data
and seeds for every tool, in the same run.  Exact recovery is judged the same
way for all tools: the model is converted to sympy (gplearn's program text by
a small recursive parser, Operon's infix string by the project's safe parser),
numbers within 1e-6 of a simple rational (denominator <= 12) are snapped, and
the difference to the target must simplify to 0.  Time = wall seconds of the
fit (ours: until the target error is reached or the time limit).

Run (peers in a separate virtualenv that sees the system packages)::

    python -m venv --system-site-packages /tmp/bench-sr
    /tmp/bench-sr/bin/pip install gplearn pyoperon
    PYTHONPATH=. /tmp/bench-sr/bin/python bench/sr_bench.py --seeds 10 --time-limit 60

A tool that is not installed is skipped.  ``--tools ours`` runs only this engine;
``ours-search`` is this engine without its linear steps (``polynomial=False``: MCTS +
double Q + GP + forms only), the ablation that shows what the tree search does alone.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import re
import resource
import statistics
import time
from fractions import Fraction

import numpy as np
import sympy

from engines.numerics.expressions import ExpressionError, parse_expression
from engines.sr.benchmarks import BENCHMARKS, NGUYEN, sympy_to_numpy
from engines.sr.job import SRParams, run_sr, symbolically_equal


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


CHECK_SECONDS = 60
CHECK_BYTES = 4 << 30


def _check_child(expression: sympy.Expr, name: str, pipe) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHECK_BYTES, CHECK_BYTES))
    problem = BENCHMARKS[name]
    try:
        pipe.send(symbolically_equal(snap_numbers(expression), problem.expression,
                                     problem.positive_domain))
    except BaseException:  # noqa: BLE001 - MemoryError, RecursionError ...: not recovered
        pipe.send(False)


def _symbolic_check(expression: sympy.Expr, name: str) -> bool:
    """symbolically_equal in a forked child bounded to CHECK_SECONDS and CHECK_BYTES.

    sympy.simplify on a near-miss such as Operon's ``x**(cos(0.352) - 0.4387)``
    (numerically sqrt(x)) grew past 20 GB here and got the whole run OOM-killed.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_check_child, args=(expression, name, send))
    child.start()
    answer = receive.recv() if receive.poll(CHECK_SECONDS) else None
    if answer is None:
        child.kill()
        print(f"# symbolic check of {name} stopped after {CHECK_SECONDS} s: {str(expression)[:80]}")
    child.join()
    return bool(answer)


def recovered(expression: sympy.Expr | None, name: str) -> bool:
    if expression is None:
        return False
    problem = BENCHMARKS[name]
    try:
        # numeric screen first: sympy.simplify on a long wrong model can run for minutes
        X, y = problem.sample(12345, test=True)
        values = sympy_to_numpy(expression, list(problem.variables))(X)
        if not np.allclose(values, y, rtol=1e-6, atol=1e-9):
            return False
    except Exception:  # noqa: BLE001 - a peer's odd model counts as not recovered
        return False
    return _symbolic_check(expression, name)


# -- this engine ---------------------------------------------------------------

def run_ours(name: str, seed: int, time_limit: float, linear: bool = True) -> tuple[bool, float, str]:
    started = time.monotonic()
    result = run_sr(SRParams(benchmark=name, seed=seed, time_limit_s=time_limit, polynomial=linear))
    return bool(result["recovered"]), time.monotonic() - started, result["best"]["expression"]


def run_ours_search(name: str, seed: int, time_limit: float) -> tuple[bool, float, str]:
    return run_ours(name, seed, time_limit, linear=False)


# -- gplearn -----------------------------------------------------------------------

_GPLEARN = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "sin": sympy.sin, "cos": sympy.cos, "log": sympy.log,
            "exp": sympy.exp}


def gplearn_to_sympy(text: str, names: list[str]) -> sympy.Expr:
    """Parse gplearn's ``add(mul(X0, X0), X0)`` program text (no eval)."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|-?\d+\.?\d*(?:e-?\d+)?|[(),]", text)
    position = 0

    def parse() -> sympy.Expr:
        nonlocal position
        token = tokens[position]
        position += 1
        if token in _GPLEARN:
            assert tokens[position] == "("
            position += 1
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


def run_gplearn(name: str, seed: int, time_limit: float):
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    problem = BENCHMARKS[name]
    X, y = problem.sample(seed)
    exp = make_function(function=lambda a: np.exp(np.clip(a, -50, 50)), name="exp", arity=1, wrap=False)
    model = SymbolicRegressor(population_size=1000, generations=20, tournament_size=20,
                              function_set=("add", "sub", "mul", "div", "sin", "cos", "log", exp),
                              const_range=None, parsimony_coefficient=5e-4, metric="mean absolute error",
                              stopping_criteria=1e-10, random_state=seed, n_jobs=1)
    started = time.monotonic()
    model.fit(X.T, y)
    elapsed = time.monotonic() - started
    expression = gplearn_to_sympy(str(model._program), list(problem.variables))
    return recovered(expression, name), elapsed, str(expression)


# -- pyoperon ----------------------------------------------------------------------

def run_operon(name: str, seed: int, time_limit: float):
    from pyoperon.sklearn import SymbolicRegressor

    problem = BENCHMARKS[name]
    X, y = problem.sample(seed)
    model = SymbolicRegressor(allowed_symbols="add,sub,mul,div,sin,cos,exp,log,constant,variable",
                              max_length=30, population_size=1000, generations=1000,
                              max_evaluations=1_000_000, optimizer_iterations=10,
                              objectives=["r2"], max_time=int(max(1, time_limit)),
                              n_threads=1, random_state=seed)
    started = time.monotonic()
    model.fit(X.T, y)
    elapsed = time.monotonic() - started
    names = list(problem.variables)
    text = model.get_model_string(model.model_, 12, names)
    try:
        expression = parse_expression(_plain_decimals(text), variables=names)
    except ExpressionError:
        expression = None
    return recovered(expression, name), elapsed, text


def _plain_decimals(text: str) -> str:
    """Operon may print 1.5e-05; the safe grammar takes plain decimals only."""
    return re.sub(r"(\d+\.?\d*)[eE]([+-]?\d+)",
                  lambda m: format(float(m.group(0)), ".20f").rstrip("0").rstrip("."), text)


TOOLS = {"ours": run_ours, "ours-search": run_ours_search, "gplearn": run_gplearn,
         "pyoperon": run_operon}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default=",".join(NGUYEN))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--time-limit", type=float, default=60.0, help="per run, ours and pyoperon")
    parser.add_argument("--tools", default="ours,gplearn,pyoperon")
    args = parser.parse_args()
    problems = args.problems.split(",")
    print(f"# load average at start: {os.getloadavg()}", flush=True)
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
    table: dict[tuple[str, str], list[tuple[bool, float]]] = {}
    for name in problems:
        for seed in range(args.seeds):
            for tool in tools:
                ok, elapsed, text = TOOLS[tool](name, seed, args.time_limit)
                table.setdefault((name, tool), []).append((ok, elapsed))
                print(f"{name:10s} seed {seed:2d} {tool:8s} {'REC' if ok else '---'} "
                      f"{elapsed:7.2f}s  {text[:90]}", flush=True)
    print()
    header = "| problem | " + " | ".join(f"{t} recovered | {t} median s" for t in tools) + " |"
    print(header)
    print("|" + "---|" * (1 + 2 * len(tools)))
    totals = {t: [0, 0] for t in tools}
    medians = {t: [] for t in tools}
    for name in problems:
        cells = []
        for tool in tools:
            rows = table[(name, tool)]
            hits = sum(ok for ok, _ in rows)
            totals[tool][0] += hits
            totals[tool][1] += len(rows)
            median = statistics.median(e for _, e in rows)
            medians[tool].append(median)
            cells += [f"{hits}/{len(rows)}", f"{median:.2f}"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("| **all** | " + " | ".join(
        f"**{totals[t][0]}/{totals[t][1]} ({100 * totals[t][0] / max(1, totals[t][1]):.0f}%)** | "
        f"{statistics.median(medians[t]):.2f}" for t in tools) + " |")
    print(f"# load average at end: {os.getloadavg()}")
    if "ours" in tools:
        for tool in tools:
            if tool != "ours":
                ratio = statistics.median(medians[tool]) / statistics.median(medians["ours"])
                print(f"median-of-medians time ratio {tool}/ours: {ratio:.2f}")


if __name__ == "__main__":
    main()
