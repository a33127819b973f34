"""The ``cayley_growth``, ``cayley_sweep`` and ``cayley_catalogue`` job types.

``cayley_growth`` computes the exact growth function (sphere sizes), diameter
and vertex count of a Cayley graph, a Schreier coset graph (e.g. a puzzle's
sticker colourings) or a matrix-group Cayley graph (Chervov et al.,
"CayleyPy Growth", arXiv:2509.19162, Section 2).  ``cayley_sweep`` runs it for
a family over a range of n (one shard per n) and fits an exact
quasi-polynomial diameter formula (Section 3.1), extending the range when
asked until the formula is supported.  ``cayley_catalogue`` runs an extending
sweep for every family and catalogues the diameter conjectures found.
Parameters and estimates: :mod:`engines.cayley.params`; result models and
views: :mod:`engines.cayley.models`.

Examples
--------
>>> result = run_growth(GrowthParams(family="stars", n=5))
>>> result["layer_sizes"], result["diameter"], result["num_vertices"]
([1, 4, 12, 30, 44, 26, 3], 6, 120)
>>> cube = run_growth(GrowthParams(puzzle="cube_2x2x2", metric="half_turn"))
>>> cube["diameter"], cube["num_vertices"]
(11, 3674160)
"""

from __future__ import annotations

import time

from pydantic import ValidationError

from engines.cayley import families
from engines.cayley.growth import growth
from engines.cayley.models import (
    CatalogueResult,
    GrowthResult,
    SweepResult,
    view_catalogue,
    view_growth,
    view_sweep,
)
from engines.cayley.params import (
    GROWTH_LIMITS,
    CatalogueParams,
    GrowthParams,
    SweepParams,
    estimate_catalogue,
    estimate_growth,
    estimate_sweep,
    growth_source,
    permutation_graph,
    sweep_ns,
)
from engines.cayley.sweep import assemble, diameter_discovery, extend_points
from engines.contract import JobType, Progress, no_progress
from engines.discoveries import Discovery, growth_statement

__all__ = [
    "JOB_TYPES",
    "CatalogueParams",
    "GrowthParams",
    "SweepParams",
    "catalogue_discoveries",
    "growth_discoveries",
    "run_catalogue",
    "run_growth",
    "run_sweep",
    "sweep_discoveries",
    "sweep_merge",
    "sweep_shards",
]


def _budget_bytes(gib: float) -> int:
    return int(gib * 2**30)


def run_growth(params: GrowthParams, progress: Progress = no_progress) -> dict:
    """Run one growth computation and check its invariants; see the module docstring."""
    if params.matrix_generators is not None or params.family in families.MATRIX_FAMILIES:
        return _run_matrix(params, progress)
    graph = permutation_graph(params)
    names = growth_source(params)[4]
    if params.algorithm != "auto":
        graph.notes.append(f"algorithm forced: {params.algorithm}")
    result = growth(graph, memory_budget_bytes=_budget_bytes(params.memory_budget_gib),
                    max_diameter=params.max_diameter,
                    store_layers_max_size=params.store_layers_max_size,
                    last_layer_max_size=params.last_layer_max_size, progress=progress,
                    algorithm=params.algorithm, threads=params.threads)
    checks = {}
    if result["bfs_completed"] and graph.known_vertices is not None:
        checks["sum_of_layers_equals_vertex_count"] = graph.known_vertices
        if result["num_vertices"] != graph.known_vertices:
            raise RuntimeError(f"invariant failed: layers sum to {result['num_vertices']} but "
                               f"the orbit has {graph.known_vertices} states")
    if graph.inverse_closed and graph.is_cayley and len(result["layer_sizes"]) > 1:
        checks["layer_1_equals_generator_count"] = len(graph.generators)
        if result["layer_sizes"][1] != len(graph.generators):
            raise RuntimeError("invariant failed: layer 1 differs from the number of distinct "
                               "non-identity generators")
    k = families.family_k(params.family, params.n, params.k) if params.family else None
    return {"family": params.family, "n": params.n, "k": k, "puzzle": params.puzzle,
            "metric": (params.metric or "quarter_turn") if params.puzzle or params.gap_moves
            else None,
            "kind": graph.kind, "positions": graph.positions,
            "num_generators": len(graph.generators),
            "generator_names": names if names and len(names) == len(graph.generators) else None,
            "inverse_closed": graph.inverse_closed, "group_order": graph.group_order,
            **result, "invariants_checked": checks}


