"""Twisty puzzles as generator families, derived here from their geometry.

Each puzzle is a set of stickers (points in space, exact integer
coordinates) and a set of moves, each a rotation of the stickers on one side
of a cutting plane.  A move's permutation is read off by rotating every
sticker's point and looking up where it lands, so nothing is typed in by hand
and every move is a permutation by construction.  The central state colours
each sticker by the face it starts on, so the BFS runs on the Schreier coset
graph of sticker colourings -- the puzzle's positions, since every piece has
a distinct set of colours (reference ``cayley.md`` Section 2.1, "Puzzles";
CayleyPy ships such puzzles as GAP files, Chervov et al., arXiv:2509.19162).

Puzzles (the move sets below are the standard ones):

* ``cube_2x2x2`` -- quarter-turn metric (each face turn of 90 degrees either
  way is one move) or half-turn metric (90, 180, 270 degrees are one move
  each).  With ``fixed_corner`` (the usual reduction) only the U, R and F
  faces turn, so the D-L-B corner never moves: 3,674,160 positions; without
  it all six faces turn and the 24 orientations of the whole cube count as
  different positions: 88,179,840.
* ``cube_3x3x3`` -- six face turns (centres fixed), 43,252,003,274,489,856,000
  positions: growth only up to a depth limit.
* ``pyraminx`` -- four tip twists and four vertex-layer twists (tip included),
  120 degrees either way: 75,582,720 positions; ``pyraminx_no_tips`` the same
  without the tips' stickers and moves: 933,120.
* ``skewb`` -- twists of 120 degrees either way about the four corners of one
  tetrad (the other four corners fix the puzzle's orientation): 3,149,280.

Examples
--------
>>> p = puzzle("cube_2x2x2", "quarter_turn")
>>> len(p.generators), len(p.central_state), p.states
(6, 24, 3674160)
>>> puzzle("cube_2x2x2", "half_turn", fixed_corner=False).move_names[:3]
['U', 'U2', "U'"]
>>> puzzle("skewb").states, len(puzzle("pyraminx").generators)
(3149280, 16)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mathdisco.engines.cayley.graph import inverse_permutation

__all__ = ["PUZZLES", "PUZZLE_METRICS", "Puzzle", "compose", "expand_metric", "puzzle",
           "puzzle_states"]

PUZZLE_METRICS = ("quarter_turn", "half_turn")

Point = tuple[int, int, int]
Matrix = tuple[Point, Point, Point]


@dataclass(frozen=True)
class Puzzle:
    """Moves (image form, ``new[i] = old[p[i]]``) on stickers, and the solved colouring."""

    name: str
    metric: str
    generators: list[list[int]]
    move_names: list[str]
    central_state: list[int]  # the colour of each sticker
    states: int  # positions reachable from the solved one
    needs_depth_limit: bool = False


def _apply(m: Matrix, p: Point) -> Point:
    return tuple(sum(m[r][c] * p[c] for c in range(3)) for r in range(3))  # type: ignore[return-value]


def _conjugate(m: Matrix, signs: Point) -> Matrix:
    # D m D for D = diag(signs): the rotation about the axis reflected by D
    return tuple(tuple(signs[r] * m[r][c] * signs[c] for c in range(3))
                 for r in range(3))  # type: ignore[return-value]


def compose(p: list[int], q: list[int]) -> list[int]:
    """Apply ``p`` then ``q`` (image form: ``new[i] = old[p[q[i]]]``)."""
    return [p[i] for i in q]


def _move(points: list[Point], rotation: Matrix, inside) -> list[int]:
    """The permutation moving the stickers ``inside`` the cut by ``rotation``."""
    index = {pt: i for i, pt in enumerate(points)}
    perm = list(range(len(points)))
    for i, pt in enumerate(points):
        if inside(pt):
            perm[index[_apply(rotation, pt)]] = i  # the sticker at i lands on rotation(pt)
    return perm


#: the half-turn metric counts every power of a move; moves of larger order are refused
MAX_POWERS = 23


def _order(perm: list[int]) -> int:
    seen, order = set(), 1
    for start in range(len(perm)):
        length, x = 0, start
        while x not in seen:
            seen.add(x)
            x = perm[x]
            length += 1
        if length:
            order = math.lcm(order, length)
    return order


def _powers(perm: list[int], name: str, metric: str) -> tuple[list[list[int]], list[str]]:
    """The move and its inverse (quarter-turn), or every non-trivial power (half-turn)."""
    identity = list(range(len(perm)))
    if perm == identity:
        return [], []
    order = _order(perm)
    if metric == "half_turn" and order > MAX_POWERS + 1:
        raise ValueError(f"move {name} has order {order}; the half-turn metric counts each of "
                         f"its powers as a move, and at most {MAX_POWERS + 1} are supported")
    if metric == "quarter_turn":
        inverse = inverse_permutation(perm)
        return ([perm, inverse], [name, name + "'"]) if inverse != perm else ([perm], [name])
    powers, current = [], perm
    while current != identity:
        powers.append(current)
        current = compose(current, perm)
    if len(powers) <= 2:
        return powers, [name, name + "'"][:len(powers)]
    names = [name] + [f"{name}{j}" for j in range(2, len(powers))] + [name + "'"]
    return powers, names


def expand_metric(moves: list[list[int]], names: list[str], metric: str
                  ) -> tuple[list[list[int]], list[str]]:
    """Every move with its inverse (quarter_turn) or with all its powers (half_turn).

    >>> expand_metric([[1, 2, 3, 0]], ["M"], "half_turn")
    ([[1, 2, 3, 0], [2, 3, 0, 1], [3, 0, 1, 2]], ['M', 'M2', "M'"])
    """
    if metric not in PUZZLE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(PUZZLE_METRICS)}")
    gens, out_names = [], []
    for move, name in zip(moves, names, strict=True):
        g, n = _powers(move, name, metric)
        gens += g
        out_names += n
    return gens, out_names


# -- cubes -------------------------------------------------------------------------------

# faces in colour order: normal axis (0 x, 1 y, 2 z) and sign
CUBE_FACES = {"U": (1, 1), "D": (1, -1), "F": (2, 1), "B": (2, -1), "R": (0, 1), "L": (0, -1)}


def _quarter_turn(axis: int, sign: int) -> Matrix:
    """Clockwise seen from outside the face: -90 degrees about sign * e_axis."""
    a, b = [(1, 2), (2, 0), (0, 1)][axis]  # the plane, oriented so that e_a x e_b = e_axis
    m = [[0] * 3 for _ in range(3)]
    m[axis][axis] = 1
    # rotation by +90 about e_axis maps e_a -> e_b, e_b -> -e_a; clockwise from +sign is
    # the inverse of that when sign > 0
    s = -sign
    m[b][a] = s
    m[a][b] = -s
    return tuple(tuple(r) for r in m)  # type: ignore[return-value]


def _cube_stickers(size: int) -> tuple[list[Point], list[int]]:
    points, colours = [], []
    coords = range(-(size - 1), size, 2)
    for colour, (axis, sign) in enumerate(CUBE_FACES.values()):
        for u in coords:
            for v in coords:
                p = [0, 0, 0]
                p[axis] = sign * size
                others = [i for i in range(3) if i != axis]
                p[others[0]], p[others[1]] = u, v
                points.append(tuple(p))
                colours.append(colour)
    return points, colours


def _cube(size: int, metric: str, faces: str) -> tuple[list[list[int]], list[str], list[int]]:
    points, colours = _cube_stickers(size)
    gens, names = [], []
    for face in faces:
        axis, sign = CUBE_FACES[face]
        perm = _move(points, _quarter_turn(axis, sign),
                     lambda p, axis=axis, sign=sign: p[axis] * sign >= size - 1)
        g, n = _powers(perm, face, metric)
        gens += g
        names += n
    return gens, names, colours


# -- tetrahedral puzzles ----------------------------------------------------------------

TETRAHEDRON = ((3, 3, 3), (3, -3, -3), (-3, 3, -3), (-3, -3, 3))  # vertices, scaled by 3
CYCLE: Matrix = ((0, 0, 1), (1, 0, 0), (0, 1, 0))  # 120 degrees about (1, 1, 1)


def _corner_rotation(corner: Point) -> Matrix:
    return _conjugate(CYCLE, tuple(1 if c > 0 else -1 for c in corner))  # type: ignore[arg-type]


def _pyraminx_stickers() -> tuple[list[Point], list[int]]:
    # nine small triangles per face (the face split into thirds); centroids scaled by 9
    points, colours = [], []
    for face in range(4):
        a, b, c = (TETRAHEDRON[i] for i in range(4) if i != face)

        def at(i: int, j: int, a=a, b=b, c=c) -> Point:
            return tuple(3 * a[t] + i * (b[t] - a[t]) + j * (c[t] - a[t]) for t in range(3))

        triangles = [(at(i, j), at(i + 1, j), at(i, j + 1)) for i in range(3) for j in range(3 - i)]
        triangles += [(at(i + 1, j), at(i, j + 1), at(i + 1, j + 1))
                      for i in range(2) for j in range(2 - i)]
        for tri in triangles:
            points.append(tuple(sum(v[t] for v in tri) for t in range(3)))
            colours.append(face)
    return points, colours


def _height(p: Point, vertex: Point) -> int:
    """``p . vertex``: 81 times the height along the vertex's axis (vertex at 3, face at -1)."""
    return sum(p[t] * vertex[t] for t in range(3))


