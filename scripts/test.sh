#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs everything, then runs lint, types, unit
# tests, the worked notebooks (nbmake, executed once), the strict docs build, and the browser
# tests (headless Debian Chromium against the built site and a real JupyterLab).
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
step "install the browser (Debian chromium) and vendor the site's JavaScript"
bash scripts/install_browser.sh
bash scripts/vendor_assets.sh

step "lint and format (ruff)"
ruff check .
ruff format --check .

step "types (mypy --strict on the package)"
mypy

step "unit tests"
python3 -m pytest -n 2 -m "not browser" tests

step "worked notebooks (nbmake, executed once) and the docs site (mkdocs build --strict)"
bash scripts/build_docs.sh

step "browser tests (the built site and JupyterLab in headless Chromium)"
python3 -m pytest -m browser tests/browser

step "all green in $((SECONDS - started)) s"
