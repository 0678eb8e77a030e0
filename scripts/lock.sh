#!/usr/bin/env bash
# Regenerate the test environment's lock: requirements/ci-constraints.txt, every package of
# pyproject's `.[dev]` extras (and theirs) pinned to the newest release its ranges admit, for
# every Python >= 3.11 and platform (`uv pip compile --universal`), minus the holds in
# requirements/holds.txt (releases known to break the suite, each with its reason).
#
#   bash scripts/lock.sh
#
# `bash scripts/test.sh` installs with `-c requirements/ci-constraints.txt`, so a fresh clone
# tests with the versions CI last passed with; pyproject's own ranges stay open for users. The
# scheduled workflow .github/workflows/newest.yml runs `scripts/test.sh --newest` daily and,
# when it passes, runs this script and opens a pull request with the new lock. Needs uv (in the
# `verify` extra; else `python3 -m pip install uv`) and the package index.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if command -v uv >/dev/null; then uv=(uv); else uv=(python3 -m uv); fi
"${uv[@]}" --version >/dev/null 2>&1 ||
  { echo "lock.sh: uv not found: python3 -m pip install uv" >&2; exit 1; }
UV_CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh" "${uv[@]}" pip compile pyproject.toml \
  --extra dev --universal --python-version 3.11 --quiet \
  --constraint requirements/holds.txt \
  --output-file requirements/ci-constraints.txt
echo "wrote requirements/ci-constraints.txt ($(grep -c '^[A-Za-z0-9]' requirements/ci-constraints.txt) pins)"
