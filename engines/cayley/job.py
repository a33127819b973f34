"""The ``cayley_growth``, ``cayley_sweep`` and ``cayley_catalogue`` job types.

``cayley_growth`` computes the exact growth function (sphere sizes), diameter
and vertex count of a Cayley graph, a Schreier coset graph (e.g. a puzzle's
sticker colourings) or a matrix-group Cayley graph (Chervov et al.,
"CayleyPy Growth", arXiv:2509.19162, Section 2).  ``cayley_sweep`` runs it for
a family over a range of n (one shard per n) and fits an exact
quasi-polynomial diameter formula (Section 3.1), extending the range when
asked until the formula is supported.  ``cayley_catalogue`` runs an extending
sweep for every family and catalogues the diameter conjectures found.
Parameters and estimates: :mod:`mathdisco.engines.cayley.params`; result models and
views: :mod:`mathdisco.engines.cayley.results`.

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

import math
import time

from pydantic import ValidationError

from mathdisco.engines.cayley import families
from mathdisco.engines.cayley.catalogue import catalogue_discoveries, run_catalogue
from mathdisco.engines.cayley.conjectures import (
    FitArgs,
    bound_check,
    generator_degree,
    sequence_conjecture,
    sphere_degree,
)
from mathdisco.engines.cayley.extremal import (
    estimate_extremal,
    extremal_merge,
    extremal_shards,
    run_extremal,
    warm_up_extremal,
)
from mathdisco.engines.cayley.growth import growth
from mathdisco.engines.cayley.params import (
    GROWTH_LIMITS,
    MAX_THREADS,
    CatalogueParams,
    ExtremalParams,
    GrowthParams,
    SweepParams,
    estimate_catalogue,
    estimate_growth,
    estimate_sweep,
    growth_source,
    permutation_graph,
    sweep_ns,
)
from mathdisco.engines.cayley.results import (
    CatalogueResult,
    Conjecture,
    ExtremalResult,
    GrowthResult,
    SweepResult,
    view_catalogue,
    view_extremal,
    view_growth,
    view_sweep,
)
from mathdisco.engines.cayley.sweep import (
    assemble,
    diameter_discovery,
    extend_points,
    extend_spheres,
    sequence_discovery,
)
from mathdisco.engines.contract import JobType, Progress, no_progress
from mathdisco.engines.discoveries import Discovery, ExtremalStatement, growth_statement

__all__ = [
    "JOB_TYPES",
    "CatalogueParams",
    "GrowthParams",
    "SweepParams",
    "catalogue_discoveries",
    "extremal_discoveries",
    "growth_discoveries",
    "run_catalogue",
    "run_growth",
    "run_sweep",
    "sweep_discoveries",
    "sweep_merge",
    "sweep_shards",
    "warm_up",
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
    from mathdisco.engines.cayley.matrix_growth import matrix_growth

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


def _growth_target(params: GrowthParams, result: GrowthResult) -> str | None:
    if params.central_state is not None or params.add_inverses:
        return None
    if params.puzzle is not None:
        corner = ", corner fixed" if params.puzzle == "cube_2x2x2" and params.fixed_corner else ""
        return f"{params.puzzle} ({result.metric}{corner})"
    if params.family is None:
        return None
    target = families.family_label(params.family, result.k)
    if params.modulus is not None:
        target += f" mod {params.modulus}"
    return target


def growth_discoveries(params: GrowthParams, result: GrowthResult) -> list[Discovery]:
    """A complete growth sequence of a named family or puzzle is a fact worth cataloguing."""
    target = _growth_target(params, result)
    if target is None or not result.bfs_completed:
        return []
    sizes = result.layer_sizes
    n = params.n if params.n is not None else result.positions
    return [Discovery(
        target=target,
        text=f"growth of {target}, n={n}: {sizes} (diameter {result.diameter})",
        latex=rf"\gamma_{{{n}}} = ({', '.join(map(str, sizes))})",
        statement=growth_statement(target, n, sizes),
        evidence={"num_vertices": result.num_vertices,
                  "invariants_checked": result.invariants_checked,
                  "algorithm": result.algorithm},
    )]


def extremal_discoveries(params: ExtremalParams, result: ExtremalResult) -> list[Discovery]:
    """Per n searched in full, the largest diameter over the shape, with its first maximiser.

    A job over an index range (one piece of a search) states nothing: its maximum is not
    the shape's.
    """
    if params.index_start is not None:
        return []
    found = []
    for row in result.per_n:
        if row.max_diameter is None or not row.maximisers:
            continue
        first = row.maximisers[0]
        found.append(Discovery(
            target=f"{result.shape}, S_{row.n}",
            text=(f"The largest diameter of Cay(S_{row.n}, S) over every {result.shape} "
                  f"generating set S is {row.max_diameter}, reached by {row.maximisers_found} "
                  f"of {row.generating:,} (first: {', '.join(first.cycles)})"),
            latex=rf"\max_S \operatorname{{diam}} \mathrm{{Cay}}(S_{{{row.n}}}, S) = {row.max_diameter}",
            statement=ExtremalStatement(shape=result.shape, n=row.n, max_diameter=row.max_diameter),
            evidence={"candidates": row.candidates, "generating": row.generating,
                      "maximisers": row.maximisers_found, "first_maximiser": first.cycles,
                      "growth": row.growth, "bound": row.bound,
                      "coxeter_diameter": row.coxeter_diameter}))
    return found


def _fit_args(params: SweepParams | CatalogueParams) -> dict:
    return {"max_period": params.max_period, "max_degree": getattr(params, "max_degree", 2),
            "min_checks": params.min_checks,
            "max_leading_exceptions": getattr(params, "max_leading_exceptions", 2)}


def _point(params: SweepParams, n: int, progress: Progress) -> dict:
    result = GrowthResult.model_validate(run_growth(params.point(n), progress))
    symmetric = (result.positions == n and result.bfs_completed
                 and result.num_vertices == math.factorial(n))
    return {"n": n, "diameter": result.diameter, "layer_sizes": result.layer_sizes,
            "num_vertices": result.num_vertices, "elapsed_s": result.elapsed_s,
            "complete": result.bfs_completed,
            "applies": bool(symmetric and result.inverse_closed)}


def _depth_point(params: SweepParams, n: int, depth: int, progress: Progress) -> dict:
    result = GrowthResult.model_validate(run_growth(params.point(n, depth), progress))
    return {"n": n, "layer_sizes": result.layer_sizes, "complete": result.bfs_completed,
            "depth": depth, "elapsed_s": result.elapsed_s}


def _cannot_run(params: SweepParams, n: int, depth: int | None = None) -> str | None:
    try:
        params.point(n, depth)
    except (ValidationError, ValueError) as exc:
        errors = exc.errors() if isinstance(exc, ValidationError) else None
        return errors[0]["msg"].removeprefix("Value error, ") if errors else str(exc)
    return None


def _generator_degree(params: SweepParams) -> int:
    """How fast the family's generator count grows with n (0: bounded, 2: ~n^2, ...)."""
    lo, hi = families.family_bounds(params.family)
    step = 2 if families.PERMUTATION_FAMILIES[params.family].even_n else 1
    ns = [n for n in range(max(lo, 6), min(hi, 14) + 1, step)
          if _cannot_run(params, n, 0) is None]
    if len(ns) < 2:
        return 2
    counts = {n: len({tuple(g) for g in families.permutation_family(params.family, n, params.k)}
                     - {tuple(range(len(g))) for g in
                        families.permutation_family(params.family, n, params.k)})
              for n in (ns[0], ns[-1])}
    return generator_degree(counts)


