#!/usr/bin/env bash
# Test against the newest releases, and refresh the lock when they pass.
#
#   bash requirements/refresh.sh          # resolve newest versions, test them in a fresh venv
#
# 1. resolves every dependency afresh (pip-tools' pip-compile --upgrade) into a candidate lock;
# 2. installs the candidate into a fresh virtual environment and runs the default test suite;
# 3. replaces requirements.lock.txt only when the suite is green (commit it then).
# pip resolves torch==2.13.0 to the CPU build that lies on these machines (the `neural` extra);
# pip-tools uses pip's own finder, so the lock records that build as well.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/tools" && "$work/tools/bin/pip" install -q pip-tools
"$work/tools/bin/pip-compile" --quiet --upgrade --strip-extras --no-emit-index-url \
  --no-emit-find-links --extra dev --extra neural -o "$work/lock.txt" pyproject.toml
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q -c "$work/lock.txt" -e '.[dev,neural]'
(. "$work/venv/bin/activate" && python -m pytest)
sed -i "s#$work/lock.txt#requirements.lock.txt#" "$work/lock.txt"
cp "$work/lock.txt" requirements.lock.txt
git --no-pager diff --stat requirements.lock.txt
