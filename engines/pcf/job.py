"""The ``pcf_cluster`` job type: enumerate, measure, cluster and identify PCFs.

Implements the pipeline of Shalyt et al., "Unsupervised Discovery of Formulas
for Mathematical Constants" (NeurIPS 2024, arXiv 2412.16818), Fig. 1:

1. enumerate the PCFs of a coefficient box (:mod:`engines.pcf.enumeration`);
   ``b`` with a positive integer root makes the fraction terminate: those are
   reported as ``terminating`` with their exact rational value;
2. compute the convergence-dynamics features (:mod:`engines.pcf.dynamics`);
3. cluster the convergent ones plane by plane (:mod:`engines.pcf.clustering`);
4. identify each cluster's limit by PSLQ against registered constants, then
   confirm the constant on further members (:mod:`engines.pcf.identification`);
   a cluster whose fastest members disagree is re-clustered in the next plane;
5. look for lines of same-constant members in identified clusters and fit a
   parametric relation along them (:mod:`engines.pcf.families`).

Sharding: ``shards(params)`` cuts the index range into contiguous pieces run
with ``stage = "features"`` (feature table only); ``merge`` concatenates the
tables in index order and runs steps 3-4 once, on the same serialised table
that ``run`` itself clusters, so the merged result equals the unsharded one.

Result size: the per-PCF feature table is included (``feature_table``: columns
+ rows) when it has at most :data:`MAX_TABLE_ROWS` rows; otherwise only the
cluster tables are (run the job in shards to download the table piecewise).
"""

from __future__ import annotations

import math
import time
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from engines.contract import EngineParams, JobType, Progress, TimeLimits, no_progress
from engines.discoveries import Discovery, formula_statement
from engines.numerics.constants import CONSTANTS
from engines.numerics.formula import QuasiPolynomial
from engines.pcf.enumeration import CoefficientBox, first_positive_root, terminating_value

MAX_PCFS = 2_000_000
MAX_TABLE_ROWS = 100_000
SHARD_SIZE = 50_000
BATCH_SIZE = 128
#: wall-time target of one numba kernel call (a signal cannot interrupt one).
KERNEL_CALL_BUDGET_S = 0.3
FEATURE_NAMES = ("delta", "delta_naive", "gamma_prime", "eta_prime", "beta", "gamma", "eta",
                 "delta_pred", "digits_per_term", "log_eigen_ratio")
DEFAULT_BASIS = ["pi", "e", "ln2", "zeta3", "catalan", "sqrt2", "phi", "gauss", "lemniscate",
                 "pi2", "tan1", "e2"]
_COEFF_LIMIT = 2**62


