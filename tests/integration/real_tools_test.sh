#!/usr/bin/env bash
# Real tools, one after another, through the mount; after each step HEAD must hold
# exactly the tree stock git makes of the backing dir, and the repo must pass fsck.
source "$(dirname "$0")/lib.sh"
require_fuse
setup_mount

synced() { wait_synced; assert_fsck; }
# HEAD's content of $1 must be $2.
head_content_is() { [ "$(git_h show "HEAD:$1")" = "$2" ] || fail "HEAD:$1 is not '$2'"; }
head_mode_is() {
  local mode
  mode=$(git_h ls-tree HEAD -- "$1" | cut -d' ' -f1)
  [ "$mode" = "$2" ] || fail "HEAD:$1 has mode '$mode', expected $2"
}

# A small tree outside the mount to copy in.
SRC=$T/src
mkdir -p "$SRC/tree/sub/deeper"
echo "alpha" >"$SRC/one.txt"
echo "beta" >"$SRC/tree/b.md"
echo "gamma" >"$SRC/tree/sub/c.md"
head -c 100000 /dev/urandom >"$SRC/tree/sub/deeper/blob.bin"

step "cp a file"
cp "$SRC/one.txt" "$MNT/one.txt"
synced
head_content_is one.txt alpha

step "cp -r a tree"
cp -r "$SRC/tree" "$MNT/tree"
synced
assert_in_head tree/b.md tree/sub/c.md tree/sub/deeper/blob.bin

step "mv a file"
mv "$MNT/one.txt" "$MNT/tree/one-moved.txt"
synced
assert_not_in_head one.txt

step "mv a dir"
mv "$MNT/tree/sub" "$MNT/sub-moved"
synced
assert_in_head sub-moved/c.md sub-moved/deeper/blob.bin
assert_not_in_head tree/sub/c.md

step "rm -rf a dir tree"
rm -rf "$MNT/sub-moved"
synced
assert_not_in_head sub-moved/c.md sub-moved/deeper/blob.bin

step "mkdir -p and a file in it"
mkdir -p "$MNT/a/b/c"
echo "foo here" >"$MNT/a/b/c/note.md"
synced
head_content_is a/b/c/note.md "foo here"

step "sed -i"
sed -i 's/foo/bar/' "$MNT/a/b/c/note.md"
synced
head_content_is a/b/c/note.md "bar here"

step "editor save: write a temp file beside the target, mv it over"
echo "v1" >"$MNT/doc.md"
echo "v2" >"$MNT/doc.md.new" && mv "$MNT/doc.md.new" "$MNT/doc.md"
synced
head_content_is doc.md v2
echo "v3" >"$MNT/doc.md.tmp" && mv "$MNT/doc.md.tmp" "$MNT/doc.md" # from an ignored name
synced
head_content_is doc.md v3

step "vim-like save with a swap file"
echo "swap state" >"$MNT/.note.md.swp"
echo "draft" >"$MNT/note.md"
synced
[ -f "$DATA/.note.md.swp" ] || fail "swap file missing from the backing dir"
assert_not_in_head .note.md.swp
rm "$MNT/.note.md.swp"
synced
head_content_is note.md draft

step "real vim edits and saves (with its .note.md.swp swap file)"
if vim=$(command -v vim || command -v vim.tiny); then
  "$vim" -u NONE -i NONE -N -Es -c 'set writebackup swapfile' -c 'normal! Gosaved by vim' -c wq "$MNT/note.md" \
    </dev/null || fail "vim exited with $?"
  synced
  head_content_is note.md $'draft\nsaved by vim'
else
  echo "NOTE: vim is not installed; the real-vim step is not run" >&2
fi

step "chmod +x and chmod -x"
printf '#!/bin/sh\necho hi\n' >"$MNT/run.sh"
chmod +x "$MNT/run.sh"
synced
head_mode_is run.sh 100755
chmod -x "$MNT/run.sh"
synced
head_mode_is run.sh 100644

step "ln -s (relative symlink)"
ln -s ../../doc.md "$MNT/a/b/doc-link"
synced
head_mode_is a/b/doc-link 120000
head_content_is a/b/doc-link ../../doc.md

