#!/usr/bin/env bash
# The control CLI against a real mount: status, flush, log, snapshot(s), restore, reconcile,
# each also with --json; restore's gates and errors (nothing may change when it refuses);
# finding the daemon (cwd, --mount, none) and refusing other users.
# The mount commits only after 30 s of quiet, so every commit here is one the test asked for.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd / # not inside the mount unless a step says so

ISO_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
ct() { git_h log -1 --format=%ct "$1"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
head_id() { git_h rev-parse HEAD; }
flush() { cli_ok flush --mount "$MNT"; }
# Remember HEAD, the commit count and a digest of the backing dir; assert_unchanged compares.
remember() { saved_head=$(head_id) saved_count=$(commit_count) saved_digest=$(dir_digest "$DATA"); }
assert_unchanged() {
  [ "$(head_id)" = "$saved_head" ] || fail "HEAD moved: $(git_h log -1 --format=%s)"
  [ "$(commit_count)" = "$saved_count" ] || fail "the commit count changed"
  [ "$(dir_digest "$DATA")" = "$saved_digest" ] || fail "the backing dir changed"
}
# The JSON answer of the last cli call, checked valid and kept as $T/$1.json.
keep_json() {
  cp "$T/cli.out" "$T/$1.json"
  json_valid "$T/$1.json"
}
# Sorted `action path` lines of a restore answer.
restore_changes() { json_get "$1" '"\n".join(sorted(c["action"] + " " + c["path"] for c in j["changes"]))'; }

step "mount with a 30 s quiet period and git.maxDelete=2"
new_workspace
mkdir -p "$DATA/notes" "$DATA/proj/sub"
echo a1 >"$DATA/notes/a.md"
echo keep >"$DATA/proj/keep.md"
echo b1 >"$DATA/proj/b.md"
echo s1 >"$DATA/proj/sub/s.md"
echo g1 >"$DATA/proj/gone.md"
echo top >"$DATA/top.md"
printf '#!/bin/sh\n' >"$DATA/run.sh" && chmod 755 "$DATA/run.sh"
ln -s notes/a.md "$DATA/link"
COMMIT_QUIET=30s COMMIT_MAX_DELAY=60s mount_histfs --set git.maxDelete=2
C0=$(head_id)

step "status and status --json"
cli_ok status --mount "$MNT"
for label in "mount:" "backing dir:" "git dir:" "HEAD:" "last commit:" "pending:"; do
  grep -q "^$label" "$T/cli.out" || fail "status does not show '$label': $(cli_out)"
done
grep -qF "$MNT" "$T/cli.out" && grep -qF "${C0:0:12}" "$T/cli.out" || fail "status lacks the mount or HEAD: $(cli_out)"
cli_ok status --mount "$MNT" --json
keep_json status
[ "$(json_get "$T/status.json" 'j["mountpoint"]')" = "$MNT" ] || fail "status mountpoint: $(cat "$T/status.json")"
[ "$(json_get "$T/status.json" 'j["backing"]')" = "$DATA" ] || fail "status backing: $(cat "$T/status.json")"
[ "$(json_get "$T/status.json" 'j["git_dir"]')" = "$GITDIR" ] || fail "status git_dir: $(cat "$T/status.json")"
[ "$(json_get "$T/status.json" 'j["head"]')" = "$C0" ] || fail "status head: $(cat "$T/status.json")"
[ "$(json_get "$T/status.json" 'j["last_commit"]["id"]')" = "$C0" ] || fail "status last_commit.id"
[ "$(json_get "$T/status.json" 'j["last_commit"]["subject"]')" = "$(git_h log -1 --format=%s)" ] ||
  fail "status last_commit.subject"
[ "$(json_get "$T/status.json" 'j["last_commit"]["time"]')" = "$(iso "$(ct HEAD)")" ] || fail "status last_commit.time"
[ "$(json_get "$T/status.json" 'j["pending_changes"]')" = 0 ] || fail "status pending_changes is not 0"
[ "$(json_get "$T/status.json" 'j["last_error"]')" = "" ] || fail "status last_error is not empty"
[ "$(json_get "$T/status.json" 'j["remote"]')" = null ] || fail "status remote is not null"
[[ "$(json_get "$T/status.json" 'j["started"]')" =~ $ISO_RE ]] || fail "status started is not a UTC time"
json_get "$T/status.json" 'j["commits_since_start"]' | grep -qE '^[0-9]+$' || fail "status commits_since_start"
json_get "$T/status.json" 'j["last_commit"]["author"]' | grep -q . || fail "status last_commit.author is empty"

step "flush commits at once, long before the 30 s quiet period"
echo a2 >"$MNT/notes/a.md"
echo new >"$MNT/new.md"
cli_ok status --mount "$MNT" --json
[ "$(json_get "$T/cli.out" 'j["pending_changes"] >= 2')" = true ] || fail "status does not count 2 pending changes"
[ "$(head_id)" = "$C0" ] || fail "something was committed before the quiet period"
flush
C1=$(head_id)
[ "$C1" != "$C0" ] || fail "flush made no commit"
[ "$(cli_out)" = "HEAD is ${C1:0:12}" ] || fail "flush said: $(cli_out)"
[ "$(git_h show HEAD:notes/a.md)" = a2 ] && [ "$(git_h show HEAD:new.md)" = new ] || fail "flush did not commit both files"
cli_ok status --mount "$MNT" --json
[ "$(json_get "$T/cli.out" 'j["pending_changes"]')" = 0 ] || fail "pending changes remain after flush"
wait_synced
flush
[ "$(head_id)" = "$C1" ] || fail "a flush with nothing pending made a commit"

step "more history: notes/a.md edited, proj/ changed and pruned"
echo a3 >"$MNT/notes/a.md"
flush
C2=$(head_id)
echo b2 >"$MNT/proj/b.md"
echo c >"$MNT/proj/c.md"
mkdir "$MNT/proj/d" && echo e >"$MNT/proj/d/e.md"
flush
C3=$(head_id)
rm "$MNT/proj/gone.md"
rm -r "$MNT/proj/sub"
chmod -x "$MNT/run.sh"
ln -sfn top.md "$MNT/link"
flush
C4=$(head_id)
[ "$(commit_count)" = 5 ] || fail "expected 5 commits, found $(commit_count)"
wait_synced

step "log, log -n, log --json"
cli_ok log --mount "$MNT"
diff <(git_h log --format='%H %s' | sed -E 's/^(.{12})[0-9a-f]{28} /\1 /') \
  <(sed -E 's/^([0-9a-f]{12})  [^ ]+  /\1 /' "$T/cli.out") >&2 || fail "log is not every commit, newest first"
grep -qE "^${C4:0:12}  [0-9T:-]+Z  chore\(sync\)" "$T/cli.out" || fail "log lines are not 'id  time  subject': $(cli_out)"
cli_ok log -n 2 --mount "$MNT"
[ "$(wc -l <"$T/cli.out")" = 2 ] || fail "log -n 2 printed $(wc -l <"$T/cli.out") lines"
cli_ok log --json --mount "$MNT"
keep_json log
[ "$(json_get "$T/log.json" '"\n".join(c["id"] for c in j["commits"])')" = "$(git_h rev-list HEAD)" ] ||
  fail "log --json ids are not git rev-list HEAD"
[ "$(json_get "$T/log.json" 'j["commits"][0]["subject"]')" = "$(git_h log -1 --format=%s)" ] || fail "log --json subject"
[[ "$(json_get "$T/log.json" 'j["commits"][0]["time"]')" =~ $ISO_RE ]] || fail "log --json time is not a UTC time"
[ "$(json_get "$T/log.json" 'j["commits"][-1]["time"]')" = "$(iso "$(ct "$C0")")" ] || fail "log --json time of the first commit"

step "log PATH: only the commits that changed a file or a folder"
cli_ok log --json --mount "$MNT" "$MNT/notes/a.md"
json_valid "$T/cli.out"
[ "$(json_get "$T/cli.out" '" ".join(c["id"] for c in j["commits"])')" = "$(git_h log --format=%H -- notes/a.md | paste -sd " ")" ] ||
  fail "log notes/a.md is not git log -- notes/a.md"
[ "$(json_get "$T/cli.out" '" ".join(c["id"] for c in j["commits"])')" = "$C2 $C1 $C0" ] || fail "log notes/a.md: $(cli_out)"
cli_ok log --json --mount "$MNT" "$MNT/proj"
[ "$(json_get "$T/cli.out" '" ".join(c["id"] for c in j["commits"])')" = "$C4 $C3 $C0" ] || fail "log proj: $(cli_out)"
cli_ok log --json --mount "$MNT" "$MNT/proj/gone.md" # deleted, but it has a history
[ "$(json_get "$T/cli.out" '" ".join(c["id"] for c in j["commits"])')" = "$C4 $C0" ] || fail "log proj/gone.md: $(cli_out)"
cli_ok log --json --mount "$MNT" "$MNT/never.md"
[ "$(json_get "$T/cli.out" 'len(j["commits"])')" = 0 ] || fail "log of a path that never existed lists commits"
cd "$MNT/notes" # PATH relative to the current dir; the mount found from it
cli_ok log a.md
cd /
[ "$(cut -c1-12 "$T/cli.out" | tr '\n' ' ')" = "${C2:0:12} ${C1:0:12} ${C0:0:12} " ] || fail "log a.md from inside: $(cli_out)"
cli_error "not inside the mount" log --mount "$MNT" /etc/passwd

step "snapshot: default name, flushing pending changes first"
echo pending >"$MNT/snap.md"
cli_ok snapshot --json --mount "$MNT"
keep_json snap
snap_name=$(json_get "$T/snap.json" 'j["name"]')
[[ "$snap_name" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z$ ]] || fail "default snapshot name: $snap_name"
S1=$(head_id)
[ "$S1" != "$C4" ] && [ "$(git_h show HEAD:snap.md)" = pending ] || fail "snapshot did not commit the pending change"
[ "$(json_get "$T/snap.json" 'j["commit"]')" = "$S1" ] || fail "snapshot --json commit is not HEAD"
[[ "$(json_get "$T/snap.json" 'j["time"]')" =~ $ISO_RE ]] || fail "snapshot --json time"
[ "$(git_h rev-parse "refs/tags/$snap_name^{commit}")" = "$S1" ] || fail "no tag $snap_name at HEAD"

step "snapshot -m MSG NAME"
cli_ok snapshot -m "before the cleanup" keep1 --mount "$MNT"
[ "$(cli_out)" = "snapshot keep1 at ${S1:0:12}" ] || fail "snapshot said: $(cli_out)"
[ "$(git_h cat-file -t refs/tags/keep1)" = tag ] || fail "keep1 is not an annotated tag"
[ "$(git_h tag -l --format='%(contents)' keep1)" = "before the cleanup" ] ||
  fail "tag message: $(git_h tag -l --format='%(contents)' keep1)"
[ "$(head_id)" = "$S1" ] || fail "a snapshot with nothing pending made a commit"

step "snapshot: invalid and duplicate names are refused, exit 1, no tag made"
tags_before=$(git_h tag -l)
for bad in "bad name" "a/b" ".." "tags" "latest" "x.lock"; do
  cli_error "invalid snapshot name" snapshot "$bad" --mount "$MNT"
done
cli_error "already exists" snapshot keep1 -m "again" --mount "$MNT"
[ "$(git_h tag -l)" = "$tags_before" ] || fail "tags changed: $(git_h tag -l | tr '\n' ' ')"
[ "$(git_h tag -l --format='%(contents)' keep1)" = "before the cleanup" ] || fail "the duplicate replaced keep1"

step "snapshots and snapshots --json"
cli_ok snapshots --mount "$MNT"
grep -qE "^keep1 +[0-9T:-]+Z  ${S1:0:12}  before the cleanup$" "$T/cli.out" || fail "snapshots: $(cli_out)"
grep -qF "$snap_name" "$T/cli.out" || fail "snapshots lacks $snap_name: $(cli_out)"
cli_ok snapshots --json --mount "$MNT"
keep_json snaps
[ "$(json_get "$T/snaps.json" '"\n".join(sorted(s["name"] for s in j["snapshots"]))')" = "$(git_h tag -l | sort)" ] ||
  fail "snapshots --json names are not the tags"
[ "$(json_get "$T/snaps.json" 'all(s["commit"] == "'"$S1"'" for s in j["snapshots"])')" = true ] ||
  fail "snapshots --json commits"
# In the printable form, like every name and message in a --json answer: the tag message's newline is \x0a.
[ "$(json_get "$T/snaps.json" '[s["message"] for s in j["snapshots"] if s["name"] == "keep1"][0]')" = 'before the cleanup\x0a' ] ||
  fail "snapshots --json message"
[ "$(json_get "$T/snaps.json" '[s["time"] for s in j["snapshots"]] == sorted([s["time"] for s in j["snapshots"]], reverse=True)')" = true ] ||
  fail "snapshots are not newest first"

step "restore a file (REV a commit prefix): one commit with subject and trailer"
remember
cli_ok restore "$MNT/notes/a.md" --to "${C1:0:7}" --mount "$MNT"
R1=$(head_id)
[ "$(cli_out)" = "wrote notes/a.md"$'\n'"committed ${R1:0:12}" ] || fail "restore said: $(cli_out)"
[ "$(cat "$MNT/notes/a.md")" = a2 ] || fail "notes/a.md is not back to a2"
[ "$(git_h rev-parse HEAD^)" = "$saved_head" ] || fail "the restore is not exactly one commit on top of HEAD"
[ "$(git_h log -1 --format=%s)" = "restore: notes/a.md to ${C1:0:7}" ] || fail "subject: $(git_h log -1 --format=%s)"
[ "$(git_h log -1 --format='%(trailers:key=Restored-From,valueonly)' | sed '/^$/d')" = "$C1" ] ||
  fail "no 'Restored-From: $C1' trailer: $(git_h log -1 --format=%B)"
[ "$(git_h diff --name-only HEAD^ HEAD)" = notes/a.md ] || fail "the restore changed more: $(git_h diff --name-only HEAD^ HEAD)"
wait_synced

step "restore REV forms, resolved by --dry-run --json: id, prefix, tag, HEAD~N, UTC time, date"
rev_of() {
  cli_ok restore "$MNT/notes/a.md" --to "$1" --dry-run --json --mount "$MNT"
  json_valid "$T/cli.out"
  [ "$(json_get "$T/cli.out" 'j["rev"]')" = "$2" ] || fail "--to $1 resolved to $(json_get "$T/cli.out" 'j["rev"]'), expected $2"
}
rev_of "$C2" "$C2"
rev_of "${C2:0:4}" "$C2"
rev_of keep1 "$S1"
rev_of "$snap_name" "$S1"
rev_of HEAD~2 "$(git_h rev-parse HEAD~2)"
rev_of HEAD "$R1"
t_newest_at() { git_h log --format='%H %ct' | awk -v t="$1" '$2 <= t { print $1; exit }'; }
rev_of "$(iso "$(ct "$C2")")" "$(t_newest_at "$(ct "$C2")")"
rev_of "$(date -u +%Y-%m-%d)" "$R1" # the end of today

step "restore a folder, removing files absent at REV, seen by an inotify watcher"
remember
inotifywait -m -r -e modify,create,delete --format '%e %w%f' "$MNT" >"$T/events" 2>"$T/inotify.err" &
watcher=$!
wait_for "inotifywait has set its watches" grep -q "Watches established" "$T/inotify.err"
cli_ok restore "$MNT/proj" --to "$C1" --json --mount "$MNT"
keep_json restore
R2=$(head_id)
[ "$(restore_changes "$T/restore.json")" = "$(printf '%s\n' "delete proj/c.md" "delete proj/d/e.md" \
  "write proj/b.md" "write proj/gone.md" "write proj/sub/s.md")" ] || fail "restore proj changes: $(cat "$T/restore.json")"
[ "$(json_get "$T/restore.json" 'j["rev"]')" = "$C1" ] && [ "$(json_get "$T/restore.json" 'j["commit"]')" = "$R2" ] &&
  [ "$(json_get "$T/restore.json" 'j["dry_run"]')" = false ] || fail "restore --json: $(cat "$T/restore.json")"
[ "$(git_h rev-parse HEAD:proj)" = "$(git_h rev-parse "$C1:proj")" ] || fail "HEAD:proj is not proj at $C1"
[ "$(git_h rev-parse HEAD^)" = "$saved_head" ] || fail "the folder restore is not one commit"
[ "$(git_h log -1 --format=%s)" = "restore: proj to $C1" ] || fail "subject: $(git_h log -1 --format=%s)"
[ ! -e "$DATA/proj/c.md" ] && [ ! -e "$DATA/proj/d" ] || fail "proj/c.md or the emptied proj/d is still there"
[ "$(cat "$DATA/proj/b.md" "$DATA/proj/sub/s.md" "$DATA/proj/gone.md" "$DATA/proj/keep.md")" = $'b1\ns1\ng1\nkeep' ] ||
  fail "proj/ files do not have their old content"
! git_h diff --name-only HEAD^ HEAD | grep -qv '^proj/' || fail "the restore touched files outside proj/"
wait_synced
for event in "MODIFY $MNT/proj/b.md" "CREATE $MNT/proj/gone.md" "CREATE,ISDIR $MNT/proj/sub" \
  "DELETE $MNT/proj/c.md" "DELETE $MNT/proj/d/e.md" "DELETE,ISDIR $MNT/proj/d"; do
  wait_for "inotify reports '$event'" grep -qxF "$event" "$T/events"
done
kill "$watcher"
wait "$watcher" 2>/dev/null || true

step "restore when the files already match: nothing to do, no commit"
remember
cli_ok restore "$MNT/proj" --to "$C1" --mount "$MNT"
grep -q "^nothing to restore" "$T/cli.out" || fail "restore said: $(cli_out)"
assert_unchanged

step "--dry-run lists the changes and changes nothing (not even pending edits get committed)"
echo "pending edit" >"$MNT/top.md"
remember
cli_ok restore "$MNT/proj" --to "$C4" --dry-run --mount "$MNT"
[ "$(sort "$T/cli.out")" = "$(printf '%s\n' "would delete proj/gone.md" "would delete proj/sub/s.md" \
  "would write proj/b.md" "would write proj/c.md" "would write proj/d/e.md")" ] || fail "dry run said: $(cli_out)"
cli_ok restore "$MNT/proj" --to "$C4" --dry-run --json --mount "$MNT"
json_valid "$T/cli.out"
[ "$(json_get "$T/cli.out" '[j["dry_run"], j["commit"], len(j["changes"])]')" = "[true, null, 5]" ] ||
  fail "dry run --json: $(cli_out)"
assert_unchanged
cli_ok status --mount "$MNT" --json
[ "$(json_get "$T/cli.out" 'j["pending_changes"] >= 1')" = true ] || fail "the dry run committed the pending edit"
flush

step "restore . from inside the mount, by snapshot name; ignored files stay"
echo "scratch" >"$MNT/scratch.tmp" # ignored by default
remember
cd "$MNT"
cli_ok restore . --to keep1
cd /
[ "$(git_h rev-parse 'HEAD^{tree}')" = "$(git_h rev-parse 'keep1^{tree}')" ] || fail "HEAD's tree is not keep1's"
[ "$(git_h log -1 --format=%s)" = "restore: . to keep1" ] || fail "subject: $(git_h log -1 --format=%s)"
[ "$(git_h rev-parse HEAD^)" = "$saved_head" ] || fail "restore . is not one commit"
[ "$(cat "$MNT/scratch.tmp")" = scratch ] || fail "restore . removed an ignored file"
wait_synced

step "mass-delete gate: more than git.maxDelete (2) deletions need --allow-mass-delete"
remember
cli_error "git.maxDelete" restore "$MNT" --to "$C0" --mount "$MNT"
grep -qF -- "--allow-mass-delete" "$T/cli.err" || fail "the refusal does not name --allow-mass-delete: $(cli_err)"
assert_unchanged
cli_ok restore "$MNT" --to "$C0" --allow-mass-delete --json --mount "$MNT"
json_valid "$T/cli.out"
[ "$(json_get "$T/cli.out" 'sum(c["action"] == "delete" for c in j["changes"])')" -gt 2 ] || fail "test bug: no mass delete"
[ "$(git_h rev-parse 'HEAD^{tree}')" = "$(git_h rev-parse "$C0^{tree}")" ] || fail "HEAD's tree is not the first commit's"
[ "$(stat -c %a "$DATA/run.sh")" = 755 ] && [ "$(readlink "$DATA/link")" = notes/a.md ] ||
  fail "restore did not bring back the executable bit and the symlink"
wait_synced

step "bad REV, bad PATH, PATH outside the mount or under .history: exit 1, clear error, nothing changed"
echo "pending again" >"$MNT/top.md"
remember
cli_error "unknown revision" restore "$MNT/notes/a.md" --to no-such-rev --mount "$MNT"
cli_error "unknown revision" restore "$MNT/notes/a.md" --to deadbeefdeadbeef --mount "$MNT"
cli_error "too short" restore "$MNT/notes/a.md" --to "${C1:0:3}" --mount "$MNT"
cli_error "unknown revision" restore "$MNT/notes/a.md" --to HEAD~99 --mount "$MNT"
cli_error "no commit at or before" restore "$MNT/notes/a.md" --to 1999-01-01 --mount "$MNT"
cli_error "not inside the mount" restore /etc/passwd --to "$C1" --mount "$MNT"
cli_error "not inside the mount" restore "$MNT/../outside" --to "$C1" --mount "$MNT"
cli_error "read-only" restore "$MNT/.history/commits" --to "$C1" --mount "$MNT"
cli_error "bad REV" restore "$MNT/notes/a.md" --to "bad REV" --json --mount "$MNT"
[ ! -s "$T/cli.out" ] || fail "a failed --json restore printed to stdout: $(cli_out)"
assert_unchanged
flush
remember
cli_error "did not exist" restore "$MNT/no-such-file.md" --to "$C1" --mount "$MNT"
assert_unchanged

step "no mount here, or none at --mount: clear error, exit 1"
cli_error "no histfs mount here" status
cli_error "no histfs mount here" restore "$T" --to HEAD
cli_error "no histfs mount at $T" status --mount "$T"

step "the control socket is 0600 and other users are refused"
sock=$GITDIR/histfs.sock
[ -S "$sock" ] || fail "$sock is not a socket"
[ "$(stat -c '%a %u' "$sock")" = "600 $(id -u)" ] || fail "$sock is $(stat -c '%a %u' "$sock"), expected 600 $(id -u)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
  remember
  chmod 755 "$T" # only the socket's own mode stands in the way now
  nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$HISTFS" "$@"; }
  rc=0
  nobody status --mount "$MNT" >"$T/cli.out" 2>"$T/cli.err" || rc=$?
  [ "$rc" = 1 ] || fail "status as nobody exited with $rc; stdout: $(cli_out) stderr: $(cli_err)"
  grep -qi "permission denied" "$T/cli.err" || fail "status as nobody did not say permission denied: $(cli_err)"
  # With the socket and the (private) git dir opened up, the daemon itself checks the peer's uid.
  chmod 666 "$sock"
  chmod 711 "$GITDIR"
  rc=0
  nobody status --mount "$MNT" >"$T/cli.out" 2>"$T/cli.err" || rc=$?
  chmod 600 "$sock"
  chmod 700 "$GITDIR"
  [ "$rc" = 1 ] || fail "status as nobody through an open socket exited with $rc; stdout: $(cli_out)"
  grep -q "refused a connection from uid $(id -u nobody)" "$LOG" || fail "the daemon did not log refusing nobody"
  grep -qi "permission denied" "$T/cli.err" || fail_later "the CLI did not pass on the daemon's refusal: $(cli_err)"
  rc=0
  nobody restore "$MNT" --to "$C0" --allow-mass-delete --mount "$MNT" >/dev/null 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "restore as nobody exited with $rc"
  assert_unchanged
  chmod 700 "$T"
else
  echo "NOTE: not root, or no setpriv or user nobody: the other-user checks are not run" >&2
fi
cli_ok status --mount "$MNT" # the owner still gets in

step "reconcile commits what was written straight into the backing dir; the mount shows it"
cat "$MNT/top.md" "$MNT/notes/a.md" "$MNT/proj/b.md" >/dev/null # the kernel knows these names now
mkdir "$DATA/rdir"
echo r >"$DATA/rdir/r.md"
echo direct >"$DATA/direct.md"
echo "changed in place" >"$DATA/notes/a.md"
echo "replaced" >"$DATA/proj/b.md.tmp" && mv "$DATA/proj/b.md.tmp" "$DATA/proj/b.md" # a new inode under the old name
rm "$DATA/top.md"
before=$(head_id)
cli_ok reconcile "$MNT/rdir" --json --mount "$MNT"
json_valid "$T/cli.out"
[ "$(json_get "$T/cli.out" 'j["committed"]')" = true ] && [ "$(json_get "$T/cli.out" 'j["head"]')" = "$(head_id)" ] ||
  fail "reconcile rdir --json: $(cli_out)"
assert_in_head rdir/r.md top.md
assert_not_in_head direct.md
cli_ok reconcile --mount "$MNT"
[ "$(cli_out)" = "committed $(head_id | cut -c1-12)" ] || fail "reconcile said: $(cli_out)"
assert_in_head direct.md
assert_not_in_head top.md
[ "$(git_h show HEAD:proj/b.md)" = replaced ] && [ "$(git_h show HEAD:notes/a.md)" = "changed in place" ] ||
  fail "reconcile did not commit the changed files"
[ "$(git_h rev-list --count "$before..HEAD")" = 2 ] || fail "reconcile did not make exactly two commits"
cli_ok reconcile --json --mount "$MNT"
[ "$(json_get "$T/cli.out" 'j["committed"]')" = false ] || fail "a reconcile with nothing new committed: $(cli_out)"
wait_synced
[ "$(cat "$MNT/direct.md")" = direct ] || fail_later "the mount does not show a file added to the backing dir"
[ "$(cat "$MNT/notes/a.md")" = "changed in place" ] || fail_later "the mount does not show a file changed in the backing dir"
[ "$(cat "$MNT/proj/b.md")" = replaced ] ||
  fail_later "after reconcile the mount still shows the old content of proj/b.md (replaced in the backing dir): '$(cat "$MNT/proj/b.md")'"
[ ! -e "$MNT/top.md" ] || fail_later "after reconcile the mount still shows top.md, deleted from the backing dir"

step "a file name that is not UTF-8: status, log and restore answer valid JSON, the name in the printable form"
printf 'odd\n' >"$MNT/"$'caf\xff\\x.md'
flush
# printable: stdin's bytes in the printable form (docs/user-guide.md), as the daemon writes them.
printable() {
  "$PY" -c '
import sys
b, out, i = sys.stdin.buffer.read(), [], 0
while i < len(b):
    for n in (1, 2, 3, 4):
        try:
            c = b[i:i + n].decode("utf-8")
            break
        except UnicodeDecodeError:
            c = None
    if c is None or ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f:
        n = 1 if c is None else n
        out.append("".join("\\x%02x" % x for x in b[i:i + n]))
    else:
        out.append("\\\\" if c == "\\" else c)
    i += n
sys.stdout.write("".join(out))'
}
[ "$(printf 'a\\b\xff\xc3\xa9\n' | printable)" = 'a\\b\xff'$'\xc3\xa9''\x0a' ] || fail "test bug: printable gives $(printf 'a\\b\xff\xc3\xa9\n' | printable)"
cli_ok log --json -n 3 --mount "$MNT"
keep_json odd-log
[ "$(json_get "$T/odd-log.json" 'j["commits"][0]["subject"]')" = "$(git_h log -1 --format=%s | head -c -1 | printable)" ] ||
  fail "log --json does not show the subject $(git_h log -1 --format=%s | head -c -1 | printable): $(cat "$T/odd-log.json")"
cli_ok log -n 1 --mount "$MNT"
grep -qF -- "$(git_h log -1 --format=%s | head -c -1 | printable)" "$T/cli.out" || fail "log does not print the subject printable: $(cli_out)"
cli_ok status --json --mount "$MNT"
keep_json odd-status
cli_ok restore "$MNT" --to HEAD~1 --dry-run --json --mount "$MNT"
keep_json odd-restore
[ "$(json_get "$T/odd-restore.json" '[c["path"] for c in j["changes"]]')" = '["caf\\xff\\\\x.md"]' ] ||
  fail "restore --dry-run --json: $(cat "$T/odd-restore.json")"
alive "$DAEMON_PID" || fail "the daemon died"

step "a PATH argument that is not UTF-8 names that very file (sent in the printable form)"
git_h --literal-pathspecs log --format=%H -- $'caf\xff\\x.md' >"$T/odd-ids"
[ "$(wc -l <"$T/odd-ids")" = 1 ] || fail "test bug: git log of the odd name: $(cat "$T/odd-ids")"
cli_ok log --json --mount "$MNT" "$MNT/"$'caf\xff\\x.md'
[ "$(json_get "$T/cli.out" '"\n".join(c["id"] for c in j["commits"])')" = "$(cat "$T/odd-ids")" ] ||
  fail "log of the odd name is not git log -- it: $(cli_out)"
cli_ok log --json --mount "$MNT" "$MNT/"$'\xff'
[ "$(json_get "$T/cli.out" 'len(j["commits"])')" = 0 ] || fail "log of a name that never existed: $(cli_out)"
printf 'changed\n' >"$MNT/"$'caf\xff\\x.md'
ODD_AT=$(head_id)
cli_ok restore "$MNT/"$'caf\xff\\x.md' --to "$ODD_AT" --dry-run --json --mount "$MNT"
[ "$(json_get "$T/cli.out" '[c["path"] for c in j["changes"]]')" = '["caf\\xff\\\\x.md"]' ] ||
  fail "restore --dry-run of the odd name: $(cli_out)"
cli_ok restore "$MNT/"$'caf\xff\\x.md' --to "$ODD_AT" --mount "$MNT"
[ "$(cat "$DATA/"$'caf\xff\\x.md')" = odd ] || fail "restore of the odd name did not bring it back"

# control_request TEXT: send TEXT (bytes, Python escapes) on the control socket; print the answer line.
control_request() {
  "$PY" - "$GITDIR/histfs.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.shutdown(socket.SHUT_WR)
data = b""
while not data.endswith(b"\n"):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("utf-8"))
EOF
}

