"""Hypothesis recall of ``pcf_cluster`` against an exhaustive pairwise pass written here.

The truth is computed without the engine's finders: every PCF of a small box
is enumerated here, evaluated by ``pcf_bench``'s independent evaluation (the
plain three-term recurrence in gmpy2, its own tail expansion for the slow
constant-``a`` members), set aside when PSLQ names it (rational, quadratic, or
Möbius in a basis constant: ``pcf_bench.identify_independently``), and then
**every pair** of the remaining members with >= 40 digits is tried by PSLQ on
``(xy, x, y, 1)`` at up to 60 digits (``|coefficients| <= 10^4``), a relation
accepted when it holds to the evaluation's digits less 5 and was found at
``size + 8`` digits or more, with ``ps - qr != 0``.  The connected components
of these relations are the truth.

Reported, beside the engine's run on the same box:

* pair recall: the pairs of members that the truth connects (one component)
  which the engine puts in one hypothesis;
* component recall: truth components of two or more members whose members the
  engine puts in one hypothesis, whole;
* precision: engine relations that hold on this file's own values (to their
  digits less 5), and engine hypotheses that lie inside one truth component.

Run::

    python bench/pcf_bench.py --engine-pcfs 0 --hypotheses a1b1
"""

from __future__ import annotations

import itertools
import math
import time

import mpmath

from mathdisco.engines.numerics.constants import constant_value
from mathdisco.engines.pcf.job import PCFClusterParams
from mathdisco.engines.pcf.job import run as run_job

#: boxes: (a_degree, b_degree, coefficient_min, coefficient_max)
BOXES = {"a1b1": (1, 1, -2, 2), "a1b1+": (1, 1, 0, 3), "a1b2": (1, 2, -1, 1)}
BASIS = ["pi", "e", "ln2", "e2", "tan1", "bessel_i0_i1_1", "bessel_i0_i1_2", "catalan"]
MIN_DIGITS = 40
SEARCH = 60


def _terminates(b) -> bool:
    return any(sum(c * n**i for i, c in enumerate(b)) == 0 for n in range(1, 40))


def _enumerate(a_degree: int, b_degree: int, low: int, high: int):
    """Every (a, b) with deg a <= a_degree, deg b <= b_degree, a != 0, b != 0 (this file's own)."""
    values = range(low, high + 1)
    for a in itertools.product(values, repeat=a_degree + 1):
        if not any(a):
            continue
        for b in itertools.product(values, repeat=b_degree + 1):
            if any(b):
                yield list(a), list(b)


def _relation(x, y, digits: int):
    search = min(digits - 10, SEARCH)
    with mpmath.workdps(search):
        try:
            r = mpmath.pslq([x * y, +x, +y, mpmath.mpf(1)], maxcoeff=10**4, maxsteps=20_000)
        except ValueError:
            return None
    if not r or r[0] * r[3] == r[1] * r[2]:
        return None
    return r if _holds(r, x, y, digits, search) else None


def _holds(r, x, y, digits: int, search: int) -> bool:
    with mpmath.workdps(digits + 20):
        terms = [r[0] * x * y, r[1] * x, r[2] * y, mpmath.mpf(r[3])]
        scale = max(abs(t) for t in terms)
        size = sum(math.log10(abs(c)) for c in r if c)
        return (abs(mpmath.fsum(terms)) < scale * mpmath.mpf(10) ** -(digits - 5)
                and search >= size + 8)


class _Components:
    def __init__(self):
        self.parent: dict = {}

    def find(self, i):
        self.parent.setdefault(i, i)
        while self.parent[i] != i:
            i = self.parent[i]
        return i

    def union(self, i, j):
        self.parent[self.find(i)] = self.find(j)


