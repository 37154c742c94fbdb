#!/usr/bin/env bash
# Issue 7 item 1 (and the log file of item 13): the git dir is private to the mount's owner.
#  - a new git dir, its files and the log file are closed to other users; another user can
#    read neither the config nor any past version;
#  - start-up refuses a git dir (or its config, or a folder above it) that others can write,
#    with a clear error, and mounts nothing; one they can merely read is made private;
#  - the CLI talks only to a socket (and a process) of the mount's owner;
#  - files made through the mount still get exactly the modes their callers asked for.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

id -u histfs-it-user >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin histfs-it-user
other=$(id -u histfs-it-user)
as_other() { setpriv --reuid="$other" --regid="$other" --clear-groups -- "$@"; }

setup_mount
echo "secret note" >"$MNT/note.md"
chmod 0644 "$MNT/note.md"
cli_ok flush --mount "$MNT"

step "the git dir, everything in it and the log are closed to others"
[ "$(stat -c %a "$GITDIR")" = 700 ] || fail "git dir mode is $(stat -c %a "$GITDIR"), want 700"
open=$(find "$GITDIR" -perm /o=rwx -o -perm /g=w | head -5)
[ -z "$open" ] || fail "open to others inside the git dir: $open"
[ "$(stat -c %a "$LOG")" = 600 ] || fail "log file mode is $(stat -c %a "$LOG"), want 600"
chmod 0755 "$T"  # the workspace itself must not be what keeps others out
as_other cat "$GITDIR/config" 2>/dev/null && fail "another user read the git config"
as_other git --git-dir "$GITDIR" show HEAD:note.md 2>/dev/null && fail "another user read a past version with git show"

step "files made through the mount keep their callers' modes"
(umask 000 && touch "$MNT/open.md" && mkdir "$MNT/open-dir")
[ "$(stat -c %a "$MNT/open.md") $(stat -c %a "$MNT/open-dir")" = "666 777" ] ||
  fail "through the mount: $(stat -c %a "$MNT/open.md") $(stat -c %a "$MNT/open-dir"), want 666 777"
(umask 022 && touch "$MNT/usual.md")
[ "$(stat -c %a "$MNT/usual.md")" = 644 ] || fail "umask 022 file is $(stat -c %a "$MNT/usual.md")"

step "the CLI refuses a control socket that is not the owner's"
sock=$GITDIR/histfs.sock
mkdir -m 0777 "$T/fake"
as_other "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
os.chmod(sys.argv[1], 0o777)
c, _ = s.accept(); c.settimeout(5)
data = c.recv(65536)
open(sys.argv[2], "wb").write(data)
c.sendall(b"{\"ok\":true,\"mountpoint\":\"fake\"}\n")' "$T/fake/sock" "$T/fake/received" &
fake=$!
wait_for "the fake socket" test -S "$T/fake/sock"
mv "$sock" "$T/real.sock"
mv "$T/fake/sock" "$sock"
cli status --mount "$MNT"
[ "$CLI_RC" != 0 ] || fail "histfs status talked to another user's socket: $(cli_out)"
grep -q "does not belong to the owner" "$T/cli.err" || fail "unclear refusal: $(cli_err)"
[ ! -s "$T/fake/received" ] || fail "the CLI sent its request to another user's socket"
pkill -f "$T/fake/sock" 2>/dev/null || true
wait "$fake" 2>/dev/null || true
mv -f "$T/real.sock" "$sock"
cli_ok status --mount "$MNT"
unmount_histfs

step "a git dir others can write is refused, and nothing is mounted"
chmod 0777 "$GITDIR"
"$HISTFS" mount "$DATA" "$MNT" --log-file "$LOG" 2>"$T/mount.err" && fail "mounted on a world-writable git dir"
grep -q "can be written by other users" "$T/mount.err" || fail "unclear error: $(cat "$T/mount.err")"
grep -q "chmod" "$T/mount.err" || fail "the error does not say how to fix it: $(cat "$T/mount.err")"
mountpoint -q "$MNT" && fail "$MNT was mounted anyway"
chmod 0700 "$GITDIR"
chmod 0666 "$GITDIR/config"
"$HISTFS" mount "$DATA" "$MNT" --log-file "$LOG" 2>"$T/mount.err" && fail "mounted with a world-writable git config"
grep -q "git config" "$T/mount.err" || fail "unclear error for the config: $(cat "$T/mount.err")"
chmod 0600 "$GITDIR/config"
mkdir -m 0777 "$T/open-parent"
"$HISTFS" mount "$DATA" "$MNT" --git-dir "$T/open-parent/x.git" --log-file "$LOG" 2>"$T/mount.err" &&
  fail "mounted with a git dir inside a folder anyone can write"
grep -q "can be written by other users" "$T/mount.err" || fail "unclear error for the parent: $(cat "$T/mount.err")"
[ ! -e "$T/open-parent/x.git" ] || fail "a git dir was created inside the open folder"

step "a git dir others can only read is made private"
chmod 0755 "$GITDIR"
mount_histfs
[ "$(stat -c %a "$GITDIR")" = 700 ] || fail "git dir left at $(stat -c %a "$GITDIR")"
unmount_histfs
finish "the git dir is private; the CLI only talks to the owner's daemon"
