"""The ``mathdisco`` command line.

    mathdisco run TYPE --params JSON [--param k=v ...] [--json]   one job in this process
    mathdisco serve [--host H] [--port P]                         API (+ embedded workers)
    mathdisco worker [--queues q1,q2] [--concurrency N]           a Celery worker
    mathdisco submit TYPE [--param k=v ...] [--wait]              submit over HTTP
    mathdisco jobs [--status S] [--type T]                        list jobs
    mathdisco batch FILE [--wait]                                 cron: submit a file of specs
    mathdisco hash-key [--new] [--name N]                         an API key and its MATHDISCO_API_KEYS entry

``batch`` exit codes: 0 every job succeeded (or was accepted, without
``--wait``); 1 some job failed or was cancelled; 2 the file is bad or the
server unreachable.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help="mathdisco: mathematical discovery engine")

DEFAULT_URL = os.environ.get("MATHDISCO_URL", "http://127.0.0.1:8000")
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _collect_params(params_json: str | None, pairs: list[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if params_json:
        loaded = json.loads(params_json)
        if not isinstance(loaded, dict):
            raise typer.BadParameter("--params must be a JSON object")
        params.update(loaded)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise typer.BadParameter(f"--param expects key=value, got {pair!r}")
        params[key.strip()] = _parse_value(value)
    return params


@app.command()
def run(
    job_type: str = typer.Argument(..., help="job type, e.g. identify, esma, cayley_growth"),
    params: str | None = typer.Option(None, "--params", help="params as a JSON object"),
    param: list[str] = typer.Option([], "--param", "-p", help="one param as key=value (value JSON or text)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object"),
) -> None:
    """Run one job in this process, with progress on stderr, and print the result."""
    from pydantic import ValidationError

    from engines.registry import job_types

    types = job_types()
    if job_type not in types:
        _err(f"unknown job type {job_type!r}; known: {', '.join(sorted(types))}")
        raise typer.Exit(EXIT_BAD_INPUT)
    spec = types[job_type]
    if missing := spec.missing_requirements():
        _err(f"job type {job_type!r} needs {missing}: pip install 'mathdisco[{spec.extra}]'")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        model = spec.validate(_collect_params(params, param))
    except (ValidationError, json.JSONDecodeError, typer.BadParameter) as exc:
        _err(f"invalid params: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None

    last = [0.0]

    def progress(done: int, total: int, message: str = "") -> None:
        now = time.monotonic()
        if now - last[0] < 0.2 and done < total:
            return
        last[0] = now
        width = 30
        filled = int(width * done / total) if total else 0
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {message[:60]:<60}")
        sys.stderr.flush()

    result = spec.run(model, progress)
    sys.stderr.write("\n")
    if as_json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        typer.echo(json.dumps(result, indent=2, allow_nan=False))


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    local_workers: bool = typer.Option(True, help="run embedded workers when no broker is configured"),
) -> None:
    """Serve the API and dashboard; with no MATHDISCO_BROKER_URL, also run embedded workers."""
    import uvicorn

    from service.app import create_app

    uvicorn.run(create_app(local_workers=local_workers), host=host, port=port, log_level="warning")


@app.command()
def worker(
    queues: str = typer.Option("default,heavy", help="comma-separated queues to consume"),
    concurrency: int = typer.Option(1, min=1, max=256, help="worker processes"),
    hostname: str | None = typer.Option(None, help="Celery node name"),
) -> None:
    """A Celery worker (needs MATHDISCO_BROKER_URL); without a broker, a local store-polling worker."""
    from workers.settings import load_settings

    settings = load_settings()
    if not settings.uses_celery:
        from workers.local import worker_loop

        _err("no MATHDISCO_BROKER_URL: polling the job store for queued jobs")
        worker_loop()
        return
    from workers.celery_app import celery_app

    argv = ["worker", "--loglevel=INFO", f"--queues={queues}", f"--concurrency={concurrency}",
            "--pool=prefork", "--without-gossip", "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    celery_app().worker_main(argv)


@app.command("hash-key")
def hash_key_command(
    name: str = typer.Option("default", help="the key's name (becomes the owner of its jobs)"),
    new: bool = typer.Option(False, "--new", help="generate a fresh random key"),
) -> None:
    """Print a MATHDISCO_API_KEYS entry (name:sha256) for a key read from stdin, or for a --new one."""
    from service.auth import hash_key, new_key

    if new:
        key = new_key()
        _err(f"key (give it to the client, it is not stored): {key}")
    else:
        key = sys.stdin.readline().strip()
        if not key:
            _err("give the key on stdin, or use --new")
            raise typer.Exit(EXIT_BAD_INPUT)
    typer.echo(f"{name}:{hash_key(key)}")


def _client(url: str):
    import httpx

    key = os.environ.get("MATHDISCO_API_KEY")  # sent when the server has MATHDISCO_API_KEYS set
    return httpx.Client(base_url=url, timeout=30, headers={"X-API-Key": key} if key else None)


def _wait(client: Any, job_id: str, timeout_s: float) -> dict[str, Any]:
    deadline, delay = time.monotonic() + timeout_s, 0.2
    while True:
        job = client.get(f"/v1/jobs/{job_id}").raise_for_status().json()
        if job["status"] in {"succeeded", "failed", "cancelled"} or time.monotonic() > deadline:
            return job
        time.sleep(delay)
        delay = min(delay * 1.5, 5.0)


@app.command()
def submit(
    job_type: str = typer.Argument(...),
    params: str | None = typer.Option(None, "--params", help="params as a JSON object"),
    param: list[str] = typer.Option([], "--param", "-p", help="one param as key=value"),
    wait: bool = typer.Option(False, "--wait", help="wait for the job and print its result"),
    timeout: float = typer.Option(3600, help="seconds to wait at most"),
    url: str = typer.Option(DEFAULT_URL, envvar="MATHDISCO_URL"),
) -> None:
    """Submit a job over HTTP and print it (with --wait: its final state and result)."""
    import httpx

    try:
        with _client(url) as client:
            response = client.post("/v1/jobs", json={"type": job_type, "params": _collect_params(params, param)})
            if response.status_code >= 400:
                _err(response.text)
                raise typer.Exit(EXIT_BAD_INPUT)
            job = response.json()
            if wait:
                job = _wait(client, job["id"], timeout)
                if job["status"] == "succeeded":
                    job["result"] = client.get(f"/v1/jobs/{job['id']}/result").json()
    except httpx.HTTPError as exc:
        _err(f"server unreachable at {url}: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(json.dumps(job))
    if wait and job["status"] != "succeeded":
        raise typer.Exit(EXIT_FAILED)


@app.command()
def jobs(
    status: str | None = typer.Option(None),
    job_type: str | None = typer.Option(None, "--type"),
    limit: int = typer.Option(20),
    url: str = typer.Option(DEFAULT_URL, envvar="MATHDISCO_URL"),
) -> None:
    """List recent jobs, one JSON object per line."""
    query = {k: v for k, v in {"status": status, "type": job_type, "limit": limit}.items() if v}
    with _client(url) as client:
        for job in client.get("/v1/jobs", params=query).raise_for_status().json()["items"]:
            typer.echo(json.dumps({k: job[k] for k in ("id", "type", "status", "created_at", "error")}))


def load_batch(path: Path) -> list[dict[str, Any]]:
    """Job specs from a YAML or JSON file: a list of {type, params}, or {jobs: [...]}."""
    import yaml

    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if isinstance(data, dict) and "jobs" in data:
        data = data["jobs"]
    if not isinstance(data, list) or not data:
        raise ValueError("the file must hold a non-empty list of job specs (or {jobs: [...]})")
    for i, spec in enumerate(data):
        if not isinstance(spec, dict) or "type" not in spec or not isinstance(spec.get("params", {}), dict):
            raise ValueError(f"spec {i} must be a mapping with 'type' and optional 'params'")
        if set(spec) - {"type", "params"}:
            raise ValueError(f"spec {i} has unknown keys {sorted(set(spec) - {'type', 'params'})}")
    return data


def batch_key(path: Path, index: int, spec: dict[str, Any]) -> str:
    """A deterministic idempotency key: re-running the same file resubmits nothing."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return "batch-" + hashlib.sha256(f"{path.name}\0{index}\0{canonical}".encode()).hexdigest()[:40]


