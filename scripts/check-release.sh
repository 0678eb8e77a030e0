#!/usr/bin/env bash
# Build the release files and prove the wheel works on its own:
#   1. `python -m build` makes the sdist and the wheel in dist/;
#   2. `twine check --strict` checks their metadata (what PyPI would render);
#   3. the wheel must hold the persona, the presets, the price table and the vendored mermaid;
#   4. the wheel is installed into a fresh virtual environment (no clone on sys.path): its
#      `pyt-arch` designs a preset, the form import without the lab extra is one ImportError line
#      naming it, and with the lab extra the form builds.
#
#   bash scripts/check-release.sh        # scripts/test.sh and the release workflow run it
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

rm -rf dist
python3 -m build --outdir dist . >/dev/null
python3 -m twine check --strict dist/*
wheel=$(ls dist/*.whl)
sdist=$(ls dist/*.tar.gz)
version=$(python3 -c 'import pyt_arch_kit; print(pyt_arch_kit.__version__)')
[[ $wheel == *"-$version-"* && $sdist == *"-$version.tar.gz" ]] ||
  { echo "check-release: $wheel / $sdist do not carry the version $version" >&2; exit 1; }

python3 - "$wheel" <<'PY'
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
need = ["pyt_arch_kit/personas/pyt-arch.md", "pyt_arch_kit/prices.json", "pyt_arch_kit/py.typed",
        "pyt_arch_kit/_vendor/mermaid.min.js.gz"]
need += [f"pyt_arch_kit/presets/{p}.yaml" for p in ("io-bound-api", "payments-ledger")]
lost = [n for n in need if n not in names]
if lost:
    sys.exit(f"check-release: the wheel lacks {lost}")
print(f"wheel holds {len(names)} files, persona, presets, prices and mermaid among them")
PY

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
cd "$venv" # nothing from the clone may be importable
"$venv/bin/pip" install --quiet "$OLDPWD/$wheel"
"$venv/bin/pyt-arch" --version
# (output captured first: `cmd | grep -q` would close the pipe early, and pipefail would fail)
out=$("$venv/bin/pyt-arch" presets) && grep -q '^io-bound-api ' <<<"$out"
out=$("$venv/bin/pyt-arch" persona) && grep -q "source: *builtin:pyt-arch" <<<"$out" # read from the wheel
out=$("$venv/bin/pyt-arch" design --preset payments-ledger) && grep -q '^## System Diagram' <<<"$out"
"$venv/bin/pyt-arch" design --preset io-bound-api --format html --out design.html
grep -q '<pre class="mermaid">' design.html
"$venv/bin/python" -c '
try:
    from pyt_arch_kit import RequirementsForm
except ImportError as exc:
    assert "[lab]" in str(exc) and "\n" not in str(exc), exc
else:
    raise SystemExit("check-release: the form imported without the lab extra")'
"$venv/bin/pip" install --quiet "$OLDPWD/$wheel[lab]"
"$venv/bin/python" -c '
import pyt_arch_kit
from pyt_arch_kit import RequirementsForm
form = RequirementsForm("io-bound-api")
assert form.valid is not None and pyt_arch_kit.__file__.startswith("'"$venv"'")
print("wheel", pyt_arch_kit.__version__, "installed in a fresh venv: CLI, HTML report and form work")'
