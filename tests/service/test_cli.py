"""The command line: `run --json` and the documented `batch` exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.service.conftest import base_env, free_port


def cli(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_run_prints_one_json_object(tmp_path: Path) -> None:
    out = cli("run", "identify", "--params", '{"value": "0.78539816339744830961566084581988"}', "--json",
              env=base_env(tmp_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["expression"] == "pi/4"
    bad = cli("run", "identify", "--params", '{"value": "x"}', "--json", env=base_env(tmp_path))
    assert bad.returncode == 2 and "value" in bad.stderr


def test_batch_exit_codes(server_factory, tmp_path: Path) -> None:
    server = server_factory().start()
    env = base_env(tmp_path / "client", MATHDISCO_URL=server.url)
    good = tmp_path / "good.yaml"
    good.write_text("- type: identify\n  params: {value: '1.3591409142295226176801437356763'}\n"
                    "- type: sleep\n  params: {seconds: 0.2}\n")
    first = cli("batch", str(good), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["succeeded", "succeeded"]
    # re-running the same file for cron submits nothing new: same jobs by idempotency key
    again = cli("batch", str(good), env=env)
    assert [json.loads(line)["id"] for line in again.stdout.splitlines()] == [line["id"] for line in lines]

    failing = tmp_path / "failing.json"
    failing.write_text(json.dumps([{"type": "crash", "params": {"delay_s": 0}}]))
    crashed = cli("batch", str(failing), env=env, timeout=300)
    assert crashed.returncode == 1, crashed.stdout + crashed.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text("not: [a, list")
    assert cli("batch", str(broken), env=env).returncode == 2
    unreachable = dict(env, MATHDISCO_URL=f"http://127.0.0.1:{free_port()}")
    assert cli("batch", str(good), env=unreachable).returncode == 2
