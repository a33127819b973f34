"""Result models of the Cayley job types, and what the dashboard shows of them.

The runner validates every result of ``cayley_growth``, ``cayley_sweep`` and
``cayley_catalogue`` against :class:`GrowthResult`, :class:`SweepResult` and
:class:`CatalogueResult` (docs/design.md, "The engine contract"); the view
functions declare the charts (growth with a log-scale switch; diameters with
the fitted formula evaluated here, exactly) and the evidence rows, so the
dashboard renders them without knowing what a growth function is.

Examples
--------
>>> r = GrowthResult.model_validate({"layer_sizes": [1, 3, 5, 6, 5, 3, 1], "diameter": 6,
...     "num_vertices": 24, "bfs_completed": True, "algorithm": "rank_bitset", "kind": "cayley"})
>>> view = view_growth(r)
>>> view.charts[0].id, view.charts[0].y.log_toggle, view.evidence[0].value
('growth', True, 24)
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from mathdisco.engines.cayley.quasipolynomial import formula_value
from mathdisco.engines.results import (
    Axis,
    Chart,
    EvidenceRow,
    QuasiPolynomialJSON,
    ResultModel,
    ResultView,
    Series,
    ShownFormula,
)

__all__ = [
    "CatalogueResult",
    "DiameterFormula",
    "GrowthResult",
    "SweepResult",
    "view_catalogue",
    "view_growth",
    "view_sweep",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MemoryFigures(_Part):
    budget_bytes: int
    estimated_bytes: int
    peak_tracked_bytes: int
    peak_rss_bytes: int


class GrowthResult(ResultModel):
    """``cayley_growth``: the growth function (sphere sizes) around the central state."""

    family: str | None = None
    n: int | None = None
    k: int | None = None
    puzzle: str | None = None
    metric: str | None = None
    kind: str = Field(..., description="cayley, schreier or matrix")
    positions: int | None = None
    num_generators: int | None = None
    generator_names: list[str] | None = None
    inverse_closed: bool | None = None
    group_order: int | None = None
    modulus: int | None = None
    layer_sizes: list[int]
    diameter: int = Field(..., description="the last layer's distance (the eccentricity of the "
                                           "central state; the diameter for Cayley graphs)")
    num_vertices: int
    bfs_completed: bool
    last_layer: list[JsonValue] | None = None
    layers: dict[str, list[JsonValue]] = Field(default_factory=dict)
    algorithm: str
    state_words: int | None = None
    elapsed_s: float = 0.0
    memory: MemoryFigures | None = None
    invariants_checked: dict[str, int] = Field(default_factory=dict)


class ResiduePolynomial(_Part):
    residue: int
    coefficients: list[str]
    expression: str
    srepr: str


class DiameterFormula(_Part):
    """A fitted diameter quasi-polynomial (:func:`mathdisco.engines.cayley.quasipolynomial.fit_quasi_polynomial`)."""

    period: int
    qp: QuasiPolynomialJSON
    degree: int
    valid_from: int
    polynomials: list[ResiduePolynomial]
    text: str
    latex: str
    fitted_on: list[int]
    checked_on: list[int]
    fit_degree: int


class FitRule(_Part):
    max_period: int
    max_degree: int
    min_checks: int
    max_leading_exceptions: int


class Conjecture(_Part):
    """One fitted quantity (:func:`mathdisco.engines.cayley.conjectures.sequence_conjecture`)."""

    quantity: str = Field(..., description="sphere, antipodes or diameter")
    k: int | None = None
    formula: DiameterFormula | None
    status: str = Field(..., description="known, open, insufficient data or no formula")
    theorem: str | None = None
    detail: str
    values: dict[str, int]
    fit: FitRule


class BoundCheck(_Part):
    """diam <= n^2/2 + 4n (the paper's refined Babai-type bound) on undirected Cayley graphs of
    S_n."""

    bound: str
    checked_n: list[int]
    not_applicable_n: list[int]
    max_ratio: float | None
    violations: list[int]


class DepthLimited(_Part):
    depth: int
    layer_sizes: list[int]
    complete: bool


class SweepResult(ResultModel):
    """``cayley_sweep``: diameters over a range of n, the diameter formula they support (or why
    not), and the sphere-size and antipode conjectures."""

    family: str
    k: int | None = None
    label: str | None = None
    diameters: dict[str, int]
    layer_sizes: dict[str, list[int]]
    num_vertices: dict[str, int]
    formula: DiameterFormula | None
    formula_status: str
    n_max_requested: int | None = None
    extended: bool = False
    stopped_because: str | None = None
    sphere_formulas: list[Conjecture] = Field(default_factory=list, description=(
        "per radius k: 'formula' (same shape as 'formula', or null) and 'status'"))
    antipode_formula: DiameterFormula | None = None
    antipode_conjecture: Conjecture | None = None
    diameter_conjecture: Conjecture | None = None
    bound_check: BoundCheck | None = None
    depth_limited: dict[str, DepthLimited] = Field(default_factory=dict, description=(
        "depth-limited searches past the complete ones (n -> layers to that depth)"))
    bound_applies: dict[str, bool] = Field(default_factory=dict)
    elapsed_s: float | None = None


class CatalogueEntry(_Part):
    family: str
    k: int | None = None
    label: str
    n_range: list[int]
    diameters: dict[str, int]
    formula: DiameterFormula | None
    formula_status: str
    stopped_because: str | None = None
    diameter_conjecture: Conjecture
    sphere_formulas: list[Conjecture]
    antipode_conjecture: Conjecture | None
    bound_check: BoundCheck


class MatrixEntry(_Part):
    family: str
    size: int
    label: str
    diameters: dict[str, int] = Field(..., description="by modulus p")
    conjecture: Conjecture
    stopped_because: str | None = None


class ConjectureCounts(_Part):
    diameter: int
    sphere: int
    antipodes: int
    matrix: int
    total: int
    known: int
    open: int


class CatalogueResult(ResultModel):
    """``cayley_catalogue``: one extending sweep per family (and variant), the diameter, sphere
    and antipode conjectures found, the matrix groups' diameters in p, the bound check."""

    entries: list[CatalogueEntry]
    matrix_entries: list[MatrixEntry] = Field(default_factory=list)
    counts: ConjectureCounts
    formulas_found: int
    families_swept: int
    families_skipped: dict[str, str] = Field(default_factory=dict)
    bound_check: BoundCheck
    elapsed_s: float


# -- views ------------------------------------------------------------------------------------


def _words(flag: bool | None, yes: str, no: str) -> str | None:
    return None if flag is None else (yes if flag else no)


def growth_chart(sizes: list[int], title: str, chart_id: str = "growth") -> Chart:
    """Sphere sizes by distance, log-scaled when they span more than three decades."""
    spread = max(sizes) / max(min(sizes), 1) if sizes else 1
    return Chart(id=chart_id, title=title, kind="bar",
                 x=Axis(label="distance r from the central state", integer=True, min=0),
                 y=Axis(label="states at distance r", scale="log" if spread > 1000 else "linear",
                        log_toggle=True),
                 series=[Series(label="sphere size |S(r)|", x=list(range(len(sizes))),
                                y=[float(s) for s in sizes], style="bars")])


def _graph_label(r: GrowthResult) -> str:
    if r.puzzle:
        return f"{r.puzzle} ({(r.metric or '').replace('_', '-')} metric)"
    if r.family:
        return f"{r.family}, n = {r.n}" + (f", k = {r.k}" if r.k is not None else "")
    return f"{r.kind} graph on {r.positions or '?'} positions"


def view_growth(result: GrowthResult) -> ResultView:
    """Evidence rows and the growth chart of a ``cayley_growth`` result."""
    r = result
    rows: list[tuple[str, Any]] = [
        ("vertices reached", r.num_vertices),
        ("diameter" if r.kind == "cayley" and r.bfs_completed else "last layer's distance",
         r.diameter),
        ("graph", _graph_label(r)),
        ("kind", {"cayley": "Cayley graph", "schreier": "Schreier coset graph",
                  "matrix": "Cayley graph of a matrix group"}.get(r.kind, r.kind)),
        ("generators", r.num_generators),
        ("undirected", _words(r.inverse_closed, "yes (inverse-closed)", "no (directed)")),
        ("search", "complete" if r.bfs_completed else "stopped at the depth limit"),
        ("group order", r.group_order),
        ("last layer", f"{r.layer_sizes[-1]:,} states"),
        ("algorithm", r.algorithm + (f", {r.state_words} words per state"
                                     if r.state_words and r.state_words > 1 else "")),
        ("time", f"{r.elapsed_s:.2f} s"),
    ]
    if r.memory is not None:
        rows.append(("peak memory", f"{r.memory.peak_rss_bytes / 2**20:,.0f} MB resident, "
                                    f"{r.memory.peak_tracked_bytes / 2**20:,.0f} MB in arrays"))
    for name, value in r.invariants_checked.items():
        rows.append(("checked: " + name.replace("_", " "), f"{value:,}"))
    notes = []
    if r.last_layer:
        shown = ", ".join(str(s) for s in r.last_layer[:5])
        notes.append(f"farthest states: {shown}" + (" ..." if len(r.last_layer) > 5 else ""))
    return ResultView(evidence=[EvidenceRow(label=a, value=b) for a, b in rows if b is not None],
                      charts=[growth_chart(r.layer_sizes, f"Growth of {_graph_label(r)}")],
                      notes=notes)


def _shown_formula(label: str, formula: DiameterFormula) -> ShownFormula:
    return ShownFormula(
        label=label, text=f"diam(n) = {formula.text} for n >= {formula.valid_from}",
        latex=rf"\operatorname{{diam}}(n) = {formula.latex} \quad (n \geq {formula.valid_from})",
        facts={"period": formula.period, "valid from": formula.valid_from,
               "fitted on n": ", ".join(map(str, formula.fitted_on)),
               "checked on n": ", ".join(map(str, formula.checked_on))})


def diameter_chart(diameters: dict[str, int], formula: DiameterFormula | None,
                   title: str) -> Chart:
    """Observed diameters by n, and the fitted formula evaluated exactly at every integer n."""
    ns = sorted(int(n) for n in diameters)
    series = [Series(label="diameter (BFS)", x=ns, y=[float(diameters[str(n)]) for n in ns],
                     style="points")]
    if formula is not None and ns:
        xs = [n for n in range(min(ns), max(ns) + 1) if n >= formula.valid_from]
        values = [formula_value(formula.model_dump(), n) for n in xs]
        series.append(Series(label=f"fitted: {formula.text}"[:80], x=xs,
                             y=[float(Fraction(v)) for v in values], style="line"))
    return Chart(id="diameters", title=title, kind="line",
                 x=Axis(label="n", integer=True), y=Axis(label="diameter", integer=True),
                 series=series)


def spheres_chart(result: SweepResult) -> Chart | None:
    """|S_k(n)| by n for each radius k: the searches' values (points) and the fits (lines)."""
    series = []
    for c in result.sphere_formulas:
        ns = sorted(int(n) for n in c.values)
        if not ns:
            continue
        series.append(Series(label=f"|S_{c.k}| ({c.status})", x=ns,
                             y=[float(c.values[str(n)]) or None for n in ns],  # log axis
                             style="points"))
        if c.formula is not None:
            xs = [n for n in range(ns[0], ns[-1] + 1) if n >= c.formula.valid_from]
            series.append(Series(label=f"|S_{c.k}| fitted", x=xs, style="line", muted=True,
                                 y=[float(Fraction(formula_value(c.formula.model_dump(), n)))
                                    for n in xs]))
    if not series:
        return None
    return Chart(id="spheres", title="Sphere sizes at fixed radius k", kind="line",
                 x=Axis(label="n", integer=True),
                 y=Axis(label="|S_k(n)|", scale="log", log_toggle=True), series=series)


def view_sweep(result: SweepResult) -> ResultView:
    """The formulas (diameter, spheres, antipodes), the sweep's evidence and the charts."""
    r = result
    label = r.label or r.family
    ns = sorted(int(n) for n in r.diameters)
    formulas = [_shown_formula(f"Diameter of {label}", r.formula)] if r.formula else []
    others = [*r.sphere_formulas, r.antipode_conjecture]
    formulas += [_shown_conjecture(label, c) for c in others if c is not None and c.formula]
    rows: list[tuple[str, Any]] = [
        ("formula", "accepted" if r.formula else "none supported by the data"),
        ("status", r.formula_status),
        ("diameter", r.diameter_conjecture.status + (f": {r.diameter_conjecture.theorem}"
                                                     if r.diameter_conjecture.theorem else "")
         if r.diameter_conjecture else None),
        ("n swept", f"{ns[0]}..{ns[-1]}" if ns else "none"),
        ("extended past n_max", _words(r.extended, "yes", "no")
         if r.n_max_requested is not None else None),
        ("stopped because", r.stopped_because),
    ]
    for c in others:
        if c is not None:
            rows.append((_conjecture_name(c), f"{c.status}: " + (c.theorem or c.detail)))
    if r.depth_limited:
        rows.append(("depth-limited searches", ", ".join(
            f"n = {n} to radius {d.depth}" for n, d in r.depth_limited.items())))
    if r.bound_check is not None:
        b = r.bound_check
        rows.append((f"bound {b.bound}", f"checked on n = {', '.join(map(str, b.checked_n))}"
                     f"{'' if b.checked_n else ' (none: not an undirected graph of S_n)'}; "
                     f"{len(b.violations)} violations; largest diam/bound {b.max_ratio}"))
    if r.elapsed_s is not None:
        rows.append(("time", f"{r.elapsed_s:.1f} s"))
    charts = [diameter_chart(r.diameters, r.formula, f"Diameters of {label}")]
    spheres = spheres_chart(r)
    if spheres is not None:
        charts.append(spheres)
    return ResultView(formulas=formulas,
                      evidence=[EvidenceRow(label=a, value=b) for a, b in rows if b is not None],
                      charts=charts)


def _conjecture_name(c: Conjecture) -> str:
    return {"sphere": f"|S_{c.k}|", "antipodes": "#antipodes"}.get(c.quantity, "diam")


def _latex_name(c: Conjecture) -> str:
    return {"sphere": f"|S_{{{c.k}}}|", "antipodes": r"\#\text{antipodes}"}.get(
        c.quantity, r"\operatorname{diam}")


def _shown_conjecture(label: str, c: Conjecture, variable: str = "n") -> ShownFormula:
    f = c.formula
    return ShownFormula(
        label=f"{label}: {_conjecture_name(c)}",
        text=f"{_conjecture_name(c)}({variable}) = {f.text} for {variable} >= {f.valid_from}",
        latex=_latex_name(c) + f"({variable}) = {f.latex}",
        facts={"status": c.status, "theorem": c.theorem, "period": f.period,
               f"fitted on {variable}": ", ".join(map(str, f.fitted_on)),
               f"checked on {variable}": ", ".join(map(str, f.checked_on)),
               "values": ", ".join(f"{n}: {v}" for n, v in list(c.values.items())[:16])})


def _family_row(e: CatalogueEntry) -> EvidenceRow:
    parts = []
    for c in [e.diameter_conjecture, *e.sphere_formulas, e.antipode_conjecture]:
        if c is None:
            continue
        parts.append(f"{_conjecture_name(c)}: " + (f"{c.formula.text} ({c.status})" if c.formula
                                                    else c.status))
    span = f"n = {e.n_range[0]}..{e.n_range[1]}"
    return EvidenceRow(label=e.label, value=f"{span}; " + "; ".join(parts))


def counts_chart(result: CatalogueResult) -> Chart:
    """Accepted conjectures by kind, split into known theorems and open ones."""
    kinds = ["diameter", "sphere", "antipodes", "matrix"]
    return Chart(id="conjecture-counts", title="Accepted conjectures by kind", kind="bar",
                 x=Axis(label="kind (0 diameter, 1 sphere, 2 antipodes, 3 matrix)", integer=True),
                 y=Axis(label="accepted conjectures", integer=True, min=0),
                 series=[Series(label="accepted", x=list(range(4)),
                                y=[float(getattr(result.counts, k)) for k in kinds],
                                style="bars")],
                 note=f"{result.counts.known} restate known theorems, {result.counts.open} open")


def view_catalogue(result: CatalogueResult) -> ResultView:
    """Every accepted conjecture grouped by family, a row per family with its table of verdicts."""
    formulas = []
    for e in result.entries:
        for c in [e.diameter_conjecture, *e.sphere_formulas, e.antipode_conjecture]:
            if c is not None and c.formula is not None:
                formulas.append(_shown_conjecture(e.label, c))
    for m in result.matrix_entries:
        if m.conjecture.formula is not None:
            formulas.append(_shown_conjecture(m.label, m.conjecture, "p"))
    c = result.counts
    rows = [EvidenceRow(label="conjectures accepted", value=(
                f"{c.total}: {c.diameter} diameter, {c.sphere} sphere, {c.antipodes} antipodes, "
                f"{c.matrix} matrix ({c.known} known theorems, {c.open} open)")),
            EvidenceRow(label="families swept", value=result.families_swept),
            EvidenceRow(label=f"bound {result.bound_check.bound}", value=(
                f"{len(result.bound_check.checked_n)} diameters checked, "
                f"{len(result.bound_check.violations)} violations, largest diam/bound "
                f"{result.bound_check.max_ratio}"))]
    rows += [_family_row(e) for e in result.entries]
    for m in result.matrix_entries:
        rows.append(EvidenceRow(label=m.label, value=(
            f"diam over p = {', '.join(f'{p}: {d}' for p, d in m.diameters.items())}; "
            + (f"{m.conjecture.formula.text} ({m.conjecture.status})" if m.conjecture.formula
               else m.conjecture.status))))
    for family, why in result.families_skipped.items():
        rows.append(EvidenceRow(label=family, value=f"skipped: {why}"))
    return ResultView(formulas=formulas, evidence=rows, charts=[counts_chart(result)])


# -- cayley_extremal ------------------------------------------------------------------------

class Maximiser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = Field(..., description="the candidate's index in the enumeration order")
    generators: list[list[int]] = Field(..., description="image form")
    cycles: list[str]


class ExtremalRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    n: int
    candidates: int
    generating: int = Field(..., description="candidates whose Cayley graph has n! vertices")
    max_diameter: int | None
    maximisers_found: int
    maximisers: list[Maximiser]
    growth: list[int] = Field(..., description="sphere sizes of the first maximiser")
    coxeter_diameter: int
    bound: float = Field(..., description="n^2/2 + 4n")
    within_bound: bool | None


class ExtremalResult(ResultModel):
    """``cayley_extremal``: per n, the largest diameter of the shape's generating sets of S_n."""

    shape: str
    per_n: list[ExtremalRow]
    max_diameter_by_n: dict[str, int | None]
    bound_violations: list[int]
    elapsed_s: float


def view_extremal(result: ExtremalResult) -> ResultView:
    """A row per n and the largest diameter against n(n - 1)/2 and n^2/2 + 4n."""
    rows = [EvidenceRow(label="shape", value=result.shape)]
    for r in result.per_n:
        best = (f"{r.max_diameter} ({r.maximisers_found} maximisers of {r.generating} generating "
                f"sets; first {' '.join(r.maximisers[0].cycles)})" if r.maximisers
                else f"none of {r.candidates} candidates generates S_n")
        rows.append(EvidenceRow(label=f"n = {r.n}", value=best))
    with_max = [r for r in result.per_n if r.max_diameter is not None]
    ns = [float(r.n) for r in with_max]
    chart = Chart(id="extremal", title=f"Largest diameter of Cay(S_n, {result.shape})",
                  kind="line", x=Axis(label="n", integer=True), y=Axis(label="diameter"),
                  series=[Series(label="largest diameter found", x=ns,
                                 y=[float(r.max_diameter) for r in with_max], style="points"),
                          Series(label="n(n - 1)/2", x=ns,
                                 y=[float(r.coxeter_diameter) for r in with_max], style="line"),
                          Series(label="n^2/2 + 4n", x=ns, y=[r.bound for r in with_max],
                                 style="line", muted=True)])
    return ResultView(evidence=rows, charts=[chart])
