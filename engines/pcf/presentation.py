"""The ``pcf_cluster`` result contract and what the dashboard shows of it.

:class:`PCFClusterResult` is the job's result model (docs/design.md, "The
engine contract"): the runner validates every result -- a shard's table
(``stage = "features"``) and the merged summary alike -- against it.
:func:`view` declares the page: one formula per catalogue class (the
representative, labelled "Formula k: ..."), evidence rows, a cluster chart
with robust axis limits (the 1st-99th percentile of each axis, widened by a
tenth; the points outside are counted in the chart note, never drawn off the
scale) and the formulas per constant.

Example
-------
>>> from engines.pcf.presentation import robust_limits
>>> robust_limits([0.0, 0.15, -2e13] + [0.1 + 0.001 * i for i in range(200)])   # one far outlier
(0.0803, 0.317, 2)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from engines.results import (
    Axis,
    Chart,
    EvidenceRow,
    GcfFormula,
    ResultModel,
    ResultView,
    Series,
    ShownFormula,
)

__all__ = ["PCFClusterResult", "PCFFormula", "robust_limits", "view"]

#: formulas shown on the page (the catalogue's largest classes first)
SHOWN_FORMULAS = 60
#: clusters drawn as their own series (the rest share one grey series)
SHOWN_CLUSTERS = 12
#: families shown after the formulas
SHOWN_FAMILIES = 20


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Relation(_Strict):
    coefficients: list[int]
    basis: list[str]


class PCFFormula(GcfFormula):
    """One identified member: the shared Formula JSON plus how it was identified."""

    constant: str = Field(..., description="registered constant, or sqrt<d> for a quadratic irrational")
    index: int = Field(..., description="enumeration index in the box")
    form: Literal["mobius", "quadratic"]
    relation: Relation
    evidence: dict[str, JsonValue]
    cluster: int | None = None


class FeatureTable(_Strict):
    columns: list[str]
    rows: list[list[JsonValue]]


class ClusterSummary(_Strict):
    id: int
    trace: list[int]
    size: int
    features: dict[str, dict[str, float]]
    members: list[dict[str, JsonValue]]
    label: Literal["identified", "mixed", "unidentified"]
    constant: str | None
    constants: dict[str, int]
    expressions: list[str]
    members_identified: int


class Family(_Strict):
    constant: str
    kind: Literal["polynomial", "mobius recurrence"]
    a: dict[str, list[int]] = Field(..., description="base and step: a_k = base + k step")
    b: dict[str, list[int]]
    k_values: list[int]
    members: list[int | None] = Field(..., description="enumeration index; None outside the box")
    outside: list[int] = Field(..., description="k of members lengthened past the box")
    relations: list[list[int]]
    relation_polynomials: list[list[int]] | None
    recurrence: list[list[list[int]]] | None = Field(
        ..., description="T(k) with L_(k+1) = T(k)(L_k): entries' coefficients, lowest first")
    fitted_on: list[int]
    checked_on: list[int]
    equals: str
    text: str
    latex: str


class CatalogueMember(_Strict):
    index: int
    a: list[int]
    b: list[int]
    equals: str
    verified_digits: int


class CatalogueEntry(_Strict):
    constant: str
    canonical: dict[str, list[int]]
    representative: int = Field(..., description="enumeration index of the formula that states it")
    equals: str
    text: str
    latex: str
    verified_digits: int
    found_digits: int
    size: int
    members: list[CatalogueMember] = Field(..., description="the class, simplest first (bounded)")


class SkippedPlane(_Strict):
    plane: list[str]
    trace: list[int] = Field(..., description="the population's path; [] for all rows")
    size: int
    reason: str


class ClusterChart(_Strict):
    x: str
    y: str
    points: list[list[float]] = Field(..., description="[x, y, cluster] samples (cluster -1: noise)")
    total: int


class PCFClusterResult(ResultModel):
    """A ``pcf_cluster`` result: a shard's table, or the summary of a box."""

    stage: Literal["all", "features"] = "all"
    index_range: list[int]
    box: dict[str, JsonValue] | None = None
    depth: int | None = None
    sample_depth: int | None = None
    feature_table: FeatureTable | None = None
    feature_table_rows: int
    feature_table_note: str | None = None
    identified: list[PCFFormula]
    identified_count: int
    identification: dict[str, JsonValue]
    feature_definitions: dict[str, str] | None = None
    status_counts: dict[str, int] | None = None
    convergent: int | None = None
    delta_positive: int | None = None
    clustered: int | None = None
    noise: int | None = None
    planes: list[list[str]] | None = None
    skipped_planes: list[SkippedPlane] | None = Field(None, description=(
        "populations whose plane had more than max_representatives grid cells or yielded "
        "more than max_clusters clusters: clustered whole in the next plane instead (noise "
        "when none is left)"))
    clusters: list[ClusterSummary] | None = None
    unidentified_clusters: list[int] | None = None
    families: list[Family] | None = None
    catalogue: list[CatalogueEntry] | None = None
    catalogue_classes: int | None = None
    cluster_chart: ClusterChart | None = None
    accelerator: dict[str, int] | None = None
    formulas_per_constant: dict[str, int] | None = None
    timing: dict[str, float] | None = None


def robust_limits(values: Any, low: float = 1.0, high: float = 99.0) -> tuple[float, float, int]:
    """``(min, max, outside)``: the low-high percentile range widened by 10 %, and the count outside."""
    x = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if not len(x):
        return 0.0, 1.0, 0
    lo, hi = np.percentile(x, [low, high])
    pad = 0.1 * (hi - lo) if hi > lo else max(abs(lo) * 0.1, 0.5)
    lo, hi = float(lo - pad), float(hi + pad)
    lo, hi = float(f"{lo:.3g}"), float(f"{hi:.3g}")
    return lo, hi, int(((x < lo) | (x > hi)).sum())


