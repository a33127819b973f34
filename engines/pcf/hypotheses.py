"""Hypotheses for unknown constants: PCF limits connected to each other by Möbius relations.

Shalyt et al., "Unsupervised Discovery of Formulas for Mathematical
Constants" (NeurIPS 2024, Sec. 3.3, step (e.2) of Fig. 1): the members of a
box that no basis constant names are not left alone; they are connected to
*each other* by integer Möbius relations

    ``p x y + q x + r y + s = 0``,  ``ps - qr != 0``,

and every connected set of members is one *hypothesis*: one unknown constant
with many formulas.  Here the search runs over **every** unnamed member of the
box (clusters accelerate, they never filter -- issue 15):

1. **The whole box, by tails** (Serret's theorem, :mod:`mathdisco.engines.numerics.tails`):
   ``x = M y`` with ``|det M| = D`` means that ``x`` and a Hermite image
   ``(a y + b)/d`` (``ad = D``) share the tail of their simple continued
   fractions.  The members' own partial quotients are indexed window by
   window (like the basis constants of :class:`~mathdisco.engines.numerics.tails.TailIndex`);
   every Hermite image of every member with ``D <= max_det`` is looked up
   there, and a hit gives the exact integer matrix.  Cost: linear in the
   members, independent of how they cluster.
2. **Inside clusters, by PSLQ** on ``(xy, x, y, 1)``: relations of larger
   determinant (a member whose first terms differ from another's, say) are
   sought between the components that step 1 left apart in one cluster, up
   to ``pslq_pairs`` pairs in all.

Every relation is *proposed* by a finder and *judged* by the one acceptance
rule (:func:`mathdisco.engines.numerics.identification.judge`): found at
``size + 8`` digits or more, confirmed on a deeper, more precise evaluation.

A component of two or more members becomes a hypothesis.  Its representative
is the simplest member (smallest sum of ``|coefficients|``, then fewest
negative ones, then the lexicographic ``(a, b)``) whose deep value carries at
least :data:`VALUE_DIGITS` digits; every member's relation to it is the
composition of the judged relations along a spanning tree (breadth first from
the representative), judged again as a relation between the member and the
representative.  A member related to the representative within one tail class
(:func:`mathdisco.engines.pcf.catalogue.canonical_form`: equal ``b(n)/(a(n) a(n-1))``
up to a shift and ``a -> -a``) is marked ``trivial``: the relation follows from
an equivalence transformation; the others are what a researcher reads first.
The hypothesis ``id`` is a fingerprint of the representative's coefficients,
so two jobs that find the same constant from the same simplest PCF name it the
same way.

Example
-------
>>> from mathdisco.engines.pcf.evaluation import convergent_value
>>> pcfs = [([1, 1], [2]), ([2, 1], [2]), ([3, 1], [2])]     # x_k = k + 2/x_(k+1): one constant
>>> values = [(convergent_value(a, b, 300, 60), convergent_value(a, b, 600, 100))
...           for a, b in pcfs]
>>> found = connect([v for v, _ in values], [c for _, c in values], max_det=4)
>>> len(found.edges)                  # a spanning forest: one component of three
2
>>> next((i, j, r) for i, j, r in found.edges if {i, j} == {0, 1})   # x_1 = 2/(x_0 - 1)
(1, 0, (1, -1, 0, -2))
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import mpmath

from mathdisco.engines.numerics.identification import (
    judge,
    primitive,
    pslq_relation,
    relation_digits,
)
from mathdisco.engines.numerics.tails import (
    exact_interval,
    hermite_forms,
    interval_partial_quotients,
    matrix_product,
    prefix_matrix,
    rational_interval,
)
from mathdisco.engines.pcf.evaluation import PCFValue

__all__ = ["Connections", "VALUE_DIGITS", "connect", "hypotheses", "mobius_relation",
           "relation_matrix"]

Matrix = tuple[tuple[int, int], tuple[int, int]]

#: digits of a hypothesis's value (the contract asks for 50 or more)
VALUE_DIGITS = 50
#: partial quotients of a member looked at, and the window length of the member index
MAX_PARTIAL_QUOTIENTS = 48
WINDOW = 12
#: positions of an image's expansion looked up (its prefix differs from the member's)
IMAGE_POSITIONS = 16
#: a member needs this many digits to take part (a relation must be 8 digits smaller)
MIN_DIGITS = 20


def relation_matrix(relation: Sequence[int]) -> Matrix:
    """``M`` with ``x = M(y)`` for ``p x y + q x + r y + s = 0``.

    >>> relation_matrix([0, 1, -2, -1])      # x = 2 y + 1
    ((2, 1), (0, 1))
    """
    p, q, r, s = (int(c) for c in relation)
    return (-r, -s), (p, q)


def mobius_relation(matrix: Matrix) -> tuple[int, int, int, int]:
    """``[p, q, r, s]`` (primitive) of ``x = (m00 y + m01)/(m10 y + m11)``.

    >>> mobius_relation(((2, 1), (0, 1)))
    (0, 1, -2, -1)
    """
    (m00, m01), (m10, m11) = matrix
    return primitive([m10, m11, -m00, -m01])


def _adjugate(m: Matrix) -> Matrix:
    (a, b), (c, d) = m
    return (d, -b), (-c, a)


def _reduced(m: Matrix) -> Matrix:
    (a, b), (c, d) = m
    g = math.gcd(a, b, c, d) or 1
    return (a // g, b // g), (c // g, d // g)


def _interval(value: PCFValue) -> tuple[int, int, int]:
    if value.exact is not None:
        return exact_interval(*value.exact, value.digits)
    return rational_interval(value.value, value.digits)


def relation_values(x: mpmath.mpf, y: mpmath.mpf, dps: int) -> list[mpmath.mpf]:
    """The basis ``(xy, x, y, 1)`` of a Möbius relation at ``dps`` digits."""
    with mpmath.workdps(dps + 10):
        return [x * y, +x, +y, mpmath.mpf(1)]


def judged(relation: Sequence[int], x: tuple[PCFValue, PCFValue], y: tuple[PCFValue, PCFValue]
           ) -> int | None:
    """The acceptance rule for ``relation`` between ``x`` and ``y`` ((found, check) each).

    The relation must hold on the values the finders saw (a cheap rejection) and then
    pass :func:`mathdisco.engines.numerics.identification.judge` on the deeper evaluations.
    """
    found_digits = min(x[0].digits, y[0].digits)
    check_digits = min(x[1].digits, y[1].digits)
    p, q, r, s = (int(c) for c in relation)
    if p * s - q * r == 0 or check_digits <= found_digits:
        return None
    seen = relation_values(x[0].value, y[0].value, found_digits)
    if relation_digits(relation, seen, found_digits) < found_digits - 2:
        return None
    return judge(relation, found_digits, relation_values(x[1].value, y[1].value, check_digits),
                 check_digits)


@dataclass
class Connections:
    """Judged relations between members: ``edges`` ``(i, j, [p, q, r, s])`` with x_i, y = x_j."""

    edges: list[tuple[int, int, tuple[int, int, int, int]]] = field(default_factory=list)
    tried: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, by: int = 1) -> None:
        self.tried[key] = self.tried.get(key, 0) + by


class _Components:
    def __init__(self, size: int):
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        self.parent[max(ri, rj)] = min(ri, rj)
        return True


#: a window's position is stored as ``member * _POSITIONS + position`` (one int, not a tuple)
_POSITIONS = 64


def _index(expansions: Sequence[list[int]]) -> dict[int, list[int]]:
    """Every window of every member, keyed by its hash (a hit is confirmed on the tails)."""
    windows: dict[int, list[int]] = {}
    for m, pqs in enumerate(expansions):
        for i in range(len(pqs) - WINDOW + 1):
            windows.setdefault(hash(tuple(pqs[i:i + WINDOW])), []).append(m * _POSITIONS + i)
    return windows


def _tail_candidates(expansions: list[list[int]], intervals: list[tuple[int, int, int] | None],
                     max_det: int, components: _Components):
    """``(i, j, M)`` with ``x_i = M(x_j)`` proposed by shared tails (module docstring, step 1)."""
    windows = _index(expansions)
    forms = list(hermite_forms(max_det))
    for j, interval in enumerate(intervals):
        if interval is None:
            continue
        lo, hi, den = interval
        for a, b, d in forms:
            image = interval_partial_quotients(a * lo + b * den, a * hi + b * den, d * den,
                                               MAX_PARTIAL_QUOTIENTS)
            seen: set[int] = set()
            for position in range(min(IMAGE_POSITIONS, len(image) - WINDOW + 1)):
                for coded in windows.get(hash(tuple(image[position:position + WINDOW])), ()):
                    i, at = divmod(coded, _POSITIONS)
                    if i == j or i in seen or components.find(i) == components.find(j):
                        continue
                    own = expansions[i]
                    length = min(len(own) - at, len(image) - position)
                    if own[at:at + length] != image[position:position + length]:
                        continue
                    seen.add(i)
                    # x_i = P(t), (a x_j + b)/d = Q(t): x_i = P Q^-1 H (x_j)
                    m = matrix_product(matrix_product(prefix_matrix(own, at),
                                                      _adjugate(prefix_matrix(image, position))),
                                       ((a, b), (0, d)))
                    yield i, j, _reduced(m)


def connect(found: Sequence[PCFValue], check: Sequence[PCFValue], *, max_det: int = 8,
            clusters: Sequence[int | None] | None = None, pslq_pairs: int = 0,
            progress=None) -> Connections:
    """Judged Möbius relations among members (module docstring, steps 1-2).

    Parameters
    ----------
    found, check : each member's search value and its independent deeper evaluation.
    max_det : the largest ``|det|`` sought through the tail index (step 1).
    clusters : each member's cluster (None: not clustered), for step 2.
    pslq_pairs : PSLQ tries in all (step 2); 0 skips it.
    progress : ``progress(done, total, message)`` or None.

    Returns
    -------
    Connections: the edges of a spanning forest (a relation is judged only between
    members not yet connected) and the counts of what was tried.
    """
    size = len(found)
    components = _Components(size)
    out = Connections()
    usable = [f.digits >= MIN_DIGITS and mpmath.isfinite(f.value) and f.value != 0 for f in found]
    intervals = [_interval(f) if ok else None for f, ok in zip(found, usable, strict=True)]
    expansions = [interval_partial_quotients(*iv, MAX_PARTIAL_QUOTIENTS) if iv else []
                  for iv in intervals]
    out.count("members", size)
    out.count("too few digits", size - sum(usable))
    for i, j, m in _tail_candidates(expansions, intervals, max_det, components):
        if components.find(i) == components.find(j):
            continue
        relation = mobius_relation(m)
        out.count("tail candidates")
        if judged(relation, (found[i], check[i]), (found[j], check[j])) is not None:
            components.union(i, j)
            out.edges.append((i, j, relation))
    if progress is not None:
        progress(0, 1, f"hypotheses: {len(out.edges)} relations from the tails of {size:,} members")
    if pslq_pairs and clusters is not None:
        _pslq_in_clusters(found, check, usable, clusters, components, out, pslq_pairs)
    return out


def _pslq_in_clusters(found, check, usable, clusters, components: _Components, out: Connections,
                      budget: int) -> None:
    """Step 2: PSLQ between components left apart inside one cluster (bounded by ``budget``).

    Largest clusters first; inside one, each member is tried against one member
    (the first seen) of every other component met so far in that cluster.
    """
    by_cluster: dict[int, list[int]] = {}
    for i, k in enumerate(clusters):
        if k is not None and k >= 0 and usable[i]:
            by_cluster.setdefault(k, []).append(i)
    tries = 0
    order = sorted(by_cluster, key=lambda k: (-len(by_cluster[k]), k))
    for done, k in enumerate(order):
        if tries >= budget:
            out.count("clusters left to PSLQ (budget spent)", len(order) - done)
            break
        heads: dict[int, int] = {}
        for i in by_cluster[k]:
            if tries >= budget:
                break
            for j in list(heads.values()):
                if tries >= budget:
                    break
                if components.find(i) == components.find(j):
                    continue
                tries += 1
                digits = min(found[i].digits, found[j].digits)
                relation = pslq_relation(relation_values(found[i].value, found[j].value, digits),
                                         digits, max_coeff=10**6)
                if relation is None or relation[0] * relation[3] == relation[1] * relation[2]:
                    continue
                if judged(relation, (found[i], check[i]), (found[j], check[j])) is not None:
                    components.union(i, j)
                    out.edges.append((i, j, tuple(relation)))
                    out.count("pslq relations")
            heads = {components.find(m): m for m in (*heads.values(), i)}
    out.count("pslq pairs tried", tries)


def _simplicity(a: Sequence[int], b: Sequence[int]) -> tuple:
    coefficients = [int(c) for c in (*a, *b)]
    return (sum(abs(c) for c in coefficients), sum(c < 0 for c in coefficients),
            tuple(a), tuple(b))


def _trim(c: Sequence[int]) -> list[int]:
    out = [int(x) for x in c]
    while len(out) > 1 and out[-1] == 0:
        out.pop()
    return out


def fingerprint(a: Sequence[int], b: Sequence[int]) -> str:
    """The hypothesis id: a hash of its representative's coefficients (trailing zeros dropped).

    >>> fingerprint([1, 1, 0], [2]) == fingerprint([1, 1], [2, 0])
    True
    """
    payload = json.dumps({"a": _trim(a), "b": _trim(b)}, separators=(",", ":"))
    return "H" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def _tree(size_members: list[int], edges: list[tuple[int, int, tuple]], root: int
          ) -> dict[int, Matrix]:
    """``{member: M}`` with ``x_member = M(x_root)``, composed along a breadth-first tree."""
    neighbours: dict[int, list[tuple[int, Matrix]]] = {m: [] for m in size_members}
    for i, j, relation in edges:
        m = relation_matrix(relation)                 # x_i = m(x_j)
        neighbours[i].append((j, _adjugate(m)))       # x_j = adj(m)(x_i)
        neighbours[j].append((i, m))
    maps: dict[int, Matrix] = {root: ((1, 0), (0, 1))}
    queue = deque([root])
    while queue:
        j = queue.popleft()
        for i, m in neighbours[j]:                    # x_i = m(x_j) = m M_j (x_root)
            if i not in maps:
                maps[i] = _reduced(matrix_product(m, maps[j]))
                queue.append(i)
    return maps


def hypotheses(members: Sequence[dict[str, Any]], connections: Connections, *,
               deep_value, canonical, certify=None) -> tuple[list[dict], list[dict]]:
    """The hypotheses of the connected members (module docstring), and those left out.

    Parameters
    ----------
    members : dicts with ``index``, ``a``, ``b``, ``found``, ``check`` (PCFValue) and optional
        ``hypergeometric`` (the member's closed form, or None).
    connections : :func:`connect`'s edges among them.
    deep_value : ``deep_value(position) -> PCFValue``, the member's value to at least
        VALUE_DIGITS digits where it can be had.
    canonical : ``canonical(a, b)``, the tail-class key (trivial relations).
    certify : ``certify(a_x, b_x, a_y, b_y, relation) -> certificate | None`` tried on
        non-trivial members (:mod:`mathdisco.engines.pcf.coboundary`), or None.

    Returns
    -------
    ``(hypotheses, left_out)``: hypotheses with a non-trivial member first, each
    group largest first; left_out lists components with a reason (no member's
    value reached VALUE_DIGITS digits, or no composed relation passed).
    """
    components = _Components(len(members))
    for i, j, _ in connections.edges:
        components.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(members)):
        groups.setdefault(components.find(i), []).append(i)
    out, left_out = [], []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda i: _simplicity(members[i]["a"], members[i]["b"]))
        root, value = None, None
        for i in group[:5]:
            candidate = deep_value(i)
            if candidate.digits >= VALUE_DIGITS:
                root, value = i, candidate
                break
        if root is None:
            left_out.append({"members": len(group), "a": members[group[0]]["a"],
                             "b": members[group[0]]["b"],
                             "reason": f"no member's value reached {VALUE_DIGITS} digits"})
            continue
        edges = [e for e in connections.edges if components.find(e[0]) == components.find(root)]
        maps = _tree(group, edges, root)
        key = canonical(members[root]["a"], members[root]["b"])
        listed, positions, unverified = [], [], 0
        for i in sorted(group, key=lambda i: (i != root,
                                              _simplicity(members[i]["a"], members[i]["b"]))):
            relation = mobius_relation(maps[i])
            digits = judged(relation, (members[i]["found"], members[i]["check"]),
                            (members[root]["found"], members[root]["check"]))
            if digits is None:
                unverified += 1
                continue
            trivial = canonical(members[i]["a"], members[i]["b"]) == key
            certificate = None
            if certify is not None and not trivial and i != root:
                certificate = certify(members[i]["a"], members[i]["b"], members[root]["a"],
                                      members[root]["b"], relation)
            listed.append({"index": members[i]["index"],
                           "a": _trim(members[i]["a"]), "b": _trim(members[i]["b"]),
                           "relation": list(relation), "trivial": trivial,
                           "verified_digits": digits, "certificate": certificate})
            positions.append(i)
        if len(listed) < 2:
            left_out.append({"members": len(group), "a": members[root]["a"],
                             "b": members[root]["b"],
                             "reason": "the composed relations failed the acceptance rule"})
            continue
        closed = [{"a": m["a"], "b": m["b"], **members[i]["hypergeometric"]}
                  for m, i in zip(listed, positions, strict=True)
                  if members[i].get("hypergeometric")]
        a, b = _trim(members[root]["a"]), _trim(members[root]["b"])
        with mpmath.workdps(value.digits + 10):
            text = mpmath.nstr(value.value, value.digits, min_fixed=-math.inf, max_fixed=math.inf)
        out.append({"id": fingerprint(a, b), "value": text, "value_digits": value.digits,
                    "representative": {"a": a, "b": b}, "size": len(listed),
                    "non_trivial": sum(not m["trivial"] for m in listed),
                    "unverified_members": unverified,
                    "hypergeometric": closed[:10], "members": listed})
    # connections across tail classes first (what a researcher reads first), then by size
    out.sort(key=lambda h: (h["non_trivial"] == 0, -h["size"], -h["non_trivial"], h["id"]))
    return out, left_out
