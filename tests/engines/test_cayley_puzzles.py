"""Puzzles and GAP-style move definitions.

Published sequences: the 2x2x2 cube with a corner fixed (3,674,160 positions)
in the half-turn metric (diameter 11) and the quarter-turn metric (diameter
14), the first layers of the 3x3x3 cube in both metrics (CayleyPy 0.2.0's
``puzzles_growth.csv``, reference ``cayley.md`` Section 2.3), the skewb
(3,149,280 positions, diameter 11) and the pyraminx without tips (933,120,
diameter 11) from Jaap's Puzzle Page.  Group orders are recomputed here with
sympy's Schreier-Sims, independently of the engine.
"""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError
from sympy.combinatorics import Permutation, PermutationGroup

from mathdisco.engines.cayley.gap_format import parse_gap_moves
from mathdisco.engines.cayley.job import GrowthParams, run_growth
from mathdisco.engines.cayley.puzzles import PUZZLES, puzzle
from mathdisco.engines.registry import get_job_type

CUBE_2_HALF_TURN = [1, 9, 54, 321, 1847, 9992, 50136, 227536, 870072, 1887748, 623800, 2644]
CUBE_2_QUARTER_TURN = [1, 6, 27, 120, 534, 2256, 8969, 33058, 114149, 360508, 930588, 1350852,
                       782536, 90280, 276]
CUBE_3_HALF_TURN = [1, 18, 243, 3240, 43239, 574908]
CUBE_3_QUARTER_TURN = [1, 12, 114, 1068, 10011, 93840, 878880]
SKEWB = [1, 8, 48, 288, 1728, 10248, 59304, 315198, 1225483, 1455856, 81028, 90]
PYRAMINX_NO_TIPS = [1, 8, 48, 288, 1728, 9896, 51808, 220111, 480467, 166276, 2457, 32]

# known numbers of positions (group orders): pocket cube 7! 3^6 and 8! 3^7;
# Rubik's cube 8! 3^7 12! 2^11 / 2; pyraminx 6!/2 2^5 3^4 3^4; skewb 6!/2 * 12 * 3^6
KNOWN_ORDERS = {
    ("cube_2x2x2", True): math.factorial(7) * 3**6,
    ("cube_2x2x2", False): math.factorial(8) * 3**7,
    ("cube_3x3x3", True): math.factorial(8) * 3**7 * math.factorial(12) * 2**11 // 2,
    ("pyraminx", True): math.factorial(6) // 2 * 2**5 * 3**4 * 3**4,
    ("pyraminx_no_tips", True): math.factorial(6) // 2 * 2**5 * 3**4,
    ("skewb", True): math.factorial(6) // 2 * 12 * 3**6,
}


@pytest.mark.parametrize(("metric", "expected"), [("half_turn", CUBE_2_HALF_TURN),
                                                  ("quarter_turn", CUBE_2_QUARTER_TURN)])
def test_pocket_cube_matches_the_published_growth(metric, expected):
    job = get_job_type("cayley_growth")
    result = run_growth(job.validate({"puzzle": "cube_2x2x2", "metric": metric}))
    assert result["layer_sizes"] == expected
    assert result["num_vertices"] == 3_674_160 == sum(expected)
    assert result["diameter"] == len(expected) - 1 == (11 if metric == "half_turn" else 14)
    assert result["bfs_completed"] and result["kind"] == "schreier"
    assert result["positions"] == 24 and result["num_generators"] == (9 if metric == "half_turn"
                                                                      else 6)
    assert result["invariants_checked"]["sum_of_layers_equals_vertex_count"] == 3_674_160
    job.check_result(result)


@pytest.mark.parametrize(("name", "fixed"), sorted(KNOWN_ORDERS))
def test_puzzle_moves_generate_groups_of_the_known_orders(name, fixed):
    for metric in ("quarter_turn", "half_turn"):
        p = puzzle(name, metric, fixed)
        group = PermutationGroup([Permutation(g) for g in p.generators])
        assert group.order() == KNOWN_ORDERS[(name, fixed)] == p.states
        assert len({tuple(g) for g in p.generators}) == len(p.generators)


