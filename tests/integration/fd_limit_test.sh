#!/usr/bin/env bash
# Issue 7 item 12: a daemon started with the usual soft limit of 1024 open files (a login shell,
# a systemd service) serves a tree several times larger: it raises its soft limit to the hard one.
# `find` and `ls -lR` see every file, and the commit after them works.
# Then with a hard limit of 1024 too: fd use stays bounded (the inode budget asks the kernel to
# drop names looked up longest ago), so walks of a tree four times the limit, and a listing of
# one folder of 3,000 files, see everything, and commits keep working.
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
unmount_histfs

step "the same tree plus a 3,000-file folder, with soft and hard limits of 1024"
mkdir "$DATA/big"
for f in $(seq 3000); do echo "big $f" >"$DATA/big/n$f.md"; done
(ulimit -n 1024 && mount_histfs)
DAEMON_PID=$(daemon_pid)
hard=$(awk '/Max open files/ {print $5}' "/proc/$DAEMON_PID/limits")
[ "$hard" = 1024 ] || fail "the daemon's hard limit is $hard, not 1024"
TOTAL=$((FILES + 3000))
most=0
for round in 1 2 3; do
  seen=$(find "$MNT" -type f | wc -l)
  [ "$seen" = "$TOTAL" ] || fail "round $round: find saw $seen of $TOTAL files"
  ls -lR "$MNT" >/dev/null 2>"$T/ls.err" || fail "round $round: ls -lR failed: $(head -3 "$T/ls.err")"
  ls -l "$MNT/big" >"$T/big.txt" 2>"$T/ls.err" || fail "round $round: ls -l of the big folder failed: $(head -3 "$T/ls.err")"
  listed=$(grep -c '^-.*\.md$' "$T/big.txt") || true
  [ "$listed" = 3000 ] || fail "round $round: ls -l of the big folder listed $listed of 3000: $(head -3 "$T/ls.err")"
  cat "$MNT"/d7/*.md "$MNT"/big/n1*.md >/dev/null || fail "round $round: reading the files failed"
  open_fds=$(find "/proc/$DAEMON_PID/fd" -mindepth 1 | wc -l)
  ((open_fds > most)) && most=$open_fds
done
echo "  the daemon held at most $most fds after a walk (limit 1024)"
((most < 1024)) || fail "the daemon holds $most fds"
echo "bounded" >"$MNT/big/n2999.md"
cli_ok flush --mount "$MNT"
[ "$(git_h show HEAD:big/n2999.md)" = bounded ] || fail "the commit after the walks did not happen"
grep -q "Too many open files" "$LOG" && fail "the daemon ran out of fds: $(grep -m1 'Too many open files' "$LOG")"
finish "$TOTAL files served with soft and hard limits of 1024"
