#!/usr/bin/env bash
# The systemd unit packaging/histfs@.service, run without systemd: its ExecStart, ExecStop and
# ExecStopPost lines are read and expanded as systemd would (unit_exec.py) and run here, with
# NOTIFY_SOCKET on a datagram socket the test listens on (notify_listener.py).
#  - READY=1 comes only once the mount is up and answers; STOPPING=1 on stop;
#  - ExecStop commits what is pending, unmounts, and returns only once the daemon is done;
#  - after a crash (kill -9), ExecStopPost clears the dead mount so that the restart mounts again;
#  - the unit passes `systemd-analyze verify` where that is installed.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HISTFS=$(realpath "$HISTFS")
cd /
UNIT=$HERE/../../packaging/histfs@.service
[ -f "$UNIT" ] || fail "no unit at $UNIT"

# unit_command KEY: the expanded KEY= line of the unit for $INSTANCE into CMD (argv) and MODE.
unit_command() {
  local words=()
  mapfile -d '' words < <("$PY" "$HERE/unit_exec.py" command "$UNIT" "$INSTANCE" "$1" --root "$T" --histfs "$HISTFS") ||
    fail "unit_exec.py could not read $1"
  MODE=${words[0]}
  CMD=("${words[@]:1}")
}

# start_service NAME: ExecStart in the background with a fresh notify listener; waits for READY=1.
start_service() {
  NOTIFY=$T/notify-$1
  "$PY" "$HERE/notify_listener.py" "$NOTIFY.sock" "$MNT" "$NOTIFY.log" &
  LISTENER=$!
  wait_for "the notify socket exists" test -S "$NOTIFY.sock"
  unit_command ExecStart
  NOTIFY_SOCKET=$NOTIFY.sock "${CMD[@]}" >"$T/service-$1.out" 2>&1 &
  MAIN_PID=$!
  wait_for "the service says READY=1" grep -q '^READY' "$NOTIFY.log"
  grep -qx 'READY mounted=yes answers=yes' "$NOTIFY.log" ||
    fail "READY=1 came before the mount answered: $(cat "$NOTIFY.log")"
  mountpoint -q "$MNT" || fail "$MNT is not a mount point after READY=1"
}

# stop_service: ExecStop, then the checks systemd relies on; ExecStopPost as systemd runs it after.
stop_service() {
  local rc=0
  unit_command ExecStop
  [ "$MODE" = strict ] || fail "ExecStop's failure is ignored: systemd would not see a stop that failed"
  "${CMD[@]}" >"$T/stop.out" 2>&1 || rc=$?
  [ "$rc" = 0 ] || fail "ExecStop (${CMD[*]}) exited with $rc: $(cat "$T/stop.out")"
  ! mountpoint -q "$MNT" || fail "$MNT is still mounted after ExecStop"
  # ExecStop returned: the daemon has let go of the git dir; it ends by itself, with status 0.
  wait_exit "$MAIN_PID" || fail "the daemon $MAIN_PID is still running after ExecStop returned"
  rc=0
  wait "$MAIN_PID" || rc=$?
  [ "$rc" = 0 ] || fail "the daemon exited with $rc: $(tail -n 5 "$T/service-$1.out")"
  wait_exit "$LISTENER" || fail "the notify listener did not end (no STOPPING=1?): $(cat "$NOTIFY.log")"
  grep -qx 'STOPPING=1' "$NOTIFY.log" || fail "no STOPPING=1: $(cat "$NOTIFY.log")"
  after_stop
}
# ExecStopPost after a clean stop: nothing is left to clear; it fails, and systemd ignores it.
after_stop() {
  unit_command ExecStopPost
  [ "$MODE" = ignore-failure ] || fail "ExecStopPost must be allowed to fail (it has nothing to do after a clean stop)"
  "${CMD[@]}" >"$T/stoppost.out" 2>&1 || true
}

if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify finds nothing wrong in the unit"
  new_workspace
  cp "$UNIT" "$T/histfs@verify.service"
  # It cannot find `histfs` (not installed here); anything else it says is a mistake in the unit.
  systemd-analyze verify --man=no "$T/histfs@verify.service" >"$T/verify.out" 2>&1 || true
  if grep -v 'Command histfs is not executable' "$T/verify.out" | grep -q .; then
    fail "systemd-analyze verify: $(cat "$T/verify.out")"
  fi
fi

step "ExecStart with an env file (another backing dir, a 30 s quiet period): READY=1 once it answers"
new_workspace
mkdir -p "$T/etc/histfs"
cp "$HERE/../../packaging/config.json" "$T/etc/histfs/config.json"
INSTANCE=$("$PY" "$HERE/unit_exec.py" escape "$MNT")
printf 'HISTFS_BACKING=%s\nHISTFS_ARGS=--log-file %s --commit-quiet 30s --commit-max-delay 60s\n' "$DATA" "$LOG" \
  >"$T/etc/histfs/$INSTANCE.env"
echo before >"$DATA/before.md"
start_service envfile
[ "$(cat "$MNT/before.md")" = before ] || fail "the mount does not show the backing dir"
[ "$(git_h show HEAD:before.md)" = before ] || fail "the initial import did not commit before.md"

step "ExecStop commits the pending change, unmounts, and returns once the daemon is done"
echo pending >"$MNT/pending.md"
assert_not_in_head pending.md
stop_service envfile
assert_in_head pending.md
[ "$(git_h show HEAD:pending.md)" = pending ] || fail "the commit at stop has the wrong content"
assert_fsck

step "in place (no env file): the unit mounts the mount point over itself, git dir beside it"
new_workspace
mkdir -p "$T/etc/histfs"
cp "$HERE/../../packaging/config.json" "$T/etc/histfs/config.json"
INSTANCE=$("$PY" "$HERE/unit_exec.py" escape "$MNT")
GITDIR=$MNT.git
echo kept >"$MNT/kept.md"
start_service inplace
[ "$(git_h show HEAD:kept.md)" = kept ] || fail "the in-place mount did not import kept.md into $GITDIR"

step "a crash (kill -9) leaves a dead mount; ExecStopPost clears it and the restart mounts again"
kill -9 "$MAIN_PID"
wait "$MAIN_PID" 2>/dev/null || true
kill "$LISTENER" 2>/dev/null || true
wait "$LISTENER" 2>/dev/null || true
! stat "$MNT/kept.md" >/dev/null 2>&1 || fail "the mount still answers after kill -9"
unit_command ExecStopPost
"${CMD[@]}" >"$T/stoppost.out" 2>&1 || fail "ExecStopPost did not clear the dead mount: $(cat "$T/stoppost.out")"
! mountpoint -q "$MNT" || fail "$MNT is still a mount point after ExecStopPost"
start_service restarted
[ "$(cat "$MNT/kept.md")" = kept ] || fail "the restarted mount does not show kept.md"
echo again >"$MNT/again.md"
stop_service restarted
assert_in_head kept.md again.md

finish "the unit's ExecStart/ExecStop/ExecStopPost lines: readiness, committed stop, restart after a crash"