def test_puzzle_growth_matches_published_sequences():
    skewb = run_growth(GrowthParams(puzzle="skewb"))
    assert skewb["layer_sizes"] == SKEWB and skewb["state_words"] == 2
    pyraminx = run_growth(GrowthParams(puzzle="pyraminx_no_tips"))
    assert pyraminx["layer_sizes"] == PYRAMINX_NO_TIPS
    for metric, expected in (("half_turn", CUBE_3_HALF_TURN), ("quarter_turn", CUBE_3_QUARTER_TURN)):
        cube = run_growth(GrowthParams(puzzle="cube_3x3x3", metric=metric,
                                       max_diameter=len(expected) - 1))
        assert cube["layer_sizes"] == expected
        assert cube["state_words"] == 3 and cube["bfs_completed"] is False
        assert cube["positions"] == 54  # the six centres never move: 48 stickers are packed


def test_puzzles_are_listed_in_the_params_schema():
    schema = get_job_type("cayley_growth").params_model.model_json_schema()
    options = schema["properties"]["puzzle"]["anyOf"][0]["enum"]
    assert set(options) == set(PUZZLES) >= {"cube_2x2x2", "cube_3x3x3", "pyraminx", "skewb"}
    metrics = schema["properties"]["metric"]["anyOf"][0]["enum"]
    assert metrics == ["quarter_turn", "half_turn"]


def _to_gap(p) -> str:
    """The puzzle's quarter-turn moves written as GAP cycles (1-based, i goes to where)."""
    lines = []
    for name, g in zip(p.move_names, p.generators, strict=True):
        if name.endswith("'"):
            continue
        goes = {g[j]: j for j in range(len(g))}  # new[j] = old[g[j]]: the sticker at g[j] goes to j
        seen, cycles = set(), []
        for start in range(len(g)):
            if start in seen or goes[start] == start:
                continue
            c, x = [], start
            while x not in seen:
                seen.add(x)
                c.append(x + 1)
                x = goes[x]
            cycles.append("(" + ",".join(map(str, c)) + ")")
        lines.append(f"M_{name}:={''.join(cycles)};")
    return "# written by the test\n" + "\n".join(lines) + "\nip:=[[1],[4]];\n"


def test_gap_moves_round_trip_to_the_same_growth():
    p = puzzle("cube_2x2x2", "quarter_turn")
    text = _to_gap(p)
    colours = "".join("UDFBRL"[c] for c in p.central_state)
    result = run_growth(GrowthParams(gap_moves=text, central_state=colours))
    assert result["layer_sizes"] == CUBE_2_QUARTER_TURN
    assert result["generator_names"] == ["M_U", "M_U'", "M_R", "M_R'", "M_F", "M_F'"]
    half = run_growth(GrowthParams(gap_moves=text, central_state=colours, metric="half_turn"))
    assert half["layer_sizes"] == CUBE_2_HALF_TURN
    # the Cayley graph of the same moves on distinguishable stickers: the group itself
    group = run_growth(GrowthParams(gap_moves=text, max_diameter=4))
    assert group["layer_sizes"][:3] == [1, 6, 27]


