"""The domain speaks no HTTP: its refusals are typed, and mapped to statuses in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mathdisco.service import errors
from mathdisco.service.problems import STATUS_OF, status_of

SERVICE = Path(__file__).resolve().parents[2] / "service"
#: modules holding the rules (submission, quotas, callbacks, views): no web framework in them
DOMAIN_MODULES = ("submission.py", "errors.py", "limits.py", "callbacks.py", "views.py")


@pytest.mark.parametrize("module", DOMAIN_MODULES)
def test_domain_modules_import_no_web_framework(module: str) -> None:
    tree = ast.parse((SERVICE / module).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    web = sorted(name for name in imported if name.split(".")[0] in {"fastapi", "starlette"})
    assert web == [], f"{module} imports {web}"
    assert "Problem" not in (SERVICE / module).read_text()


def test_every_kind_of_refusal_has_one_status() -> None:
    kinds = [getattr(errors, name) for name in errors.__all__]
    domain = [k for k in kinds if isinstance(k, type) and issubclass(k, errors.DomainError)
              and k is not errors.DomainError]
    assert domain and all(kind in STATUS_OF for kind in domain)
    assert status_of(errors.InvalidParams("x", title="Job too long")) == 422
    assert errors.InvalidParams("x", title="Job too long").title == "Job too long"
    assert errors.InvalidParams("x").title == "Invalid params"  # the override is per instance