step "control requests that are not UTF-8 JSON objects get {\"ok\":false,\"error\":...}"
for request in '\xff\xfe{"command":"status"}\n' '{"command":"st\xffatus"}\n' '{"command":"log","path":"\xc3("}\n' \
  '["status"]\n' '{"command":"log","limit":1e300}\n' '{"command":"log","path":null}\n' 'not json\n' ''; do
  control_request "$request" >"$T/raw.json" || fail "no answer to $request"
  json_valid "$T/raw.json"
  [ "$(json_get "$T/raw.json" 'j["ok"]')" = false ] && json_get "$T/raw.json" 'j["error"]' | grep -q . ||
    fail "answer to $request: $(cat "$T/raw.json")"
done
json_get "$T/raw.json" 'j["error"]' >/dev/null
control_request '\xff{}\n' >"$T/raw.json"
grep -q "not valid UTF-8" "$T/raw.json" || fail "the answer does not say the request is not UTF-8: $(cat "$T/raw.json")"
alive "$DAEMON_PID" || fail "the daemon died"
cli_ok status --mount "$MNT"

# hold_connections N MODE: a background client holding N connections to the control socket
# (MODE idle: sends nothing; MODE unread: asks for `snapshots` and never reads the answer).
# Writes "held" to $T/held once they are open, and each busy answer it got to $T/held.busy.
hold_connections() {
  rm -f "$T/held" "$T/held.busy"
  "$PY" - "$GITDIR/histfs.sock" "$1" "$2" "$T/held" <<'EOF' &
import socket, sys, time
path, count, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
held, busy = [], 0
for _ in range(count):
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(path)
    if mode == "unread":
        s.sendall(b'{"command":"snapshots"}\n')
    held.append(s)
for s in held:  # a connection the server turned away is answered at once
    s.settimeout(0.05)
    try:
        if b"busy" in s.recv(4096, socket.MSG_PEEK):
            busy += 1
    except (socket.timeout, BlockingIOError):
        pass
open(out + ".busy", "w").write(str(busy))
open(out, "w").write("held")
time.sleep(600)
EOF
  HOLDER=$!
  wait_for "the client holds its connections" test -e "$T/held"
}
release_connections() { kill "$HOLDER" && wait "$HOLDER" 2>/dev/null || true; }
# status_within_2s: histfs status answers within 2 s.
status_within_2s() {
  local rc=0
  timeout 2 "$HISTFS" status --mount "$MNT" >"$T/cli.out" 2>"$T/cli.err" || rc=$?
  [ "$rc" = 0 ] || fail "status did not answer within 2 s (exit $rc): $(cli_err)"
}

