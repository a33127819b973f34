"""The ``cayley_catalogue`` job: every conjecture the sweeps of all families support.

For each permutation family (and the family-parameter variants of
:data:`VARIANTS`) an extending sweep (:func:`mathdisco.engines.cayley.job.run_sweep`)
fits the diameter, the sphere sizes |S_k(n)| for k <= ``sphere_radius_max``
and the number of farthest elements, each accepted only with its check
points (Chervov et al., "CayleyPy Growth", arXiv:2509.19162, Section 3.1);
for the unitriangular matrix groups over Z/pZ the diameter is fitted as a
function of p (their Section 3.6: "linear dependence of diameter on p").
Every accepted formula is a discovery with the n (or p) it was fitted and
checked on; known theorems it restates are named (:mod:`mathdisco.engines.cayley.known`).
The refined Babai-type bound n^2/2 + 4n is checked on every complete search.

The families share the time budget: each gets an equal part of what is left.
"""

from __future__ import annotations

import re
import time

from pydantic import ValidationError

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley.conjectures import FitArgs, bound_check, sequence_conjecture
from mathdisco.engines.cayley.params import CatalogueParams, GrowthParams, SweepParams
from mathdisco.engines.cayley.results import CatalogueResult, SweepResult
from mathdisco.engines.cayley.sweep import diameter_discovery, sequence_discovery
from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.discoveries import Discovery

__all__ = ["MATRIX_CASES", "VARIANTS", "catalogue_discoveries", "matrix_sweep",
           "run_catalogue"]

#: family-parameter variants swept besides each family's default k
VARIANTS: list[tuple[str, int]] = [
    ("lrx", 2), ("top_spin", 3), ("top_spin", 5), ("wrapped_k_cycles", 4),
    ("consecutive_k_cycles", 4), ("generalized_stars", 1), ("generalized_stars", 3),
    ("cubic_pancake", 2), ("cubic_pancake", 3), ("cubic_pancake", 4), ("cubic_pancake", 5),
    ("cubic_pancake", 6), ("cubic_pancake", 7), ("koltsov3", 0), ("koltsov3", 2),
]
#: (matrix family, size, largest modulus p tried)
MATRIX_CASES: list[tuple[str, int, int]] = [
    ("heisenberg", 3, 30), ("heisenberg", 4, 11), ("heisenberg", 5, 6),
    ("unitriangular", 4, 8), ("unitriangular", 5, 4),
]
MATRIX_FIT = FitArgs(max_period=2, max_degree=2, min_checks=2, max_leading_exceptions=6)


def _sweeps(params: CatalogueParams) -> list[tuple[str, int | None]]:
    chosen = params.names()
    extra = [(f, k) for f, k in VARIANTS if f in chosen] if params.variants else []
    return [(f, None) for f in chosen] + extra


def _lowest_n(name: str, k: int | None, lo: int, hi: int) -> int:
    """The smallest n at which the family accepts the parameter k (k-cycles need n >= k)."""
    for n in range(lo, hi + 1):
        try:
            families.family_k(name, n, k)
        except ValueError:
            continue
        return n
    return lo


def _entry(sweep: dict) -> dict:
    """A family's catalogue entry from its sweep's result (validated as the sweep's model)."""
    result = SweepResult.model_validate(sweep)
    ns = sorted(int(n) for n in result.diameters)
    entry = result.model_dump(mode="json", include={
        "family", "k", "label", "diameters", "formula", "formula_status", "stopped_because",
        "diameter_conjecture", "sphere_formulas", "antipode_conjecture", "bound_check"})
    return {**entry, "n_range": [ns[0], ns[-1]]}


def matrix_sweep(name: str, size: int, p_max: int, budget_s: float,
                 progress: Progress = no_progress) -> dict:
    """Diameters of the matrix group over Z/pZ for p = 2, 3, ... and their formula in p."""
    from mathdisco.engines.cayley.job import run_growth

    started, points, stopped = time.perf_counter(), [], None
    for p in range(2, p_max + 1):
        left = budget_s - (time.perf_counter() - started)
        last = points[-1]["elapsed_s"] if points else 0.0
        ratio = (last / points[-2]["elapsed_s"]) if len(points) > 1 and points[-2]["elapsed_s"] \
            else 1.0
        if last * max(ratio, 1.0) > left:
            stopped = f"the time budget at p = {p}"
            break
        try:
            params = GrowthParams(family=name, n=size, modulus=p, last_layer_max_size=0)
        except ValidationError as exc:
            stopped = f"p = {p}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
            break
        progress(p, p_max, f"{name}({size}) mod {p}")
        r = run_growth(params)
        points.append({"n": p, "layer_sizes": r["layer_sizes"], "complete": r["bfs_completed"],
                       "elapsed_s": r["elapsed_s"]})
    label = f"{name}(n={size})"
    entry = sequence_conjecture(label, "diameter", None, points, MATRIX_FIT, stopped)
    if entry["formula"]:  # the fit names its variable n; here it is the modulus p
        f = entry["formula"]
        f["text"], f["latex"] = (re.sub(r"\bn\b", "p", f["text"]),
                                 re.sub(r"\bn\b", "p", f["latex"]))
        for poly in f["polynomials"]:
            poly["expression"] = re.sub(r"\bn\b", "p", poly["expression"])
    return {"family": name, "size": size, "label": label,
            "diameters": {str(p["n"]): len(p["layer_sizes"]) - 1 for p in points},
            "conjecture": entry, "stopped_because": stopped}


