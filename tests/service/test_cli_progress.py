"""`mathdisco run` progress: a bar on a terminal, plain lines elsewhere (cron logs, pipes)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from mathdisco.service.cli import _ProgressBar


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _feed(bar: _ProgressBar, clock: _Clock, steps: int, every_s: float) -> None:
    for done in range(steps + 1):
        bar(done, steps, f"step {done}")
        clock.now += every_s
    bar.close()


def test_lines_when_stderr_is_not_a_terminal() -> None:
    stream, clock = io.StringIO(), _Clock()
    bar = _ProgressBar(stream, interval_s=10, clock=clock)
    _feed(bar, clock, steps=100, every_s=1.0)  # 100 s of work, a report a second
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == "[    0.0 s] progress 0/100 (0%) step 0"
    assert lines[-1] == "[  100.0 s] progress 100/100 (100%) step 100"
    assert 10 <= len(lines) <= 12  # one every 10 s, plus the last: a cron log stays short
    assert "[   10.0 s] progress 10/100 (10%) step 10" in lines


def test_a_bar_on_a_terminal() -> None:
    stream, clock = _Terminal(), _Clock()
    bar = _ProgressBar(stream, clock=clock)
    _feed(bar, clock, steps=4, every_s=1.0)
    text = stream.getvalue()
    assert text.count("\r[") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "\r[##############################] 4/4 step 4" in text


def test_mathdisco_run_writes_progress_lines_to_a_piped_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "MATHDISCO_ENABLE_TEST_JOBS": "1", "MATHDISCO_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "mathdisco.service.cli", "run", "sleep", "--params",
                           '{"seconds": 0.3, "steps": 3}', "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if "] progress " in line]
    assert progress and progress[0].endswith("progress 0/3 (0%) step 0")
    assert progress[-1].split("] ", 1)[1].startswith("progress 3/3 (100%)")
    assert "\r" not in done.stderr and done.stdout.startswith("{")