step "an idle client holding a connection open does not keep status waiting"
hold_connections 1 idle
status_within_2s
release_connections

step "a client that never reads its (large) answer does not keep status waiting"
big=$(head -c 90000 /dev/zero | tr '\0' m)
for n in 1 2 3 4 5 6; do cli_ok snapshot -m "$big" "big$n" --mount "$MNT"; done
hold_connections 2 unread
status_within_2s
cli_ok snapshots --json --mount "$MNT"
json_valid "$T/cli.out"
release_connections

step "many clients at once: 64 idle connections are held, more are answered busy at once, status still answers"
hold_connections 70 idle
[ "$(cat "$T/held.busy")" -ge 6 ] || fail "only $(cat "$T/held.busy") of 70 held connections were answered busy"
release_connections
wait_for "status answers again" "$HISTFS" status --mount "$MNT" >/dev/null 2>&1
pids=()
for n in $(seq 24); do
  "$HISTFS" status --json --mount "$MNT" >"$T/many.$n.out" 2>"$T/many.$n.err" &
  pids+=($!)
done
ok=0
for n in $(seq 24); do
  if wait "${pids[$((n - 1))]}"; then
    json_valid "$T/many.$n.out"
    ok=$((ok + 1))
  else
    grep -q busy "$T/many.$n.err" || fail "status $n of 24 at once failed: $(cat "$T/many.$n.err")"
  fi
