"""How fast POST /v1/jobs answers hostile and random expressions (in process, no network).

    python bench/refusal_latency.py [--random 300] [--seed 0]

The fuzz tests (tests/service/test_fuzz.py) check that every such body is
answered with a 202 or a 422 and never a 500; how fast the answer comes is
this benchmark's figure, not a test: a timed assertion fails at random on a
loaded machine.  Prints one JSON object: for the hostile list and for random
texts, the count and the median, p99 and max seconds per request (after one
warm-up request per field, which pays the engines' first import); and the CPU
seconds ``parse_expression`` spends refusing each pathological input of
tests/engines/test_numerics_expressions.py (the caps are checked before the
work they bound).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from mathdisco.engines.numerics.expressions import ExpressionError, parse_expression  # noqa: E402
from tests.service.test_fuzz import ALPHABET, HOSTILE, TOKENS, esma, sr_target  # noqa: E402

PATHOLOGICAL = ["9**9**9**9", "2**2**2**2**2**2", "(" * 10_000, "1" * 100_000, "gamma(10**400)",
                "((10**99)**10)**10", "exp(" * 2000 + "1" + ")" * 2000]


def timings(client: TestClient, texts: list[str]) -> list[float]:
    out = []
    for text in texts:
        for make in (esma, sr_target):
            start = time.perf_counter()
            response = client.post("/v1/jobs", json=make(text))
            out.append(time.perf_counter() - start)
            if response.status_code >= 500:
                raise SystemExit(f"500 for {text!r}: {response.text[:200]}")
    return out


def parse_cpu_seconds(texts: list[str], repeat: int = 20) -> dict[str, float]:
    """The largest CPU time (best of ``repeat``) parse_expression takes to refuse each text."""
    out = {}
    for text in texts:
        best = float("inf")
        for _ in range(repeat):
            start = time.process_time()
            try:
                parse_expression(text)
            except ExpressionError:
                pass
            best = min(best, time.process_time() - start)
        out[text[:24]] = round(best, 6)
    return out


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"count": len(ordered), "median_s": round(statistics.median(ordered), 4),
            "p99_s": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 4),
            "max_s": round(ordered[-1], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=300, help="random texts to send")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    randoms = []
    for _ in range(args.random):
        if rng.random() < 0.5:
            randoms.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 300))))
        else:
            randoms.append("".join(rng.choice(TOKENS) for _ in range(rng.randint(0, 80))))
    with tempfile.TemporaryDirectory() as data_dir:
        for name in ("MATHDISCO_DATABASE_URL", "MATHDISCO_BROKER_URL", "MATHDISCO_API_KEYS",
                     "MATHDISCO_RATE_LIMIT"):
            os.environ.pop(name, None)
        os.environ["MATHDISCO_DATA_DIR"] = data_dir
        from mathdisco.service.app import create_app
        from mathdisco.workers.settings import load_settings

        with TestClient(create_app(load_settings(), local_workers=False)) as client:
            timings(client, ["e"])  # first import of the engines
            figures = {"hostile": summary(timings(client, HOSTILE)),
                       "random": summary(timings(client, randoms)),
                       "parse_refusal_cpu_s": parse_cpu_seconds(PATHOLOGICAL),
                       "load_average": os.getloadavg()}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