def _run_matrix(params: GrowthParams, progress: Progress) -> dict:
    from engines.cayley.matrix_growth import matrix_growth

    order = None
    if params.family is not None:
        gens = families.matrix_family(params.family, params.n)
        order = families.matrix_family_order(params.family, params.n, params.modulus)
    else:
        gens = params.matrix_generators
    result = matrix_growth(gens, params.modulus, max_diameter=params.max_diameter,
                           memory_budget_bytes=_budget_bytes(params.memory_budget_gib),
                           vertex_bound=order,
                           store_layers_max_size=params.store_layers_max_size,
                           last_layer_max_size=params.last_layer_max_size, progress=progress)
    checks = {}
    if order is not None and result["bfs_completed"]:
        checks["sum_of_layers_equals_vertex_count"] = order
        if result["num_vertices"] != order:
            raise RuntimeError(f"invariant failed: layers sum to {result['num_vertices']}, "
                               f"the group has order {order}")
    return {"family": params.family, "n": params.n or len(gens[0]), "kind": "matrix",
            "modulus": params.modulus, "num_generators": len(gens), "group_order": order,
            **result, "invariants_checked": checks}


def _growth_target(params: GrowthParams, result: dict) -> str | None:
    if params.central_state is not None or params.add_inverses:
        return None
    if params.puzzle is not None:
        corner = ", corner fixed" if params.puzzle == "cube_2x2x2" and params.fixed_corner else ""
        return f"{params.puzzle} ({result['metric']}{corner})"
    if params.family is None:
        return None
    target = families.family_label(params.family, result.get("k"))
    if params.modulus is not None:
        target += f" mod {params.modulus}"
    return target


def growth_discoveries(params: GrowthParams, result: dict) -> list[Discovery]:
    """A complete growth sequence of a named family or puzzle is a fact worth cataloguing."""
    target = _growth_target(params, result)
    if target is None or not result.get("bfs_completed"):
        return []
    sizes = result["layer_sizes"]
    n = params.n if params.n is not None else result["positions"]
    return [Discovery(
        target=target,
        text=f"growth of {target}, n={n}: {sizes} (diameter {result['diameter']})",
        latex=rf"\gamma_{{{n}}} = ({', '.join(map(str, sizes))})",
        statement=growth_statement(target, n, sizes),
        evidence={"num_vertices": result["num_vertices"],
                  "invariants_checked": result["invariants_checked"],
                  "algorithm": result["algorithm"]},
    )]


def _fit_args(params: SweepParams | CatalogueParams) -> dict:
    return {"max_period": params.max_period, "max_degree": getattr(params, "max_degree", 2),
            "min_checks": params.min_checks,
            "max_leading_exceptions": getattr(params, "max_leading_exceptions", 2)}


def _point(params: SweepParams, n: int, progress: Progress) -> dict:
    result = run_growth(params.point(n), progress)
    return {"n": n, "diameter": result["diameter"], "layer_sizes": result["layer_sizes"],
            "num_vertices": result["num_vertices"], "elapsed_s": result["elapsed_s"]}


def _cannot_run(params: SweepParams, n: int) -> str | None:
    try:
        params.point(n)
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else None
        return errors[0]["msg"].removeprefix("Value error, ") if errors else str(exc)
    return None


def _sweep_result(params: SweepParams, points: list[dict], stopped: str | None,
                  started: float) -> dict:
    k = families.family_k(params.family, params.n_min, params.k)
    return {"family": params.family, "k": params.k,
            "label": families.family_label(params.family, k),
            **assemble(points, _fit_args(params)), "n_max_requested": params.n_max,
            "extended": max(p["n"] for p in points) > params.n_max, "stopped_because": stopped,
            "elapsed_s": round(time.perf_counter() - started, 3)}


def run_sweep(params: SweepParams, progress: Progress = no_progress) -> dict:
    """Growth for each n in the range (and beyond, when extending), then the formula fit."""
    started = time.perf_counter()
    ns = sweep_ns(params)
    points = []
    for i, n in enumerate(ns):
        def point_progress(done: int, total: int, message: str = "", n: int = n, i: int = i):
            progress(i, len(ns), f"n = {n}: {message}")

        points.append(_point(params, n, point_progress))
    stopped = None
    if params.extend:
        points, stopped = extend_points(
            points, lambda n, p: _point(params, n, p), lambda n: _cannot_run(params, n),
            family_hi=families.family_bounds(params.family)[1], budget_s=params.budget_s,
            fit_args=_fit_args(params), progress=progress, started=started)
    progress(len(points), len(points), f"diameter formula fitted on n = {points[0]['n']}.."
                                       f"{points[-1]['n']}")
    return _sweep_result(params, points, stopped, started)