step "truncate: shrink, then grow"
head -c 5000 /dev/urandom >"$MNT/sized.bin"
synced
truncate -s 10 "$MNT/sized.bin"
synced
truncate -s 70000 "$MNT/sized.bin"
synced
[ "$(git_h cat-file -s "HEAD:sized.bin")" = 70000 ] || fail "sized.bin in HEAD is not 70000 bytes"

step "append with >>"
echo "line 1" >>"$MNT/log.txt"
echo "line 2" >>"$MNT/log.txt"
synced
head_content_is log.txt $'line 1\nline 2'

step "touch a new file and an existing one"
touch "$MNT/empty.txt" "$MNT/doc.md"
synced
assert_in_head empty.txt

step "tar x of an outside tarball"
tar -czf "$T/src.tar.gz" -C "$SRC" one.txt tree
mkdir "$MNT/unpacked"
tar -xzf "$T/src.tar.gz" -C "$MNT/unpacked"
synced
assert_in_head unpacked/one.txt unpacked/tree/sub/deeper/blob.bin

step "rsync -a a tree into the mount"
rsync -a "$SRC/tree/" "$MNT/mirror/"
synced
assert_in_head mirror/b.md mirror/sub/c.md

step "rsync -a --delete after changes"
echo "beta 2" >"$SRC/tree/b.md"
rm "$SRC/tree/sub/c.md"
echo "new" >"$SRC/tree/sub/new.md"
rsync -a --delete "$SRC/tree/" "$MNT/mirror/"
synced
head_content_is mirror/b.md "beta 2"
assert_not_in_head mirror/sub/c.md
assert_in_head mirror/sub/new.md

step "ignored editor/OS files stay in the backing dir but out of git"
ignored=(scratch.tmp 'notes.md~' .#notes.md 4913 .DS_Store Thumbs.db .~lock.doc.odt# a/.c.md.swp)
for f in "${ignored[@]}"; do echo junk >"$MNT/$f"; done
echo "tracked" >"$MNT/a/real.md" # a tracked change in the same batch
synced
assert_in_head a/real.md
for f in "${ignored[@]}"; do [ -f "$DATA/$f" ] || fail "$f missing from the backing dir"; done
assert_not_in_head "${ignored[@]}"

step ".gitignore written through the mount drops matching files"
echo "secret" >"$MNT/keys.log"
echo "deep" >"$MNT/a/b/deep.log"
echo "cache" >"$MNT/a/b/c/build.out"
synced
assert_in_head keys.log a/b/deep.log a/b/c/build.out
echo '*.log' >"$MNT/.gitignore"
echo 'build.out' >"$MNT/a/b/.gitignore"
synced
assert_in_head .gitignore a/b/.gitignore
assert_not_in_head keys.log a/b/deep.log a/b/c/build.out
[ -f "$DATA/keys.log" ] || fail "keys.log vanished from the backing dir"

step "hard link: a write through one name changes both names in HEAD"
echo "one" >"$MNT/hard1.md"
ln "$MNT/hard1.md" "$MNT/hard2.md"
synced
head_content_is hard2.md one
echo "two" >"$MNT/hard1.md"
synced
head_content_is hard1.md two
head_content_is hard2.md two
echo "three" >>"$MNT/hard2.md"
synced
head_content_is hard1.md $'two\nthree'
head_content_is hard2.md $'two\nthree'

step "deleting a .gitignore brings back the files it ignored; so does renaming one away"
rm "$MNT/.gitignore"
synced
assert_in_head keys.log a/b/deep.log
assert_not_in_head .gitignore a/b/c/build.out # build.out is still ignored by a/b/.gitignore
mv "$MNT/a/b/.gitignore" "$MNT/a/b/gitignore.off"
synced
assert_in_head a/b/c/build.out a/b/gitignore.off
assert_not_in_head a/b/.gitignore

step "the mount shows exactly the backing dir"
diff -r --no-dereference "$MNT" "$DATA" >&2 || fail "the mount and the backing dir differ"

step "unmount commits nothing new and leaves a sound repo"
unmount_histfs
wait_synced
assert_fsck
echo "PASS: $(commit_count) commits"