@app.command()
def batch(
    file: Path = typer.Argument(..., help="YAML or JSON file of job specs"),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="wait for every job to finish"),
    timeout: float = typer.Option(3600, help="seconds to wait at most"),
    url: str = typer.Option(DEFAULT_URL, envvar="MATHDISCO_URL"),
) -> None:
    """Submit every spec in FILE (idempotently), wait, print JSON Lines; exit 0 ok / 1 failures / 2 bad file or server."""
    import httpx

    try:
        specs = load_batch(file)
    except Exception as exc:
        _err(f"bad batch file {file}: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    submitted: list[dict[str, Any]] = []
    code = EXIT_OK
    try:
        with _client(url) as client:
            for index, spec in enumerate(specs):
                response = client.post("/v1/jobs", json={"type": spec["type"], "params": spec.get("params", {})},
                                       headers={"Idempotency-Key": batch_key(file, index, spec)})
                if response.status_code >= 400:
                    typer.echo(json.dumps({"index": index, "type": spec["type"], "status": "rejected",
                                           "error": response.json()}))
                    code = EXIT_BAD_INPUT
                    continue
                submitted.append({"index": index, **response.json()})
            deadline = time.monotonic() + timeout
            for job in submitted:
                if wait:
                    job = {"index": job["index"],
                           **_wait(client, job["id"], max(0.0, deadline - time.monotonic()))}
                    if job["status"] != "succeeded":
                        code = max(code, EXIT_FAILED)
                typer.echo(json.dumps({k: job.get(k) for k in ("index", "id", "type", "status", "error")}))
    except httpx.HTTPError as exc:
        _err(f"server unreachable at {url}: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    raise typer.Exit(code)


if __name__ == "__main__":  # pragma: no cover
    app()
