#!/usr/bin/env bash
# clang-tidy with the project's small set of checks (.clang-tidy) on every source file of the
# daemon and its libraries, each with its own compile command (first argument: build dir).
set -euo pipefail
build=$(cd "${1:?usage: tidy_test.sh BUILD_DIR}" && pwd)
cd "$(dirname "$0")/../.."
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
[ -n "$tidy" ] || { echo "FAIL: clang-tidy is not installed (tools/install-deps)" >&2; exit 1; }
# Each file's own compile command: a build that batches its sources (HISTFS_UNITY_BUILD) has
# only the batches' in its database, so a configure-only tree beside it gives them (no compile).
db="$build/tidy-db"
cmake -S . -B "$db" -DHISTFS_UNITY_BUILD=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$build/tidy-configure.log" 2>&1 ||
  { cat "$build/tidy-configure.log" >&2; echo "FAIL: cannot configure $db" >&2; exit 1; }
mapfile -t files < <(git ls-files -- 'fs/*.cpp' 'gitstore/*.cpp' 'webhook/*.cpp' 'tools/histfs/*.cpp' 'tools/histfs/**/*.cpp' |
  sort -u)
# Two at a time (the machines have two cores); -quiet keeps passing files silent.
status=0
# Compiler warnings are the -Werror gcc build's business: clang's own (clang-diagnostic-*) are
# not checked here, except real errors, which stop clang-tidy.
printf '%s\n' "${files[@]}" | xargs -P 2 -n 4 "$tidy" -quiet -p "$db" --extra-arg=-Wno-everything \
  --warnings-as-errors='bugprone-*,performance-*,misc-*' >"$build/tidy.log" 2>&1 || status=$?
grep -v "warnings\? generated" "$build/tidy.log" >&2 || true
if ((status != 0)) || grep -q "error:" "$build/tidy.log"; then
  echo "FAIL: clang-tidy found problems or failed (exit $status; above)" >&2
  exit 1
fi
echo "PASS: clang-tidy on ${#files[@]} files"
