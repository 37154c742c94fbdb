#!/usr/bin/env bash
# The backing dir renamed (or removed) while mounted: writes through the mount are still
# committed (the daemon follows the backing dir's fd, not its old name), and `histfs status`
# and the log say what happened, so nobody remounts the new name without its git dir.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python

flush() { cli_ok flush --mount "$MNT"; }

new_workspace
echo "before" >"$DATA/a.md"
mount_histfs
ORIGINAL=$DATA

step "status reports no problem while the backing dir is where it was mounted from"
status_json
[ "$(json_get "$T/status.json" 'j.get("backing_problem")')" = null ] || fail "status: $(cat "$T/status.json")"
cli_ok status --mount "$MNT"
! grep -q "^warning:" "$T/cli.out" || fail "status warns: $(cli_out)"

step "rename the backing dir while mounted; writes through the mount are still committed"
mv "$ORIGINAL" "$T/data-moved"
DATA=$T/data-moved
echo "after the move" >"$MNT/a.md"
mkdir "$MNT/new" && echo "new" >"$MNT/new/b.md"
mv "$MNT/new/b.md" "$MNT/new/c.md"
flush
[ "$(git_h show HEAD:a.md)" = "after the move" ] || fail "the write after the rename was not committed: $(git_h log -1 --stat)"
assert_in_head new/c.md
assert_not_in_head new/b.md
wait_synced
status_json
[ "$(json_get "$T/status.json" 'j["pending_changes"]')" = 0 ] || fail "changes still pending: $(cat "$T/status.json")"

step "status and the log say the backing dir moved, and where"
status_json
problem=$(json_get "$T/status.json" 'j["backing_problem"]')
grep -qF "moved to $DATA" <<<"$problem" || fail "status backing_problem: $problem"
grep -qF -- "--git-dir" <<<"$problem" || fail "status does not say how to remount: $problem"
cli_ok status --mount "$MNT"
grep -qF "warning:      the backing dir $ORIGINAL was moved to $DATA" "$T/cli.out" || fail "status text: $(cli_out)"
grep -q "warn.*the backing dir $ORIGINAL was moved to $DATA" "$LOG" || fail "no warning in the log"

step "rename it back: no problem any more, and commits go on"
mv "$DATA" "$ORIGINAL"
DATA=$ORIGINAL
echo "back home" >"$MNT/a.md"
flush
[ "$(git_h show HEAD:a.md)" = "back home" ] || fail "the write after renaming back was not committed"
status_json
[ "$(json_get "$T/status.json" 'j["backing_problem"]')" = null ] || fail "status: $(cat "$T/status.json")"
wait_synced
assert_fsck
unmount_histfs

step "remount from a new name with --git-dir: the history goes on"
mv "$DATA" "$T/data-moved"
DATA=$T/data-moved
commits=$(commit_count)
mount_histfs --git-dir "$GITDIR"
[ "$(commit_count)" = "$commits" ] || fail "the remount from the new name made a commit: $(git_h log -1 --format=%s)"
echo "from the new name" >"$MNT/a.md"
flush
[ "$(git_h show HEAD:a.md)" = "from the new name" ] || fail "not committed after the remount"
unmount_histfs

step "remove the backing dir while mounted: status says nothing more can be committed"
mount_histfs --git-dir "$GITDIR"
rm -rf "$DATA"
(echo "lost" >"$MNT/a.md") 2>/dev/null || true
status_json
problem=$(json_get "$T/status.json" 'j["backing_problem"]')
grep -qF "was removed while mounted" <<<"$problem" || fail "status backing_problem: $problem"
mkdir "$DATA" # for the unmount's final commit and the cleanup
unmount_histfs

finish "writes after renaming the backing dir are committed; status reports the rename and the removal"