class PCFClusterParams(EngineParams):
    a_degree: int = Field(2, ge=0, le=4, description="degree bound of a(n)")
    b_degree: int = Field(2, ge=0, le=6, description="degree bound of b(n)")
    # the paper's space is -5..5 (1,768,900 PCFs, ~20 min on 2 cores); the default
    # box (15,376 PCFs) finishes in well under a minute
    coefficient_min: int = Field(-2, ge=-100, le=100)
    coefficient_max: int = Field(2, ge=-100, le=100)
    depth: int = Field(2000, ge=100, le=10_000,
                       description="reference depth N; features sample at n* = N/2")
    index_start: int | None = Field(None, ge=0, description="first enumeration index (shards)")
    index_stop: int | None = Field(None, ge=0, description="enumeration index bound (exclusive)")
    stage: Literal["all", "features"] = Field(
        "all", description="'features': only the feature table (a shard of a sweep)")
    planes: list[tuple[str, str]] = Field(
        default=[("delta", "eta_prime"), ("delta", "gamma_prime")], min_length=1, max_length=4,
        description="feature planes clustered in turn (each cluster re-clustered in the next)")
    min_cluster_size: int = Field(5, ge=2, le=10_000)
    grid: float = Field(0.001, gt=0, le=1.0, description="downsampling cell size")
    radius: float = Field(0.01, gt=0, le=10.0, description="nearest-representative radius")
    max_clusters: int = Field(500, ge=1, le=5_000)
    constants: list[str] = Field(default=list(DEFAULT_BASIS), max_length=30,
                                 description="registered constants for identification")
    identify_clusters: int = Field(100, ge=0, le=1_000,
                                   description="largest clusters to run PSLQ on")
    representatives: int = Field(3, ge=1, le=20, description="members PSLQ'd per cluster")
    members_checked: int = Field(8, ge=0, le=100,
                                 description="further members confirmed per identified cluster")
    search_dps: int = Field(50, ge=20, le=500, description="digits PSLQ sees")
    check_dps: int = Field(100, ge=30, le=2_000, description="digits a relation must hold to")
    families: bool = Field(True, description="look for lines of same-constant members")

    @field_validator("constants")
    @classmethod
    def _known_constants(cls, names: list[str]) -> list[str]:
        unknown = [n for n in names if n not in CONSTANTS]
        if unknown:
            raise ValueError(f"unknown constants {unknown}; known: {sorted(CONSTANTS)}")
        return list(dict.fromkeys(names))

    @field_validator("planes")
    @classmethod
    def _known_features(cls, planes: list[tuple[str, str]]) -> list[tuple[str, str]]:
        for plane in planes:
            bad = [f for f in plane if f not in FEATURE_NAMES]
            if bad:
                raise ValueError(f"unknown features {bad} in planes; known: {list(FEATURE_NAMES)}")
        return planes

    @model_validator(mode="after")
    def _bounded(self) -> PCFClusterParams:
        if self.coefficient_min > self.coefficient_max:
            raise ValueError("coefficient_min must not exceed coefficient_max")
        if self.check_dps <= self.search_dps:
            raise ValueError("check_dps must exceed search_dps")
        box = self.box
        start, stop = self.index_range
        if not start <= stop <= box.count:
            raise ValueError(f"index range [{start}, {stop}) outside the box's 0..{box.count}")
        if stop - start > MAX_PCFS:
            raise ValueError(
                f"the box holds {stop - start:,} PCFs, more than the job bound {MAX_PCFS:,}; "
                "lower the degrees or the coefficient range, or give index_start/index_stop")
        # the exact kernel (run to n* = depth // 2) needs |a(n)|, |b(n)| < 2^62 there
        reach = max(abs(self.coefficient_min), abs(self.coefficient_max))
        n_star = self.depth // 2
        for degree in (self.a_degree, self.b_degree):
            if reach * sum(n_star**i for i in range(degree + 1)) >= _COEFF_LIMIT:
                raise ValueError("|coefficients| * (depth/2)^degree reaches 2^62; "
                                 "lower the depth, the degree or the coefficients")
        return self

    @property
    def box(self) -> CoefficientBox:
        return CoefficientBox(self.a_degree, self.b_degree, self.coefficient_min,
                              self.coefficient_max)

    @property
    def index_range(self) -> tuple[int, int]:
        count = self.box.count
        start = self.index_start or 0
        stop = count if self.index_stop is None else self.index_stop
        return start, stop


# -- step 1-2: the feature table ------------------------------------------------------

TABLE_COLUMNS = ["index", "a", "b", "status", "limit", "digits", "delta", "delta_naive",
                 "gamma_prime", "eta_prime", "beta", "gamma", "eta", "log_eigen_ratio",
                 "delta_pred", "digits_per_term", "exact_limit"]
_FLOAT_COLUMNS = TABLE_COLUMNS[4:-1]  # exact_limit: "p/q" for terminating PCFs


def _json_float(x: float, significant: int) -> float | None:
    if not math.isfinite(x):
        return None
    return float(f"{x:.{significant}g}")


