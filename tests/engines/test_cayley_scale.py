"""Scale runs of cayley_growth (slow: minutes to an hour each; run with ``-m slow -s``).

Exact growth of S_12 (479,001,600 vertices) for LRX and pancake, and of S_13
(6,227,020,800 vertices) for LRX, checked against the reference (cayley.md
Sections 2.2 and 3.5, OEIS A186783 and A058986): diameter n(n-1)/2 and the
unique antipode (2, 1, n, n-1, ..., 3).  The figures printed go into
docs/benchmarks.md.
"""

from __future__ import annotations

import math
import os
import time

import pytest

from mathdisco.engines.cayley.job import GrowthParams, run_growth

pytestmark = [pytest.mark.slow, pytest.mark.timeout(4 * 3600)]


def _printer(name):
    def progress(done, total, message=""):
        if "done" in message or message.startswith(("finished", "stopped")):
            print(f"{name} [{time.strftime('%H:%M:%S')}] {done:,}/{total:,} {message}", flush=True)

    return progress


def _report(name, result, started):
    print(f"\n{name}: {time.perf_counter() - started:.1f} s wall, {result['algorithm']}, "
          f"memory {result['memory']}, load average {os.getloadavg()}")
    print(f"{name} layer sizes: {result['layer_sizes']}")
    print(f"{name} last layer: {result['last_layer']}")


def test_lrx_12():
    started = time.perf_counter()
    result = run_growth(GrowthParams(family="lrx", n=12))
    _report("lrx 12", result, started)
    assert result["num_vertices"] == math.factorial(12)
    assert result["diameter"] == 66  # n(n-1)/2, A186783
    assert result["last_layer"] == [[1, 0, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2]]
    assert result["memory"]["peak_tracked_bytes"] < 4 * 2**30


def test_pancake_12():
    started = time.perf_counter()
    result = run_growth(GrowthParams(family="pancake", n=12))
    _report("pancake 12", result, started)
    assert result["num_vertices"] == math.factorial(12)
    assert result["diameter"] == 14  # A058986
    assert result["layer_sizes"][1] == 11
    assert result["memory"]["peak_tracked_bytes"] < 6 * 2**30


def test_lrx_13_within_4_gb():
    # the lists of a frontier would need ~32 GB: the three-bitset variant holds 3 x 13!/8 bytes
    started = time.perf_counter()
    result = run_growth(GrowthParams(family="lrx", n=13, memory_budget_gib=3.7, threads=2),
                        _printer("lrx 13"))
    _report("lrx 13", result, started)
    assert result["algorithm"] == "rank_bitset_frontier"
    assert result["num_vertices"] == math.factorial(13) and result["bfs_completed"]
    assert result["diameter"] == 78  # n(n-1)/2
    assert result["last_layer"] == [[1, 0] + list(range(12, 1, -1))]
    assert result["memory"]["peak_rss_bytes"] < 4 * 10**9
