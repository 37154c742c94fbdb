#!/usr/bin/env bash
# A remote may serve any tree. Issue 7 items 2, 3 and 11:
#  (a) a commit whose tree holds "..", ".git" or the root ".history" is refused whole: the pull
#      says so (non-zero exit), status names the commit and the path, nothing is written inside or
#      outside the mount, and the next harmless commit is pulled as usual;
#  (b) a symlink that a later commit replaces by a folder is replaced, never written through;
#  (c) a user flipping a folder between a folder and a symlink to a root-only place while root
#      restores into it never gets a file written through the symlink;
#  (d) folders the daemon recreates get the owner and mode of their parent (or keep those of the
#      folder they replace), not root's 0777.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
cd /

setup_mount
REMOTE=$T/remote.git
git init -q --bare -b main "$REMOTE"
step "connect to an empty local remote"
echo hello >"$MNT/hello.md"
cli_ok connect --mount "$MNT" --remote "$REMOTE"
wait_for "the remote has our main" bash -c "git --git-dir '$REMOTE' rev-parse -q --verify main >/dev/null"

# raw_commit NAME-SPEC...: writes a commit on top of the remote's main whose tree is main's tree plus
# one entry the python below builds byte by byte (so names stock git would refuse are possible),
# then moves the remote's main to it. Prints the commit id.
raw_commit() {
  "$PY" - "$REMOTE" "$1" <<'PYEOF'
import subprocess, sys
remote, kind = sys.argv[1], sys.argv[2]
def git(*args, data=None):
    return subprocess.run(["git", "--git-dir", remote, *args], input=data, capture_output=True, check=True).stdout
def obj(kind_, body):
    return git("hash-object", "-w", "--literally", "-t", kind_, "--stdin", data=body).decode().strip()
def entry(mode, name, oid):
    return mode + b" " + name + b"\0" + bytes.fromhex(oid)
blob = obj("blob", b"written by a hostile remote\n")
inner = obj("tree", entry(b"100644", b"escaped.txt", blob))
names = {"dotdot": b"..", "dotgit": b".git", "history": b".history", "GIT": b".GiT"}
head = git("rev-parse", "main").decode().strip()
base = git("ls-tree", "main").decode()
body = b""
entries = []
for line in base.splitlines():
    meta, name = line.split("\t", 1)
    mode, _, oid = meta.split()
    entries.append((name.encode(), mode.encode(), oid))
entries.append((names[kind], b"40000", inner))
entries.sort(key=lambda e: e[0] + (b"/" if e[1] == b"40000" else b""))
for name, mode, oid in entries:
    body += entry(mode, name, oid)
tree = obj("tree", body)
commit = git("commit-tree", tree, "-p", head, "-m", "hostile " + kind).decode().strip()
git("update-ref", "refs/heads/main", commit)
print(commit)
PYEOF
}

for kind in dotdot dotgit history GIT; do
  step "(a) a remote commit with a $kind entry is refused whole"
  bad=$(raw_commit "$kind")
  cli pull --mount "$MNT"
  [ "$CLI_RC" != 0 ] || fail "histfs pull of a tree with a $kind entry exited 0: $(cli_out)"
  cli_ok status --mount "$MNT" --json
  cp "$T/cli.out" "$T/status.json"
  refused=$(json_get "$T/status.json" "j['remote']['refused'] or ''")
  [[ "$refused" == *"${bad:0:12}"* ]] || fail "status does not name the refused commit ${bad:0:12}: $refused"
  [[ "$refused" == *"unsafe path"* ]] || fail "status does not say why: $refused"
  [ ! -e "$T/escaped.txt" ] || fail "the pull wrote $T/escaped.txt outside the mount"
  [ ! -e "$DATA/.git" ] && [ ! -e "$DATA/.history" ] || fail "the pull wrote a .git or .history into the data"
  grep -q "written by a hostile remote" -r "$DATA" "$GITDIR/config" 2>/dev/null && fail "hostile content reached the files"
  # The remote goes back to a harmless history for the next round.
  git --git-dir "$REMOTE" update-ref refs/heads/main "$bad~1"
done
[ "$(cat "$MNT/hello.md")" = hello ] || fail "hello.md changed"
assert_fsck

