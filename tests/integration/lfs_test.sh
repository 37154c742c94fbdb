#!/usr/bin/env bash
# Git LFS end to end (issue 10), against the real test git server (nginx + git http-backend +
# tests/integration/lfs_server.py, behind basic auth) and a file:// remote:
#  (a) the fixture: the stock git-lfs client pushes to the test server and clones from it;
#  (b) two mounts on one remote: a 15 MB image and a 120 MB video written on A appear on B byte-exact;
#      .gitattributes is in step; status shows the store;
#  (c) a stock clone + git lfs pull gives identical files, git lfs fsck passes, git fsck --strict is
#      clean everywhere; histfs lfs fsck passes;
#  (d) .history/<tag>/ and .history/versions/ read the real bytes (size too), B fetches on demand
#      what its store lacks (a big video, a small icon); a restore brings an LFS file back, and one to HEAD rewrites nothing;
#  (e) server faults: 500 on upload (the push is held and retried, nothing lost), a corrupt object
#      and a missing object on download (the pull is held, status names the file, nothing written);
#  (f) a file:// remote: a stock clone with git lfs gets the content.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/git_server.sh"
require_fuse
require_python
command -v git-lfs >/dev/null || fail "git-lfs is needed: run tools/install-deps"
cd /

new_workspace
SRC=$T/src # the bytes every copy is compared with
mkdir -p "$SRC" "$T/home"
# Stock git-lfs's filters for the stock clients of this test only.
export HOME=$T/home
git lfs install --skip-repo >/dev/null || fail "git lfs install failed"
git_server_start