def _sphere_fit(params: SweepParams, k: int, gdeg: int) -> FitArgs:
    return FitArgs(max_period=params.max_period, max_degree=sphere_degree(k, gdeg),
                   min_checks=params.min_checks,
                   max_leading_exceptions=max(params.max_leading_exceptions, min(k + 1, 8)))


def _conjectures(params: SweepParams, full: list[dict], limited: list[dict],
                 stopped: dict[int, str], antipodes_stopped: str | None) -> dict:
    """Sphere, antipode and diameter conjectures and the bound check of a sweep's points."""
    fit = _fit_args(params)
    everything = full + limited
    gdeg = _generator_degree(params) if params.sphere_radius_max else 0
    spheres = []
    for k in range(1, params.sphere_radius_max + 1):
        entry = sequence_conjecture(params.family, "sphere", k, everything,
                                    _sphere_fit(params, k, gdeg), stopped.get(k))
        spheres.append(entry)
    antipode = (sequence_conjecture(params.family, "antipodes", None, full, FitArgs(**fit),
                                    antipodes_stopped) if params.antipodes else None)
    diameter = sequence_conjecture(params.family, "diameter", None, full, FitArgs(**fit))
    return {"sphere_formulas": spheres,
            "antipode_formula": antipode["formula"] if antipode else None,
            "antipode_conjecture": antipode,
            "diameter_conjecture": diameter,
            "bound_check": bound_check(full)}


