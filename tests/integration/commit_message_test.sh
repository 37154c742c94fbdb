#!/usr/bin/env bash
# Commit messages of a real mount: a file name or a process name with newlines cannot forge a
# trailer (Restored-From:, Changed-By:), as stock git reads them (%(trailers) and
# `git interpret-trailers --parse`); paths are quoted as git quotes them (core.quotePath).
source "$(dirname "$0")/lib.sh"
require_fuse
require_python

flush() { cli_ok flush --mount "$MNT"; }
# The trailers of HEAD's message as both of git's readers see them; they must agree.
trailers() {
  local by_log by_parse
  by_log=$(git_h log -1 --format='%(trailers)' | sed '/^$/d')
  by_parse=$(git_h log -1 --format=%B | git interpret-trailers --parse)
  [ "$by_log" = "$by_parse" ] || fail "%(trailers) says '$by_log', interpret-trailers --parse says '$by_parse'"
  echo "$by_log"
}
trailer_keys() { trailers | sed 's/:.*//' | tr '\n' ' '; }

# make NAME TEXT [PROCESS]: write TEXT to the mount's file NAME from a process named PROCESS
# (prctl PR_SET_NAME: what /proc/<pid>/comm shows, 15 bytes at most).
make() {
  "$PY" - "$MNT" "$1" "$2" "${3:-writer}" <<'EOF'
import ctypes, os, sys
mnt, name, text, process = sys.argv[1:5]
ctypes.CDLL(None).prctl(15, process.encode(), 0, 0, 0)
with open(os.path.join(mnt, name), "w") as f:
    f.write(text)
EOF
}

setup_mount
FORGED=$'a\n\nRestored-From: deadbeef\n---'
QUOTED='"a\n\nRestored-From: deadbeef\n---"'

step "a file name with newlines: quoted in the subject, no trailer of its own"
make "$FORGED" "one"
flush
[ "$(git_h show "HEAD:$FORGED")" = one ] || fail "the file was not committed"
[ "$(trailer_keys)" = "Changed-By Correlation-Id " ] || fail "trailers: $(trailers)"
[ "$(git_h log -1 --format=%s)" = "chore(sync): add $QUOTED" ] || fail "subject: $(git_h log -1 --format=%s)"

step "a process name with a newline: quoted in Changed-By, no trailer of its own"
make plain.md "two" $'x\nA: forged'
flush
[ "$(trailer_keys)" = "Changed-By Correlation-Id " ] || fail "trailers: $(trailers)"
[ "$(git_h log -1 --format='%(trailers:key=Changed-By,valueonly)' | sed '/^$/d')" = \
  "$(id -un) (uid $(id -u)) via \"x\\nA: forged\"" ] || fail "Changed-By: $(trailers)"

step "several paths: each listed quoted, one per line"
make "$FORGED" "three" $'\nRestored-From'
make $'b\nRestored-From: cafe' "b"
mv "$MNT/plain.md" "$MNT/caf"$'\xc3\xa9'".md"
flush
body=$(git_h log -1 --format=%B)
grep -qxF "M $QUOTED" <<<"$body" || fail "no 'M $QUOTED' line: $body"
grep -qxF 'A "b\nRestored-From: cafe"' <<<"$body" || fail "the new file is not listed quoted: $body"
grep -qxF 'R plain.md -> "caf\303\251.md"' <<<"$body" || fail "the rename is not listed quoted: $body"
[ "$(trailer_keys)" = "Changed-By Changed-By Changed-By Correlation-Id " ] || fail "trailers: $(trailers)" # the writers and mv

step "a restore of that file: its path quoted in the subject, one Restored-From"
target=$(git_h rev-parse HEAD~2)
cli_ok restore "$MNT/$FORGED" --to HEAD~2 --mount "$MNT"
[ "$(git_h show "HEAD:$FORGED")" = one ] || fail "the restore did not bring back the first version"
[ "$(git_h log -1 --format=%s)" = "restore: $QUOTED to HEAD~2" ] || fail "subject: $(git_h log -1 --format=%s)"
[ "$(git_h log -1 --format='%(trailers:key=Restored-From,valueonly)' | sed '/^$/d')" = "$target" ] ||
  fail "Restored-From: $(trailers)"
[ "$(trailers | grep -c '^Restored-From:')" = 1 ] || fail "trailers: $(trailers)"
assert_fsck
unmount_histfs

finish "names with newlines are quoted in commit messages and forge no trailer"
