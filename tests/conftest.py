"""Test-wide set-up: Hypothesis keeps its example database outside the work tree.

By default Hypothesis writes ``.hypothesis/`` (its example database and a
character-map cache) into the current directory, which leaves an untracked
folder in every clone that runs the tests.  Here it goes under the system
temporary directory instead (``HYPOTHESIS_STORAGE_DIRECTORY`` still wins when
set), so failing examples are still replayed on the next run on this machine.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / f"mathdisco-hypothesis-{os.getuid()}")
