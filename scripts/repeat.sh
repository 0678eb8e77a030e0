#!/usr/bin/env bash
# The unit tests N times (default 20), alternating the file order and an order shuffled by the
# run's number (`--order-seed`, tests/conftest.py), stopping at the first red run: issue 19's
# "no flaky tests" check. Any pytest selection may follow N, e.g. the tests that time, signal
# or cut connections:
#
#   bash scripts/repeat.sh                     # the whole unit suite, 20 runs (hours here)
#   bash scripts/repeat.sh 20 tests/test_stream_faults.py tests/test_cli.py
#
# Run it in the environment scripts/test.sh installed. Each run's log is kept under
# ${REPEAT_LOGS:-.cache/repeat}; the last line says how many runs passed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${1:-20}
shift || true
selection=("$@")
[[ ${#selection[@]} -gt 0 ]] || selection=(-m "not browser and not site and not verify" tests)
logs=${REPEAT_LOGS:-.cache/repeat}
mkdir -p "$logs"
for ((i = 1; i <= runs; i++)); do
  order=()
  ((i % 2 == 0)) && order=(--order-seed "$i")
  if ! python -m pytest -q -n 2 -p no:cacheprovider "${order[@]}" "${selection[@]}" >"$logs/run-$i.log" 2>&1; then
    echo "run $i of $runs failed (${order[*]:-file order}): $logs/run-$i.log" >&2
    tail -5 "$logs/run-$i.log" >&2
    exit 1
  fi
  echo "run $i of $runs passed (${order[*]:-file order}): $(tail -1 "$logs/run-$i.log")"
done
echo "$runs of $runs runs passed"
