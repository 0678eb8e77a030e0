#!/usr/bin/env bash
# Build the published site into site/:
#   1. vendor the site's JavaScript (mermaid, KaTeX) from node_modules/ into docs/assets/vendor/;
#   2. copy notebooks/ to docs/notebooks/ and execute the copies once with nbmake (--overwrite);
#   3. mkdocs build --strict (mkdocs-jupyter renders the executed copies; execute: false).
#
#   bash scripts/docs.sh
#
# Needs `pip install -e ".[dev]"` and `npm ci` (run here if node_modules/ is missing). No API key
# and no network: notebooks run offline or replay recorded cassettes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset ANTHROPIC_API_KEY ANTHROPIC_BASE_URL || true
# The kernel must keep its inline matplotlib backend (charts become PNG outputs); an inherited
# MPLBACKEND=Agg would leave a chart as "<Figure size …>" text.
unset MPLBACKEND || true
export PYTHONDONTWRITEBYTECODE=1 NO_MKDOCS_2_WARNING=1

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "vendor mermaid and KaTeX for the site (from node_modules, as package-lock.json pins them)"
if [[ ! -f node_modules/mermaid/dist/mermaid.min.js || ! -f node_modules/katex/dist/katex.min.js ]]; then
  npm ci --no-audit --no-fund
fi
rm -rf docs/assets/vendor
mkdir -p docs/assets/vendor/katex
cp node_modules/mermaid/dist/mermaid.min.js docs/assets/vendor/mermaid.min.js
cp node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css docs/assets/vendor/katex/
cp -r node_modules/katex/dist/fonts docs/assets/vendor/katex/fonts

step "copy notebooks/ to docs/notebooks/ and execute the copies once (nbmake)"
rm -rf docs/notebooks
mkdir -p docs/notebooks
shopt -s nullglob
notebooks=(notebooks/*.ipynb)
if ((${#notebooks[@]} == 0)); then
  echo "no notebooks in notebooks/; the worked examples would be missing" >&2
  exit 1
fi
# Everything else in notebooks/ (cassettes, data files) comes along: notebooks open them by
# relative path, and nbmake runs each notebook in its own folder.
tar -C notebooks --exclude=.ipynb_checkpoints -cf - . | tar -C docs/notebooks -xf -
python3 -m pytest --nbmake --overwrite -n 2 -p no:cacheprovider -q \
  --timeout 600 docs/notebooks

step "build the site (mkdocs build --strict)"
rm -rf site
python3 -m mkdocs build --strict

step "site/ built in $((SECONDS - started)) s"
