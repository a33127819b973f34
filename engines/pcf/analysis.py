"""The analysis of a measured and identified box: clusters, their labels, the accelerator.

Shalyt et al., "Unsupervised Discovery of Formulas for Mathematical
Constants" (NeurIPS 2024, Sec. 3.3, Fig. 1 (d)-(e)) cluster the convergence
dynamics plane by plane and label each cluster by its members' constants.
Here every member was already tried against the basis (:mod:`mathdisco.engines.pcf.table`),
so a cluster's label is read off its members:

* ``identified`` -- its identified members agree on one constant;
* ``mixed`` -- they name several (such a cluster is re-clustered in the next
  plane, as in the paper);
* ``unidentified`` -- none of its members was identified.

Clusters then *accelerate*: in the ``identify_clusters`` largest labelled
clusters, up to ``members_checked`` still unidentified members each are tried
by PSLQ against the cluster's constants (a relation of larger determinant than
the tail index holds).  The accelerator adds formulas; it never removes any.

Example
-------
>>> summary = cluster_label([{"constant": "pi", "closed_form": "4/pi"},
...                          {"constant": None, "closed_form": None}])
>>> summary["label"], summary["constant"], summary["members_identified"]
('identified', 'pi', 1)
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from mathdisco.engines.contract import Progress, no_progress
from mathdisco.engines.pcf.dynamics import FEATURE_DEFINITIONS
from mathdisco.engines.pcf.table import FLOAT_COLUMNS, TABLE_COLUMNS

__all__ = ["NOT_CONSTANTS", "analyse", "cluster_label"]

COLUMN = {name: i for i, name in enumerate(TABLE_COLUMNS)}
#: identification labels that are not constants of the basis (a closed form names no constant)
NOT_CONSTANTS = {None, "rational", "hypergeometric"}
#: points of the cluster chart kept in the result
CHART_POINTS = 3000
#: distinct closed forms listed per cluster
EXPRESSIONS_LISTED = 10


def cluster_label(members: list[dict[str, Any]]) -> dict[str, Any]:
    """``label``, ``constant``, ``constants`` (counts) and ``expressions`` of a cluster's members."""
    constants = Counter(m["constant"] for m in members if m["constant"] not in NOT_CONSTANTS)
    expressions = sorted({m["closed_form"] for m in members
                          if m["constant"] not in NOT_CONSTANTS})[:EXPRESSIONS_LISTED]
    if not constants:
        label, constant = "unidentified", None
    elif len(constants) == 1:
        label, constant = "identified", next(iter(constants))
    else:
        label, constant = "mixed", None
    return {"label": label, "constant": constant, "constants": dict(constants.most_common()),
            "expressions": expressions, "members_identified": sum(constants.values())}


def _as_member(row: list[Any]) -> dict[str, Any]:
    return {"constant": row[COLUMN["constant"]], "closed_form": row[COLUMN["closed_form"]]}


def _summary(cluster_id: int, trace: tuple[int, ...], rows: list[list[Any]],
             listed: int) -> dict[str, Any]:
    stats = {}
    for name in FLOAT_COLUMNS[2:]:
        values = np.array([r[COLUMN[name]] for r in rows if r[COLUMN[name]] is not None], dtype=float)
        if len(values):
            stats[name] = {"mean": float(f"{values.mean():.6g}"), "std": float(f"{values.std():.3g}")}
    simplest = sorted(rows, key=lambda r: (r[COLUMN["constant"]] in NOT_CONSTANTS,
                                           sum(map(abs, r[1] + r[2])), r[0]))
    return {"id": cluster_id, "trace": list(trace), "size": len(rows), "features": stats,
            "members": [{"index": r[0], "a": r[1], "b": r[2], "constant": r[COLUMN["constant"]],
                         "closed_form": r[COLUMN["closed_form"]]} for r in simplest[:listed]],
            **cluster_label([_as_member(r) for r in rows])}