def batch_size(params: PCFClusterParams) -> int:
    """PCFs per kernel call, so that one call stays near KERNEL_CALL_BUDGET_S.

    The exact recurrence costs ~ n*^2 * (bits per step) limb operations, and
    wide multipliers also narrow the limbs (or need chunks), hence the square;
    measured: about 1 ms per PCF at n* = 1000 with ~23-bit multipliers.
    """
    n_star = params.depth // 2
    reach = max(abs(params.coefficient_min), abs(params.coefficient_max), 1)
    degree = max(params.a_degree, params.b_degree)
    bits = math.log2(reach * (degree + 1)) + degree * math.log2(max(n_star, 2)) + 1
    per_pcf_s = 1e-3 * (n_star / 1000) ** 2 * (max(bits, 8.0) / 23) ** 2
    return max(1, min(BATCH_SIZE, int(KERNEL_CALL_BUDGET_S / per_pcf_s)))


def feature_rows(params: PCFClusterParams, progress: Progress) -> list[list[Any]]:
    """The feature table rows for the params' index range (see TABLE_COLUMNS)."""
    from engines.pcf.dynamics import STATUS_NAMES, pcf_features

    start, stop = params.index_range
    rows: list[list[Any]] = []
    last_report = 0.0
    batch = batch_size(params)
    for lo in range(start, stop, batch):
        hi = min(lo + batch, stop)
        now = time.monotonic()
        if now - last_report > 0.3:
            progress(lo - start, stop - start, f"features {lo - start:,}/{stop - start:,}")
            last_report = now
        a, b = params.box.coefficients(lo, hi)
        roots = first_positive_root(b)
        live = np.flatnonzero(roots == 0)
        table = pcf_features(a[live], b[live], params.depth) if len(live) else None
        position = {int(i): k for k, i in enumerate(live)}
        for i in range(hi - lo):
            a_list, b_list = a[i].tolist(), b[i].tolist()
            if roots[i]:
                value = terminating_value(a_list, b_list, int(roots[i]))
                limit = None if value is None else _json_float(float(value), 17)
                exact = None if value is None else f"{value.numerator}/{value.denominator}"
                rows.append([lo + i, a_list, b_list, "terminating", limit]
                            + [None] * (len(_FLOAT_COLUMNS) - 1) + [exact])
                continue
            k = position[i]
            row = [lo + i, a_list, b_list, STATUS_NAMES[int(table["status"][k])],
                   _json_float(float(table["limit"][k]), 17)]
            row += [_json_float(float(table[c][k]), 8) for c in _FLOAT_COLUMNS[1:]] + [None]
            rows.append(row)
    progress(stop - start, stop - start, "features done")
    return rows


# -- step 3-4: clusters and identification -------------------------------------------

def feature_table_csv(table: dict) -> str:
    """The result's ``feature_table`` as CSV text (a and b as space-separated coefficients).

    Example
    -------
    >>> feature_table_csv({"columns": ["index", "a", "b", "limit"],
    ...                    "rows": [[0, [1, 2], [0, 0, 1], 1.27]]}).splitlines()
    ['index,a,b,limit', '0,1 2,0 0 1,1.27']
    """
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table["columns"])
    for row in table["rows"]:
        writer.writerow([" ".join(map(str, x)) if isinstance(x, list) else ("" if x is None else x)
                         for x in row])
    return out.getvalue()


