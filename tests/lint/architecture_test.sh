#!/usr/bin/env bash
# The layering the code relies on (docs/architecture.md, "Source layout"):
#  - libgit2 is called only inside gitstore/ (other folders use gitstore's types and helpers);
#  - fs/, gitstore/ and webhook/ never include anything from tools/;
#  - webhook/ does not depend on fs/ (it only judges deliveries).
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
report() {
  echo "FAIL: $1" >&2
  printf '  %s\n' "${@:2}" >&2
  status=1
}

mapfile -t calls < <(grep -rnE '\bgit_[a-z0-9_]+[[:space:]]*\(' fs webhook tools --include='*.cpp' --include='*.hpp' |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' || true)
((${#calls[@]} == 0)) || report "libgit2 called outside gitstore/ (add what you need to gitstore/):" "${calls[@]}"

mapfile -t upward < <(grep -rn '#include "tools/' fs gitstore webhook || true)
((${#upward[@]} == 0)) || report "fs/, gitstore/ or webhook/ include tools/:" "${upward[@]}"

mapfile -t sideways < <(grep -rn '#include "fs/' webhook gitstore || true)
((${#sideways[@]} == 0)) || report "webhook/ or gitstore/ include fs/:" "${sideways[@]}"

((status == 0)) && echo "PASS: architecture rules hold"
exit "$status"