def _sweep_result(params: SweepParams, points: list[dict], stopped: str | None,
                  started: float, limited: list[dict] | None = None,
                  sphere_stops: dict[int, str] | None = None,
                  antipodes_stopped: str | None = None) -> dict:
    k = families.family_k(params.family, params.n_min, params.k)
    limited = limited or []
    return {"family": params.family, "k": params.k,
            "label": families.family_label(params.family, k),
            **assemble(points, _fit_args(params)), "n_max_requested": params.n_max,
            "extended": max(p["n"] for p in points) > params.n_max, "stopped_because": stopped,
            **_conjectures(params, points, limited, sphere_stops or {}, antipodes_stopped),
            "depth_limited": {str(p["n"]): {"depth": p["depth"], "layer_sizes": p["layer_sizes"],
                                            "complete": p["complete"]} for p in limited},
            "bound_applies": {str(p["n"]): p["applies"]
                              for p in sorted(points, key=lambda p: p["n"])},
            "elapsed_s": round(time.perf_counter() - started, 3)}


def _undecided_spheres(params: SweepParams, gdeg: int, full: list[dict]):
    def undecided(limited: list[dict]) -> list[int]:
        points = full + [p for p in limited if p not in full]
        return [k for k in range(1, params.sphere_radius_max + 1)
                if sequence_conjecture(params.family, "sphere", k, points,
                                       _sphere_fit(params, k, gdeg))["status"]
                == "insufficient data"]

    return undecided


def _extend(params: SweepParams, points: list[dict], started: float, progress: Progress):
    """The three extensions of an extending sweep: diameter, antipodes, spheres."""
    hi = families.family_bounds(params.family)[1]
    step = 2 if families.PERMUTATION_FAMILIES[params.family].even_n else 1
    fit = _fit_args(params)
    budget = params.budget_s
    points, stopped = extend_points(
        points, lambda n, p: _point(params, n, p), lambda n: _cannot_run(params, n),
        family_hi=hi, budget_s=0.5 * budget, fit_args=fit, progress=progress, started=started,
        step=step)
    antipodes_stopped = None
    if params.antipodes:
        def antipodes_decided(points: list[dict]) -> bool:
            return sequence_conjecture(params.family, "antipodes", None, points,
                                       FitArgs(**fit))["status"] != "insufficient data"

        points, antipodes_stopped = extend_points(
            points, lambda n, p: _point(params, n, p), lambda n: _cannot_run(params, n),
            family_hi=hi, budget_s=0.7 * budget, fit_args=fit, progress=progress,
            started=started, resolved=antipodes_decided, step=step)
    limited: list[dict] = []
    sphere_stops: dict[int, str] = {}
    if params.sphere_radius_max:
        gdeg = _generator_degree(params)
        undecided = _undecided_spheres(params, gdeg, points)
        left = budget - (time.perf_counter() - started)
        every, sphere_stops = extend_spheres(
            list(points), lambda n, d, p: _depth_point(params, n, d, p),
            lambda n, d: _cannot_run(params, n, d), undecided, family_hi=hi,
            budget_s=max(left, 0.0), step=step, progress=progress)
        limited = every[len(points):]
    return points, stopped, limited, sphere_stops, antipodes_stopped


def run_sweep(params: SweepParams, progress: Progress = no_progress) -> dict:
    """Growth for each n in the range (and beyond, when extending), then the conjectures."""
    started = time.perf_counter()
    ns = sweep_ns(params)
    points = []
    for i, n in enumerate(ns):
        def point_progress(done: int, total: int, message: str = "", n: int = n, i: int = i):
            progress(i, len(ns), f"n = {n}: {message}")

        points.append(_point(params, n, point_progress))
    if not params.extend:
        progress(len(points), len(points), "fitting the conjectures")
        return _sweep_result(params, points, None, started)
    points, stopped, limited, sphere_stops, antipodes_stopped = _extend(
        params, points, started, progress)
    progress(len(points), len(points), f"conjectures fitted on n = {points[0]['n']}.."
                                       f"{max(p['n'] for p in points + limited)}")
    return _sweep_result(params, points, stopped, started, limited, sphere_stops,
                         antipodes_stopped)


def sweep_shards(params: SweepParams) -> list[dict]:
    """One sub-job per n; an extending sweep runs as one job (it decides its own range)."""
    if params.extend:
        return []
    base = params.model_dump()
    return [{**base, "n_min": n, "n_max": n} for n in sweep_ns(params)]


