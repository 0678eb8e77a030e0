#!/usr/bin/env bash
# Verified designs: every code block the offline writer hands out, for every branch it has,
# installed with its design's own Technology Stack, imported, type-checked and run against
# throwaway PostgreSQL, Redis and MariaDB (Debian's packages, 127.0.0.1, temp dirs); then the
# stack's version ranges are checked against the package index.
#
#   bash scripts/verify.sh
#
# Venvs are cached under .cache/verify-venvs (PYT_ARCH_VERIFY_CACHE), one per stack profile,
# their files hard links into one uv package cache in the same folder (a package shared by
# many stacks is stored once). The package cache is emptied at the end: the venvs keep their
# files, and the folder's `du -sh` (printed at the end) is the real disk use. Venvs unused for
# 7 days are removed.
# Installing the services uses apt-get: run as root (as CI does) or with them installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need=()
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || need+=(postgresql-15)
command -v redis-server >/dev/null || need+=(redis-server)
command -v mariadbd >/dev/null || need+=(mariadb-server)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (Debian)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo); fi
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null
fi

export PYT_ARCH_VERIFY_CACHE="${PYT_ARCH_VERIFY_CACHE:-$PWD/.cache/verify-venvs}"
export PYTHONDONTWRITEBYTECODE=1 # as in test.sh: no bytecode written into the (shared) venvs
state="$(mktemp -d)/services.json"
cleanup() { python3 -m tests.verify.services stop || true; }
trap cleanup EXIT
python3 -m tests.verify.services start >/dev/null
cp "${TMPDIR:-/tmp}/pyt-arch-verify-services.json" "$state"
export PYT_ARCH_VERIFY_SERVICES="$state"

started=$SECONDS
status=0
python3 -m pytest -n 2 --dist loadgroup --durations=10 -m verify tests/verify || status=$?
echo "verification suite: $((SECONDS - started)) s"
# The venvs hold hard links to every file they need: the package cache (the downloads, and
# pyspark's sdist and the wheel built from it, ~1.4 GB) is not needed again unless a stack
# changes, and then it is downloaded (and pyspark built) anew.
if [ -d "$PYT_ARCH_VERIFY_CACHE/uv-cache" ] && command -v uv >/dev/null; then
  uv cache clean --quiet --cache-dir "$PYT_ARCH_VERIFY_CACHE/uv-cache" || true
fi
rm -rf "$PYT_ARCH_VERIFY_CACHE/wheels" # the wheels built from sdists, kept for this run's installs
echo "venv cache: $(du -sh "$PYT_ARCH_VERIFY_CACHE" | cut -f1) in $PYT_ARCH_VERIFY_CACHE" \
  "($(find "$PYT_ARCH_VERIFY_CACHE" -mindepth 2 -maxdepth 2 -name .ready | wc -l) venvs)"
[ "$status" -eq 0 ] || exit "$status"

started=$SECONDS
python3 scripts/check_pins.py --jobs 2
echo "pin check: $((SECONDS - started)) s"