def _cluster_chart(result: PCFClusterResult) -> Chart | None:
    chart = result.cluster_chart
    if chart is None or not chart.points:
        return None
    points = np.array(chart.points, dtype=float)
    x_min, x_max, _ = robust_limits(points[:, 0])
    y_min, y_max, _ = robust_limits(points[:, 1])
    inside = ((points[:, 0] >= x_min) & (points[:, 0] <= x_max)
              & (points[:, 1] >= y_min) & (points[:, 1] <= y_max))
    labels = {c.id: c for c in result.clusters or []}
    sizes = {}
    for k in points[:, 2].astype(int).tolist():
        sizes[k] = sizes.get(k, 0) + 1
    shown = [k for k in sorted(sizes, key=lambda k: -sizes[k]) if k >= 0][:SHOWN_CLUSTERS]
    series = []
    for k in shown:
        mask = inside & (points[:, 2] == k)
        name = labels[k].constant or labels[k].label if k in labels else "cluster"
        series.append(Series(label=f"cluster {k} ({name})", x=points[mask, 0].tolist(),
                             y=points[mask, 1].tolist(), style="points"))
    rest = inside & ~np.isin(points[:, 2], shown)
    if rest.any():
        series.append(Series(label="other clusters and noise", x=points[rest, 0].tolist(),
                             y=points[rest, 1].tolist(), style="points", muted=True))
    outside = int((~inside).sum())
    note = (f"{len(points):,} of {chart.total:,} clustered PCFs drawn (a uniform sample); "
            f"axes span the 1st-99th percentiles; {outside:,} drawn points lie outside "
            f"the axes and are not shown.")
    return Chart(id="clusters", title=f"Clusters in the ({chart.x}, {chart.y}) plane",
                 kind="scatter", x=Axis(label=chart.x, min=x_min, max=x_max),
                 y=Axis(label=chart.y, min=y_min, max=y_max), series=series, note=note)


def _constants_chart(result: PCFClusterResult) -> Chart | None:
    counts = result.formulas_per_constant or {}
    if not counts:
        return None
    names = list(counts)[:20]
    return Chart(id="constants", title="Identified PCFs per constant", kind="bar",
                 x=Axis(label="constant"), y=Axis(label="PCFs", integer=True, log_toggle=True),
                 series=[Series(label="identified PCFs", x=list(range(len(names))),
                                y=[counts[n] for n in names], style="bars")],
                 note="constants, left to right: " + ", ".join(names))


def view(result: PCFClusterResult) -> ResultView:
    """The page of a ``pcf_cluster`` result (module docstring)."""
    formulas = []
    for k, entry in enumerate((result.catalogue or [])[:SHOWN_FORMULAS], start=1):
        formulas.append(ShownFormula(
            label=f"Formula {k}: {entry.equals}", text=entry.text, latex=entry.latex,
            verified_digits=entry.verified_digits,
            facts={"constant": entry.constant, "found at digits": entry.found_digits,
                   "equivalent PCFs in the box": entry.size}))
    if not formulas:  # a shard: its formulas, not yet grouped
        for k, f in enumerate(result.identified[:SHOWN_FORMULAS], start=1):
            formulas.append(ShownFormula(label=f"Formula {k}: {f.equals}", text=f.text,
                                         latex=f.latex, verified_digits=f.verified_digits,
                                         facts={"constant": f.constant}))
    for k, family in enumerate((result.families or [])[:SHOWN_FAMILIES], start=1):
        formulas.append(ShownFormula(
            label=f"Family {k} ({family.constant}, {family.kind})", text=family.text,
            latex=family.latex,
            facts={"members": len(family.k_values), "fitted on": len(family.fitted_on),
                   "checked on": len(family.checked_on), "outside the box": len(family.outside)}))
    counts = result.identification.get("counts", {}) if isinstance(
        result.identification.get("counts"), dict) else {}
    evidence = [EvidenceRow(label="PCFs in the range", value=result.feature_table_rows),
                EvidenceRow(label="members tried against the basis", value=counts.get("tried", 0)),
                EvidenceRow(label="identified PCFs", value=result.identified_count),
                EvidenceRow(label="members with a rational limit found", value=counts.get("rational", 0)),
                EvidenceRow(label="slow members evaluated by the depth ladder",
                            value=counts.get("slow", 0))]
    if result.convergent is not None:
        evidence += [EvidenceRow(label="convergent PCFs", value=result.convergent),
                     EvidenceRow(label="PCFs with delta > 0", value=result.delta_positive),
                     EvidenceRow(label="clusters", value=len(result.clusters or [])),
                     EvidenceRow(label="noise points (clustering)", value=result.noise),
                     EvidenceRow(label="catalogue classes", value=result.catalogue_classes),
                     EvidenceRow(label="families", value=len(result.families or []))]
    charts = [c for c in (_cluster_chart(result), _constants_chart(result)) if c is not None]
    notes = []
    if result.feature_table_note:
        notes.append(result.feature_table_note)
    for skip in result.skipped_planes or []:
        whom = "all clustered PCFs" if not skip.trace else f"the {skip.size:,} PCFs of trace {skip.trace}"
        notes.append(f"Plane ({skip.plane[0]}, {skip.plane[1]}) skipped for {whom}: "
                     f"{skip.reason}. Every member was still tried against the basis.")
    return ResultView(formulas=formulas, evidence=evidence, charts=charts, notes=notes)
