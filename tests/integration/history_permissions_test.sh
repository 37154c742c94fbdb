#!/usr/bin/env bash
# Who can read .history: never more than the live tree lets them. Another local user reads neither
# the past of a 0600 file nor anything that was in a 0700 folder, through any way into the past
# (<tag>/, tags/, commits/, at/, versions/, latest), removed files and folders included; the owner
# reads all of it; a chmod of the live file shows within seconds, and at once after a remount.
# Runs as root: it makes two local users (kept, made again only when missing) and mounts allow_other.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
if [ "$(id -u)" != 0 ]; then
  echo "### SKIPPED ${0##*/}: needs root (useradd, and an allow_other mount other users can reach)" >&2
  exit 77
fi

OWNER=histfs-test-owner OTHER=histfs-test-other
# Made once per machine and left: a parallel run may be using them.
ensure_user() {
  id -u "$1" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$1" 2>/dev/null || id -u "$1" >/dev/null 2>&1 ||
    fail "cannot create the local user $1"
}
ensure_user "$OWNER"
ensure_user "$OTHER"
# as USER CMD...: run CMD as USER, with USER's own group and no other group.
as() {
  local user=$1
  shift
  setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups -- "$@"
}

new_workspace
chmod 755 "$T" "$DATA" "$MNT" # other users must reach the mount point at all
H=$MNT/.history
ct() { git_h log -1 --format=%ct "$1"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now_at_least() { [ "$(date +%s)" -ge "$1" ]; }

# The errno a user meets (OK, EACCES, ...) reading a file or listing a folder.
cat >"$T/try.py" <<'EOF'
import errno, os, sys
op, path = sys.argv[1:3]
try:
    if op == "read":
        open(path, "rb").read()
    else:
        os.listdir(path)
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
else:
    print("OK")
EOF
chmod 644 "$T/try.py"
try_as() { as "$1" "$PY" "$T/try.py" "$2" "$3"; }
# expect_as USER WANT OP PATH: USER's OP on PATH gives WANT.
expect_as() {
  local got
  got=$(try_as "$1" "$3" "$4") || fail "the helper failed as $1 on $4"
  [ "$got" = "$2" ] || fail "$1: $3 $4 gave $got, expected $2"
}
user_gets() { [ "$(try_as "$1" "$3" "$4")" = "$2" ]; } # the same, as a condition to wait for

step "mount; root makes a 0600 file and a 0700 folder, $OWNER makes hers in a folder of her own"
mount_histfs
echo "root secret" >"$MNT/root-secret.txt" && chmod 600 "$MNT/root-secret.txt"
mkdir -m 700 "$MNT/root-private" && echo "root inside" >"$MNT/root-private/inside.txt"
echo "for everyone" >"$MNT/open.txt"
mkdir "$MNT/home" && chown "$OWNER:" "$MNT/home"
as "$OWNER" sh -c 'cd "$1" && umask 022 && echo public >public.txt && (umask 077 && echo secret >secret.txt) &&
  mkdir -m 700 private && echo inside >private/a.txt && echo "soon gone" >private/gone.txt &&
  mkdir -m 700 vault && echo vaulted >vault/v.txt && echo notes >notes.txt' _ "$MNT/home" ||
  fail "$OWNER could not make her files through the mount"
wait_synced
cli_ok snapshot t1 --mount "$MNT"
C1=$(git_h rev-parse HEAD)

step "a second commit, a second later: a file removed from the 0700 folder, the 0700 vault removed"
wait_for "a second after the first commit" now_at_least $(($(ct "$C1") + 1))
as "$OWNER" rm "$MNT/home/private/gone.txt" && as "$OWNER" rm -r "$MNT/home/vault" || fail "$OWNER could not remove"
wait_synced
C2=$(git_h rev-parse HEAD)
[ "$C2" != "$C1" ] || fail "no second commit"
wait_for "latest points to the second commit" test "$(readlink "$H/latest")" = "commits/$C2"

VERSION() { ls "$H/versions/$1" | head -n 1; } # the first version's name of a file
step "the same secrets through every way into the past"
past_of_c1=("$H/t1" "$H/tags/t1" "$H/commits/$C1" "$H/commits/${C1:0:8}" "$H/at/$(iso "$(ct "$C1")")")
for top in "${past_of_c1[@]}" "$H/latest" "$H/commits/HEAD"; do
  # A sanity check first: the other user does reach the past, and reads what everyone may.
  expect_as "$OTHER" OK read "$top/open.txt"
  expect_as "$OTHER" OK read "$top/home/public.txt"
  for f in root-secret.txt root-private/inside.txt; do
    expect_as "$OTHER" EACCES read "$top/$f"
    expect_as "$OWNER" EACCES read "$top/$f"
  done
  expect_as "$OTHER" EACCES list "$top/root-private"
  expect_as "$OTHER" EACCES read "$top/home/secret.txt"
  expect_as "$OTHER" EACCES read "$top/home/private/a.txt"
  expect_as "$OTHER" EACCES list "$top/home/private"
  expect_as "$OWNER" OK read "$top/home/secret.txt"
  expect_as "$OWNER" OK read "$top/home/private/a.txt"
  expect_as root OK read "$top/root-private/inside.txt"
done

step "removed: a file from a live 0700 folder, and a whole 0700 folder"
for top in "${past_of_c1[@]}"; do
  expect_as "$OTHER" EACCES read "$top/home/private/gone.txt"
  expect_as "$OTHER" EACCES read "$top/home/vault/v.txt"
  expect_as "$OTHER" EACCES list "$top/home/vault"
  expect_as "$OWNER" OK read "$top/home/private/gone.txt"
  expect_as "$OWNER" OK read "$top/home/vault/v.txt"
done

step "versions/: the same rule for every file's versions"
for f in home/secret.txt home/private/a.txt home/private/gone.txt home/vault/v.txt; do
  v=$(VERSION "$f")
  [ -n "$v" ] || fail "no version of $f"
  expect_as "$OTHER" EACCES read "$H/versions/$f/$v"
  expect_as "$OTHER" EACCES list "$H/versions/$f"
  expect_as "$OWNER" OK read "$H/versions/$f/$v"
done
expect_as "$OTHER" EACCES list "$H/versions/home/private"
expect_as "$OTHER" EACCES read "$H/versions/root-secret.txt/$(VERSION root-secret.txt)"
expect_as "$OTHER" OK read "$H/versions/home/public.txt/$(VERSION home/public.txt)"

step "owners and modes: the live ones, read-only; removed paths take their folder's, without others"
mode_of() { stat -c '%U %a' "$1"; }
[ "$(mode_of "$H/t1/home/secret.txt")" = "$OWNER 400" ] || fail "secret.txt: $(mode_of "$H/t1/home/secret.txt")"
[ "$(mode_of "$H/t1/home/public.txt")" = "$OWNER 444" ] || fail "public.txt: $(mode_of "$H/t1/home/public.txt")"
[ "$(mode_of "$H/t1/home/private")" = "$OWNER 500" ] || fail "private/: $(mode_of "$H/t1/home/private")"
[ "$(mode_of "$H/t1/home/private/gone.txt")" = "$OWNER 400" ] || fail "gone.txt: $(mode_of "$H/t1/home/private/gone.txt")"
[ "$(mode_of "$H/t1/home/vault")" = "$OWNER 550" ] || fail "vault/: $(mode_of "$H/t1/home/vault")"
[ "$(mode_of "$H/t1/root-private")" = "root 500" ] || fail "root-private/: $(mode_of "$H/t1/root-private")"
for d in "$H" "$H/tags" "$H/commits" "$H/at" "$H/versions" "$H/t1"; do
  [ "$(mode_of "$d")" = "root 555" ] || fail "$d: $(mode_of "$d"), expected the mount root's without w (root 555)"
done
writable=$(find "$H/t1" "$H/versions" ! -type l -perm /222 | head -n 3)
[ -z "$writable" ] || fail "entries with a write bit: $writable"

step "a chmod of the live file reaches .history within seconds"
as "$OWNER" chmod 644 "$MNT/home/secret.txt"
wait_for "$OTHER reads the past of the now public secret.txt" user_gets "$OTHER" OK read "$H/t1/home/secret.txt"
as "$OWNER" chmod 600 "$MNT/home/secret.txt"
wait_for "$OTHER no longer reads the past of secret.txt" user_gets "$OTHER" EACCES read "$H/t1/home/secret.txt"

step "a past file that is a symlink now (to a public file) closes; so does one that is a 0700 folder now"
# Both readable by others first, so that waiting for EACCES shows the change.
as "$OWNER" chmod 644 "$MNT/home/secret.txt"
wait_for "$OTHER reads the past of secret.txt again" user_gets "$OTHER" OK read "$H/t1/home/secret.txt"
expect_as "$OTHER" OK read "$H/t1/home/notes.txt"
as "$OWNER" sh -c 'cd "$1" && rm secret.txt notes.txt && ln -s public.txt secret.txt && mkdir -m 700 notes.txt' \
  _ "$MNT/home" || fail "$OWNER could not replace secret.txt and notes.txt"
expect_as "$OTHER" OK read "$MNT/home/secret.txt" # the live one: the public file, through the link
wait_for "the past secret.txt takes its folder's bits, without others" \
  user_gets "$OTHER" EACCES read "$H/t1/home/secret.txt"
wait_for "the past notes.txt takes the bits of the 0700 folder in its place" \
  user_gets "$OTHER" EACCES read "$H/t1/home/notes.txt"
expect_as "$OWNER" OK read "$H/t1/home/secret.txt"
expect_as "$OWNER" OK read "$H/t1/home/notes.txt"
[ "$(cat "$H/t1/home/secret.txt")" = secret ] || fail "the past secret.txt lost its content"
unmount_histfs

step "after a remount, an offline chmod holds at once"
chmod 644 "$DATA/home/private/a.txt" "$DATA/root-secret.txt"
chmod 755 "$DATA/home/private"
mount_histfs
expect_as "$OTHER" OK read "$H/t1/home/private/a.txt"
expect_as "$OTHER" OK read "$H/t1/root-secret.txt"
expect_as "$OTHER" EACCES read "$H/t1/home/private/gone.txt" # still removed: its folder's bits, no others
unmount_histfs
finish "another user reads no more of the past than of the live tree"
