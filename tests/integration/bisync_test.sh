#!/usr/bin/env bash
# Issue 8 item 7: rclone bisync (Debian's rclone; how users' laptops reach the data dir) syncs a
# local folder with mount A while mount B of the same remote edits too:
#  - edits made on the laptop copy reach B, edits made on B reach the laptop copy;
#  - a file changed on both the laptop and A is kept in both versions (rclone's conflict copies);
#  - nothing is lost, and an idle system makes no commits (no loop between bisync and histfs).
source "$(dirname "$0")/lib.sh"
require_fuse
cd /
command -v rclone >/dev/null || { echo "rclone is missing: tools/install-deps installs it" >&2; exit 1; }

commits_of() { git --git-dir "${W_GIT[$1]}" rev-list --count HEAD; }
# bisync: one run between the laptop copy and A's mount (its state kept in the workspace).
bisync() {
  rclone bisync "$LAPTOP" "${W_MNT[A]}" --config /dev/null --workdir "$WORK/bisync" "$@" \
    >>"$WORK/rclone.log" 2>&1 || fail "rclone bisync $* failed: $(tail -5 "$WORK/rclone.log")"
}
sync_all() { # flush both mounts, push A, pull B (and the other way)
  local n
  for n in A B; do on "$n" && cli_ok flush --mount "$MNT" && cli_ok push --mount "$MNT"; done
  for n in A B; do on "$n" && cli_ok pull --mount "$MNT"; done
}

new_workspace
WORK=$T
REMOTE=$WORK/remote.git
LAPTOP=$WORK/laptop
git init -q --bare -b main "$REMOTE"
mkdir -p "$LAPTOP"

step "A and B on one local remote; the laptop copy made by bisync --resync"
workspace A
mkdir -p "$DATA/notes"
for i in 1 2 3; do echo "note $i" >"$DATA/notes/n$i.md"; done
mount_named A
cli_ok connect --mount "$MNT" --remote "$REMOTE"
workspace B
mount_named B
cli_ok connect --mount "$MNT" --remote "$REMOTE" --prefer remote
bisync --resync
[ "$(cat "$LAPTOP/notes/n2.md")" = "note 2" ] || fail "the laptop copy lacks A's files"

step "an edit on the laptop reaches B; an edit on B reaches the laptop"
echo "from the laptop" >"$LAPTOP/notes/laptop.md"
echo "note 1, edited on the laptop" >"$LAPTOP/notes/n1.md"
on B
echo "from B" >"$MNT/notes/b.md"
sync_all
bisync
sync_all
on B
[ "$(cat "$MNT/notes/laptop.md")" = "from the laptop" ] || fail "the laptop's new file did not reach B"
[ "$(cat "$MNT/notes/n1.md")" = "note 1, edited on the laptop" ] || fail "the laptop's edit did not reach B"
bisync
[ "$(cat "$LAPTOP/notes/b.md")" = "from B" ] || fail "B's file did not reach the laptop"

step "a file changed on the laptop and on A keeps both versions"
echo "n3 from the laptop" >"$LAPTOP/notes/n3.md"
on A
echo "n3 from A" >"$MNT/notes/n3.md"
cli_ok flush --mount "$MNT"
bisync
sync_all
bisync
for who in "n3 from the laptop" "n3 from A"; do
  grep -rqxF "$who" "${W_MNT[A]}/notes" || fail "\"$who\" was lost on A: $(ls "${W_MNT[A]}/notes")"
  grep -rqxF "$who" "$LAPTOP/notes" || fail "\"$who\" was lost on the laptop: $(ls "$LAPTOP/notes")"
done
on B
grep -rqxF "n3 from the laptop" "$MNT/notes" && grep -rqxF "n3 from A" "$MNT/notes" ||
  fail "B lacks a version of n3: $(ls "$MNT/notes")"

step "idle: more bisync runs and pulls make no commits"
sync_all
bisync
sync_all
before_a=$(commits_of A) before_b=$(commits_of B)
for _ in 1 2 3; do
  bisync
  sync_all
done
[ "$(commits_of A)" = "$before_a" ] || fail "A made $(($(commits_of A) - before_a)) commits while idle"
[ "$(commits_of B)" = "$before_b" ] || fail "B made $(($(commits_of B) - before_b)) commits while idle"
on A
assert_fsck
finish "rclone bisync and two mounts: nothing lost, conflicts kept, no commit loop"
