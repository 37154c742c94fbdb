#!/usr/bin/env bash
# The read-only .history view: every layout entry (tags, tags/, commits/, at/, versions/, latest)
# checked byte for byte and mtime for mtime against stock git, owners and modes against the live
# tree (history_permissions_test.sh has the other users); hidden from
# listings but reachable by path; --history=visible and --history=off; EROFS for every
# mutation; restoring with cp; new commits and snapshots showing up without a remount; a real
# .history folder in the backing dir is kept, never committed, and left alone by a restore.
source "$(dirname "$0")/lib.sh"
require_fuse
require_python
export LC_ALL=C # ls sorts bytewise: the at/ and versions/ names must sort in time order

new_workspace
H=$MNT/.history

# HEAD is the backing dir but its root .history, which is never committed: the daemon writes
# /.history into GIT_DIR/info/exclude, so lib.sh's expected_tree (stock git) leaves it out too.

ct() { git_h log -1 --format=%ct "$1"; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
day() { date -u -d "@$1" +%Y-%m-%d; }
flush() { cli_ok flush --mount "$MNT"; }
latest_is() { [ "$(readlink "$H/latest")" = "commits/$1" ]; }
now_at_least() { [ "$(date +%s)" -ge "$1" ]; }
early_in_second() { ((10#$(date +%N) < 300000000)); }
# The newest commit of main at or before time $1 (seconds).
commit_at() { git_h log --format='%H %ct' main | awk -v t="$1" '$2 <= t { print $1; exit }'; }

# The names the view gives to instants (seconds, oldest first, on stdin), written from the spec:
# "2026-11-24T03:16:43Z"; several in one second are "...43.1Z", "...43.2Z", then "...43Z".
cat >"$T/names.py" <<'EOF'
import datetime, sys
times = [int(t) for t in sys.stdin.read().split()]
fmt = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
for i, t in enumerate(times):
    name = fmt(t)
    if i + 1 < len(times) and times[i + 1] == t:
        name = name[:-1] + "." + str(times[:i + 1].count(t)) + "Z"
    print(name)
EOF
instant_names() { "$PY" "$T/names.py"; }

# Everything find sees under $1 except $1 itself: path, type, size, mtime, link target.
listing() {
  (cd "$1" && find . -mindepth 1 \( -type f -printf '%P file %s %T@\n' \) -o \
    \( -type d -printf '%P dir %T@\n' \) -o \( -type l -printf '%P link %T@ -> %l\n' \) | sort)
}

# The owner, group and mode every entry of a commit's tree must have, written from the rule in
# docs/user-guide.md: the live path (no symlink followed) if it is a file or folder there, else its
# nearest live folder with nothing for others; read bits only; x for folders (a live folder's own,
# else wherever r is) and executable blobs (wherever r is); symlinks 0777.
# modes.py BACKING HISTORY_DIR REF_DIR [PATH_IN_TREE] prints one line per entry that differs.
cat >"$T/modes.py" <<'EOF'
import os, stat, sys
backing, top, ref = sys.argv[1:4]
base = sys.argv[4] if len(sys.argv) > 4 else ""
def source(rel):
    st, cur = os.lstat(backing), backing
    parts = rel.split("/") if rel else []
    for i, part in enumerate(parts):
        if part in ("", ".", ".."):
            return st, False
        try:
            s = os.lstat(os.path.join(cur, part))
        except OSError:
            return st, False
        if i == len(parts) - 1:
            return (s, True) if stat.S_ISREG(s.st_mode) or stat.S_ISDIR(s.st_mode) else (st, False)
        if not stat.S_ISDIR(s.st_mode):
            return st, False
        st, cur = s, os.path.join(cur, part)
    return st, True
def x_where_r(bits): return (bits & 0o444) | ((bits & 0o444) >> 2)
def expected(rel, kind, executable):
    st, exact = source(rel)
    bits = st.st_mode & 0o555 & (0o777 if exact else 0o770)
    if kind == "link": bits = 0o777
    elif kind == "dir": bits = bits if stat.S_ISDIR(st.st_mode) else x_where_r(bits)
    elif executable: bits = x_where_r(bits)
    else: bits &= 0o444
    return st.st_uid, st.st_gid, bits
def check(path, rel, ref_path):
    s = os.lstat(path)
    kind = "link" if stat.S_ISLNK(s.st_mode) else "dir" if stat.S_ISDIR(s.st_mode) else "file"
    executable = kind == "file" and bool(os.lstat(ref_path).st_mode & 0o100)
    want = expected(rel, kind, executable)
    got = (s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode))
    if got != want:
        print(f"{rel or '.'}: {got[0]}:{got[1]} {got[2]:o}, expected {want[0]}:{want[1]} {want[2]:o}")
check(top, base, ref)
for root, dirs, files in os.walk(top):
    for name in dirs + files:
        path = os.path.join(root, name)
        rel = os.path.join(base, os.path.relpath(path, top))
        check(path, rel, os.path.join(ref, os.path.relpath(path, top)))
EOF
# modes_follow_live HISTORY_DIR REF_DIR: every owner and mode under HISTORY_DIR follows the live tree.
modes_follow_live() { [ -z "$("$PY" "$T/modes.py" "$DATA" "$1" "$2")" ]; }

# The .history directory $1 must be commit $2 exactly: the same names, types, link targets and
# bytes as `git archive` of the commit, every mtime the commit time, and owners and modes that
# follow the live tree (within the seconds the kernel may keep a history entry's attributes).
same_as_commit() {
  local dir=$1 commit=$2 ref=$T/export/$2
  if [ ! -d "$ref" ]; then
    mkdir -p "$ref"
    git_h -c tar.umask=0022 archive "$commit" | tar -x -C "$ref" || fail "git archive $commit failed"
  fi
  [ -d "$dir" ] || fail "$dir is not a directory"
  diff <(listing "$ref") <(listing "$dir") >&2 || fail "$dir is not commit $commit (- git archive, + .history)"
  diff -r --no-dereference "$ref/." "$dir/." >&2 || fail "the bytes under $dir differ from commit $commit"
  [ "$(stat -L -c %Y "$dir")" = "$(ct "$commit")" ] || fail "mtime of $dir is not the time of commit $commit"
  for _ in $(seq 150); do
    modes_follow_live "$dir" "$ref" && return 0
    sleep 0.1
  done
  "$PY" "$T/modes.py" "$DATA" "$dir" "$ref" >&2
  fail "owners or modes under $dir do not follow the live tree"
}

step "mount a tree with a real .history dir in it"
mkdir -p "$DATA/notes/deep" "$DATA/.history"
echo "the real one" >"$DATA/.history/real.txt" # shadowed by the view
printf 'version one\n' >"$DATA/notes/a.md"
printf 'deep\n' >"$DATA/notes/deep/d.txt"
printf '#!/bin/sh\necho hi\n' >"$DATA/run.sh" && chmod 755 "$DATA/run.sh"
ln -s notes/a.md "$DATA/link"
head -c 300000 /dev/urandom >"$DATA/blob.bin" # more than one FUSE read
: >"$DATA/empty"
printf 'no newline' >"$DATA/nonl.txt"
echo "soon deleted" >"$DATA/gone.md"
mount_histfs --xattr
C1=$(git_h rev-parse HEAD)
assert_not_in_head .history/real.txt # the root .history is never committed
[ -z "$(git_h ls-tree HEAD .history)" ] || fail "the initial import committed the real .history"

step ".history is hidden from listings but reachable by path"
! lists "$MNT" '.history' || fail "ls -a lists .history with --history=hidden"
[ -d "$H" ] || fail "$H is not reachable by path"
ls "$H" >"$T/root.ls" || fail "ls $H failed"
for name in at commits latest tags versions; do grep -qx "$name" "$T/root.ls" || fail "ls $H lacks $name"; done
expect_errno ENOENT stat "$H/real.txt" # the real .history is shadowed
! find "$MNT" | grep -q '\.history' || fail "find descends into .history: $(find "$MNT" | grep '\.history' | head -3)"

step "snapshot v1; the first commit through tags/, <tag>/, commits/ and latest"
cli_ok snapshot v1 --mount "$MNT"
[ "$(git_h rev-parse 'v1^{commit}')" = "$C1" ] || fail "tag v1 is not at $C1"
same_as_commit "$H/commits/$C1" "$C1"
same_as_commit "$H/tags/v1" "$C1"
same_as_commit "$H/v1" "$C1"
latest_is "$C1" || fail "latest -> $(readlink "$H/latest"), expected commits/$C1"
[ "$(stat -c %F "$H/latest")" = "symbolic link" ] || fail "latest is not a symlink"
same_as_commit "$H/latest" "$C1"

step "modes, symlinks, bytes and mtimes of single files"
# The read bits of the live files (0755 and 0644).
[ "$(stat -c %a "$H/v1/run.sh")" = 555 ] || fail "run.sh is $(stat -c %a "$H/v1/run.sh"), expected 555"
[ "$(stat -c %a "$H/v1/notes/a.md")" = 444 ] || fail "notes/a.md is $(stat -c %a "$H/v1/notes/a.md"), expected 444"
[ "$(stat -c %F "$H/v1/link")" = "symbolic link" ] || fail "link is not a symlink in the view"
[ "$(readlink "$H/v1/link")" = notes/a.md ] || fail "link points to $(readlink "$H/v1/link")"
[ "$(cat "$H/v1/link")" = "version one" ] || fail "following the link inside the view fails"
cmp <(git_h cat-file blob "$C1:blob.bin") "$H/v1/blob.bin" || fail "blob.bin differs from git"
cmp <(git_h cat-file blob "$C1:blob.bin" | tail -c +123457) <(tail -c +123457 "$H/v1/blob.bin") ||
  fail "blob.bin read from an offset differs"
[ "$(stat -c %s "$H/v1/empty")" = 0 ] || fail "empty is not empty"
[ "$(stat -c %Y "$H/v1/notes/a.md")" = "$(ct "$C1")" ] || fail "mtime of a.md is not the commit time"

step "inode numbers are stable while mounted"
ino_file=$(stat -c %i "$H/commits/$C1/notes/a.md")
ino_dir=$(stat -c %i "$H/v1/notes")
ino_link=$(stat -c %i "$H/latest")
echo 2 >/proc/sys/vm/drop_caches 2>/dev/null || true # make the kernel forget and look up again
[ "$(stat -c %i "$H/commits/$C1/notes/a.md")" = "$ino_file" ] || fail "the inode of a history file changed"
[ "$(stat -c %i "$H/v1/notes")" = "$ino_dir" ] || fail "the inode of a history dir changed"
[ "$(stat -c %i "$H/latest")" = "$ino_link" ] || fail "the inode of latest changed"

step "a second commit, at least 2 s after the first (so a time lies between them)"
t1=$(ct "$C1")
wait_for "2 s after the first commit" now_at_least $((t1 + 2))
printf 'version two\n' >"$MNT/notes/a.md"
rm "$MNT/gone.md"
wait_synced
C2=$(git_h rev-parse HEAD)
[ "$C2" != "$C1" ] || fail "no new commit"

step "a new commit shows up without a remount; latest follows HEAD"
wait_for "latest points to the new HEAD" latest_is "$C2"
lists "$H/commits" "$C2" || fail "commits/ does not list the new commit"
same_as_commit "$H/latest" "$C2"

step "grep -r and find over the mount do not descend into .history"
rc=0
grep -rq "version one" "$MNT" || rc=$?
[ "$rc" = 1 ] || fail "grep -r over the mount found an old version (or failed, rc $rc)"
grep -rq "version one" "$H/versions/notes/a.md" || fail "grep -r inside the view, by path, finds nothing"
! find "$MNT" | grep -q '\.history' || fail "find descends into .history"

step "a third version of notes/a.md"
printf 'version three\n' >"$MNT/notes/a.md"
wait_synced
C3=$(git_h rev-parse HEAD)

step "three commits within one second (at/ and versions/ names for same-second commits)"
burst_ok=""
for attempt in 1 2 3 4 5; do
  wait_for "the start of a second" early_in_second
  for i in 1 2 3; do
    echo "burst $attempt.$i" >"$MNT/burst.txt"
    flush
  done
  if [ "$(git_h log -3 --format=%ct | sort -u | wc -l)" = 1 ]; then
    burst_ok=1
    break
  fi
done
[ -n "$burst_ok" ] || fail "could not make three commits within one second in 5 tries"
B1=$(git_h rev-parse HEAD~2) B2=$(git_h rev-parse HEAD~1) B3=$(git_h rev-parse HEAD)
[ "$(git_h show "$B1:burst.txt")" = "burst $attempt.1" ] || fail "the burst did not make one commit per flush"
S=$(ct "$B3")

step "at/: one entry per commit, named by its time, sorted in time order"
git_h log --reverse --format=%ct main | instant_names >"$T/at.expected"
ls -U "$H/at" >"$T/at.readdir"
diff "$T/at.expected" "$T/at.readdir" >&2 || fail "at/ in readdir order is not every commit's time, oldest first"
ls "$H/at" >"$T/at.sorted"
diff "$T/at.expected" "$T/at.sorted" >&2 || fail "at/ names do not sort in time order"
# An earlier try may have left commits in that second too (a slow machine): n of them in all.
n=$(git_h log --format=%ct main | grep -cx "$S")
burst_names=$(grep -F "$(iso "$S" | sed 's/Z$//')" "$T/at.expected")
want=""
for ((k = 1; k < n; k++)); do want+="$(iso "$S" | sed "s/Z\$/.${k}Z/")"$'\n'; done
want+="$(iso "$S")"
[ "$burst_names" = "$want" ] || fail "the names of $n same-second commits are: $burst_names"

step "at/: lookups by listed name, by a time between commits, by a date"
same_as_commit "$H/at/$(head -n 1 "$T/at.expected")" "$C1"
same_as_commit "$H/at/$(iso "$S" | sed 's/Z$/.1Z/')" "$B1"
same_as_commit "$H/at/$(iso "$S" | sed 's/Z$/.2Z/')" "$B2"
same_as_commit "$H/at/$(iso "$S")" "$B3"
! grep -qx "$(iso $((t1 + 1)))" "$T/at.expected" || fail "test bug: $(iso $((t1 + 1))) is a commit time"
[ "$(commit_at $((t1 + 1)))" = "$C1" ] || fail "test bug: the second commit is not 2 s after the first"
same_as_commit "$H/at/$(iso $((t1 + 1)))" "$C1" # between C1 and the next commit
t2=$(ct "$C2")
same_as_commit "$H/at/$(date -u -d "@$t2" +%Y-%m-%dT%H:%M:%S)" "$(commit_at "$t2")" # without the Z
same_as_commit "$H/at/$(day "$(date +%s)")" "$(git_h rev-parse HEAD)"               # a date alone: the end of that day
expect_errno ENOENT stat "$H/at/$(day $((t1 - 86400)))"       # the day before the first commit
expect_errno ENOENT stat "$H/at/$(iso $((t1 - 1)))"
expect_errno ENOENT stat "$H/at/yesterday"
expect_errno ENOENT stat "$H/at/2026-02-31"

step "commits/: every commit of main, each exactly as in git"
diff <(git_h rev-list main | sort) <(ls "$H/commits") >&2 || fail "commits/ does not list every commit of main"
for c in $(git_h rev-list main); do same_as_commit "$H/commits/$c" "$c"; done

step "commits/: HEAD, HEAD~N and prefixes"
same_as_commit "$H/commits/HEAD" "$(git_h rev-parse HEAD)"
same_as_commit "$H/commits/HEAD~1" "$(git_h rev-parse HEAD~1)"
same_as_commit "$H/commits/HEAD~4" "$(git_h rev-parse HEAD~4)"
expect_errno ENOENT stat "$H/commits/HEAD~99"
all_ids=$(git_h rev-list main)
# A 4-digit prefix of C2 (or the shortest longer one that is unique), which must find C2.
for len in 4 5 6 7 8; do
  [ "$(grep -c "^${C2:0:$len}" <<<"$all_ids")" = 1 ] && break
done
[ "$len" = 4 ] || echo "    (${C2:0:4} is shared by two commits; using ${C2:0:$len})"
same_as_commit "$H/commits/${C2:0:$len}" "$C2"
same_as_commit "$H/commits/$(tr a-f A-F <<<"${C2:0:12}")" "$C2" # hex digits in upper case
for candidate in 0000 1234 abcd ffff 5a5a 9e9e; do
  grep -q "^$candidate" <<<"$all_ids" || break
done
expect_errno ENOENT stat "$H/commits/$candidate" # an unknown 4-digit prefix
expect_errno ENOENT stat "$H/commits/${C2:0:3}"   # too short
expect_errno ENOENT stat "$H/commits/zzzz"
expect_errno ENOENT stat "$H/commits/$(git_h rev-parse 'HEAD^{tree}')" # an object, but no commit of main

step "versions/: directories mirror HEAD's tree"
diff <(git_h ls-tree --name-only HEAD | sort) <(ls -A "$H/versions") >&2 || fail "versions/ is not HEAD's top level"
diff <(git_h ls-tree --name-only HEAD:notes | sort) <(ls -A "$H/versions/notes") >&2 ||
  fail "versions/notes is not HEAD's notes/"
[ -d "$H/versions/notes/deep" ] && [ -d "$H/versions/notes/a.md" ] || fail "versions/ entries are not directories"
! lists "$H/versions" gone.md || fail "versions/ lists gone.md, which HEAD lacks"

step "versions/: a file with 3 contents lists 3 entries, oldest first"
versions_of_a=$(printf '%s\n' "$(ct "$C1")" "$(ct "$C2")" "$(ct "$C3")" | instant_names)
expected_names=$(paste -d_ <(echo "$versions_of_a") <(printf '%s\n' "${C1:0:8}.md" "${C2:0:8}.md" "${C3:0:8}.md"))
[ "$(ls -U "$H/versions/notes/a.md")" = "$expected_names" ] ||
  fail "versions of notes/a.md (readdir order): $(ls -U "$H/versions/notes/a.md" | tr '\n' ' '), expected $(echo $expected_names)"
[ "$(ls "$H/versions/notes/a.md")" = "$expected_names" ] || fail "version names do not sort in time order"
i=0
for c in "$C1" "$C2" "$C3"; do
  i=$((i + 1))
  v=$H/versions/notes/a.md/$(sed -n "${i}p" <<<"$expected_names")
  cmp <(git_h cat-file blob "$c:notes/a.md") "$v" || fail "$v is not notes/a.md of $c"
  [ "$(stat -c '%a %Y' "$v")" = "444 $(ct "$c")" ] || fail "$v: mode/mtime $(stat -c '%a %Y' "$v"), expected 444 $(ct "$c")"
done

step "versions/: executable, symlink, binary, same-second and deleted files"
[ "$(ls "$H/versions/run.sh")" = "$(iso "$t1")_${C1:0:8}.sh" ] || fail "versions of run.sh: $(ls "$H/versions/run.sh")"
[ "$(stat -c %a "$H/versions/run.sh/$(iso "$t1")_${C1:0:8}.sh")" = 555 ] || fail "the run.sh version is not 0555"
[ "$(readlink "$H/versions/link/$(iso "$t1")_${C1:0:8}")" = notes/a.md ] ||
  fail "the version of the symlink is not a symlink to notes/a.md: $(ls -l "$H/versions/link")"
cmp <(git_h cat-file blob "$C1:blob.bin") "$H/versions/blob.bin/$(iso "$t1")_${C1:0:8}.bin" || fail "blob.bin version differs"
# burst.txt: one version per burst commit; the last three share a second.
burst_commits=$(git_h log --reverse --format=%H -- burst.txt)
expected_burst=$(paste -d_ <(for c in $burst_commits; do ct "$c"; done | instant_names) \
  <(for c in $burst_commits; do echo "${c:0:8}.txt"; done))
[ "$(ls -U "$H/versions/burst.txt")" = "$expected_burst" ] ||
  fail "versions of burst.txt: $(ls -U "$H/versions/burst.txt" | tr '\n' ' '), expected $(echo $expected_burst)"
[ "$(cat "$H/versions/burst.txt/$(iso "$S" | sed 's/Z$/.2Z/')_${B2:0:8}.txt")" = "burst $attempt.2" ] ||
  fail "the middle same-second version of burst.txt has the wrong content"
[ "$(ls "$H/versions/gone.md")" = "$(iso "$t1")_${C1:0:8}.md" ] || fail "a deleted file's versions are not reachable by path"
expect_errno ENOENT stat "$H/versions/never-existed.md"

step "every mutation under .history fails with EROFS, and nothing changes"
mkdir "$MNT/empty-dir"
head_before=$(git_h rev-parse HEAD) digest_before=$(dir_digest "$DATA")
f=$H/v1/notes/a.md d=$H/v1/notes
version=$H/versions/notes/a.md/$(head -n 1 <<<"$expected_names")
expect_errno EROFS create "$d/new.md"
expect_errno EROFS create "$H/new.md"
expect_errno EROFS create "$H/versions/notes/a.md/new.md"
expect_errno EROFS open-write "$f"
expect_errno EROFS open-rdwr "$f"
expect_errno EROFS open-append "$version"
expect_errno EROFS open-trunc "$f"
expect_errno EROFS truncate "$f"
expect_errno EROFS unlink "$f"
expect_errno EROFS unlink "$version"
expect_errno EROFS unlink "$H/latest"
expect_errno EROFS unlink "$H/v1/link"
expect_errno EROFS rmdir "$d/deep"
expect_errno EROFS rmdir "$H/v1"
expect_errno EROFS rmdir "$H/at/$(head -n 1 "$T/at.expected")"
expect_errno EROFS rmdir "$H"
expect_errno EROFS mkdir "$d/newdir"
expect_errno EROFS mkdir "$H/newdir"
expect_errno EROFS mkdir "$H/tags/newtag"
expect_errno EROFS mkfifo "$d/fifo"
expect_errno EROFS rename "$f" "$MNT/out.md"         # out of the view
expect_errno EROFS rename "$MNT/run.sh" "$d/in.sh"   # into it
expect_errno EROFS rename "$MNT/empty-dir" "$d/in-dir"
expect_errno EROFS rename "$f" "$d/renamed.md"       # within it
expect_errno EROFS rename "$H/v1" "$H/v9"
expect_errno EROFS rename "$H" "$MNT/history-moved"  # .history itself
expect_errno EROFS rename "$MNT/empty-dir" "$H"      # onto .history
expect_errno EROFS symlink "$d/new-link" a.md
expect_errno EROFS symlink "$H/new-link" a.md
expect_errno EROFS link "$f" "$MNT/hard-out"
expect_errno EROFS link "$MNT/run.sh" "$d/hard-in"
expect_errno EROFS chmod "$f"
expect_errno EROFS chmod "$d"
expect_errno EROFS chmod "$H"
expect_errno EROFS chown "$f"
expect_errno EROFS chown "$H/v1/link"
expect_errno EROFS chown "$H/commits/$C1"
expect_errno EROFS utime "$f"
expect_errno EROFS utime "$d"
expect_errno EROFS utime "$H/latest"
expect_errno EROFS utime "$H"
expect_errno EROFS setxattr "$f" # the mount has --xattr
expect_errno EROFS setxattr "$d"
expect_errno EROFS removexattr "$f"
# The same through real tools: each fails, saying read-only.
for cmd in "touch $f" "touch $d/new" "rm -f $f" "rm -rf $H/v1" "mkdir $d/x" "cp $MNT/run.sh $d/" \
  "mv $f $MNT/" "ln -s x $d/y" "chmod +x $f" "sed -i s/one/1/ $f" "truncate -s 0 $f" "setfattr -n user.a -v 1 $f"; do
  if $cmd 2>"$T/tool.err"; then fail "'$cmd' succeeded"; fi
  grep -qi "read-only file system" "$T/tool.err" || fail "'$cmd' did not fail with EROFS: $(cat "$T/tool.err")"
done
sh -c "echo x >$f" 2>/dev/null && fail "writing into $f with > succeeded"
[ "$(cat "$f")" = "version one" ] || fail "a history file changed"
[ "$(git_h rev-parse HEAD)" = "$head_before" ] || fail "a commit was made: $(git_h log -1 --format=%s)"
[ "$(dir_digest "$DATA")" = "$digest_before" ] || fail "the backing dir changed"
rmdir "$MNT/empty-dir"
[ -d "$H/v1" ] && [ -L "$H/latest" ] || fail ".history lost an entry"

step "cp from .history/<tag>/ restores a file; the next commit has the old content"
cp "$H/v1/notes/a.md" "$MNT/notes/a.md"
cp "$H/v1/gone.md" "$MNT/gone.md"
wait_synced
[ "$(git_h rev-parse HEAD^)" = "$head_before" ] || fail "the restore is not one commit on top of HEAD"
cmp <(git_h cat-file blob "$C1:notes/a.md") <(git_h cat-file blob HEAD:notes/a.md) || fail "HEAD does not have v1's a.md"
cmp <(git_h cat-file blob "$C1:gone.md") <(git_h cat-file blob HEAD:gone.md) || fail "HEAD does not have v1's gone.md"
assert_fsck

step "a new snapshot shows up without a remount"
ls "$H" "$H/tags" >/dev/null # let the kernel see the listings before the snapshot
cli_ok snapshot v2 -m "second" --mount "$MNT"
V2=$(git_h rev-parse HEAD)
wait_for "v2 appears in .history" test -d "$H/v2"
lists "$H/tags" v2 || fail "tags/ does not list v2"
lists "$H" v2 || fail ".history does not list v2"
same_as_commit "$H/v2" "$V2"
same_as_commit "$H/tags/v2" "$V2"
wait_for "latest points to HEAD" latest_is "$V2"

step "tags made with git: lightweight, and named like the view's own folders"
git_h tag light "$C2"
git_h tag at "$C1"
git_h -c user.name=test -c user.email=test@example.com tag -a latest -m "named latest" "$C3"
wait_for "the lightweight tag appears" test -d "$H/light"
same_as_commit "$H/light" "$C2"
same_as_commit "$H/tags/light" "$C2"
same_as_commit "$H/tags/at" "$C1"
same_as_commit "$H/tags/latest" "$C3"
diff <(git_h log --reverse --format=%ct main | instant_names) <(ls "$H/at") >&2 || fail ".history/at is no longer the time index"
latest_is "$V2" || fail "a tag named latest took over .history/latest"
[ "$(ls "$H")" = "$(printf '%s\n' at commits latest light tags v1 v2 versions)" ] ||
  fail ".history lists: $(ls "$H" | tr '\n' ' ')"
diff <(printf '%s\n' at latest light v1 v2) <(ls "$H/tags") >&2 || fail "tags/ does not list every tag"

step "a whole-tree restore leaves the real .history in the backing dir alone"
cli_ok restore "$MNT" --to v1 --mount "$MNT"
[ "$(git_h rev-parse 'HEAD^{tree}')" = "$(git_h rev-parse "$C1^{tree}")" ] || fail "the restore did not give HEAD v1's tree"
[ "$(cat "$DATA/.history/real.txt")" = "the real one" ] || fail "the restore touched the real .history/real.txt"
assert_not_in_head .history/real.txt
same_as_commit "$H/latest" "$(git_h rev-parse HEAD)"
unmount_histfs

step "--history=visible lists .history once"
mount_histfs --history=visible
[ "$(count_listed "$MNT" '.history')" = 1 ] || fail "ls -a lists .history $(count_listed "$MNT" '.history') times"
same_as_commit "$H/latest" "$(git_h rev-parse HEAD)"
expect_errno EROFS create "$H/x"
unmount_histfs

step "--history=off: no view; the real .history is an ordinary folder, kept and never committed"
mount_histfs --history=off
lists "$MNT" '.history' || fail "the real .history is not listed with --history=off"
[ "$(ls -A "$H")" = real.txt ] || fail "$H with --history=off holds: $(ls -A "$H")"
[ "$(cat "$H/real.txt")" = "the real one" ] || fail "the real .history/real.txt has the wrong content"
expect_errno ENOENT stat "$H/commits"
head_before=$(git_h rev-parse HEAD)
echo "changed" >>"$H/real.txt"
echo "new" >"$H/new.txt"
mkdir "$H/sub" && echo "deeper" >"$H/sub/deep.txt"
flush
[ "$(git_h rev-parse HEAD)" = "$head_before" ] || fail "writes into the real .history made a commit: $(git_h show --stat HEAD)"
mv "$MNT/nonl.txt" "$H/moved-in.txt" # leaves the tree
mv "$H/new.txt" "$MNT/moved-out.txt" # enters it
mv "$H/sub" "$MNT/sub-out"
flush
wait_synced
assert_not_in_head nonl.txt .history/real.txt .history/new.txt .history/moved-in.txt .history/sub/deep.txt
assert_in_head moved-out.txt sub-out/deep.txt
[ -z "$(git_h ls-tree HEAD .history)" ] || fail "HEAD has a .history"
head_before=$(git_h rev-parse HEAD)
cli_ok reconcile --mount "$MNT"
[ "$(git_h rev-parse HEAD)" = "$head_before" ] || fail "the reconcile made a commit: $(git_h show --stat HEAD)"
[ "$(expected_tree)" = "$(head_tree)" ] || fail "after a reconcile, HEAD is not the backing dir without its .history"
[ -z "$(git_h ls-tree HEAD .history)" ] || fail "the reconcile committed the real .history"
unmount_histfs
[ "$(ls -A "$DATA/.history" | tr '\n' ' ')" = "moved-in.txt real.txt " ] ||
  fail "the real .history holds: $(ls -A "$DATA/.history")"

step "commits/ prefixes: an ambiguous 4-digit prefix is ENOENT, a longer one works"
# Two commits on main whose ids share their first 4 hex digits (not the 5th), same tree as HEAD.
read -r X1 X2 < <("$PY" - "$GITDIR" <<'EOF'
import hashlib, subprocess, sys, time
gitdir = sys.argv[1]
git = lambda *a, data=None: subprocess.run(["git", "--git-dir", gitdir, *a], input=data, check=True,
                                           capture_output=True).stdout.decode().strip()
head, tree, now = git("rev-parse", "main"), git("rev-parse", "main^{tree}"), int(time.time())
body = lambda parent, msg: (f"tree {tree}\nparent {parent}\nauthor test <t@example.com> {now} +0000\n"
                            f"committer test <t@example.com> {now} +0000\n\n{msg}\n").encode()
oid = lambda b: hashlib.sha1(b"commit %d\0" % len(b) + b).hexdigest()
b1 = body(head, "crafted one"); x1 = oid(b1)
n = 0
while True:
    b2 = body(x1, f"crafted two {n}"); x2 = oid(b2)
    if x2[:4] == x1[:4] and x2[4] != x1[4]:
        break
    n += 1
for b, x in ((b1, x1), (b2, x2)):
    assert git("hash-object", "-w", "-t", "commit", "--stdin", data=b) == x
git("update-ref", "refs/heads/main", x2, head)
print(x1, x2)
EOF
)
[ -n "$X2" ] || fail "could not craft two commits with a shared prefix"
assert_fsck
mount_histfs
[ "$(git_h rev-parse HEAD)" = "$X2" ] || fail "the remount made a commit: $(git_h log -1 --format=%s)"
expect_errno ENOENT stat "$H/commits/${X1:0:4}"
expect_errno ENOENT stat "$H/commits/${X1:0:4}/notes"
same_as_commit "$H/commits/${X1:0:5}" "$X1"
same_as_commit "$H/commits/${X2:0:5}" "$X2"
lists "$H/commits" "$X1" || fail "commits/ lacks $X1"
latest_is "$X2" || fail "latest -> $(readlink "$H/latest"), expected commits/$X2"
cli_error "ambiguous" restore "$MNT" --to "${X1:0:4}" --mount "$MNT"
[ "$(git_h rev-parse HEAD)" = "$X2" ] || fail "the failed restore made a commit"
unmount_histfs
assert_fsck
echo "PASS: $(commit_count) commits"
