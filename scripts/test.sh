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
# No API key and no network beyond the package registries are needed. Prerequisites (checked
# first, each with a one-line message): Python >= 3.11 with venv, node and npm, and root or sudo
# if Debian's chromium must be installed. It installs into the active virtual environment; if
# none is active and the system Python refuses pip installs (PEP 668), it creates and uses .venv.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL PYT_ARCH_CASSETTE || true

step() { printf '\n==> %s\n' "$*"; }
missing() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

step "prerequisites"
command -v python3 >/dev/null || missing "python3 not found: install Python >= 3.11 (apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  missing "Python >= 3.11 is needed, found $(python3 -V 2>&1): install a newer python3"
command -v node >/dev/null && command -v npm >/dev/null ||
  missing "node and npm are needed for the site's JavaScript: apt-get install nodejs npm"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 18 ? 1 : 0)' ||
  missing "node >= 18 is needed, found $(node --version): install a newer nodejs"
if [[ ! -x /usr/bin/chromium && $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  missing "/usr/bin/chromium is missing and installing it needs root or sudo: run as root, or apt-get install chromium first"
fi
if [[ -z ${VIRTUAL_ENV:-} ]] && python3 -c 'import sys, sysconfig, pathlib
sys.exit(not (sys.prefix == sys.base_prefix
         and pathlib.Path(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED").is_file()))'; then
  # PEP 668: this Python refuses pip installs outside a virtual environment.
  python3 -c 'import ensurepip' 2>/dev/null ||
    missing "python3 has no venv support: apt-get install python3-venv"
  [[ -x .venv/bin/python3 ]] || python3 -m venv .venv
  echo "using the virtual environment .venv (the system Python is externally managed)"
  # shellcheck disable=SC1091
  source .venv/bin/activate
fi
echo "python $(python3 -V 2>&1 | cut -d' ' -f2), node $(node --version), npm $(npm --version)"

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

step "release: sdist and wheel (python -m build), metadata (twine check), the wheel in a fresh venv"
bash scripts/check-release.sh

step "all green in $((SECONDS - started)) s"
