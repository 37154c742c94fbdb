#!/usr/bin/env bash
# Durability of a commit, counted in flushes: with the git dir on ext4 with a journal one
# commit is made durable by one journal commit (an fsync of the reflog, then of the ref's
# folder, which finds the journal already committed), its objects and the ref written out
# before it; on ext4 without a journal each object batch, ref and reflog gets its own fsync
# (five). strace counts the daemon's fsync calls around exactly one commit; the commit is in
# HEAD and git fsck --strict is clean either way.
source "$(dirname "$0")/lib.sh"
require_fuse
cd /
command -v strace >/dev/null || fail "strace is needed (tools/install-deps installs it)"
command -v mkfs.ext4 >/dev/null || fail "mkfs.ext4 is needed (e2fsprogs)"

LOOPS=()
untrap_loops() {
  local fs
  for fs in "${LOOPS[@]}"; do umount -l "$fs" 2>/dev/null || true; done
}
trap 'untrap_loops; cleanup' EXIT

# on_image FEATURES: a fresh workspace whose data dir and git dir are on a new 64 MiB ext4
# image made with mkfs.ext4 -O FEATURES and loop-mounted.
on_image() {
  new_workspace
  truncate -s 64M "$T/fs.img"
  mkfs.ext4 -q -F -O "$1" "$T/fs.img" || fail "mkfs.ext4 -O $1"
  mkdir "$T/fs"
  if ! mount -o loop "$T/fs.img" "$T/fs" 2>"$T/loop.err"; then
    echo "### SKIPPED ${0##*/}: no loop device here ($(cat "$T/loop.err"))" >&2
    exit 77
  fi
  LOOPS+=("$T/fs")
  mkdir "$T/fs/data"
  DATA=$T/fs/data GITDIR=$T/fs/data.git
}

# Is every thread of the daemon traced?
all_traced() {
  local task
  for task in /proc/"$DAEMON_PID"/task/*; do
    grep -q 'TracerPid:[[:space:]]*0$' "$task/status" && return 1
  done
  return 0
}

# fsyncs_of_one_commit NAME: writes NAME through the mount and prints how many fsync,
# fdatasync and syncfs calls the daemon made until that commit was flushed.
fsyncs_of_one_commit() {
  local trace=$T/strace.out tracer
  strace -f -qq -p "$DAEMON_PID" -e trace=fsync,fdatasync,syncfs -o "$trace" &
  tracer=$!
  wait_for "strace to attach to every thread" all_traced
  echo "one change" >"$MNT/$1"
  cli_ok flush --mount "$MNT"
  kill -INT "$tracer"
  wait "$tracer" 2>/dev/null || true
  grep -cE '(fsync|fdatasync|syncfs)\(' "$trace" || true
}

# commit_flushes FEATURES NAME JOURNALED EXPECTED: on ext4 made with FEATURES, one commit of
# NAME makes EXPECTED fsync calls, and the log says whether the journal is ordered (yes/no).
commit_flushes() {
  local calls
  on_image "$1"
  mount_histfs
  if [ "$3" = yes ]; then
    grep -q "is on an ordered journal" "$LOG" || fail "the log does not say the git dir is on an ordered journal"
  else
    grep -q "is on an ordered journal" "$LOG" && fail "the log claims an ordered journal on ext4 without one"
  fi
  calls=$(fsyncs_of_one_commit "$2")
  echo "fsync calls for one commit: $calls"
  [ "$calls" = "$4" ] || fail "expected $4 fsync calls, got $calls: $(cat "$T/strace.out")"
  assert_in_head "$2"
  assert_fsck
  unmount_histfs
  umount "$T/fs"
}

step "ext4 with a journal: one commit, one journal commit (the reflog, then the ref's folder)"
commit_flushes has_journal journaled.md yes 2
step "ext4 without a journal: objects, ref and its folder, reflog and its folder flushed one by one"
commit_flushes ^has_journal unjournaled.md no 5
echo "PASS"
