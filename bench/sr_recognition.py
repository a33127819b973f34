"""How often sr's selection recognises a fitted constant as a closed form, rightly and wrongly.

The data are ``y = c * x0 * x1`` (``--rows`` rows of U[1, 5]**2, SRBench noise
``--noise``); the selection (:func:`mathdisco.engines.sr.selection.process`) is run on the
right structure only, so the figures are those of the recognition step
(:mod:`mathdisco.engines.numerics.measured`, ``interval_candidates`` and
``interval_accepts``), not of the search.  *False*: ``c`` drawn from U(0.1, 10)
and replaced by any closed form.  *True*: ``c`` one of ten simple numbers and
replaced by exactly that number.  ``--margin`` overrides the nats a closed form
must save (0 by default: the rule of engines/numerics/measured.py), ``--chance`` the
largest chance of an accidental match (``CHANCE_LEVEL``; 1 leaves that rule out).

Run::

    .venv/bin/python bench/sr_recognition.py --trials 200
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

import mathdisco.engines.sr.selection as selection
from mathdisco.engines.numerics import measured
from mathdisco.engines.sr.evaluate import Evaluator
from mathdisco.engines.sr.fitting import Context
from mathdisco.engines.sr.grammar import Library
from mathdisco.engines.sr.job import model_constants
from mathdisco.engines.sr.operators import KOZA

SIMPLE = {"1/10": 0.1, "3/2": 1.5, "10/3": 10 / 3, "1/(4*pi)": 1 / (4 * math.pi), "1/2": 0.5,
          "2": 2.0, "1/(2*pi)": 1 / (2 * math.pi), "3/4": 0.75, "pi": math.pi, "1/12": 1 / 12}


def recognised(c: float, seed: int, noise: float, rows: int) -> tuple[str | None, float | None]:
    """The closed form the selection put for ``c`` (None: kept as fitted), and its value."""
    lib = Library(["x0", "x1"], list(KOZA), constants=True)
    rng = np.random.default_rng([seed, 28])
    X = rng.uniform(1, 5, (2, rows))
    y = c * X[0] * X[1]
    y = y + rng.normal(0, noise * float(np.sqrt(np.mean(y**2))), rows)
    model = selection.process(Evaluator(lib, X, y).fit((lib.encode(["mul", "x0", "x1"]),)),
                              Context(lib, X, y))
    [entry] = [k for k in model_constants(model, lib) if k["where"] == "coefficient 1"]
    value = model.coefficients[0] if entry["recognised"] is not None else None
    return entry["recognised"], value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100, help="random constants (and 5 seeds per simple one)")
    parser.add_argument("--noise", type=float, default=0.01)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--margin", type=float, default=0.0)
    parser.add_argument("--chance", type=float, default=measured.CHANCE_LEVEL,
                        help="the largest chance of an accidental match (1: no such rule)")
    args = parser.parse_args()
    margin, level = args.margin, args.chance

    def accepts(candidate, value, error, z=measured.INTERVAL_Z):
        inside = abs(candidate.value - value) <= z * error * (1 + 1e-12)
        if not inside or candidate.cost + margin >= measured.measured_cost(value, error):
            return False
        return level >= 1 or measured.coincidence_chance(candidate, value, error, z) <= level

    selection.interval_accepts = accepts
    print(f"# noise {args.noise}, {args.rows} rows, margin {margin} nats, chance level {level}; "
          f"load {os.getloadavg()}")
    rng = np.random.default_rng(0)
    false = []
    for seed in range(args.trials):
        c = float(rng.uniform(0.1, 10))
        form, _ = recognised(c, seed, args.noise, args.rows)
        if form is not None:
            false.append(f"{c:.4f} -> {form}")
    values = [recognised(c, 1000 + s, args.noise, args.rows)[1] for c in SIMPLE.values()
              for s in range(5)]
    targets = [c for c in SIMPLE.values() for _ in range(5)]
    hits = sum(v is not None and math.isclose(v, c, rel_tol=1e-9) for v, c in zip(values, targets, strict=True))
    print(f"random constants recognised: {len(false)}/{args.trials}; simple ones recognised as "
          f"themselves: {hits}/{5 * len(SIMPLE)}")
    print("false recognitions:", "; ".join(false[:12]))
    per_number = [f"{name} {sum(v is not None and math.isclose(v, c, rel_tol=1e-9) for v in values[5 * i:5 * i + 5])}/5"
                  for i, (name, c) in enumerate(SIMPLE.items())]
    print("simple ones, per number:", ", ".join(per_number))


if __name__ == "__main__":
    main()
