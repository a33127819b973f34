"""The command line: typed params, one-line errors, summaries, `types`, `batch` validation and salts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.service.conftest import base_env, free_port

APERY = "1.2020569031595942853997381615114499907650"  # zeta(3), 41 significant digits


def cli(*args: str, env: dict[str, str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mathdisco.service.cli", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line_error(out: subprocess.CompletedProcess, *words: str) -> str:
    """The command failed with exit 2 and said why on one stderr line, naming ``words``."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def test_run_prints_one_json_object_with_provenance(tmp_path: Path) -> None:
    out = cli("run", "identify", "--params", '{"value": "0.78539816339744830961566084581988"}', "--json",
              env=base_env(tmp_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["expression"] == "pi/4"
    assert result["provenance"]["job_type"] == "identify"  # finished as the runner does
    assert result["provenance"]["params"]["value"] == "0.78539816339744830961566084581988"
    bad = cli("run", "identify", "--params", '{"value": "x"}', "--json", env=base_env(tmp_path))
    one_line_error(bad, "invalid params for identify", "value")


def test_param_values_are_typed_by_the_schema(tmp_path: Path) -> None:
    """A string field keeps every digit; a list field takes comma-separated items."""
    out = cli("run", "identify", "--param", f"value={APERY}", "--param", "constants=zeta3,pi", "--json",
              env=base_env(tmp_path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["value"] == APERY
    assert result["provenance"]["params"]["constants"] == ["zeta3", "pi"]
    assert result["expression"] == "zeta(3)" and result["verified_digits"] >= 35
    exact = cli("run", "psi_exact", "-p", "genus=2", "-p", "insertions=2,3", "--json", env=base_env(tmp_path))
    assert json.loads(exact.stdout)["value"] == "29/5760", exact.stderr


def test_run_without_json_prints_a_readable_summary(tmp_path: Path) -> None:
    out = cli("run", "cayley_growth", "-p", "family=lrx", "-p", "n=6", env=base_env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert not out.stdout.lstrip().startswith("{")
    assert "provenance" not in out.stdout
    # the growth sequence of LRX(6) and its diameter, as text
    assert "1, 3, 6, 11, 20, 35" in out.stdout
    assert "15" in out.stdout


def test_errors_are_one_line_with_a_suggestion(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    one_line_error(cli("run", "idenitfy", "-p", "value=1.5", env=env), "unknown job type", "'identify'")
    one_line_error(cli("run", "identify", "-p", "valeu=1.5", env=env), "unknown param 'valeu'", "'value'")
    one_line_error(cli("run", "identify", "-p", "value", env=env), "key=value")
    one_line_error(cli("run", "identify", "--params", "{not json", env=env), "--params")
    one_line_error(cli("types", "esmaa", env=env), "did you mean 'esma'")
    unreachable = dict(env, MATHDISCO_URL=f"http://127.0.0.1:{free_port()}")
    for command in (["jobs"], ["submit", "identify", "-p", "value=1.5"], ["jobs", "--status", "running"]):
        one_line_error(cli(*command, env=unreachable), "cannot reach the mathdisco server")


def test_types_and_run_help_list_params_with_defaults(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    listing = cli("types", env=env)
    assert listing.returncode == 0, listing.stderr
    assert "identify:" in listing.stdout and "max_coeff=10000" in listing.stdout
    assert "genus (required)" in listing.stdout
    details = cli("types", "sr_neural", env=env).stdout
    assert "time_limit_s" in details and "default 60.0" in details
    catalogue = json.loads(cli("types", "--json", env=env).stdout)
    assert {e["name"] for e in catalogue} >= {"identify", "esma", "psi_exact", "sr_neural"}
    helped = cli("run", "--help", env=env)
    assert helped.returncode == 0
    assert "psi_exact:" in helped.stdout and "genus (required)" in helped.stdout
    assert "max_coeff=10000" in helped.stdout


def test_http_commands_report_refusals_and_validate_batches(server_factory, tmp_path: Path) -> None:
    server = server_factory().start()
    env = base_env(tmp_path / "client", MATHDISCO_URL=server.url)

    # the server's 422 detail, in one line; an unknown --type is an error, not an empty list
    one_line_error(cli("jobs", "--status", "runing", env=env), "HTTP 422", "status")
    one_line_error(cli("jobs", "--type", "esmaa", env=env), "unknown job type 'esmaa'", "'esma'")

    # submit types params by the server's schema: the digits arrive intact
    submitted = cli("submit", "identify", "-p", f"value={APERY}", "--wait", env=env)
    assert submitted.returncode == 0, submitted.stderr
    job = json.loads(submitted.stdout)
    assert job["params"]["value"] == APERY and job["result"]["expression"] == "zeta(3)"
    one_line_error(cli("submit", "identiy", "-p", "value=1.5", env=env), "'identify'")

    # a batch with bad specs submits nothing and names each bad one
    with server.client() as client:
        before = len(client.get("/v1/jobs", params={"limit": 500}).json()["items"])
    mixed = tmp_path / "mixed.yaml"
    mixed.write_text("- type: identify\n  params: {value: '1.3591409142295226176801437356763'}\n"
                     "- type: esmaa\n  params: {constant: e}\n"
                     "- type: psi_exact\n  params: {genus: 0, insertions: [0]}\n"
                     "- type: identify\n  params: {value: '1.5', max_coef: 3}\n")
    refused = cli("batch", str(mixed), env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert "spec 1 (esmaa)" in refused.stderr and "did you mean 'esma'" in refused.stderr
    assert "spec 2 (psi_exact)" in refused.stderr  # M_{0,1} does not exist: the model's own rule
    assert "spec 3 (identify)" in refused.stderr and "'max_coeff'" in refused.stderr
    assert "spec 0" not in refused.stderr and "nothing submitted" in refused.stderr
    assert refused.stdout == ""
    with server.client() as client:
        assert len(client.get("/v1/jobs", params={"limit": 500}).json()["items"]) == before

    # --key-salt: the same salt resubmits nothing, a new salt (tomorrow) recomputes
    nightly = tmp_path / "nightly.yaml"
    nightly.write_text("- type: identify\n  params: {value: '1.3591409142295226176801437356763'}\n")

    def ids(*extra: str) -> list[str]:
        out = cli("batch", str(nightly), *extra, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        return [json.loads(line)["id"] for line in out.stdout.splitlines()]

    monday = ids("--key-salt", "2026-12-07")
    assert ids("--key-salt", "2026-12-07") == monday
    tuesday = ids("--key-salt", "2026-12-08")
    assert tuesday != monday
    assert ids() not in (monday, tuesday)  # no salt: the keys of earlier versions


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
    one_line_error(cli("batch", str(broken), env=env), "bad batch file")
    unreachable = dict(env, MATHDISCO_URL=f"http://127.0.0.1:{free_port()}")
    one_line_error(cli("batch", str(good), env=unreachable), "cannot reach")
