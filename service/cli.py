"""The ``mathdisco`` command line.

    mathdisco run TYPE [--params JSON] [--param k=v ...] [--json]   one job in this process
    mathdisco types [TYPE] [--json]                                 job types and their params
    mathdisco serve [--host H] [--port P] [--log-level L]           API (+ embedded workers)
    mathdisco worker [--queues q1,q2] [--concurrency N]             a Celery worker
    mathdisco submit TYPE [--param k=v ...] [--wait]                submit over HTTP
    mathdisco jobs [--status S] [--type T]                          list jobs
    mathdisco batch FILE [--wait] [--key-salt TEXT]                 cron: submit a file of specs
    mathdisco hash-key [--new] [--name N]                           an API key and its MATHDISCO_API_KEYS entry

``--param k=v`` values are typed by the job type's params schema
(:mod:`mathdisco.service.cli_params`): a string field keeps the text as typed, so
``--param value=1.2020569031595942853997381615114499907650`` keeps every digit.

Errors are one line on stderr and a non-zero exit, never a traceback: 2 for
bad input (unknown type or param, invalid params, a refused request, an
unreachable server), 1 for a job that failed.  ``batch`` exit codes: 0 every
job succeeded (or was accepted, without ``--wait``); 1 some job failed or was
cancelled; 2 the file is bad (nothing is submitted then) or the server
unreachable.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import typer
from typer.core import TyperCommand

from mathdisco.service.cli_batch import batch_key, load_batch, one_line, spec_problems
from mathdisco.service.cli_params import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_LIMITED,
    CliError,
    parse_pairs,
    unknown_type_message,
)
from mathdisco.service.cli_types import type_details, types_overview

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  pretty_exceptions_enable=False, help="mathdisco: mathematical discovery engine")

EXIT_OK = 0

F = TypeVar("F", bound=Callable[..., Any])


def _err(message: str) -> None:
    typer.echo(message, err=True)


def reported(command: F) -> F:
    """Run a command, turning :class:`CliError` into one line on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CliError as exc:
            _err(f"error: {exc.message}")
            raise typer.Exit(exc.code) from None
        except KeyboardInterrupt:
            _err("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


# -- job types from this installation --------------------------------------------------------

def local_catalogue() -> list[dict[str, Any]]:
    """This installation's job types, as ``GET /v1/job-types`` lists them (name, schema, defaults...)."""
    from mathdisco.service.views import job_types_catalogue

    return job_types_catalogue()


class _RunCommand(TyperCommand):
    """``run --help`` ends with the job types and their params (read when help is asked for)."""

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.epilog = "\b\nJob types (mathdisco types TYPE describes each param):\n" + types_overview(
            local_catalogue())
        super().format_help(ctx, formatter)


@app.command()
@reported
def types(
    job_type: str | None = typer.Argument(None, metavar="[TYPE]", help="one job type to describe"),
    as_json: bool = typer.Option(False, "--json", help="print the catalogue as JSON"),
) -> None:
    """List this installation's job types and their params with defaults."""
    catalogue = local_catalogue()
    if job_type is not None:
        entry = next((e for e in catalogue if e["name"] == job_type), None)
        if entry is None:
            raise CliError(unknown_type_message(job_type, (e["name"] for e in catalogue)))
        typer.echo(json.dumps(entry) if as_json else type_details(entry))
        return
    typer.echo(json.dumps(catalogue) if as_json else types_overview(catalogue))


# -- run in this process ---------------------------------------------------------------------

def _params(params_json: str | None, pairs: list[str], schema: dict[str, Any], type_name: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if params_json:
        try:
            loaded = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise CliError(f"--params is not JSON: {exc}") from None
        if not isinstance(loaded, dict):
            raise CliError("--params must be a JSON object")
        params.update(loaded)
    params.update(parse_pairs(pairs, schema, type_name))
    return params


class _ProgressBar:
    """Progress on stderr: a bar redrawn in place on a terminal, else plain lines.

    On a terminal the bar is redrawn at most five times a second.  Elsewhere
    (cron, a pipe, a log file) a carriage-return bar would be one unreadable
    line, so each report is a line of its own -- the first, then at most one
    every ``interval_s`` seconds, and the last -- with the seconds elapsed.
    """

    def __init__(self, stream: Any = None, *, interval_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.clock, self.interval_s = clock, interval_s
        self.started = clock()
        self.last: float | None = None
        self.drawn = False
        self.tty = self.stream.isatty()
        self.final_line = ""

    def __call__(self, done: int, total: int, message: str = "") -> None:
        now = self.clock()
        finished = bool(total) and done >= total
        if self.tty:
            if self.last is not None and now - self.last < 0.2 and not finished:
                return
            width = 30
            filled = int(width * done / total) if total else 0
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
                              f"{message[:60]:<60}")
        else:
            if self.last is not None and now - self.last < self.interval_s and not finished:
                return
            percent = f" ({100 * done / total:.0f}%)" if total else ""
            line = f"progress {done}/{total}{percent} {message[:200]}".rstrip()
            if line == self.final_line:
                return
            self.final_line = line
            self.stream.write(f"[{now - self.started:7.1f} s] {line}\n")
        self.last, self.drawn = now, True
        self.stream.flush()

    def close(self) -> None:
        if self.drawn and self.tty:
            self.stream.write("\n")


@app.command(cls=_RunCommand)
@reported
def run(
    job_type: str = typer.Argument(..., metavar="TYPE", help="job type (see the list below, or `mathdisco types`)"),
    params: str | None = typer.Option(None, "--params", metavar="JSON", help="params as a JSON object"),
    param: list[str] = typer.Option([], "--param", "-p", metavar="KEY=VALUE",
                                    help="one param as key=value, typed by the job type's schema"),
    as_json: bool = typer.Option(False, "--json", help="print the result as one JSON object"),
) -> None:
    """Run one job in this process (progress on stderr) and print a summary of its result.

    The result is checked against the job type's result model and carries its
    provenance, exactly as a job run by the service.
    """
    from mathdisco.engines.contract import Cancelled, ResultContractError
    from mathdisco.service.cli_summary import summary
    from mathdisco.service.errors import DomainError, InvalidParams
    from mathdisco.service.submission import job_type_named, validate_params
    from mathdisco.workers.models import utcnow
    from mathdisco.workers.runner import final_result

    try:  # the service's own lookup and validation (service/submission.py), not a copy
        schema = job_type_named(job_type).params_model.model_json_schema()
        spec, model = validate_params(job_type, _params(params, param, schema, job_type))
    except InvalidParams as exc:
        raise CliError(f"invalid params for {job_type}: {exc.detail}") from None
    except DomainError as exc:
        raise CliError(exc.detail) from None

    from mathdisco.workers.warmup import ensure_warm

    ensure_warm(spec, lambda: _err(f"compiling the kernels of {job_type} "
                                   "(cached on disk after; not counted in the time limit)"))
    bar = _ProgressBar()
    started = utcnow()
    try:
        result = final_result(spec, model, spec.run(model, bar), started=started)
    except Cancelled:
        raise CliError("the job was cancelled", EXIT_FAILED) from None
    except ResultContractError as exc:
        raise CliError(f"the engine's result broke its contract: {exc}", EXIT_FAILED) from None
    except Exception as exc:  # the engine failed: that is the job's outcome, in one line
        raise CliError(f"job failed: {type(exc).__name__}: {exc}".splitlines()[0], EXIT_FAILED) from None
    finally:
        bar.close()
    if as_json:
        sys.stdout.write(json.dumps(result, allow_nan=False) + "\n")
    else:
        typer.echo(summary(spec, result))
    if result.get("limited"):
        _err(f"limited: {result['limited']['reason']}")
        raise typer.Exit(EXIT_LIMITED)


# -- the service -----------------------------------------------------------------------------

@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, help="port to listen on"),
    local_workers: bool = typer.Option(True, help="run embedded workers when no broker is configured"),
    log_level: str = typer.Option("info", help="debug, info, warning or error"),
) -> None:
    """Serve the API, docs and dashboard; with no MATHDISCO_BROKER_URL, also run embedded workers.

    Logs requests and job events to stderr and to DATA_DIR/logs/mathdisco.log (rotated).
    """
    import uvicorn

    from mathdisco.service.app import create_app
    from mathdisco.service.logging_setup import JobEventLog, configure_logging
    from mathdisco.workers.settings import load_settings
    from mathdisco.workers.store import JobStore

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = configure_logging(settings.data_dir, level=log_level)
    shown_host = f"[{host}]" if ":" in host else host
    executor = (f"Celery broker {settings.broker_url}" if settings.uses_celery else
                f"embedded executor, {settings.local_workers} worker processes" if local_workers
                else "no workers (--no-local-workers)")
    _err(f"mathdisco serving on http://{shown_host}:{port} (dashboard /, API /v1, docs /docs)\n"
         f"  data: {settings.data_dir}  store: {_redacted(settings.database_url)}\n"
         f"  jobs: {executor}\n"
         f"  log:  {log_path}")
    events = JobEventLog(JobStore(settings.database_url)).start()
    try:
        uvicorn.run(create_app(settings, local_workers=local_workers), host=host, port=port,
                    log_config=None, log_level=log_level)
    finally:
        events.stop()


