"""Puzzles given as move permutations in GAP's cycle notation.

CayleyPy ships its 72 puzzles as GAP files written by Tomas Rokicki's
PuzzleGeometry (reference ``cayley.md`` Section 2.1), of the form::

    # comment
    M_F:=(1,14,16,11)(2,15,17,12)(3,13,18,10);
    M_U:=(1,10,7,4)(2,11,8,5)(3,12,9,6);
    Gen:=[M_F,M_U];
    ip:=[[1],[4],[7]];

:func:`parse_gap_moves` reads that subset of GAP: assignments ``name :=
<permutation>`` where a permutation is a product of disjoint cycles of
positive integers (``()`` is the identity), and an optional ``Gen := [...]``
naming the moves to use, in order (otherwise every permutation assigned, in
order).  Other list assignments (``ip``) are ignored; anything else is an
error naming the statement.  Points are 1-based; GAP's ``i^g`` is where the
sticker at ``i`` goes, so the image form used by the engine (``new[i] =
old[p[i]]``) is the inverse map.  Sizes are bounded (:data:`MAX_TEXT`,
:data:`MAX_MOVES`, :data:`mathdisco.engines.cayley.graph.MAX_POSITIONS`).

Examples
--------
>>> moves = parse_gap_moves("A:=(1,2,3);  B:=(3,4); Gen:=[B,A];")
>>> moves.names, moves.degree
(['B', 'A'], 4)
>>> moves.generators
[[0, 1, 3, 2], [2, 0, 1, 3]]
>>> parse_gap_moves("A:=(1,2)(2,3);")
Traceback (most recent call last):
...
ValueError: move A: point 2 appears twice (cycles of one permutation must be disjoint)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mathdisco.engines.cayley.graph import MAX_POSITIONS

__all__ = ["MAX_MOVES", "MAX_TEXT", "GapMoves", "parse_gap_moves"]

MAX_TEXT = 200_000
MAX_MOVES = 64

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_']*$")
_CYCLE = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class GapMoves:
    names: list[str]
    generators: list[list[int]]  # image form on 0..degree-1
    degree: int


def _cycles(name: str, text: str) -> list[list[int]]:
    rest = _CYCLE.sub("", text).strip()
    if rest:
        raise ValueError(f"move {name}: {rest[:40]!r} is not a product of cycles like (1,2,3)(4,5)")
    cycles, seen = [], set()
    for body in _CYCLE.findall(text):
        if not body.strip():
            continue  # () is the identity
        try:
            points = [int(x) for x in body.split(",")]
        except ValueError:
            raise ValueError(f"move {name}: cycle ({body[:40]}) must list positive integers "
                             f"separated by commas") from None
        for x in points:
            if x < 1:
                raise ValueError(f"move {name}: point {x} is not a positive integer (points "
                                 f"are numbered from 1)")
            if x > MAX_POSITIONS:
                raise ValueError(f"move {name}: point {x} is beyond the {MAX_POSITIONS} "
                                 f"positions supported")
            if x in seen:
                raise ValueError(f"move {name}: point {x} appears twice (cycles of one "
                                 f"permutation must be disjoint)")
            seen.add(x)
        cycles.append(points)
    return cycles


def _statements(text: str) -> list[tuple[str, str]]:
    text = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    out = []
    for raw in text.split(";"):
        statement = " ".join(raw.split())
        if not statement:
            continue
        if ":=" not in statement:
            raise ValueError(f"statement {statement[:60]!r} is not an assignment name := value")
        name, value = (part.strip() for part in statement.split(":=", 1))
        if not _NAME.match(name):
            raise ValueError(f"{name[:40]!r} is not a valid name")
        out.append((name, value))
    return out


def parse_gap_moves(text: str) -> GapMoves:
    """The moves of a GAP-style puzzle definition (see the module docstring).

    Raises
    ------
    ValueError
        Naming the problem: text or move count past the bounds, a statement
        that is not an assignment, overlapping cycles, a ``Gen`` entry that
        names no move, no moves at all.
    """
    if len(text) > MAX_TEXT:
        raise ValueError(f"the definition has {len(text):,} characters; at most {MAX_TEXT:,}")
    moves: dict[str, list[list[int]]] = {}
    chosen: list[str] | None = None
    for name, value in _statements(text):
        if value.startswith("["):
            if name == "Gen":
                chosen = [x.strip() for x in value.strip("[] ").split(",") if x.strip()]
            continue  # other lists (ip: identification pieces) are not needed here
        if name in moves:
            raise ValueError(f"move {name} is assigned twice")
        moves[name] = _cycles(name, value)
        if len(moves) > MAX_MOVES:
            raise ValueError(f"more than {MAX_MOVES} moves")
    if chosen is not None:
        for name in chosen:
            if name not in moves:
                raise ValueError(f"Gen names {name!r}, which is not an assigned move")
        names = chosen
    else:
        names = list(moves)
    if not names:
        raise ValueError("no moves defined (expected lines like M_F:=(1,2,3,4);)")
    degree = max((x for name in names for cycle in moves[name] for x in cycle), default=0)
    if degree < 2:
        raise ValueError("the moves move no points")
    generators = []
    for name in names:
        p = list(range(degree))
        for cycle in moves[name]:
            for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True):
                p[b - 1] = a - 1  # the sticker at a goes to b: new[b] = old[a]
        generators.append(p)
    return GapMoves(names, generators, degree)
