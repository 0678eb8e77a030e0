#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything, then runs lint, types and the
# tests (unit, CLI, property tests, and the Claude backend over real HTTP to a local fake API).
#
#   bash scripts/test.sh
#
# No API key and no network beyond the package registries are needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg
unset ANTHROPIC_API_KEY ANTHROPIC_BASE_URL PYT_ARCH_CASSETTE || true

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "install the package with every extra"
python3 -m pip install --quiet -e ".[dev]"
step "lint and format (ruff)"
ruff check .
ruff format --check .

step "types (mypy --strict on the package)"
mypy

step "unit tests"
python3 -m pytest -n 2 -m "not browser" tests

step "all green in $((SECONDS - started)) s"
