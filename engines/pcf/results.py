"""The ``pcf_cluster`` result contract and what the dashboard shows of it.

:class:`PCFClusterResult` is the job's result model (docs/design.md, "The
engine contract"): the runner validates every result -- a shard's table
(``stage = "features"``) and the merged summary alike -- against it.
:func:`view` declares the page: one formula per catalogue class (the
representative, labelled "Formula k: ..."), evidence rows, a cluster chart
with robust axis limits (the 1st-99th percentile of each axis, widened by a
tenth; the points outside are counted in the chart note, never drawn off the
scale), the formulas per constant, the account of every convergent member (a
bar per bucket of ``explained``, its categories named on the axis) and the
hypotheses for unknown constants with their members and relations.

Example
-------
>>> from mathdisco.engines.pcf.results import robust_limits
>>> robust_limits([0.0, 0.15, -2e13] + [0.1 + 0.001 * i for i in range(200)])   # one far outlier
(0.0803, 0.317, 2)
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from mathdisco.engines.results import (
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


class Hypergeometric(_Strict):
    expression: str = Field(..., description="sympy syntax, hyper([...], [...], z)")
    theorem: str = Field(..., description="norlund, confluent_1f1, confluent_0f1 or one in docs/")
    parameters: dict[str, JsonValue] = Field(..., description="exact, sympy syntax")


class Proof(_Strict):
    status: Literal["proved", "numerical"]
    by: str


class PCFFormula(GcfFormula):
    """One identified member: the shared Formula JSON plus how it was identified."""

    constant: str = Field(..., description=(
        "registered constant, sqrt<d> for a quadratic irrational, or 'hypergeometric' for a "
        "limit named by its closed form only"))
    index: int = Field(..., description="enumeration index in the box")
    form: Literal["mobius", "quadratic", "hypergeometric"]
    relation: Relation
    evidence: dict[str, JsonValue]
    cluster: int | None = None
    hypergeometric: Hypergeometric | None = None
    proof: Proof | None = None


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
    hypergeometric: Hypergeometric | None = None
    proof: Proof | None = None


class Certificate(_Strict):
    kind: Literal["coboundary"]
    U: list[list[str]]
    f: str


class HypothesisMember(_Strict):
    index: int = Field(..., description="enumeration index in the box")
    a: list[int]
    b: list[int]
    relation: list[int] = Field(..., description=(
        "[p, q, r, s]: p x y + q x + r y + s = 0, x this member's limit, y the representative's"))
    trivial: bool = Field(..., description="same tail class as the representative")
    verified_digits: int
    certificate: Certificate | None = None


class ClosedFormMember(_Strict):
    a: list[int]
    b: list[int]
    expression: str
    theorem: str


class Hypothesis(_Strict):
    id: str = Field(..., description="fingerprint of the representative's coefficients")
    value: str = Field(..., description="the unknown constant, 50 digits or more")
    value_digits: int
    representative: dict[str, list[int]]
    size: int
    non_trivial: int
    unverified_members: int = Field(..., description=(
        "connected members whose composed relation failed the acceptance rule (not listed)"))
    hypergeometric: list[ClosedFormMember] = Field(..., description=(
        "members that also have a hypergeometric closed form (bounded)"))
    members: list[HypothesisMember]


class Explained(_Strict):
    convergent: int
    rational: int
    named_constant: int
    hypergeometric: int
    hypothesis: int
    isolated: int


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
    identified: list[PCFFormula] | None = Field(..., description=(
        "every formula, index order; None in a merged summary past its bound (identified_note): "
        "then paged over the shard results"))
    identified_count: int
    named_formulas: list[PCFFormula] | None = Field(None, description=(
        "when identified is left out: the formulas named by a constant (not only hypergeometric)"))
    identified_note: str | None = None
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
    catalogue_note: str | None = None
    cluster_chart: ClusterChart | None = None
    accelerator: dict[str, int] | None = None
    formulas_per_constant: dict[str, int] | None = None
    closed_forms: dict[str, int] | None = Field(None, description=(
        "members beyond the basis tried for a hypergeometric closed form, and the outcome"))
    hypotheses: list[Hypothesis] | None = None
    hypotheses_left_out: list[dict[str, JsonValue]] | None = None
    hypothesis_search: dict[str, JsonValue] | None = Field(None, description=(
        "what the hypothesis search looked at, and any members it skipped (with the reason)"))
    explained: Explained | None = Field(None, description=(
        "every convergent member in one bucket: rational > named_constant > hypergeometric > "
        "hypothesis > isolated"))
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
                 x=Axis(label="constant", categories=names),
                 y=Axis(label="PCFs", integer=True, log_toggle=True),
                 series=[Series(label="identified PCFs", x=list(range(len(names))),
                                y=[counts[n] for n in names], style="bars")],
                 note="constants, left to right: " + ", ".join(names))


#: hypotheses shown (largest first), and members listed per hypothesis
SHOWN_HYPOTHESES = 20
SHOWN_HYPOTHESIS_MEMBERS = 12


def _explained_chart(result: PCFClusterResult) -> Chart | None:
    account = result.explained
    if account is None:
        return None
    names = ["rational", "named_constant", "hypergeometric", "hypothesis", "isolated"]
    counts = [getattr(account, n) for n in names]
    return Chart(id="explained", title="Every convergent PCF, by what is known of its limit",
                 kind="bar", x=Axis(label="bucket", categories=[n.replace("_", " ") for n in names]),
                 y=Axis(label="PCFs", integer=True, log_toggle=True),
                 series=[Series(label="convergent PCFs", x=list(range(len(names))), y=counts,
                                style="bars")],
                 note=(f"{account.convergent:,} convergent PCFs, each in one bucket (the first "
                       "that applies, left to right): " + ", ".join(
                           f"{n.replace('_', ' ')} {c:,}" for n, c in zip(names, counts,
                                                                          strict=True))))


def _pcf_text(a: list[int], b: list[int]) -> str:
    from mathdisco.engines.numerics.formula import QuasiPolynomial

    qa, qb = QuasiPolynomial.polynomial(a), QuasiPolynomial.polynomial(b)
    return f"PCF[{qa.text('a')}; {qb.text('b')}]"


def _hypotheses_shown(result: PCFClusterResult) -> list[ShownFormula]:
    from mathdisco.engines.numerics.formula import QuasiPolynomial, gcf_latex

    out = []
    for k, h in enumerate((result.hypotheses or [])[:SHOWN_HYPOTHESES], start=1):
        rep = h.representative
        lines = [f"L = {h.value[:60]}... = {_pcf_text(rep['a'], rep['b'])}"]
        for m in h.members[:SHOWN_HYPOTHESIS_MEMBERS]:
            p, q, r, s = m.relation
            lines.append(f"{_pcf_text(m.a, m.b)} = x: {p}*x*L + {q}*x + {r}*L + {s} = 0 "
                         f"({'trivial' if m.trivial else 'non-trivial'}, "
                         f"{m.verified_digits} digits)")
        if len(h.members) > SHOWN_HYPOTHESIS_MEMBERS:
            lines.append(f"... and {len(h.members) - SHOWN_HYPOTHESIS_MEMBERS} more members")
        out.append(ShownFormula(
            label=f"Hypothesis {k} ({h.id}): {h.size} PCFs, {h.non_trivial} non-trivial",
            text="\n".join(lines),
            latex=f"L = {gcf_latex(QuasiPolynomial.polynomial(rep['a']), QuasiPolynomial.polynomial(rep['b']))}",
            verified_digits=min(m.verified_digits for m in h.members),
            facts={"members": h.size, "non-trivial": h.non_trivial, "value digits": h.value_digits,
                   "with a hypergeometric closed form": len(h.hypergeometric)}))
    return out


def view(result: PCFClusterResult) -> ResultView:
    """The page of a ``pcf_cluster`` result (module docstring).

    Hypotheses follow the formulas, those connecting different tail classes
    first, each with its members and their relations to the representative; a
    bar chart counts every convergent member by bucket (``explained``).
    """
    formulas = []
    for k, entry in enumerate((result.catalogue or [])[:SHOWN_FORMULAS], start=1):
        proof = entry.members[0].proof if entry.members else None
        formulas.append(ShownFormula(
            label=f"Formula {k}: {entry.equals}", text=entry.text, latex=entry.latex,
            verified_digits=entry.verified_digits,
            facts={"constant": entry.constant, "found at digits": entry.found_digits,
                   "equivalent PCFs in the box": entry.size,
                   "proof": None if proof is None else f"{proof.status}: {proof.by}"}))
    formulas += _hypotheses_shown(result)
    if not formulas:  # a shard: its formulas, not yet grouped
        for k, f in enumerate((result.identified or [])[:SHOWN_FORMULAS], start=1):
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
    if result.explained is not None:
        evidence += [EvidenceRow(label=f"convergent PCFs: {name.replace('_', ' ')}",
                                 value=getattr(result.explained, name))
                     for name in ("rational", "named_constant", "hypergeometric", "hypothesis",
                                  "isolated")]
        evidence.append(EvidenceRow(label="hypotheses (unknown constants)",
                                    value=len(result.hypotheses or [])))
        evidence.append(EvidenceRow(
            label="hypotheses connecting different tail classes (non-trivial)",
            value=sum(h.non_trivial > 0 for h in result.hypotheses or [])))
    charts = [c for c in (_explained_chart(result), _cluster_chart(result),
                          _constants_chart(result)) if c is not None]
    notes = [n for n in (result.feature_table_note, result.identified_note,
                         result.catalogue_note) if n]
    search = result.hypothesis_search or {}
    if search.get("skipped"):
        notes.append(f"Hypothesis search: {search['skipped']:,} members beyond the basis were "
                     f"not searched: {search.get('skip_reason')}.")
    for left in result.hypotheses_left_out or []:
        notes.append(f"A connected set of {left.get('members')} PCFs is not stated as a "
                     f"hypothesis: {left.get('reason')}.")
    for skip in result.skipped_planes or []:
        whom = "all clustered PCFs" if not skip.trace else f"the {skip.size:,} PCFs of trace {skip.trace}"
        notes.append(f"Plane ({skip.plane[0]}, {skip.plane[1]}) skipped for {whom}: "
                     f"{skip.reason}. Every member was still tried against the basis.")
    return ResultView(formulas=formulas, evidence=evidence, charts=charts, notes=notes)
