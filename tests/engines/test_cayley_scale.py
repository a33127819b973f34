"""Scale runs of cayley_growth (slow: minutes each; run with ``-m slow``).

Exact growth of S_12 (479,001,600 vertices) for LRX and pancake, checked
against the reference (cayley.md Section 2.2, OEIS A186783 and A058986).
"""

from __future__ import annotations

import math

import pytest

from engines.cayley.job import GrowthParams, run_growth

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


def test_lrx_12():
    result = run_growth(GrowthParams(family="lrx", n=12))
    print("lrx 12:", result["elapsed_s"], "s", result["memory"], result["layer_sizes"])
    assert result["num_vertices"] == math.factorial(12)
    assert result["diameter"] == 66  # n(n-1)/2, A186783
    assert result["last_layer"] == [[1, 0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]]
    assert result["memory"]["peak_tracked_bytes"] < 4 * 2**30


def test_pancake_12():
    result = run_growth(GrowthParams(family="pancake", n=12))
    print("pancake 12:", result["elapsed_s"], "s", result["memory"], result["layer_sizes"])
    assert result["num_vertices"] == math.factorial(12)
    assert result["diameter"] == 14  # A058986
    assert result["layer_sizes"][1] == 11
    assert result["memory"]["peak_tracked_bytes"] < 6 * 2**30
