"""README.md describes the command line and the configuration as they are (issue 16)."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from mathdisco.service.cli import app

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(title)
    following = README.find("\n## ", start + len(title))
    return README[start:following if following > 0 else None]


def test_every_command_is_documented_and_every_documented_command_exists() -> None:
    commands = set(typer.main.get_command(app).commands)
    text = _section("### Command line")
    documented = set(re.findall(r"^\s+mathdisco ([a-z-]+)", text, flags=re.MULTILINE))
    assert documented == commands
    for option in ("--key-salt", "--param", "--json", "--log-level"):
        assert option in text


def test_every_setting_is_in_the_configuration_table() -> None:
    read = set()
    for path in [*(ROOT / "workers").glob("*.py"), *(ROOT / "service").glob("*.py")]:
        read |= set(re.findall(r"\"(MATHDISCO_[A-Z_]+)\"", path.read_text()))
    read -= {"MATHDISCO_ENABLE_TEST_JOBS"}  # diagnostics for the service's own tests
    table = _section("## Configuration")
    missing = sorted(v for v in read if f"`{v}`" not in table)
    assert missing == []
    assert "mathdisco hash-key --new" in table and "MATHDISCO_API_KEYS" in table


def _commands(section: str) -> list[str]:
    return [line.strip() for line in section.splitlines() if line.startswith("    pip install")]


def test_ci_runs_the_readme_test_command_from_the_lock_in_a_fresh_venv() -> None:
    install, test = _commands(_section("## Set-up: two commands"))
    assert "-c requirements.lock.txt" in install and "-c requirements.lock.txt" in test
    ci = (ROOT / ".ci" / "run").read_text()
    assert test in ci
    assert ci.index("python3 -m venv") < ci.index(test)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-c requirements.lock.txt" in dockerfile


def test_the_lock_pins_every_dependency_exactly() -> None:
    lines = [line.split("#")[0].strip() for line in
             (ROOT / "requirements.lock.txt").read_text().splitlines()]
    pins = [line for line in lines if line and not line.startswith("-")]
    assert pins and all(re.fullmatch(r"[A-Za-z0-9._-]+==[^\s=<>~!]+", p) for p in pins), pins
    names = {p.split("==")[0].lower().replace("_", "-") for p in pins}
    assert {"pydantic", "numba", "fastapi", "celery", "sympy", "torch", "pytest-xdist"} <= names
    assert not any(line.startswith(("--index-url", "--extra-index-url", "--find-links"))
                   for line in lines), "the lock must not name this machine's package sources"


def test_the_job_type_table_lists_every_registered_type() -> None:
    from mathdisco.engines.registry import ENGINE_MODULES, _load

    start = README.index("| job type |")
    table = README[start:README.index("\n\n", start)]
    first_cells = [row.split("|")[1] for row in table.splitlines()[2:]]
    documented = {name for cell in first_cells for name in re.findall(r"`([a-z_]+)`", cell)}
    registered = set(_load(False))  # without the diagnostic types of the service's own tests
    assert registered and len(ENGINE_MODULES) > 1
    assert sorted(registered - documented) == []
    assert sorted(documented - registered) == []