def _pyraminx(metric: str, tips: bool) -> tuple[list[list[int]], list[str], list[int]]:
    points, colours = _pyraminx_stickers()
    # points are 27 times the unit-tetrahedron point and vertices 3 times, so heights
    # come 81-fold; the cuts sit 1/3 and 2/3 of the way from the vertex (height 3) to
    # the opposite face (-1): heights 5/3 and 1/3
    tip_cut, layer_cut = 81 * 5 // 3, 81 // 3
    if not tips:
        keep = [i for i, p in enumerate(points)
                if all(_height(p, v) <= tip_cut for v in TETRAHEDRON)]
        points = [points[i] for i in keep]
        colours = [colours[i] for i in keep]
    gens, names = [], []
    for label, vertex in zip("ULRB", TETRAHEDRON, strict=True):
        rotation = _corner_rotation(vertex)
        cuts = [(label, layer_cut)] + ([(label.lower(), tip_cut)] if tips else [])
        for name, cut in cuts:
            perm = _move(points, rotation, lambda p, v=vertex, cut=cut: _height(p, v) > cut)
            g, n = _powers(perm, name, metric)
            gens += g
            names += n
    return gens, names, colours


def _skewb(metric: str) -> tuple[list[list[int]], list[str], list[int]]:
    points, colours = [], []
    for colour, (axis, sign) in enumerate(CUBE_FACES.values()):
        others = [i for i in range(3) if i != axis]
        for u, v in [(0, 0), (2, 2), (2, -2), (-2, 2), (-2, -2)]:  # centre, four corners
            p = [0, 0, 0]
            p[axis] = 3 * sign
            p[others[0]], p[others[1]] = u, v
            points.append(tuple(p))
            colours.append(colour)
    gens, names = [], []
    corners = {"A": (1, 1, 1), "B": (1, -1, -1), "C": (-1, 1, -1), "D": (-1, -1, 1)}
    for name, corner in corners.items():
        perm = _move(points, _corner_rotation(corner),
                     lambda p, c=corner: sum(p[t] * c[t] for t in range(3)) > 0)
        g, n = _powers(perm, name, metric)
        gens += g
        names += n
    return gens, names, colours