# make_bytes NAME SIZE SEED: SIZE bytes (head -c units) of seeded pseudo-random data in $SRC/NAME, fast.
make_bytes() {
  { openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:$3" </dev/zero 2>/dev/null || true; } | head -c "$2" >"$SRC/$1"
}
pushed() { [ "$(remote_main "$1")" = "$(head_of "$2")" ]; }
oid_of() { sha256sum "$1" | cut -d' ' -f1; }
server_object() { local o=$2; echo "$GS_ROOT/$1.git/lfs/objects/${o:0:2}/${o:2:2}/$o"; }

step "(a) the fixture: stock git lfs pushes to the server and a stock clone gets the content"
FIXTURE=$(git_server_create_repo fixture)
make_bytes fixture.bin 300K fixture
gs_git init -q "$T/stock"
git -C "$T/stock" lfs track "*.bin" >/dev/null
cp "$SRC/fixture.bin" "$T/stock/"
gs_git -C "$T/stock" add .gitattributes fixture.bin
gs_git -C "$T/stock" commit -q -m "stock lfs"
gs_git -C "$T/stock" push -q "$FIXTURE" main 2>"$T/push.err" || fail "stock git lfs push failed: $(cat "$T/push.err")"
[ -f "$(server_object fixture "$(oid_of "$SRC/fixture.bin")")" ] || fail "the LFS server did not store the object"
gs_git clone -q "$FIXTURE" "$T/stock-clone" 2>"$T/clone.err" || fail "stock clone failed: $(cat "$T/clone.err")"
cmp "$SRC/fixture.bin" "$T/stock-clone/fixture.bin" || fail "the stock clone did not smudge the LFS file"

step "(b) A and B on one remote; A writes a 15 MB image and a 120 MB video"
NOTES=$(git_server_create_repo notes)
for n in A B; do
  workspace "$n"
  echo "$n's note" >"$DATA/$n.md"
  mount_named "$n" --set "git.caFile=$GS_BUNDLE"
  cli_ok connect --mount "$MNT" --remote "$NOTES" --token-file "$GS_TOKEN_FILE" --prefer local
done
make_bytes beach.jpg 15M image
make_bytes video.mp4 120M video
on A
mkdir -p "$MNT/photos"
cp "$SRC/beach.jpg" "$MNT/photos/beach.jpg"
cp "$SRC/video.mp4" "$MNT/video.mp4"
cli_ok flush --mount "$MNT"
[ "$(git_h cat-file -s HEAD:video.mp4)" -lt 200 ] || fail "video.mp4 was committed as a plain blob"
git_h cat-file blob HEAD:video.mp4 | grep -qx "oid sha256:$(oid_of "$SRC/video.mp4")" || fail "video.mp4's pointer is wrong"
grep -qx '\*.mp4 filter=lfs diff=lfs merge=lfs -text' "$MNT/.gitattributes" || fail ".gitattributes lacks *.mp4: $(cat "$MNT/.gitattributes")"
cmp <(git_h show HEAD:.gitattributes) "$DATA/.gitattributes" || fail "the committed .gitattributes differs from the file"
wait_until 60 "A's commit with the video reaches the remote" pushed notes A
[ -f "$(server_object notes "$(oid_of "$SRC/video.mp4")")" ] || fail "the video's object is not on the server"
status_json A
[ "$(json_get "$T/status.json" 'j["lfs"]["objects"]')" -ge 2 ] || fail "status: $(cat "$T/status.json")"
[ "$(json_get "$T/status.json" 'j["remote"]["lfs"]["unpushed_bytes"]')" = 0 ] || fail "status: unpushed after the push"
on B
cli_ok pull --mount "$MNT"
cmp "$SRC/video.mp4" "$MNT/video.mp4" || fail "B's video differs"
cmp "$SRC/beach.jpg" "$MNT/photos/beach.jpg" || fail "B's image differs"
[ "$(head_of B)" = "$(remote_main notes)" ] || fail "B did not fast-forward to the remote's commit"
cli_ok lfs fsck --mount "$MNT"
grep -q "2 LFS file" "$T/cli.out" || fail "lfs fsck on B: $(cli_out)"

step "(c) a stock clone + git lfs pull gives the same bytes; git lfs fsck and git fsck --strict pass"
GIT_LFS_SKIP_SMUDGE=1 gs_git clone -q "$NOTES" "$T/clone" 2>"$T/clone.err" || fail "clone: $(cat "$T/clone.err")"
gs_git -C "$T/clone" lfs pull 2>"$T/lfs.err" || fail "git lfs pull: $(cat "$T/lfs.err")"
cmp "$SRC/video.mp4" "$T/clone/video.mp4" || fail "the clone's video differs"
cmp "$SRC/beach.jpg" "$T/clone/photos/beach.jpg" || fail "the clone's image differs"
gs_git -C "$T/clone" lfs fsck >"$T/lfs-fsck.out" 2>&1 || fail "git lfs fsck: $(cat "$T/lfs-fsck.out")"
[ -z "$(git -C "$T/clone" status --porcelain)" ] || fail "the clone is dirty: $(git -C "$T/clone" status --porcelain)"
for n in A B; do
  on "$n"
  assert_fsck
done
gs_repo notes fsck --strict --no-progress >/dev/null 2>&1 || fail "the server's repo fails git fsck --strict"

step "(d) .history reads the real bytes; B fetches on demand; a restore brings an LFS file back"
on A
# Small enough for .history to offer its bytes to the kernel at the first open (fs/history_view.cpp):
# on B, where its object is missing, that open must leave the fetch to the READ.
make_bytes icon.png 64K icon
cp "$SRC/icon.png" "$MNT/photos/icon.png"
cli_ok flush --mount "$MNT"
cli_ok snapshot v1 --mount "$MNT"
rm "$MNT/photos/icon.png"
cmp "$SRC/video.mp4" "$MNT/.history/v1/video.mp4" || fail ".history/v1/video.mp4 differs"
[ "$(stat -c %s "$MNT/.history/tags/v1/photos/beach.jpg")" = 15728640 ] || fail "the image's size in .history is wrong"
cmp "$SRC/beach.jpg" "$MNT/.history/tags/v1/photos/beach.jpg" || fail ".history/tags/v1/photos/beach.jpg differs"
make_bytes beach2.jpg 2M image2
cp "$SRC/beach2.jpg" "$MNT/photos/beach.jpg"
cli_ok flush --mount "$MNT"
versions=$(find "$MNT/.history/versions/photos/beach.jpg" -mindepth 1 -maxdepth 1 | wc -l)
[ "$versions" = 2 ] || fail ".history/versions lists $versions versions of beach.jpg"
for v in "$MNT/.history/versions/photos/beach.jpg"/*; do
  cmp -s "$v" "$SRC/beach.jpg" || cmp -s "$v" "$SRC/beach2.jpg" || fail "$v is neither version"
done
cli_ok restore "$MNT/photos/beach.jpg" --to v1 --mount "$MNT"
cmp "$SRC/beach.jpg" "$MNT/photos/beach.jpg" || fail "the restore did not bring the image back"
cli_ok restore "$MNT" --to HEAD --dry-run --json --mount "$MNT"
[ "$(json_get "$T/cli.out" 'len(j["changes"])')" = 0 ] || fail "a restore to HEAD would rewrite LFS files: $(cli_out)"
on B
rm -rf "$GITDIR/lfs/objects"
cli_ok pull --mount "$MNT" # tag v1
cmp "$SRC/video.mp4" "$MNT/.history/v1/video.mp4" || fail "B's .history did not fetch the video on demand"
cmp "$SRC/icon.png" "$MNT/.history/v1/photos/icon.png" || fail "B's .history did not fetch the small icon on demand"
grep -q "lfs_fetch" "$LOG" || fail "no lfs_fetch line in B's log"

step "(e) 500 on upload: the push is held and retried, nothing lost"
on A
echo 2 >"$GS_DIR/lfs-faults/upload-500"
make_bytes retry.png 1M retry
cp "$SRC/retry.png" "$MNT/retry.png"
cli_ok flush --mount "$MNT"
wait_for "A reports the failed upload" grep -q "HTTP 500" "$LOG"
! gs_repo notes cat-file -e "main:retry.png" 2>/dev/null || fail "the commit reached the remote before its object"
wait_until 30 "the retried push reaches the remote" pushed notes A
[ "$(cat "$GS_DIR/lfs-faults/upload-500")" = 0 ] || fail "the injected failures were not all hit"
[ -f "$(server_object notes "$(oid_of "$SRC/retry.png")")" ] || fail "retry.png's object is not on the server"

step "(e) a corrupt object on download: the pull is held, status names the file, nothing written"
make_bytes bad.png 1M bad
cp "$SRC/bad.png" "$MNT/bad.png"
cli_ok flush --mount "$MNT"
wait_until 30 "bad.png reaches the remote" pushed notes A
BAD=$(server_object notes "$(oid_of "$SRC/bad.png")")
cp "$BAD" "$SRC/bad.keep"
printf 'X' | dd of="$BAD" bs=1 seek=1000 conv=notrunc status=none
on B
cli pull --mount "$MNT"
[ "$CLI_RC" = 1 ] || fail "the pull of a corrupt object did not fail: $(cli_out)"
status_json B
json_get "$T/status.json" 'j["remote"]["pull_held"]' | grep -q 'bad.png.*corrupt' ||
  fail "status does not name the corrupt file: $(cat "$T/status.json")"
[ ! -e "$MNT/bad.png" ] || fail "a file was written although its object is corrupt"
[ ! -e "$MNT/retry.png" ] || fail "part of a held pull was written"

step "(e) a missing object: held the same way; once the server has it, the pull goes through"
rm "$BAD"
cli pull --mount "$MNT"
[ "$CLI_RC" = 1 ] || fail "the pull of a missing object did not fail"
status_json B
json_get "$T/status.json" 'j["remote"]["pull_held"]' | grep -q 'bad.png.*missing' ||
  fail "status does not name the missing file: $(cat "$T/status.json")"
cp "$SRC/bad.keep" "$BAD"
cli_ok pull --mount "$MNT"
cmp "$SRC/bad.png" "$MNT/bad.png" || fail "bad.png differs after the server was fixed"
cmp "$SRC/retry.png" "$MNT/retry.png" || fail "retry.png differs"
status_json B
[ "$(json_get "$T/status.json" 'j["remote"]["pull_held"]')" = null ] || fail "the hold stayed after the pull"

step "(f) a file:// remote: a stock clone with git lfs gets the content"
workspace C
make_bytes local.zip 1M zip
make_bytes big.bin 11M big
cp "$SRC/local.zip" "$SRC/big.bin" "$DATA/"
git init -q --bare -b main "$T/local-remote.git"
mount_named C
cli_ok connect --mount "$MNT" --remote "file://$T/local-remote.git"
git clone -q "file://$T/local-remote.git" "$T/local-clone" 2>"$T/clone.err" || fail "clone: $(cat "$T/clone.err")"
cmp "$SRC/local.zip" "$T/local-clone/local.zip" || fail "the file:// clone did not get local.zip"
cmp "$SRC/big.bin" "$T/local-clone/big.bin" || fail "the file:// clone did not get big.bin"
git -C "$T/local-clone" lfs fsck >"$T/lfs-fsck.out" 2>&1 || fail "git lfs fsck: $(cat "$T/lfs-fsck.out")"
assert_fsck

echo "PASS lfs_test (${SECONDS}s)"
