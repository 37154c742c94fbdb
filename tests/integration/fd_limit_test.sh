#!/usr/bin/env bash
# Issue 7 item 12: a daemon started with the usual soft limit of 1024 open files (a login shell,
# a systemd service) serves a tree several times larger: it raises its soft limit to the hard one.
# `find` and `ls -lR` see every file, and the commit after them works.
source "$(dirname "$0")/lib.sh"
require_fuse
cd /

FILES=4000
new_workspace
step "a $FILES-file tree, mounted by a daemon started with ulimit -Sn 1024"
for d in $(seq 40); do
  mkdir -p "$DATA/d$d"
  for f in $(seq $((FILES / 40))); do echo "$d $f" >"$DATA/d$d/f$f.md"; done
done
(ulimit -Sn 1024 && mount_histfs)
DAEMON_PID=$(daemon_pid)
soft=$(awk '/Max open files/ {print $4}' "/proc/$DAEMON_PID/limits")
hard=$(awk '/Max open files/ {print $5}' "/proc/$DAEMON_PID/limits")
[ "$soft" = "$hard" ] || fail "the daemon kept a soft limit of $soft (hard $hard)"

step "find and ls -lR see every file, twice"
for _ in 1 2; do
  seen=$(find "$MNT" -type f | wc -l)
  [ "$seen" = "$FILES" ] || fail "find saw $seen of $FILES files"
  ls -lR "$MNT" >/dev/null 2>"$T/ls.err" || fail "ls -lR failed: $(head -3 "$T/ls.err")"
done
echo changed >"$MNT/d1/f1.md"
cli_ok flush --mount "$MNT"
[ "$(git_h show HEAD:d1/f1.md)" = changed ] || fail "the commit after the walk did not happen"
finish "$FILES files served with a start-up soft limit of 1024"
