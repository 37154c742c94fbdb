#!/usr/bin/env bash
# Issue 7 item 9: a folder chain deeper than PATH_MAX, made through the mount by any user,
# must not stop the commits of the mount ("File name too long" at every retry). The committer
# walks the backing dir by fd, so the deep file is committed like any other (git stores long
# paths); a path git cannot take (a name it refuses) is skipped and reported, and every other
# change commits. Changes deep down are still recorded although the kernel cannot name them.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  id -u histfs-it-user >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin histfs-it-user
  other=$(id -u histfs-it-user)
  as_user() { setpriv --reuid="$other" --regid="$other" --clear-groups -- "$@"; }
else
  echo "NOTE: not root, or no setpriv: the deep folders are made by this user" >&2
  as_user() { "$@"; }
fi

LEVELS=40 WIDTH=120  # 40 * 121 bytes: deeper than PATH_MAX (4096)
setup_mount

# deep OP ARGS...: one operation at the bottom of the chain below $MNT/home, reached one folder at
# a time (no single path to it fits in a system call): make (the chain and bottom.md), write
# TEXT (bottom.md), add NAME TEXT, remove NAME, read NAME.
cat >"$T/deep.py" <<'PYEOF'
import os, sys
root, levels, width, op, args = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
fd = os.open(root, os.O_DIRECTORY)
for i in range(levels):
    name = chr(ord("a") + i % 26) * width
    if op == "make":
        os.mkdir(name, dir_fd=fd)
    nxt = os.open(name, os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nxt
def write(name, text, flags):
    f = os.open(name, flags, 0o644, dir_fd=fd)
    os.write(f, text.encode())
    os.close(f)
if op == "make":
    write("bottom.md", "deep down\n", os.O_WRONLY | os.O_CREAT | os.O_EXCL)
elif op == "write":
    write("bottom.md", args[0], os.O_WRONLY | os.O_TRUNC)
elif op == "add":
    write(args[0], args[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL)
elif op == "remove":
    os.unlink(args[0], dir_fd=fd)
elif op == "read":
    f = os.open(args[0], os.O_RDONLY, dir_fd=fd)
    sys.stdout.write(os.read(f, 1 << 16).decode())
PYEOF
chmod 0644 "$T/deep.py"
chmod 0755 "$T"
deep() { as_user "$PY" "$T/deep.py" "$MNT/home" "$LEVELS" "$WIDTH" "$@"; }

# The paths in HEAD longer than PATH_MAX, and the content of HEAD's file whose path ends in $1.
long_paths() { git_h ls-tree -r --name-only HEAD | awk 'length > 4096'; }
deep_content() {
  local id
  id=$(git_h ls-tree -r HEAD | awk -v name="/$1" 'length > 4096 && substr($0, length - length(name) + 1) == name { print $3 }')
  [ -n "$id" ] && git_h cat-file blob "$id"
}

mkdir "$MNT/home"
[ -z "${other:-}" ] || chown "$other:$other" "$MNT/home"

step "another user makes a folder chain deeper than PATH_MAX with a file at the bottom; a normal file elsewhere"
deep make || fail "could not make the deep folder chain through the mount"
echo "normal" >"$MNT/normal.md"
cli flush --mount "$MNT"
[ "$CLI_RC" = 0 ] || fail "flush failed ($CLI_RC): $(cli_err)"
assert_in_head normal.md
[ "$(long_paths | wc -l)" = 1 ] || fail "HEAD holds $(long_paths | wc -l) paths longer than 4096 bytes, want 1 (bottom.md)"
[ "$(deep_content bottom.md)" = "deep down" ] || fail "the deep file's content in HEAD is '$(deep_content bottom.md)'"
assert_fsck

step "writes, new files and removals deep down are committed (the kernel cannot name those files)"
deep write "changed deep down" || fail "could not write the deep file"
deep add second.md "a second one" || fail "could not add a deep file"
cli_ok flush --mount "$MNT"
[ "$(deep_content bottom.md)" = "changed deep down" ] || fail "the deep write was not committed: '$(deep_content bottom.md)'"
[ "$(deep_content second.md)" = "a second one" ] || fail "the new deep file was not committed"
if [ -n "${other:-}" ]; then # named by no path, still authored by who wrote them
  author=$(git_h log -1 --format='%an <%ae>')
  [[ "$author" == *histfs-it-user* ]] || fail "the deep changes' commit is authored by $author, not by their writer"
fi
deep remove second.md || fail "could not remove the deep file"
echo "normal again" >"$MNT/normal.md"
cli_ok flush --mount "$MNT"
[ "$(long_paths | wc -l)" = 1 ] || fail "the deep removal was not committed: $(long_paths | wc -l) long paths in HEAD"
[ "$(git_h show HEAD:normal.md)" = "normal again" ] || fail "normal.md was not committed beside the deep changes"
assert_fsck

step "a name git refuses (.git. is .git on Windows) is skipped and reported; everything else commits"
as_user sh -c 'echo refused >"$1/home/.git." && mkdir "$1/home/.git " && echo inside >"$1/home/.git /f.md"' _ "$MNT" ||
  fail "could not make the refused names through the mount"
echo "other" >"$MNT/other.md"
cli flush --mount "$MNT"
[ "$CLI_RC" = 0 ] || fail "flush failed ($CLI_RC) with a refused name present: $(cli_err)"
assert_in_head other.md
assert_not_in_head "home/.git." "home/.git /f.md"
grep -q 'skipped_path: home/.git. cannot be committed' "$LOG" || fail "the refused .git. was not reported in the log"
grep -q 'skipped_path: home/.git /f.md cannot be committed' "$LOG" || fail "the refused .git folder was not reported"
[ "$(grep -c 'skipped_path: home/.git. cannot' "$LOG")" = 1 ] || fail "the skipped path was reported more than once"
cli_ok status --mount "$MNT"
grep -qF "home/.git.: git refuses" "$T/cli.out" || fail "status does not list the skipped path: $(cli_out)"
echo "later" >"$MNT/later.md"
cli_ok flush --mount "$MNT"
assert_in_head later.md
[ "$(grep -c 'skipped_path: home/.git. cannot' "$LOG")" = 1 ] || fail "the skipped path was reported again"
assert_fsck

step "a restart commits nothing new and keeps committing (reconcile and stat cache at any depth)"
before=$(commit_count)
unmount_histfs
mount_histfs
[ "$(commit_count)" = "$before" ] || fail "the remount committed something: $(git_h log -1 --format=%s)"
[ "$(deep read bottom.md)" = "changed deep down" ] || fail "the deep file reads '$(deep read bottom.md)' after a remount"
deep write "after the remount" || fail "could not write the deep file after the remount"
cli_ok flush --mount "$MNT"
[ "$(deep_content bottom.md)" = "after the remount" ] || fail "the deep write after the remount was not committed"
assert_fsck
unmount_histfs
echo "PASS deep_path_test"
