#!/usr/bin/env bash
# Every C++ file is formatted as .clang-format says (clang-format --dry-run --Werror).
# Fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/../.."
formatter=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$formatter" ] || { echo "FAIL: clang-format is not installed (tools/install-deps)" >&2; exit 1; }
mapfile -t files < <(git ls-files -- '*.cpp' '*.hpp' 2>/dev/null || find fs gitstore webhook tools tests -name '*.[ch]pp')
"$formatter" --dry-run --Werror "${files[@]}"
echo "PASS: ${#files[@]} files formatted"