def sweep_merge(params: SweepParams, results: list[dict]) -> dict:
    """Combine per-n shard results (any order) and fit the conjectures on all of them."""
    points = []
    for r in results:
        for n_text, diameter in r["diameters"].items():
            points.append({"n": int(n_text), "diameter": diameter,
                           "layer_sizes": r["layer_sizes"][n_text],
                           "num_vertices": r["num_vertices"][n_text], "complete": True,
                           "applies": r["bound_applies"][n_text]})
    expected = set(sweep_ns(params))
    if {p["n"] for p in points} != expected or len(points) != len(expected):
        raise ValueError("shard results do not cover n_min..n_max exactly once")
    out = _sweep_result(params, points, None, time.perf_counter())
    out["elapsed_s"] = round(sum(r.get("elapsed_s") or 0 for r in results), 3)
    return out


def sweep_discoveries(params: SweepParams, result: SweepResult) -> list[Discovery]:
    label = result.label or params.family
    found = []
    if result.formula:
        found.append(diameter_discovery(label, result.formula, result.diameters,
                                        _judgement(result.diameter_conjecture)))
    for entry in result.sphere_formulas:
        if entry.formula:
            found.append(sequence_discovery(label, entry))
    antipode = result.antipode_conjecture
    if antipode and antipode.formula:
        found.append(sequence_discovery(label, antipode))
    return found


def _judgement(entry: Conjecture | None) -> dict:
    if not entry:
        return {}
    return {"status": entry.status, "theorem": entry.theorem}


#: seconds :func:`warm_up` takes on an empty numba cache (bench/time_limits.py --estimates)
COMPILE_S = 12.0


def warm_up() -> None:
    """Compile every numba kernel of the Cayley engine on tiny graphs (cached on disk after).

    Each BFS strategy on S_5 (the rank-bitset ones also threaded), the
    bucketed rank-bitset probe (S_12 to depth 2: its 60 MB bitset is past the
    bucketing threshold) on one and two threads, multi-word packed states (S_17 to depth 2), a matrix
    group and the extremal search on n = 4.
    """
    from mathdisco.engines.cayley.growth import ALGORITHMS

    for algorithm in ALGORITHMS:
        run_growth(GrowthParams(family="coxeter", n=5, algorithm=algorithm))
    for algorithm in ("rank_bitset", "rank_bitset_frontier"):
        run_growth(GrowthParams(family="coxeter", n=5, algorithm=algorithm,
                                threads=min(2, MAX_THREADS)))
    for threads in {1, min(2, MAX_THREADS)}:
        run_growth(GrowthParams(family="pancake", n=12, max_diameter=2, threads=threads))
    run_growth(GrowthParams(family="lrx", n=17, max_diameter=2))
    run_growth(GrowthParams(family="heisenberg", n=3, modulus=3))
    warm_up_extremal()


JOB_TYPES = [
    JobType("cayley_growth", GrowthParams, run_growth,
            "Exact growth function, diameter and size of a Cayley/Schreier/matrix-group graph "
            "or a puzzle.",
            result_model=GrowthResult, view=view_growth,
            estimate=estimate_growth, discoveries=growth_discoveries, queue="heavy",
            limits=GROWTH_LIMITS, warm_up=warm_up, compile_s=COMPILE_S),
    JobType("cayley_sweep", SweepParams, run_sweep,
            "Diameters of a generator family over a range of n (extending it when asked), with "
            "an exact quasi-polynomial formula fit.",
            result_model=SweepResult, view=view_sweep,
            estimate=estimate_sweep, discoveries=sweep_discoveries, shards=sweep_shards,
            merge=sweep_merge, queue="heavy", limits=GROWTH_LIMITS, warm_up=warm_up,
            compile_s=COMPILE_S),
    JobType("cayley_extremal", ExtremalParams, run_extremal,
            "Exhaustive search for generating sets of S_n of one shape (triples of involutions, "
            "an involution and an element) with the largest Cayley-graph diameter.",
            result_model=ExtremalResult, view=view_extremal,
            estimate=estimate_extremal, shards=extremal_shards, merge=extremal_merge,
            discoveries=extremal_discoveries,
            queue="heavy", limits=GROWTH_LIMITS, warm_up=warm_up, compile_s=COMPILE_S,
            key_params=("shape", "n_min", "n_max")),
    JobType("cayley_catalogue", CatalogueParams, run_catalogue,
            "An extending diameter sweep for every generator family: the catalogue of "
            "diameter conjectures.",
            result_model=CatalogueResult, view=view_catalogue,
            estimate=estimate_catalogue, discoveries=catalogue_discoveries, queue="heavy",
            limits=GROWTH_LIMITS, warm_up=warm_up, compile_s=COMPILE_S),
]