done
[ "$ok" -ge 1 ] || fail "none of 24 status requests at once was answered"

step "a restore of 240 files on several threads, past a file and a symlink in the way: what git has, seen by a watcher"
mkdir -p "$MNT/many"
for d in $(seq -w 0 23); do
  mkdir -p "$MNT/many/d$d/deep"
  for f in $(seq -w 0 8); do echo "note $d/$f" >"$MNT/many/d$d/n$f.md"; done
  echo "deep $d" >"$MNT/many/d$d/deep/x.md"
done
flush
M1=$(head_id)
find "$MNT/many" -type f -delete # the folders stay: inotifywait -r watches them before the restore
# In the way of folders the restore must make again: a file, and a symlink to a folder outside.
rm -rf "$MNT/many/d05" "$MNT/many/d07"
mkdir -p "$T/outside" && echo in-the-way >"$MNT/many/d05" && ln -s "$T/outside" "$MNT/many/d07"
flush
inotifywait -m -r -e close_write --format '%e %w%f' "$MNT" >"$T/events" 2>"$T/inotify.err" &
watcher=$!
wait_for "inotifywait has set its watches" grep -q "Watches established" "$T/inotify.err"
cli_ok restore "$MNT/many" --to "$M1" --allow-mass-delete --mount "$MNT"
[ "$(git_h rev-parse HEAD:many)" = "$(git_h rev-parse "$M1:many")" ] || fail "HEAD:many is not many at $M1"
[ "$(find "$DATA/many" -type f | wc -l)" = 240 ] || fail "the backing dir holds $(find "$DATA/many" -type f | wc -l) files"
[ "$(cat "$DATA/many/d05/n3.md" "$DATA/many/d07/deep/x.md")" = $'note 05/3\ndeep 07' ] || fail "wrong content"
[ -d "$DATA/many/d07" ] && [ ! -L "$DATA/many/d07" ] && [ -z "$(ls -A "$T/outside")" ] ||
  fail "the restore wrote through the symlink many/d07"
