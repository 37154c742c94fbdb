#!/usr/bin/env bash
# Progress: the initial import and a restore show a progress line on the terminal of the command
# that started them (run under `script`, a pseudo-terminal) and nothing extra when stderr is not
# a terminal; status shows a restore while it runs (state, done/total).
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /
command -v script >/dev/null || fail "script (util-linux) is needed by this test"
FILES=${PROGRESS_FILES:-12000}

# on_tty LOG CMD: run CMD (a shell command line) with a pseudo-terminal as its stdin, stdout and
# stderr; what it wrote goes to LOG.
on_tty() { script -qefc "$2" "$1" >/dev/null; }

step "generate $FILES files"
new_workspace
make_notes "$FILES" 40

step "the initial import draws a progress line on a terminal"
on_tty "$T/mount.tty" "'$HISTFS' mount '$DATA' '$MNT' --commit-quiet 200ms --commit-max-delay 1s --log-file '$LOG'"
mountpoint -q "$MNT" || fail "the mount under script did not come up: $(cat "$T/mount.tty")"
DAEMON_PID=$(daemon_pid)
# The line waits 300 ms before its first drawing (quick commands show none) and is redrawn every
# 250 ms: an import quicker than that rightly shows nothing, so the test asks for the line only
# when the import (its git_commit line) took twice that delay.
import_ms=$(sed -nE 's/.* initial import: .*\(([0-9]+) paths?, ([0-9]+)\.[0-9] ms,.*/\2/p' "$LOG" | head -n 1)
[ -n "$import_ms" ] || fail "no initial import commit in the log"
if [ "$import_ms" -ge 600 ]; then
  grep -qaE "initial import: (listing|comparing) files" "$T/mount.tty" ||
    fail "no progress line on the terminal after a $import_ms ms import: $(tr '\r' '\n' <"$T/mount.tty" | tail -n 5)"
  grep -qaF $'\r' "$T/mount.tty" || fail "the progress line is not redrawn in place"
  grep -qaE "initial import: comparing files [0-9]+/$FILES" "$T/mount.tty" ||
    echo "(the import took $import_ms ms; no drawing fell in its comparing phase)"
else
  echo "the import took $import_ms ms, too quick to ask for the line (it may or may not be drawn)"
fi
unmount_histfs

step "a remount that is not on a terminal prints nothing extra"
rm -rf "$GITDIR"
mount_histfs # stderr to a file
# Its log lines as before, and no progress line.
grep -q "comparing $DATA with the last commit" "$T/mount.err" || fail "the mount's stderr: $(cat "$T/mount.err")"
! grep -qaF -e "initial import: comparing" -e $'\r' "$T/mount.err" || fail "a progress line on a stderr that is not a terminal"
first=$(git_h rev-parse HEAD)

step "restore: status shows it while it runs, and its terminal a progress line"
rm -rf "${MNT:?}"/d*
cli_ok flush --mount "$MNT"
( on_tty "$T/restore.tty" "'$HISTFS' restore '$MNT' --to $first --mount '$MNT'" </dev/null ) &
restore_pid=$!
seen=""
for _ in $(seq 300); do
  "$HISTFS" status --json --mount "$MNT" >"$T/status.json" 2>/dev/null || true
  if grep -q '"task": "restore"' "$T/status.json"; then
    seen=$(json_get "$T/status.json" '[t for t in j["progress"] if t["task"] == "restore"][0]')
    break
  fi
  alive "$restore_pid" || break
  sleep 0.05
done
wait "$restore_pid" || fail "the restore failed: $(cat "$T/restore.tty")"
[ -n "$seen" ] || fail "status never showed the restore in progress"
echo "status showed: $seen"
for field in state "done" total bytes; do
  grep -qF "\"$field\"" <<<"$seen" || fail "status's progress has no $field: $seen"
done
grep -qaE "restore: (comparing files|writing files|committing)" "$T/restore.tty" ||
  fail "no restore progress line on the terminal: $(tr '\r' '\n' <"$T/restore.tty" | tail -n 5)"
[ "$(git_h rev-parse "HEAD^{tree}")" = "$(git_h rev-parse "$first^{tree}")" ] || fail "the restore did not restore"

step "a restore whose stderr is not a terminal prints only its answer"
rm -rf "${MNT:?}"/d0*
cli_ok flush --mount "$MNT"
cli_ok restore "$MNT" --to "$first" --mount "$MNT"
[ ! -s "$T/cli.err" ] || fail "restore wrote to stderr: $(cli_err)"
unmount_histfs

finish "progress on a terminal and in status"