def sweep_shards(params: SweepParams) -> list[dict]:
    """One sub-job per n; an extending sweep runs as one job (it decides its own range)."""
    if params.extend:
        return []
    base = params.model_dump()
    return [{**base, "n_min": n, "n_max": n} for n in sweep_ns(params)]


def sweep_merge(params: SweepParams, results: list[dict]) -> dict:
    """Combine per-n shard results (any order) and fit the formula on all of them."""
    points = []
    for r in results:
        for n_text, diameter in r["diameters"].items():
            points.append({"n": int(n_text), "diameter": diameter,
                           "layer_sizes": r["layer_sizes"][n_text],
                           "num_vertices": r["num_vertices"][n_text]})
    expected = set(sweep_ns(params))
    if {p["n"] for p in points} != expected or len(points) != len(expected):
        raise ValueError("shard results do not cover n_min..n_max exactly once")
    out = _sweep_result(params, points, None, time.perf_counter())
    out["elapsed_s"] = round(sum(r.get("elapsed_s") or 0 for r in results), 3)
    return out


def sweep_discoveries(params: SweepParams, result: dict) -> list[Discovery]:
    formula = result.get("formula")
    if not formula:
        return []
    return [diameter_discovery(result.get("label") or params.family, formula,
                               result["diameters"])]


def run_catalogue(params: CatalogueParams, progress: Progress = no_progress) -> dict:
    """An extending sweep per family, sharing the time budget; the formulas found."""
    started = time.perf_counter()
    names = params.names()
    entries, skipped = [], {}
    for i, name in enumerate(names):
        left = params.time_budget_s - (time.perf_counter() - started)
        share = left / (len(names) - i)
        lo, hi = families.family_bounds(name)
        n_max = min(hi, max(lo, params.n_max_start))
        try:
            sweep = SweepParams(family=name, n_min=lo, n_max=n_max, extend=True,
                                time_budget_s=max(share, 1.0), max_period=params.max_period,
                                min_checks=params.min_checks,
                                memory_budget_gib=params.memory_budget_gib)
        except ValidationError as exc:
            skipped[name] = exc.errors()[0]["msg"].removeprefix("Value error, ")
            continue

        def family_progress(done: int, total: int, message: str = "", i: int = i,
                            name: str = name) -> None:
            progress(i, len(names), f"{name}: {message}")

        result = run_sweep(sweep, family_progress)
        ns = sorted(int(n) for n in result["diameters"])
        entries.append({"family": name, "label": result["label"], "n_range": [ns[0], ns[-1]],
                        "diameters": result["diameters"], "formula": result["formula"],
                        "formula_status": result["formula_status"],
                        "stopped_because": result["stopped_because"]})
    found = sum(1 for e in entries if e["formula"])
    progress(len(names), len(names), f"catalogue done: {found} formulas from {len(entries)} "
                                     "families")
    return {"entries": entries, "formulas_found": found, "families_swept": len(entries),
            "families_skipped": skipped, "elapsed_s": round(time.perf_counter() - started, 2)}


def catalogue_discoveries(params: CatalogueParams, result: dict) -> list[Discovery]:
    return [diameter_discovery(e["label"], e["formula"], e["diameters"])
            for e in result["entries"] if e["formula"]]


def _view(model, render):
    def view(result):
        return render(result if isinstance(result, model) else model.model_validate(result))

    return view


JOB_TYPES = [
    JobType("cayley_growth", GrowthParams, run_growth,
            "Exact growth function, diameter and size of a Cayley/Schreier/matrix-group graph "
            "or a puzzle.",
            result_model=GrowthResult, view=_view(GrowthResult, view_growth),
            estimate=estimate_growth, discoveries=growth_discoveries, queue="heavy",
            limits=GROWTH_LIMITS),
    JobType("cayley_sweep", SweepParams, run_sweep,
            "Diameters of a generator family over a range of n (extending it when asked), with "
            "an exact quasi-polynomial formula fit.",
            result_model=SweepResult, view=_view(SweepResult, view_sweep),
            estimate=estimate_sweep, discoveries=sweep_discoveries, shards=sweep_shards,
            merge=sweep_merge, queue="heavy", limits=GROWTH_LIMITS),
    JobType("cayley_catalogue", CatalogueParams, run_catalogue,
            "An extending diameter sweep for every generator family: the catalogue of "
            "diameter conjectures.",
            result_model=CatalogueResult, view=_view(CatalogueResult, view_catalogue),
            estimate=estimate_catalogue, discoveries=catalogue_discoveries, queue="heavy",
            limits=GROWTH_LIMITS),
]