step "(a) after the refusals a harmless commit is pulled as usual"
clone=$T/clone
git clone -q "$REMOTE" "$clone"
echo from-elsewhere >"$clone/elsewhere.md"
git -C "$clone" add -A && git -C "$clone" commit -qm elsewhere && git -C "$clone" push -q origin main
cli_ok pull --mount "$MNT"
[ "$(cat "$MNT/elsewhere.md" 2>/dev/null)" = from-elsewhere ] || fail "the harmless commit was not pulled: $(cli_out)"

step "(b) a symlink that a later commit replaces by a folder is replaced, not written through"
outside=$T/outside
mkdir "$outside"
ln -s "$outside" "$clone/link"
git -C "$clone" add -A && git -C "$clone" commit -qm "a symlink" && git -C "$clone" push -q origin main
cli_ok pull --mount "$MNT"
[ -L "$MNT/link" ] || fail "the symlink was not pulled"
git -C "$clone" rm -q link && mkdir "$clone/link" && echo inside >"$clone/link/f.md"
git -C "$clone" add -A && git -C "$clone" commit -qm "the symlink becomes a folder" && git -C "$clone" push -q origin main
cli_ok pull --mount "$MNT"
[ -d "$MNT/link" ] && [ ! -L "$MNT/link" ] || fail "link is not a real folder after the pull"
[ "$(cat "$MNT/link/f.md")" = inside ] || fail "link/f.md is wrong"
[ -z "$(ls -A "$outside")" ] || fail "the pull wrote through the old symlink into $outside: $(ls -A "$outside")"

step "(d) a restored folder gets its parent's owner and mode"
id -u histfs-it-user >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin histfs-it-user
user_uid=$(id -u histfs-it-user)
mkdir -p "$MNT/private/sub"
echo secret >"$MNT/private/sub/a.md"
chown -R histfs-it-user: "$MNT/private"
chmod 0750 "$MNT/private" "$MNT/private/sub"
chmod 0640 "$MNT/private/sub/a.md"
cli_ok flush --mount "$MNT"
keep=$(git_h rev-parse HEAD)
rm -r "$MNT/private/sub"
cli_ok flush --mount "$MNT"
cli_ok restore --mount "$MNT" "$MNT/private/sub" --to "$keep"
[ "$(stat -c '%u %a' "$MNT/private/sub")" = "$user_uid 750" ] ||
  fail "restored folder private/sub is $(stat -c '%U %a' "$MNT/private/sub"), want histfs-it-user 750"
[ "$(stat -c '%u' "$MNT/private/sub/a.md")" = "$user_uid" ] || fail "restored file is not the folder owner's"
[ "$(stat -c '%a' "$MNT/private/sub/a.md")" = 640 ] || fail "restored file mode $(stat -c '%a' "$MNT/private/sub/a.md"), want 640"

step "(c) a folder flipped to a symlink during a restore is never written through"
target=$T/root-only
mkdir -m 0700 "$target"
mkdir -p "$MNT/u/flip"
chown histfs-it-user: "$MNT/u"
for i in $(seq 200); do echo "$i" >"$MNT/u/flip/f$i.md"; done
cli_ok flush --mount "$MNT"
full=$(git_h rev-parse HEAD)
rm -r "$MNT/u/flip"
cli_ok flush --mount "$MNT"
# The user owns u/ and keeps swapping u/flip between a folder and a symlink to a root-only folder.
setpriv --reuid="$user_uid" --regid="$user_uid" --clear-groups -- bash -c "
  end=\$((SECONDS + 30))
  while [ \$SECONDS -lt \$end ] && [ ! -e '$T/stop-flipping' ]; do
    rm -rf '$MNT/u/flip' 2>/dev/null; ln -s '$target' '$MNT/u/flip' 2>/dev/null
    rm -f '$MNT/u/flip' 2>/dev/null; mkdir '$MNT/u/flip' 2>/dev/null
  done" &
flipper=$!
for _ in 1 2 3 4 5; do
  cli restore --mount "$MNT" "$MNT/u/flip" --to "$full"
done
touch "$T/stop-flipping"
wait "$flipper" || true
[ -z "$(ls -A "$target")" ] || fail "root wrote through a user's symlink into $target: $(ls -A "$target" | head -3)"
assert_fsck

finish "hostile trees refused, symlinks never followed, folders keep their owners"
