#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests, if /usr/bin/chromium is missing.
# Idempotent: does nothing when it is already there. Uses apt-get, so it needs root (CI runs as
# root) or sudo. Playwright drives this browser; its own browser downloads are never used.
#
#   bash scripts/install-browser.sh
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
  echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "install-browser: /usr/bin/chromium is missing and this is not root; run as root or install sudo" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: apt-get not found; install Chromium at /usr/bin/chromium yourself" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation
/usr/bin/chromium --version
