"""Clustering PCFs by their convergence dynamics, plane by plane.

The released implementation of Shalyt et al., "Unsupervised Discovery of
Formulas for Mathematical Constants" (NeurIPS 2024, Sec. 3.3 and Fig. 3;
``Blind_Delta_Data_Analysis``) clusters 2-D projections ("planes") of the
feature table, e.g. (δ, η′) then (δ, γ′):

1. grid downsampling: cell size ``grid`` (0.001) in raw feature units; the
   first point of each occupied cell represents it;
2. HDBSCAN (``min_cluster_size`` = 5) on the representatives;
3. every point takes the label of its nearest representative if that one lies
   within ``radius`` (0.01), else it is noise (-1);
4. a plane that yields more than ``max_clusters`` clusters (or has more than
   ``max_representatives`` cells, a bound on HDBSCAN's quadratic cost) is skipped: the
   population is clustered whole in the next plane (and is noise when no
   plane is left), and the skip is reported.

As in the paper's breadth-first queue, a cluster is re-clustered in the next
plane only when asked to (the caller's ``refine`` test: its members disagree
about their constant).  A cluster that the next plane does not split (at most
one sub-cluster) keeps all its members, including the ones that are noise in
that plane; when it does split, its noise points become noise.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = np.concatenate([rng.normal(0, 0.002, (40, 2)), rng.normal(1, 0.002, (40, 2))])
>>> labels, traces = cluster_planes({"u": x[:, 0], "v": x[:, 1]}, [("u", "v")])
>>> len(set(labels.tolist()) - {-1})
2
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import NearestNeighbors

#: default bound on a plane's grid cells given to HDBSCAN (96,110 cells of the full
#: 1.5 M-PCF sweep's (delta, eta') plane take ~30 s)
MAX_REPRESENTATIVES = 100_000


def cluster_plane(points: np.ndarray, *, grid: float = 0.001, radius: float = 0.01,
                  min_cluster_size: int = 5, max_clusters: int = 500,
                  max_representatives: int = MAX_REPRESENTATIVES,
                  ) -> tuple[np.ndarray | None, str]:
    """HDBSCAN labels of 2-D ``points`` after grid downsampling (-1: noise), and why not.

    Returns ``(None, reason)`` when the plane has more than ``max_representatives``
    occupied cells (sklearn's HDBSCAN builds its minimum spanning tree in time
    quadratic in them, holding the GIL: 437,000 cells take ~8 min here) or yields
    more than ``max_clusters`` clusters; else ``(labels, "")``.
    """
    if len(points) < min_cluster_size:
        return np.full(len(points), -1, dtype=np.int64), ""
    cells = np.floor(points / grid).astype(np.int64)
    _, first = np.unique(cells, axis=0, return_index=True)
    first = np.sort(first)
    reps = points[first]
    if len(reps) < max(min_cluster_size, 2):
        # everything sits in fewer cells than a cluster needs: one tight cluster
        return np.zeros(len(points), dtype=np.int64), ""
    if len(reps) > max_representatives:
        return None, f"{len(reps):,} grid cells, more than max_representatives"
    rep_labels = HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(reps)
    if rep_labels.max(initial=-1) + 1 > max_clusters:
        return None, f"{rep_labels.max() + 1:,} clusters, more than max_clusters"
    distance, nearest = NearestNeighbors(n_neighbors=1).fit(reps).kneighbors(points)
    labels = rep_labels[nearest[:, 0]]
    labels[distance[:, 0] > radius] = -1
    return labels.astype(np.int64), ""


def cluster_planes(features: Mapping[str, np.ndarray], planes: Sequence[tuple[str, str]], *,
                   refine: Callable[[tuple[int, ...], np.ndarray], bool] | None = None,
                   grid: float = 0.001, radius: float = 0.01, min_cluster_size: int = 5,
                   max_clusters: int = 500, max_representatives: int = MAX_REPRESENTATIVES,
                   skipped: list[dict] | None = None,
                   ) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Breadth-first plane-by-plane clustering of all rows of ``features``.

    Parameters
    ----------
    features : column name -> float array (all the same length, finite).
    planes : pairs of column names.  All rows are clustered in the first plane;
        a cluster is re-clustered in the next plane when ``refine(trace,
        members)`` says so (the paper: when its members disagree about their
        constant); ``refine=None`` refines every cluster.
    grid, radius, min_cluster_size, max_clusters, max_representatives : see
        :func:`cluster_plane`.
    skipped : when given, filled with one ``{"plane", "trace", "size", "reason"}``
        record per population whose plane was too large or yielded more than
        ``max_clusters`` clusters.
        Such a population is clustered whole in the next plane (the released
        code's "skip the plane"), with -1 in its trace for the skipped plane.

    Returns
    -------
    labels : int array, the leaf cluster of every row (-1: noise).
    traces : ``traces[k]`` is the path of cluster ids (one per plane, -1 for a
        skipped one) that leads to leaf cluster ``k``, in breadth-first order.
    """
    size = len(next(iter(features.values()))) if features else 0
    queue: deque[tuple[tuple[int, ...], np.ndarray]] = deque([((), np.arange(size))])
    leaves: list[tuple[tuple[int, ...], np.ndarray]] = []
    while queue:
        trace, members = queue.popleft()
        plane = planes[len(trace)]
        points = np.column_stack([features[plane[0]][members], features[plane[1]][members]])
        labels, reason = cluster_plane(points, grid=grid, radius=radius,
                                       min_cluster_size=min_cluster_size,
                                       max_clusters=max_clusters,
                                       max_representatives=max_representatives)
        is_cluster = any(k >= 0 for k in trace)  # the root population is not a cluster
        if labels is None:  # the plane is skipped, the population goes on whole
            if skipped is not None:
                skipped.append({"plane": list(plane), "trace": list(trace), "size": len(members),
                                "reason": reason})
            if len(trace) + 1 < len(planes):
                queue.append((trace + (-1,), members))
            elif is_cluster:
                leaves.append((trace, members))
            continue
        found = sorted(set(labels.tolist()) - {-1})
        if is_cluster and len(found) <= 1:
            leaves.append((trace, members))  # the next plane does not split it
            continue
        children = [(trace + (label,), members[labels == label]) for label in found]
        # biggest first, so that a bounded refine() budget goes to the big clusters
        children.sort(key=lambda child: (-len(child[1]), child[0]))
        for child_trace, child in children:
            more = len(child_trace) < len(planes) and (refine is None
                                                       or refine(child_trace, child))
            (queue.append if more else leaves.append)((child_trace, child))
    leaves.sort(key=lambda leaf: leaf[0])
    labels_out = np.full(size, -1, dtype=np.int64)
    traces: list[tuple[int, ...]] = []
    for trace, members in leaves:
        labels_out[members] = len(traces)
        traces.append(trace)
    return labels_out, traces