def _accelerate(params: Any, clusters: list[dict], members: list[list[list[Any]]],
                progress: Progress) -> tuple[list[dict], int]:
    """PSLQ for unidentified members of labelled clusters (module docstring)."""
    from mathdisco.engines.numerics.constants import CONSTANTS
    from mathdisco.engines.numerics.expressions import to_text
    from mathdisco.engines.pcf.evaluation import convergents
    from mathdisco.engines.pcf.members import QUADRATIC_CONSTANTS, identify_member
    from mathdisco.engines.pcf.table import constant_of, formula_of, member_values, tail_index

    if params.identify_clusters == 0 or params.members_checked == 0:
        return [], 0
    index = tail_index(params)
    order = sorted((c for c in clusters if c["label"] != "unidentified"),
                   key=lambda c: (-c["size"], c["id"]))[: params.identify_clusters]
    formulas, tried = [], 0
    for done, cluster in enumerate(order):
        progress(done, len(order), f"cluster accelerator: PSLQ in cluster {cluster['id']}")
        names = [n for n in cluster["constants"] if n in CONSTANTS and n not in QUADRATIC_CONSTANTS]
        if not names:
            continue
        # members a closed form names are still open to the basis (a constant comes first)
        open_rows = sorted((r for r in members[cluster["id"]]
                            if r[COLUMN["constant"]] in (None, "hypergeometric")),
                           key=lambda r: (sum(map(abs, r[1] + r[2])), r[0]))
        for row in open_rows[: params.members_checked]:
            tried += 1
            star = (row[COLUMN["digits_per_term"]] or 0.0) * (params.depth // 2)
            exact = None
            if star - 1 >= params.search_dps:
                p, q, _, _ = convergents(row[1], row[2], params.depth // 2)
                exact = (p, q) if q else None
            search, check, _ = member_values(params, row[1], row[2], exact, star)
            checked: list = []

            def check_once(check=check, checked=checked):
                checked.append(check())
                return checked[-1]

            found = identify_member(row[1], row[2], search, check_once, index, names)
            if found is not None and found.form != "rational":
                row[-4:] = [constant_of(found), to_text(found.expression), found.found_digits,
                            found.verified_digits]
                formula = formula_of(params, row, found, (search, checked[-1]))
                formula["evidence"]["accelerator"] = f"PSLQ in cluster {cluster['id']}"
                formulas.append(formula)
    if order:
        progress(len(order), len(order), f"cluster accelerator finished: {tried} members tried")
    return formulas, tried


def _chart(features: dict[str, np.ndarray], labels: np.ndarray, plane: tuple[str, str]) -> dict:
    x_name, y_name = plane
    count = len(labels)
    keep = np.arange(count)
    if count > CHART_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(count, CHART_POINTS, replace=False))
    points = [[float(f"{features[x_name][i]:.6g}"), float(f"{features[y_name][i]:.6g}"),
               int(labels[i])] for i in keep.tolist()]
    return {"x": x_name, "y": y_name, "points": points, "total": count}


def analyse(params: Any, rows: list[list[Any]], stats: dict[str, Any],
            progress: Progress = no_progress) -> dict[str, Any]:
    """Cluster, label and summarise a box's table (module docstring); the job's summary fields."""
    from mathdisco.engines.pcf.clustering import cluster_planes

    status_counts = Counter(r[COLUMN["status"]] for r in rows)
    used = sorted({f for plane in params.planes for f in plane})
    usable = [r for r in rows if r[COLUMN["status"]] == "ok"
              and all(r[COLUMN[f]] is not None for f in used)]
    features = {f: np.array([r[COLUMN[f]] for r in usable], dtype=float) for f in used}
    progress(0, 1, f"clustering {len(usable):,} PCFs")

    def refine(trace: tuple[int, ...], members: np.ndarray) -> bool:
        # the paper re-clusters clusters whose members name several constants
        return cluster_label([_as_member(usable[i]) for i in members])["label"] == "mixed"

    skipped: list[dict[str, Any]] = []
    labels, traces = cluster_planes(features, params.planes, refine=refine, grid=params.grid,
                                    radius=params.radius, min_cluster_size=params.min_cluster_size,
                                    max_clusters=params.max_clusters,
                                    max_representatives=params.max_representatives,
                                    skipped=skipped)
    for skip in skipped:
        progress(0, 1, f"plane {tuple(skip['plane'])} skipped for {skip['size']:,} PCFs: "
                       f"{skip['reason']}")
    members: list[list[list[Any]]] = [[] for _ in traces]
    for row, k in zip(usable, labels.tolist(), strict=True):
        if k >= 0:
            members[k].append(row)
    clusters = [_summary(k, trace, members[k], params.representatives)
                for k, trace in enumerate(traces)]
    progress(1, 1, f"clustered {len(usable):,} PCFs into {len(clusters)} clusters")
    accelerated, tried = _accelerate(params, clusters, members, progress)
    if accelerated:  # relabel with the new members
        clusters = [_summary(k, trace, members[k], params.representatives)
                    for k, trace in enumerate(traces)]
    cluster_of = {row[0]: k for row, k in zip(usable, labels.tolist(), strict=True)}
    delta = COLUMN["delta"]
    return {
        "feature_definitions": FEATURE_DEFINITIONS,
        "status_counts": dict(sorted(status_counts.items())),
        "convergent": status_counts["ok"] + status_counts["rational"],
        "delta_positive": sum(1 for r in rows if r[COLUMN["status"]] == "ok"
                              and r[delta] is not None and r[delta] > 0),
        "clustered": len(usable),
        "noise": int((labels < 0).sum()),
        "planes": [list(p) for p in params.planes],
        "skipped_planes": skipped,
        "clusters": clusters,
        "unidentified_clusters": [c["id"] for c in clusters if c["label"] == "unidentified"],
        "cluster_chart": _chart(features, labels, tuple(params.planes[0])),
        "accelerator": {"clusters": min(params.identify_clusters,
                                        sum(c["label"] != "unidentified" for c in clusters)),
                        "members_tried": tried, "formulas": len(accelerated)},
        "_accelerated": accelerated,
        "_cluster_of": cluster_of,
    }
