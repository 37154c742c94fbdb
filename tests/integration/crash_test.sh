#!/usr/bin/env bash
# Crash and shutdown: kill -9 mid-stream then remount, unmount/SIGTERM with changes
# still pending, and the initial import of a non-empty dir.
source "$(dirname "$0")/lib.sh"
require_fuse

subject() { git_h log -1 --format=%s; }

# (a) kill -9 while a writer streams through the mount; the remount recovers every byte.
setup_mount
for round in 1 2 3; do
  step "crash round $round: stream writes, kill -9 the daemon"
  start_count=$(commit_count)
  (
    set +e
    mkdir -p "$MNT/r$round" || exit 0
    for ((i = 0; ; i++)); do
      echo "round $round line $i" >>"$MNT/stream.log" || exit 0
      head -c $((i % 7 * 1000)) /dev/urandom >"$MNT/r$round/f$i.bin" 2>/dev/null || exit 0
    done
  ) 2>/dev/null &
  writer=$!
  # Let histfs commit twice mid-stream, then crash it.
  for _ in $(seq 150); do
    [ "$(commit_count)" -ge $((start_count + 2)) ] && break
    sleep 0.1
  done
  [ "$(commit_count)" -ge $((start_count + 2)) ] || fail "no commits while the writer ran"
  kill -9 "$DAEMON_PID"
  wait_exit "$DAEMON_PID" || fail "daemon survived kill -9"
  wait "$writer" || true
  fusermount3 -uz "$MNT" || fail "fusermount3 -uz on the dead mount failed"
  expected=$(expected_tree) actual=$(head_tree)
  lost=$(diff <(list_tree "$actual") <(list_tree "$expected") | grep -c '^>' || true)
  echo "    the crash left $lost file version(s) uncommitted"
  # Always leave something for recovery to find, even if the crash lost nothing.
  echo "written while unmounted" >"$DATA/outside-$round.txt"
  crashed_head=$(git_h rev-parse HEAD)

  step "crash round $round: remount recovers everything"
  mount_histfs
  [[ "$(subject)" == "chore(sync): recover"* ]] || fail "last commit is '$(subject)', not a recovery commit"
  [ "$(git_h rev-parse HEAD^)" = "$crashed_head" ] || fail "the recovery commit is not a child of the pre-crash HEAD"
  wait_synced
  assert_fsck
  assert_in_head "outside-$round.txt" stream.log
  echo "after recovery" >>"$MNT/stream.log" # the remounted fs still commits
  wait_synced
done
unmount_histfs

# (b) unmount with changes still waiting for a 30 s quiet period: they are committed on the way out.
export COMMIT_QUIET=30s COMMIT_MAX_DELAY=60s
for how in fusermount SIGTERM; do
  step "pending changes committed on $how"
  setup_mount
  mkdir "$MNT/dir"
  for i in 1 2 3; do echo "pending $i" >"$MNT/dir/p$i.md"; done
  echo "top" >"$MNT/top.md"
  [ "$(commit_count)" = 0 ] || fail "something was committed before the 30 s quiet period"
  if [ "$how" = fusermount ]; then
    fusermount3 -u "$MNT" || fail "fusermount3 -u failed"
  else
    kill -TERM "$DAEMON_PID"
  fi
  wait_exit "$DAEMON_PID" || fail "daemon still running 15 s after $how"
  ! grep -qs " $MNT fuse" /proc/self/mounts || fail "$MNT is still mounted after $how"
  assert_in_head dir/p1.md dir/p2.md dir/p3.md top.md
  wait_synced
  assert_fsck
done
unset COMMIT_QUIET COMMIT_MAX_DELAY

# (c) the first mount of a non-empty dir imports it in one commit; an unchanged remount commits nothing.
step "initial import of a non-empty dir"
new_workspace
mkdir -p "$DATA/notes/2024"
echo "hello" >"$DATA/README.md"
echo "jan" >"$DATA/notes/2024/jan.md"
ln -s notes/2024/jan.md "$DATA/latest"
echo "swap" >"$DATA/.README.md.swp" # ignored
mount_histfs
[ "$(commit_count)" = 1 ] || fail "expected 1 commit after the first mount, found $(commit_count)"
[[ "$(subject)" == "chore(sync): initial import"* ]] || fail "first commit is '$(subject)'"
wait_synced
assert_in_head README.md notes/2024/jan.md latest
assert_not_in_head .README.md.swp
unmount_histfs

step "remount without changes makes no commit"
touch "$DATA/README.md" # a new mtime, same content
mount_histfs
unmount_histfs
[ "$(commit_count)" = 1 ] || fail "a remount without changes made a commit: $(subject)"
assert_fsck
echo PASS
