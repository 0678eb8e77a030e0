#!/usr/bin/env bash
# The model backends' tests against the oldest and the newest SDKs the package admits.
#
#   bash scripts/sdk-matrix.sh            # both rows: oldest, newest
#   bash scripts/sdk-matrix.sh oldest     # one row
#
# pyproject.toml admits `anthropic>=2.10,<3` and `openai>=3,<4`; a user may have any release in
# those ranges, so the tests that drive the real SDK against the fake servers (faults, deadlines,
# cut streams, retries, batches, redaction, cassettes) run once per row:
#
#   oldest   anthropic==2.10.*  openai==3.0.*  (the lower bounds)
#   newest   the newest releases the ranges admit today
#
# Each row is a throwaway venv made by uv (from its cache, hard-linked: a few seconds once the
# cache is warm) under ${SDK_MATRIX_DIR:-${TMPDIR:-/tmp}/pyt-arch-sdk-matrix}; the package is
# installed editable, so the rows test this checkout. Opt-in (it needs the package index the
# first time); the exit status is non-zero if any row fails. Extra arguments after the row
# names go to pytest (e.g. `bash scripts/sdk-matrix.sh newest -- -x`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN ANTHROPIC_BASE_URL OPENAI_API_KEY OPENAI_BASE_URL \
  PYT_ARCH_CASSETTE VIRTUAL_ENV || true
export PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg

UV=$(command -v uv || true)
[[ -n $UV ]] || { echo "sdk-matrix.sh: uv is needed: pip install uv (or the verify extra)" >&2; exit 1; }
PYTHON=${PYTHON:-$(command -v python3)}
ROOT=${SDK_MATRIX_DIR:-${TMPDIR:-/tmp}/pyt-arch-sdk-matrix}

rows=()
pytest_args=()
while (($#)); do
  case $1 in
    oldest | newest) rows+=("$1") ;;
    --) shift; pytest_args=("$@"); break ;;
    *) echo "sdk-matrix.sh: unknown row '$1' (choose oldest, newest)" >&2; exit 2 ;;
  esac
  shift
done
((${#rows[@]})) || rows=(oldest newest)

TESTS=(
  tests/test_stream_faults.py
  tests/test_claude_backend.py
  tests/test_openai_backend.py
  tests/test_cassette_faults.py
  tests/test_stream_fuzz.py
  tests/test_openai_stream_fuzz.py
  tests/test_batch.py
  tests/test_batch_resume.py
  tests/test_secrets.py
  tests/test_replay.py
)
TOOLS=(pytest pytest-timeout pytest-xdist hypothesis)

pins() {
  case $1 in
    oldest) echo "anthropic==2.10.* openai==3.0.*" ;;
    newest) echo "anthropic>=2.10,<3 openai>=3,<4" ;;
  esac
}

failed=()
for row in "${rows[@]}"; do
  venv=$ROOT/$row
  printf '\n==> %s: %s\n' "$row" "$(pins "$row")"
  rm -rf "$venv"
  "$UV" venv --quiet --python "$PYTHON" "$venv"
  # shellcheck disable=SC2046
  "$UV" pip install --quiet --python "$venv/bin/python" --link-mode hardlink \
    $([[ $row == newest ]] && echo --upgrade) \
    -e ".[claude,openai,lab]" "${TOOLS[@]}" $(pins "$row")
  "$venv/bin/python" -c 'import anthropic, openai; print(f"anthropic {anthropic.__version__}, openai {openai.__version__}")'
  if ! "$venv/bin/python" -m pytest -q -n 2 -p no:cacheprovider "${TESTS[@]}" "${pytest_args[@]}"; then
    failed+=("$row")
  fi
done

if ((${#failed[@]})); then
  printf '\nsdk-matrix: FAILED on %s\n' "${failed[*]}" >&2
  exit 1
fi
printf '\nsdk-matrix: ok (%s)\n' "${rows[*]}"
