#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything, then runs lint, types, the unit
# tests (CLI, property tests, widgets, magic, the Claude backend over real HTTP to a local fake
# API), executes the worked notebooks once with nbmake, builds the site with `mkdocs build
# --strict` from those executed notebooks, scans them, and drives the site and JupyterLab in
# Debian's headless Chromium. It also runs the verification suite (scripts/verify.sh): every
# code block of every writer branch, installed with its design's stack and run against real
# PostgreSQL, Redis and MariaDB, and the stack's pins checked against the package index.
#
#   bash scripts/test.sh
#
# No API key and no network beyond the package registries are needed. Installing Chromium uses
# apt-get, so run it as root (as CI does) or with sudo rights.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL PYT_ARCH_CASSETTE || true

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "install the package with every extra, Debian's chromium, and the site's JavaScript (npm)"
python3 -m pip install --quiet -e ".[dev]"
bash scripts/install-browser.sh
npm ci --no-audit --no-fund

step "lint and format (ruff)"
ruff check .
ruff format --check .

step "types (mypy --strict on the package)"
mypy

step "unit tests"
python3 -m pytest -n 2 -m "not browser and not site" tests

step "verified designs: every writer branch's code against real PostgreSQL, Redis, MariaDB; pins"
bash scripts/verify.sh

step "worked notebooks (nbmake, executed once) and the site (mkdocs build --strict)"
bash scripts/docs.sh

step "executed notebooks and built site: scans and browser tests (site and JupyterLab)"
python3 -m pytest -m "site or browser" tests

step "all green in $((SECONDS - started)) s"
