# Shared helpers for the integration tests: each *_test.sh sources this file.
# They mount a real histfs (daemonized, as a user would) on a temp dir and drive it
# with real tools. Exit codes: 0 pass, 77 skip, anything else fail.
set -euo pipefail

HISTFS=${HISTFS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/histfs}
[ -x "$HISTFS" ] || { echo "FAIL: histfs binary $HISTFS not found (set HISTFS=...)" >&2; exit 1; }

STEP="(setup)"      # what the test is doing now, named in every failure
WORKSPACES=()       # every temp dir made by new_workspace, cleaned up at exit
T="" DATA="" MNT="" GITDIR="" LOG="" DAEMON_PID=""

# Name the current step (printed, and repeated by fail).
step() {
  STEP="$*"
  echo "--- [${SECONDS}s] $STEP"
}

fail() {
  echo "FAIL [$STEP]: $*" >&2
  if [ -n "$LOG" ] && [ -s "$LOG" ]; then
    echo "--- last lines of the histfs log $LOG:" >&2
    tail -n 30 "$LOG" >&2
  fi
  exit 1
}

# Skip (77) only when this machine cannot mount FUSE at all.
require_fuse() {
  local why=""
  [ -c /dev/fuse ] || why="/dev/fuse is missing"
  command -v fusermount3 >/dev/null || why="${why:+$why and }fusermount3 is not installed"
  if [ -n "$why" ]; then
    echo "################################################################" >&2
    echo "### SKIPPED ${0##*/}: $why; no FUSE mount possible." >&2
    echo "################################################################" >&2
    exit 77
  fi
}

# A fresh temp dir with data/ and mnt/; sets T DATA MNT GITDIR LOG (git dir is the default data.git).
new_workspace() {
  T=$(mktemp -d /tmp/histfs-it.XXXXXX)
  WORKSPACES+=("$T")
  DATA=$T/data MNT=$T/mnt GITDIR=$T/data.git LOG=$T/histfs.log DAEMON_PID=""
  mkdir "$DATA" "$MNT"
}

# The pid of the histfs daemon serving mount point $1 (default $MNT), or nothing.
daemon_pid() {
  pgrep -f -- "histfs mount .* ${1:-$MNT}( |\$)" | head -n 1 || true
}

# Is process $1 running? A zombie is not (the daemon's parent is init, which may reap it late).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$state" != Z* ]]
}

# Wait (up to ~15 s) until process $1 has exited.
wait_exit() {
  for _ in $(seq 150); do
    alive "$1" || return 0
    sleep 0.1
  done
  return 1
}

# Mount $DATA at $MNT (daemonized) with a short debounce; extra args go to `histfs mount`.
# COMMIT_QUIET / COMMIT_MAX_DELAY override the debounce.
mount_histfs() {
  local rc=0
  "$HISTFS" mount "$DATA" "$MNT" --commit-quiet "${COMMIT_QUIET:-200ms}" \
    --commit-max-delay "${COMMIT_MAX_DELAY:-1s}" --log-file "$LOG" "$@" 2>"$T/mount.err" || rc=$?
  [ "$rc" = 0 ] || fail "histfs mount $DATA $MNT exited with $rc: $(cat "$T/mount.err")"
  mountpoint -q "$MNT" || fail "histfs mount returned but $MNT is not a mount point"
  DAEMON_PID=$(daemon_pid)
  [ -n "$DAEMON_PID" ] || fail "no histfs daemon found for $MNT"
}

setup_mount() {
  new_workspace
  mount_histfs "$@"
}

# Unmount $MNT the normal way and wait for the daemon to commit and exit.
unmount_histfs() {
  fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
  [ -z "$DAEMON_PID" ] || wait_exit "$DAEMON_PID" || fail "daemon $DAEMON_PID still running 15 s after unmount"
  DAEMON_PID=""
}

# EXIT trap: unmount whatever is still mounted (lazily if need be), stop daemons, remove temp dirs.
cleanup() {
  local rc=$? ws mnt pid
  set +e
  for ws in "${WORKSPACES[@]}"; do
    for mnt in "$ws"/mnt*; do
      pid=$(daemon_pid "$mnt")
      if grep -qs " $mnt fuse" /proc/self/mounts; then
        fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null
      fi
      if [ -n "$pid" ] && ! wait_exit "$pid"; then kill -9 "$pid" 2>/dev/null; fi
    done
    rm -rf "$ws"
  done
  exit "$rc"
}
trap cleanup EXIT

git_h() { git --git-dir "$GITDIR" "$@"; }

# The tree stock git makes of $DATA (honouring GITDIR/info/exclude and .gitignore files),
# built with a throwaway index and object dir so nothing is written into the histfs repo.
expected_tree() {
  local scratch=$T/expected
  rm -rf "$scratch" && mkdir -p "$scratch/objects"
  GIT_DIR=$GITDIR GIT_WORK_TREE=$DATA GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects \
    GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects git add -A &&
    GIT_DIR=$GITDIR GIT_WORK_TREE=$DATA GIT_INDEX_FILE=$scratch/index GIT_OBJECT_DIRECTORY=$scratch/objects \
      GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects git write-tree
}

EMPTY_TREE=4b825dc642cb6eb9a060e54bf8d69288fbee4904
head_tree() { git_h rev-parse -q --verify 'HEAD^{tree}' 2>/dev/null || echo "$EMPTY_TREE"; }

# `ls-tree -r` of tree $1, able to read the throwaway objects too: one line per file (mode, blob id, path).
list_tree() {
  GIT_OBJECT_DIRECTORY=$T/expected/objects GIT_ALTERNATE_OBJECT_DIRECTORIES=$GITDIR/objects \
    git --git-dir "$GITDIR" ls-tree -r --full-tree "$1"
}

# Wait (up to ~15 s) until HEAD's tree is exactly what stock git makes of the backing dir.
wait_synced() {
  local expected actual
  for _ in $(seq 150); do
    expected=$(expected_tree) || fail "git add -A / write-tree on $DATA failed"
    actual=$(head_tree)
    [ "$expected" = "$actual" ] && return 0
    sleep 0.1
  done
  echo "HEAD tree $actual != expected tree $expected; diff of ls-tree -r (- HEAD, + backing dir):" >&2
  diff <(list_tree "$actual") <(list_tree "$expected") >&2 || true
  [ -z "$DAEMON_PID" ] || alive "$DAEMON_PID" || echo "(the daemon $DAEMON_PID is no longer running)" >&2
  fail "HEAD did not match the backing dir within 15 s"
}

assert_fsck() {
  local out
  out=$(git_h fsck --strict --no-progress 2>&1) || fail "git fsck --strict failed: $out"
}

commit_count() { git_h rev-list --count HEAD 2>/dev/null || echo 0; }

# Paths in HEAD, one per line.
head_paths() { git_h ls-tree -r --name-only HEAD 2>/dev/null || true; }

# (grep reads a here-string: with pipefail, `git ... | grep -q` could fail on SIGPIPE.)
assert_in_head() {
  local p paths
  paths=$(head_paths)
  for p in "$@"; do grep -qxF -- "$p" <<<"$paths" || fail "$p is not in HEAD"; done
}

assert_not_in_head() {
  local p paths
  paths=$(head_paths)
  for p in "$@"; do ! grep -qxF -- "$p" <<<"$paths" || fail "$p is in HEAD but should not be"; done
}