def _redacted(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


@app.command()
def worker(
    queues: str = typer.Option("default,heavy", help="comma-separated queues to consume"),
    concurrency: int = typer.Option(1, min=1, max=256, help="worker processes"),
    hostname: str | None = typer.Option(None, help="Celery node name"),
) -> None:
    """A Celery worker (needs MATHDISCO_BROKER_URL); without a broker, a local store-polling worker."""
    from mathdisco.workers.settings import load_settings

    settings = load_settings()
    if not settings.uses_celery:
        from mathdisco.workers.local import worker_loop

        _err("no MATHDISCO_BROKER_URL: polling the job store for queued jobs")
        worker_loop()
        return
    from mathdisco.workers.celery_app import celery_app

    argv = ["worker", "--loglevel=INFO", f"--queues={queues}", f"--concurrency={concurrency}",
            "--pool=prefork", "--without-gossip", "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    celery_app().worker_main(argv)


@app.command("hash-key")
@reported
def hash_key_command(
    name: str = typer.Option("default", help="the key's name (becomes the owner of its jobs)"),
    new: bool = typer.Option(False, "--new", help="generate a fresh random key"),
) -> None:
    """Print a MATHDISCO_API_KEYS entry (name:sha256) for a key read from stdin, or for a --new one."""
    from mathdisco.service.auth import hash_key, new_key

    if new:
        key = new_key()
        _err(f"key (give it to the client, it is not stored): {key}")
    else:
        key = sys.stdin.readline().strip()
        if not key:
            raise CliError("give the key on stdin, or use --new")
    typer.echo(f"{name}:{hash_key(key)}")


# -- over HTTP -------------------------------------------------------------------------------

def _api(url: str | None):
    """A client of ``url``, or of the configured server (``MATHDISCO_URL``), with the configured key."""
    from mathdisco.service.cli_client import Api
    from mathdisco.workers.settings import load_settings

    settings = load_settings()
    return Api(url or settings.server_url, api_key=settings.api_key)


@app.command()
@reported
def submit(
    job_type: str = typer.Argument(..., metavar="TYPE", help="a job type the server offers (GET /v1/job-types)"),
    params: str | None = typer.Option(None, "--params", metavar="JSON", help="params as a JSON object"),
    param: list[str] = typer.Option([], "--param", "-p", metavar="KEY=VALUE",
                                    help="one param as key=value, typed by the schema"),
    wait: bool = typer.Option(False, "--wait", help="wait for the job and print its result"),
    timeout: float = typer.Option(3600, help="seconds to wait at most"),
    url: str | None = typer.Option(None, help="the server (default: MATHDISCO_URL, else http://127.0.0.1:8000)"),
) -> None:
    """Submit a job over HTTP and print it as JSON (with --wait: its final state and result)."""
    with _api(url) as api:
        entry = api.job_type(job_type)
        body = {"type": job_type, "params": _params(params, param, entry["schema"], job_type)}
        job = api.request("POST", "/v1/jobs", json=body)
        if wait:
            job = api.wait(job["id"], timeout)
            if job["status"] == "succeeded":
                job["result"] = api.request("GET", f"/v1/jobs/{job['id']}/result")
    typer.echo(json.dumps(job))
    if wait and job["status"] != "succeeded":
        raise typer.Exit(EXIT_FAILED)
    if wait and job.get("limited"):
        _err(f"limited: {job['limited']['reason']}")
        raise typer.Exit(EXIT_LIMITED)


@app.command()
@reported
def jobs(
    status: str | None = typer.Option(None, help="queued, running, succeeded, failed or cancelled"),
    job_type: str | None = typer.Option(None, "--type", help="a job type"),
    limit: int = typer.Option(20, min=1, max=500),
    url: str | None = typer.Option(None, help="the server (default: MATHDISCO_URL, else http://127.0.0.1:8000)"),
) -> None:
    """List recent jobs, newest first, one JSON object per line."""
    with _api(url) as api:
        if job_type is not None:
            api.job_type(job_type)  # an unknown type is an error, not an empty list
        query = {k: v for k, v in {"status": status, "type": job_type, "limit": limit}.items() if v}
        for job in api.request("GET", "/v1/jobs", params=query)["items"]:
            typer.echo(json.dumps({k: job[k] for k in ("id", "type", "status", "created_at", "error")}))


@app.command()
@reported
def batch(
    file: Path = typer.Argument(..., metavar="FILE", help="YAML or JSON file of job specs"),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="wait for every job to finish"),
    timeout: float = typer.Option(3600, help="seconds to wait at most"),
    key_salt: str = typer.Option("", "--key-salt", help="salt of the idempotency keys, e.g. $(date +%F)"),
    url: str | None = typer.Option(None, help="the server (default: MATHDISCO_URL, else http://127.0.0.1:8000)"),
) -> None:
    """Validate every spec in FILE, then submit them (idempotently), wait, print JSON Lines.

    Nothing is submitted when any spec is bad (each is named on stderr; exit
    2).  Exit 0 every job succeeded, 1 some failed, 2 bad file or server, 3 every
    job succeeded but a limit stopped some early (each named on stderr).
    """
    try:
        specs = load_batch(file)
    except Exception as exc:
        raise CliError(f"bad batch file {file}: {one_line(exc)}") from None
    submitted: list[dict[str, Any]] = []
    code, limited = EXIT_OK, 0
    with _api(url) as api:
        catalogue = api.job_types()
        bad = [(i, spec, problems) for i, spec in enumerate(specs)
               if (problems := spec_problems(spec, catalogue))]
        for index, spec, problems in bad:
            _err(f"error: {file} spec {index} ({spec['type']}): {'; '.join(problems)}")
        if bad:
            raise CliError(f"{len(bad)} of {len(specs)} specs in {file} are invalid; nothing submitted")
        for index, spec in enumerate(specs):
            try:
                job = api.request("POST", "/v1/jobs",
                                  json={"type": spec["type"], "params": spec.get("params", {})},
                                  headers={"Idempotency-Key": batch_key(file, index, spec, key_salt)})
            except CliError as exc:
                if exc.message.startswith("cannot reach"):
                    raise
                _err(f"error: {file} spec {index} ({spec['type']}) refused: {exc.message}")
                typer.echo(json.dumps({"index": index, "type": spec["type"], "status": "rejected",
                                       "error": exc.message}))
                code = EXIT_BAD_INPUT
                continue
            submitted.append({"index": index, **job})
        deadline = time.monotonic() + timeout
        for job in submitted:
            if wait:
                job = {"index": job["index"], **api.wait(job["id"], max(0.0, deadline - time.monotonic()))}
                if job["status"] != "succeeded":
                    code = max(code, EXIT_FAILED)
                elif job.get("limited"):
                    limited += 1
                    _err(f"limited: {file} spec {job['index']} ({job['type']}): "
                         f"{job['limited']['reason']}")
            typer.echo(json.dumps({k: job.get(k) for k in
                                   ("index", "id", "type", "status", "limited", "error")}))
    raise typer.Exit(EXIT_LIMITED if code == EXIT_OK and limited else code)


if __name__ == "__main__":  # pragma: no cover
    app()
