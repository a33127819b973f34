"""Provenance: how a result was produced, attached by the runner to every result.

A mathematician who cites a formula needs the exact software, parameters and
verification settings that found it.  :func:`provenance` gives the
``provenance`` object of :class:`mathdisco.engines.results.Provenance`: the mathdisco
version and git revision (when the code runs from a git checkout), the
versions of the numeric libraries by package name, the params after
defaults, the seeds, the verification settings, the host and the times.
"""

from __future__ import annotations

import socket
import subprocess
from datetime import datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from mathdisco.engines.contract import EngineParams, JobType
from mathdisco.workers.models import utcnow

__all__ = ["git_revision", "library_versions", "provenance"]

NUMERIC_LIBRARIES = ("mathdisco", "sympy", "mpmath", "gmpy2", "numba", "numpy", "scipy",
                     "scikit-learn")
#: params whose names contain one of these set how results are verified, unless a type says otherwise
VERIFICATION_HINTS = ("precision", "depth", "digits", "dps")


@cache
def library_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Installed versions of the numeric libraries (and ``extra``), keyed by package name."""
    versions = {}
    for name in NUMERIC_LIBRARIES + extra:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def git_revision() -> str | None:
    """The commit of the checkout this code runs from (with ``-dirty`` when modified), or None."""
    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head


def provenance(job_type: JobType, params: EngineParams, *, job_id: str | None = None,
               started: datetime | None = None) -> dict[str, Any]:
    """The ``provenance`` object of a result (JSON)."""
    values = params.model_dump(mode="json")
    wanted = job_type.verification_fields or tuple(
        name for name in values if any(hint in name for hint in VERIFICATION_HINTS))
    return {
        "mathdisco": library_versions().get("mathdisco", "unknown"),
        "git_revision": git_revision(),
        "libraries": library_versions(job_type.requires),
        "job_type": job_type.name,
        "params": values,
        "seeds": {k: v for k, v in values.items() if "seed" in k},
        "verification": {k: values[k] for k in wanted if k in values},
        "host": socket.gethostname(),
        "started_at": started.isoformat() if started else None,
        "finished_at": utcnow().isoformat(),
        "job_id": job_id,
    }
