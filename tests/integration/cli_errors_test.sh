#!/usr/bin/env bash
# Bad command lines and configs: the right exit code, a clear message on stderr,
# nothing mounted and (when caught before mounting) no git dir created.
source "$(dirname "$0")/lib.sh"
require_fuse
new_workspace

# Mounts on $1 in the mount table (`mountpoint` cannot see a dead FUSE mount; this can).
mounts_on() { grep -c " $1 " /proc/self/mounts || true; }

# expect_error CODE WORD ARGS...: `histfs ARGS` exits CODE, its stderr contains WORD, and nothing got mounted.
expect_error() {
  local code=$1 word=$2 rc=0 before
  shift 2
  before=$(mounts_on "$MNT")
  "$HISTFS" "$@" >"$T/out" 2>"$T/err" || rc=$?
  [ "$rc" = "$code" ] || fail "exit code $rc, expected $code; stderr: $(cat "$T/err")"
  grep -qF -- "$word" "$T/err" || fail "stderr does not mention '$word': $(cat "$T/err")"
  [ "$(mounts_on "$MNT")" = "$before" ] || fail "something got mounted on $MNT"
}
# Nothing may be left behind by an error caught before mounting.
assert_no_git_dir() {
  local dir
  for dir in "$GITDIR" "$@"; do [ ! -e "$dir" ] || fail "$dir was created"; done
}
# expect_config_error WORD JSON: a mount with JSON as its config file fails on WORD and creates nothing.
expect_config_error() {
  echo "$2" >"$T/config.json"
  expect_error 2 "$1" mount "$DATA" "$MNT" --config "$T/config.json"
  assert_no_git_dir
}

step "missing backing dir"
expect_error 2 "does not exist" mount "$T/nope" "$MNT"
assert_no_git_dir "$T/nope.git"

step "backing dir is a file"
echo x >"$T/file"
expect_error 2 "not a directory" mount "$T/file" "$MNT"
assert_no_git_dir "$T/file.git"

step "missing mount point"
expect_error 2 "does not exist" mount "$DATA" "$T/no-mnt"
assert_no_git_dir

step "no arguments"
expect_error 2 "subcommand is required"
expect_error 2 "BACKING is required" mount
assert_no_git_dir

step "unknown flag"
expect_error 2 "--bogus" mount --bogus "$DATA" "$MNT"
assert_no_git_dir

step "--config names a missing file"
expect_error 2 "cannot read config file" mount "$DATA" "$MNT" --config "$T/missing.json"
assert_no_git_dir

step "config with invalid JSON"
expect_config_error "invalid JSON" '{"git": {'

step "config with an unknown key"
expect_config_error "git.bogusKey" '{"git": {"commitQuiet": "1s", "bogusKey": 1}}'

step "config with a bad duration"
expect_config_error "git.commitQuiet" '{"git": {"commitQuiet": "soon"}}'

step "commitMaxDelay shorter than commitQuiet"
expect_error 2 "git.commitMaxDelay" mount "$DATA" "$MNT" --commit-quiet 2s --commit-max-delay 1s
assert_no_git_dir

step "git dir inside the backing dir"
expect_error 2 "inside the backing directory" mount "$DATA" "$MNT" --git-dir "$DATA/.repo"
assert_no_git_dir "$DATA/.repo"
[ -z "$(ls -A "$DATA")" ] || fail "the backing dir is no longer empty: $(ls -A "$DATA")"

step "a bad -o option creates nothing"
expect_error 2 "bad -o option" mount "$DATA" "$MNT" -o no_such_fuse_option
assert_no_git_dir

step "a connect --git-dir that fails creates nothing"
"$HISTFS" connect --git-dir "$T/offline.git" --remote "$T/no-such-remote.git" >"$T/out" 2>&1 &&
  fail "connect to a missing remote succeeded: $(cat "$T/out")"
[ ! -e "$T/offline.git" ] || fail "a failed connect --git-dir created $T/offline.git"

step "git dir inside the backing dir through a symlink"
ln -s "$DATA" "$T/data-link"
expect_error 2 "inside the backing directory" mount "$DATA" "$MNT" --git-dir "$T/data-link/.repo"
[ -z "$(ls -A "$DATA")" ] || fail "the backing dir is no longer empty: $(ls -A "$DATA")"

step "help exits 0"
"$HISTFS" --help >"$T/out" || fail "histfs --help exited with $?"
grep -q mount "$T/out" || fail "histfs --help does not list the mount command"
"$HISTFS" mount --help >"$T/out" || fail "histfs mount --help exited with $?"
grep -q -- --git-dir "$T/out" || fail "histfs mount --help does not list --git-dir"

step "second mount of a git dir in use"
mount_histfs
mkdir "$T/mnt2"
rc=0
"$HISTFS" mount "$DATA" "$T/mnt2" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "exit code $rc, expected 1; stderr: $(cat "$T/err")"
grep -qF "in use" "$T/err" || fail "stderr does not say the git dir is in use: $(cat "$T/err")"
[ "$(mounts_on "$T/mnt2")" = 0 ] || fail "the second mount is mounted"
echo "still here" >"$MNT/after.md" # the first mount keeps working
wait_synced
assert_in_head after.md

step "mount over a dead mount left by kill -9"
kill -9 "$DAEMON_PID"
wait_exit "$DAEMON_PID" || fail "daemon survived kill -9"
expect_error 2 "fusermount3 -u" mount "$DATA" "$MNT"
fusermount3 -u "$MNT" || fail "fusermount3 -u on the dead mount failed"
mount_histfs # and after the advised fusermount3 -u it mounts again
wait_synced
assert_fsck
echo PASS
