#!/usr/bin/env bash
# 8 parallel writers, each creating 200 files in one shared dir and appending a line per
# file to one shared log; HEAD must end up with every file and every line.
source "$(dirname "$0")/lib.sh"
require_fuse
setup_mount

WRITERS=8 FILES=200
mkdir "$MNT/files"

step "$WRITERS writers x $FILES files + appends to one shared file"
pids=()
for w in $(seq $WRITERS); do
  (
    for i in $(seq $FILES); do
      echo "writer $w file $i" >"$MNT/files/w$w-$i.txt"
      echo "writer $w line $i" >>"$MNT/shared.log"
    done
  ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || fail "writer $pid failed"; done

step "HEAD holds every file and every appended line"
wait_synced
assert_fsck
files=$(git_h ls-tree --name-only HEAD files/ | wc -l)
[ "$files" = $((WRITERS * FILES)) ] || fail "HEAD has $files files in files/, expected $((WRITERS * FILES))"
lines=$(git_h show HEAD:shared.log | wc -l)
unique=$(git_h show HEAD:shared.log | sort -u | wc -l)
[ "$lines" = $((WRITERS * FILES)) ] || fail "shared.log in HEAD has $lines lines, expected $((WRITERS * FILES))"
[ "$unique" = "$lines" ] || fail "shared.log in HEAD has duplicate lines ($unique unique of $lines)"
[ "$(git_h show HEAD:files/w3-17.txt)" = "writer 3 file 17" ] || fail "files/w3-17.txt has the wrong content"
echo "PASS: $(commit_count) commits"
