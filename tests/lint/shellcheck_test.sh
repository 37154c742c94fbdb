#!/usr/bin/env bash
# Runs shellcheck on every shell script of the project (warnings and errors).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v shellcheck >/dev/null || { echo "FAIL: shellcheck is not installed (tools/install-deps)" >&2; exit 1; }
mapfile -t scripts < <(
  { git ls-files -- '*.sh' .ci/run tools/demo tools/test tools/install-deps tools/bench 2>/dev/null ||
      find . -name '*.sh' -not -path './build*'; } | sort -u)
shellcheck -S warning -x -P SCRIPTDIR "${scripts[@]}"
echo "PASS: shellcheck on ${#scripts[@]} scripts"
