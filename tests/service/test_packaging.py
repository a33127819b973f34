"""One installed name: `mathdisco`, and the layers import one way (docs/design.md, "Layout")."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"engines": "mathdisco.engines", "workers": "mathdisco.workers",
           "service": "mathdisco.service", "mathdisco": "mathdisco"}


def _packages_on_disk() -> set[str]:
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *parts)))
    return found


def test_pyproject_lists_every_package_under_the_one_name() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(config["packages"]) == _packages_on_disk()
    assert config["package-dir"] == {name: folder for folder, name in FOLDERS.items()}


def test_the_wheel_installs_nothing_but_mathdisco(tmp_path: Path) -> None:
    source = tmp_path / "source"  # pip builds in the tree it is given: a copy leaves the clone clean
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
                    str(source)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"mathdisco", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}
    assert "mathdisco/service/templates/base.html" in names
    assert "mathdisco/engines/pcf/job.py" in names


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    return names


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("engines", ("mathdisco.workers", "mathdisco.service", "engines", "workers", "service")),
    ("workers", ("mathdisco.service", "engines", "workers", "service")),
    ("service", ("engines", "workers", "service")),
])
def test_layers_import_one_way_by_the_installed_name(folder: str, forbidden: tuple[str, ...]) -> None:
    """service -> workers -> engines, never back; and never by a folder name, which is not installed."""
    bad = []
    for path in (ROOT / folder).rglob("*.py"):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)}: {name}")
    assert bad == []
