"""Seconds from a cancel request to `cancelled`, per engine type, on a real embedded `mathdisco serve`.

The tests check that every engine stops when asked (tests/service/test_faults_cancel.py);
how fast is measured here, with the same long-running params.

    python bench/cancel_latency.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.service.conftest import Server, base_env, wait_for  # noqa: E402
from tests.service.test_faults_cancel import LONG_RUNNING  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(base_env(Path(tmp) / "data", MATHDISCO_LOCAL_WORKERS="2"),
                        Path(tmp) / "serve.log").start()
        try:
            with server.client() as client:
                print(f"{'job type':<20} {'median s':>9} {'max s':>7}")
                for job_type, params in sorted(LONG_RUNNING.items()):
                    took = []
                    for _ in range(args.repeat):
                        job = client.post("/v1/jobs", json={"type": job_type, "params": params}).json()
                        wait_for(client, job["id"], {"running"}, timeout=120)
                        time.sleep(1.0)
                        asked = time.monotonic()
                        client.post(f"/v1/jobs/{job['id']}/cancel")
                        wait_for(client, job["id"], timeout=120)
                        took.append(time.monotonic() - asked)
                    print(f"{job_type:<20} {statistics.median(took):>9.2f} {max(took):>7.2f}")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
