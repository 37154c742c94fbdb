#!/usr/bin/env bash
# Housekeeping: an import of many files writes its first 1000 objects loose and the rest as one
# pack; once git.gc.looseObjects is below the number of loose objects the mount packs them in the
# background (git count-objects shows it), git fsck
# --strict stays clean and the history is the same (commit ids, trees); `histfs gc` packs at
# once; an idle mount spends no CPU time packing.
# HOUSEKEEPING_FILES (default 5000) sets the import's size: 50000 for the closing numbers.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /
FILES=${HOUSEKEEPING_FILES:-5000}

count_objects() { git_h count-objects -v 2>/dev/null | sed -n "s/^$1: //p"; } # (a file removed mid-count is "garbage" to it)
gc_thread_ticks() { # utime+stime of the daemon's packer thread, in clock ticks
  local task
  for task in /proc/"$DAEMON_PID"/task/*; do
    if [ "$(cat "$task/comm")" = histfs-gc ]; then
      awk '{print $14 + $15}' "$task/stat"
      return
    fi
  done
  fail "no histfs-gc thread in daemon $DAEMON_PID"
}

step "generate $FILES files in 100 folders"
new_workspace
make_notes "$FILES" 100
CONFIG=$T/histfs.json
echo '{"git": {"gc": {"looseObjects": 0}}}' >"$CONFIG"

step "the import leaves 1000 objects loose and packs the rest itself (blobs, then trees and commit), while packing is off"
start=$(date +%s.%N)
mount_histfs --config "$CONFIG"
echo "import of $FILES files: $("$PY" -c "import sys; print(round($(date +%s.%N) - $start, 1))") s"
loose_before=$(count_objects count)
size_before=$(count_objects size)
packed_before=$(count_objects in-pack)
[ "$loose_before" -ge 1000 ] || fail "only $loose_before loose objects after importing $FILES files"
[ "$(count_objects packs)" = 2 ] || fail "the import wrote $(count_objects packs) packs, not two (its blobs, its trees)"
[ $((loose_before + packed_before)) -gt "$FILES" ] || fail "$loose_before loose and $packed_before packed objects for $FILES files"
echo "loose objects before: $loose_before ($size_before KiB), $packed_before in the import's packs"
head_before=$(git_h rev-parse HEAD)
tree_before=$(git_h ls-tree -r HEAD | sha256sum)

step "git.gc.looseObjects set live: the mount packs in the background"
cli_ok config set git.gc.looseObjects=500 --mount "$MNT"
grep -qF "in effect now" "$T/cli.out" || fail "set: $(cli_out)"
# Up to 2 minutes (a 50,000-file import on a slow machine), unlike wait_for's 15 s.
for _ in $(seq 1200); do
  [ "$(count_objects count)" = 0 ] && break
  sleep 0.1
done
[ "$(count_objects count)" = 0 ] || fail "$(count_objects count) objects still loose after 2 minutes"
wait_for "the pack's log line" grep -q "housekeeping: packed" "$LOG"
grep "housekeeping: packed" "$LOG"
[ "$(count_objects in-pack)" -ge $((loose_before + packed_before)) ] ||
  fail "in-pack: $(count_objects in-pack) < $loose_before + $packed_before"
echo "after: $(git_h count-objects -v | tr '\n' ' ')"
[ "$(git_h rev-parse HEAD)" = "$head_before" ] || fail "HEAD moved"
[ "$(git_h ls-tree -r HEAD | sha256sum)" = "$tree_before" ] || fail "the tree changed"
assert_fsck
git_h fsck --strict --no-dangling 2>&1 | grep . && fail "git fsck --strict reported something"
cli_ok status --json --mount "$MNT"
cp "$T/cli.out" "$T/status.json"
[ "$(json_get "$T/status.json" 'j["housekeeping"]["packs"]')" = 1 ] || fail "status: $(cat "$T/status.json")"
echo "packing took $(json_get "$T/status.json" 'j["housekeeping"]["seconds_packing"]') s"

step "commits go on while packed; histfs gc packs what is loose now"
for i in $(seq 20); do echo "more $i" >"$MNT/d00/more$i.md"; done
cli_ok flush --mount "$MNT"
[ "$(count_objects count)" -gt 0 ] || fail "the new commit left nothing loose?"
cli_ok gc --mount "$MNT"
grep -qE '^packed [0-9]+ loose objects .* 0 loose objects left$' "$T/cli.out" || fail "gc said: $(cli_out)"
[ "$(count_objects count)" = 0 ] || fail "gc left $(count_objects count) loose objects"
cli_ok gc --mount "$MNT"
grep -qF "nothing to pack" "$T/cli.out" || fail "a second gc said: $(cli_out)"
git_h fsck --strict --no-dangling 2>&1 | grep . && fail "git fsck --strict reported something after gc"
[ "$(git_h cat-file -p HEAD:d00/more20.md)" = "more 20" ] || fail "the new file is not readable"

step "an idle mount spends no time packing"
ticks=$(gc_thread_ticks)
sleep 3 # idle on purpose: nothing to wait for, the point is that nothing happens
[ "$(gc_thread_ticks)" = "$ticks" ] || fail "the packer used CPU time while the mount was idle"
echo "idle packer: $ticks clock ticks in total since start-up, none while idle"

unmount_histfs
git_h fsck --strict --no-dangling 2>&1 | grep . && fail "git fsck --strict reported something after unmount"
finish "housekeeping ($FILES files: $loose_before loose objects before, 0 after)"
