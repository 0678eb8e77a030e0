#!/usr/bin/env bash
# Copy mermaid from node_modules/ (the version package-lock.json pins) into the package, gzipped,
# for the one-file HTML report (pyt_arch_kit/report.py embeds it so that a report draws its
# diagram with no network). Run it after changing mermaid's version; tests/test_report.py fails
# while the packaged copy and node_modules/ differ.
#
#   npm ci --no-audit --no-fund && bash scripts/vendor-mermaid.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python3 - <<'PY'
import gzip, json, pathlib
src = pathlib.Path("node_modules/mermaid/dist/mermaid.min.js")
version = json.loads(pathlib.Path("node_modules/mermaid/package.json").read_text())["version"]
out = pathlib.Path("pyt_arch_kit/_vendor/mermaid.min.js.gz")
out.write_bytes(gzip.compress(src.read_bytes(), compresslevel=9, mtime=0))
pathlib.Path("pyt_arch_kit/_vendor/mermaid.version").write_text(version + "\n")
print(f"{out}: mermaid {version}, {out.stat().st_size:,} bytes")
PY