def test_gap_file_in_cayleypy_format_is_read():
    # the head of CayleyPy's skewb.gap (PuzzleGeometry output), two of its eight moves
    text = """# PuzzleGeometry 0.1 Copyright 2018 Tomas Rokicki.
M_M_D:=(7,9,8)(13,17,24)(14,18,22)(15,16,23)(25,26,27);
M_M_U:=(1,11,6)(2,12,4)(3,10,5)(19,21,20)(28,30,29);
Gen:=[
M_M_D,M_M_U
];
ip:=[[1],[4],[7],[10],[13],[16],[19],[22],[25],[26],[27],[28],[29],[30]];
"""
    moves = parse_gap_moves(text)
    assert moves.names == ["M_M_D", "M_M_U"] and moves.degree == 30
    d = moves.generators[0]
    assert d[8] == 6 and d[6] == 7 and d[7] == 8  # 7 -> 9 -> 8 -> 7: new[9] = old[7] (1-based)
    result = run_growth(GrowthParams(gap_moves=text))
    group = PermutationGroup([Permutation(g) for g in moves.generators])
    assert result["num_vertices"] == group.order()


@pytest.mark.parametrize(("params", "message"), [
    ({"gap_moves": "A:=(1,2)(2,3);"}, "appears twice"),
    ({"gap_moves": "A:=(1,2,x);"}, "positive integers"),
    ({"gap_moves": "A:=(0,1);"}, "numbered from 1"),
    ({"gap_moves": "A:=(1,300);"}, "beyond the 256 positions"),
    ({"gap_moves": "A:=(1,2); Gen:=[A,B];"}, "not an assigned move"),
    ({"gap_moves": "A:=(1,2)*(3,4);"}, "not a product of cycles"),
    ({"gap_moves": "hello"}, "not an assignment"),
    ({"gap_moves": "".join(f"M{i}:=({i},{i + 1});" for i in range(1, 70))}, "more than 64"),
    ({"gap_moves": "A:=(1,2,3,4,5,6,7)(8,9,10,11,12);", "metric": "half_turn"}, "order 35"),
    ({"puzzle": "cube_3x3x3"}, "give max_diameter"),
    ({"puzzle": "cube_2x2x2", "n": 3}, "n and k go with family only"),
    ({"puzzle": "skewb", "fixed_corner": False}, "cube_2x2x2 only"),
    ({"family": "lrx", "n": 5, "metric": "half_turn"}, "puzzle or gap_moves only"),
    ({"puzzle": "pyraminx", "central_state": "0011"}, "central_state has length 4"),
    ({"puzzle": "megaminx"}, "puzzle"),
    ({"generators": [list(range(1, 300)) + [0]]}, "at most 256"),
    ({"generators": [[1, 0, 2], [1, 0]]}, "permute the same n points"),
    ({"puzzle": "cube_2x2x2", "fixed_corner": False, "memory_budget_gib": 0.5}, "memory budget"),
])
def test_bad_puzzle_input_is_refused_naming_the_problem(params, message):
    with pytest.raises(ValidationError, match=message):
        get_job_type("cayley_growth").validate(params)


def test_states_over_sixteen_words_are_refused():
    # 256 distinct symbols need 8 bits each, 8 to a word: 32 words
    with pytest.raises(ValidationError, match="needs 32 64-bit words; at most 16 are supported"):
        GrowthParams(generators=[list(range(1, 256)) + [0]], max_diameter=2)


@pytest.mark.slow
def test_full_pocket_cube_and_pyraminx():
    cube = run_growth(GrowthParams(puzzle="cube_2x2x2", metric="half_turn", fixed_corner=False))
    assert cube["num_vertices"] == 88_179_840 and cube["diameter"] == 11
    assert cube["layer_sizes"][:4] == [1, 18, 243, 2874]
    pyraminx = run_growth(GrowthParams(puzzle="pyraminx"))
    assert pyraminx["num_vertices"] == 75_582_720


def test_packed_search_reports_progress_and_stops_when_cancelled():
    from mathdisco.engines.contract import Cancelled

    calls = []

    def progress(done, total, message=""):
        calls.append((done, total, message))
        if len(calls) >= 6:
            raise Cancelled()

    with pytest.raises(Cancelled):
        run_growth(GrowthParams(puzzle="skewb"), progress)
    assert calls[0] == (1, 3_149_280, "layer 0 (the central state) done")
    assert all(done <= total for done, total, _ in calls)