def _analyse(params: PCFClusterParams, rows: list[list[Any]], progress: Progress) -> dict:
    from engines.pcf.clustering import cluster_planes
    from engines.pcf.dynamics import FEATURE_DEFINITIONS

    column = {name: i for i, name in enumerate(TABLE_COLUMNS)}
    status_counts: dict[str, int] = {}
    for row in rows:
        status_counts[row[column["status"]]] = status_counts.get(row[column["status"]], 0) + 1
    used = sorted({f for plane in params.planes for f in plane})
    usable = [r for r in rows if r[column["status"]] == "ok"
              and all(r[column[f]] is not None for f in used)]
    features = {f: np.array([r[column[f]] for r in usable], dtype=float) for f in used}
    progress(0, 1, f"clustering {len(usable):,} PCFs")

    labelled: dict[tuple[int, ...], dict] = {}

    def label(trace: tuple[int, ...], members: np.ndarray) -> dict | None:
        if trace not in labelled:
            if len(labelled) >= params.identify_clusters:
                return None
            progress(len(labelled), params.identify_clusters, f"identifying cluster {trace}")
            labelled[trace] = _label_cluster(params, [usable[i] for i in members], column)
        return labelled[trace]

    def refine(trace: tuple[int, ...], members: np.ndarray) -> bool:
        # the paper re-clusters clusters whose anchors disagree ("mixed"); with no
        # anchors, a large cluster that PSLQ cannot label cleanly is refined too
        found = label(trace, members)
        if found is None:
            return False
        return found["label"] == "mixed" or (
            found["label"] in ("unidentified", "partial")
            and len(members) >= 4 * params.min_cluster_size)

    labels, traces = cluster_planes(features, params.planes, refine=refine, grid=params.grid,
                                    radius=params.radius,
                                    min_cluster_size=params.min_cluster_size,
                                    max_clusters=params.max_clusters)
    members: list[list[list[Any]]] = [[] for _ in traces]
    for row, k in zip(usable, labels.tolist(), strict=True):
        if k >= 0:
            members[k].append(row)
    # leaves that were split off a mixed cluster get their own label, largest first
    for k in sorted(range(len(traces)), key=lambda k: (-len(members[k]), k)):
        if traces[k] not in labelled and len(labelled) < params.identify_clusters:
            labelled[traces[k]] = _label_cluster(params, members[k], column)
    clusters = []
    identified: list[dict] = []
    families: list[dict] = []
    for k, trace in enumerate(traces):
        summary = _summary(k, trace, members[k], column)
        found = labelled.get(trace)
        if found is not None:
            summary.update({key: v for key, v in found.items() if key != "matches"})
            families += [{**f, "cluster": k} for f in found.get("families", [])]
            identified += _formulas(params, k, found, column)
        clusters.append(summary)
    progress(1, 1, "identification done")
    result = {
        "box": {"a_degree": params.a_degree, "b_degree": params.b_degree,
                "coefficient_min": params.coefficient_min,
                "coefficient_max": params.coefficient_max,
                "count": params.box.count, "index_range": list(params.index_range)},
        "depth": params.depth,
        "sample_depth": params.depth // 2,
        "feature_definitions": FEATURE_DEFINITIONS,
        "status_counts": status_counts,
        "clustered": len(usable),
        "noise": int((labels < 0).sum()),
        "planes": [list(p) for p in params.planes],
        "clusters": clusters,
        "identified": identified,
        "families": families,
        "unidentified_clusters": [c for c in clusters if c["label"] == "unidentified"],
        "feature_table_rows": len(rows),
    }
    if len(rows) <= MAX_TABLE_ROWS:
        cluster_of = {row[0]: k for row, k in zip(usable, labels.tolist(), strict=True)}
        result["feature_table"] = {
            "columns": TABLE_COLUMNS + ["cluster"],
            "rows": [row + [cluster_of.get(row[0], -1)] for row in rows]}
    else:
        result["feature_table"] = None
        result["feature_table_note"] = (
            f"{len(rows):,} rows exceed the {MAX_TABLE_ROWS:,}-row result limit; "
            "run stage='features' jobs over index ranges to download the table")
    return result


def _summary(cluster_id: int, trace: tuple[int, ...], rows: list[list[Any]],
             column: dict[str, int]) -> dict:
    stats = {}
    for f in FEATURE_NAMES:
        values = np.array([r[column[f]] for r in rows if r[column[f]] is not None], dtype=float)
        if len(values):
            stats[f] = {"mean": float(f"{values.mean():.6g}"), "std": float(f"{values.std():.3g}")}
    return {
        "id": cluster_id, "trace": list(trace), "size": len(rows), "features": stats,
        "members": [{"index": r[0], "a": r[1], "b": r[2]} for r in rows[:20]],
        "label": "unidentified", "constant": None, "expressions": [],
    }