# Every file in a folder the watcher had before the restore (d05 and d07 are new: inotifywait -r
# adds their watches only after it sees them, and may miss what lands first).
watched_writes() { grep "^CLOSE_WRITE,CLOSE $MNT/many/" "$T/events" | grep -cv "/many/d0[57]/"; }
wait_for "inotify reports the 220 files written in watched folders" test "$(watched_writes)" -ge 220
kill "$watcher"
wait "$watcher" 2>/dev/null || true

step "unmount leaves a sound repo"
unmount_histfs
wait_synced
assert_fsck
unmount_count=$(commit_count)

step "status answers within 2 s while a push waits for a remote that accepts and never answers"
"$PY" - "$T/silent.port" <<'EOF' &
import socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(server.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    client, _ = server.accept()
    held.append(client)  # never read from, never answered
EOF
SILENT=$!
wait_for "the silent remote listens" test -s "$T/silent.port"
silent_port=$(cat "$T/silent.port")
new_workspace
echo x >"$DATA/x.md"
mount_histfs --set git.repo="http://127.0.0.1:$silent_port/r.git"
rm -f "$T/push.sent"
"$PY" - "$GITDIR/histfs.sock" "$T/push.sent" <<'EOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"command":"push"}\n')
open(sys.argv[2], "w").write("sent")
print(s.recv(65536).decode(), flush=True)  # the answer, once the push gives up
EOF
PUSHER=$!
wait_for "the push request is sent" test -e "$T/push.sent"
remote_shown() {
  "$HISTFS" status --json --mount "$MNT" | "$PY" -c 'import json, sys; sys.exit(json.load(sys.stdin)["remote"] is None)'
}
wait_for "status shows the remote" remote_shown
status_within_2s
status_within_2s
alive "$PUSHER" || fail "the push did not wait for the silent remote"
cli_ok log --mount "$MNT"
cli_ok flush --mount "$MNT"

step "unmount while the push waits: the daemon ends once the remote goes away"
fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
kill "$SILENT" && wait "$SILENT" 2>/dev/null || true
wait_exit "$DAEMON_PID" || fail "daemon $DAEMON_PID still running 15 s after unmount and the remote closing"
DAEMON_PID=""
pusher_gone() { ! alive "$PUSHER"; }
wait_for "the waiting push gets its answer" pusher_gone
wait "$PUSHER" 2>/dev/null || true
finish "$unmount_count commits"
