"""Doctests are collected from the folders (engines/, workers/, service/): import them once.

The folders install as ``mathdisco.engines``, ``mathdisco.workers`` and
``mathdisco.service`` (pyproject.toml), but pytest imports a file it collects
by its folder's name (``engines.pcf.job``).  Without this finder that would be
a second copy of every module, with classes that are not the installed ones;
with it, ``engines.pcf.job`` *is* the module ``mathdisco.engines.pcf.job``.
Only the test run sees the folder names: nothing is installed under them.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType

FOLDERS = frozenset({"engines", "workers", "service"})


class InstalledNames(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``engines.x`` resolves to the importable ``mathdisco.engines.x``: the same module object."""

    def find_spec(self, fullname: str, path: object, target: object = None):
        if fullname.split(".", 1)[0] in FOLDERS:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec) -> ModuleType:
        return importlib.import_module(f"mathdisco.{spec.name}")

    def exec_module(self, module: ModuleType) -> None:
        """The installed module is executed already."""


sys.meta_path.insert(0, InstalledNames())