# name -> (positions reached from the solved state (fixed_corner / not), needs a depth limit)
PUZZLES = {
    "cube_2x2x2": ((3_674_160, 88_179_840), False),
    "cube_3x3x3": ((43_252_003_274_489_856_000,) * 2, True),
    "pyraminx": ((75_582_720,) * 2, False),
    "pyraminx_no_tips": ((933_120,) * 2, False),
    "skewb": ((3_149_280,) * 2, False),
}


def puzzle_states(name: str, fixed_corner: bool = True) -> int:
    """Positions of the puzzle (the orbit of the solved colouring)."""
    states, _ = PUZZLES[name]
    return states[0] if fixed_corner else states[1]


def puzzle(name: str, metric: str = "quarter_turn", fixed_corner: bool = True) -> Puzzle:
    """The puzzle's moves in the metric, and its solved colouring.

    Parameters
    ----------
    name : str
        A key of :data:`PUZZLES`.
    metric : str
        "quarter_turn" (a move and its inverse) or "half_turn" (every
        non-trivial power of a move is one move); the same for puzzles whose
        moves have order 3.
    fixed_corner : bool
        cube_2x2x2 only: turn U, R, F only (the D-L-B corner stays put).
    """
    if metric not in PUZZLE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {', '.join(PUZZLE_METRICS)}")
    if name not in PUZZLES:
        raise ValueError(f"unknown puzzle {name!r}; one of {', '.join(PUZZLES)}")
    if name == "cube_2x2x2":
        gens, names, colours = _cube(2, metric, "URF" if fixed_corner else "UDFBRL")
    elif name == "cube_3x3x3":
        gens, names, colours = _cube(3, metric, "UDFBRL")
    elif name.startswith("pyraminx"):
        gens, names, colours = _pyraminx(metric, tips=name == "pyraminx")
    else:
        gens, names, colours = _skewb(metric)
    return Puzzle(name, metric, gens, names, colours, puzzle_states(name, fixed_corner),
                  PUZZLES[name][1])


def inverse_moves(p: Puzzle) -> list[int]:
    """The index of each move's inverse among the puzzle's moves."""
    index = {tuple(g): i for i, g in enumerate(p.generators)}
    return [index[tuple(inverse_permutation(g))] for g in p.generators]