def _count(entries: list[dict], matrix: list[dict]) -> dict:
    accepted = ("known", "open")
    counts = {"diameter": sum(e["diameter_conjecture"]["status"] in accepted for e in entries),
              "sphere": sum(s["status"] in accepted for e in entries
                            for s in e["sphere_formulas"]),
              "antipodes": sum(bool(e["antipode_conjecture"])
                               and e["antipode_conjecture"]["status"] in accepted
                               for e in entries),
              "matrix": sum(m["conjecture"]["status"] in accepted for m in matrix)}
    known = (sum(e["diameter_conjecture"]["status"] == "known" for e in entries)
             + sum(s["status"] == "known" for e in entries for s in e["sphere_formulas"])
             + sum(bool(e["antipode_conjecture"]) and e["antipode_conjecture"]["status"] == "known"
                   for e in entries))
    return {**counts, "total": sum(counts.values()), "known": known,
            "open": sum(counts.values()) - known}


def run_catalogue(params: CatalogueParams, progress: Progress = no_progress) -> dict:
    """An extending sweep per family (and variant), then the matrix groups; the conjectures."""
    from mathdisco.engines.cayley.job import run_sweep

    started = time.perf_counter()
    sweeps = _sweeps(params)
    cases = MATRIX_CASES if params.matrix else []
    entries, skipped, matrix = [], {}, []
    parts = len(sweeps) + len(cases)
    for i, (name, k) in enumerate(sweeps):
        left = params.time_budget_s - (time.perf_counter() - started)
        share = max(left / (parts - i), 1.0)
        lo, hi = families.family_bounds(name)
        lo = _lowest_n(name, k, lo, hi)
        n_max = min(hi, max(lo, params.n_max_start))
        label = families.family_label(name, k)
        try:
            sweep = SweepParams(family=name, k=k, n_min=lo, n_max=n_max, extend=True,
                                time_budget_s=share, max_period=params.max_period,
                                min_checks=params.min_checks,
                                sphere_radius_max=params.sphere_radius_max,
                                antipodes=params.antipodes,
                                memory_budget_gib=params.memory_budget_gib)
        except (ValidationError, ValueError) as exc:
            errors = exc.errors() if isinstance(exc, ValidationError) else None
            skipped[label] = (errors[0]["msg"].removeprefix("Value error, ") if errors
                              else str(exc))
            continue

        def family_progress(done: int, total: int, message: str = "", i: int = i,
                            label: str = label) -> None:
            progress(i, parts, f"{label}: {message}")

        entries.append(_entry(run_sweep(sweep, family_progress)))
    for j, (name, size, p_max) in enumerate(cases):
        left = params.time_budget_s - (time.perf_counter() - started)
        share = max(left / (len(cases) - j), 1.0)
        matrix.append(matrix_sweep(name, size, p_max, share))
    counts = _count(entries, matrix)
    rows = [{"n": int(n), "diameter": d, "applies": e["bound_check"] is not None
             and int(n) in e["bound_check"]["checked_n"]}
            for e in entries for n, d in e["diameters"].items()]
    progress(parts, parts, f"catalogue done: {counts['total']} conjectures accepted")
    return {"entries": entries, "matrix_entries": matrix, "counts": counts,
            "formulas_found": sum(1 for e in entries if e["formula"]),
            "families_swept": len(entries), "families_skipped": skipped,
            "bound_check": bound_check(rows),
            "elapsed_s": round(time.perf_counter() - started, 2)}


def catalogue_discoveries(params: CatalogueParams, result: CatalogueResult) -> list[Discovery]:
    found = []
    for e in result.entries:
        if e.formula:
            judgement = {"status": e.diameter_conjecture.status,
                         "theorem": e.diameter_conjecture.theorem}
            found.append(diameter_discovery(e.label, e.formula, e.diameters, judgement))
        for s in e.sphere_formulas:
            if s.formula:
                found.append(sequence_discovery(e.label, s))
        if e.antipode_conjecture and e.antipode_conjecture.formula:
            found.append(sequence_discovery(e.label, e.antipode_conjecture))
    for m in result.matrix_entries:
        if m.conjecture.formula:
            found.append(sequence_discovery(m.label, m.conjecture, variable="p"))
    return found