def truth(spec: tuple[int, int, int, int]) -> tuple[dict, dict, dict]:
    """``(values, components, stats)`` of the exhaustive pass (module docstring)."""
    from pcf_bench import identify_independently, independent_value

    constants = {name: constant_value(name, 140) for name in BASIS}
    values, stats = {}, {"pcfs": 0, "terminating": 0, "named or rational": 0, "too few digits": 0}
    for a, b in _enumerate(*spec):
        stats["pcfs"] += 1
        if _terminates(b):
            stats["terminating"] += 1
            continue
        x, digits, _ = independent_value(a, b)
        if x is None or digits < MIN_DIGITS or not mpmath.isfinite(x):
            stats["too few digits"] += 1
            continue
        if abs(x) < mpmath.mpf(10) ** -30:                              # zero (rational)
            stats["named or rational"] += 1
            continue
        if identify_independently(x, digits, constants) is not None:   # a basis constant
            stats["named or rational"] += 1
            continue
        with mpmath.workdps(SEARCH):                                   # rational (set aside)
            r = mpmath.pslq([x, 1], maxcoeff=10**12, maxsteps=10_000)
        if r and abs(r[0] * x + r[1]) < mpmath.mpf(10) ** -(digits - 5) * max(abs(x), 1):
            stats["named or rational"] += 1
            continue
        values[(tuple(a), tuple(b))] = (x, digits)
    keys = sorted(values)
    components = _Components()
    pairs = 0
    for i, u in enumerate(keys):
        for v in keys[:i]:
            pairs += 1
            (x, dx), (y, dy) = values[u], values[v]
            if _relation(x, y, min(dx, dy)) is not None:
                components.union(u, v)
    stats.update({"unnamed members": len(keys), "pairs tried": pairs})
    groups: dict = {}
    for key in keys:
        groups.setdefault(components.find(key), []).append(key)
    return values, {root: g for root, g in groups.items() if len(g) > 1}, stats


def _key(a, b, spec):
    a = list(a) + [0] * (spec[0] + 1 - len(a))
    b = list(b) + [0] * (spec[1] + 1 - len(b))
    return tuple(a), tuple(b)


def recall(name: str) -> dict:
    """Engine vs truth on the box ``name`` of :data:`BOXES`; prints and returns the figures."""
    spec = BOXES[name]
    clock = time.process_time()
    values, groups, stats = truth(spec)
    truth_cpu = time.process_time() - clock
    params = PCFClusterParams(a_degree=spec[0], b_degree=spec[1], coefficient_min=spec[2],
                              coefficient_max=spec[3], depth=2000, constants=BASIS,
                              families=False)
    clock = time.process_time()
    result = run_job(params)
    engine_cpu = time.process_time() - clock
    hypothesis_of = {}
    for h in result["hypotheses"]:
        for m in h["members"]:
            hypothesis_of[_key(m["a"], m["b"], spec)] = h["id"]
    truth_pairs = [(u, v) for g in groups.values() for i, u in enumerate(g) for v in g[:i]]
    found_pairs = sum(hypothesis_of.get(u) is not None and hypothesis_of.get(u)
                      == hypothesis_of.get(v) for u, v in truth_pairs)
    whole = sum(len({hypothesis_of.get(k) for k in g}) == 1 and hypothesis_of.get(g[0]) is not None
                for g in groups.values())
    component_of = {k: root for root, g in groups.items() for k in g}
    holding, relations, inside, comparable = 0, 0, 0, 0
    for h in result["hypotheses"]:
        rep = _key(h["representative"]["a"], h["representative"]["b"], spec)
        # members this file evaluated to MIN_DIGITS and did not name (the others are no truth)
        known = [k for k in (_key(m["a"], m["b"], spec) for m in h["members"]) if k in values]
        if len(known) >= 2:
            comparable += 1
            roots = {component_of.get(k) for k in known}
            inside += len(roots) == 1 and None not in roots
        for m in h["members"]:
            key = _key(m["a"], m["b"], spec)
            if key == rep or key not in values or rep not in values:
                continue
            relations += 1
            (x, dx), (y, dy) = values[key], values[rep]
            holding += _holds(m["relation"], x, y, min(dx, dy), SEARCH)
    figures = {
        "box": name, "spec": spec, **stats,
        "truth components": len(groups), "truth pairs": len(truth_pairs),
        "pair recall": found_pairs / max(len(truth_pairs), 1),
        "component recall": whole / max(len(groups), 1),
        "engine hypotheses": len(result["hypotheses"]),
        "engine non-trivial": sum(h["non_trivial"] > 0 for h in result["hypotheses"]),
        "engine relations checked here": relations,
        "relation precision": holding / max(relations, 1),
        "hypotheses inside one truth component": f"{inside}/{comparable} (with two or more "
                                                  "members this file evaluated and left unnamed)",
        "explained": result["explained"], "hypothesis_search": result["hypothesis_search"],
        "truth CPU s": round(truth_cpu, 1), "engine CPU s": round(engine_cpu, 1)}
    for key, value in figures.items():
        print(f"  {key}: {value}")
    missed = [(u, v) for u, v in truth_pairs if not (hypothesis_of.get(u) is not None
                                                     and hypothesis_of.get(u) == hypothesis_of.get(v))]
    if missed:
        print(f"  missed pairs (first 5): {missed[:5]}")
    return figures