def _label_cluster(params: PCFClusterParams, rows: list[list[Any]],
                   column: dict[str, int]) -> dict:
    """PSLQ the simplest members; confirm an agreed constant on others.

    Returns ``label`` ("identified" / "rational": every checked member agrees;
    "partial": the representatives agree but some checked members do not match;
    "mixed": the representatives disagree; "unidentified"),
    ``constant``, ``expressions``, ``members_identified`` and ``matches``.
    """
    from engines.pcf.identification import identify_value, pcf_value

    dps = params.check_dps + 10
    # simplest first: known formulas have small coefficients; then the fastest
    simplest = sorted(rows, key=lambda r: (sum(map(abs, r[1] + r[2])),
                                           -(r[column["digits"]] or 0.0), r[0]))
    matches = []
    for row in simplest[: params.representatives]:
        value = pcf_value(row[1], row[2], params.depth, dps)
        match = identify_value(value.value, value.digits, params.constants,
                               search_dps=params.search_dps)
        if match is not None:
            matches.append((row, match))
    names = {m.constant for _, m in matches}
    if not matches:
        return {"label": "unidentified", "constant": None, "expressions": [], "matches": []}
    if len(names) > 1:
        return {"label": "mixed", "constant": None,
                "constants": sorted(n or "rational" for n in names),
                "expressions": sorted({m.expression for _, m in matches}), "matches": []}
    constant = names.pop()
    tried = {row[0] for row, _ in matches}
    others = [r for r in rows if r[0] not in tried]
    stride = max(1, len(others) // max(1, params.members_checked))
    basis = [] if constant is None else [constant]
    for row in others[::stride][: params.members_checked]:
        value = pcf_value(row[1], row[2], params.depth, dps)
        match = identify_value(value.value, value.digits, basis, search_dps=params.search_dps)
        if match is not None and match.constant == constant:
            matches.append((row, match))
    checked = min(len(others), params.members_checked) + len(tried)
    agreed = "rational" if constant is None else "identified"
    found = {"label": agreed if len(matches) == checked else "partial", "constant": constant,
             "members_checked": checked,
             "expressions": sorted({m.expression for _, m in matches}),
             "members_identified": len(matches), "matches": matches}
    if params.families and constant is not None and len(matches) >= 2:
        found["families"] = _families(params, rows, matches, constant, dps)
    return found


def _families(params: PCFClusterParams, rows: list[list[Any]], matches: list, constant: str,
              dps: int) -> list[dict]:
    """Lines of same-constant members in a cluster, with a parametric formula if one holds."""
    import sympy

    from engines.numerics.constants import CONSTANTS
    from engines.numerics.expressions import to_text
    from engines.pcf.families import find_families
    from engines.pcf.identification import identify_value, pcf_value

    width_a, width_b = params.a_degree + 1, params.b_degree + 1
    vectors = np.array([r[1] + r[2] for r in rows], dtype=np.int64)
    position = {r[0]: i for i, r in enumerate(rows)}
    identified = {position[row[0]]: match.coefficients for row, match in matches}

    def identify(i: int) -> list[int] | None:
        value = pcf_value(rows[i][1], rows[i][2], params.depth, dps)
        match = identify_value(value.value, value.digits, [constant],
                               search_dps=params.search_dps)
        return match.coefficients if match is not None and match.constant == constant else None

    k = sympy.Symbol("k")
    symbol = CONSTANTS[constant].sympy_form
    out = []
    for family in find_families(vectors, identified, identify):
        base, step = family["base"], family["direction"]
        entry = {
            "constant": constant,
            "a": {"base": base[:width_a], "step": step[:width_a]},
            "b": {"base": base[width_a:width_a + width_b], "step": step[width_a:]},
            "k_values": [p[0] for p in family["points"]],
            "members": [rows[p[1]][0] for p in family["points"]],
            "relations": [p[2] for p in family["points"]],
            "relation_polynomials": family["relation_polynomials"],
            "equals": None,
        }
        fitted = family["relation_polynomials"]
        if fitted is not None:
            c0, c1, c2, c3 = (sum(c * k**j for j, c in enumerate(poly)) for poly in fitted)
            entry["equals"] = to_text(sympy.factor(-(c2 + c3 * symbol) / (c0 + c1 * symbol)))
            entry["verified_members"] = len(family["points"])
        out.append(entry)
    return out


def _formulas(params: PCFClusterParams, cluster_id: int, found: dict,
              column: dict[str, int]) -> list[dict]:
    """Formula JSON for a cluster's identified members, re-verified twice as deep."""
    import mpmath

    from engines.numerics.constants import constant_value
    from engines.numerics.formula import QuasiPolynomial, formula_json
    from engines.numerics.relations import relation_digits
    from engines.pcf.identification import pcf_value

    constant = found["constant"]
    if constant is None:
        return []
    dps = params.check_dps + 10
    out = []
    for row, match in found["matches"]:
        deeper = pcf_value(row[1], row[2], 2 * params.depth, dps)
        with mpmath.workdps(dps):
            k = constant_value(constant, dps)
            values = [deeper.value, deeper.value * k, mpmath.mpf(1), k]
            verified = min(deeper.digits,
                           relation_digits(match.coefficients, values, deeper.digits))
        out.append(formula_json(
            QuasiPolynomial.polynomial(row[1]), QuasiPolynomial.polynomial(row[2]),
            match.expression, verified,
            constant=constant, cluster=cluster_id, index=row[0],
            relation={"coefficients": match.coefficients,
                      "basis": ["L", f"L*{constant}", "1", constant]},
            evidence={"search_dps": params.search_dps, "check_dps": params.check_dps,
                      "depth": params.depth, "verification_depth": 2 * params.depth,
                      "delta": row[column["delta"]]}))
    return out


# -- the job type ---------------------------------------------------------------------

def run(params: PCFClusterParams, progress: Progress = no_progress) -> dict:
    """Run the pipeline over the params' index range; see the module docstring."""
    rows = feature_rows(params, progress)
    if params.stage == "features":
        return {"stage": "features", "index_range": list(params.index_range),
                "feature_table": {"columns": TABLE_COLUMNS, "rows": rows}}
    return _analyse(params, rows, progress)


def shards(params: PCFClusterParams) -> list[dict]:
    """Contiguous index ranges of at most SHARD_SIZE PCFs, each a features-only job."""
    from engines.pcf.enumeration import index_ranges

    start, stop = params.index_range
    base = params.model_dump(mode="json")
    out = []
    for lo, hi in index_ranges(stop - start, SHARD_SIZE):
        out.append({**base, "index_start": start + lo, "index_stop": start + hi,
                    "stage": "features"})
    return out


def merge(params: PCFClusterParams, results: list[dict]) -> dict:
    """Concatenate the shards' feature tables in index order, then cluster and identify once."""
    ordered = sorted(results, key=lambda r: r["index_range"][0])
    rows = [row for r in ordered for row in r["feature_table"]["rows"]]
    if params.stage == "features":
        return {"stage": "features", "index_range": list(params.index_range),
                "feature_table": {"columns": TABLE_COLUMNS, "rows": rows}}
    return _analyse(params, rows, no_progress)


def discoveries(params: PCFClusterParams, result: dict) -> list[Discovery]:
    out = []
    for formula in result.get("identified", []):
        out.append(Discovery(
            target=formula["constant"], text=formula["text"], latex=formula["latex"],
            statement=formula_statement(formula["equals"], QuasiPolynomial.from_json(formula["a"]),
                                        QuasiPolynomial.from_json(formula["b"])),
            evidence={"verified_digits": formula["verified_digits"], **formula["evidence"]},
        ))
    return out


JOB_TYPES = [
    JobType("pcf_cluster", PCFClusterParams, run,
            "Enumerate polynomial continued fractions in a coefficient box, measure their "
            "convergence dynamics (irrationality measure δ, growth rates), cluster them and "
            "identify the clusters' constants (Shalyt et al., NeurIPS 2024).",
            discoveries=discoveries, shards=shards, merge=merge,
            limits=TimeLimits(4 * 3600, 4 * 3600 + 300)),
]
